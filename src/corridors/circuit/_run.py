"""Running a Circuitscape INI job end to end."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import numpy as np

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
from ._outputs import MapOptions, Writer
from ._raster_io import read_table
from ._result import CircuitResult
from ._solver import check_memory, estimate_memory


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
) -> CircuitResult:
    """Run a Circuitscape INI job file and write its outputs.

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

    Returns
    -------
    CircuitResult

    Raises
    ------
    JobFileError, UnsupportedOptionError, RasterError, DataFileError, FocalPointError,
    JobTooLargeError
    """
    job = load_job(ini_path, base_dir=base_dir, output_dir=output_dir)
    return run_job(
        job,
        geotiff=geotiff,
        progress=progress,
        keep_maps=keep_maps,
        memory_limit=memory_limit,
        quiet=quiet,
    )


def run_job(
    job: Job,
    *,
    geotiff: bool = False,
    progress: bool = True,
    keep_maps: bool = False,
    memory_limit: int | None = None,
    quiet: bool = False,
) -> CircuitResult:
    """Run a parsed :class:`Job` (see :func:`run`)."""
    assert job.habitat_file is not None and job.output_prefix is not None
    opts = map_options(job, geotiff=geotiff)
    settings = Settings(
        four_neighbors=job.four_neighbors,
        avg_resistances=job.avg_resistances,
        policy=job.policy,
        progress=progress,
        keep_maps=keep_maps,
    )
    if job.data_type == "network":
        return _run_network(job, opts)

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
    writer = Writer(job.output_prefix, meta, opts)

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
        strengths = (
            load_strengths(job.variable_source_file)
            if job.variable_source_file is not None
            else None
        )
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


def _run_network(job: Job, opts: MapOptions) -> CircuitResult:
    assert job.habitat_file is not None and job.output_prefix is not None
    edges = read_table(job.habitat_file, role="graph", ncols=3)
    graph, node_ids = network_from_edges(
        edges, is_resistance=job.habitat_is_resistances, source=str(job.habitat_file)
    )
    writer = Writer(job.output_prefix, None, opts)
    if job.scenario == "pairwise":
        assert job.point_file is not None
        focal = read_focal_nodes(job.point_file)
        selection = (
            load_included_pairs(job.included_pairs_file)
            if job.included_pairs_file is not None
            else None
        )
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
