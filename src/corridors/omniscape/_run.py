"""Running an Omniscape.jl INI job end to end: check, estimate, solve, write."""

from __future__ import annotations

import os
import sys
import time
import warnings
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import numpy as np

from .._io import atomic_write_text, same_file
from ..errors import OutputError
from ._checkpoint import Checkpoint, file_identity
from ._config import OmniscapeJob, OmniscapeWarning, load_job
from ._core import Conditions, Params
from ._engine import (
    Schedule,
    choose_workers,
    nice_seconds,
    solve_schedule,
    tile_side,
    warn_geometry,
    with_correction,
)
from ._memory import check_memory, estimate_run_memory
from ._output import GridWriter, finish_maps
from ._rasters import FileInputs, Prep, open_inputs, prep_from_job, read_window, scan, strips
from ._result import OmniscapeResult
from ._tiles import Tile, TileTask, default_tile_size, make_tiles

#: Maps larger than this (cells) are written to disk only, not also returned in memory.
RESULT_MAX_CELLS = 50_000_000


def job_params(job: OmniscapeJob, shape: tuple[int, int]) -> Params:
    """The algorithm's parameters for ``job`` on a raster of ``shape`` (no correction yet)."""
    conditions = None
    if job.conditional:
        conditions = Conditions(
            n_conditions=job.n_conditions,
            comparison1=job.comparison1,
            comparison2=job.comparison2,
            lower1=job.condition1_lower,
            upper1=job.condition1_upper,
            lower2=job.condition2_lower,
            upper2=job.condition2_upper,
        )
    return Params(
        nrows=shape[0],
        ncols=shape[1],
        radius=job.radius,
        buffer=job.buffer,
        block_size=job.block_size,
        four_neighbors=job.connect_four_neighbors_only,
        flow_potential=job.flow_potential_needed,
        conditions=conditions,
    )


def output_names(job: OmniscapeJob) -> list[str]:
    """The maps the job writes, by Omniscape.jl's names (without extension)."""
    names = []
    if job.write_raw_currmap:
        names.append("cum_currmap")
    if job.calc_flow_potential:
        names.append("flow_potential")
    if job.calc_normalized_current:
        names.append("normalized_cum_currmap")
    if job.reclassify_resistance and job.write_reclassified_resistance:
        names.append("classified_resistance")
    return names


def _description(
    job: OmniscapeJob, params: Params, prep: Prep, tile_size: int, inputs: FileInputs
) -> dict[str, Any]:
    """What a checkpoint must match to be resumed: the job's maths and its inputs."""
    files = {"resistance_file": file_identity(inputs.resistance.path)}
    for role, info in inputs.layers().items():
        files[role] = file_identity(info.path)
    return {
        "params": {
            "shape": [params.nrows, params.ncols],
            "radius": params.radius,
            "buffer": params.buffer,
            "block_size": params.block_size,
            "four_neighbors": params.four_neighbors,
            "flow_potential": params.flow_potential,
            "conditions": None if params.conditions is None else vars(params.conditions),
            "correct_artifacts": job.correct_artifacts,
        },
        "prep": {
            "resistance_is_conductance": prep.resistance_is_conductance,
            "source_from_resistance": prep.source_from_resistance,
            "r_cutoff": repr(prep.r_cutoff),
            "source_threshold": repr(prep.source_threshold),
            "reclass": [[repr(a), repr(b)] for a, b in prep.reclass],
        },
        "tile_size": tile_size,
        "files": files,
    }


def run(
    ini_path: str | Path,
    *,
    base_dir: str | Path | None = None,
    output_dir: str | Path | None = None,
    workers: int | None = None,
    scheduler: Any = None,
    resume: bool = True,
    overwrite: bool = False,
    progress: bool = True,
    quiet: bool = False,
    memory_limit: int | None = None,
    tile_size: int | None = None,
) -> OmniscapeResult:
    """Run an Omniscape.jl INI job and write Omniscape.jl's outputs.

    Writes ``cum_currmap``, ``flow_potential``, ``normalized_cum_currmap`` and
    ``classified_resistance`` (as the job asks; ``.tif`` or ``.asc`` per
    ``write_as_tif``, with the resistance raster's CRS and transform, NoData -9999)
    and a copy of the job as ``config.ini`` into the folder ``project_name``.

    Parameters
    ----------
    ini_path : str or Path
        The job, unchanged from Omniscape.jl.
    base_dir : str or Path, optional
        Folder against which relative input paths in the job are resolved (default:
        the working directory, as Omniscape.jl does).
    output_dir : str or Path, optional
        Write here instead of ``project_name`` (which is relative to the working
        directory, as in Omniscape.jl).
    workers : int, optional
        Worker processes; by default every core (small jobs run in this process).
    scheduler : str or distributed.Client, optional
        A dask.distributed scheduler (``tcp://host:port``): tiles are solved there; each
        task reads its tile and halo from the input files, which the workers must see
        at the same paths.
    resume : bool
        Resume from the tiles an interrupted run of the same job checkpointed in the
        output folder (False: start afresh).
    overwrite : bool
        Replace existing output files (never an input).
    progress : bool
        Show a progress bar on stderr (targets solved, rate, time left).
    quiet : bool
        Do not print the job summary and memory estimate to stderr.
    memory_limit : int, optional
        Bytes the run may use (default: the memory available); a larger estimate is
        refused before any solve.
    tile_size : int, optional
        Tile side in cells (the unit of work and of checkpoints); default: a window's
        width.

    Returns
    -------
    OmniscapeResult

    Raises
    ------
    JobFileError
        Invalid or missing options (every problem listed), contradictory conditional
        options.
    DataFileError
        A missing or unreadable input.
    RasterError
        Zero or negative resistance, NoData everywhere, inputs of different shapes.
    OutputError
        An output that exists (without ``overwrite``) or would replace an input.
    JobTooLargeError
        The estimated memory exceeds what is available.
    """
    t0 = time.perf_counter()
    job = load_job(ini_path, base_dir=base_dir)
    tile_size = tile_side(tile_size)
    inputs = open_inputs(job)
    prep = prep_from_job(job)
    shape = inputs.shape
    params = job_params(job, shape)
    where = str(job.ini_path)
    warn_geometry(params, where)
    folder = Path(output_dir) if output_dir is not None else Path(job.project_name)
    side = tile_size or default_tile_size(params)
    checkpoint = Checkpoint(folder, _description(job, params, prep, side, inputs))
    ext = "tif" if job.write_as_tif else "asc"
    targets = [folder / f"{name}.{ext}" for name in output_names(job)] + [folder / "config.ini"]
    read_paths = [job.ini_path, *job.input_files().values()]
    resuming = resume and checkpoint.exists() and checkpoint.matches()
    _check_outputs(folder, targets, read_paths, overwrite=overwrite or resuming)

    result_scan = scan(inputs, prep, block_size=params.block_size)
    tiles = make_tiles(params, side)
    params_holder: dict[str, Params] = {"p": params}

    def make_task(tile: Tile) -> TileTask:
        return TileTask(tile, params_holder["p"], prep, inputs)

    schedule = Schedule.build(tiles, result_scan.block_strengths, make_task)
    n_workers = choose_workers(workers, schedule.n_targets, len(schedule.tiles))
    maps_in_memory = shape[0] * shape[1] <= RESULT_MAX_CELLS
    estimate = estimate_run_memory(
        params,
        tile_size=side,
        workers=n_workers,
        distributed=scheduler is not None,
        maps_in_memory=maps_in_memory,
        output_maps=len(output_names(job)) if maps_in_memory else 0,
    )
    if not quiet:
        runner = (
            f"on the dask cluster at {scheduler}"
            if scheduler is not None
            else f"with {n_workers} worker process(es)"
            if n_workers > 1
            else "in this process"
        )
        print(
            f"corridors omniscape: {where}: {shape[0]} x {shape[1]} cells, "
            f"{schedule.n_targets} targets in {len(schedule.tiles)} tile(s), radius "
            f"{params.radius} + buffer {params.buffer}, block size {params.block_size}, "
            f"{runner}; {estimate.describe()}",
            file=sys.stderr,
        )
    check_memory(estimate, what=where, limit=memory_limit)
    if schedule.n_targets == 0:
        warnings.warn(
            f"{where}: no target: every block's source strength is 0 (check source_file, "
            "source_threshold or r_cutoff); the maps are all zero",
            OmniscapeWarning,
            stacklevel=2,
        )
    folder.mkdir(parents=True, exist_ok=True)
    params_holder["p"] = with_correction(params, job.correct_artifacts)
    current, flow, stats = solve_schedule(
        schedule,
        shape,
        params_holder["p"],
        workers=n_workers,
        scheduler=scheduler,
        checkpoint=checkpoint,
        resume=resume,
        progress=progress,
    )
    maps = _write_maps(job, inputs, prep, folder, current, flow, keep=maps_in_memory)
    atomic_write_text(folder / "config.ini", job.text)
    # Drop the memory maps before their folder goes.
    del current, flow
    checkpoint.clear()
    seconds = time.perf_counter() - t0
    if not quiet:
        print(
            f"corridors omniscape: {schedule.n_targets} targets solved in "
            f"{nice_seconds(seconds)}"
            + (
                f" ({stats.resumed_tiles} tile(s) resumed from a checkpoint)"
                if stats.resumed_tiles
                else ""
            )
            + f"; outputs in {folder}",
            file=sys.stderr,
        )
    return OmniscapeResult(
        cum_currmap=maps.get("cum_currmap"),
        flow_potential=maps.get("flow_potential"),
        normalized_cum_currmap=maps.get("normalized_cum_currmap"),
        classified_resistance=maps.get("classified_resistance"),
        transform=inputs.resistance.transform,
        crs=inputs.resistance.crs,
        n_targets=schedule.n_targets,
        files=[p for p in targets if p.exists()],
        folder=folder,
        resumed_tiles=stats.resumed_tiles,
        memory=estimate,
        seconds=seconds,
        core_seconds=stats.core_seconds,
        worker_peak_bytes=stats.worker_peak,
    )


def _check_outputs(
    folder: Path, targets: list[Path], inputs: list[Path | None], *, overwrite: bool
) -> None:
    """Refuse outputs that are inputs or exist (unless overwriting), before any work."""
    if folder.exists() and not folder.is_dir():
        raise OutputError(
            f"output folder {folder} is a file, not a folder; choose another project_name "
            "or --output-dir"
        )
    if folder.is_dir() and not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(
            f"output folder {folder} is not writable; choose a folder you can write to "
            "(project_name or --output-dir)"
        )
    existing = []
    for path in targets:
        for source in inputs:
            if source is not None and same_file(path, source):
                raise OutputError(
                    f"refusing to write {path}: it is the input {source}; writing it would "
                    "destroy the input. Choose another project_name or --output-dir"
                )
        if path.is_dir():
            raise OutputError(f"cannot write {path}: it is a directory; remove or rename it")
        if path.exists() and not overwrite:
            existing.append(path.name)
    if existing:
        raise OutputError(
            f"output folder {folder} already holds {', '.join(existing)} from an earlier "
            "run; pass overwrite=True (--force) to replace them, or choose another "
            "project_name or --output-dir"
        )


def _write_maps(
    job: OmniscapeJob,
    inputs: FileInputs,
    prep: Prep,
    folder: Path,
    current: np.ndarray,
    flow: np.ndarray | None,
    *,
    keep: bool,
) -> dict[str, np.ndarray]:
    """Finish the maps strip by strip and write them; return them if ``keep``."""
    shape = inputs.shape
    dtype = np.float64 if job.precision == "double" else np.float32
    ext = "tif" if job.write_as_tif else "asc"
    names = output_names(job)
    info = inputs.resistance
    kept: dict[str, np.ndarray] = {}
    if keep:
        kept["cum_currmap"] = np.empty(shape, dtype=dtype)
        if job.calc_flow_potential:
            kept["flow_potential"] = np.empty(shape, dtype=dtype)
        if job.calc_normalized_current:
            kept["normalized_cum_currmap"] = np.empty(shape, dtype=dtype)
        if job.reclassify_resistance:
            kept["classified_resistance"] = np.empty(shape, dtype=dtype)
    with ExitStack() as stack:
        writers = {
            name: stack.enter_context(
                GridWriter(folder / f"{name}.{ext}", shape, info.transform, info.crs, dtype)
            )
            for name in names
        }
        for r0, r1 in strips(shape[0], shape[1], 1):
            values = prep.reclassify(read_window(info, (r0, r1)))
            maps = finish_maps(
                current[r0:r1],
                None if flow is None else flow[r0:r1],
                np.isnan(values),
                flow_potential=job.calc_flow_potential,
                normalized=job.calc_normalized_current,
                mask_nodata=job.mask_nodata,
            )
            maps["classified_resistance"] = values
            for name, writer in writers.items():
                writer.write(r0, maps[name])
            for name, arr in kept.items():
                arr[r0:r1] = maps[name]
    return kept
