"""Fast path of ``crossing`` against a linear boundary (roads, rails, rivers, borders).

The exact route (:func:`corridors._query_engine.linear`) builds, for every case a line
touches, a local network in the case's own projection and a band around it (GEOS
buffers for polygon cases), at some tens of microseconds per case. Most cases are
simple: a road passes straight through a line case once, or straight across a small
convex polygon, or comes nowhere near. This module settles those from their segments
with numpy (:mod:`corridors._segments`) and hands every other case to the exact route,
so the answers are the same, only sooner.

A case is settled here when, with ``r = max(tolerance, 1 m)``:

* **line case**: every boundary segment within ``2 r`` of it crosses it properly, with
  both of its ends and both ends of the case segment it crosses more than ``r`` from
  the other, and the stretches of the case within ``r`` of each crossing segment lie
  more than ``1.5 r`` from every other crossing segment. Then the case line enters the
  band around the network on one side and leaves it on the other once per crossing:
  the number of crossings is the number of traversals. Where a road's dead end, the
  case's own end or a sharp bend lies near a crossing, the band is followed along the
  case line instead (:func:`_band_traversals`), as long as no two roads come near each
  other there.
* **polygon case** (one convex ring, under :data:`SPAN_DEG` across): no boundary
  segment comes within ``r`` of its ring and none lies inside (nothing touches it), or
  the roads that enter it are clipped to the ring and their pieces chained into
  stretches that cross neither each other nor themselves. Depth (how far in from the
  ring a stretch reaches), length and severing follow from the pieces: a stretch from
  one ring edge to another severs the polygon when vertices farther than ``r`` from
  every road lie on both sides of it; otherwise, when the bands of the roads near the
  ring (entering or not) stay apart but for consecutive segments of one road, by
  counting the stretches of ring each band covers (a band covering c of them cuts c
  pieces, so two or more means severed). Two segments of a road meeting outside the
  polygon count as one band when their vertex lies within ``r`` of it, as two when it
  lies beyond the reach of their bands' overlap.

Every distance must clear its threshold by a margin: :data:`MARGIN` for line cases, and
for polygon cases one from the case's size and latitude (:func:`_frame_margin`), with
band widths as narrow as the exact route's polygonal band may be. The band widths also
allow for a lon/lat-straight segment straying from the straight line of the exact
route's projection; cases that do not clear go to the exact route.

Points and multipoints never cross a line (their borders' sides are handled by the
caller). Everything else (touching, collinear runs, dense junctions, concave or holed
polygons, cases beyond 80° of latitude or across the antimeridian) takes the exact route.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely

from ..._geodesy import EARTH_RADIUS_M, GEOD
from ..._threads import map_chunks
from ..._typing import BoolArray, FloatArray, GeomArray, Int64Array, IntArray
from .. import _segments as sg
from .._band import (
    BAND_INSCRIBED,
    CAP_REACH,
    clean_threshold_deg,
    edge_cover,
    holds_any,
    merge_intervals,
    on_cap,
    point_segment,
    traversal,
)
from .._segments import M_PER_DEG, MARGIN, MAX_LAT, Segments
from ..boundary import Boundary, caches

#: Largest box side (degrees) of a polygon case the fast route clips in one local frame.
SPAN_DEG = 0.5
#: An end of a stretch within this many half-widths of a dangling end of the road lies
#: on the band's rounded cap itself: exactly 1 in the frame the end was found in, and
#: 1e-6 more for rounding. Ends between it and ``CAP_REACH * MARGIN`` lie on the
#: band's straight edge near the cap, where the reference's frame may put them on
#: either side of :data:`corridors.query._band.CAP_REACH`: the reference decides.
CAP_ON = 1.0 + 1e-6
#: Cases handled at once (bounds the memory the segment pairs take).
CHUNK = 50_000
#: Most road pieces inside one polygon the fast route handles (pairs are checked).
MAX_PIECES = 64
#: Largest stray (m) of a case's own segment the fast route allows for (a segment of
#: about 100 km at 60°); cases with longer segments take the exact route.
MAX_OWN_STRAY_M = 400.0


@dataclass
class FastLinear:
    """Answers for the settled cases; ``settled`` is False where the exact route decides."""

    settled: BoolArray
    crossed: BoolArray
    n_crossings: Int64Array
    severs: BoolArray
    length_across_km: FloatArray
    hit_case: IntArray  # (case, boundary element) pairs that meet, sorted
    hit_target: IntArray


@dataclass
class Network:
    """The segments of a linear boundary's lines and what the speed route derives from
    them (built once per boundary, kept among its caches)."""

    segments: Segments
    #: How far (m) each segment may stray from straight in the reference's frames.
    stray: FloatArray
    #: Twice the largest stray plus rounding, at least 10 m (:func:`network`).
    budget: float
    #: Whether the line of each segment ends where it starts (a ring has no ends).
    closed: BoolArray
    #: Per reach (m): an index over the lines' boxes widened by it (:func:`_reach`).
    reach: dict[float, _Reach]


@dataclass(frozen=True)
class _Reach:
    """An index over the boxes of the boundary's lines widened by a reach, the boxes
    themselves, and the widening in degrees of longitude of each line."""

    tree: shapely.STRtree
    boxes: FloatArray
    dx: FloatArray


def network(boundary: Boundary) -> Network:
    """The segments of a linear boundary's lines, their strays and ends (cached).

    The stray budget is twice the largest stray plus rounding, at least 10 m. Its half
    is the boundary's share of the extra reach of the segment pairs
    (:func:`_reach_extra_m`), and the stray allowed for a case's own segments in the
    first pass.
    """
    cache = caches(boundary)
    if cache.network is None:
        net = sg.segments(boundary.geoms)
        each = _seg_stray(net)
        budget = 2.0 * max(float(each.max(initial=0.0)) + 0.5, 5.0)
        cache.network = Network(net, each, budget, _closed(net), {})
    return cache.network


def settle_linear(cases: GeomArray, boundary: Boundary, tol_km: float) -> FastLinear:
    """Settle what can be settled of ``crossing(cases, linear boundary)`` from segments.

    ``cases`` are lon/lat geometries (None for missing). The module docstring says
    which cases are settled.
    """
    n = len(cases)
    out = FastLinear(
        settled=np.zeros(n, dtype=bool),
        crossed=np.zeros(n, dtype=bool),
        n_crossings=np.zeros(n, dtype=np.int64),
        severs=np.zeros(n, dtype=bool),
        length_across_km=np.full(n, np.nan),
        hit_case=np.zeros(0, dtype=np.intp),
        hit_target=np.zeros(0, dtype=np.intp),
    )
    if n == 0:
        return out
    types = shapely.get_type_id(cases)
    # Points and multipoints have no line or polygon to be crossed.
    out.settled[(types == 0) | (types == 4) | (types < 0)] = True
    b = shapely.bounds(cases)
    with np.errstate(invalid="ignore"):
        low = (np.abs(b[:, 1]) < MAX_LAT) & (np.abs(b[:, 3]) < MAX_LAT) & (b[:, 2] - b[:, 0] < 90)
    lines = np.flatnonzero(low & (types == 1))
    polys = np.flatnonzero(low & (types == 3))
    if len(polys):
        polys = polys[shapely.get_num_interior_rings(cases[polys]) == 0]
    r_m = max(tol_km, 0.001) * 1000.0
    net = network(boundary).segments
    hits: list[tuple[IntArray, IntArray]] = []
    # In chunks: the segment pairs and clipped pieces of a chunk are freed before the
    # next, which keeps the peak memory well under the input's size. Cases whose own
    # segments stray more than the boundary's budget allows for come back from the
    # first pass and are searched again with a reach widened for them.
    half = network(boundary).budget / 2.0
    tol_m = tol_km * 1000.0

    # Chunks hold disjoint cases and write disjoint rows of ``out``, so they run in
    # threads (:mod:`corridors._threads`); ``hits`` only gains whole entries.
    def run(jobs: list[tuple[bool, IntArray]], stray: float) -> list[IntArray]:
        def one(job: tuple[bool, IntArray]) -> IntArray:
            is_line, sel = job
            if is_line:
                return _lines(cases, sel, b, boundary, net, r_m, tol_km, stray, out, hits)
            return _polygons(cases, sel, b, boundary, net, r_m, tol_m, stray, out, hits)

        return map_chunks(one, jobs)

    def chunked(is_line: bool, sel: IntArray) -> list[tuple[bool, IntArray]]:
        return [(is_line, sel[at : at + CHUNK]) for at in range(0, len(sel), CHUNK)]

    jobs = chunked(True, lines) + chunked(False, polys)
    longer = run(jobs, half)
    again: list[tuple[bool, IntArray]] = []
    for kind in (True, False):
        back = [got for (is_line, _), got in zip(jobs, longer, strict=True) if is_line is kind]
        again += chunked(kind, np.concatenate([np.zeros(0, dtype=np.intp), *back]))
    run(again, MAX_OWN_STRAY_M)
    if hits:
        hc = np.concatenate([h[0] for h in hits])
        ht = np.concatenate([h[1] for h in hits])
        key = np.unique(hc.astype(np.int64) * len(boundary.geoms) + ht)
        out.hit_case = (key // len(boundary.geoms)).astype(np.intp)
        out.hit_target = (key % len(boundary.geoms)).astype(np.intp)
    return out


@dataclass
class _Pairs:
    """Segment pairs (case segment ``sl``, boundary segment ``sr``) within reach."""

    case: IntArray  # position among the selected cases
    sl: IntArray
    sr: IntArray
    road: IntArray  # the boundary element of ``sr``
    cross: sg.Crossings
    da: FloatArray  # distances (m) of the case segment's ends to the boundary segment
    db: FloatArray
    dc: FloatArray  # distances (m) of the boundary segment's ends to the case segment
    dd: FloatArray

    @property
    def gap(self) -> FloatArray:
        """Distance between the segments (m) where they do not meet."""
        return np.minimum(np.minimum(self.da, self.db), np.minimum(self.dc, self.dd))


def _reach(boundary: Boundary, reach_m: float) -> _Reach:
    """The boundary's lines' boxes widened by ``reach_m``, indexed (cached per reach)."""
    known = network(boundary).reach
    if reach_m not in known:
        b = shapely.bounds(boundary.geoms)
        dx, dy = _widening_deg(b[:, 1], b[:, 3], reach_m)
        boxes = shapely.box(b[:, 0] - dx, b[:, 1] - dy, b[:, 2] + dx, b[:, 3] + dy)
        known[reach_m] = _Reach(shapely.STRtree(boxes), shapely.bounds(boxes), dx)
    return known[reach_m]


def _widening_deg(
    y0: FloatArray, y1: FloatArray, reach_m: FloatArray | float
) -> tuple[FloatArray, FloatArray]:
    """Degrees of longitude and of latitude that surely hold ``reach_m`` (times
    :data:`MARGIN`) around boxes spanning latitudes ``y0``-``y1`` (cos falls with |lat|)."""
    dy = np.asarray(reach_m) * MARGIN / M_PER_DEG + 1e-9
    top = np.minimum(np.maximum(np.abs(y0), np.abs(y1)) + dy, 89.0)
    return dy / np.cos(np.radians(top)), dy


def _segment_pairs(
    geoms: GeomArray, boundary: Boundary, net: Segments, reach_m: float
) -> tuple[Segments, IntArray, _Pairs, IntArray, IntArray]:
    """Segment pairs of the cases and the boundary that may lie within ``reach_m``.

    Returns the segments of the cases that have any candidate (``segs``, owned by
    positions in ``has``), the pairs, and the (case, boundary element) candidates.
    """
    reach = _reach(boundary, reach_m)
    tree, dx_line = reach.tree, reach.dx
    ci, ti = tree.query(geoms)
    ci, ti = ci.astype(np.intp), ti.astype(np.intp)
    has, local = np.unique(ci, return_inverse=True)
    segs = sg.segments(geoms[has])
    # First each case segment against the widened box of each candidate line, then the
    # few survivors against that line's segments.
    n_case = np.diff(segs.start)[local]
    k1 = np.repeat(np.arange(len(ci), dtype=np.intp), n_case)
    sl1 = np.repeat(segs.start[local], n_case) + sg.ranges(n_case)[1]
    lb = reach.boxes
    t1 = ti[k1]
    ok = (
        (np.minimum(segs.x0[sl1], segs.x1[sl1]) <= lb[t1, 2])
        & (np.maximum(segs.x0[sl1], segs.x1[sl1]) >= lb[t1, 0])
        & (np.minimum(segs.y0[sl1], segs.y1[sl1]) <= lb[t1, 3])
        & (np.maximum(segs.y0[sl1], segs.y1[sl1]) >= lb[t1, 1])
    )
    k1, sl1, t1 = k1[ok], sl1[ok], t1[ok]
    n_net = net.start[t1 + 1] - net.start[t1]
    rep = np.repeat(np.arange(len(k1), dtype=np.intp), n_net)
    k, sl = k1[rep], sl1[rep]
    sr = np.repeat(net.start[t1], n_net) + sg.ranges(n_net)[1]
    dy = reach_m * MARGIN / M_PER_DEG + 1e-9
    near = sg.boxes_meet(segs, sl, net, sr, dx_line[t1[rep]], dy)
    k, sl, sr = k[near], sl[near], sr[near]
    ax, ay, bx, by = segs.x0[sl], segs.y0[sl], segs.x1[sl], segs.y1[sl]
    cx, cy, ex, ey = net.x0[sr], net.y0[sr], net.x1[sr], net.y1[sr]
    pairs = _Pairs(
        case=ci[k],
        sl=sl,
        sr=sr,
        road=net.owner[sr],
        cross=sg.crossings(ax, ay, bx, by, cx, cy, ex, ey),
        da=sg.point_segment_m(ax, ay, cx, cy, ex, ey),
        db=sg.point_segment_m(bx, by, cx, cy, ex, ey),
        dc=sg.point_segment_m(cx, cy, ax, ay, bx, by),
        dd=sg.point_segment_m(ex, ey, ax, ay, bx, by),
    )
    return segs, has, pairs, ci, ti


def _ends(segs: Segments) -> tuple[BoolArray, BoolArray]:
    """Whether each segment is the first, the last of its line."""
    line = segs.line
    first = np.r_[True, line[1:] != line[:-1]] if len(line) else np.zeros(0, dtype=bool)
    last = np.r_[line[1:] != line[:-1], True] if len(line) else np.zeros(0, dtype=bool)
    return first, last


def _lines(
    cases: GeomArray,
    idx: IntArray,
    bounds: FloatArray,
    boundary: Boundary,
    net: Segments,
    r_m: float,
    tol_km: float,
    allow_m: float,
    out: FastLinear,
    hits: list[tuple[IntArray, IntArray]],
) -> IntArray:
    """Line cases: every road the case meets crosses it cleanly (:func:`_clean_pairs`),
    or traversals are the proper crossings when nothing else is near, else those found
    by following the band (:func:`_band_traversals`).

    Segment pairs are searched far enough for case segments straying up to ``allow_m``
    (:func:`_reach_extra_m`); the cases whose segments stray more are returned unsettled.
    """
    m = len(idx)
    segs, has, p, _, _ = _segment_pairs(
        cases[idx], boundary, net, 2.0 * r_m + _reach_extra_m(boundary, net, allow_m)
    )
    n_roads = len(boundary.geoms)
    c_ends, n_ends = _ends(segs), _ends(net)
    clean, n_clean = _clean_pairs(bounds[idx], segs, c_ends, p, boundary, net, n_ends, r_m, tol_km)
    # Per pair, the thresholds also allow for the segments straying from straight in
    # the exact route's projection.
    strays_far, stray = _strays(segs, len(has), boundary, net, p, allow_m)
    near_r, far_r = r_m * MARGIN + stray, 2.0 * r_m * MARGIN + stray
    near = p.cross.hit | (p.gap <= far_r)
    bad = np.zeros(m, dtype=bool)  # left to the exact route
    soft = np.zeros(m, dtype=bool)  # settled by following the band (_band_traversals)
    bad[p.case[p.cross.unsure]] = True
    bad[has[strays_far]] = True
    # Which pairs belong to a road that crosses the case somewhere.
    key = p.case.astype(np.int64) * n_roads + p.road
    crossing_keys = np.unique(key[p.cross.proper])
    pos = np.minimum(np.searchsorted(crossing_keys, key), max(len(crossing_keys) - 1, 0))
    mine = crossing_keys[pos] == key if len(crossing_keys) else np.zeros(len(key), dtype=bool)
    # Near a crossing road, the case's own ends must lie outside the band (traversals
    # end on its edge), and no dangling end of the road may lie near the case (passing
    # round it is no crossing).
    (c_first, c_last), (n_first, n_last) = c_ends, n_ends
    for flag, d in (
        (c_first[p.sl], p.da),
        (c_last[p.sl], p.db),
        (n_first[p.sr], p.dc),
        (n_last[p.sr], p.dd),
    ):
        soft[p.case[mine & flag & (d <= near_r)]] = True
    # A crossing road that turns back on itself near the case (a joint near it turning
    # by more than a right angle) may put the band's sides where the exact route sees
    # them differently.
    j = np.flatnonzero(mine & near & ~n_last[p.sr] & (p.dd <= far_r))
    if len(j):
        t0, t1 = p.sr[j], p.sr[j] + 1
        dot = (net.x1[t0] - net.x0[t0]) * (net.x1[t1] - net.x0[t1]) + (net.y1[t0] - net.y0[t0]) * (
            net.y1[t1] - net.y0[t1]
        )
        soft[p.case[j[dot <= 0]]] = True
    # Other roads may pass near the case (in and out of their band on one side is no
    # traversal), but not near another road.
    _crowded_roads(p, near, segs, net, 3.0 * r_m * MARGIN, far_r, network(boundary).stray, bad)

    # Two crossings count as two traversals only if the case leaves the band between
    # them: a point of the case between them lies farther than r from every road.
    c = np.flatnonzero(p.cross.proper & ~bad[p.case] & ~soft[p.case])
    where = p.sl[c] + p.cross.t[c]  # position along the case (segment number + fraction)
    order = c[np.lexsort((where, p.case[c]))]
    where = p.sl[order] + p.cross.t[order]
    cc = p.case[order]
    pair = np.flatnonzero(cc[1:] == cc[:-1])
    if len(pair):
        mid = (where[pair] + where[pair + 1]) / 2
        s_m = np.floor(mid).astype(np.intp)
        f = mid - s_m
        mx = segs.x0[s_m] + f * (segs.x1[s_m] - segs.x0[s_m])
        my = segs.y0[s_m] + f * (segs.y1[s_m] - segs.y0[s_m])
        # The roads within reach of that point are paired with its case segment.
        by_seg = np.argsort(p.sl, kind="stable")
        lo = np.searchsorted(p.sl[by_seg], s_m, side="left")
        hi = np.searchsorted(p.sl[by_seg], s_m, side="right")
        cnt = hi - lo
        rep = np.repeat(np.arange(len(pair)), cnt)
        q = by_seg[np.repeat(lo, cnt) + sg.ranges(cnt)[1]]
        t = p.sr[q]
        d = sg.point_segment_m(mx[rep], my[rep], net.x0[t], net.y0[t], net.x1[t], net.y1[t])
        close = np.zeros(len(pair), dtype=bool)
        close[rep[d <= near_r[q]]] = True
        soft[cc[pair[close]]] = True

    counts = np.bincount(p.case[p.cross.proper], minlength=m)
    # The exact route counts clean crossings as they are, however crowded the roads.
    clean[has[strays_far]] = False
    counts = np.where(clean, n_clean, counts)
    bad &= ~clean
    soft &= ~bad & ~clean
    if soft.any():
        n_band, unclear = _band_traversals(
            segs, has, p, net, (n_first, n_last), r_m, stray, soft, n_roads
        )
        counts = np.where(soft, n_band, counts)
        bad |= soft & unclear
    ok = ~bad
    out.settled[idx[ok]] = True
    out.n_crossings[idx[ok]] = counts[ok]
    out.crossed[idx[ok]] = counts[ok] > 0
    good = ~bad[p.case] & p.cross.proper
    hits.append((idx[p.case[good]], p.road[good]))
    return idx[has[strays_far]]


def _clean_pairs(
    bounds: FloatArray,
    segs: Segments,
    seg_ends: tuple[BoolArray, BoolArray],
    p: _Pairs,
    boundary: Boundary,
    net: Segments,
    net_ends: tuple[BoolArray, BoolArray],
    r_m: float,
    tol_km: float,
) -> tuple[BoolArray, Int64Array]:
    """Line cases that every road they meet crosses cleanly, and how many roads that is.

    The exact route counts such crossings without following the band
    (:func:`corridors._query_engine._clean_line_crossings`): the case and the road meet
    in one point, where they cross; no end of either lies within the threshold of
    :func:`corridors._band.clean_threshold_deg` (degrees, planar) of the other; and the
    case passes from one side of the road to the other there. Here these are read from
    the segment pairs, in the same degrees: one proper crossing, ends farther than the
    threshold (the pairs reach every segment that near while the threshold spans no
    more metres than twice the band), and no vertex of either line within half the
    threshold of the crossing, where the exact route's test points lie on the two
    crossing segments and so surely on opposite sides. Anything closer to a threshold
    than rounding allows is not clean here. ``bounds`` are the cases' lon/lat bounds;
    ``seg_ends`` and ``net_ends`` flag the first and last segments of each line (:func:`_ends`).
    """
    m = len(bounds)
    n_roads = len(boundary.geoms)
    thr = clean_threshold_deg(bounds, tol_km)
    clean = np.zeros(m, dtype=bool)
    n_clean = np.zeros(m, dtype=np.int64)
    hit = np.flatnonzero(p.cross.hit)
    if len(hit) == 0:
        return clean, n_clean
    key = p.case.astype(np.int64) * n_roads + p.road
    keys, inv, n_hit = np.unique(key[hit], return_inverse=True, return_counts=True)
    pair_of = np.empty(len(keys), dtype=np.intp)
    pair_of[inv] = hit
    good = (n_hit == 1) & p.cross.proper[pair_of]
    # The test points of the exact route lie on the crossing segments.
    q = pair_of[good]
    sl, sr = p.sl[q], p.sr[q]
    cdx, cdy = segs.x1[sl] - segs.x0[sl], segs.y1[sl] - segs.y0[sl]
    rdx, rdy = net.x1[sr] - net.x0[sr], net.y1[sr] - net.y0[sr]
    lc, lr = np.hypot(cdx, cdy), np.hypot(rdx, rdy)
    e = thr[p.case[q]] / 2 * (1 + 1e-7) + 1e-12
    t, u = p.cross.t[q], p.cross.u[q]
    sin = np.abs(cdx * rdy - cdy * rdx) / (lc * lr)
    good[good] = (
        (np.minimum(t, 1 - t) * lc > e) & (np.minimum(u, 1 - u) * lr > e) & (e * sin > 1e-9)
    )
    key_case = (keys // n_roads).astype(np.intp)
    n_touch = np.bincount(key_case, minlength=m)
    maybe = (n_touch > 0) & (np.bincount(key_case[good], minlength=m) == n_touch)
    maybe &= thr * M_PER_DEG <= 2.0 * r_m
    # No end of one line near the other (closed lines have no ends), on the pairs of
    # the cases still in question.
    w = np.flatnonzero(maybe[p.case])
    sl, sr = p.sl[w], p.sr[w]
    (c_first, c_last), (n_first, n_last) = seg_ends, net_ends
    c_closed, n_closed = _closed(segs), network(boundary).closed
    lim = thr[p.case[w]] * (1 + 1e-7) + 1e-12
    ax, ay, bx, by = segs.x0[sl], segs.y0[sl], segs.x1[sl], segs.y1[sl]
    cx, cy, dx, dy = net.x0[sr], net.y0[sr], net.x1[sr], net.y1[sr]
    near_end = np.zeros(len(w), dtype=bool)
    for flag, args in (
        (c_first[sl] & ~c_closed[sl], (ax, ay, cx, cy, dx, dy)),
        (c_last[sl] & ~c_closed[sl], (bx, by, cx, cy, dx, dy)),
        (n_first[sr] & ~n_closed[sr], (cx, cy, ax, ay, bx, by)),
        (n_last[sr] & ~n_closed[sr], (dx, dy, ax, ay, bx, by)),
    ):
        k = np.flatnonzero(flag)
        near_end[k] |= point_segment(*(a[k] for a in args)) <= lim[k]
    good &= ~np.isin(keys, key[w[near_end]])
    n_good = np.bincount(key_case[good], minlength=m)
    clean = maybe & (n_good == n_touch)
    n_clean[clean] = n_good[clean]
    return clean, n_clean


def _closed(segs: Segments) -> BoolArray:
    """Whether the line of each segment ends where it starts (a ring has no ends)."""
    if len(segs) == 0:
        return np.zeros(0, dtype=bool)
    first = np.searchsorted(segs.line, segs.line, side="left")
    last = np.searchsorted(segs.line, segs.line, side="right") - 1
    return np.asarray((segs.x0[first] == segs.x1[last]) & (segs.y0[first] == segs.y1[last]))


def _band_traversals(
    segs: Segments,
    has: IntArray,
    p: _Pairs,
    net: Segments,
    net_ends: tuple[BoolArray, BoolArray],
    r_m: float,
    stray: FloatArray,
    which: BoolArray,
    n_roads: int,
) -> tuple[Int64Array, BoolArray]:
    """Traversals of the band around each road, followed along the case line.

    For the cases ``which`` (no two roads near each other near them, so the bands of
    different roads stay apart): the parts of the case line within the band of one
    road are the union of the stretches of each case segment within r of each road
    segment (:func:`corridors._band.edge_cover`). A part is a traversal when its two
    ends lie on the band's edge on opposite sides of the road, neither being the case
    line's own end nor near a dangling end of the road (the band's rounded cap), and
    when the part meets the road (winding round its end is no crossing), as the exact
    route's :func:`corridors._band.planar_traversals` counts them. The count is made with the band
    r / MARGIN and r * MARGIN wide; a case is unclear when the two differ or a
    side cannot be told. ``stray`` is how far each pair may stray from straight in the
    exact route's projection (:func:`_strays`): the widths allow for it too, and where
    it is not small beside r, the exact route decides. ``net_ends`` flags the first
    and last segments of the boundary's lines. Returns the counts and the unclear cases.
    """
    m = len(which)
    q = np.flatnonzero(which[p.case] & (p.cross.hit | (p.gap <= r_m * MARGIN + stray)))
    counts = []
    unclear = np.zeros(m, dtype=bool)
    if len(q) == 0:
        return np.zeros(m, dtype=np.int64), unclear
    case = p.case[q]
    grp_key, grp = np.unique(case.astype(np.int64) * n_roads + p.road[q], return_inverse=True)
    grp_case = (grp_key // n_roads).astype(np.intp)
    sl, sr = p.sl[q], p.sr[q]
    rank = sl - segs.start[segs.owner[sl]]
    # A frame at each case segment's start (metres).
    kx, ky = sg.metres_per_degree(segs.y0[sl])
    fx, fy = (segs.x1[sl] - segs.x0[sl]) * kx, (segs.y1[sl] - segs.y0[sl]) * ky
    ax, ay = (net.x0[sr] - segs.x0[sl]) * kx, (net.y0[sr] - segs.y0[sl]) * ky
    bx, by = (net.x1[sr] - segs.x0[sl]) * kx, (net.y1[sr] - segs.y0[sl]) * ky
    zero = np.zeros(len(q))
    # The road segments of each group, for the sides and caps at the parts' ends.
    by_grp = np.argsort(grp, kind="stable")
    g_lo = np.searchsorted(grp[by_grp], np.arange(len(grp_key)), side="left")
    g_n = np.searchsorted(grp[by_grp], np.arange(len(grp_key)), side="right") - g_lo
    case_start = np.zeros(m, dtype=np.intp)
    case_n = np.ones(m, dtype=np.intp)
    case_start[has] = segs.start[:-1]
    case_n[has] = np.diff(segs.start)
    groups = _Groups(segs, case_start, case_n, net, net_ends, sr[by_grp], g_lo, g_n)
    worst = np.zeros(m)
    np.maximum.at(worst, case, stray[q])
    unclear[worst >= r_m / MARGIN / 2] = True
    # Where the case crosses each road (position along the case).
    hit = p.cross.proper[q]
    where = np.asarray(rank + np.where(hit, p.cross.t[q], 0.0), dtype=float)
    for rho_case in (r_m / MARGIN - worst, r_m * MARGIN + worst):
        lo, hi = edge_cover(zero, zero, fx, fy, ax, ay, bx, by, rho_case[case])
        comp_g, comp_a, comp_b = merge_intervals(grp, rank + lo, rank + hi)
        sides = []
        for pos in (comp_a, comp_b):
            side, doubt = _side_at(groups, pos, comp_g, grp_case[comp_g], rho_case)
            sides.append(side)
            unclear[grp_case[comp_g[doubt]]] = True
        meets = holds_any(comp_g, comp_a, comp_b, grp[hit], where[hit])
        trav = traversal(sides[0], sides[1], meets)
        counts.append(np.bincount(grp_case[comp_g[trav]], minlength=m).astype(np.int64))
    unclear |= counts[0] != counts[1]
    return counts[1], unclear


@dataclass(frozen=True)
class _Groups:
    """The case lines and the roads near them, in groups (case, road), for
    :func:`_side_at`: the segments of case ``c`` are ``case_start[c]`` onwards
    (``case_n[c]`` of them); those of road group ``g`` are
    ``road_seg[g_lo[g] : g_lo[g] + g_n[g]]``."""

    segs: Segments
    case_start: IntArray
    case_n: IntArray
    net: Segments
    net_ends: tuple[BoolArray, BoolArray]  # first, last segment of each road line
    road_seg: IntArray
    g_lo: IntArray
    g_n: IntArray


def _side_at(
    groups: _Groups, pos: FloatArray, comp_g: IntArray, c: IntArray, rho_case: FloatArray
) -> tuple[Int64Array, BoolArray]:
    """Side of the road (1 left, -1 right, 0 none) at positions ``pos`` along cases ``c``
    (segment number + fraction), and where it cannot be told.

    None: the case line's own end, or on the cap of a dangling end of the road
    (:func:`corridors.query._band.on_cap`; ``rho_case`` is the band's half-width per
    case), as in the reference route. The side is that of the nearest road segment of
    the group; where several are nearest (outside a bend) they must agree.
    """
    segs, net = groups.segs, groups.net
    n = groups.case_n[c]
    at_end = (pos <= 1e-9) | (pos >= n - 1e-9)
    k = np.clip(np.floor(pos).astype(np.intp), 0, n - 1)
    f = pos - k
    s = groups.case_start[c] + k
    px = segs.x0[s] + f * (segs.x1[s] - segs.x0[s])
    py = segs.y0[s] + f * (segs.y1[s] - segs.y0[s])
    cnt = groups.g_n[comp_g]
    rep, rank = sg.ranges(cnt)
    t = groups.road_seg[np.repeat(groups.g_lo[comp_g], cnt) + rank]
    x0, y0, x1, y1 = net.x0[t], net.y0[t], net.x1[t], net.y1[t]
    d = sg.point_segment_m(px[rep], py[rep], x0, y0, x1, y1)
    left = sg.orient(x0, y0, x1, y1, px[rep], py[rep]) > 0
    dmin = np.full(len(pos), np.inf)
    np.minimum.at(dmin, rep, d)
    tie = d <= dmin[rep] * (1 + 1e-6) + 1e-6
    n_tie = np.bincount(rep[tie], minlength=len(pos))
    n_left = np.bincount(rep[tie & left], minlength=len(pos))
    # Dangling ends of the road: the first point of a line's first segment, the last
    # of its last. Measured in the frame the band's edge was found in (the case
    # segment's start), where an end on the cap lies exactly rho_case from it.
    n_first, n_last = groups.net_ends
    kx = sg.metres_per_degree(segs.y0[s])[0][rep]
    qx, qy = px[rep], py[rep]
    d_first = np.hypot((x0 - qx) * kx, (y0 - qy) * M_PER_DEG)
    d_last = np.hypot((x1 - qx) * kx, (y1 - qy) * M_PER_DEG)
    d_cap = np.minimum(np.where(n_first[t], d_first, np.inf), np.where(n_last[t], d_last, np.inf))
    cap_d = np.full(len(pos), np.inf)
    np.minimum.at(cap_d, rep, d_cap)
    rho = rho_case[c]
    none = at_end | on_cap(cap_d, rho)
    side = np.where(none, 0, np.where(n_left > 0, 1, -1)).astype(np.int64)
    doubt = ~none & (n_left > 0) & (n_left < n_tie)
    # An end beside the cap, on the band's straight edge: whether the reference's
    # frame puts it within CAP_REACH half-widths of the dead end is not sure here.
    doubt |= ~at_end & (cap_d > rho * CAP_ON) & (cap_d < rho * CAP_REACH * MARGIN)
    return side, doubt


def _groups(key: IntArray) -> tuple[IntArray, IntArray]:
    """Every ordered pair (i, j), i != j, of positions with the same ``key``."""
    order = np.argsort(key, kind="stable")
    k = key[order]
    lo = np.searchsorted(k, k, side="left")
    cnt = np.searchsorted(k, k, side="right") - lo
    rep = np.repeat(np.arange(len(k)), cnt)
    other = np.repeat(lo, cnt) + sg.ranges(cnt)[1]
    i, j = order[rep], order[other]
    keep = i != j
    return i[keep], j[keep]


def _crowded_roads(
    p: _Pairs,
    near: BoolArray,
    segs: Segments,
    net: Segments,
    reach_m: float,
    around_m: FloatArray,
    net_stray: FloatArray,
    bad: BoolArray,
) -> None:
    """Mark cases near which two roads come within ``reach_m`` of each other, whether
    they cross the case or not: their bands may merge, and where two roads meet the
    exact route's sides of the merged band can differ from the crossings.

    Only the parts of the two roads near one case segment count (both clipped to its
    box widened by ``around_m`` of pair ``i`` plus ``reach_m``; the distance between
    them allows for both straying as :func:`_seg_stray` says): a point of the case
    line whose band or side two roads could share lies within the band of both, so both
    roads are paired with its segment and come that close to each other beside it.
    Junctions of roads away from the case line change nothing there.
    """
    busy = np.bincount(p.case[near], minlength=len(bad)) >= 2
    sel = np.flatnonzero(near & busy[p.case] & ~bad[p.case])
    if len(sel) == 0:
        return
    i, j = _groups(p.sl[sel])
    i, j = sel[i], sel[j]
    keep = (p.road[i] != p.road[j]) & (i < j)
    i, j = i[keep], j[keep]
    s = p.sl[i]
    a, b = p.sr[i], p.sr[j]
    widen = around_m[i] + reach_m + net_stray[a] + net_stray[b] + 0.5
    dx, dy = _widening_deg(segs.y0[s], segs.y1[s], widen)
    box = (
        np.minimum(segs.x0[s], segs.x1[s]) - dx,
        np.minimum(segs.y0[s], segs.y1[s]) - dy,
        np.maximum(segs.x0[s], segs.x1[s]) + dx,
        np.maximum(segs.y0[s], segs.y1[s]) + dy,
    )
    ax0, ay0, ax1, ay1, in_a = _clip_to_box(net.x0[a], net.y0[a], net.x1[a], net.y1[a], box)
    bx0, by0, bx1, by1, in_b = _clip_to_box(net.x0[b], net.y0[b], net.x1[b], net.y1[b], box)
    x = sg.crossings(ax0, ay0, ax1, ay1, bx0, by0, bx1, by1)
    d = sg.segment_distance_m(ax0, ay0, ax1, ay1, bx0, by0, bx1, by1)
    close = in_a & in_b & (x.hit | (d <= reach_m + net_stray[a] + net_stray[b] + 0.5))
    bad[p.case[i[close]]] = True


def _clip_to_box(
    x0: FloatArray,
    y0: FloatArray,
    x1: FloatArray,
    y1: FloatArray,
    box: tuple[FloatArray, FloatArray, FloatArray, FloatArray],
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, BoolArray]:
    """Each segment clipped to its box (Liang-Barsky), and whether any of it is inside."""
    dx, dy = x1 - x0, y1 - y0
    lo = np.zeros(len(x0))
    hi = np.ones(len(x0))
    inside = np.ones(len(x0), dtype=bool)
    bx0, by0, bx1, by1 = box
    for d, q in ((-dx, x0 - bx0), (dx, bx1 - x0), (-dy, y0 - by0), (dy, by1 - y0)):
        flat = d == 0
        inside &= ~(flat & (q < 0))
        with np.errstate(invalid="ignore", divide="ignore"):
            t = np.where(flat, 0.0, q / np.where(flat, 1.0, d))
        lo = np.where(~flat & (d < 0), np.maximum(lo, t), lo)
        hi = np.where(~flat & (d > 0), np.minimum(hi, t), hi)
    inside &= lo <= hi
    return x0 + lo * dx, y0 + lo * dy, x0 + hi * dx, y0 + hi * dy, inside


def _polygons(
    cases: GeomArray,
    idx: IntArray,
    bounds: FloatArray,
    boundary: Boundary,
    net: Segments,
    r_m: float,
    tol_m: float,
    allow_m: float,
    out: FastLinear,
    hits: list[tuple[IntArray, IntArray]],
) -> IntArray:
    """Convex polygon cases: clip every road that enters to the ring, chain the pieces
    into stretches, and decide depth, severing and stretch lengths from them.

    Named steps: :func:`_polygon_scan` (candidates and what cannot be settled here),
    :func:`_polygon_pieces` (the roads clipped to each ring, chained into stretches),
    :func:`_polygon_severs` (whether the band splits the polygon), then depth and length
    against the tolerance. Returns, unsettled, the cases whose segments stray more than
    ``allow_m`` (as :func:`_lines`)."""
    scan = _polygon_scan(cases, idx, bounds, boundary, net, r_m, allow_m)
    m = len(idx)
    bad = scan.bad.copy()
    # Nothing enters: untouched, whatever passes nearby.
    out.settled[idx[~bad & (scan.n_cross == 0)]] = True
    bad |= ~scan.convex
    work = ~bad & (scan.n_cross > 0)
    if not work.any():
        return scan.far
    frame = _CaseFrames.around(scan.box, scan.has, scan.ccw)
    pieces = _polygon_pieces(scan, frame, work, boundary, net)
    bad |= pieces.bad
    cut_yes, cut_no = _polygon_severs(scan, frame, pieces, work & ~bad, net, r_m)
    pc = pieces.pc

    # Depth the roads reach from the ring: on each piece the distance to a convex ring
    # is the least of the signed distances to its edges' lines, concave along it.
    mg = scan.mg
    if tol_m > 0:
        # Only where it decides: a severed polygon is crossed however deep the road.
        need = np.flatnonzero((work & ~bad & cut_no & ~cut_yes)[pc])
        best = _piece_depth(scan.segs, frame, pieces, need)
        deep = np.full(m, -np.inf)
        np.maximum.at(deep, pc[need], best)
        deep_yes = deep > tol_m * mg
        deep_no = deep < tol_m / mg
    else:
        deep_yes = np.ones(m, dtype=bool)
        deep_no = np.zeros(m, dtype=bool)
    # Stretches shorter than the tolerance do not count as crossings.
    s_case, s_len = pieces.s_case, pieces.s_len
    long_yes = s_len > tol_m * mg[s_case]
    unclear = ~long_yes & ~(s_len < tol_m / mg[s_case])
    len_unclear = np.bincount(s_case[unclear], minlength=m) > 0
    n_long = np.bincount(s_case[long_yes], minlength=m)

    decided = work & ~bad & (cut_yes | (cut_no & (deep_yes | deep_no))) & ~len_unclear
    crossed = deep_yes | cut_yes
    _, _, piece_m = GEOD.inv(pieces.qx0, pieces.qy0, pieces.qx1, pieces.qy1)
    across_km = np.bincount(pc, np.asarray(piece_m, dtype=float), minlength=m) / 1000.0
    dec = np.flatnonzero(decided)
    kk = idx[dec]
    out.settled[kk] = True
    out.crossed[kk] = crossed[dec]
    out.severs[kk] = cut_yes[dec]
    out.n_crossings[kk] = np.where(crossed[dec], n_long[dec], 0)
    out.length_across_km[kk] = across_km[dec]
    got = decided[pc]
    hits.append((idx[pc[got]], net.owner[pieces.ps[got]]))
    return scan.far


@dataclass(frozen=True)
class _PolyScan:
    """What :func:`_polygon_scan` finds for ``m`` polygon cases: their ring segments
    and the road pairs near them (``has`` the cases with a ring, ``p`` the pairs),
    how far each pair may stray, the cases left to the reference route (``bad``,
    ``far``: too far astray), the convex rings and their orientation, each case's box
    and frame margin, and the number of proper crossings of its ring."""

    geoms: GeomArray
    segs: Segments
    has: IntArray
    p: _Pairs
    stray: FloatArray
    bad: BoolArray
    far: IntArray
    ccw: BoolArray
    convex: BoolArray
    box: FloatArray
    mg: FloatArray
    n_cross: Int64Array
    n_seg: IntArray


def _polygon_scan(
    cases: GeomArray,
    idx: IntArray,
    bounds: FloatArray,
    boundary: Boundary,
    net: Segments,
    r_m: float,
    allow_m: float,
) -> _PolyScan:
    """Step 1 of :func:`_polygons`: candidate pairs, and the cases it cannot settle."""
    m = len(idx)
    geoms = cases[idx]
    segs, has, p, ci, ti = _segment_pairs(
        geoms, boundary, net, r_m + _reach_extra_m(boundary, net, allow_m)
    )
    strays_far, stray = _strays(segs, len(has), boundary, net, p, allow_m)
    bad = np.zeros(m, dtype=bool)
    bad[p.case[p.cross.unsure]] = True
    # A road crossing the ring with an end of either segment within their strays of
    # the other may not cross it there in the exact route's frame (a corner clipped
    # by metres may not be clipped at all).
    bad[p.case[p.cross.proper & (p.gap <= stray)]] = True
    bad[has[strays_far]] = True
    far = idx[has[strays_far]]

    # A boundary line wholly inside the polygon meets no ring segment: test the first
    # vertex of every part of every candidate line that lies within the polygon's box.
    # A part that also crosses the ring is clipped below; one that does not lies wholly
    # inside, which is left to the exact route.
    l_first = np.flatnonzero(np.r_[True, net.line[1:] != net.line[:-1]]) if len(net) else net.line
    l_start = np.searchsorted(net.owner[l_first], np.arange(len(boundary.geoms) + 1))
    n_lines = np.diff(l_start)[ti]
    k, rank = sg.ranges(n_lines)
    lc, lf = ci[k], l_first[l_start[ti][k] + rank]
    lx, ly = net.x0[lf], net.y0[lf]
    bb = bounds[idx][lc]
    inbox = np.flatnonzero(
        (lx >= bb[:, 0]) & (lx <= bb[:, 2]) & (ly >= bb[:, 1]) & (ly <= bb[:, 3])
    )
    if len(inbox):
        inside = inbox[shapely.contains_xy(geoms[lc[inbox]], lx[inbox], ly[inbox])]
        n_l = int(net.line[-1]) + 1
        crossing_keys = np.unique(
            p.case[p.cross.proper].astype(np.int64) * n_l + net.line[p.sr[p.cross.proper]]
        )
        k_in = lc[inside].astype(np.int64) * n_l + net.line[lf[inside]]
        bad[lc[inside][~np.isin(k_in, crossing_keys)]] = True

    # Convex rings only (every turn the same way), small enough for one local frame.
    n_seg = np.diff(segs.start)
    nxt = np.arange(len(segs)) + 1
    last = nxt == np.repeat(segs.start[1:], n_seg)
    nxt[last] = np.repeat(segs.start[:-1], n_seg)[last]
    turn = sg.orient(segs.x0, segs.y0, segs.x1, segs.y1, segs.x1[nxt], segs.y1[nxt])
    pos = np.bincount(segs.owner, turn > 0, minlength=len(has))
    neg = np.bincount(segs.owner, turn < 0, minlength=len(has))
    ccw = np.zeros(m, dtype=bool)
    convex = np.zeros(m, dtype=bool)
    ccw[has] = neg == 0
    convex[has] = (pos == 0) | (neg == 0)
    box = bounds[idx]
    convex &= (box[:, 2] - box[:, 0] < SPAN_DEG) & (box[:, 3] - box[:, 1] < SPAN_DEG)
    mg = _frame_margin(box, r_m)

    n_cross = np.bincount(p.case[p.cross.proper], minlength=m)
    return _PolyScan(geoms, segs, has, p, stray, bad, far, ccw, convex, box, mg, n_cross, n_seg)


@dataclass(frozen=True)
class _CaseFrames:
    """A local frame (metres) per polygon case, centred on its box; ring edges run
    e -> f in it, counter-clockwise where ``sgn_case`` is 1."""

    lon0: FloatArray
    lat0: FloatArray
    kx: FloatArray
    ky: FloatArray
    pos_of: IntArray
    sgn_case: FloatArray

    @classmethod
    def around(cls, box: FloatArray, has: IntArray, ccw: BoolArray) -> _CaseFrames:
        lon0, lat0 = (box[:, 0] + box[:, 2]) / 2, (box[:, 1] + box[:, 3]) / 2
        kx, ky = sg.metres_per_degree(lat0)
        pos_of = np.full(len(box), -1, dtype=np.intp)
        pos_of[has] = np.arange(len(has))
        return cls(lon0, lat0, kx, ky, pos_of, np.where(ccw, 1.0, -1.0))

    def local(self, x: FloatArray, y: FloatArray, c: IntArray) -> tuple[FloatArray, FloatArray]:
        """Lon/lat points of cases ``c`` in their frames (metres)."""
        return (x - self.lon0[c]) * self.kx[c], (y - self.lat0[c]) * self.ky[c]


@dataclass(frozen=True)
class _Pieces:
    """The roads inside each polygon case, as pieces of road segment (case ``pc``,
    segment ``ps``, ends in lon/lat ``q*`` and in the case's frame ``X*``/``Y*``,
    length ``plen`` in metres), chained into stretches (``cont``: a piece continues
    the one before; per stretch its case, ring edges at its ends (-1 inside) and
    length), the number of pieces per case, and the cases found unsettled (``bad``)."""

    pc: IntArray
    ps: IntArray
    qx0: FloatArray
    qy0: FloatArray
    qx1: FloatArray
    qy1: FloatArray
    X0: FloatArray
    Y0: FloatArray
    X1: FloatArray
    Y1: FloatArray
    plen: FloatArray
    cont: BoolArray
    s_case: IntArray
    s_a: IntArray
    s_b: IntArray
    s_len: FloatArray
    n_pieces: Int64Array
    bad: BoolArray


def _polygon_pieces(
    scan: _PolyScan, frame: _CaseFrames, work: BoolArray, boundary: Boundary, net: Segments
) -> _Pieces:
    """Step 2 of :func:`_polygons`: clip the roads to the rings of the cases ``work``."""
    m = len(work)
    segs, p = scan.segs, scan.p
    pos_of, sgn_case, local = frame.pos_of, frame.sgn_case, frame.local
    n_cross = scan.n_cross
    proper = p.cross.proper
    bad = np.zeros(m, dtype=bool)
    # Every road segment that crosses a ring, once per case.
    sel = np.flatnonzero(proper & work[p.case])
    key = np.unique(p.case[sel].astype(np.int64) * len(net) + p.sr[sel])
    kc, ks = (key // len(net)).astype(np.intp), (key % len(net)).astype(np.intp)
    t_in, t_out, e_in, e_out = _clip(segs, pos_of, sgn_case, local, kc, ks, net)
    # Each proper crossing is one end of a piece on the ring; else the frames disagree.
    ring_ends = np.bincount(kc, (e_in >= 0).astype(float) + (e_out >= 0), minlength=m)
    bad[work & (ring_ends != n_cross)] = True
    bad[kc[t_out <= t_in]] = True

    # Segments wholly inside: after a piece that ends inside, up to the next crossing
    # segment of the same line (or the line's end); before the first crossing segment
    # of a line when its piece starts inside.
    line = net.line[ks]
    same_next = np.r_[(kc[1:] == kc[:-1]) & (line[1:] == line[:-1]), False]
    same_prev = np.r_[False, same_next[:-1]]
    line_first = np.searchsorted(net.line, line, side="left")
    line_last = np.searchsorted(net.line, line, side="right") - 1
    nxt_cross = np.where(same_next, np.r_[ks[1:], 0], line_last + 1)
    # A piece that ends inside must be followed by one that starts inside.
    starts_in = np.r_[e_in[1:] < 0, False]
    bad[kc[same_next & ((e_out < 0) != starts_in)]] = True
    fwd = np.where(e_out < 0, nxt_cross - ks - 1, 0)
    back = np.where(~same_prev & (e_in < 0), ks - line_first, 0)
    gf, rf = sg.ranges(fwd)
    gb, rb = sg.ranges(back)
    whole_c = np.concatenate([kc[gf], kc[gb]])
    whole_s = np.concatenate([ks[gf] + 1 + rf, line_first[gb] + rb])

    pc = np.concatenate([kc, whole_c])
    ps = np.concatenate([ks, whole_s])
    pt0 = np.concatenate([t_in, np.zeros(len(whole_c))])
    pt1 = np.concatenate([t_out, np.ones(len(whole_c))])
    pe0 = np.concatenate([e_in, np.full(len(whole_c), -1, dtype=np.intp)])
    pe1 = np.concatenate([e_out, np.full(len(whole_c), -1, dtype=np.intp)])
    order = np.lexsort((ps, pc))
    pc, ps, pt0, pt1, pe0, pe1 = (a[order] for a in (pc, ps, pt0, pt1, pe0, pe1))
    # The pieces, in lon/lat and in the case's frame.
    dxs, dys = net.x1[ps] - net.x0[ps], net.y1[ps] - net.y0[ps]
    qx0, qy0 = net.x0[ps] + pt0 * dxs, net.y0[ps] + pt0 * dys
    qx1, qy1 = net.x0[ps] + pt1 * dxs, net.y0[ps] + pt1 * dys
    X0, Y0 = local(qx0, qy0, pc)
    X1, Y1 = local(qx1, qy1, pc)
    plen = np.hypot(X1 - X0, Y1 - Y0)
    bad[pc[plen < 0.01]] = True
    # Stretches: pieces chained through joints inside the polygon.
    cont = np.r_[False, (pc[1:] == pc[:-1]) & (ps[1:] == ps[:-1] + 1)]
    cont[1:] &= (net.line[ps[1:]] == net.line[ps[:-1]]) & (pe1[:-1] < 0) & (pe0[1:] < 0)
    stretch = np.cumsum(~cont) - 1
    n_str = int(stretch[-1]) + 1 if len(stretch) else 0
    s_first = np.flatnonzero(~cont)
    s_last = np.r_[s_first[1:] - 1, len(pc) - 1] if n_str else s_first
    s_case = pc[s_first]
    s_a, s_b = pe0[s_first], pe1[s_last]
    s_len = np.bincount(stretch, plen, minlength=n_str)
    bad[s_case[(s_a < 0) & (s_b < 0)]] = True  # a line wholly inside (caught above)
    n_pieces = np.bincount(pc, minlength=m)
    bad[n_pieces > MAX_PIECES] = True

    # Pieces that are not joined in one stretch must not meet, here or in the exact
    # route's frame, where they may stray from straight: GEOS would node them where
    # they cross, or merge them where they share an end.
    i, j = _groups(pc)
    keep = (i < j) & ~((j == i + 1) & cont[j]) & ~bad[pc[i]]
    i, j = i[keep], j[keep]
    if len(i):
        x = sg.crossings(qx0[i], qy0[i], qx1[i], qy1[i], qx0[j], qy0[j], qx1[j], qy1[j])
        d = sg.segment_distance_m(qx0[i], qy0[i], qx1[i], qy1[i], qx0[j], qy0[j], qx1[j], qy1[j])
        net_stray = network(boundary).stray
        bad[pc[i[x.hit | (d <= net_stray[ps[i]] + net_stray[ps[j]] + 0.5)]]] = True

    return _Pieces(
        pc, ps, qx0, qy0, qx1, qy1, X0, Y0, X1, Y1, plen, cont,
        s_case, s_a, s_b, s_len.astype(np.float64, copy=False), n_pieces, bad,
    )  # fmt: skip


def _polygon_severs(
    scan: _PolyScan,
    frame: _CaseFrames,
    pieces: _Pieces,
    open_cases: BoolArray,
    net: Segments,
    r_m: float,
) -> tuple[BoolArray, BoolArray]:
    """Step 3 of :func:`_polygons`: whether the band surely severs (first) or surely
    does not sever (second) each of the ``open_cases``."""
    m = len(open_cases)
    segs, p, stray, mg, n_seg = scan.segs, scan.p, scan.stray, scan.mg, scan.n_seg
    pos_of, sgn_case, local = frame.pos_of, frame.sgn_case, frame.local
    pc, ps, n_pieces = pieces.pc, pieces.ps, pieces.n_pieces
    s_case, s_a, s_b = pieces.s_case, pieces.s_a, pieces.s_b
    # Severing. A ring vertex is clear when no road comes within r of it; a stretch
    # from ring edge a to ring edge b != a severs the polygon when clear vertices lie on
    # both arcs of the ring between its ends (a path between them inside the polygon
    # would cross the stretch, so the band splits them apart).
    clear = np.ones(len(segs), dtype=bool)
    clear[p.sl[p.da <= r_m * mg[p.case] + stray]] = False
    csum = np.r_[0, np.cumsum(clear)]
    h = pos_of[s_case]
    ring0 = segs.start[h]
    n_ring = n_seg[h]
    n_clear = csum[ring0 + n_ring] - csum[ring0]

    def clear_between(lo: IntArray, hi: IntArray) -> IntArray:
        """Clear vertices with local numbers lo..hi (cyclic, lo <= hi < lo + n)."""

        def upto(k: IntArray) -> IntArray:
            return csum[ring0 + k % n_ring] - csum[ring0] + (k // n_ring) * n_clear

        return np.asarray(upto(hi + 1) - upto(lo))

    through = (s_a >= 0) & (s_b >= 0) & (s_a != s_b)
    a1 = np.where(through, s_a, 0) + 1
    b1 = np.where(through, s_b, 0)
    b1 = np.where(b1 < a1, b1 + n_ring, b1)
    side1 = clear_between(a1, b1)
    side2 = clear_between(b1 + 1, a1 - 1 + n_ring)
    s_cut = through & (side1 > 0) & (side2 > 0)
    cut_yes = np.zeros(m, dtype=bool)
    cut_yes[s_case[s_cut]] = True

    # Whether the band splits the polygon is settled when no two road segments near
    # the ring or inside the polygon come within 2 r unless they follow each other along
    # one line. The segments then fall into runs (consecutive segments of one line: a
    # stretch, a road passing near the ring outside, or both joined), the band of each
    # run meets the polygon in simply connected parts apart from the others', and a part
    # that covers c separate stretches of ring cuts the polygon into c pieces (taking
    # them out one by one, each splits the piece it lies in): the polygon is severed
    # when some run's band covers two or more. Those are counted with bands as narrow
    # as the exact route's inscribed polygon may be and as wide as the true band, each
    # widened by the case's frame margin ``mg``; equal counts (and no contact that only
    # the wider band makes) settle it.
    cut_no = np.zeros(m, dtype=bool)
    near = p.cross.hit | (p.gap <= r_m * mg[p.case] + stray)
    near &= open_cases[p.case]
    piece_key = pc.astype(np.int64) * len(net) + ps
    rel = np.unique(
        np.concatenate([p.case[near].astype(np.int64) * len(net) + p.sr[near], piece_key])
    )
    rc, rs = (rel // len(net)).astype(np.intp), (rel % len(net)).astype(np.intp)
    n_rel = np.bincount(rc, minlength=m)
    chain = (n_pieces > 0) & (n_rel <= MAX_PIECES)
    joined = np.r_[False, (rc[1:] == rc[:-1]) & (rs[1:] == rs[:-1] + 1)]
    joined[1:] &= net.line[rs[1:]] == net.line[rs[:-1]]
    # Two segments of a run meeting outside the polygon have bands that meet in it
    # when their vertex lies within r of it; they stay apart in it when it lies farther
    # than their bands' overlap reaches (r / sin(half the angle) from the vertex).
    # Between the two, or with a sharp turn, the exact route decides.
    worst_all = np.zeros(m)
    np.maximum.at(worst_all, p.case[near], stray[near])
    jv = np.flatnonzero(joined)
    split = np.zeros(len(rel), dtype=bool)
    if len(jv):
        c = rc[jv]
        vx, vy = local(net.x0[rs[jv]], net.y0[rs[jv]], c)
        ux, uy = local(net.x0[rs[jv - 1]], net.y0[rs[jv - 1]], c)
        wx, wy = local(net.x1[rs[jv]], net.y1[rs[jv]], c)
        off = _ring_distance(segs, pos_of, sgn_case, local, c, vx, vy)
        ax, ay, bx, by = ux - vx, uy - vy, wx - vx, wy - vy
        with np.errstate(invalid="ignore", divide="ignore"):
            cos = (ax * bx + ay * by) / (np.hypot(ax, ay) * np.hypot(bx, by))
            reach = r_m / np.sqrt(np.maximum((1.0 - cos) / 2.0, 0.0))
        meet = off <= r_m * BAND_INSCRIBED / mg[c] - worst_all[c]
        apart = off > reach * mg[c] + worst_all[c]
        split[jv] = apart & ~meet
        chain[c[~meet & ~apart]] = False
    run = np.cumsum(~joined | split) - 1
    n_run = int(run[-1]) + 1 if len(run) else 0
    run_case = rc[~joined | split]
    i, j = _groups(rc)
    keep = (i < j) & chain[rc[i]]
    i, j = i[keep], j[keep]
    keep = ~((j == i + 1) & joined[j])
    pair_case = rc[i[keep]]
    i, j = rs[i[keep]], rs[j[keep]]
    if len(i):
        x = sg.crossings(
            net.x0[i], net.y0[i], net.x1[i], net.y1[i], net.x0[j], net.y0[j], net.x1[j], net.y1[j]
        )
        d = sg.segment_distance_m(
            net.x0[i], net.y0[i], net.x1[i], net.y1[i], net.x0[j], net.y0[j], net.x1[j], net.y1[j]
        )
        chain[pair_case[x.hit | (d <= 2.0 * r_m * mg[pair_case])]] = False
    q = np.flatnonzero(near & chain[p.case])
    if len(q):
        c = p.case[q]
        grp = run[np.searchsorted(rel, c.astype(np.int64) * len(net) + p.sr[q])]
        ring_n = n_seg[pos_of[c]]
        rank = p.sl[q] - segs.start[pos_of[c]]
        ex, ey = local(segs.x0[p.sl[q]], segs.y0[p.sl[q]], c)
        fx, fy = local(segs.x1[p.sl[q]], segs.y1[p.sl[q]], c)
        ax, ay = local(net.x0[p.sr[q]], net.y0[p.sr[q]], c)
        bx, by = local(net.x1[p.sr[q]], net.y1[p.sr[q]], c)
        # The widths also allow for the segments straying from straight in the exact
        # route's projection.
        worst = np.zeros(m)
        np.maximum.at(worst, c, stray[q])
        # The exact route's band is a polygon inscribed in the true one.
        inner_m = r_m * BAND_INSCRIBED
        counts = []
        for rho in (np.maximum(inner_m / mg[c] - worst[c], 0.0), r_m * mg[c] + worst[c]):
            lo, hi = edge_cover(ex, ey, fx, fy, ax, ay, bx, by, rho)
            counts.append((lo, *_cyclic_cover(grp, rank + lo, rank + hi, ring_n, n_run)))
        (lo_a, n_a, full_a), (lo_b, n_b, full_b) = counts
        maybe = np.zeros(m, dtype=bool)
        maybe[c[np.isnan(lo_a) & ~np.isnan(lo_b)]] = True
        differ = np.bincount(run_case, (n_a != n_b) | (full_a != full_b), minlength=m) > 0
        splits = np.bincount(run_case, (n_a >= 2) & ~full_a, minlength=m) > 0
        settled = chain & ~maybe & ~differ
        cut_yes |= settled & splits
        cut_no |= settled & ~splits

    return cut_yes, cut_no


def _frame_margin(box: FloatArray, r_m: float) -> FloatArray:
    """Relative margin, per polygon case of bounds ``box``, that distances measured in
    its local equirectangular frame must clear before they are called surely above or
    below a threshold in the exact route's azimuthal frame.

    Over a region reaching ``e`` metres from the centre, the two frames' scales differ
    by about ``tan(latitude) e / R`` (the parallels' scale and the meridians'
    convergence); twice that, doubled again for safety, plus 0.1 %, stays below
    :data:`MARGIN` for small cases and far from the poles.
    """
    lat_lo = np.minimum(np.abs(box[:, 1]), np.abs(box[:, 3]))
    lat_lo = np.where(box[:, 1] * box[:, 3] < 0, 0.0, lat_lo)
    half_m = 0.5 * np.hypot(
        (box[:, 2] - box[:, 0]) * M_PER_DEG * np.cos(np.radians(lat_lo)),
        (box[:, 3] - box[:, 1]) * M_PER_DEG,
    )
    reach_m = half_m + 3.0 * r_m + 500.0
    lat_hi = np.maximum(np.abs(box[:, 1]), np.abs(box[:, 3])) + reach_m / M_PER_DEG
    tan = np.tan(np.radians(np.minimum(lat_hi, MAX_LAT)))
    return np.asarray(np.minimum(1.0 + 4.0 * tan * reach_m / EARTH_RADIUS_M + 1e-3, MARGIN))


def _seg_stray(segs: Segments) -> FloatArray:
    """How far (m) each segment, straight in lon/lat, may stray from the straight line
    between its ends in the exact route's projection: about L^2 tan(latitude) / 8R."""
    lat = np.minimum(np.maximum(np.abs(segs.y0), np.abs(segs.y1)) + 1.0, MAX_LAT)
    kx, ky = sg.metres_per_degree(lat)
    ll = np.hypot((segs.x1 - segs.x0) * kx, (segs.y1 - segs.y0) * ky) ** 2
    return np.asarray(ll * np.tan(np.radians(lat)) / (8 * EARTH_RADIUS_M))


def _reach_extra_m(boundary: Boundary, net: Segments, allow_m: float) -> float:
    """Extra reach (m) of the segment pairs for case segments straying up to ``allow_m``:
    the boundary's largest stray plus that plus rounding, so that no pair within a
    threshold plus the strays of its two segments is missed."""
    return network(boundary).budget / 2.0 + allow_m


def _strays(
    segs: Segments, n: int, boundary: Boundary, net: Segments, p: _Pairs, allow_m: float
) -> tuple[BoolArray, FloatArray]:
    """For the case segments ``segs`` of ``n`` geometries: which geometries stray beyond
    ``allow_m``, and how far (m) each pair's two segments may stray together (plus
    half a metre for rounding)."""
    net_stray = network(boundary).stray
    own = _seg_stray(segs)
    worst = np.zeros(n)
    np.maximum.at(worst, segs.owner, own)
    return worst > allow_m, own[p.sl] + net_stray[p.sr] + 0.5


def _cyclic_cover(
    case: IntArray, lo: FloatArray, hi: FloatArray, ring_n: IntArray, m: int
) -> tuple[IntArray, BoolArray]:
    """Per case, how many separate stretches of its ring the intervals [lo, hi] cover
    (positions along the ring, 0 to n edges, the ring closing at n), and whether they
    cover all of it. NaN intervals are skipped."""
    g, start, end = merge_intervals(case, lo, hi)
    count = np.bincount(g, minlength=m).astype(np.intp)
    first = np.r_[True, g[1:] != g[:-1]] if len(g) else np.zeros(0, dtype=bool)
    begins = np.full(m, np.inf)
    begins[g[first]] = start[first]
    ends = np.full(m, -np.inf)
    np.maximum.at(ends, g, end)
    n_of = np.zeros(m)
    n_of[case] = ring_n
    # A stretch through the ring's closing point was counted twice.
    wraps = (begins <= 1e-9) & (ends >= n_of - 1e-9)
    full = wraps & (count == 1)
    return np.where(wraps & (count >= 2), count - 1, count), full


def _ring_edges(
    segs: Segments, pos_of: IntArray, local: Any, cases: IntArray
) -> tuple[IntArray, IntArray, IntArray, IntArray, tuple[FloatArray, ...]]:
    """Every ring edge e -> f of each of ``cases`` (repeats allowed), in its local frame.

    Returns the edge count per entry, each edge's entry and number within its ring, its
    case, and (ex, ey, fx, fy) in metres.
    """
    h = pos_of[cases]
    cnt = np.diff(segs.start)[h]
    rep, rank = sg.ranges(cnt)
    at = segs.start[h][rep] + rank
    c = cases[rep]
    ex, ey = local(segs.x0[at], segs.y0[at], c)
    fx, fy = local(segs.x1[at], segs.y1[at], c)
    return cnt, rep, rank, c, (ex, ey, fx, fy)


def _ring_distance(
    segs: Segments,
    pos_of: IntArray,
    sgn_case: FloatArray,
    local: Any,
    cases: IntArray,
    px: FloatArray,
    py: FloatArray,
) -> FloatArray:
    """Distance (m) from each point p, in its case's local frame, to the case's convex
    polygon: 0 inside, else to the nearest ring edge."""
    cnt, rep, _, c, (ex, ey, fx, fy) = _ring_edges(segs, pos_of, local, cases)
    qx, qy = px[rep], py[rep]
    gx, gy = fx - ex, fy - ey
    gg = gx * gx + gy * gy
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.clip(((qx - ex) * gx + (qy - ey) * gy) / gg, 0.0, 1.0)
    d = np.hypot(qx - ex - t * gx, qy - ey - t * gy)
    # Inside: on the inner side of every edge (left of each on a counter-clockwise ring).
    outside = sgn_case[c] * (gx * (qy - ey) - gy * (qx - ex)) < 0
    first = np.cumsum(cnt) - cnt
    dmin = np.minimum.reduceat(d, first) if len(d) else np.zeros(0)
    out_any = np.maximum.reduceat(outside, first) if len(d) else np.zeros(0, dtype=bool)
    return np.where(out_any, dmin, 0.0)


def _clip(
    segs: Segments,
    pos_of: IntArray,
    sgn_case: FloatArray,
    local: Any,
    kc: IntArray,
    ks: IntArray,
    net: Segments,
) -> tuple[FloatArray, FloatArray, IntArray, IntArray]:
    """Clip road segments ``ks`` to the convex rings of cases ``kc`` (Cyrus-Beck).

    Returns the positions (0-1) where each enters and leaves the polygon, and the ring
    edges (numbered within the ring) it enters and leaves through, -1 where it starts
    or ends inside.
    """
    cnt, rep, rank, c, (ex, ey, fx, fy) = _ring_edges(segs, pos_of, local, kc)
    ax, ay = local(net.x0[ks][rep], net.y0[ks][rep], c)
    bx, by = local(net.x1[ks][rep], net.y1[ks][rep], c)
    # Inward normals: left of each edge on a counter-clockwise ring.
    sgn = sgn_case[c]
    nx, ny = -(fy - ey) * sgn, (fx - ex) * sgn
    num = nx * (ax - ex) + ny * (ay - ey)
    den = nx * (bx - ax) + ny * (by - ay)
    with np.errstate(invalid="ignore", divide="ignore"):
        ts = -num / den
    enter, leave = den > 0, den < 0
    lo = np.where(enter, ts, -np.inf)
    hi = np.where(leave, ts, np.inf)
    hi = np.where((den == 0) & (num < 0), -np.inf, hi)
    first = np.cumsum(cnt) - cnt
    t_lo = np.maximum.reduceat(lo, first)
    t_hi = np.minimum.reduceat(hi, first)
    big = np.iinfo(np.intp).max
    e_lo = np.minimum.reduceat(np.where(enter & (lo == t_lo[rep]), rank, big), first)
    e_hi = np.minimum.reduceat(np.where(leave & (hi == t_hi[rep]), rank, big), first)
    t_in, t_out = np.maximum(t_lo, 0.0), np.minimum(t_hi, 1.0)
    return (
        t_in,
        t_out,
        np.where(t_lo > 0, e_lo, -1).astype(np.intp),
        np.where(t_hi < 1, e_hi, -1).astype(np.intp),
    )


def _piece_depth(segs: Segments, frame: _CaseFrames, pieces: _Pieces, sel: IntArray) -> FloatArray:
    """Greatest distance (m) from the ring reached along each piece ``sel`` (convex
    rings), in the frames of their cases."""
    pc, plen = pieces.pc[sel], pieces.plen[sel]
    X0, Y0, X1, Y1 = pieces.X0[sel], pieces.Y0[sel], pieces.X1[sel], pieces.Y1[sel]
    mx, my = (X0 + X1) / 2, (Y0 + Y1) / 2
    with np.errstate(invalid="ignore", divide="ignore"):
        ux, uy = (X1 - X0) / plen, (Y1 - Y0) / plen
    cnt, rep, _, c, (ex, ey, fx, fy) = _ring_edges(segs, frame.pos_of, frame.local, pc)
    ex, ey, fx, fy = ex - mx[rep], ey - my[rep], fx - mx[rep], fy - my[rep]
    gx, gy = fx - ex, fy - ey
    glen = np.hypot(gx, gy)
    sgn = frame.sgn_case[c]
    alpha = sgn * (gy * ex - gx * ey) / glen
    beta = sgn * (gx * uy[rep] - gy * ux[rep]) / glen
    return _concave_max(alpha, beta, cnt, plen / 2)


def _concave_max(
    alpha: FloatArray, beta: FloatArray, cnt: IntArray, half: FloatArray
) -> FloatArray:
    """Per group of ``cnt`` lines, the maximum over s in [-half, half] of
    min_i(alpha_i + beta_i * s): at an end of the interval or where two lines tie."""
    g = len(cnt)
    if g == 0:
        return np.zeros(0)
    first = np.cumsum(cnt) - cnt
    # Every pair i < j of lines within a group.
    sq = cnt * cnt
    grp = np.repeat(np.arange(g), sq)
    off = sg.ranges(sq)[1]
    i, j = first[grp] + off // cnt[grp], first[grp] + off % cnt[grp]
    keep = i < j
    grp, i, j = grp[keep], i[keep], j[keep]
    with np.errstate(invalid="ignore", divide="ignore"):
        s = (alpha[j] - alpha[i]) / (beta[i] - beta[j])
    s = np.where(np.isfinite(s), np.clip(s, -half[grp], half[grp]), -half[grp])
    cand_s = np.concatenate([-half, half, s])
    cand_g = np.concatenate([np.arange(g), np.arange(g), grp])
    c_cnt = cnt[cand_g]
    rr = np.repeat(np.arange(len(cand_s)), c_cnt)
    li = np.repeat(first[cand_g], c_cnt) + sg.ranges(c_cnt)[1]
    low = np.minimum.reduceat(alpha[li] + beta[li] * cand_s[rr], np.cumsum(c_cnt) - c_cnt)
    best = np.full(g, -np.inf)
    np.maximum.at(best, cand_g, low)
    return best
