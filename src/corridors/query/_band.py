"""Bands around lines in a local planar frame, followed along a case line with numpy.

A linear boundary's tolerance is a band of half-width ``r`` around it: a case line
crosses the boundary where a stretch of it inside the band enters on one side and
leaves on the other. These kernels find those stretches without building the band as
a polygon: the part of a segment within ``r`` of another is one interval
(:func:`edge_cover`), the intervals of a line merge into its stretches inside the band
(:func:`merge_intervals`), and the side of a stretch's end is the side of the boundary
segment nearest to it (:func:`planar_traversals`). Coordinates are metres in one local
frame per case (:func:`corridors._geodesy.to_local`), or per segment in the fast route.
"""

from __future__ import annotations

import numpy as np

from .._geodesy import KM_PER_DEG_LAT_MIN
from .._typing import BoolArray, FloatArray, GeomArray, Int64Array, IntArray
from . import _segments as sg

#: Two distances within this (m, plus a relative 1e-9) are the same: a point beyond a
#: shared vertex is equally near both segments that meet there.
TIE_M = 1e-6

#: A piece of line meets a boundary segment when it comes within this (m) of it.
CONTACT_M = 1e-6

#: Half-width (km) of the band that judges sides at tolerance 0 (1 m).
SIDE_EPS_KM = 0.001

#: An end of a stretch within this many half-widths of a dangling end of the line lies
#: on the band's rounded cap there: exactly 1 on the true cap, and 2 % more takes in
#: the ends that rounding (or a speed route's frame) puts just beyond it.
CAP_REACH = 1.02


def on_cap(cap_distance: FloatArray, half_width: FloatArray | float) -> BoolArray:
    """Whether stretch ends at ``cap_distance`` from the nearest dangling end of the
    line lie on its rounded cap (the dead-end rule: such an end has no side)."""
    return np.asarray(cap_distance < CAP_REACH * half_width)


def traversal(side_a: Int64Array, side_b: Int64Array, meets: BoolArray | bool) -> BoolArray:
    """The rule of a crossing, for stretches of a line inside the band of a boundary.

    A stretch crosses when both of its ends have a side (1 or -1; 0 for none: the
    line's own end, or an end on a dead end's cap), the sides differ, and it ``meets``
    the boundary: winding round a dead end inside its band is no crossing.
    """
    return np.asarray((side_a != 0) & (side_b != 0) & (side_a != side_b) & meets)


def clean_threshold_deg(bounds: FloatArray, tol_km: float) -> FloatArray:
    """Per line case of lon/lat ``bounds`` (n x 4), the distance in degrees within which
    an end of either line voids a clean crossing (see
    :func:`corridors._query_engine._clean_line_crossings`): degrees that surely span
    more than the band's half-width in metres, in any direction, up to half a degree
    beyond the case's highest latitude. Both routes use it, so they agree exactly."""
    lat = np.minimum(np.maximum(np.abs(bounds[:, 1]), np.abs(bounds[:, 3])) + 0.5, 89.0)
    return np.asarray(
        max(tol_km, SIDE_EPS_KM) / (KM_PER_DEG_LAT_MIN * np.cos(np.radians(lat))), dtype=float
    )


#: Segments per quarter circle of the GEOS bands that decide severing in the exact
#: route; their round ends and joins are polygons inscribed in the circles, so the band
#: reaches at least :data:`BAND_INSCRIBED` of its width everywhere.
BAND_QUAD_SEGS = 4
BAND_INSCRIBED = float(np.cos(np.pi / (4 * BAND_QUAD_SEGS)))


def holds_any(
    comp_g: IntArray, comp_a: FloatArray, comp_b: FloatArray, g: IntArray, pos: FloatArray
) -> BoolArray:
    """Whether each stretch [comp_a, comp_b] of group comp_g (ordered by group and start,
    as :func:`merge_intervals` returns them) holds a position ``pos`` of its group."""
    out = np.zeros(len(comp_g), dtype=bool)
    if len(comp_g) == 0 or len(g) == 0:
        return out
    span = float(max(comp_b.max(), pos.max())) + 2.0
    start = comp_g * span + comp_a
    key = g * span + pos
    k = np.searchsorted(start, key + 1e-9, side="right") - 1
    ok = k >= 0
    k, key = k[ok], key[ok]
    inside = (comp_g[k] == g[ok]) & (key <= comp_g[k] * span + comp_b[k] + 1e-9)
    out[k[inside]] = True
    return out


def edge_cover(
    ex: FloatArray,
    ey: FloatArray,
    fx: FloatArray,
    fy: FloatArray,
    ax: FloatArray,
    ay: FloatArray,
    bx: FloatArray,
    by: FloatArray,
    rho: FloatArray | float,
) -> tuple[FloatArray, FloatArray]:
    """The part [lo, hi] (0-1 along e -> f) of each edge within ``rho`` of segment a -> b.

    Points within ``rho`` of a segment form a convex set, the union of the discs at its
    ends and the strip along it; on a line it is one interval, the hull of the three
    intervals. Coordinates in metres; NaN where the edge stays farther away.
    """
    gx, gy = fx - ex, fy - ey
    gg = gx * gx + gy * gy
    lo = np.full(len(ex), np.inf)
    hi = np.full(len(ex), -np.inf)
    for px, py in ((ax, ay), (bx, by)):
        wx, wy = ex - px, ey - py
        half_b = gx * wx + gy * wy
        c = wx * wx + wy * wy - rho * rho
        disc = half_b * half_b - gg * c
        ok = disc >= 0
        root = np.sqrt(np.where(ok, disc, 0.0))
        lo = np.where(ok, np.minimum(lo, (-half_b - root) / gg), lo)
        hi = np.where(ok, np.maximum(hi, (-half_b + root) / gg), hi)
    # The strip: |cross(h, q - a)| <= rho |h| and 0 <= (q - a).h <= |h|^2, q = e + s g.
    hx, hy = bx - ax, by - ay
    hl = np.hypot(hx, hy)
    s_lo = np.full(len(ex), -np.inf)
    s_hi = np.full(len(ex), np.inf)
    wx, wy = ex - ax, ey - ay
    for c0, c1, bound_lo, bound_hi in (
        (hx * wy - hy * wx, hx * gy - hy * gx, -rho * hl, rho * hl),
        (hx * wx + hy * wy, hx * gx + hy * gy, 0.0 * hl, hl * hl),
    ):
        # bound_lo <= c0 + c1 s <= bound_hi
        with np.errstate(invalid="ignore", divide="ignore"):
            t1, t2 = (bound_lo - c0) / c1, (bound_hi - c0) / c1
        flat = c1 == 0
        inside = (c0 >= bound_lo) & (c0 <= bound_hi)
        s_lo = np.where(flat, np.where(inside, s_lo, np.inf), np.maximum(s_lo, np.minimum(t1, t2)))
        s_hi = np.where(flat, np.where(inside, s_hi, -np.inf), np.minimum(s_hi, np.maximum(t1, t2)))
    strip = (s_lo <= s_hi) & (hl > 0)
    lo = np.where(strip, np.minimum(lo, s_lo), lo)
    hi = np.where(strip, np.maximum(hi, s_hi), hi)
    lo, hi = np.maximum(lo, 0.0), np.minimum(hi, 1.0)
    empty = ~(lo <= hi)
    return np.where(empty, np.nan, lo), np.where(empty, np.nan, hi)


def merge_intervals(
    group: IntArray, lo: FloatArray, hi: FloatArray
) -> tuple[IntArray, FloatArray, FloatArray]:
    """Merge the intervals [lo, hi] (positions >= 0; NaN skipped) within each group into
    separate stretches. Returns each stretch's group, start and end, ordered by group
    and start."""
    ok = ~np.isnan(lo)
    group, lo, hi = group[ok], lo[ok], hi[ok]
    if len(group) == 0:
        return group, lo, hi
    order = np.lexsort((lo, group))
    group, lo, hi = group[order], lo[order], hi[order]
    # One running maximum for all groups: offsets keep each group's positions apart.
    off = group * (float(hi.max()) + 2.0)
    reach = np.maximum.accumulate(hi + off) - off
    first = np.r_[True, group[1:] != group[:-1]]
    starts = np.flatnonzero(first | (lo > np.r_[-np.inf, reach[:-1]] + 1e-9))
    return group[starts], lo[starts], np.maximum.reduceat(hi, starts)


def planar_traversals(lines_l: GeomArray, net_l: GeomArray, r_m: float) -> Int64Array:
    """How many times each local line passes from one side of its network to the other.

    ``lines_l[k]`` and ``net_l[k]`` are (Multi)LineStrings in case ``k``'s own planar
    frame (metres); ``net_l[k]`` may be empty or hold stray points (ignored). The band
    is every point within ``r_m`` of the network. A stretch of a line inside the band
    (its parts are followed separately, and the line's crossings of itself do not cut
    it) is one traversal when:

    * both of its ends lie on the band's edge, not at the line's own end;
    * neither end lies on the cap of a dangling end of the network (:func:`on_cap`; an end
      point of its lines shared by an odd number of them): passing round the rounded
      end of a dead-end road is not crossing it;
    * its ends lie on opposite sides of the network: the side of a point is that of
      the network segment nearest to it (left or right of its direction); where two
      segments of one line are nearest at the vertex they share, the point is on the
      left when it is left of both at a left turn, or of either at a right turn;
      where segments of different lines tie, left of any counts as left;
    * it meets the network (winding round an end inside the band is no crossing).
    """
    n = len(lines_l)
    out = np.zeros(n, dtype=np.int64)
    if n == 0:
        return out
    cs = sg.segments(lines_l)
    ns = sg.segments(net_l)
    if len(cs) == 0 or len(ns) == 0:
        return out
    # Every case segment against every network segment of its case, within r by box.
    cnt = ns.start[cs.owner + 1] - ns.start[cs.owner]
    i = np.repeat(np.arange(len(cs), dtype=np.intp), cnt)
    j = np.repeat(ns.start[cs.owner], cnt) + sg.ranges(cnt)[1]
    near = sg.boxes_meet(cs, i, ns, j, r_m, r_m)
    i, j = i[near], j[near]
    if len(i) == 0:
        return out
    # Positions along each part of a line: segment number within the part + fraction.
    part_first = np.searchsorted(cs.line, cs.line)
    part_n = np.bincount(cs.line)[cs.line]
    rank = (np.arange(len(cs)) - part_first)[i]
    ex, ey = cs.x0[i], cs.y0[i]
    fx, fy = cs.x1[i] - ex, cs.y1[i] - ey
    ax, ay, bx, by = ns.x0[j] - ex, ns.y0[j] - ey, ns.x1[j] - ex, ns.y1[j] - ey
    zero = np.zeros(len(i))
    lo, hi = edge_cover(zero, zero, fx, fy, ax, ay, bx, by, r_m)
    comp_g, comp_a, comp_b = merge_intervals(cs.line[i], rank + lo, rank + hi)
    if len(comp_g) == 0:
        return out
    hit = ~np.isnan(lo)
    c_lo, _ = edge_cover(
        zero[hit], zero[hit], fx[hit], fy[hit], ax[hit], ay[hit], bx[hit], by[hit], CONTACT_M
    )
    touch = ~np.isnan(c_lo)
    meets = holds_any(
        comp_g, comp_a, comp_b, cs.line[i][hit][touch], rank[hit][touch] + c_lo[touch]
    )
    first_seg = np.searchsorted(cs.line, comp_g)
    case = cs.owner[first_seg]
    n_seg = part_n[first_seg]
    ends = dangling_ends(ns)
    sides = []
    for pos in (comp_a, comp_b):
        at_end = (pos <= 1e-9) | (pos >= n_seg - 1e-9)
        k = np.clip(np.floor(pos).astype(np.intp), 0, n_seg - 1)
        f = pos - k
        s = first_seg + k
        px = cs.x0[s] + f * (cs.x1[s] - cs.x0[s])
        py = cs.y0[s] + f * (cs.y1[s] - cs.y0[s])
        side = side_of(px, py, case, ns)
        capped = on_cap(nearest_distance(px, py, case, ends), r_m)
        sides.append(np.where(at_end | capped, 0, side))
    trav = traversal(sides[0], sides[1], meets)
    return np.bincount(case[trav], minlength=n).astype(np.int64)


def point_segment(
    px: FloatArray, py: FloatArray, ax: FloatArray, ay: FloatArray, bx: FloatArray, by: FloatArray
) -> FloatArray:
    """Planar distance from each point p to the segment a->b (in the coordinates' unit)."""
    ux, uy = px - ax, py - ay
    dx, dy = bx - ax, by - ay
    dd = dx * dx + dy * dy
    with np.errstate(invalid="ignore", divide="ignore"):
        s = np.clip(np.where(dd > 0, (ux * dx + uy * dy) / dd, 0.0), 0.0, 1.0)
    return np.hypot(ux - s * dx, uy - s * dy)


def dangling_ends(ns: sg.Segments) -> tuple[FloatArray, FloatArray, IntArray]:
    """End points shared by an odd number of lines of each network (the mod-2 rule of
    a MultiLineString's boundary): x, y and owner, sorted by owner."""
    first = np.r_[True, ns.line[1:] != ns.line[:-1]]
    last = np.r_[ns.line[1:] != ns.line[:-1], True]
    x = np.concatenate([ns.x0[first], ns.x1[last]])
    y = np.concatenate([ns.y0[first], ns.y1[last]])
    owner = np.concatenate([ns.owner[first], ns.owner[last]])
    rows = np.column_stack([owner.astype(np.float64), x, y])
    uniq, count = np.unique(rows, axis=0, return_counts=True)
    odd = uniq[count % 2 == 1]
    return odd[:, 1], odd[:, 2], odd[:, 0].astype(np.intp)


def nearest_distance(
    px: FloatArray, py: FloatArray, case: IntArray, pts: tuple[FloatArray, FloatArray, IntArray]
) -> FloatArray:
    """Distance from each point p to the nearest point of its case (inf for none)."""
    qx, qy, owner = pts
    lo = np.searchsorted(owner, case, side="left")
    cnt = np.searchsorted(owner, case, side="right") - lo
    rep, rank = sg.ranges(cnt)
    q = lo[rep] + rank
    out = np.full(len(px), np.inf)
    np.minimum.at(out, rep, np.hypot(qx[q] - px[rep], qy[q] - py[rep]))
    return out


def side_of(px: FloatArray, py: FloatArray, case: IntArray, ns: sg.Segments) -> Int64Array:
    """Side (1 left, -1 right) of each point p of the nearest segment of its network."""
    cnt = ns.start[case + 1] - ns.start[case]
    rep, rank = sg.ranges(cnt)
    t = ns.start[case][rep] + rank
    d = point_segment(px[rep], py[rep], ns.x0[t], ns.y0[t], ns.x1[t], ns.y1[t])
    left = sg.orient(ns.x0[t], ns.y0[t], ns.x1[t], ns.y1[t], px[rep], py[rep]) > 0
    dmin = np.full(len(px), np.inf)
    np.minimum.at(dmin, rep, d)
    tie = d <= dmin[rep] * (1 + 1e-9) + TIE_M
    n_tie = np.bincount(rep[tie], minlength=len(px))
    n_left = np.bincount(rep[tie & left], minlength=len(px))
    side = np.where(n_left > 0, 1, -1).astype(np.int64)
    # Nearest segments that disagree (rare): beyond a vertex they share, or two lines.
    for p in np.flatnonzero((n_left > 0) & (n_left < n_tie)).tolist():
        segs = t[tie & (rep == p)]
        side[p] = _vertex_side(segs, ns, float(px[p]), float(py[p]))
    return side


def _vertex_side(segs: IntArray, ns: sg.Segments, px: float, py: float) -> int:
    """Side of p where the nearest segments ``segs`` disagree (see :func:`_side`)."""
    x0, y0, x1, y1 = (np.asarray(v[segs], dtype=float) for v in (ns.x0, ns.y0, ns.x1, ns.y1))
    left = (x1 - x0) * (py - y0) - (y1 - y0) * (px - x0) > 0
    line = ns.line[segs]
    found = []
    for a in range(len(segs)):
        for b in range(len(segs)):
            # a then b along one line, meeting at a vertex.
            if a == b or line[a] != line[b] or x1[a] != x0[b] or y1[a] != y0[b]:
                continue
            turn = (x1[a] - x0[a]) * (y1[b] - y0[b]) - (y1[a] - y0[a]) * (x1[b] - x0[b])
            found.append(bool(left[a] and left[b]) if turn > 0 else bool(left[a] or left[b]))
    if found:
        return 1 if any(found) else -1
    return 1
