"""Brownian bridges on a grid: the motion-variance likelihood and the occurrence kernel.

Notation of Horne et al. (2007, Ecology 88: 2354-2363). Between fixes a and b, T
minutes apart, at a fraction alpha of the way in time, the position is normal around
the straight line, ``mu = z_a + alpha (z_b - z_a)``, with variance per axis

    sigma^2 = T alpha (1 - alpha) sigma_m^2 + (1 - alpha)^2 delta_a^2 + alpha^2 delta_b^2

(sigma_m^2, the Brownian motion variance, in m^2 per minute; delta the location error
as a standard deviation per axis, m). Implemented from these published equations.
"""

from __future__ import annotations

import itertools
import math
import threading
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.special import ndtri

from .._typing import FloatArray, IntArray
from ._grid import STACK_TILES, TILE, Grid, TiledRaster

#: Largest share of a time step's probability mass left out of the square window its
#: normal distribution is evaluated over: a thousand times under the 1e-9 to which a UD
#: must equal the evaluation over the whole grid, so that the two differ by rounding,
#: not by truncation.
TAIL_MASS = 1e-12
#: Half-width of that window in standard deviations: beyond k on either side, on either
#: axis, lies at most 4 Phi(-k) = TAIL_MASS of the mass (k = 7.23).
TRUNCATE_SD = float(-ndtri(TAIL_MASS / 4))
#: Steps narrower than this share of a cell (standard deviation) are evaluated as this
#: wide: all their mass lands in the cell of their mean either way, and a standard
#: deviation of 0 (no motion variance, no location error) would divide by zero.
MIN_SD_CELLS = 1e-6
#: Steps are evaluated in classes whose reach (TRUNCATE_SD standard deviations, in
#: cells) spans at most this factor, so that a narrow step near a fix is not evaluated
#: over the window of a wide one at mid-bridge, nor one hour's bridge over an 8 h one's.
REACH_RATIO = 2.0
#: Within a class, the steps whose means lie in one square block of cells, this share of
#: the class's reach on a side, form a group: one matrix product accumulates the group
#: over the union of its steps' windows. Smaller blocks leave fewer cells outside each
#: step's own window but make more, smaller products; 0.25 to 1 measured within 10 % of
#: each other on the benchmark's herd.
BLOCK_SHARE = 0.5
#: Axis weights are computed for batches of groups of at most this many values per axis
#: (1 MiB of float64: cache-sized, and memory stays bounded however many steps a block
#: holds, as a block's steps are split into groups of at most this size).
BATCH_VALUES = 1 << 17
#: Rows of the bands a UD is accumulated in: each band spans only the columns its
#: windows reach, so a diagonal migration never allocates (and the system never zeroes)
#: its bounding box. A multiple of the tile, so that tiles are cut from a band whole.
BAND_ROWS = 2 * TILE

#: Largest scratch memory (bytes) a thread keeps between sequences for their bands.
SCRATCH_BYTES = 256 * 2**20

# ----------------------------------------------------------------------------- variance


@dataclass(frozen=True)
class MotionVariance:
    """A Brownian motion variance estimate (Horne et al. 2007, leave-one-out MLE).

    Attributes
    ----------
    m2_per_min : float
        The estimate, sigma_m^2, in square metres per minute (per axis).
    stderr_m2_per_min : float
        Its asymptotic standard error, from the Fisher information of the likelihood
        (1 / sqrt(sum a_i^2 / s_i^4), where s_i^2 = a_i sigma_m^2 + c_i is the variance
        of the left-out fix i around its bridge).
    n_bridges : int
        Independent left-out fixes the likelihood used (every other fix).
    location_error_m : float
        The location error assumed (m, standard deviation per axis).
    """

    m2_per_min: float
    stderr_m2_per_min: float
    n_bridges: int
    location_error_m: float

    def __float__(self) -> float:
        return self.m2_per_min


def loo_terms(
    x: FloatArray, y: FloatArray, t_min: FloatArray, delta_m: float, max_lag_min: float
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """The leave-one-out terms: for each odd fix i with both neighbours within
    ``max_lag_min`` of each other, its squared distance r^2 from the bridge between
    fixes i-1 and i+1, ``a = T alpha (1 - alpha)`` and ``c = ((1-alpha)^2 + alpha^2)
    delta^2``."""
    i = np.arange(1, len(x) - 1, 2)
    T = t_min[i + 1] - t_min[i - 1]
    ok = (T > 0) & (max_lag_min >= T)
    i, T = i[ok], T[ok]
    alpha = (t_min[i] - t_min[i - 1]) / T
    mx = x[i - 1] + alpha * (x[i + 1] - x[i - 1])
    my = y[i - 1] + alpha * (y[i + 1] - y[i - 1])
    r2 = (x[i] - mx) ** 2 + (y[i] - my) ** 2
    a = T * alpha * (1 - alpha)
    c = ((1 - alpha) ** 2 + alpha**2) * delta_m**2
    return r2, a, c


def estimate_variance(
    x: FloatArray, y: FloatArray, t_min: FloatArray, delta_m: float, max_lag_min: float
) -> MotionVariance:
    """Maximise the leave-one-out likelihood over sigma_m^2 >= 0 (see
    :class:`MotionVariance`); the log-likelihood of fix i is
    ``-log(2 pi s_i^2) - r_i^2 / (2 s_i^2)`` (isotropic, two axes)."""
    r2, a, c = loo_terms(x, y, t_min, delta_m, max_lag_min)
    n = len(r2)
    if n == 0:
        return MotionVariance(math.nan, math.nan, 0, delta_m)

    def nll(v: float) -> float:
        s2 = a * v + c
        return float(np.sum(np.log(s2) + r2 / (2.0 * s2)))

    # Without location error each fix alone gives r2 / (2 a); the estimate lies below
    # the largest of them.
    hi = float(np.max(r2 / (2.0 * a))) * 2.0 + 1e-9
    if np.all(c == 0):
        best = float(np.mean(r2 / (2.0 * a)))  # closed form when delta = 0
    else:
        # Search in log space: the likelihood is flat over decades of small variance.
        res = minimize_scalar(
            lambda u: nll(math.exp(u)),
            bounds=(math.log(1e-9), math.log(hi)),
            method="bounded",
            options={"xatol": 1e-10},
        )
        best = math.exp(float(res.x))
        if nll(0.0) <= nll(best):
            best = 0.0
    s2 = a * best + c
    info = float(np.sum(a**2 / s2**2))
    return MotionVariance(best, 1.0 / math.sqrt(info) if info > 0 else math.inf, n, delta_m)


# ----------------------------------------------------------------------------- steps


@dataclass
class Steps:
    """The time steps of a sequence's bridges (one row per step)."""

    mx: FloatArray  # mean position, grid CRS (m)
    my: FloatArray
    sd: FloatArray  # standard deviation per axis (m)
    w: FloatArray  # share of the sequence's time (sums to 1)
    bridge: IntArray  # the bridge (fix i to i+1) each step belongs to


def bridge_steps(
    x: FloatArray,
    y: FloatArray,
    t_min: FloatArray,
    *,
    variance_m2_per_min: float,
    delta_m: float,
    time_step_min: float,
    max_lag_min: float,
) -> Steps:
    """Time steps of every bridge no longer than ``max_lag_min``: bridge i (fix i to
    i+1, T minutes) gets K = ceil(T / time_step_min) steps at the midpoints
    alpha = (k + 1/2) / K, each weighing T / K of the time bridged."""
    T = np.diff(t_min)
    use = np.flatnonzero((T > 0) & (max_lag_min >= T))
    if len(use) == 0:
        empty = np.zeros(0)
        return Steps(empty, empty, empty, empty, np.zeros(0, dtype=np.intp))
    K = np.maximum(1, np.ceil(T[use] / time_step_min - 1e-9)).astype(np.intp)
    b = np.repeat(use, K)
    start = np.repeat(np.cumsum(K) - K, K)
    k = np.arange(len(b)) - start
    Kb = np.repeat(K, K)
    alpha = (k + 0.5) / Kb
    Tb = T[b]
    mx = x[b] + alpha * (x[b + 1] - x[b])
    my = y[b] + alpha * (y[b + 1] - y[b])
    var = (
        Tb * alpha * (1 - alpha) * variance_m2_per_min + ((1 - alpha) ** 2 + alpha**2) * delta_m**2
    )
    w = Tb / Kb
    return Steps(mx, my, np.sqrt(var), w / w.sum(), b)


# ----------------------------------------------------------------------------- kernel


@dataclass
class _Groups:
    """Steps sorted into groups (see :data:`BLOCK_SHARE`), in the order ``order``.

    Group g holds the sorted steps ``start[g]:end[g]``; its class's window (``width``
    cells square) has its upper-left cell at (``row0[g]``, ``col0[g]``), and the union
    of its steps' own windows spans rows ``row0 + rlo : row0 + rhi`` and columns
    ``col0 + clo : col0 + chi``. Groups of one class are consecutive, from
    ``class_start[i]`` to ``class_start[i + 1]``.
    """

    order: IntArray
    start: IntArray
    end: IntArray
    row0: IntArray
    col0: IntArray
    width: IntArray
    rlo: IntArray
    rhi: IntArray
    clo: IntArray
    chi: IntArray
    class_start: IntArray


def _groups(col: FloatArray, row: FloatArray, reach: FloatArray) -> _Groups:
    """Class (by reach), block and group of every step; ``col``/``row`` are positions
    in cells from the grid's upper-left corner, ``reach`` in cells."""
    n = len(col)
    klass = np.floor(np.log(np.maximum(reach, 1.0)) / math.log(REACH_RATIO)).astype(np.intp)
    _, klass = np.unique(klass, return_inverse=True)
    klass = klass.ravel()
    # Per class: its reach R (whole cells, >= every step's), block side B, window B + 2R.
    big = np.zeros(int(klass.max()) + 1)
    np.maximum.at(big, klass, reach)
    R = np.ceil(big).astype(np.intp)
    B = np.maximum(1, np.rint(BLOCK_SHARE * R)).astype(np.intp)
    W = B + 2 * R
    # Integer cells, so that a step lies in its block exactly, whatever the rounding.
    cx = np.floor(col).astype(np.intp)
    cy = np.floor(row).astype(np.intp)
    bx = cx // B[klass]
    by = cy // B[klass]
    order = np.lexsort((bx, by, klass))
    klass, bx, by = klass[order], bx[order], by[order]
    run = np.r_[True, (klass[1:] != klass[:-1]) | (by[1:] != by[:-1]) | (bx[1:] != bx[:-1])]
    # Long runs (a block an animal stays in for weeks) split into groups of at most one
    # batch, so that a batch always holds whole groups.
    run_start = np.flatnonzero(run)
    pos = np.arange(n) - np.repeat(run_start, np.diff(np.r_[run_start, n]))
    cap = np.maximum(1, BATCH_VALUES // W)[klass]
    start = np.flatnonzero(pos % cap == 0)
    end = np.r_[start[1:], n]
    k = klass[start]
    row0 = by[start] * B[k] - R[k]
    col0 = bx[start] * B[k] - R[k]
    # Each step's own window: every cell centre within its reach, and the cell of its
    # mean (a step narrower than a cell still lands there).
    c, r, x, y = reach[order], cx[order], col[order], row[order]
    c0 = np.minimum(np.ceil(x - c - 0.5), r).astype(np.intp)
    c1 = np.maximum(np.floor(x + c - 0.5) + 1, r + 1).astype(np.intp)
    r0 = np.minimum(np.ceil(y - c - 0.5), cy[order]).astype(np.intp)
    r1 = np.maximum(np.floor(y + c - 0.5) + 1, cy[order] + 1).astype(np.intp)
    width = W[k]
    # Within the class's window by construction; clipped against rounding all the same.
    clo = np.clip(np.minimum.reduceat(c0, start) - col0, 0, width)
    chi = np.clip(np.maximum.reduceat(c1, start) - col0, clo, width)
    rlo = np.clip(np.minimum.reduceat(r0, start) - row0, 0, width)
    rhi = np.clip(np.maximum.reduceat(r1, start) - row0, rlo, width)
    class_start = np.flatnonzero(np.r_[True, k[1:] != k[:-1], True])
    return _Groups(order, start, end, row0, col0, width, rlo, rhi, clo, chi, class_start)


def _axis_weights(
    v: FloatArray, frac: FloatArray, offset: FloatArray, width: int, out: FloatArray
) -> FloatArray:
    """(steps x width) normal weights along one axis over a window of ``width`` cells.

    ``v`` is one cell in standard deviations over sqrt(2); ``offset`` is ``v`` times
    (the window's centre minus the step's mean) in cells; ``frac`` is the mean's offset
    from the centre of its own cell (cells). Row i holds exp(-z^2 + z0^2) with z the
    scaled distance to each cell centre and z0 that to the mean's own cell centre, so
    that the nearest centre weighs 1 (no row underflows, however narrow the step); rows
    are scaled to sum to one later; they are written into the start of ``out`` (a
    buffer of at least steps x width values). The exponent, a quadratic in the cell index, is one
    product of (steps x 3) coefficients with (3 x width) powers of the centred index: a
    single pass where outer differences, squares and scalings would take four. For a
    step reaching at least a cell its terms stay below (1.25 (REACH_RATIO + 1)
    TRUNCATE_SD)^2 / 2 (~365; the window is 1.25 class reaches from its centre), so
    rounding moves each weight by less than 2e-13 of itself.
    """
    j = np.arange(width, dtype=float) - (width - 1) / 2.0
    powers = np.stack([np.ones(width), j, j * j])
    v2 = v * v
    coef = np.empty((len(v), 3))
    coef[:, 0] = v2 * frac * frac - offset * offset
    coef[:, 1] = -2.0 * offset * v
    coef[:, 2] = -v2
    weights = out[: len(v) * width].reshape(len(v), width)
    np.matmul(coef, powers, out=weights)
    np.exp(weights, out=weights)
    return weights


_local = threading.local()


def _scratch(size: int) -> FloatArray:
    """``size`` float64 values of this thread's scratch memory, kept between calls (up
    to SCRATCH_BYTES): bands faulted in afresh for every sequence cost a fifth of the
    kernel's time in page faults, more in pool and dask workers, which hand freed memory
    straight back to the system."""
    have: FloatArray | None = getattr(_local, "scratch", None)
    if have is not None and len(have) >= size:
        return have[:size]
    fresh = np.empty(max(size, 1))
    if size * 8 <= SCRATCH_BYTES:
        _local.scratch = fresh
    return fresh[:size]


class _Bands:
    """A UD accumulated in bands of BAND_ROWS rows, each over only the columns (whole
    tiles) that the windows touching it reach; cut into tiles at the end."""

    def __init__(self, r0: IntArray, r1: IntArray, c0: IntArray, c1: IntArray) -> None:
        # Rows [r0, r1) and columns [c0, c1) of every window that will be added.
        self.first = int(r0.min()) // BAND_ROWS
        count = (int(r1.max()) - 1) // BAND_ROWS + 1 - self.first
        b0 = r0 // BAND_ROWS - self.first
        span = (r1 - 1) // BAND_ROWS - self.first - b0 + 1
        band = np.repeat(b0, span) + _rank(span)
        lo = np.full(count, np.iinfo(np.intp).max)
        hi = np.full(count, np.iinfo(np.intp).min)
        np.minimum.at(lo, band, np.repeat(c0, span))
        np.maximum.at(hi, band, np.repeat(c1, span))
        self.col0: list[int] = []
        widths: list[int] = []
        for a, b in zip(lo.tolist(), hi.tolist(), strict=True):
            left = (a // TILE) * TILE if a <= b else 0
            self.col0.append(left)
            widths.append(-(-b // TILE) * TILE - left if a <= b else 0)  # 0: no window
        memory = _scratch(BAND_ROWS * sum(widths))
        memory.fill(0.0)
        self.data: list[FloatArray | None] = []
        at = 0
        for width in widths:
            cells = BAND_ROWS * width
            self.data.append(memory[at : at + cells].reshape(BAND_ROWS, width) if width else None)
            at += cells

    def add(self, row: int, col: int, window: FloatArray) -> None:
        """Add ``window`` with its upper-left cell at (row, col)."""
        b = row // BAND_ROWS
        top = b * BAND_ROWS
        nr = window.shape[0]
        if row + nr <= top + BAND_ROWS:  # within one band: most windows
            i = b - self.first
            c = col - self.col0[i]
            view = self.data[i][row - top : row - top + nr, c : c + window.shape[1]]  # type: ignore[index]
            view += window
            return
        cut = top + BAND_ROWS - row
        self.add(row, col, window[:cut])
        self.add(row + cut, col, window[cut:])

    def tiles(
        self, grid: Grid, r0: IntArray, r1: IntArray, c0: IntArray, c1: IntArray
    ) -> list[tuple[IntArray, FloatArray]]:
        """Stacks of keys (n, 2) and data (n, TILE, TILE), at most STACK_TILES each, of
        the grid's tiles that any window [r0, r1) x [c0, c1) touches and that hold a
        cell above exp(-TRUNCATE_SD^2 / 2) of the largest; cells beyond the grid are
        zero."""
        t = TILE
        ntr, ntc = -(-grid.nrows // t), -(-grid.ncols // t)
        tr0, tr1 = np.clip(r0 // t, 0, ntr), np.clip((r1 - 1) // t + 1, 0, ntr)
        tc0, tc1 = np.clip(c0 // t, 0, ntc), np.clip((c1 - 1) // t + 1, 0, ntc)
        ok = (tr0 < tr1) & (tc0 < tc1)
        if not ok.any():
            return []
        tr0, tr1, tc0, tc1 = tr0[ok], tr1[ok], tc0[ok], tc1[ok]
        # Covered tiles: a difference array over the windows' tile rectangles.
        a, b = int(tr0.min()), int(tc0.min())
        mark = np.zeros((int(tr1.max()) - a + 1, int(tc1.max()) - b + 1), dtype=np.int64)
        np.add.at(mark, (tr0 - a, tc0 - b), 1)
        np.add.at(mark, (tr1 - a, tc0 - b), -1)
        np.add.at(mark, (tr0 - a, tc1 - b), -1)
        np.add.at(mark, (tr1 - a, tc1 - b), 1)
        cover = mark.cumsum(axis=0).cumsum(axis=1) > 0
        per = BAND_ROWS // t
        found = []
        for i, band in enumerate(self.data):
            if band is None:
                continue
            top, left = (self.first + i) * per, self.col0[i] // t
            rows = slice(max(top, a), min(top + per, a + cover.shape[0]))
            cols = slice(max(left, b), min(left + band.shape[1] // t, b + cover.shape[1]))
            sub = cover[rows.start - a : rows.stop - a, cols.start - b : cols.stop - b]
            kr, kc = np.nonzero(sub)
            if len(kr) == 0:
                continue
            kr, kc = kr + rows.start, kc + cols.start
            # Cells beyond the grid's last row and column are not the grid's.
            band[max(0, grid.nrows - top * t) :, :] = 0.0
            band[:, max(0, grid.ncols - left * t) :] = 0.0
            blocks = band.reshape(per, t, band.shape[1] // t, t).transpose(0, 2, 1, 3)
            peak = blocks.max(axis=(2, 3))[kr - top, kc - left]
            found.append((blocks, top, left, kr, kc, peak))
        if not found:
            return []
        # A tile whose every cell is below what each window already leaves out
        # (exp(-k^2 / 2) of the largest cell) holds nothing the result can show: it is
        # not kept (a sixth of a migration's tiles, under 1e-13 of its mass).
        floor = math.exp(-(TRUNCATE_SD**2) / 2) * max(float(p.max()) for *_, p in found)
        out = []
        for blocks, top, left, kr, kc, peak in found:
            keep = peak > floor
            kr, kc = kr[keep], kc[keep]
            for j in range(0, len(kr), STACK_TILES):
                sr, sc = kr[j : j + STACK_TILES], kc[j : j + STACK_TILES]
                out.append((np.stack([sr, sc], axis=1), blocks[sr - top, sc - left]))
        return out


def _rank(counts: IntArray) -> IntArray:
    """0..n_j-1 for every run of the counts n_j, concatenated."""
    return np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)


def occurrence(steps: Steps, grid: Grid) -> TiledRaster:
    """The occurrence distribution of the steps on ``grid``: the time-weighted sum of
    each step's normal distribution, cells outside the grid left out, normalised so
    that the cells sum to one.

    Each step is evaluated at the cell centres of its own window (TRUNCATE_SD standard
    deviations each way) and scaled to carry exactly its share of time; the isotropic
    normal is separable, so a group of steps (:data:`BLOCK_SHARE`) is one matrix
    product, ``Gy^T diag(w) Gx``, over the union of its steps' windows. Tiles whose
    every cell is below exp(-TRUNCATE_SD^2 / 2) of the largest are left out. The result
    equals :func:`occurrence_dense_peer` within TAIL_MASS of each step's mass, and
    within exp(-TRUNCATE_SD^2 / 2) (4.6e-12) of the largest cell anywhere, plus
    rounding, wherever the grid holds each step's window.
    """
    if len(steps.w) == 0:
        return TiledRaster()
    h = grid.cell_size_m
    col = (steps.mx - grid.left) / h
    row = (grid.top - steps.my) / h
    sd = np.maximum(steps.sd, MIN_SD_CELLS * h)
    reach = TRUNCATE_SD * sd / h
    g = _groups(col, row, reach)
    col, row, w = col[g.order], row[g.order], steps.w[g.order]
    v = math.sqrt(0.5) * h / sd[g.order]
    fx = col - np.floor(col) - 0.5
    fy = row - np.floor(row) - 0.5
    ur0, ur1 = g.row0 + g.rlo, g.row0 + g.rhi
    uc0, uc1 = g.col0 + g.clo, g.col0 + g.chi
    bands = _Bands(ur0, ur1, uc0, uc1)
    start, end = g.start.tolist(), g.end.tolist()
    rlo, rhi, clo, chi = g.rlo.tolist(), g.rhi.tolist(), g.clo.tolist(), g.chi.tolist()
    top, left = ur0.tolist(), uc0.tolist()
    cs = g.class_start.tolist()
    # Buffers reused by every batch and group: a process pool's or dask's worker returns
    # freed memory to the system at once (dask sets MALLOC_TRIM_THRESHOLD_), so fresh
    # arrays would be faulted in again for every batch (measured twice the CPU time).
    widest = int(g.width.max())
    xbuf, ybuf = np.empty(max(BATCH_VALUES, widest)), np.empty(max(BATCH_VALUES, widest))
    obuf = np.empty(int(((g.rhi - g.rlo) * (g.chi - g.clo)).max()))
    for first, last in itertools.pairwise(cs):
        width = int(g.width[first])
        ones = np.ones(width)
        centre = width / 2.0
        cap = max(1, BATCH_VALUES // width)
        q = first
        while q < last:
            # A batch: whole groups, at most `cap` steps (a group alone if larger).
            s0 = start[q]
            qz = q + 1
            while qz < last and end[qz] - s0 <= cap:
                qz += 1
            s1 = end[qz - 1]
            owner = np.repeat(np.arange(q, qz), g.end[q:qz] - g.start[q:qz])
            vb = v[s0:s1]
            ux = vb * (g.col0[owner] + centre - col[s0:s1])
            uy = vb * (g.row0[owner] + centre - row[s0:s1])
            gx = _axis_weights(vb, fx[s0:s1], ux, width, xbuf)
            gy = _axis_weights(vb, fy[s0:s1], uy, width, ybuf)
            # Each step carries exactly its share of time over its window.
            gy *= (w[s0:s1] / ((gx @ ones) * (gy @ ones)))[:, None]
            for i in range(q, qz):
                a, z = start[i] - s0, end[i] - s0
                prod = obuf[: (rhi[i] - rlo[i]) * (chi[i] - clo[i])]
                prod = prod.reshape(rhi[i] - rlo[i], chi[i] - clo[i])
                np.matmul(gy[a:z, rlo[i] : rhi[i]].T, gx[a:z, clo[i] : chi[i]], out=prod)
                bands.add(top[i], left[i], prod)
            q = qz
    stacks = bands.tiles(grid, ur0, ur1, uc0, uc1)
    total = math.fsum(float(data.sum()) for _, data in stacks)
    if total > 0:
        for _, data in stacks:
            data *= 1.0 / total
    return TiledRaster.from_stacks(stacks, TILE)


def occurrence_dense_peer(steps: Steps, grid: Grid) -> FloatArray:
    """The straightforward evaluation: every step's normal density over the whole grid,
    one step at a time (for tests and the benchmark; far slower)."""
    c = grid.cell_size_m
    xc = grid.left + (np.arange(grid.ncols) + 0.5) * c
    yc = grid.top - (np.arange(grid.nrows) + 0.5) * c
    ud = np.zeros(grid.shape)
    for mx, my, sd, w in zip(steps.mx, steps.my, steps.sd, steps.w, strict=True):
        gx = np.exp(-0.5 * ((xc - mx) / sd) ** 2)
        gy = np.exp(-0.5 * ((yc - my) / sd) ** 2)
        ud += w * np.outer(gy / gy.sum(), gx / gx.sum())
    return ud / ud.sum()
