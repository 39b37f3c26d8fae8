"""Cost-weighted distance on a raster grid: Dijkstra's algorithm compiled with numba.

The cost model is scikit-image's ``MCP_Geometric`` (and ArcGIS Cost Distance's, Linkage
Mapper's, GRASS r.cost's): a step between neighbouring cells costs the mean of their two
resistances times the step length. The arithmetic is MCP_Geometric's, operation for
operation (``cost[u] + length * (r_u + r_v) / 2``; halving is exact in binary floating
point), so the costs are the same bits; ``tests/leastcost`` checks that on random rasters.

Why not MCP_Geometric itself: its heap is generic Python-object-free Cython but visits
neighbours through an offsets table with per-step bounds checks and keeps a second
cumulative-cost copy; on 16 million cells it takes about 1.7 times as long as this loop,
which pads the grid with a barrier border (no bounds checks), keeps half-resistances
(one multiply less per step) and uses a 4-ary heap (half the depth of a binary one, the
four children in one cache line). ``benchmarks/leastcost.py`` measures both.

Ties (two predecessors giving the same cost to a cell) may be broken in another order
than MCP_Geometric's, so on rasters with many equal-cost routes (uniform resistances)
the traceback can name another of the equally cheap paths; the costs do not change.
"""

from __future__ import annotations

import numpy as np

from .._typing import FloatArray, Int64Array

__all__ = ["grid_costs", "grid_offsets"]


def grid_offsets(neighbors: int) -> Int64Array:
    """The (row, col) steps to a cell's neighbours: 4 (rook) or 8 (queen)."""
    if neighbors == 4:
        steps = [(-1, 0), (0, -1), (0, 1), (1, 0)]
    else:
        steps = [(dr, dc) for dr in (-1, 0, 1) for dc in (-1, 0, 1) if (dr, dc) != (0, 0)]
    return np.asarray(steps, dtype=np.int64)


def grid_costs(
    resistance: FloatArray,
    starts: Int64Array,
    *,
    cell_size: tuple[float, float],
    offsets: Int64Array,
) -> tuple[FloatArray, np.ndarray]:
    """Accumulated cost from the start cells over a resistance grid.

    Parameters
    ----------
    resistance : ndarray of float64, shape (rows, cols)
        Resistance per cell, > 0; barriers are ``inf``.
    starts : ndarray of int64
        Flat (row-major) indices of the start cells; each costs 0.
    cell_size : (height, width)
        Cell size in metres (the step lengths come from it).
    offsets : ndarray of int64, shape (k, 2)
        Neighbour steps, from :func:`grid_offsets`.

    Returns
    -------
    cost : ndarray of float64, shape (rows, cols)
        Resistance x metres; ``inf`` on barriers and unreachable cells.
    traceback : ndarray of int16, shape (rows, cols)
        Index into ``offsets`` of the step that reached each cell; -1 on starts and
        unreached cells.
    """
    lengths = np.hypot(offsets[:, 0] * cell_size[0], offsets[:, 1] * cell_size[1])
    # numba takes ~0.4 s to import: only least-cost runs pay for it, on first use.
    from ._dijkstra_kernel import search

    cost, traceback = search(
        np.ascontiguousarray(resistance, dtype=np.float64),
        np.ascontiguousarray(starts, dtype=np.int64),
        np.ascontiguousarray(offsets[:, 0]),
        np.ascontiguousarray(offsets[:, 1]),
        lengths.astype(np.float64),
    )
    return cost, traceback
