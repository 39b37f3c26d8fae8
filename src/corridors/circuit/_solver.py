"""Linear solvers for grounded graph Laplacians, and the memory model.

A connected component's Laplacian is singular; grounding at least one node
(fixing its voltage to zero) makes the rest symmetric positive definite. Small
systems are factorised once with SuperLU (in symmetric mode) and the factor is
reused for every right-hand side; large ones use conjugate gradients
preconditioned with smoothed-aggregation algebraic multigrid (built from pyamg's
components in :mod:`._amg`), whose hierarchy is likewise built once per component
and reused.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from threadpoolctl import threadpool_limits

from .._typing import FloatArray
from ._amg import pcg, smoothed_aggregation
from ._errors import JobTooLargeError

#: Systems up to this many unknowns are factorised directly.
DIRECT_LIMIT = 60_000
#: Relative residual at which CG stops: Circuitscape's own rule (``tol = 1e-6``).
#: An effective resistance is a quadratic form, so its error is the squared energy
#: norm of the solution's error and lands far below this: 1.6e-8 from the 1m BigTests
#: baseline, the same as a direct solve gives.
CG_RTOL = 1e-6
CG_MAXITER = 2000


def _single_threaded_blas() -> Any:
    """Limit BLAS to one thread while multigrid runs.

    The cycle is memory-bound sparse work; OpenBLAS threads woken by its few small
    dense products spin between calls and, on a busy machine, more than double the
    solve time (0.57 s against 1.45 s for the 1m BigTests solve).
    """
    return threadpool_limits(limits=1, user_api="blas")


class GroundedSolver:
    """Solve ``L x = b`` with ``x = 0`` on a set of grounded nodes.

    Parameters
    ----------
    matrix : sparse matrix
        Laplacian of one connected component, possibly plus a diagonal of
        finite ground conductances.
    grounded : sequence of int
        Local indices whose voltage is fixed at zero (may be empty when the
        diagonal makes the matrix non-singular).
    method : {"auto", "direct", "amg"}
    """

    def __init__(
        self,
        matrix: sp.spmatrix,
        grounded: Sequence[int] | npt.NDArray[np.int64],
        *,
        method: str = "auto",
    ) -> None:
        n = matrix.shape[0]
        self.n = n
        mask = np.ones(n, dtype=bool)
        g = np.asarray(grounded, dtype=np.int64)
        mask[g] = False
        self.keep = np.flatnonzero(mask)
        self.full = self.keep.size == n
        a = sp.csr_matrix(matrix)
        if not self.full:
            a = a[self.keep][:, self.keep]
        a = a.tocsr()
        a.sum_duplicates()
        self.size = a.shape[0]
        if method == "auto":
            method = "direct" if self.size <= DIRECT_LIMIT else "amg"
        self.method = method
        self._lu: Any = None
        self._ml: Any = None
        self.iterations: list[int] = []
        if self.size == 0:
            return
        if method == "direct":
            self._lu = spla.splu(
                a.tocsc(),
                permc_spec="MMD_AT_PLUS_A",
                diag_pivot_thresh=0.0,
                options={"SymmetricMode": True},
            )
        else:
            self._a = a
            with _single_threaded_blas():
                self._ml = smoothed_aggregation(a)

    def solve(self, b: FloatArray) -> FloatArray:
        """Solve for one right-hand side (length ``n``); grounded entries of ``b`` are ignored."""
        out = np.zeros(self.n)
        if self.size == 0:
            return out
        rhs = b if self.full else b[self.keep]
        if self._lu is not None:
            x = self._lu.solve(np.ascontiguousarray(rhs, dtype=np.float64))
        else:
            with _single_threaded_blas():
                x, iterations = pcg(
                    self._a,
                    np.ascontiguousarray(rhs, dtype=np.float64),
                    self._ml,
                    rtol=CG_RTOL,
                    maxiter=CG_MAXITER,
                )
            self.iterations.append(iterations)
        if self.full:
            return np.asarray(x, dtype=np.float64)
        out[self.keep] = x
        return out

    def solve_many(self, b: FloatArray) -> FloatArray:
        """Solve for the columns of ``b`` (shape ``(n, k)``)."""
        if self._lu is not None and self.size:
            out = np.zeros((self.n, b.shape[1]))
            rhs = b if self.full else b[self.keep]
            x = self._lu.solve(np.asfortranarray(rhs, dtype=np.float64))
            if self.full:
                return np.asarray(x)
            out[self.keep] = x
            return out
        return np.column_stack([self.solve(b[:, k]) for k in range(b.shape[1])])


# Bytes per grid cell and per node, fitted to the measured peak (AMG setup) of
# 2.25M- to 20M-cell synthetic grids and the 6m BigTests job with 4 and 8 neighbours,
# with ~10% to spare: input rasters, node map, Laplacian, grounded copy, hierarchy.
_BYTES_PER_CELL = 40
_BYTES_PER_NODE_4 = 560
_BYTES_PER_NODE_8 = 800
_BASE_BYTES = 200 * 2**20


def estimate_memory(ncells: int, nnodes: int, *, four_neighbors: bool, nmaps: int = 3) -> int:
    """Estimated peak memory in bytes of one solve on a grid.

    Parameters
    ----------
    ncells : int
        Cells in the grid.
    nnodes : int
        Cells with habitat (nodes of the network).
    four_neighbors : bool
    nmaps : int
        Output maps held at once (cumulative, max, per-pair current and voltage).
    """
    per_node = _BYTES_PER_NODE_4 if four_neighbors else _BYTES_PER_NODE_8
    return int(_BASE_BYTES + ncells * (_BYTES_PER_CELL + 8 * nmaps) + nnodes * per_node)


def available_memory() -> int:
    """Memory available to this process in bytes (MemAvailable, or physical memory)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return 1 << 40


def check_memory(estimate: int, *, what: str, limit: int | None = None) -> None:
    """Raise :class:`JobTooLargeError` when ``estimate`` exceeds the memory available."""
    avail = available_memory() if limit is None else limit
    if estimate > avail:
        raise JobTooLargeError(
            f"{what} needs an estimated {estimate / 2**30:.1f} GiB but only "
            f"{avail / 2**30:.1f} GiB is available; use a coarser grid (aggregate cells), "
            "clip the habitat raster to the study area, or run on a machine with more memory"
        )
