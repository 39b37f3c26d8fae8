"""Sparse LDLᵀ of the window Laplacians, in a nested-dissection order (numba).

A window's unknowns are the cells of a disk of a grid; the grid's 8- (or 4-)
neighbour edges join adjacent rows and columns only, so one full row (or column) of
cells separates the cells above it from those below it. Ordering the separators
last, recursively (nested dissection), halves the fill's cost against the minimum
degree ordering qdldl computes: on the radius-50 window (7 844 unknowns) the factor
needs 13.2 million multiply-adds instead of 22.2 million.

The rank of each cell of a window's rectangle in that order depends on the
rectangle's shape alone, so it is computed once per shape; any subset of the
rectangle (a disk, a disk less its NoData) keeps a valid order by sorting its cells
by rank, since a separator of the rectangle restricted to the subset still separates.

The factorisation is the classic up-looking one (row ``k`` of ``L`` from the rows
above it), split into a symbolic part done once per pattern (the elimination tree,
the pattern of each row and column of ``L``) and a numeric part per window that only
multiplies and adds along those precomputed patterns. Everything here needs numba;
:data:`AVAILABLE` says whether it is installed (the caller falls back to qdldl).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from .._typing import FloatArray, Int64Array

numba: Any
try:
    import numba

    AVAILABLE = True
except ImportError:  # pragma: no cover - numba is optional; qdldl is the fallback
    numba = None
    AVAILABLE = False


#: Parts of the dissection smaller than this many cells are not split further. Fewer
#: flops the smaller they are (radius 50: 13.20 million at 8 cells, 13.26 at 16, 13.7
#: at 32, 14.8 at 64); 8 keeps the recursion short (a few thousand parts, once a shape).
ND_LEAF = 8


def _jit(func: Any) -> Any:
    """``numba.njit`` with an on-disk cache, or the plain function without numba."""
    if numba is None:  # pragma: no cover - not called without numba
        return func
    return numba.njit(cache=True, nogil=True, error_model="numpy")(func)


@functools.lru_cache(maxsize=64)
def nd_rank(shape: tuple[int, int]) -> Int64Array:
    """Position of each cell of a ``shape`` rectangle in a nested-dissection order.

    The rectangle is cut across its longer side by one line of cells (numbered after
    both halves), recursively, until parts hold fewer than :data:`ND_LEAF` cells.
    """
    h, w = shape
    rank = np.empty(h * w, dtype=np.int64)
    order: list[Int64Array] = []
    # Explicit stack of (r0, r1, c0, c1, separator-after) so deep shapes do not recurse.
    stack: list[tuple[int, int, int, int] | Int64Array] = [(0, h, 0, w)]
    while stack:
        item = stack.pop()
        if isinstance(item, np.ndarray):
            order.append(item)
            continue
        r0, r1, c0, c1 = item
        if (r1 - r0) * (c1 - c0) < ND_LEAF or min(r1 - r0, c1 - c0) < 3:
            rr, cc = np.mgrid[r0:r1, c0:c1]
            order.append((rr * w + cc).ravel())
            continue
        if r1 - r0 >= c1 - c0:
            mid = (r0 + r1) // 2
            sep = mid * w + np.arange(c0, c1)
            halves = [(r0, mid, c0, c1), (mid + 1, r1, c0, c1)]
        else:
            mid = (c0 + c1) // 2
            sep = np.arange(r0, r1) * w + mid
            halves = [(r0, r1, c0, mid), (r0, r1, mid + 1, c1)]
        # Popped in reverse: first half, second half, then the separator.
        stack.append(sep)
        stack.extend(reversed(halves))
    cells = np.concatenate(order)
    rank[cells] = np.arange(cells.size)
    return rank


@_jit
def _symbolic(n: int, ap: Any, ai: Any) -> tuple[Any, Any, Any, Any]:  # pragma: no cover - compiled
    """Row and column patterns of ``L`` from the upper triangle ``(ap, ai)`` (CSC)."""
    parent = np.full(n, -1, dtype=np.int64)
    mark = np.full(n, -1, dtype=np.int64)
    row_count = np.zeros(n, dtype=np.int64)
    col_count = np.zeros(n, dtype=np.int64)
    # Elimination tree and counts: row k of L is the set of nodes met walking up the
    # tree from each nonzero of column k of the upper triangle, until k.
    for k in range(n):
        mark[k] = k
        for p in range(ap[k], ap[k + 1]):
            i = ai[p]
            while i < k and mark[i] != k:
                if parent[i] == -1:
                    parent[i] = k
                mark[i] = k
                row_count[k] += 1
                col_count[i] += 1
                i = parent[i]
    rp = np.zeros(n + 1, dtype=np.int64)
    lp = np.zeros(n + 1, dtype=np.int64)
    for k in range(n):
        rp[k + 1] = rp[k] + row_count[k]
        lp[k + 1] = lp[k] + col_count[k]
    rj = np.empty(rp[n], dtype=np.uint32)
    li = np.empty(lp[n], dtype=np.uint32)
    fill = lp[:n].copy()
    mark[:] = -1
    path = np.empty(n, dtype=np.int64)
    for k in range(n):
        mark[k] = k
        # Row k's columns in a topological order of the tree (a column before its
        # ancestors, which it updates): each new path up the tree, which stops at a
        # node already met, goes before the paths found earlier.
        top = rp[k + 1]
        for p in range(ap[k], ap[k + 1]):
            i = ai[p]
            length = 0
            while i < k and mark[i] != k:
                mark[i] = k
                path[length] = i
                length += 1
                i = parent[i]
            top -= length
            for t in range(length):
                rj[top + t] = path[t]
        for q in range(rp[k], rp[k + 1]):
            j = rj[q]
            li[fill[j]] = k
            fill[j] += 1
    return rp, rj, lp, li


@_jit
def _numeric(
    n: int, ap: Any, ai: Any, ax: Any, rp: Any, rj: Any, lp: Any, li: Any, lx: Any, d: Any
) -> bool:  # pragma: no cover - compiled
    """Fill ``lx`` and ``d`` with the LDLᵀ of the upper triangle ``(ap, ai, ax)``.

    Returns False if a pivot is not positive (the matrix is not positive definite).
    """
    y = np.zeros(n)
    fill = lp[:n].copy()
    for k in range(n):
        dk = 0.0
        for p in range(ap[k], ap[k + 1]):
            i = ai[p]
            if i == k:
                dk = ax[p]
            else:
                y[i] = ax[p]
        for q in range(rp[k], rp[k + 1]):
            j = rj[q]
            yj = y[j]
            y[j] = 0.0
            end = fill[j]
            # Unsigned indices spare numba its negative-index check in the hot loop.
            for p in range(np.uint64(lp[j]), np.uint64(end)):
                y[li[p]] -= lx[p] * yj
            lkj = yj / d[j]
            dk -= yj * lkj
            lx[end] = lkj
            fill[j] = end + 1
        if not dk > 0.0:
            return False
        d[k] = dk
    return True


@_jit
def _solve(
    n: int, lp: Any, li: Any, lx: Any, d: Any, perm: Any, b: Any
) -> Any:  # pragma: no cover - compiled
    """``x`` with ``A x = b``, ``A[perm][:, perm] = L D Lᵀ``."""
    x = np.empty(n)
    for k in range(n):
        x[k] = b[perm[k]]
    for j in range(n):
        xj = x[j]
        if xj != 0.0:
            for p in range(lp[j], lp[j + 1]):
                x[li[p]] -= lx[p] * xj
    for j in range(n):
        x[j] /= d[j]
    for j in range(n - 1, -1, -1):
        s = x[j]
        for p in range(lp[j], lp[j + 1]):
            s -= lx[p] * x[li[p]]
        x[j] = s
    out = np.empty(n)
    for k in range(n):
        out[perm[k]] = x[k]
    return out


@dataclass
class Factor:
    """LDLᵀ of one pattern in nested-dissection order, refactorised per window.

    Built from the pattern of the upper triangle (compressed columns) and each
    unknown's rank in the dissection; :meth:`update` takes a matrix's values in that
    layout and :meth:`solve` solves with the last one.
    """

    n: int
    perm: Int64Array
    source: Int64Array
    ap: Int64Array
    ai: Int64Array
    rp: Int64Array
    rj: Int64Array
    lp: Int64Array
    li: Int64Array
    lx: FloatArray
    d: FloatArray

    @classmethod
    def analyse(
        cls,
        indptr: npt.NDArray[np.integer[Any]],
        indices: npt.NDArray[np.integer[Any]],
        rank: Int64Array,
    ) -> Factor:
        """Symbolic analysis of the upper triangle ``(indptr, indices)``.

        ``rank`` orders the unknowns (lowest first); ``source`` maps each entry of
        the permuted upper triangle to its position in the original ``data``.
        """
        n = indptr.size - 1
        perm = np.argsort(rank, kind="stable").astype(np.int64)
        inverse = np.empty(n, dtype=np.int64)
        inverse[perm] = np.arange(n)
        cols = np.repeat(np.arange(n), np.diff(indptr))
        rows = np.asarray(indices, dtype=np.int64)
        pr, pc = inverse[rows], inverse[cols]
        lo, hi = np.minimum(pr, pc), np.maximum(pr, pc)
        order = np.lexsort((lo, hi))
        ap = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(hi, minlength=n), out=ap[1:])
        ai = lo[order]
        rp, rj, lp, li = _symbolic(n, ap, ai)
        return cls(
            n=n,
            perm=perm,
            source=order.astype(np.int64),
            ap=ap,
            ai=ai,
            rp=rp,
            rj=rj,
            lp=lp,
            li=li,
            lx=np.empty(li.size),
            d=np.empty(n),
        )

    def update(self, data: FloatArray) -> None:
        """Factorise the matrix whose upper triangle holds ``data`` (original layout)."""
        ax = data[self.source]
        if not _numeric(
            self.n, self.ap, self.ai, ax, self.rp, self.rj, self.lp, self.li, self.lx, self.d
        ):
            raise np.linalg.LinAlgError("window matrix is not positive definite")

    def solve(self, b: FloatArray) -> FloatArray:
        """The solution for right-hand side ``b`` with the last factorised matrix."""
        return _solve(self.n, self.lp, self.li, self.lx, self.d, self.perm, b)
