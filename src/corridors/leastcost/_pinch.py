"""Pinch points: current flow between two cores inside their truncated corridor.

:func:`_pairwise_current` is the one place that talks to the circuit solver, so the
rest of the package never depends on how the current is computed.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.sparse.linalg import spsolve

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

_SQRT2 = float(np.sqrt(2.0))


def _pairwise_current(
    resistance: FloatArray,
    mask_a: BoolArray,
    mask_b: BoolArray,
    *,
    neighbors: int = 8,
) -> FloatArray:
    """Current through each cell when 1 A flows from focal region A to focal region B.

    Parameters
    ----------
    resistance : ndarray of float64, shape (rows, cols)
        Resistance > 0; ``inf`` cells are not part of the circuit.
    mask_a, mask_b : ndarray of bool, shape (rows, cols)
        The two focal regions; each is short-circuited into one node.
    neighbors : {8, 4}

    Returns
    -------
    ndarray of float64, shape (rows, cols)
        Current in amperes through each cell (Circuitscape's "cumulative current" for one
        pair: half the sum of the absolute currents on the cell's branches); 0 outside the
        circuit and on cells not connected to both regions.
    """
    # TEMPORARY: a local Laplacian solve until corridors.circuit exposes its pairwise API.
    rows, cols = resistance.shape
    valid = np.isfinite(resistance) & (resistance > 0)
    mask_a = mask_a & valid
    mask_b = mask_b & valid
    out = np.zeros((rows, cols), dtype=np.float64)
    if not mask_a.any() or not mask_b.any():
        return out
    # Node numbering: cells of A share node 0, cells of B node 1, other valid cells 2...
    node = np.full((rows, cols), -1, dtype=np.int64)
    other = valid & ~mask_a & ~mask_b
    node[mask_a] = 0
    node[mask_b] = 1
    node[other] = np.arange(2, 2 + int(other.sum()))
    n = 2 + int(other.sum())
    g = np.where(valid, 1.0 / np.where(valid, resistance, 1.0), 0.0)
    steps = [(0, 1, 1.0), (1, 0, 1.0)]
    if neighbors == 8:
        steps += [(1, 1, _SQRT2), (1, -1, _SQRT2)]
    us, vs, ws = [], [], []
    for dr, dc, length in steps:
        r0, r1 = (0, rows - dr) if dr >= 0 else (-dr, rows)
        c0, c1 = (0, cols - dc) if dc >= 0 else (-dc, cols)
        ga = g[r0:r1, c0:c1]
        gb = g[r0 + dr : r1 + dr, c0 + dc : c1 + dc]
        na = node[r0:r1, c0:c1]
        nb = node[r0 + dr : r1 + dr, c0 + dc : c1 + dc]
        ok = (na >= 0) & (nb >= 0) & (na != nb)
        # Series of two half cells: 1 / ((r1 + r2) / 2) = 2 g1 g2 / (g1 + g2).
        w = 2.0 * ga[ok] * gb[ok] / (ga[ok] + gb[ok]) / length
        us.append(na[ok])
        vs.append(nb[ok])
        ws.append(w)
    u = np.concatenate(us)
    v = np.concatenate(vs)
    w = np.concatenate(ws)
    adj = sp.coo_matrix((np.r_[w, w], (np.r_[u, v], np.r_[v, u])), shape=(n, n)).tocsr()
    lap = sp.diags(np.asarray(adj.sum(axis=1)).ravel()) - adj
    from scipy.sparse.csgraph import connected_components

    _, comp = connected_components(adj, directed=False)
    if comp[0] != comp[1]:
        return out
    keep = np.flatnonzero(comp == comp[0])
    # Ground B (node 1); inject 1 A at A (node 0).
    free = keep[keep != 1]
    pos = np.full(n, -1, dtype=np.int64)
    pos[free] = np.arange(free.size)
    rhs = np.zeros(free.size)
    rhs[pos[0]] = 1.0
    volts = np.zeros(n)
    volts[free] = spsolve(lap[free][:, free].tocsc(), rhs)
    branch = np.abs(w * (volts[u] - volts[v]))
    node_current: FloatArray = 0.5 * (
        np.bincount(u, branch, minlength=n) + np.bincount(v, branch, minlength=n)
    ).astype(np.float64)
    # The focal nodes carry the full 1 A (half in, half out is not meaningful for them).
    node_current[0] = node_current[1] = 1.0
    inside = node >= 0
    cur = node_current[node[inside]]
    cur[~np.isin(node[inside], keep)] = 0.0
    out[inside] = cur
    return out
