"""One dispatcher for ``crossing``: the speed route first, the reference route for the rest.

For areal and linear boundaries alike, a speed route (:mod:`corridors.query._fast`)
settles what it can surely settle from segments with numpy and says what it leaves;
the reference route (:mod:`corridors.query._reference`) answers that, and the two
answers are joined here. Neither route calls the other. With the speed routes off,
the reference route answers everything: the answers are the same (the speed routes'
differential tests check it), only slower; the measures may differ in the last
digits, being summed in another order.

The switch: :func:`speed_routes` (a context manager), or the environment variable
``CORRIDORS_QUERY_SPEED=0`` read at import. The setting is one per process (not per
thread), so that dask partitions running in threads follow it too.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

from .._typing import BoolArray, FloatArray, GeomArray, Int64Array, IntArray
from . import _reference as ref
from ._fast.areal import SettledAreal, settle_areal
from ._fast.linear import settle_linear
from .boundary import Boundary

__all__ = [
    "SPEED_ENV",
    "crossing_areal",
    "crossing_linear",
    "speed_routes",
    "speed_routes_on",
]

#: Environment variable that turns the speed routes off when set to ``0``.
SPEED_ENV = "CORRIDORS_QUERY_SPEED"

_speed_on = os.environ.get(SPEED_ENV, "1").strip() != "0"


def speed_routes_on() -> bool:
    """Whether ``crossing`` tries the speed routes before the reference route."""
    return _speed_on


@contextmanager
def speed_routes(enabled: bool) -> Iterator[None]:
    """Turn the speed routes of ``crossing`` on or off within a ``with`` block.

    Off, the reference route answers every case: useful to check an answer, or to
    time the speed routes against it. The setting is process-wide.

    Examples
    --------
    >>> import corridors
    >>> from corridors.query import speed_routes
    >>> with speed_routes(False):
    ...     hits = corridors.crossing(corridors.load_cases(), "TKM-UZB")
    """
    global _speed_on
    before = _speed_on
    _speed_on = bool(enabled)
    try:
        yield
    finally:
        _speed_on = before


# ----------------------------------------------------------------------------- areal


def crossing_areal(
    cases: GeomArray, boundary: Boundary, tol_km: float
) -> tuple[ref.ArealPairs, dict[str, FloatArray], Int64Array, BoolArray]:
    """Everything :func:`corridors.query.crossing` needs for an areal boundary.

    Returns, as :func:`corridors.query._reference.crossing_areal` does, the pairs
    (case, feature) whose case lies on both sides (sorted by case, then feature), with
    ``deep_in & deep_out`` marking those that reach more than ``tol_km`` beyond the
    edge on each side; for those, their measures, the traversals of their lines and
    whether they have lines. ``clipped`` is filled only where buffers were built.
    """
    if not _speed_on:
        return ref.crossing_areal(cases, boundary, tol_km)
    settled, slow = settle_areal(cases, boundary, tol_km)
    settled, clipped = _settle_tolerance(cases, boundary, tol_km, settled)
    # A line deep on both sides whose traversals the segments leave unclear: the
    # reference route counts them, on the feature near the case, as it always does.
    unclear = np.flatnonzero(
        settled.has_line & settled.deep_in & settled.deep_out & ~settled.sure_trav
    )
    if len(unclear):
        settled.trav[unclear] = ref.pair_traversals_areal(
            cases, settled.case[unclear], settled.target[unclear], boundary, tol_km
        )
        settled.sure_trav[unclear] = True
    return _join_areal(cases, boundary, tol_km, settled, clipped, slow)


def _settle_tolerance(
    cases: GeomArray, boundary: Boundary, tol_km: float, settled: SettledAreal
) -> tuple[SettledAreal, GeomArray]:
    """The settled pairs with the sides the speed route left unsure decided by the
    reference route's buffers; and the clipped feature where they were built."""
    clipped = np.empty(len(settled.case), dtype=object)
    deep_in, deep_out = settled.deep_in.copy(), settled.deep_out.copy()
    u_in, u_out = settled.unsure_in, settled.unsure_out
    for need, which in (
        (("in",), u_in & ~u_out),
        (("out",), ~u_in & u_out),
        (("in", "out"), u_in & u_out),
    ):
        at = np.flatnonzero(which)
        if len(at):
            sub = ref.refine_areal(
                cases, boundary, settled.case[at], settled.target[at], tol_km, need=need
            )
            if "in" in need:
                deep_in[at] = sub.deep_in
            if "out" in need:
                deep_out[at] = sub.deep_out
            clipped[at] = sub.clipped
    none = np.zeros(len(settled.case), dtype=bool)
    out = SettledAreal(
        settled.case, settled.target, deep_in, deep_out, none, none.copy(),
        settled.share, settled.area, settled.length, settled.trav, settled.sure_trav,
        settled.has_line,
    )  # fmt: skip
    return out, clipped


def _join_areal(
    cases: GeomArray,
    boundary: Boundary,
    tol_km: float,
    settled: SettledAreal,
    clipped: GeomArray,
    slow: IntArray,
) -> tuple[ref.ArealPairs, dict[str, FloatArray], Int64Array, BoolArray]:
    """The settled pairs joined with the reference route's answers for ``slow`` cases."""
    if len(slow):
        sp, sm, st, sh = ref.crossing_areal(cases[slow], boundary, tol_km)
        ssel = sp.deep_in & sp.deep_out
        n = len(sp.case)
        share, area, length = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
        trav = np.zeros(n, dtype=np.int64)
        has_line = np.zeros(n, dtype=bool)
        share[ssel] = sm["share_inside"]
        area[ssel] = sm["area_inside_km2"]
        length[ssel] = sm["length_inside_km"]
        trav[ssel] = st
        has_line[ssel] = sh
        none = np.zeros(n, dtype=bool)
        other = SettledAreal(
            slow[sp.case], sp.target, sp.deep_in, sp.deep_out, none, none,
            share, area, length, trav, ~none, has_line,
        )  # fmt: skip
        other_clipped = sp.clipped
    else:
        other = SettledAreal.empty()
        other_clipped = np.empty(0, dtype=object)
    parts = (settled, other)
    case = np.concatenate([p.case for p in parts]).astype(np.intp)
    target = np.concatenate([p.target for p in parts]).astype(np.intp)
    order = np.lexsort((target, case))
    both = SettledAreal(
        case, target, *(np.concatenate([getattr(p, f) for p in parts]) for f in _FIELDS)
    ).take(order)
    sel = both.deep_in & both.deep_out
    pairs = ref.ArealPairs(
        both.case,
        both.target,
        both.deep_in,
        both.deep_out,
        np.zeros(len(case), dtype=bool),
        np.asarray(np.concatenate([clipped, other_clipped])[order], dtype=object),
    )
    measures = {
        "share_inside": both.share[sel],
        "area_inside_km2": both.area[sel],
        "length_inside_km": both.length[sel],
    }
    return pairs, measures, both.trav[sel], both.has_line[sel]


#: The fields of :class:`SettledAreal` after ``case`` and ``target``, in order.
_FIELDS = (
    "deep_in",
    "deep_out",
    "unsure_in",
    "unsure_out",
    "share",
    "area",
    "length",
    "trav",
    "sure_trav",
    "has_line",
)


# ----------------------------------------------------------------------------- linear


def crossing_linear(
    cases: GeomArray, boundary: Boundary, tol_km: float, *, touching: bool = False
) -> ref.LinearResult:
    """Evaluate a linear boundary (one network) against every case.

    With ``touching``, also find every case the network touches at all (for
    ``intersecting``): the reference route alone. Otherwise ``touches`` is only
    filled for crossed cases, and the speed route settles what it can first. For a
    border, ``deep_both`` marks the cases deeper than the tolerance in both countries,
    which ``crossed`` then includes (``by_line`` keeps the crossings of the line).
    """
    if touching or not _speed_on:
        res = ref.crossing_linear(cases, boundary, tol_km, touching=touching)
    else:
        res = _settle_then_reference(cases, boundary, tol_km)
    res.by_line = res.crossed.copy()
    if boundary.sides is not None:
        res.deep_both = ref.on_both_sides(cases, boundary, tol_km)
        res.crossed |= res.deep_both
    return res


def _settle_then_reference(cases: GeomArray, boundary: Boundary, tol_km: float) -> ref.LinearResult:
    n = len(cases)
    fast = settle_linear(cases, boundary, tol_km)
    res = ref.LinearResult(
        np.arange(n),
        fast.crossed,
        fast.n_crossings,
        fast.severs,
        fast.length_across_km,
        ref.joined_labels(fast.hit_case, fast.hit_target, boundary.labels, n),
        fast.crossed.copy(),
    )
    slow = np.flatnonzero(~fast.settled)
    if len(slow):
        sub = ref.crossing_linear(cases[slow], boundary, tol_km, touching=False)
        res.crossed[slow] = sub.crossed
        res.n_crossings[slow] = sub.n_crossings
        res.severs[slow] = sub.severs
        res.length_across_km[slow] = sub.length_across_km
        res.touches[slow] = sub.touches
        res.labels[slow] = sub.labels
    return res
