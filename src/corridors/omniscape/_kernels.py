"""Per-window array work of :mod:`._window` in numba: weights, assembly, currents.

Each is a handful of numpy passes over a window's ~30 000 edges otherwise, each
allocating a temporary; on a radius-50 window they cost about a third as much as the
factorisation. These loops give bit-for-bit the numbers of the numpy code they stand
for (same operations, same order of summation), so only the factorisation's order
changes a map, in its last bits. Used only when :data:`._ldl.AVAILABLE`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._ldl import _jit

_SQRT2 = float(np.sqrt(2.0))
#: Circuitscape treats branch currents below this share of the largest as zero
#: (as :func:`corridors.circuit._graph.node_currents` does).
_CURRENT_CUTOFF = 1e-8


@_jit
def edge_weights(g: Any, valid: Any, ea: Any, eb: Any, diagonal: Any) -> Any:  # pragma: no cover
    """Average conductance of each edge between two valid nodes (``/ sqrt 2`` diagonally)."""
    w = np.zeros(ea.size)
    for e in range(ea.size):
        a, b = ea[e], eb[e]
        if valid[a] and valid[b]:
            w[e] = 0.5 * (g[a] + g[b])
            if diagonal[e]:
                w[e] /= _SQRT2
    return w


@_jit
def assemble(
    n: int, ea: Any, eb: Any, w: Any, valid: Any, diag_pos: Any, edge_pos: Any, nnz: int
) -> Any:  # pragma: no cover
    """Values of the grounded Laplacian's upper triangle in the plan's layout.

    Invalid nodes get a unit diagonal (decoupled, so their voltage is 0).
    """
    from_a = np.zeros(n)
    from_b = np.zeros(n)
    for e in range(ea.size):
        from_a[ea[e]] += w[e]
        from_b[eb[e]] += w[e]
    data = np.empty(nnz)
    for k in range(1, n):
        data[diag_pos[k - 1]] = from_a[k] + from_b[k] if valid[k] else 1.0
    for e in range(ea.size):
        if edge_pos[e] >= 0:
            data[edge_pos[e]] = -w[e]
    return data


@_jit
def node_currents(n: int, u: Any, v: Any, w: Any, volts: Any) -> Any:  # pragma: no cover
    """Current through each node: the larger of its inflow and outflow.

    As :func:`corridors.circuit._graph.node_currents` computes it: flows below
    :data:`_CURRENT_CUTOFF` of the largest flow in their direction are dropped, and
    each node's inflow (outflow) sums its flows as the edge's second node, then as
    its first, in edge order.
    """
    m = u.size
    c = np.empty(m)
    for e in range(m):
        c[e] = w[e] * (volts[u[e]] - volts[v[e]])
    top_pos = c.max() if m else 0.0
    top_neg = (-c).max() if m else 0.0
    in_v = np.zeros(n)
    in_u = np.zeros(n)
    out_u = np.zeros(n)
    out_v = np.zeros(n)
    for e in range(m):
        pos = c[e]
        if top_pos != 0 and abs(pos / top_pos) < _CURRENT_CUTOFF:
            pos = 0.0
        neg = -c[e]
        if top_neg != 0 and abs(neg / top_neg) < _CURRENT_CUTOFF:
            neg = 0.0
        in_v[v[e]] += max(pos, 0.0)
        in_u[u[e]] += max(-pos, 0.0)
        out_u[u[e]] += max(-neg, 0.0)
        out_v[v[e]] += max(neg, 0.0)
    out = np.empty(n)
    for k in range(n):
        out[k] = max(in_v[k] + in_u[k], out_u[k] + out_v[k])
    return out
