"""The moving-window algorithm on one tile of targets, as Omniscape.jl defines it.

Targets are the centres of ``block_size`` x ``block_size`` blocks laid from the
raster's top-left corner; a target's strength is the sum of the source strengths in
its block. For each target the resistance is clipped to a circle of radius
``radius + buffer`` around it and the sources to a circle of ``radius``; the
target's block is cleared of sources, the remaining sources are scaled so that they
inject the target's strength in total, the target is grounded and the circuit is
solved. With conditional connectivity, sources whose conditions do not match the
target's are then dropped. Flow potential is the same solve with a conductance of 1
in every cell of the window's rectangle. With ``block_size > 1`` each map is
multiplied by the block-artefact correction (the ratio of the null-model current
of ``block_size``² single-cell targets to that of one block target).

Indices in this module are 0-based (row, column) with row 0 at the top (north), as
rasterio reads rasters. Where Omniscape.jl's arithmetic places something
unexpectedly, this module does the same and says so, because its outputs are the
reference: see the notes in :func:`window_sources` and :func:`correction_cut`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .._typing import FloatArray, Int64Array
from ._window import WindowSolver


@dataclass(frozen=True)
class Conditions:
    """Conditional connectivity: which sources a target may draw from.

    Attributes
    ----------
    n_conditions : int
        1 or 2.
    comparison1, comparison2 : str
        ``"within"`` (the source's present value minus the target's value lies in
        ``[lower, upper]``) or ``"equal"`` (the source's present value equals the
        target's).
    lower1, upper1, lower2, upper2 : float
        Bounds of the ``within`` comparisons, in the units of the condition rasters.
    """

    n_conditions: int = 1
    comparison1: str = "within"
    comparison2: str = "within"
    lower1: float = 0.0
    upper1: float = 0.0
    lower2: float = 0.0
    upper2: float = 0.0


@dataclass(frozen=True)
class Params:
    """Everything a tile's solves need besides its data (picklable, small).

    Attributes
    ----------
    nrows, ncols : int
        Shape of the whole raster (windows are clipped to it, never to a tile).
    radius, buffer, block_size : int
        In cells.
    four_neighbors : bool
        Connect cells to their four orthogonal neighbours only.
    flow_potential : bool
        Also solve the null model (needed for flow potential and normalised current).
    correction : float array or None
        The block-artefact correction (``2 (radius + buffer) + 1`` square), or None.
    conditions : Conditions or None
        Conditional connectivity settings, or None.
    """

    nrows: int
    ncols: int
    radius: int
    buffer: int
    block_size: int
    four_neighbors: bool = False
    flow_potential: bool = False
    correction: FloatArray | None = None
    conditions: Conditions | None = None

    @property
    def reach(self) -> int:
        """Cells from a target to the edge of its window (radius + buffer)."""
        return self.radius + self.buffer

    @property
    def block_radius(self) -> int:
        """Cells from a target to the edge of its block."""
        return (self.block_size - 1) // 2

    @property
    def halo(self) -> int:
        """Cells around a tile's blocks that its windows read."""
        return max(self.reach, self.block_radius)


@dataclass
class Layers:
    """The data of one tile plus its halo, in cells of the whole raster.

    Attributes
    ----------
    row0, col0 : int
        Position of ``[0, 0]`` in the whole raster.
    conductance : float array
        Cell conductances (NaN where the resistance is NoData).
    sources : float array
        Source strengths (0 for none).
    condition1, condition1_future, condition2, condition2_future : float arrays or None
        Condition rasters (NaN for NoData); the future layers default to the present.
    """

    row0: int
    col0: int
    conductance: FloatArray
    sources: FloatArray
    condition1: FloatArray | None = None
    condition1_future: FloatArray | None = None
    condition2: FloatArray | None = None
    condition2_future: FloatArray | None = None


def target_counts(nrows: int, ncols: int, block_size: int) -> tuple[int, int]:
    """Rows and columns of blocks: a block must fit whole inside the raster."""
    return nrows // block_size, ncols // block_size


def block_strengths(sources: FloatArray, block_size: int) -> FloatArray:
    """Sum of ``sources`` over each whole block (``sources`` starts on a block edge)."""
    nb_r = sources.shape[0] // block_size
    nb_c = sources.shape[1] // block_size
    part = sources[: nb_r * block_size, : nb_c * block_size]
    return part.reshape(nb_r, block_size, nb_c, block_size).sum(axis=(1, 3))


def _disk_d2(reach: int) -> FloatArray:
    """Squared distance of each cell of a ``2 reach + 1`` square from its centre."""
    d = np.arange(-reach, reach + 1, dtype=np.float64)
    return d[:, None] ** 2 + d[None, :] ** 2


def _mode_first(values: FloatArray) -> float:
    """The mode as StatsBase.mode finds it in a Julia (column-major) array.

    Omniscape.jl takes the mode of the target block's condition values; StatsBase
    counts values in order (column by column) and switches to a value only when its
    count exceeds the best so far, so among tied values the one that reaches the top
    count first wins, which is the one whose last occurrence comes first.
    """
    v = values.T.ravel()
    v = v[~np.isnan(v)]
    if v.size == 0:
        return math.nan
    # Unique values of the reversed sequence: first index there is the last occurrence.
    uniq, first_rev, counts = np.unique(v[::-1], return_index=True, return_counts=True)
    last = v.size - 1 - first_rev
    best = counts == counts.max()
    return float(uniq[best][np.argmin(last[best])])


def _match(
    present: FloatArray, future_block: FloatArray, comparison: str, lower: float, upper: float
) -> npt.NDArray[np.bool_]:
    """Cells whose present condition rules them out as sources for this target.

    A target whose block has no condition value at all is connected to no source.
    Cells with no present value are kept, as in Omniscape.jl.
    """
    if comparison == "within":
        vals = future_block[~np.isnan(future_block)]
        if vals.size == 0:
            return np.ones(present.shape, dtype=bool)
        target = float(np.median(vals))
        diff = present - target
        with np.errstate(invalid="ignore"):
            return (diff > upper) | (diff < lower)
    target = _mode_first(future_block)
    if math.isnan(target):
        return np.ones(present.shape, dtype=bool)
    return (present != target) & ~np.isnan(present)


def window_sources(sources: FloatArray, d2: FloatArray, amps: float, params: Params) -> FloatArray:
    """The current each cell of a window injects: sources within ``radius``, scaled.

    ``sources`` is the window's rectangle (clipped to the raster) and ``d2`` the
    squared distance of its cells from the target. The target's block is cleared,
    and the rest scaled to inject ``amps`` in total.

    Omniscape.jl clears the block at ``radius + buffer`` cells from the window's
    first row and column, which is the target's block except where the window is
    cut by the raster's top or left edge; there it clears cells further in and the
    target's own block keeps its sources (the target's own cell then loses its source
    to the ground). This function does the same, so that the maps agree.
    """
    s = np.where(d2 <= params.radius**2, sources, 0.0)
    reach, br = params.reach, params.block_radius
    h, w = s.shape
    r_hi = min(reach + br, params.nrows - 1, h - 1)
    c_hi = min(reach + br, params.ncols - 1, w - 1)
    s[max(reach - br, 0) : r_hi + 1, max(reach - br, 0) : c_hi + 1] = 0.0
    positive = s > 0
    total = float(s[positive].sum())
    if total > 0:
        s[positive] = s[positive] * amps / total
    return s


def correction_cut(
    correction: FloatArray, target: tuple[int, int], shape: tuple[int, int], params: Params
) -> FloatArray:
    """The part of the correction array that lies on a window cut by the raster's edge.

    As Omniscape.jl cuts it: a window cut on the right (bottom) keeps the array's
    first columns (rows), one cut on the left (top) keeps its last; a window cut on
    both sides keeps the first.
    """
    reach = params.reach
    full = correction.shape[0]

    def span(pos: int, size: int, extent: int) -> slice:
        lower, upper = 1, full
        if pos + 1 > extent - reach:
            upper = size
        if pos + 1 < reach + 1:
            lower = upper - size + 1
        return slice(lower - 1, upper)

    rows = span(target[0], shape[0], params.nrows)
    return correction[rows, span(target[1], shape[1], params.ncols)]


def correction_array(params: Params, solver: WindowSolver) -> FloatArray:
    """Omniscape.jl's block-artefact correction for ``block_size > 1``.

    Null model (conductance 1 inside a circle of ``radius + buffer``): the current of
    a block target injecting ``block_size``² A from the block-cleared sources, against
    the sum of the currents of the ``block_size``² single-cell targets of the block
    (each drawing 1 A from every other source cell). Their ratio scales each window's
    current, so that a coarse run looks like a fine one.
    """
    reach, r, bs = params.reach, params.radius, params.block_size
    size = 2 * reach + 1
    d2 = _disk_d2(reach)
    conductance = np.where(d2 <= reach**2, 1.0, np.nan)
    centre = (reach, reach)
    inside = d2 <= r**2
    n_sources = int(inside.sum())
    source_null = np.where(inside, 1.0, 0.0)
    source_null[centre] = 0.0
    source_null[source_null != 0] = 1.0 / (n_sources - 1)
    source_block = window_sources(np.ones((size, size)), d2, float(bs * bs), _unbounded(params))
    zero = np.zeros((size, size))
    block_null = solver.current(conductance, source_block, centre, reach=reach)
    null = solver.current(conductance, source_null, centre, reach=reach)
    block_null = zero.copy() if block_null is None else block_null
    null = zero.copy() if null is None else null
    total = np.zeros((size + bs - 1, size + bs - 1))
    for i in range(bs):
        for j in range(bs):
            total[i : i + size, j : j + size] += null
    br = params.block_radius
    total = total[br : br + size, br : br + size]
    total[block_null == 0.0] = 0.0
    total[total == 0.0] = 1.0
    block_null[block_null == 0.0] = 1.0
    return total / block_null


def _unbounded(params: Params) -> Params:
    """``params`` on a raster large enough not to clip the correction's window."""
    big = 2 * params.reach + params.block_size + 1
    return Params(
        nrows=max(params.nrows, big),
        ncols=max(params.ncols, big),
        radius=params.radius,
        buffer=params.buffer,
        block_size=params.block_size,
    )


@dataclass
class TileResult:
    """Partial maps of one tile, over the rows and columns its windows touched.

    Attributes
    ----------
    row0, col0 : int
        Position of ``current[0, 0]`` in the whole raster.
    current, flow_potential : float arrays
        Summed window currents (flow potential is None unless asked for).
    targets : int
        Targets solved.
    cpu_seconds : float
        CPU time the tile took (reading included).
    peak_rss : int
        Peak resident memory of the process that solved it, in bytes.
    """

    row0: int
    col0: int
    current: FloatArray
    flow_potential: FloatArray | None
    targets: int
    cpu_seconds: float = 0.0
    peak_rss: int = 0


def tile_targets(
    layers: Layers, blocks: tuple[int, int, int, int], params: Params
) -> tuple[Int64Array, Int64Array, FloatArray]:
    """Targets of the blocks ``[kr0, kr1) x [kc0, kc1)``: rows, columns and strengths."""
    kr0, kr1, kc0, kc1 = blocks
    bs, br = params.block_size, params.block_radius
    r0 = kr0 * bs - layers.row0
    c0 = kc0 * bs - layers.col0
    part = layers.sources[r0 : r0 + (kr1 - kr0) * bs, c0 : c0 + (kc1 - kc0) * bs]
    amps = block_strengths(part, bs)
    kr, kc = np.nonzero(amps > 0)
    rows = (kr + kr0) * bs + br
    cols = (kc + kc0) * bs + br
    return rows.astype(np.int64), cols.astype(np.int64), amps[kr, kc]


def solve_tile_layers(
    layers: Layers,
    blocks: tuple[int, int, int, int],
    params: Params,
    solver: WindowSolver | None = None,
) -> TileResult:
    """Solve every target of a tile and sum its windows into partial maps.

    Parameters
    ----------
    layers : Layers
        The tile's blocks and every window of its targets (at least ``params.halo``
        cells around the blocks, clipped to the raster).
    blocks : (int, int, int, int)
        Block rows ``[kr0, kr1)`` and columns ``[kc0, kc1)`` of the tile.
    params : Params
    solver : WindowSolver, optional
        Reused across tiles to keep its plans.
    """
    if solver is None:
        solver = WindowSolver(four_neighbors=params.four_neighbors)
    rows, cols, amps = tile_targets(layers, blocks, params)
    shape = layers.conductance.shape
    current = np.zeros(shape)
    flow = np.zeros(shape) if params.flow_potential else None
    reach = params.reach
    d2_full = _disk_d2(reach)
    cond = params.conditions
    for ty, tx, a in zip(rows.tolist(), cols.tolist(), amps.tolist(), strict=True):
        r0, r1 = max(ty - reach, 0), min(ty + reach, params.nrows - 1)
        c0, c1 = max(tx - reach, 0), min(tx + reach, params.ncols - 1)
        lr, lc = r0 - layers.row0, c0 - layers.col0
        h, w = r1 - r0 + 1, c1 - c0 + 1
        win = (slice(lr, lr + h), slice(lc, lc + w))
        dr, dc = r0 - (ty - reach), c0 - (tx - reach)
        d2 = d2_full[dr : dr + h, dc : dc + w]
        local = (ty - r0, tx - c0)
        g = layers.conductance[win]
        s = window_sources(layers.sources[win], d2, a, params)
        if cond is not None:
            s = _conditional(s, layers, win, (ty, tx), params, cond)
        curr = solver.current(g, s, local, reach=reach)
        fp = solver.current(None, s, local) if flow is not None else None
        if params.correction is not None:
            cut = correction_cut(params.correction, (ty, tx), (h, w), params)
            if curr is not None:
                curr *= cut
            if fp is not None:
                fp *= cut
        if curr is not None:
            current[win] += curr
        if fp is not None and flow is not None:
            flow[win] += fp
    return TileResult(layers.row0, layers.col0, current, flow, int(rows.size))


def _conditional(
    s: FloatArray,
    layers: Layers,
    win: tuple[slice, slice],
    target: tuple[int, int],
    params: Params,
    cond: Conditions,
) -> FloatArray:
    """Drop the sources whose conditions do not match the target block's."""
    ty, tx = target
    br = params.block_radius
    block = (
        slice(ty - br - layers.row0, min(ty + br, params.nrows - 1) + 1 - layers.row0),
        slice(tx - br - layers.col0, min(tx + br, params.ncols - 1) + 1 - layers.col0),
    )
    specs = [
        (layers.condition1, layers.condition1_future, cond.comparison1, cond.lower1, cond.upper1)
    ]
    if cond.n_conditions == 2:
        c2 = (layers.condition2, layers.condition2_future)
        specs.append((*c2, cond.comparison2, cond.lower2, cond.upper2))
    for present, future, comparison, lower, upper in specs:
        assert present is not None
        fut = present if future is None else future
        drop = _match(present[win], fut[block], comparison, lower, upper)
        s = np.where(drop, 0.0, s)
    return s
