"""The compiled loops of :mod:`._dijkstra` (imports numba, so loaded on first use)."""

from __future__ import annotations

from typing import Any

import numba
import numpy as np

__all__ = ["search"]

#: First heap capacity; it doubles when full. The heap holds about the frontier of the
#: search (a few cells per row of the raster), so 65,536 entries rarely grow.
_HEAP_START = 1 << 16
#: Children per heap node: four children's keys share one 64-byte cache line.
_ARITY = 4

_jit = numba.njit(cache=True, nogil=True)


@_jit
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


@_jit
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


@_jit
def _grow(keys: Any, vals: Any) -> tuple[Any, Any]:  # pragma: no cover
    """The heap's arrays at twice the capacity."""
    bigger_keys = np.empty(2 * keys.size, np.float64)
    bigger_vals = np.empty(2 * vals.size, np.int64)
    bigger_keys[: keys.size] = keys
    bigger_vals[: vals.size] = vals
    return bigger_keys, bigger_vals


@_jit
def search(
    resistance: Any, starts: Any, d_row: Any, d_col: Any, lengths: Any
) -> Any:  # pragma: no cover
    """Dijkstra from ``starts``; see :func:`._dijkstra.grid_costs`."""
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
    keys = np.empty(_HEAP_START, np.float64)
    vals = np.empty(_HEAP_START, np.int64)
    n = 0
    for s in starts:
        p = (s // cols + 1) * width + s % cols + 1
        if cost[p] != 0.0:
            cost[p] = 0.0
            if n == keys.size:
                keys, vals = _grow(keys, vals)
            _push(keys, vals, n, 0.0, p)
            n += 1
    while n > 0:
        d = keys[0]
        u = vals[0]
        n -= 1
        if n > 0:
            _sift_down(keys, vals, n)
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
                    keys, vals = _grow(keys, vals)
                _push(keys, vals, n, candidate, v)
                n += 1
    out = np.empty((rows, cols))
    out_back = np.empty((rows, cols), np.int16)
    for r in range(rows):
        base = (r + 1) * width + 1
        for c in range(cols):
            out[r, c] = cost[base + c]
            out_back[r, c] = back[base + c]
    return out, out_back
