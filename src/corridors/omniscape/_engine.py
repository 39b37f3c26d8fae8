"""Scheduling the tiles of a job and adding up their partial maps.

Shared by :func:`corridors.omniscape.run` (inputs read from files by each task,
finished tiles checkpointed) and :func:`corridors.omniscape.omniscape` (inputs in
memory, shipped to each task).
"""

from __future__ import annotations

import math
import sys
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from .._typing import FloatArray
from ..errors import InputError
from ._checkpoint import Checkpoint
from ._config import OmniscapeWarning
from ._core import Params, TileResult, correction_array
from ._execute import resolve_workers, run_dask, run_processes, run_serial
from ._tiles import Tile, TileTask, tile_target_count
from ._window import WindowSolver

#: With ``workers`` left to its default, jobs with fewer targets than this run in the
#: calling process: starting a pool of workers (about a second) would cost more than
#: it saves.
MIN_PARALLEL_TARGETS = 200
#: Accumulated maps above this size go to a memory-mapped file in the checkpoint
#: folder instead of RAM, so a run's memory does not grow with the raster.
ACCUMULATOR_RAM_BYTES = 512 * 2**20


def _whole(value: Any, minimum: int) -> bool:
    ok = isinstance(value, int | np.integer) and not isinstance(value, bool)
    return ok and value >= minimum


def validate_geometry(radius: Any, buffer: Any, block_size: Any) -> tuple[int, int, int]:
    """Check the window options given to the array API; even block sizes are raised."""
    problems = []
    for name, value, minimum in (("radius", radius, 1), ("buffer", buffer, 0)):
        if not _whole(value, minimum):
            problems.append(f"{name} = {value!r} must be a whole number of cells >= {minimum}")
    if not _whole(block_size, 1):
        problems.append(f"block_size = {block_size!r} must be a whole number of cells >= 1")
    if problems:
        raise InputError("; ".join(problems))
    bs = int(block_size)
    if bs % 2 == 0:
        warnings.warn(
            f"block_size = {bs} is even but must be odd; using block_size = {bs + 1}, as "
            "Omniscape.jl does",
            OmniscapeWarning,
            stacklevel=3,
        )
        bs += 1
    return int(radius), int(buffer), bs


def warn_geometry(params: Params, where: str) -> None:
    """Warn when the window is larger than the raster, refuse blocks that do not fit."""
    if params.block_size > min(params.nrows, params.ncols):
        raise InputError(
            f"{where}: block_size = {params.block_size} is larger than the raster "
            f"({params.nrows} x {params.ncols} cells), so there is no target; use a "
            "smaller block_size"
        )
    if params.block_radius >= params.radius:
        warnings.warn(
            f"{where}: block_size = {params.block_size} reaches as far as radius = "
            f"{params.radius}: every source within the radius lies in the target's own "
            "block, which is cleared of sources, so no current flows; use a radius larger "
            f"than {params.block_radius} or a smaller block_size",
            stacklevel=3,
            category=OmniscapeWarning,
        )
    if params.radius >= max(params.nrows, params.ncols):
        warnings.warn(
            f"{where}: radius = {params.radius} cells reaches beyond the raster "
            f"({params.nrows} x {params.ncols} cells): every window is the whole raster "
            "and the moving window adds nothing; use a radius smaller than the raster",
            stacklevel=3,
            category=OmniscapeWarning,
        )


def with_correction(params: Params, correct_artifacts: bool) -> Params:
    """``params`` with the block-artefact correction when it applies (block_size > 1)."""
    if not correct_artifacts or params.block_size == 1:
        return params
    solver = WindowSolver(four_neighbors=params.four_neighbors)
    return replace(params, correction=correction_array(params, solver))


@dataclass
class RunStats:
    """What solving the tiles cost: CPU seconds over all workers, the largest worker."""

    resumed_tiles: int = 0
    core_seconds: float = 0.0
    worker_peak: int = 0


@dataclass
class Schedule:
    """The tiles with targets, their counts and how to make their tasks."""

    tiles: list[Tile]
    counts: dict[int, int]
    make_task: Callable[[Tile], TileTask]

    @property
    def n_targets(self) -> int:
        """Targets of the whole job."""
        return sum(self.counts.values())

    @classmethod
    def build(
        cls,
        tiles: list[Tile],
        block_strengths: FloatArray,
        make_task: Callable[[Tile], TileTask],
    ) -> Schedule:
        counts = {t.index: tile_target_count(t, block_strengths) for t in tiles}
        busy = [t for t in tiles if counts[t.index] > 0]
        return cls(busy, {t.index: counts[t.index] for t in busy}, make_task)


def choose_workers(workers: int | None, n_targets: int, n_tiles: int) -> int:
    """Worker processes to start: as asked, or every core for all but small jobs."""
    if workers is None and n_targets < MIN_PARALLEL_TARGETS:
        return 1
    n = resolve_workers(workers)
    return max(1, min(n, n_tiles))


def run_tasks(
    schedule: Schedule,
    *,
    skip: set[int],
    workers: int,
    scheduler: Any,
    progress: Callable[[int], None] | None,
) -> Iterator[tuple[int, TileResult]]:
    """Run every tile not in ``skip``, yielding results as they finish."""
    tasks = [schedule.make_task(t) for t in schedule.tiles if t.index not in skip]
    if scheduler is not None:
        stream = run_dask(tasks, scheduler)
    elif workers <= 1 or len(tasks) <= 1:
        stream = run_serial(tasks)
    else:
        stream = run_processes(tasks, workers)
    for index, result in stream:
        if progress is not None:
            progress(result.targets)
        yield index, result


def new_accumulators(
    shape: tuple[int, int], flow: bool, folder: Path | None
) -> tuple[FloatArray, FloatArray | None]:
    """Zeroed maps for the sums, in RAM or (large, with a folder) memory-mapped on disk."""
    nmaps = 2 if flow else 1
    big = shape[0] * shape[1] * 8 * nmaps > ACCUMULATOR_RAM_BYTES
    if big and folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
        cur = np.lib.format.open_memmap(folder / "sum_current.npy", "w+", np.float64, shape)
        fp = (
            np.lib.format.open_memmap(folder / "sum_flow.npy", "w+", np.float64, shape)
            if flow
            else None
        )
        return cur, fp
    return np.zeros(shape), (np.zeros(shape) if flow else None)


def add_tile(current: FloatArray, flow: FloatArray | None, result: TileResult) -> None:
    """Add a tile's partial maps where they lie."""
    h, w = result.current.shape
    win = (slice(result.row0, result.row0 + h), slice(result.col0, result.col0 + w))
    current[win] += result.current
    if flow is not None and result.flow_potential is not None:
        flow[win] += result.flow_potential


def progress_bar(total: int, initial: int, enabled: bool) -> Any:
    """A tqdm bar counting targets (rate and time left included), or None."""
    if not enabled or total == 0:
        return None
    from tqdm import tqdm  # deferred: tqdm (tqdm.auto probes IPython)

    return tqdm(
        total=total,
        initial=initial,
        unit="target",
        desc="omniscape",
        file=sys.stderr,
        dynamic_ncols=True,
        smoothing=0.1,
    )


def solve_schedule(
    schedule: Schedule,
    shape: tuple[int, int],
    params: Params,
    *,
    workers: int,
    scheduler: Any,
    checkpoint: Checkpoint | None,
    resume: bool,
    progress: bool,
) -> tuple[FloatArray, FloatArray | None, RunStats]:
    """Solve every tile (resuming from ``checkpoint``) and sum the partial maps in order.

    Returns the summed current, the summed flow potential (or None) and what the
    run cost.
    """
    done: set[int] = set()
    if checkpoint is not None:
        done = checkpoint.start(resume=resume) & set(schedule.counts)
    initial = sum(schedule.counts[i] for i in done)
    bar = progress_bar(schedule.n_targets, initial, progress)
    held: dict[int, TileResult] = {}
    try:
        for index, result in run_tasks(
            schedule,
            skip=done,
            workers=workers,
            scheduler=scheduler,
            progress=None if bar is None else bar.update,
        ):
            if checkpoint is not None:
                checkpoint.save(index, result)
            else:
                held[index] = result
    finally:
        if bar is not None:
            bar.close()
    flow = params.flow_potential
    folder = checkpoint.dir if checkpoint is not None else None
    current, fp = new_accumulators(shape, flow, folder)
    stats = RunStats(resumed_tiles=len(done))
    # Always in tile order, whichever finished first: the same sums bit for bit.
    for tile in schedule.tiles:
        result = held.pop(tile.index) if checkpoint is None else checkpoint.load(tile.index)
        add_tile(current, fp, result)
        stats.core_seconds += result.cpu_seconds
        stats.worker_peak = max(stats.worker_peak, result.peak_rss)
    return current, fp, stats


def tile_side(tile_size: int | None) -> int | None:
    """Check a tile size given by the caller."""
    if tile_size is None:
        return None
    if isinstance(tile_size, bool) or not isinstance(tile_size, int) or tile_size < 1:
        raise InputError(f"tile_size = {tile_size!r} must be a whole number of cells >= 1")
    return tile_size


def nice_seconds(seconds: float) -> str:
    """``1 h 02 min``, ``3 min 05 s`` or ``4.2 s``."""
    if seconds >= 3600:
        return f"{int(seconds // 3600)} h {int(seconds % 3600 // 60):02d} min"
    if seconds >= 60:
        return f"{int(seconds // 60)} min {int(seconds % 60):02d} s"
    return f"{seconds:.1f} s" if math.isfinite(seconds) else "?"
