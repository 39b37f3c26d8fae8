"""Smoothed-aggregation multigrid and preconditioned conjugate gradients.

The hierarchy is assembled from pyamg's building blocks (strength of connection,
standard aggregation, Gauss-Seidel relaxation) but kept in CSR throughout, with
the tentative prolongator written directly for the one near-null-space vector a
graph Laplacian has (the constants). That avoids the generic block-sparse path of
``pyamg.smoothed_aggregation_solver``, which on million-node grids spends most of
its setup time canonicalising 1x1-block matrices, and gives a V-cycle whose
Python overhead is a handful of calls per level.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp
from pyamg import amg_core
from pyamg.aggregation import standard_aggregation
from pyamg.relaxation.relaxation import gauss_seidel

from .._typing import FloatArray
from ..errors import warn
from ._errors import ConvergenceWarning

#: Connections weaker than this fraction of ``sqrt(a_ii * a_jj)`` do not join
#: aggregates. Resistance surfaces mix cells whose conductances differ by orders of
#: magnitude; keeping a cell of cheap habitat out of an aggregate dominated by a
#: barrier it barely touches is what keeps the iteration count low on such maps.
STRENGTH_THETA = 0.05
#: Stop coarsening at this many unknowns and solve the coarsest level densely.
MAX_COARSE = 500
#: Damping of the Jacobi prolongation smoother, with Gershgorin row weights.
OMEGA = 4.0 / 3.0
MAX_LEVELS = 25


@dataclass
class Hierarchy:
    """A multigrid hierarchy: operators, prolongators and a coarse inverse."""

    operators: list[sp.csr_matrix] = field(default_factory=list)
    prolongators: list[sp.csr_matrix] = field(default_factory=list)
    restrictors: list[sp.csr_matrix] = field(default_factory=list)
    coarse_inverse: FloatArray = field(default_factory=lambda: np.zeros((0, 0)))

    @property
    def nlevels(self) -> int:
        """Number of levels, the finest included."""
        return len(self.operators)

    def operator_complexity(self) -> float:
        """Stored nonzeros of all levels over those of the finest."""
        return sum(a.nnz for a in self.operators) / max(self.operators[0].nnz, 1)

    def precondition(self, r: FloatArray) -> FloatArray:
        """Apply one symmetric V-cycle to ``r`` (an approximation of ``A^-1 r``)."""
        dtype = self.operators[0].dtype
        return np.asarray(self._cycle(0, r.astype(dtype, copy=False)), dtype=np.float64)

    def _cycle(self, level: int, b: FloatArray) -> FloatArray:
        if level == len(self.operators) - 1:
            # einsum, not ``@``: a threaded BLAS matrix-vector product spins its
            # threads on a busy machine and costs more than the rest of the cycle.
            return np.asarray(np.einsum("ij,j->i", self.coarse_inverse, b))
        a = self.operators[level]
        x = np.zeros_like(b)
        # Forward then backward sweeps keep the V-cycle symmetric, as CG requires.
        gauss_seidel(a, x, b, iterations=1, sweep="forward")
        residual = a @ x
        np.subtract(b, residual, out=residual)
        x += self.prolongators[level] @ self._cycle(level + 1, self.restrictors[level] @ residual)
        gauss_seidel(a, x, b, iterations=1, sweep="backward")
        return x


def smoothed_aggregation(
    a: sp.csr_matrix,
    *,
    theta: float = STRENGTH_THETA,
    max_coarse: int = MAX_COARSE,
    omega: float = OMEGA,
    single_precision: bool | None = None,
) -> Hierarchy:
    """Build a smoothed-aggregation hierarchy for a symmetric positive definite matrix.

    Parameters
    ----------
    a : scipy.sparse.csr_matrix
        A grounded graph Laplacian (or one with a positive diagonal added), float64.
    theta : float
        Symmetric strength-of-connection threshold.
    max_coarse : int
        Size at which coarsening stops.
    omega : float
        Jacobi prolongation-smoother damping.
    single_precision : bool, optional
        Apply the V-cycle in float32, which halves the memory traffic of the
        smoothing sweeps that dominate each iteration. The preconditioner only
        needs to approximate the inverse, and CG itself runs in float64, so the
        accuracy of the solution is unchanged. By default float32 is used when every
        diagonal entry of every level is at least 1e-30 and no entry exceeds 1e30.
    """
    h = Hierarchy()
    a = sp.csr_matrix(a, dtype=np.float64)
    # Near-null-space candidate of a Laplacian: the constant vector; on coarse levels
    # its representation is carried along so that each tentative prolongator
    # reproduces it exactly.
    candidate = np.ones(a.shape[0])
    while True:
        h.operators.append(a)
        if a.shape[0] <= max_coarse or len(h.operators) >= MAX_LEVELS:
            break
        agg = sp.csr_matrix(standard_aggregation(_strength(a, theta))[0])
        n, ncoarse = agg.shape
        if ncoarse == 0 or ncoarse >= n:
            break
        rows = np.repeat(np.arange(n), np.diff(agg.indptr))
        norms = np.sqrt(np.bincount(agg.indices, weights=candidate[rows] ** 2, minlength=ncoarse))
        tentative = sp.csr_matrix(
            (candidate[rows] / norms[agg.indices], agg.indices.copy(), agg.indptr.copy()),
            shape=(n, ncoarse),
        )
        candidate = norms
        # Gershgorin (row-sum) weights avoid a spectral-radius estimate.
        rowsum = sp.csr_matrix((np.abs(a.data), a.indices, a.indptr), shape=a.shape) @ np.ones(n)
        weight = np.divide(omega, rowsum, out=np.zeros(n), where=rowsum > 0)
        update = sp.csr_matrix(a @ tentative)
        update.data *= np.repeat(weight, np.diff(update.indptr))
        p = sp.csr_matrix(tentative - update)
        p.sort_indices()
        r = sp.csr_matrix(p.T)
        coarse = sp.csr_matrix(r @ (a @ p))
        coarse.sum_duplicates()
        h.prolongators.append(p)
        h.restrictors.append(r)
        a = coarse
    h.coarse_inverse = _dense_inverse(h.operators[-1].toarray())
    if single_precision is None:
        single_precision = _fits_float32(h.operators)
    if single_precision:
        h.operators = [_single(m) for m in h.operators]
        h.prolongators = [_single(m) for m in h.prolongators]
        h.restrictors = [_single(m) for m in h.restrictors]
        h.coarse_inverse = h.coarse_inverse.astype(np.float32)
    return h


def _strength(a: sp.csr_matrix, theta: float) -> sp.csr_array:
    """Pattern of strong connections: ``|a_ij| >= theta * sqrt(|a_ii a_jj|)``.

    pyamg's kernel, called without the wrapper's row scaling, which aggregation
    does not use and which costs more than the kernel on large grids.
    """
    sp_ = np.empty_like(a.indptr)
    sj = np.empty_like(a.indices)
    sx = np.empty_like(a.data)
    amg_core.symmetric_strength_of_connection(
        a.shape[0], theta, a.indptr, a.indices, a.data, sp_, sj, sx
    )
    nnz = int(sp_[-1])
    return sp.csr_array((sx[:nnz], sj[:nnz], sp_), shape=a.shape)


def _dense_inverse(m: FloatArray) -> FloatArray:
    # The coarsest Galerkin operator of a grounded Laplacian is positive definite, so
    # a Cholesky factorisation is the cheap way in; a pseudo-inverse covers a singular
    # one (an ungrounded component) without failing.
    try:
        factor = sla.cho_factor(m, lower=True, check_finite=False)
        return np.asarray(sla.cho_solve(factor, np.eye(m.shape[0]), check_finite=False))
    except (np.linalg.LinAlgError, ValueError):
        return np.asarray(sla.pinvh(m))


def _single(m: sp.csr_matrix) -> sp.csr_matrix:
    # Share the index arrays: the finest operator is also the caller's matrix.
    return sp.csr_matrix((m.data.astype(np.float32), m.indices, m.indptr), shape=m.shape)


def _fits_float32(operators: list[sp.csr_matrix]) -> bool:
    # Off-diagonal entries far below their row's diagonal are round-off left by the
    # Galerkin products (1e-45 is common on coarse levels) and may flush to zero; what
    # must fit are the diagonals Gauss-Seidel divides by and the largest entries.
    for m in operators:
        diag = np.abs(m.diagonal())
        if diag.size and (diag.min() < 1e-30 or np.abs(m.data).max() > 1e30):
            return False
    return True


def pcg(
    a: sp.csr_matrix,
    b: FloatArray,
    hierarchy: Hierarchy,
    *,
    rtol: float,
    maxiter: int,
) -> tuple[FloatArray, int]:
    """Solve ``a x = b`` by multigrid-preconditioned conjugate gradients.

    Stops when ``||b - a x|| <= rtol * ||b||``; warns with
    :class:`ConvergenceWarning` if ``maxiter`` iterations do not get there.

    Returns
    -------
    x : ndarray
    iterations : int
    """
    x = np.zeros_like(b)
    # np.vdot rather than ``@``, which goes to a threaded BLAS (see _cycle).
    bnorm = math.sqrt(float(np.vdot(b, b)))
    if bnorm == 0.0:
        return x, 0
    r = b.copy()
    z = hierarchy.precondition(r)
    p = z.copy()
    rz = float(np.vdot(r, z))
    target = rtol * bnorm
    rnorm = bnorm
    scratch = np.empty_like(b)
    for it in range(1, maxiter + 1):
        q = a @ p
        alpha = rz / float(np.vdot(p, q))
        x += np.multiply(p, alpha, out=scratch)
        r -= np.multiply(q, alpha, out=scratch)
        rnorm = math.sqrt(float(np.vdot(r, r)))
        if rnorm <= target:
            return x, it
        z = hierarchy.precondition(r)
        rz_next = float(np.vdot(r, z))
        p *= rz_next / rz
        p += z
        rz = rz_next
    warn(
        f"conjugate gradients reached {maxiter} iterations with relative residual "
        f"{rnorm / bnorm:.1e} (wanted {rtol:.0e}); results may be inaccurate",
        ConvergenceWarning,
    )
    return x, maxiter
