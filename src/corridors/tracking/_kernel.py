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
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize_scalar

from ._grid import Grid, TiledRaster

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]

#: Each time step's normal distribution is evaluated out to this many standard
#: deviations: the mass left out is below 4 Phi(-6.5) = 1.6e-10 of the step's, so a
#: UD differs from one evaluated over the whole grid by less than that anywhere.
TRUNCATE_SD = 6.5
#: A chunk of consecutive time steps is evaluated as one matrix product over a window
#: of at most this many cells (or one bridge's own window, if larger) ...
CHUNK_CELLS = 128 * 128
#: ... and at most this many time steps (bounds the chunk's working arrays).
CHUNK_STEPS = 4096


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


def ranges(counts: IntArray) -> tuple[IntArray, IntArray]:
    """For counts n_j: the owner j and rank 0..n_j-1 of every element of the runs."""
    counts = np.asarray(counts, dtype=np.intp)
    owner = np.repeat(np.arange(len(counts), dtype=np.intp), counts)
    start = np.repeat(np.cumsum(counts) - counts, counts)
    return owner, np.arange(len(owner), dtype=np.intp) - start


def step_windows(steps: Steps, grid: Grid) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """First and one-past-last column and row of each step's window (TRUNCATE_SD), in
    grid cells (may reach beyond the grid)."""
    c = grid.cell_size_m
    reach = TRUNCATE_SD * steps.sd
    # Cell j's centre is at left + (j + 0.5) c; take every centre within reach.
    c0 = np.ceil((steps.mx - reach - grid.left) / c - 0.5).astype(np.intp)
    c1 = np.floor((steps.mx + reach - grid.left) / c - 0.5).astype(np.intp) + 1
    r0 = np.ceil((grid.top - (steps.my + reach)) / c - 0.5).astype(np.intp)
    r1 = np.floor((grid.top - (steps.my - reach)) / c - 0.5).astype(np.intp) + 1
    # A step narrower than a cell still lands in the cell that holds its mean.
    cm = np.floor((steps.mx - grid.left) / c).astype(np.intp)
    rm = np.floor((grid.top - steps.my) / c).astype(np.intp)
    return np.minimum(c0, cm), np.maximum(c1, cm + 1), np.minimum(r0, rm), np.maximum(r1, rm + 1)


def _axis_matrix(
    centre0: float,
    sign: float,
    cell: float,
    mean: FloatArray,
    sd: FloatArray,
    base: int,
    width: int,
) -> FloatArray:
    """(steps x width) weights of each step along one axis over cells base..base+width:
    the normal density at the cell centres, scaled to sum to one over the chunk (a
    sampled normal narrower than a cell does not sum to one by itself); the chunk
    holds every step's window of TRUNCATE_SD standard deviations."""
    centre = centre0 + sign * (np.arange(base, base + width) + 0.5) * cell
    # Dense over the chunk, in place: a few more exponentials cost less than indexing.
    # Cells of the chunk beyond a step's own window keep its (tiny) tail, as the
    # evaluation over the whole grid does; its window only bounds the chunk.
    out = np.subtract.outer(-mean, -centre)
    out *= (np.sqrt(0.5) / sd)[:, None]
    np.square(out, out=out)
    np.negative(out, out=out)
    np.exp(out, out=out)
    out *= (1.0 / out.sum(axis=1))[:, None]
    return out


def chunks(c0: IntArray, c1: IntArray, r0: IntArray, r1: IntArray, bridge: IntArray) -> list[int]:
    """Split points of the steps into chunks of whole, consecutive bridges whose common
    window stays within CHUNK_CELLS (or one bridge's own) and CHUNK_STEPS."""
    starts = np.flatnonzero(np.r_[True, bridge[1:] != bridge[:-1]])
    bc0 = np.minimum.reduceat(c0, starts).tolist()
    bc1 = np.maximum.reduceat(c1, starts).tolist()
    br0 = np.minimum.reduceat(r0, starts).tolist()
    br1 = np.maximum.reduceat(r1, starts).tolist()
    ends = [*starts[1:].tolist(), len(bridge)]
    cuts = [0]
    a0, a1, b0, b1 = bc0[0], bc1[0], br0[0], br1[0]
    first = 0
    for j in range(1, len(bc0)):
        n0, n1 = min(a0, bc0[j]), max(a1, bc1[j])
        m0, m1 = min(b0, br0[j]), max(b1, br1[j])
        if (n1 - n0) * (m1 - m0) <= CHUNK_CELLS and ends[j] - cuts[-1] <= CHUNK_STEPS:
            a0, a1, b0, b1 = n0, n1, m0, m1
            continue
        first = int(starts[j])
        cuts.append(first)
        a0, a1, b0, b1 = bc0[j], bc1[j], br0[j], br1[j]
    cuts.append(len(bridge))
    return cuts


def occurrence(steps: Steps, grid: Grid) -> TiledRaster:
    """The occurrence distribution of the steps on ``grid``: the time-weighted sum of
    each step's normal distribution, cells outside the grid left out, normalised so
    that the cells sum to one."""
    out = TiledRaster()
    if len(steps.w) == 0:
        return out
    c0, c1, r0, r1 = step_windows(steps, grid)
    cuts = chunks(c0, c1, r0, r1, steps.bridge)
    c = grid.cell_size_m
    for a, b in itertools.pairwise(cuts):
        s = slice(a, b)
        cb, ce = int(c0[s].min()), int(c1[s].max())
        rb, re_ = int(r0[s].min()), int(r1[s].max())
        gx = _axis_matrix(grid.left, 1.0, c, steps.mx[s], steps.sd[s], cb, ce - cb)
        gy = _axis_matrix(grid.top, -1.0, c, steps.my[s], steps.sd[s], rb, re_ - rb)
        gy *= steps.w[s, None]
        window = gy.T @ gx
        # Cells beyond the grid are dropped: the UD is renormalised over the grid.
        ra, rz = max(rb, 0), min(re_, grid.nrows)
        ca, cz = max(cb, 0), min(ce, grid.ncols)
        if ra < rz and ca < cz:
            out.add(ra, ca, window[ra - rb : rz - rb, ca - cb : cz - cb])
    total = out.total()
    if total > 0:
        out.scale(1.0 / total)
    return out


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
