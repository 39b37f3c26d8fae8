"""Tiles of targets: the unit of work, of parallelism and of checkpoints.

The raster's blocks are cut into rectangles of whole blocks. A tile's task reads the
tile plus a halo of ``radius + buffer`` cells (clipped to the raster) and returns the
sum of its windows' currents over that area: a partial map. Partial maps overlap
where halos do and are summed there (each target is solved by exactly one tile).

The tiling depends on the job alone, never on the number of workers, and partial
maps are added in tile order, so serial, multi-process and distributed runs give
the same maps bit for bit.
"""

from __future__ import annotations

import math
import sys
import threading
import time
from dataclasses import dataclass

import numpy as np

from ._core import Layers, Params, TileResult, solve_tile_layers
from ._rasters import FileInputs, Prep, read_window
from ._window import WindowSolver

#: Default tile side in cells when none is given: about a window's width, so a
#: tile's halo reads at most about eight times its area, with at least this many cells.
MIN_TILE_CELLS = 48
#: ... and at least this many blocks a side, so that a task (one read of its inputs,
#: one partial map, one checkpoint file) carries enough targets to be worth it.
MIN_TILE_BLOCKS = 8


@dataclass(frozen=True)
class Tile:
    """A rectangle of whole blocks and the cells its windows reach.

    Attributes
    ----------
    index : int
        Position in the job's tile order (row-major).
    blocks : (int, int, int, int)
        Block rows ``[kr0, kr1)`` and columns ``[kc0, kc1)``.
    rows, cols : (int, int)
        Cells ``[r0, r1)`` and ``[c0, c1)`` of the tile plus its halo, in the raster.
    """

    index: int
    blocks: tuple[int, int, int, int]
    rows: tuple[int, int]
    cols: tuple[int, int]

    @property
    def shape(self) -> tuple[int, int]:
        """Cells of the tile plus halo."""
        return (self.rows[1] - self.rows[0], self.cols[1] - self.cols[0])


def default_tile_size(params: Params) -> int:
    """Tile side in cells: a window's width, at least MIN_TILE_CELLS and MIN_TILE_BLOCKS."""
    return max(2 * params.reach + 1, MIN_TILE_CELLS, MIN_TILE_BLOCKS * params.block_size)


def make_tiles(params: Params, tile_size: int | None = None) -> list[Tile]:
    """Cut the job's blocks into tiles of about ``tile_size`` cells a side."""
    bs = params.block_size
    nb_r, nb_c = params.nrows // bs, params.ncols // bs
    size = default_tile_size(params) if tile_size is None else int(tile_size)
    per = max(1, math.ceil(size / bs))
    halo = params.halo
    tiles: list[Tile] = []
    for kr0 in range(0, nb_r, per):
        kr1 = min(nb_r, kr0 + per)
        for kc0 in range(0, nb_c, per):
            kc1 = min(nb_c, kc0 + per)
            rows = (max(0, kr0 * bs - halo), min(params.nrows, kr1 * bs + halo))
            cols = (max(0, kc0 * bs - halo), min(params.ncols, kc1 * bs + halo))
            tiles.append(Tile(len(tiles), (kr0, kr1, kc0, kc1), rows, cols))
    return tiles


def tile_target_count(tile: Tile, block_strengths: np.ndarray) -> int:
    """Targets of ``tile`` from the job's block strengths."""
    kr0, kr1, kc0, kc1 = tile.blocks
    return int(np.count_nonzero(block_strengths[kr0:kr1, kc0:kc1] > 0))


def read_layers(inputs: FileInputs, prep: Prep, tile: Tile) -> Layers:
    """Read and prepare a tile's data (its window of every input) through rasterio."""
    rows, cols = tile.rows, tile.cols
    values = prep.reclassify(read_window(inputs.resistance, rows, cols))
    src = read_window(inputs.source, rows, cols) if inputs.source is not None else None
    layers = Layers(
        row0=rows[0],
        col0=cols[0],
        conductance=prep.conductance(values),
        sources=prep.sources(values, src),
    )
    for name, info in inputs.layers().items():
        if name != "source":
            setattr(layers, name, read_window(info, rows, cols))
    return layers


def slice_layers(layers: Layers, tile: Tile) -> Layers:
    """The part of whole-raster ``layers`` that ``tile`` needs (copies, for shipping)."""
    r = slice(tile.rows[0] - layers.row0, tile.rows[1] - layers.row0)
    c = slice(tile.cols[0] - layers.col0, tile.cols[1] - layers.col0)

    def cut(a: np.ndarray | None) -> np.ndarray | None:
        return None if a is None else np.ascontiguousarray(a[r, c])

    return Layers(
        row0=tile.rows[0],
        col0=tile.cols[0],
        conductance=np.ascontiguousarray(layers.conductance[r, c]),
        sources=np.ascontiguousarray(layers.sources[r, c]),
        condition1=cut(layers.condition1),
        condition1_future=cut(layers.condition1_future),
        condition2=cut(layers.condition2),
        condition2_future=cut(layers.condition2_future),
    )


@dataclass(frozen=True)
class TileTask:
    """Everything a worker needs to solve one tile (picklable).

    Attributes
    ----------
    tile : Tile
    params : Params
    prep : Prep
        Used with ``inputs`` given as files.
    inputs : FileInputs or Layers
        Files to read the tile's window from, or the tile's data already prepared.
    """

    tile: Tile
    params: Params
    prep: Prep
    inputs: FileInputs | Layers


_local = threading.local()


def _solver(four_neighbors: bool) -> WindowSolver:
    """This thread's window solver (its cached plans outlive a task)."""
    cache: dict[bool, WindowSolver] | None = getattr(_local, "solvers", None)
    if cache is None:
        cache = {}
        _local.solvers = cache
    if four_neighbors not in cache:
        cache[four_neighbors] = WindowSolver(four_neighbors=four_neighbors)
    return cache[four_neighbors]


def release_solvers() -> None:
    """Drop this thread's window solvers and their cached plans (up to PLAN_CACHE_BYTES)."""
    _local.solvers = {}


def solve_task(task: TileTask) -> tuple[int, TileResult]:
    """Solve one tile: read its data (if given as files), solve its targets.

    Returns the tile's index and its partial maps. Runs in worker processes and on
    dask workers as well as in the calling process.
    """
    from threadpoolctl import threadpool_limits

    start = time.process_time()
    if isinstance(task.inputs, FileInputs):
        layers = read_layers(task.inputs, task.prep, task.tile)
    else:
        layers = task.inputs
    # Many small solves: BLAS threads would only compete with the other workers.
    with threadpool_limits(limits=1):
        result = solve_tile_layers(
            layers, task.tile.blocks, task.params, _solver(task.params.four_neighbors)
        )
    result.cpu_seconds = time.process_time() - start
    result.peak_rss = peak_rss()
    return task.tile.index, result


def peak_rss() -> int:
    """Peak resident memory of this process in bytes (0 where unknown)."""
    try:
        import resource
    except ImportError:  # pragma: no cover - not on Windows
        return 0
    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(kib) * (1 if sys.platform == "darwin" else 1024)
