"""Running a Circuitscape INI job end to end."""

from __future__ import annotations

import dataclasses
import glob
import os
import sys
from pathlib import Path

import numpy as np

from .._io import same_file
from ..errors import DataFileError, OutputError
from ._advanced import ground_conductances, source_currents
from ._errors import JobFileError
from ._ini import Job, load_job
from ._inputs import (
    apply_mask,
    check_points_on_habitat,
    load_habitat,
    load_included_pairs,
    load_points,
    load_polygons,
    load_source_or_ground,
    load_strengths,
)
from ._modes import Settings, raster_advanced, raster_one_or_all, raster_pairwise
from ._network import network_advanced, network_from_edges, network_pairwise, read_focal_nodes
from ._outputs import MapOptions, Writer, planned_outputs
from ._raster_io import input_file_problem, preload_text_writer, read_table
from ._result import CircuitResult
from ._solver import check_memory, estimate_memory

#: Existing outputs named in a message; the rest are counted.
_MAX_FILES_SHOWN = 5


def map_options(job: Job, *, geotiff: bool = False) -> MapOptions:
    """The output switches of a job."""
    # A cumulative-only job still needs the per-pair currents to add them up.
    return dataclasses.replace(
        job.maps,
        write_cur_maps=job.maps.write_cur_maps or job.maps.write_cum_cur_map_only,
        also_geotiff=geotiff,
    )


def run(
    ini_path: str | Path,
    *,
    base_dir: str | Path | None = None,
    output_dir: str | Path | None = None,
    geotiff: bool = False,
    progress: bool = True,
    keep_maps: bool = False,
    memory_limit: int | None = None,
    quiet: bool = False,
    overwrite: bool = False,
) -> CircuitResult:
    """Run a Circuitscape INI job file and write its outputs.

    The job's input files are checked first (all of them, each problem reported), then
    read; its outputs are checked before anything is solved: an output that would
    replace an input (same path, symlink or hard link; or ``output_file`` naming an
    input) is always refused, and outputs left by an earlier run are kept unless
    ``overwrite`` is true.

    Parameters
    ----------
    ini_path : str or Path
        The job file, used as it is.
    base_dir : str or Path, optional
        Directory against which relative paths in the file are resolved; by default
        the working directory, as in Circuitscape.
    output_dir : str or Path, optional
        Write outputs here (with Circuitscape's names) instead of where the job's
        ``output_file`` points.
    geotiff : bool
        Also write every map as a GeoTIFF carrying the habitat raster's CRS and transform.
    progress : bool
        Show a progress bar for jobs with many solves.
    keep_maps : bool
        Keep every per-solve current and voltage map in the result.
    memory_limit : int, optional
        Bytes available; by default the system's available memory.
    quiet : bool
        Do not print the memory estimate.
    overwrite : bool
        Replace output files that already exist (``--force`` on the command line).

    Returns
    -------
    CircuitResult

    Raises
    ------
    JobFileError, UnsupportedOptionError, RasterError, DataFileError, OutputError,
    FocalPointError, JobTooLargeError
    """
    job = load_job(ini_path, base_dir=base_dir, output_dir=output_dir)
    return run_job(
        job,
        geotiff=geotiff,
        progress=progress,
        keep_maps=keep_maps,
        memory_limit=memory_limit,
        quiet=quiet,
        overwrite=overwrite,
    )


def run_job(
    job: Job,
    *,
    geotiff: bool = False,
    progress: bool = True,
    keep_maps: bool = False,
    memory_limit: int | None = None,
    quiet: bool = False,
    overwrite: bool = False,
) -> CircuitResult:
    """Run a parsed :class:`Job` (see :func:`run`)."""
    assert job.habitat_file is not None and job.output_prefix is not None
    opts = map_options(job, geotiff=geotiff)
    if not opts.write_as_tif and (opts.currents_needed or opts.write_volt_maps):
        preload_text_writer()
    # Inputs first: a bad input is what the user must fix, whatever the outputs. The
    # outputs are checked once every input is read, before the first solve.
    check_inputs(job)
    inputs = tuple(path for _, path in job.inputs())
    settings = Settings(
        four_neighbors=job.four_neighbors,
        avg_resistances=job.avg_resistances,
        policy=job.policy,
        progress=progress,
        keep_maps=keep_maps,
    )
    if job.data_type == "network":
        writer = Writer(job.output_prefix, None, opts, inputs, overwrite)
        return _run_network(job, opts, writer)

    g, meta = load_habitat(job.habitat_file, is_resistance=job.habitat_is_resistances)
    nnodes = int(np.count_nonzero(g))
    est = estimate_memory(g.size, nnodes, four_neighbors=job.four_neighbors)
    if not quiet:
        print(
            f"corridors circuit: {meta.nrows}x{meta.ncols} grid, {nnodes} habitat cells; "
            f"estimated peak memory {est / 2**30:.2f} GiB",
            file=sys.stderr,
        )
    check_memory(est, what=f"job {job.ini_path}", limit=memory_limit)
    polygons = load_polygons(job.polygon_file, meta) if job.polygon_file is not None else None
    if job.mask_file is not None:
        g = apply_mask(g, job.mask_file, meta)
    writer = Writer(job.output_prefix, meta, opts, inputs, overwrite)

    if job.scenario == "advanced":
        assert job.source_file is not None and job.ground_file is not None
        sources = source_currents(
            load_source_or_ground(job.source_file, meta, role="source"),
            unit_currents=job.unit_currents,
        )
        grounds = ground_conductances(
            load_source_or_ground(job.ground_file, meta, role="ground"),
            is_resistance=job.ground_is_resistances,
            direct_grounds=job.direct_grounds,
        )
        if not np.any(sources != 0):
            raise JobFileError(
                f"{job.source_file}: no current sources (every cell is 0 or nodata); "
                "give at least one cell a non-zero source current"
            )
        if not np.any(grounds != 0):
            raise JobFileError(
                f"{job.ground_file}: no grounds (every cell is 0 or nodata); give at least "
                "one cell a ground"
            )
        check_outputs(job, opts, overwrite=overwrite)
        result = raster_advanced(
            g,
            sources,
            grounds,
            polygons=polygons,
            settings=settings,
            opts=opts,
            writer=writer,
            meta=meta,
        )
        return result

    assert job.point_file is not None
    points = load_points(job.point_file, meta)
    notes = check_points_on_habitat(points, g, source=str(job.point_file))
    selection = (
        load_included_pairs(job.included_pairs_file)
        if job.included_pairs_file is not None
        else None
    )
    strengths = (
        load_strengths(job.variable_source_file) if job.variable_source_file is not None else None
    )
    check_outputs(job, opts, overwrite=overwrite)
    if job.scenario == "pairwise":
        result = raster_pairwise(
            g,
            points,
            polygons=polygons,
            selection=selection,
            settings=settings,
            opts=opts,
            writer=writer,
            meta=meta,
        )
    else:
        result = raster_one_or_all(
            g,
            points,
            one_to_all=job.scenario == "one-to-all",
            polygons=polygons,
            selection=selection,
            strengths=strengths,
            settings=settings,
            opts=opts,
            writer=writer,
            meta=meta,
        )
    result.notes.extend(notes)
    return result


def _run_network(job: Job, opts: MapOptions, writer: Writer) -> CircuitResult:
    assert job.habitat_file is not None and job.output_prefix is not None
    edges = read_table(job.habitat_file, role="graph", ncols=3)
    graph, node_ids = network_from_edges(
        edges, is_resistance=job.habitat_is_resistances, source=str(job.habitat_file)
    )
    if job.scenario == "pairwise":
        assert job.point_file is not None
        focal = read_focal_nodes(job.point_file)
        selection = (
            load_included_pairs(job.included_pairs_file)
            if job.included_pairs_file is not None
            else None
        )
        check_outputs(job, opts, overwrite=writer.overwrite)
        return network_pairwise(
            graph,
            node_ids,
            focal,
            selection=selection,
            writer=writer,
            write_volt=opts.write_volt_maps,
            write_cur=opts.write_cur_maps,
        )
    assert job.source_file is not None and job.ground_file is not None
    sources = read_table(job.source_file, role="source", ncols=2)
    grounds = read_table(job.ground_file, role="ground", ncols=2)
    check_outputs(job, opts, overwrite=writer.overwrite)
    return network_advanced(
        graph,
        node_ids,
        sources,
        grounds,
        ground_is_resistance=job.ground_is_resistances,
        direct_grounds=job.direct_grounds,
        unit_currents=job.unit_currents,
        policy=job.policy,
        writer=writer,
        write_volt=opts.write_volt_maps,
        write_cur=opts.write_cur_maps,
        source=str(job.ini_path),
    )


def check_inputs(job: Job) -> None:
    """Refuse a job with input files that are missing or directories, naming all of them."""
    problems = [
        problem
        for role, path in job.inputs()[1:]
        if (problem := input_file_problem(path, role=role)) is not None
    ]
    if len(problems) == 1:
        raise DataFileError(problems[0])
    if problems:
        raise DataFileError(
            f"{len(problems)} input files of job {job.ini_path} cannot be read:\n"
            + "\n".join(f"  - {p}" for p in problems)
        )


def check_outputs(job: Job, opts: MapOptions, *, overwrite: bool) -> None:
    """Refuse outputs that would replace an input or an existing file, before any solve.

    Existing outputs are refused only without ``overwrite``; inputs are never replaced.
    The files looked for are those :func:`planned_outputs` lists for the job's settings.

    Raises
    ------
    OutputError
        Naming every clash: the output folder is a file or cannot be written, an output
        (or ``output_file`` itself) is an input, or outputs exist and ``overwrite`` is
        false.
    """
    assert job.output_prefix is not None
    inputs = job.inputs()
    folder = job.output_prefix.parent
    _check_folder(folder)
    problems: list[str] = []
    if job.output_file is not None:
        for role, path in inputs:
            if same_file(job.output_file, path):
                problems.append(
                    f"output_file {job.output_file} is the {role} file {path}; outputs are "
                    "named after output_file: give a new name, e.g. output/myjob.out"
                )
    existing: list[Path] = []
    for pattern in planned_outputs(job.scenario, job.data_type, opts):
        for found in sorted(folder.glob(glob.escape(job.output_prefix.name) + "_" + pattern)):
            clash = next(((r, p) for r, p in inputs if same_file(found, p)), None)
            if clash is not None:
                problems.append(
                    f"output {found} would replace the {clash[0]} file {clash[1]}; choose "
                    "another output_file or output folder"
                )
            elif found.is_dir():
                problems.append(f"output {found} is a directory; remove or rename it")
            elif not overwrite:
                existing.append(found)
    if existing:
        existing = sorted(set(existing))
        shown = ", ".join(p.name for p in existing[:_MAX_FILES_SHOWN])
        more = (
            f" and {len(existing) - _MAX_FILES_SHOWN} more"
            if len(existing) > _MAX_FILES_SHOWN
            else ""
        )
        problems.append(
            f"{len(existing)} output file(s) of this job already exist in {folder}: "
            f"{shown}{more}; they are kept: pass overwrite=True (--force on the command "
            "line) to replace them, or write elsewhere with output_dir (--output-dir)"
        )
    if len(problems) == 1:
        raise OutputError(f"job {job.ini_path}: {problems[0]}")
    if problems:
        raise OutputError(
            f"job {job.ini_path} cannot write its outputs:\n"
            + "\n".join(f"  - {p}" for p in problems)
        )


def _check_folder(folder: Path) -> None:
    """The output folder, or its nearest existing ancestor, must be a writable folder."""
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise OutputError(
            f"cannot write outputs into {folder}: {existing} is a file, not a folder; "
            "choose another output folder"
        )
    if not os.access(existing, os.W_OK | os.X_OK):
        raise OutputError(
            f"cannot write outputs into {folder}: {existing} is not writable; choose a "
            "folder you can write to"
        )
