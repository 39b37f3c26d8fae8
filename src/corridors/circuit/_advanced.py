"""Advanced mode's sources and grounds, shared by raster and network jobs.

Circuitscape's rules live here once: how source and ground values are read (unit
currents, grounds as resistances or conductances, direct grounds), what happens
where a node is both a source and a ground, and which components are solved.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.sparse as sp

from .._typing import FloatArray, Int64Array
from ._solver import GroundedSolver

POLICIES = ("keepall", "rmvsrc", "rmvgnd", "rmvall")


def source_currents(values: FloatArray, *, unit_currents: bool) -> FloatArray:
    """Current injected per cell or row: NaN means none; ``unit_currents`` makes each 1 A."""
    s = np.nan_to_num(np.asarray(values, dtype=np.float64), nan=0.0)
    return np.where(s != 0, 1.0, 0.0) if unit_currents else s


def ground_conductances(
    values: FloatArray, *, is_resistance: bool, direct_grounds: bool
) -> FloatArray:
    """Conductance to ground per cell or row (``inf`` for a direct ground; 0 for none).

    NaN means no ground. A ground resistance of 0 is a direct ground; with
    ``direct_grounds`` every ground is.
    """
    v = np.asarray(values, dtype=np.float64)
    valid = np.isfinite(v)
    if is_resistance:
        with np.errstate(divide="ignore"):
            g = np.where(valid, 1.0 / np.where(valid, v, 1.0), 0.0)
    else:
        g = np.where(valid, v, 0.0)
    if direct_grounds:
        g = np.where(g != 0, np.inf, 0.0)
    return g


def resolve_conflicts(
    src: FloatArray, gnd: FloatArray, policy: str
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Apply the policy where a node is both source and ground (arrays per node).

    ``keepall``, ``rmvsrc``, ``rmvgnd`` or ``rmvall``; independently of the policy a
    source on a direct ground keeps its source and loses the ground, as in
    Circuitscape. Returns sources, grounds and the finite ground conductances.
    """
    src = src.copy()
    gnd = gnd.copy()
    conflict = (src != 0) & (gnd != 0)
    if policy in {"rmvsrc", "rmvall"}:
        src[conflict] = 0.0
    if policy in {"rmvgnd", "rmvall"}:
        gnd[conflict] = 0.0
    gnd[np.isinf(gnd) & (src > 0)] = 0.0
    return src, gnd, np.where(np.isfinite(gnd), gnd, 0.0)


def solve_components(
    components: list[Int64Array],
    matrix: Callable[[Int64Array, FloatArray], sp.csr_matrix],
    src: FloatArray,
    gnd: FloatArray,
    finite: FloatArray,
    *,
    method: str = "auto",
) -> tuple[FloatArray, int]:
    """Node voltages of every component holding both a source and a ground.

    ``matrix(members, finite_grounds)`` gives a component's Laplacian plus its finite
    ground conductances; direct grounds are fixed at 0 V. Returns the voltages (0 in
    components left unsolved) and the number of solves.
    """
    voltages = np.zeros(src.size)
    solves = 0
    for members in components:
        if not np.any(src[members]) or not np.any(gnd[members]):
            continue
        direct = np.flatnonzero(np.isinf(gnd[members]))
        solver = GroundedSolver(matrix(members, finite[members]), direct, method=method)
        voltages[members] = solver.solve(src[members])
        solves += 1
    return voltages, solves
