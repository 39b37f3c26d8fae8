"""Pinch points: current flow between two cores inside their truncated corridor.

:func:`_pairwise_current` is the one place that talks to the circuit solver
(:func:`corridors.circuit.pairwise`), so the rest of the package never depends on how
the current is computed.
"""

from __future__ import annotations

import numpy as np

from .._typing import BoolArray, FloatArray


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
        Circuitscape's cumulative current for the pair (amperes): half the sum of the
        absolute currents on each cell's branches, 1 A in the focal regions; 0 outside
        the circuit and where A and B are not connected.
    """
    from ..circuit import pairwise  # deferred: the circuit package loads scipy and pyamg

    out = np.zeros(resistance.shape, dtype=np.float64)
    valid = np.isfinite(resistance) & (resistance > 0)
    mask_a = mask_a & valid
    mask_b = mask_b & valid
    if not mask_a.any() or not mask_b.any():
        return out
    ids = np.zeros(resistance.shape, dtype=np.int32)
    ids[mask_a] = 1
    ids[mask_b] = 2
    result = pairwise(
        np.where(valid, resistance, np.nan),  # NaN is the circuit module's nodata
        ids,
        four_neighbors=neighbors == 4,
        keep_maps=False,
    )
    current = np.asarray(result.cum_current, dtype=np.float64)
    np.copyto(out, current, where=np.isfinite(current))
    return out
