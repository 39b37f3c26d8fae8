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

from typing import Any

import numpy as np

from .._typing import FloatArray, Int64Array

__all__ = ["grid_offsets", "grid_costs"]

#: First heap capacity; it doubles when full. The heap holds about the frontier of the
#: search (a few cells per row of the raster), so 65,536 entries rarely grow.
_HEAP_START = 1 << 16
#: Children per heap node: four children's keys share one 64-byte cache line.
_ARITY = 4


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
    kernel = _compiled()
    cost, traceback = kernel(
        np.ascontiguousarray(resistance, dtype=np.float64),
        np.ascontiguousarray(starts, dtype=np.int64),
        np.ascontiguousarray(offsets[:, 0]),
        np.ascontiguousarray(offsets[:, 1]),
        lengths.astype(np.float64),
    )
    return cost, traceback


_KERNEL: Any = None


def _compiled() -> Any:
    """The numba kernel, compiled (or loaded from numba's cache) on first use."""
    global _KERNEL
    if _KERNEL is None:
        # numba takes ~0.4 s to import: only the least-cost runs pay for it.
        import numba

        jit = numba.njit(cache=True, nogil=True)
        push = jit(_push)
        sift = jit(_sift_down)
        grow = jit(_grow)
        _KERNEL = jit(_make_search(push, sift, grow))
    return _KERNEL


def _push(keys: Any, vals: Any, n: int, key: float, val: int) -> None:  # pragma: no cover
    """Insert (key, val) into the 4-ary min-heap of size ``n`` (room for one more)."""
    i = n
    while i > 0:
        parent = (i - 1) >> 2
        if keys[parent] <= key:
            break
        keys[i] = keys[parent]
        vals[i] = vals[parent]
        i = parent
    keys[i] = key
    vals[i] = val


def _sift_down(keys: Any, vals: Any, n: int) -> None:  # pragma: no cover
    """Move the last entry (index ``n``) to the root's place and sift it down."""
    key = keys[n]
    val = vals[n]
    i = 0
    while True:
        first = _ARITY * i + 1
        if first >= n:
            break
        best = first
        best_key = keys[first]
        for j in range(first + 1, min(first + _ARITY, n)):
            if keys[j] < best_key:
                best_key = keys[j]
                best = j
        if key <= best_key:
            break
        keys[i] = best_key
        vals[i] = vals[best]
        i = best
    keys[i] = key
    vals[i] = val


def _grow(keys: Any, vals: Any) -> tuple[Any, Any]:  # pragma: no cover
    """The heap's arrays at twice the capacity."""
    bigger_keys = np.empty(2 * keys.size, np.float64)
    bigger_vals = np.empty(2 * vals.size, np.int64)
    bigger_keys[: keys.size] = keys
    bigger_vals[: vals.size] = vals
    return bigger_keys, bigger_vals


def _make_search(push: Any, sift: Any, grow: Any) -> Any:
    """The Dijkstra loop, closing over the compiled heap helpers."""
    heap_start = _HEAP_START

    def search(
        resistance: Any, starts: Any, d_row: Any, d_col: Any, lengths: Any
    ) -> Any:  # pragma: no cover
        rows, cols = resistance.shape
        width = cols + 2
        size = (rows + 2) * width
        # Half-resistances on a grid padded with a barrier border: a neighbour outside
        # the raster is a barrier, so the loop needs no bounds checks.
        half = np.full(size, np.inf)
        for r in range(rows):
            base = (r + 1) * width + 1
            for c in range(cols):
                half[base + c] = resistance[r, c] * 0.5
        cost = np.full(size, np.inf)
        back = np.full(size, -1, np.int16)
        done = np.zeros(size, np.bool_)
        k_count = d_row.size
        step = np.empty(k_count, np.int64)
        for k in range(k_count):
            step[k] = d_row[k] * width + d_col[k]
        keys = np.empty(heap_start, np.float64)
        vals = np.empty(heap_start, np.int64)
        n = 0
        for s in starts:
            p = (s // cols + 1) * width + s % cols + 1
            if cost[p] != 0.0:
                cost[p] = 0.0
                if n == keys.size:
                    keys, vals = grow(keys, vals)
                push(keys, vals, n, 0.0, p)
                n += 1
        while n > 0:
            d = keys[0]
            u = vals[0]
            n -= 1
            if n > 0:
                sift(keys, vals, n)
            if done[u]:
                continue  # a stale entry: u was settled at a lower cost
            done[u] = True
            h_u = half[u]
            for k in range(k_count):
                v = u + step[k]
                h_v = half[v]
                if h_v == np.inf or done[v]:
                    continue
                # MCP_Geometric's arithmetic: length * 0.5 * (r_u + r_v), then add.
                candidate = d + (h_u + h_v) * lengths[k]
                if candidate < cost[v]:
                    cost[v] = candidate
                    back[v] = k
                    if n == keys.size:
                        keys, vals = grow(keys, vals)
                    push(keys, vals, n, candidate, v)
                    n += 1
        out = np.empty((rows, cols))
        out_back = np.empty((rows, cols), np.int16)
        for r in range(rows):
            base = (r + 1) * width + 1
            for c in range(cols):
                out[r, c] = cost[base + c]
                out_back[r, c] = back[base + c]
        return out, out_back

    return search
