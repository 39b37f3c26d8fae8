"""Fast path of ``crossing`` against a linear boundary (roads, rails, rivers, borders).

The exact route (:func:`corridors._query_engine.linear`) builds, for every case a line
touches, a local network, a band around it and single-sided buffers, at some tens of
microseconds per case. Most cases are simple: a road passes straight through a line case
once, or straight across a small convex polygon, or comes nowhere near. This module
settles those from their segments with numpy (:mod:`corridors._segments`) and hands
every other case to the exact route, so the answers are the same, only sooner.

A case is settled here when, with ``r = max(tolerance, 1 m)``:

* **line case**: every boundary segment within ``2 r`` of it crosses it properly, with
  both of its ends and both ends of the case segment it crosses more than ``r`` from
  the other, and the stretches of the case within ``r`` of each crossing segment lie
  more than ``1.5 r`` from every other crossing segment. Then the case line enters the
  band around the network on one side and leaves it on the other once per crossing:
  the number of crossings is the number of traversals.
* **polygon case** (one convex ring): no boundary segment comes within ``r`` of its
  ring and none lies inside (nothing touches it), or exactly one boundary segment cuts
  straight across it with both ends more than ``r`` outside. Then the depth the line
  reaches, whether it severs the polygon (a vertex more than ``r`` from the line on
  each side) and the length across are computed exactly in a frame centred on the
  chord, and each decision must clear the threshold by :data:`MARGIN` or the case goes
  to the exact route.

Points and multipoints never cross a line (their borders' sides are handled by the
caller). Everything else (touching, collinear runs, dense junctions, concave or holed
polygons, cases beyond 80° of latitude or across the antimeridian) takes the exact route.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import numpy as np
import shapely
from numpy.typing import NDArray

from . import _segments as sg
from ._geodesy import GEOD
from ._query_boundary import Boundary
from ._segments import M_PER_DEG, MARGIN, MAX_LAT, Segments

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]
BoolArray = NDArray[np.bool_]
GeomArray = NDArray[np.object_]


@dataclass
class FastLinear:
    """Answers for the settled cases; ``settled`` is False where the exact route decides."""

    settled: BoolArray
    crossed: BoolArray
    n_crossings: NDArray[np.int64]
    severs: BoolArray
    length_across_km: FloatArray
    hit_case: IntArray  # (case, boundary element) pairs that meet, sorted
    hit_target: IntArray


def boundary_segments(boundary: Boundary) -> Segments:
    """The segments of a linear boundary's lines (cached on the boundary)."""
    cached = boundary.memo.get("segments")
    if cached is None:
        cached = boundary.memo["segments"] = sg.segments(boundary.geoms)
    return cast(Segments, cached)


def crossing_linear(cases: GeomArray, boundary: Boundary, tol_km: float) -> FastLinear:
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
    net = boundary_segments(boundary)
    hits: list[tuple[IntArray, IntArray]] = []
    if len(lines):
        _lines(cases, lines, boundary, net, r_m, out, hits)
    if len(polys):
        _polygons(cases, polys, b, boundary, net, r_m, tol_km * 1000.0, out, hits)
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


def _reach_tree(boundary: Boundary, reach_m: float) -> tuple[shapely.STRtree, FloatArray]:
    """An index over the boxes of the boundary's lines widened by ``reach_m`` (cached),
    and the widening in degrees of longitude of each line."""
    key = f"reach-{reach_m!r}"
    cached = boundary.memo.get(key)
    if cached is None:
        b = shapely.bounds(boundary.geoms)
        dy = reach_m * MARGIN / M_PER_DEG + 1e-9
        top = np.minimum(np.maximum(np.abs(b[:, 1]), np.abs(b[:, 3])) + dy, 89.0)
        dx = dy / np.cos(np.radians(top))
        boxes = shapely.box(b[:, 0] - dx, b[:, 1] - dy, b[:, 2] + dx, b[:, 3] + dy)
        cached = boundary.memo[key] = (shapely.STRtree(boxes), dx)
    return cast(tuple[shapely.STRtree, FloatArray], cached)


def _line_boxes(boundary: Boundary, reach_m: float) -> FloatArray:
    """Bounds of each line of the boundary widened by ``reach_m`` (as the reach tree)."""
    key = f"reach-boxes-{reach_m!r}"
    cached = boundary.memo.get(key)
    if cached is None:
        tree, _ = _reach_tree(boundary, reach_m)
        cached = boundary.memo[key] = shapely.bounds(tree.geometries)
    return cast(FloatArray, cached)


def _segment_pairs(
    geoms: GeomArray, boundary: Boundary, net: Segments, reach_m: float
) -> tuple[Segments, IntArray, _Pairs, IntArray, IntArray]:
    """Segment pairs of the cases and the boundary that may lie within ``reach_m``.

    Returns the segments of the cases that have any candidate (``segs``, owned by
    positions in ``has``), the pairs, and the (case, boundary element) candidates.
    """
    tree, dx_line = _reach_tree(boundary, reach_m)
    ci, ti = tree.query(geoms)
    ci, ti = ci.astype(np.intp), ti.astype(np.intp)
    has, local = np.unique(ci, return_inverse=True)
    segs = sg.segments(geoms[has])
    # First each case segment against the widened box of each candidate line, then the
    # few survivors against that line's segments.
    n_case = np.diff(segs.start)[local]
    k1 = np.repeat(np.arange(len(ci), dtype=np.intp), n_case)
    sl1 = np.repeat(segs.start[local], n_case) + sg.ranges(n_case)[1]
    lb = _line_boxes(boundary, reach_m)
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
    boundary: Boundary,
    net: Segments,
    r_m: float,
    out: FastLinear,
    hits: list[tuple[IntArray, IntArray]],
) -> None:
    """Line cases: traversals are the proper crossings when nothing else is near."""
    m = len(idx)
    segs, has, p, _, _ = _segment_pairs(cases[idx], boundary, net, 2.0 * r_m)
    n_roads = len(boundary.geoms)
    near_r, far_r = r_m * MARGIN, 2.0 * r_m * MARGIN
    near = p.cross.hit | (p.gap <= far_r)
    bad = np.zeros(m, dtype=bool)
    bad[p.case[p.cross.unsure]] = True
    # Which pairs belong to a road that crosses the case somewhere.
    key = p.case.astype(np.int64) * n_roads + p.road
    crossing_keys = np.unique(key[p.cross.proper])
    pos = np.minimum(np.searchsorted(crossing_keys, key), max(len(crossing_keys) - 1, 0))
    mine = crossing_keys[pos] == key if len(crossing_keys) else np.zeros(len(key), dtype=bool)
    # Near a crossing road, the case's own ends must lie outside the band (traversals
    # end on its edge), and no dangling end of the road may lie near the case (passing
    # round it is no crossing).
    c_first, c_last = _ends(segs)
    n_first, n_last = _ends(net)
    for flag, d in (
        (c_first[p.sl], p.da),
        (c_last[p.sl], p.db),
        (n_first[p.sr], p.dc),
        (n_last[p.sr], p.dd),
    ):
        bad[p.case[mine & flag & (d <= near_r)]] = True
    # A crossing road that turns back on itself near the case (a joint near it turning
    # by more than a right angle) may put the band's sides where the exact route sees
    # them differently.
    j = np.flatnonzero(mine & near & ~n_last[p.sr] & (p.dd <= far_r))
    if len(j):
        t0, t1 = p.sr[j], p.sr[j] + 1
        dot = (net.x1[t0] - net.x0[t0]) * (net.x1[t1] - net.x0[t1]) + (net.y1[t0] - net.y0[t0]) * (
            net.y1[t1] - net.y0[t1]
        )
        bad[p.case[j[dot <= 0]]] = True
    # Other roads may pass near the case (in and out of their band on one side is no
    # traversal), but not near another road.
    _crowded_roads(p, near, net, 3.0 * r_m * MARGIN, bad)

    # Two crossings count as two traversals only if the case leaves the band between
    # them: a point of the case between them lies farther than r from every road.
    c = np.flatnonzero(p.cross.proper & ~bad[p.case])
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
        dmin = np.full(len(pair), np.inf)
        np.minimum.at(dmin, rep, d)
        bad[cc[pair[dmin <= near_r]]] = True

    counts = np.bincount(p.case[p.cross.proper], minlength=m)
    _self_crossings(segs, has, p, counts, net, near_r, bad)
    ok = ~bad
    out.settled[idx[ok]] = True
    out.n_crossings[idx[ok]] = counts[ok]
    out.crossed[idx[ok]] = counts[ok] > 0
    good = ~bad[p.case] & p.cross.proper
    hits.append((idx[p.case[good]], p.road[good]))


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
    p: _Pairs, near: BoolArray, net: Segments, reach_m: float, bad: BoolArray
) -> None:
    """Mark cases near which two roads come within ``reach_m`` of each other, whether
    they cross the case or not: their bands may merge, and where two roads meet the
    exact route's sides of the merged band can differ from the crossings."""
    busy = np.bincount(p.case[near], minlength=len(bad)) >= 2
    sel = np.flatnonzero(near & busy[p.case] & ~bad[p.case])
    if len(sel) == 0:
        return
    i, j = _groups(p.case[sel])
    i, j = sel[i], sel[j]
    keep = p.road[i] != p.road[j]
    i, j = i[keep], j[keep]
    a, b = p.sr[i], p.sr[j]
    x = sg.crossings(
        net.x0[a], net.y0[a], net.x1[a], net.y1[a], net.x0[b], net.y0[b], net.x1[b], net.y1[b]
    )
    d = sg.segment_distance_m(
        net.x0[a], net.y0[a], net.x1[a], net.y1[a], net.x0[b], net.y0[b], net.x1[b], net.y1[b]
    )
    bad[p.case[i[x.hit | (d <= reach_m)]]] = True


def _self_crossings(
    segs: Segments,
    has: IntArray,
    p: _Pairs,
    counts: IntArray,
    net: Segments,
    near_r: float,
    bad: BoolArray,
) -> None:
    """Mark crossed cases whose line crosses itself within ``near_r`` of a road.

    The exact route cuts a line where it crosses itself, which there splits a stretch
    inside the band in two; such cases are left to it so both routes agree.
    """
    crossed = np.flatnonzero(counts[has] > 0)
    if len(crossed) == 0:
        return
    cnt = np.diff(segs.start)[crossed]
    sq = cnt * cnt
    grp = np.repeat(np.arange(len(crossed)), sq)
    off = sg.ranges(sq)[1]
    i = segs.start[crossed][grp] + off // cnt[grp]
    j = segs.start[crossed][grp] + off % cnt[grp]
    keep = j >= i + 2
    i, j = i[keep], j[keep]
    x = sg.crossings(
        segs.x0[i],
        segs.y0[i],
        segs.x1[i],
        segs.y1[i],
        segs.x0[j],
        segs.y0[j],
        segs.x1[j],
        segs.y1[j],
    )
    hit = np.flatnonzero(x.hit)
    if len(hit) == 0:
        return
    case_of = has[segs.owner[i[hit]]]
    unsure = x.unsure[hit]
    bad[case_of[unsure]] = True
    hit, case_of = hit[~unsure], case_of[~unsure]
    s, t = i[hit], x.t[hit]
    px = segs.x0[s] + t * (segs.x1[s] - segs.x0[s])
    py = segs.y0[s] + t * (segs.y1[s] - segs.y0[s])
    # Roads near the point are paired with the case segment it lies on.
    by_seg = np.argsort(p.sl, kind="stable")
    lo = np.searchsorted(p.sl[by_seg], s, side="left")
    n_near = np.searchsorted(p.sl[by_seg], s, side="right") - lo
    rep = np.repeat(np.arange(len(s)), n_near)
    q = p.sr[by_seg[np.repeat(lo, n_near) + sg.ranges(n_near)[1]]]
    d = sg.point_segment_m(px[rep], py[rep], net.x0[q], net.y0[q], net.x1[q], net.y1[q])
    bad[case_of[rep[d <= near_r]]] = True


def _polygons(
    cases: GeomArray,
    idx: IntArray,
    bounds: FloatArray,
    boundary: Boundary,
    net: Segments,
    r_m: float,
    tol_m: float,
    out: FastLinear,
    hits: list[tuple[IntArray, IntArray]],
) -> None:
    m = len(idx)
    geoms = cases[idx]
    segs, has, p, ci, ti = _segment_pairs(geoms, boundary, net, r_m)
    bad = np.zeros(m, dtype=bool)
    bad[p.case[p.cross.unsure]] = True

    # A boundary line wholly inside the polygon meets no ring segment: test one vertex
    # of every candidate line that lies within the polygon's box.
    lx, ly = net.x0[net.start[ti]], net.y0[net.start[ti]]
    bb = bounds[idx][ci]
    inbox = np.flatnonzero(
        (lx >= bb[:, 0]) & (lx <= bb[:, 2]) & (ly >= bb[:, 1]) & (ly <= bb[:, 3])
    )
    if len(inbox):
        inside = shapely.contains_xy(geoms[ci[inbox]], lx[inbox], ly[inbox])
        bad[ci[inbox[inside]]] = True
        # (a line starting inside with no clean crossing is not settled here)

    # Convex rings only: every turn the same way.
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

    proper = p.cross.proper
    n_cross = np.bincount(p.case[proper], minlength=m)
    # Nothing enters: untouched, whatever passes nearby.
    out.settled[idx[~bad & (n_cross == 0)]] = True

    # Exactly two crossings, both by one boundary segment: a straight chord.
    c = np.flatnonzero(proper & ~bad[p.case])
    c = c[n_cross[p.case[c]] == 2]
    c = c[np.argsort(p.case[c], kind="stable")]
    first, second = c[0::2], c[1::2]
    same = (p.sr[first] == p.sr[second]) & convex[p.case[first]]
    chord_seg = np.full(m, -1, dtype=np.intp)
    chord_seg[p.case[first[same]]] = p.sr[first[same]]
    # The band then meets the polygon only along the chord: the chord segment's ends
    # and every other boundary segment stay more than r from the ring.
    cs = chord_seg[p.case]
    clash = (cs >= 0) & (
        ((p.sr != cs) & (p.gap <= r_m * MARGIN))
        | ((p.sr == cs) & (np.minimum(p.dc, p.dd) <= r_m * MARGIN))
    )
    bad[p.case[clash]] = True
    same &= ~bad[p.case[first]]
    chord, second = first[same], second[same]
    k = p.case[chord]
    sr = p.sr[chord]
    u0 = np.minimum(p.cross.u[chord], p.cross.u[second])
    u1 = np.maximum(p.cross.u[chord], p.cross.u[second])
    x0 = net.x0[sr] + u0 * (net.x1[sr] - net.x0[sr])
    y0 = net.y0[sr] + u0 * (net.y1[sr] - net.y0[sr])
    x1 = net.x0[sr] + u1 * (net.x1[sr] - net.x0[sr])
    y1 = net.y0[sr] + u1 * (net.y1[sr] - net.y0[sr])
    # A frame centred on the chord's middle (metres), the chord along the unit vector u.
    mx, my = (x0 + x1) / 2, (y0 + y1) / 2
    kx, ky = sg.metres_per_degree(my)
    vx, vy = (x1 - x0) * kx, (y1 - y0) * ky
    length = np.hypot(vx, vy)
    ux, uy = vx / length, vy / length
    # The ring's edges e -> f in that frame.
    h = np.searchsorted(has, k)
    cnt = n_seg[h]
    rep = np.repeat(np.arange(len(k)), cnt)
    at = np.repeat(segs.start[h], cnt) + sg.ranges(cnt)[1]
    ex, ey = (segs.x0[at] - mx[rep]) * kx[rep], (segs.y0[at] - my[rep]) * ky[rep]
    fx, fy = (segs.x1[at] - mx[rep]) * kx[rep], (segs.y1[at] - my[rep]) * ky[rep]
    first_of = np.cumsum(cnt) - cnt
    # Severs: a vertex more than r from the line on each side (the farthest point of a
    # convex polygon from a line is a vertex), so the band leaves a piece on each side.
    side = ey * ux[rep] - ex * uy[rep]
    left = np.maximum.reduceat(side, first_of) if len(k) else side
    right = np.maximum.reduceat(-side, first_of) if len(k) else side
    cut_yes = (left > r_m * MARGIN) & (right > r_m * MARGIN)
    cut_no = (left < r_m / MARGIN) | (right < r_m / MARGIN)
    # Depth: the distance to the ring of the point s * u of the chord is the least of
    # its signed distances to the edges' lines (convex ring): alpha + beta * s each.
    sgn = np.where(ccw[k], 1.0, -1.0)[rep]
    gx, gy = fx - ex, fy - ey
    glen = np.hypot(gx, gy)
    alpha = sgn * (gy * ex - gx * ey) / glen
    beta = sgn * (gx * uy[rep] - gy * ux[rep]) / glen
    if tol_m <= 0:
        deep_yes = np.ones(len(k), dtype=bool)
        deep_no = np.zeros(len(k), dtype=bool)
    else:
        best = _concave_max(alpha, beta, cnt, length / 2)
        deep_yes = best > tol_m * MARGIN
        deep_no = best < tol_m / MARGIN
    long_yes = length > tol_m * MARGIN
    long_no = length < tol_m / MARGIN
    decided = (deep_yes | deep_no) & (cut_yes | cut_no) & (long_yes | long_no)
    _, _, across_m = GEOD.inv(x0[decided], y0[decided], x1[decided], y1[decided])
    kk = idx[k[decided]]
    crossed = deep_yes[decided] | cut_yes[decided]
    out.settled[kk] = True
    out.crossed[kk] = crossed
    out.severs[kk] = cut_yes[decided]
    out.n_crossings[kk] = np.where(crossed & long_yes[decided], 1, 0)
    out.length_across_km[kk] = np.asarray(across_m, dtype=float) / 1000.0
    hits.append((kk, p.road[chord[decided]]))


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
