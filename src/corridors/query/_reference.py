"""The reference route of :mod:`corridors.query`: the definitions, on shapely/GEOS.

Everything here works on numpy arrays of lon/lat shapely geometries and integer
positions; :mod:`corridors.query` turns the results into GeoDataFrames. It answers
every question on its own; :mod:`corridors.query._dispatch` puts the speed routes
(:mod:`corridors.query._fast`) in front of it for ``crossing`` and sends here what
they leave unsettled, and the tests check that both give the same answers.

Two stages, so that the cost of tolerances and measures is paid only for matches:

1. *Exact*: an STRtree gives bounding-box candidate pairs, then one vectorised DE-9IM
   pattern test per pair with the boundary geometry **prepared** as the first operand
   (each complex boundary polygon is prepared once and reused for every case it meets).
   Against areas, only the cases that meet a piece of an area's edge
   (:mod:`corridors.query._edges`) can lie on both sides, so only they get the test.
2. *Tolerance and measures*, for the pairs that passed: each case is projected into its
   own local azimuthal equidistant frame (metres), together with the piece of boundary
   around it (:mod:`corridors.query._windows`), and the tolerance band is a metric
   buffer there. Pairs whose vertices lie clearly inside and clearly outside skip
   the buffers; lines against a linear boundary follow its band with
   :func:`corridors.query._band.planar_traversals` instead of building it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from .. import _geodesy as geo
from .._threads import map_chunks, runs
from .._typing import BoolArray, FloatArray, GeomArray, Int64Array, IntArray
from ._band import (
    BAND_QUAD_SEGS,
    SIDE_EPS_KM,
    clean_threshold_deg,
    planar_traversals,
    traversal,
)
from ._edges import edge_pieces
from ._windows import (
    candidate_pairs,
    case_windows,
    clip_near,
    target_tree,
    tiles_around,
    window_margin_km,
)
from .boundary import Boundary

#: Cases refined at once against a linear boundary (caps the memory of the buffers).
REFINE_CHUNK = 20_000
#: Fewest cases worth a thread of their own: 500 cases are about 80 ms of GEOS work
#: (about 160 us a case on the roads of ``benchmarks/query_scale.py``), far above the
#: millisecond a thread pool takes to start.
REFINE_MIN = 500
#: Fewest line cases worth a thread of their own when counting their traversals of an
#: area's edge: 200 are about 30 ms of GEOS work (some 150 us a line against the
#: countries in ``benchmarks/query_scale.py``), far above a thread pool's start.
TRAVERSALS_MIN = 200

#: DE-9IM patterns with the *boundary* as first operand and the case second.
P_II = "T********"  # interiors meet
P_II_EI = "T*****T**"  # case interior meets boundary interior and boundary exterior


# ----------------------------------------------------------------------------- pairs


# ----------------------------------------------------------------------------- areal


@dataclass
class ArealPairs:
    """Pairs of (case, areal boundary feature) and what is known about them."""

    case: IntArray
    target: IntArray
    deep_in: BoolArray  # a part lies more than tolerance inside
    deep_out: BoolArray  # a part lies more than tolerance outside
    covered: BoolArray  # the case lies wholly inside (exact)
    clipped: GeomArray  # the boundary feature clipped to the case's neighbourhood


def exact_areal(cases: GeomArray, boundary: Boundary, pattern: str) -> tuple[IntArray, IntArray]:
    """Pairs whose DE-9IM matrix (boundary first) matches ``pattern``."""
    targets = boundary.geoms
    shapely.prepare(targets)
    if len(targets) * 50 < len(cases):
        # Few (often complex) areas, many cases: index the cases and query with each
        # prepared area, which also drops pairs that do not touch at all.
        if len(cases) == 0:
            e = np.zeros(0, dtype=np.intp)
            return e, e
        ti, ci = shapely.STRtree(cases).query(targets, predicate="intersects")
        order = np.lexsort((ti, ci))
        ci, ti = ci[order].astype(np.intp), ti[order].astype(np.intp)
    else:
        ci, ti = candidate_pairs(cases, targets, boundary.tree)
    if len(ci) == 0:
        return ci, ti
    ok = shapely.relate_pattern(targets[ti], cases[ci], pattern)
    return ci[ok], ti[ok]


# ----------------------------------------------------------------------------- crossing


def exact_crossing(cases: GeomArray, boundary: Boundary) -> tuple[IntArray, IntArray]:
    """Pairs whose case interior meets both the interior and the exterior of the feature.

    The same answer as ``exact_areal(cases, boundary, P_II_EI)``, found faster: a
    connected case (a LineString or a Polygon) can only lie on both sides if it meets
    the feature's edge, so only the cases that meet a piece of edge are tested with
    the full DE-9IM pattern. Cases of several parts take the general route.
    """
    n_t = len(boundary.geoms)
    empty = np.zeros(0, dtype=np.intp)
    if len(cases) == 0 or n_t == 0:
        return empty, empty
    types = shapely.get_type_id(cases)
    simple = np.flatnonzero((types == 1) | (types == 2) | (types == 3))
    keys = [np.zeros(0, dtype=np.int64)]
    if len(simple):
        edges = edge_pieces(boundary)
        ci, pi = edges.tree.query(cases[simple])
        ok = shapely.intersects(edges.geoms[pi], cases[simple[ci]])
        keys.append(simple[ci[ok]].astype(np.int64) * n_t + edges.owner[pi[ok]])
    multi = np.flatnonzero((types >= 4) & (types <= 7))
    if len(multi):
        mc, mt = exact_areal(cases[multi], boundary, P_II_EI)
        keys.append(multi[mc].astype(np.int64) * n_t + mt)
    key = np.unique(np.concatenate(keys))
    ci = (key // n_t).astype(np.intp)
    ti = (key % n_t).astype(np.intp)
    if len(ci) == 0:
        return ci, ti
    shapely.prepare(boundary.geoms)
    ok = shapely.relate_pattern(boundary.geoms[ti], cases[ci], P_II_EI)
    return ci[ok], ti[ok]


#: Vertices are first judged in degrees, as far from the edge when beyond
#: ``VERTEX_MARGIN * r + VERTEX_MARGIN_KM``: half a band more than the band, plus 0.5 km,
#: surely covers it in any local frame near the vertex.
VERTEX_MARGIN = 1.5
VERTEX_MARGIN_KM = 0.5
#: Degrees computed from the shortest degree of latitude, 1 % more for rounding.
DEGREE_SLACK = 1.01
#: Beyond this latitude (degrees) a degree margin no longer bounds a distance well
#: (meridians converge): such vertices are left to the exact tests.
VERTEX_MAX_LAT = 89.0
#: A vertex measured in its own frame is far when beyond this many band half-widths
#: (its frame's scale differs from the case's by well under 2 %) ...
VERTEX_FRAME = 1.02
#: ... plus 1 cm for rounding.
VERTEX_ROUND_M = 0.01


def vertex_sides(
    geoms: GeomArray,
    boundary: Boundary,
    ti: IntArray,
    r_km: float,
    *,
    all_needed: BoolArray | None = None,
) -> tuple[FloatArray, IntArray, NDArray[np.int8]]:
    """Where each vertex of ``geoms[k]`` lies with respect to ``boundary.geoms[ti[k]]``.

    Returns the coordinates of every vertex, its owner ``k`` and its side: 1 for inside
    and surely more than ``r_km`` from the feature's edge, -1 for outside and as far, 0
    for "nearer, or not sure". Distances are judged in degrees with a margin that surely covers
    ``r_km`` (1.5 times it plus 0.5 km, scaled for the latitude), so a vertex called
    far is far in any local metric frame too. The vertices left unsure are measured
    again in a frame centred on each (metres) when their geometry is not yet settled
    (a vertex far inside and one far outside) or ``all_needed`` says every vertex of
    it matters; what is still unsure is left to the exact tests.
    """
    xy, k = shapely.get_coordinates(geoms, return_index=True)
    k = k.astype(np.intp)
    side = np.zeros(len(k), dtype=np.int8)
    if len(k) == 0:
        return xy, k, side
    margin_km = VERTEX_MARGIN * r_km + VERTEX_MARGIN_KM
    dlat = margin_km / geo.KM_PER_DEG_LAT_MIN * DEGREE_SLACK
    top = np.abs(xy[:, 1]) + dlat
    ok = top < VERTEX_MAX_LAT
    pos = np.flatnonzero(ok)
    pts = np.asarray(shapely.points(xy[pos]), dtype=object)
    thr = margin_km / (geo.KM_PER_DEG_LAT_MIN * np.cos(np.radians(top[pos])))
    edges = edge_pieces(boundary)
    qi, qp = edges.tree.query(pts, predicate="dwithin", distance=thr)
    same = edges.owner[qp] == ti[k[pos[qi]]]
    qi, qp = qi[same], qp[same]
    near = np.zeros(len(pos), dtype=bool)
    near[qi] = True
    shapely.prepare(boundary.geoms)
    far = np.flatnonzero(~near)
    inside = shapely.intersects(boundary.geoms[ti[k[pos[far]]]], pts[far])
    side[pos[far]] = np.where(inside, 1, -1)
    n = len(geoms)
    settled = (np.bincount(k[side == 1], minlength=n) > 0) & (
        np.bincount(k[side == -1], minlength=n) > 0
    )
    if all_needed is not None:
        settled &= ~all_needed
    keep = ~settled[k[pos[qi]]]
    qi, qp = qi[keep], qp[keep]
    if len(qi):
        # Not clearly far: measure in a frame centred on the vertex (metres), where the
        # scale differs from a frame centred on the case by well under 2 %.
        lon0, lat0 = xy[pos[qi], 0], xy[pos[qi], 1]
        piece_l = geo.to_local(edges.geoms[qp], lon0, lat0)
        d = shapely.distance(shapely.points(np.zeros((len(qi), 2))), piece_l)
        dmin = np.full(len(pos), np.inf)
        np.minimum.at(dmin, qi, d)
        # Vertices with no piece of edge left to measure were left out, not far.
        dmin[np.isinf(dmin)] = 0.0
        now = np.flatnonzero(near & (dmin > VERTEX_FRAME * r_km * 1000.0 + VERTEX_ROUND_M))
        inside = shapely.intersects(boundary.geoms[ti[k[pos[now]]]], pts[now])
        side[pos[now]] = np.where(inside, 1, -1)
    return xy, k, side


def crossing_areal(
    cases: GeomArray, boundary: Boundary, tol_km: float
) -> tuple[ArealPairs, dict[str, FloatArray], Int64Array, BoolArray]:
    """Everything :func:`corridors.crossing` needs for an areal boundary.

    Returns the pairs that cross (each side reached more than ``tol_km`` beyond the
    edge), their measures (as :func:`areal_measures`), the traversals of their lines
    and which of them have lines. The exact pairs come from :func:`exact_crossing`;
    most are settled by their vertices (:func:`vertex_sides`), the rest by the metric
    buffers of :func:`refine_areal`. Traversals are counted from the vertices and the
    part of the line inside when every vertex lies clearly on one side, otherwise by
    :func:`traversals`.
    """
    ci, ti = exact_crossing(cases, boundary)
    n = len(ci)
    clipped = np.empty(n, dtype=object)
    deep_in = np.ones(n, dtype=bool)
    deep_out = np.ones(n, dtype=bool)
    geoms = cases[ci]
    r_km = max(tol_km, SIDE_EPS_KM)
    xy, k, side = vertex_sides(
        geoms, boundary, ti, r_km, all_needed=shapely.get_type_id(geoms) == 1
    )
    if tol_km > 0 and n:
        q_in = np.bincount(k[side == 1], minlength=n) > 0
        q_out = np.bincount(k[side == -1], minlength=n) > 0
        deep_in, deep_out = q_in, q_out
        # The rest by metric buffers, for the side(s) no vertex settles.
        for need, slow in (
            (("in",), ~q_in & q_out),
            (("out",), q_in & ~q_out),
            (("in", "out"), ~q_in & ~q_out),
        ):
            at = np.flatnonzero(slow)
            if len(at):
                sub = refine_areal(cases, boundary, ci[at], ti[at], tol_km, need=need)
                if "in" in need:
                    deep_in[at] = sub.deep_in
                if "out" in need:
                    deep_out[at] = sub.deep_out
                clipped[at] = sub.clipped
    sel = deep_in & deep_out
    covered = np.zeros(n, dtype=bool)
    pairs = ArealPairs(ci, ti, deep_in, deep_out, covered, clipped)
    need = sel & np.array([g is None for g in clipped], dtype=bool)
    if need.any():
        clipped[need] = tiles_around(boundary, ti[need], shapely.bounds(geoms[need]))
    inside_all = inside_parts(cases, pairs, sel)
    m = areal_measures(cases, boundary, pairs, sel, inside_all)

    # Traversals of the lines of the matching cases.
    s = np.flatnonzero(sel)
    _, lines = split_dims(geoms[s])
    has_line = shapely.get_type_id(lines) >= 0
    trav = np.zeros(len(s), dtype=np.int64)
    simple = has_line & (shapely.get_type_id(geoms[s]) == 1)
    simple[simple] &= ~shapely.is_closed(geoms[s[simple]])
    quick = np.zeros(len(s), dtype=bool)
    if simple.any():
        # Vertex sides in order along each line. Between two consecutive vertices that
        # lie clearly on a side, a line that crosses the edge once passes from one
        # side to the other once, and one that does not cross it stays on its side, so
        # when the line crosses the edge no more often than its clear vertices change
        # side, the traversals are those changes.
        pos_of = np.full(n, -1, dtype=np.intp)
        pos_of[s] = np.arange(len(s))
        vk = pos_of[k]
        mine = vk >= 0
        mine[mine] = simple[vk[mine]]
        at = np.flatnonzero(mine)
        sk, sv = vk[at], side[at].astype(np.int64)
        first = np.r_[True, sk[1:] != sk[:-1]]
        last = np.r_[sk[1:] != sk[:-1], True]
        end_in = sv == 1
        unsure = np.flatnonzero((first | last) & (sv == 0))
        if len(unsure):  # an end near the edge: which side is it on?
            end_in[unsure] = shapely.intersects(
                boundary.geoms[ti[s[sk[unsure]]]], shapely.points(xy[at[unsure]])
            )
        clear = sv != 0
        ck, cv = sk[clear], sv[clear]
        change = (ck[1:] == ck[:-1]) & (cv[1:] != cv[:-1])
        n_change = np.bincount(ck[1:][change], minlength=len(s))
        has_clear = np.bincount(ck, minlength=len(s)) > 0
        ends_in = np.bincount(sk[(first | last) & end_in], minlength=len(s))
        cand = np.flatnonzero(simple & has_clear)
        if len(cand):
            parts, owner = geo.flat_parts(inside_all[cand])
            lk = shapely.get_type_id(parts) == 1
            merged = np.empty(len(cand), dtype=object)
            merged[:] = shapely.MultiLineString()
            if lk.any():
                shapely.multilinestrings(parts[lk], indices=owner[lk], out=merged)
            merged = shapely.line_merge(merged)
            n_parts = shapely.get_num_geometries(merged)
            n_end = 2 * n_parts - ends_in[cand]
            agree = n_end == n_change[cand]
            trav[cand[agree]] = n_change[cand[agree]]
            quick[cand[agree]] = True
    rest = np.flatnonzero(has_line & ~quick)
    if len(rest):
        r = s[rest]
        trav[rest] = pair_traversals_areal(cases, ci[r], ti[r], boundary, tol_km)
    return pairs, m, trav, has_line


def pair_traversals_areal(
    cases: GeomArray, ci: IntArray, ti: IntArray, boundary: Boundary, tol_km: float
) -> Int64Array:
    """Times the lines of case ``ci[k]`` cross the edge of feature ``ti[k]``, for pairs
    whose case lies on both sides: :func:`line_traversals_areal` on the feature clipped
    to a window around the case."""
    r_km = max(tol_km, SIDE_EPS_KM)
    windows = case_windows(cases[ci], window_margin_km(r_km))
    n = len(ci)
    yes = np.ones(n, dtype=bool)
    pairs = ArealPairs(ci, ti, yes, yes, ~yes, clip_near(boundary, ti, windows))
    return line_traversals_areal(cases, pairs, yes, boundary, tol_km)


def refine_areal(
    cases: GeomArray,
    boundary: Boundary,
    ci: IntArray,
    ti: IntArray,
    tol_km: float,
    *,
    need: tuple[str, ...] = ("in", "out"),
) -> ArealPairs:
    """Tolerance test for candidate pairs: which reach deeper than ``tol_km`` in and out.

    The boundary feature is clipped to a box around the case and both are projected
    into the case's local frame (metres). A part of the case lies more than ``tol_km``
    inside (outside) when, after removing everything within ``tol_km`` of the
    boundary's edge, something of it is left inside (outside). Most pairs are settled
    by the case's vertices alone (a vertex that far inside, or outside); only the rest
    pay for buffering, and then only of the stretch of edge near the part in question.
    ``need`` says which of the two answers the caller uses.
    """
    n = len(ci)
    targets = boundary.geoms
    if n == 0:
        e = np.zeros(0, dtype=bool)
        return ArealPairs(ci, ti, e, e.copy(), e.copy(), np.empty(0, dtype=object))
    covered = np.asarray(shapely.covers(targets[ti], cases[ci]), dtype=bool)
    clipped = np.empty(n, dtype=object)
    deep_in = covered.copy()
    deep_out = np.zeros(n, dtype=bool)
    # Wholly covered cases need no clipped boundary: they are inside, and nothing else.
    todo = np.flatnonzero(~covered)
    if len(todo) == 0:
        return ArealPairs(ci, ti, deep_in, deep_out, covered, clipped)
    windows = case_windows(cases[ci[todo]], window_margin_km(tol_km))
    clipped[todo] = clip_near(boundary, ti[todo], windows)
    if tol_km <= 0:
        deep_in[todo] = shapely.relate_pattern(clipped[todo], cases[ci[todo]], P_II)
        deep_out[todo] = True  # not covered: some of it lies outside
        return ArealPairs(ci, ti, deep_in, deep_out, covered, clipped)

    tol_m = tol_km * 1000.0
    sub = cases[ci[todo]]
    lon0, lat0 = geo.centres(sub)
    case_l = geo.to_local(sub, lon0, lat0)
    bnd_l = geo.to_local(clipped[todo], lon0, lat0)
    edge_l = shapely.boundary(bnd_l)
    shapely.prepare(bnd_l)
    shapely.prepare(edge_l)
    # Quick answer from the vertices.
    coords, k = shapely.get_coordinates(case_l, return_index=True)
    pts = shapely.points(coords)
    far = ~shapely.dwithin(edge_l[k], pts, tol_m)
    inside = shapely.covers(bnd_l[k], pts)
    q_in = np.zeros(len(todo), dtype=bool)
    q_out = np.zeros(len(todo), dtype=bool)
    q_in[k[far & inside]] = True
    q_out[k[far & ~inside]] = True
    # The rest: the part of the case on that side, minus the band along the edge near it.
    for side, quick in (("in", q_in), ("out", q_out)):
        if side not in need:
            continue
        slow = np.flatnonzero(~quick)
        if len(slow):
            part = (shapely.intersection if side == "in" else shapely.difference)(
                case_l[slow], bnd_l[slow]
            )
            b = shapely.bounds(part)
            box = shapely.box(b[:, 0] - tol_m, b[:, 1] - tol_m, b[:, 2] + tol_m, b[:, 3] + tol_m)
            ok = ~shapely.is_empty(part)
            near_edge = np.empty(len(slow), dtype=object)
            near_edge[ok] = shapely.intersection(edge_l[slow[ok]], box[ok])
            rest = np.zeros(len(slow), dtype=bool)
            if ok.any():
                band = shapely.buffer(near_edge[ok], tol_m, quad_segs=4)
                rest[ok] = ~shapely.is_empty(shapely.difference(part[ok], band))
            quick[slow] = rest
    deep_in[todo] = q_in
    deep_out[todo] = q_out
    return ArealPairs(ci, ti, deep_in, deep_out, covered, clipped)


def areal_measures(
    cases: GeomArray,
    boundary: Boundary,
    pairs: ArealPairs,
    sel: BoolArray,
    inside: GeomArray | None = None,
) -> dict[str, FloatArray]:
    """Share, area and length of each selected case inside its boundary feature.

    ``inside`` may hold the part of each selected case inside, when already known.
    """
    ci = pairs.case[sel]
    covered = pairs.covered[sel]
    geoms = cases[ci]
    if inside is None:
        inside = inside_parts(cases, pairs, sel)
    total = measure(geoms)
    part = measure(inside)
    dims = shapely.get_dimensions(geoms)
    key = np.where(dims == 2, 0, np.where(dims == 1, 1, 2))
    tot = np.choose(key, [total[0], total[1], total[2]])
    got = np.choose(key, [part[0], part[1], part[2]])
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(tot > 0, got / np.where(tot > 0, tot, 1.0), np.nan)
    share[covered] = 1.0
    return {
        "share_inside": np.clip(share, 0.0, 1.0),
        "area_inside_km2": np.where(dims == 2, part[0], np.nan),
        "length_inside_km": np.where(dims >= 1, part[1], np.nan),
    }


def inside_parts(cases: GeomArray, pairs: ArealPairs, sel: BoolArray) -> GeomArray:
    """The part of each selected case inside its boundary feature (``pairs.clipped``)."""
    covered = pairs.covered[sel]
    geoms = cases[pairs.case[sel]]
    inside = np.empty(len(geoms), dtype=object)
    inside[covered] = geoms[covered]
    rest = ~covered
    if rest.any():
        inside[rest] = shapely.intersection(geoms[rest], pairs.clipped[sel][rest])
    return inside


def measure(geoms: GeomArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Geodesic (area km², length km, number of points) of each geometry's parts.

    Lower-dimensional parts of a collection are ignored when a higher one is present
    in the same geometry, as they carry no measure of their own.
    """
    area = geo.areas_km2(geoms)
    length = geo.lengths_km(geoms)
    points = geo.point_counts(geoms).astype(float)
    return area, length, points


# ----------------------------------------------------------------------------- sides

#: A piece end farther than this many half-widths from the edge lies on the band's
#: edge: round joins drawn with 8 segments per quarter sag by 1 - cos(pi/32) = 0.5 %
#: of the half-width, and 2 % leaves room for rounding.
ON_BAND_EDGE = 0.98
#: A point on the band's edge lies inside the area when nearer to it than this many
#: half-widths: it lies either in the area (0) or a whole half-width beyond its edge.
INSIDE_WITHIN = 0.5


def traversals(lines_l: GeomArray, edge_l: GeomArray, area_l: GeomArray, r_m: float) -> Int64Array:
    """How many times each local line passes from one side of an area's edge to the other.

    ``lines_l[k]`` is cut by the band of half-width ``r_m`` around ``edge_l[k]`` (the
    area's edge near the line); a piece inside the band whose two ends lie on the
    band's edge on opposite sides (inside ``area_l[k]`` or outside it), and which meets
    the edge, is one traversal, however long it runs along the edge in between.
    Linear boundaries take :func:`corridors._band.planar_traversals` instead, which
    finds the same stretches without building the band.
    """
    n = len(lines_l)
    out = np.zeros(n, dtype=np.int64)
    if n == 0:
        return out
    # Round joins drawn with 8 segments per quarter sag by 0.5 % of r, well inside the
    # 2 % allowed below for an end on the band's edge (4 segments sag by 1.9 %, and a
    # stretch leaving the band round a bend of the line was then read as ending inside).
    band = shapely.buffer(edge_l, r_m, quad_segs=8)
    inner = shapely.intersection(lines_l, band)
    pieces, owner = geo.flat_parts(inner)
    keep = shapely.get_type_id(pieces) == 1
    pieces, owner = pieces[keep], owner[keep]
    if len(pieces) == 0:
        return out
    sides = []
    for k in (0, -1):
        p = shapely.get_point(pieces, k)
        on_edge = shapely.distance(p, edge_l[owner]) > ON_BAND_EDGE * r_m
        side = np.zeros(len(pieces), dtype=np.int64)
        inside = shapely.distance(p[on_edge], area_l[owner[on_edge]]) < INSIDE_WITHIN * r_m
        side[on_edge] = np.where(inside, 1, -1)
        sides.append(side)
    # The rule of a crossing, with the costly test whether a piece meets the edge
    # (winding round it inside the band does not) only where the sides differ.
    crossing = traversal(sides[0], sides[1], True)
    crossing[crossing] = shapely.intersects(pieces[crossing], edge_l[owner[crossing]])
    return np.bincount(owner[crossing], minlength=n).astype(np.int64)


# ----------------------------------------------------------------------------- linear


@dataclass
class LinearResult:
    """Per case (positions ``case``): how a linear boundary relates to it."""

    case: IntArray
    crossed: BoolArray
    n_crossings: Int64Array
    severs: BoolArray
    length_across_km: FloatArray
    labels: NDArray[np.object_]  # of str: the boundary labels met, comma-separated
    touches: BoolArray  # any exact contact (for ``intersecting``)
    #: Crossed by the line itself (``crossed`` also holds the border's two sides).
    by_line: BoolArray | None = None
    #: For a border: parts deeper than the tolerance in both countries.
    deep_both: BoolArray | None = None


def joined_labels(
    case: IntArray, target: IntArray, labels: Sequence[str], n: int
) -> NDArray[np.object_]:
    """Per case, the labels of the boundary elements it meets, joined with commas.

    ``(case, target)`` pairs are sorted by case, then target; each label appears once
    per case, in the order of the elements. Cases that meet none get "".
    """
    out = np.full(n, "", dtype=object)
    if len(case) == 0:
        return out
    codes, names = pd.factorize(np.asarray(labels, dtype=object))
    k = codes[target].astype(np.int64)
    # Drop repeats of a label within a case, keeping the first in element order.
    _, first = np.unique(case.astype(np.int64) * len(names) + k, return_index=True)
    first.sort()
    c, lab = case[first], np.asarray(names, dtype=object)[k[first]]
    starts = np.flatnonzero(np.r_[True, c[1:] != c[:-1]])
    ends = np.r_[starts[1:], len(c)]
    one = ends - starts == 1
    out[c[starts[one]]] = lab[starts[one]]
    for at, end in zip(starts[~one].tolist(), ends[~one].tolist(), strict=True):
        out[c[at]] = ", ".join(lab[at:end])
    return out


def split_dims(cases: GeomArray) -> tuple[GeomArray, GeomArray]:
    """Per case, its polygonal parts (MultiPolygon or None) and linear parts (merged)."""
    n = len(cases)
    types = shapely.get_type_id(cases)
    polys = np.empty(n, dtype=object)
    lines = np.empty(n, dtype=object)
    # Simple geometries need no flattening (most of a large frame).
    polys[(types == 3) | (types == 6)] = cases[(types == 3) | (types == 6)]
    lines[types == 1] = cases[types == 1]
    multi = np.flatnonzero((types == 5) | (types == 7))
    if len(multi):
        parts, owner = geo.flat_parts(cases[multi])
        ptypes = shapely.get_type_id(parts)
        sub_p = np.empty(len(multi), dtype=object)
        sub_l = np.empty(len(multi), dtype=object)
        m = ptypes == 3
        if m.any():
            shapely.multipolygons(parts[m], indices=owner[m], out=sub_p)
        m = ptypes == 1
        if m.any():
            shapely.multilinestrings(parts[m], indices=owner[m], out=sub_l)
            has = np.flatnonzero(shapely.get_type_id(sub_l) == 5)
            sub_l[has] = shapely.line_merge(sub_l[has])
        has_p = shapely.get_type_id(sub_p) >= 0
        has_l = shapely.get_type_id(sub_l) >= 0
        polys[multi[has_p]] = sub_p[has_p]
        lines[multi[has_l]] = sub_l[has_l]
    return polys, lines


def crossing_linear(
    cases: GeomArray, boundary: Boundary, tol_km: float, *, touching: bool
) -> LinearResult:
    """Evaluate a linear boundary (one network) against every case.

    For every case the network touches, the local network in the case's own frame,
    banded with GEOS buffers for polygons and followed along lines by
    :func:`corridors.query._band.planar_traversals`. With ``touching``, also find
    every case the network touches at all (for ``intersecting``). The sides of a
    border are left to the caller (:func:`on_both_sides`).
    """
    polys, lines = split_dims(cases)
    has_poly = shapely.get_type_id(polys) >= 0
    has_line = shapely.get_type_id(lines) >= 0
    # Exact stage: candidate pairs by bounding box, then the line passing through a
    # polygon's interior, or touching a line at all (sides are decided later).
    ci, ti = candidate_pairs(cases, boundary.geoms, boundary.tree)
    targets = boundary.geoms
    if len(ci) > 4 * len(targets):  # each line is tested often: preparing it pays
        shapely.prepare(targets)
    hit = np.zeros(len(ci), dtype=bool)
    if len(ci):
        mp = has_poly[ci]
        if mp.any():
            hit[mp] = shapely.relate_pattern(targets[ti[mp]], polys[ci[mp]], P_II)
        ml = has_line[ci] & ~hit
        if ml.any():
            hit[ml] = shapely.intersects(targets[ti[ml]], lines[ci[ml]])
    n = len(cases)
    cand = np.zeros(n, dtype=bool)
    cand[ci[hit]] = True
    any_touch = cand.copy()
    hit0 = hit.copy()
    if touching and len(ci):
        rest = ~hit
        touch = hit.copy()
        touch[rest] = shapely.intersects(targets[ti[rest]], cases[ci[rest]])
        any_touch[ci[touch]] = True
        hit = touch

    crossed = np.zeros(n, dtype=bool)
    n_cross = np.zeros(n, dtype=np.int64)
    severs = np.zeros(n, dtype=bool)
    across = np.full(n, np.nan)
    # By case, in threads: a thread's predicates have one of its own cases' geometries
    # (or a geometry made from them) first, never a shared, possibly prepared, line.
    pc, pt = ci[hit0], ti[hit0]
    fast = np.zeros(n, dtype=np.int64)
    for counts in map_chunks(
        lambda s: _clean_line_crossings(lines, has_poly, boundary, pc[s], pt[s], tol_km, n),
        runs(pc, at_least=REFINE_MIN),
    ):
        fast += counts
    crossed[fast > 0] = True
    n_cross[fast > 0] = fast[fast > 0]
    idx = np.flatnonzero(cand & (fast == 0))
    # In chunks: the bands and local networks of a chunk are freed before the next.
    # They run in threads: a chunk reads the shared boundary only to copy and clip it,
    # never through a (lazily prepared, not thread-safe) predicate.
    chunks = [idx[s] for s in runs(idx, at_least=REFINE_MIN, at_most=REFINE_CHUNK)]
    target_tree(boundary)  # built once here, not by each thread
    refined = map_chunks(
        lambda part: _refine_linear(cases, polys, lines, boundary, part, tol_km), chunks
    )
    for part, got in zip(chunks, refined, strict=True):
        crossed[part], n_cross[part] = got.crossed, got.n_crossings
        severs[part], across[part] = got.severs, got.length_across_km
    across[has_poly & any_touch & np.isnan(across)] = 0.0
    wanted = any_touch | crossed
    sel = hit & wanted[ci]
    labels = joined_labels(ci[sel], ti[sel], boundary.labels, n)
    return LinearResult(np.arange(n), crossed, n_cross, severs, across, labels, any_touch)


def _clean_line_crossings(
    lines: GeomArray,
    has_poly: BoolArray,
    boundary: Boundary,
    ci: IntArray,
    ti: IntArray,
    tol_km: float,
    n: int,
) -> Int64Array:
    """Crossings settled without buffers: for line-only cases, pairs that meet in one
    transversal point where neither line ends within the tolerance of the other.

    Then the case line surely enters the band around the boundary line on one side and
    leaves it on the other, which is what the full side test would find. Returns the
    number of such crossings per case, 0 where any pair needs the full test.
    """
    out = np.zeros(n, dtype=np.int64)
    sel = ~has_poly[ci]
    ci, ti = ci[sel], ti[sel]
    if len(ci) == 0:
        return out
    k_geom = lines[ci]
    l_geom = boundary.geoms[ti]
    meet = shapely.intersection(l_geom, k_geom)
    point = shapely.get_type_id(meet) == 0
    # Degrees that surely exceed the tolerance in metres at these latitudes.
    thr = clean_threshold_deg(shapely.bounds(k_geom), tol_km)
    clean = point.copy()
    # The case lines' ends, once per case (a case meets several lines).
    uc, inv = np.unique(ci[point], return_inverse=True)
    k_ends = shapely.boundary(lines[uc])[inv]
    clean[point] &= ~shapely.dwithin(k_ends, l_geom[point], thr[point])
    clean[clean] &= ~shapely.dwithin(k_geom[clean], shapely.boundary(l_geom[clean]), thr[clean])
    # Transversal, not a vertex of the case touching the line from one side: the case
    # line just before and just after the point lies on opposite sides of the line.
    c = np.flatnonzero(clean)
    if len(c):
        pt = meet[c]
        e = thr[c] / 2
        dk = shapely.line_locate_point(k_geom[c], pt)
        dl = shapely.line_locate_point(l_geom[c], pt)
        xy = [
            shapely.get_coordinates(shapely.line_interpolate_point(g, d))
            for g, d in (
                (k_geom[c], dk - e),
                (k_geom[c], dk + e),
                (l_geom[c], dl - e),
                (l_geom[c], dl + e),
            )
        ]
        a, b, u, v = xy
        t = v - u
        sa = t[:, 0] * (a[:, 1] - u[:, 1]) - t[:, 1] * (a[:, 0] - u[:, 0])
        sb = t[:, 0] * (b[:, 1] - u[:, 1]) - t[:, 1] * (b[:, 0] - u[:, 0])
        clean[c] = sa * sb < 0
    n_pairs = np.bincount(ci, minlength=n)
    n_clean = np.bincount(ci[clean], minlength=n)
    ok = (n_pairs > 0) & (n_pairs == n_clean)
    out[ok] = n_clean[ok]
    return out


@dataclass
class _Refined:
    """Answers for the cases one call of :func:`_refine_linear` measured, in its order."""

    crossed: BoolArray
    n_crossings: Int64Array
    severs: BoolArray
    length_across_km: FloatArray  # NaN for cases without polygons


def _refine_linear(
    cases: GeomArray,
    polys: GeomArray,
    lines: GeomArray,
    boundary: Boundary,
    idx: IntArray,
    tol_km: float,
) -> _Refined:
    """Bands around the local network of each case ``idx`` (none settled yet): whether
    the network passes through its polygons or cuts them apart, and how many times its
    lines cross from one side of the network to the other."""
    m = len(idx)
    crossed = np.zeros(m, dtype=bool)
    n_cross = np.zeros(m, dtype=np.int64)
    severs = np.zeros(m, dtype=bool)
    across = np.full(m, np.nan)
    margin = window_margin_km(max(tol_km, SIDE_EPS_KM))
    windows = case_windows(cases[idx], margin)
    # The local network: every boundary line near the case, clipped to its window and
    # merged, so a crossing at a vertex shared by two segments is one continuous line.
    wi, ti = candidate_pairs(windows, boundary.geoms, target_tree(boundary))
    net = np.empty(len(idx), dtype=object)
    shapely.multilinestrings(boundary.geoms[ti], indices=wi, out=net)
    empty = shapely.get_type_id(net) < 0
    net[empty] = shapely.MultiLineString()
    net = shapely.line_merge(shapely.intersection(net, windows))
    lon0, lat0 = geo.centres(cases[idx])
    r_m = max(tol_km, SIDE_EPS_KM) * 1000.0
    tol_m = tol_km * 1000.0
    net_l = near_components(
        geo.to_local(net, lon0, lat0), geo.to_local(cases[idx], lon0, lat0), 2.0 * r_m
    )

    # Polygons: the line passes through the interior (reaching deeper than the
    # tolerance from the case's edge), or cuts the case into separate pieces.
    pk = np.flatnonzero(shapely.get_type_id(polys[idx]) >= 0)
    if len(pk):
        poly_ll = polys[idx[pk]]
        poly_l = geo.to_local(poly_ll, lon0[pk], lat0[pk])
        if tol_km > 0:
            # The part more than the tolerance in from the edge: the polygon eroded.
            core = shapely.buffer(poly_l, -tol_m, quad_segs=4)
            pen = shapely.intersects(net_l[pk], core)
        else:
            pen = shapely.relate_pattern(net_l[pk], poly_l, P_II)
        band = shapely.buffer(net_l[pk], r_m, quad_segs=BAND_QUAD_SEGS)
        parts, owner = geo.flat_parts(poly_l)
        pieces = shapely.difference(parts, band[owner])
        npieces = shapely.get_num_geometries(pieces)
        cut = np.zeros(len(pk), dtype=bool)
        cut[owner[npieces >= 2]] = True
        inside = shapely.intersection(net[pk], poly_ll)
        across[pk] = geo.lengths_km(inside)
        stretches_l = shapely.intersection(net_l[pk], poly_l)
        sp, so = geo.flat_parts(shapely.line_merge(stretches_l))
        long_enough = (shapely.get_type_id(sp) == 1) & (shapely.length(sp) > tol_m)
        n_str = np.bincount(so[long_enough], minlength=len(pk))
        crossed[pk] |= pen | cut
        severs[pk] = cut
        n_cross[pk] += np.where(pen | cut, n_str, 0)

    # Lines: the case line passes from one side of the boundary line to the other,
    # including after running along it (the side is the nearest road segment's).
    lk = np.flatnonzero(shapely.get_type_id(lines[idx]) >= 0)
    if len(lk):
        line_l = geo.to_local(lines[idx[lk]], lon0[lk], lat0[lk])
        nets = net_l[lk]
        t = planar_traversals(line_l, nets, r_m)
        n_cross[lk] += t
        crossed[lk] |= t > 0
    return _Refined(crossed, n_cross, severs, across)


def near_components(net_l: GeomArray, cases_l: GeomArray, reach_m: float) -> GeomArray:
    """Each local network without its lines that stay farther than ``reach_m`` from
    the case (the window around a winding case holds many such roads).

    With ``reach_m`` at least twice the band's half-width, a dropped line changes
    nothing the band route looks at: it meets neither the band's pieces of the case
    nor the half band around their ends, and its ends (or the junctions it shares) lie
    farther than the band from the case. Lines are dropped whole, after merging, so
    the lines that stay keep their extent, ends and direction. Networks holding
    anything but lines are kept as they are.
    """
    parts, owner = geo.flat_parts(net_l)
    if len(parts) == 0:
        return net_l
    far = ~shapely.dwithin(parts, cases_l[owner], reach_m)
    not_line = shapely.get_type_id(parts) != 1
    pruned = np.bincount(owner[far], minlength=len(net_l)) > 0
    pruned &= np.bincount(owner[not_line], minlength=len(net_l)) == 0
    if not pruned.any():
        return net_l
    out = net_l.copy()
    keep = pruned[owner] & ~far
    sub = np.full(len(net_l), None, dtype=object)
    shapely.multilinestrings(parts[keep], indices=owner[keep], out=sub)
    out[pruned] = sub[pruned]
    out[pruned & (shapely.get_type_id(sub) < 0)] = shapely.MultiLineString()
    return out


def on_both_sides(cases: GeomArray, boundary: Boundary, tol_km: float) -> BoolArray:
    """Cases with parts deeper than the tolerance in both countries of a border."""
    assert boundary.sides is not None
    sides = Boundary("areal", np.array(boundary.sides, dtype=object), ["a", "b"], boundary.name)
    ci, ti = exact_areal(cases, sides, P_II)
    pairs = refine_areal(cases, sides, ci, ti, tol_km, need=("in",))
    n = len(cases)
    in_a = np.zeros(n, dtype=bool)
    in_b = np.zeros(n, dtype=bool)
    in_a[pairs.case[pairs.deep_in & (pairs.target == 0)]] = True
    in_b[pairs.case[pairs.deep_in & (pairs.target == 1)]] = True
    return in_a & in_b


def line_traversals_areal(
    cases: GeomArray, pairs: ArealPairs, sel: BoolArray, boundary: Boundary, tol_km: float
) -> Int64Array:
    """Times each selected case's lines cross the edge of its areal boundary feature."""
    ci = pairs.case[sel]
    out = np.zeros(len(ci), dtype=np.int64)
    _, lines = split_dims(cases[ci])
    k = np.flatnonzero(shapely.get_type_id(lines) >= 0)
    if len(k) == 0:
        return out
    clipped = pairs.clipped[sel][k]
    missing = np.array([g is None for g in clipped], dtype=bool)
    if missing.any():  # covered cases never cross; nothing to count
        k = k[~missing]
        clipped = clipped[~missing]
    if len(k) == 0:
        return out
    lon0, lat0 = geo.centres(cases[ci[k]])
    line_l = geo.to_local(lines[k], lon0, lat0)
    area_l = geo.to_local(clipped, lon0, lat0)
    r_m = max(tol_km, SIDE_EPS_KM) * 1000.0
    # Only the edge within 2 bands of the line's box matters (the ends where it is cut
    # are no dead ends); the window's own edges and the rest of the border's bends
    # would only make the band dearer.
    edge = shapely.boundary(area_l)
    lb = shapely.bounds(line_l)
    lb[:, :2] -= 2.0 * r_m
    lb[:, 2:] += 2.0 * r_m
    for i in range(len(edge)):
        edge[i] = shapely.clip_by_rect(edge[i], *lb[i].tolist())
    # In threads: each chunk's local lines, edges and areas are its own.
    parts = map_chunks(
        lambda run: traversals(line_l[run], edge[run], area_l[run], r_m),
        runs(np.arange(len(k)), at_least=TRAVERSALS_MIN),
    )
    out[k] = np.concatenate(parts)
    return out


# ----------------------------------------------------------------------------- near


#: Longest geodesic on the WGS84 ellipsoid, km (half a meridian, 20,003.93 km, rounded
#: up): no two points on Earth lie farther apart.
MAX_GEODESIC_KM = 20_004.0


def distances_km(
    cases: GeomArray, target: shapely.Geometry, max_km: float
) -> tuple[IntArray, FloatArray]:
    """Positions of the cases within ``max_km`` of ``target`` and their distances (km).

    Candidates come from a bounding-box test in degrees with a margin that surely
    covers ``max_km`` (whole parallels near the poles, wrapped across the
    antimeridian); each candidate and the target (clipped to the candidate's
    neighbourhood) are projected into a local frame centred on the candidate, the
    nearest points are found there and the geodesic distance between them is measured
    on the WGS84 ellipsoid.
    """
    n = len(cases)
    empty = (np.zeros(0, dtype=np.intp), np.zeros(0))
    if n == 0:
        return empty
    # Farther than any two points on Earth reaches them all: search no farther (a
    # distance of 1e300 km would overflow the margins in degrees).
    reach_km = min(max_km, MAX_GEODESIC_KM)
    tb = shapely.bounds(target)
    dlon_a, dlat = geo.degree_margin(reach_km, max(abs(tb[1]), abs(tb[3])))
    dlon = float(dlon_a)
    boxes = _wrapped_boxes(tb, dlon, dlat)
    cb = shapely.bounds(cases)
    cand = np.zeros(n, dtype=bool)
    for x0, y0, x1, y1 in boxes:
        cand |= (cb[:, 2] >= x0) & (cb[:, 0] <= x1) & (cb[:, 3] >= y0) & (cb[:, 1] <= y1)
    idx = np.flatnonzero(cand)
    if len(idx) == 0:
        return empty
    sub = cases[idx]
    shapely.prepare(target)
    dist = np.full(len(idx), np.nan)
    hit = shapely.intersects(target, sub)
    dist[hit] = 0.0
    rest = np.flatnonzero(~hit)
    if len(rest):
        g = sub[rest]
        windows = case_windows(g, reach_km * 1.05 + 1.0)
        tgt = shapely.intersection(np.full(len(g), target, dtype=object), windows)
        ok = ~shapely.is_empty(tgt)
        if ok.any():
            g, tgt, pos = g[ok], tgt[ok], rest[ok]
            # Straight lon/lat edges (RFC 7946) stay close to straight after projection
            # only if they are short: densify long edges first.
            g = shapely.segmentize(g, 0.25)
            tgt = shapely.segmentize(tgt, 0.25)
            lon0, lat0 = geo.centres(g)
            gl = geo.to_local(g, lon0, lat0)
            tl = geo.to_local(tgt, lon0, lat0)
            sl = shapely.shortest_line(gl, tl)
            xy = shapely.get_coordinates(sl).reshape(-1, 2, 2)
            lon_a, lat_a = geo.aeqd_inverse(xy[:, 0, 0], xy[:, 0, 1], lon0, lat0)
            lon_b, lat_b = geo.aeqd_inverse(xy[:, 1, 0], xy[:, 1, 1], lon0, lat0)
            _, _, d = geo.GEOD.inv(lon_a, lat_a, lon_b, lat_b)
            dist[pos] = np.asarray(d, dtype=float) / 1000.0
    keep = dist <= max_km
    return idx[keep], dist[keep]


def _wrapped_boxes(
    tb: NDArray[np.float64], dlon: float, dlat: float
) -> list[tuple[float, float, float, float]]:
    minx, miny, maxx, maxy = (float(v) for v in tb)
    y0, y1 = max(miny - dlat, -90.0), min(maxy + dlat, 90.0)
    if dlon >= 360.0 or maxx - minx + 2 * dlon >= 360.0:
        return [(-180.0, y0, 180.0, y1)]
    x0, x1 = minx - dlon, maxx + dlon
    boxes = [(max(x0, -180.0), y0, min(x1, 180.0), y1)]
    if x0 < -180.0:
        boxes.append((x0 + 360.0, y0, 180.0, y1))
    if x1 > 180.0:
        boxes.append((-180.0, y0, x1 - 360.0, y1))
    return boxes
