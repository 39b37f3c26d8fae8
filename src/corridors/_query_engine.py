"""Array engine behind :mod:`corridors.query`: candidate pairs, DE-9IM tests, tolerances.

Everything here works on numpy arrays of lon/lat shapely geometries and integer
positions; :mod:`corridors.query` turns the results into GeoDataFrames.

Two stages, so that the cost of tolerances and measures is paid only for matches:

1. *Exact*: an STRtree gives bounding-box candidate pairs, then one vectorised DE-9IM
   pattern test per pair with the boundary geometry **prepared** as the first operand
   (each complex boundary polygon is prepared once and reused for every case it meets).
2. *Tolerance and measures*, for the pairs that passed: each case is projected into its
   own local azimuthal equidistant frame (metres), together with the piece of boundary
   around it, and the tolerance band is a metric buffer there.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import NDArray

from . import _geodesy as geo
from ._query_boundary import Boundary

IntArray = NDArray[np.intp]
BoolArray = NDArray[np.bool_]
GeomArray = NDArray[np.object_]
FloatArray = NDArray[np.float64]

#: Smallest band used to tell the sides of a line apart (km) when tolerance_km is 0.
SIDE_EPS_KM = 0.001

#: DE-9IM patterns with the *boundary* as first operand and the case second.
P_II = "T********"  # interiors meet
P_II_EI = "T*****T**"  # case interior meets boundary interior and boundary exterior


# ----------------------------------------------------------------------------- pairs


def candidate_pairs(
    cases: GeomArray, targets: GeomArray, tree: shapely.STRtree | None = None
) -> tuple[IntArray, IntArray]:
    """Bounding-box candidate pairs ``(case_pos, target_pos)``.

    The tree goes on the side with more geometries (fewer, larger queries), unless a
    cached tree over ``targets`` is given. No predicate is evaluated here: the exact
    tests run afterwards with the boundary geometry prepared, which is what makes the
    side of the tree matter little.
    """
    if len(cases) == 0 or len(targets) == 0:
        empty = np.zeros(0, dtype=np.intp)
        return empty, empty
    if tree is not None or len(targets) >= len(cases):
        tree = tree or shapely.STRtree(targets)
        ci, ti = tree.query(cases)
    else:
        ti, ci = shapely.STRtree(cases).query(targets)
    order = np.lexsort((ti, ci))
    return ci[order].astype(np.intp), ti[order].astype(np.intp)


def case_windows(cases: GeomArray, margin_km: float) -> GeomArray:
    """A lon/lat box around each case, ``margin_km`` wider on every side."""
    b = shapely.bounds(cases)
    maxlat = np.nanmax(np.abs(b[:, [1, 3]]), axis=1) if len(b) else np.zeros(0)
    out = np.empty(len(cases), dtype=object)
    for i in range(len(cases)):
        dlon, dlat = geo.degree_margin(margin_km, float(maxlat[i]))
        minx, miny, maxx, maxy = b[i]
        if dlon >= 360.0 or maxx - minx > 180.0:
            # Near a pole, or a case cut at the antimeridian: take whole parallels.
            minx, maxx = -180.0, 180.0
        else:
            minx, maxx = max(minx - dlon, -180.0), min(maxx + dlon, 180.0)
        out[i] = shapely.box(minx, max(miny - dlat, -90.0), maxx, min(maxy + dlat, 90.0))
    return out


#: Grid cell (degrees) for the clipped pieces of boundary features kept between cases.
TILE_DEG = 5.0


def clip_to_windows(boundary: Boundary, ti: IntArray, windows: GeomArray) -> GeomArray:
    """Each ``boundary.geoms[ti[k]]`` clipped to ``windows[k]``.

    Clipping a country of 100,000 vertices costs the same for every case near it, so
    when a window falls inside one cell of a 5-degree grid, the feature is clipped to
    that cell once (kept in ``boundary.tiles``) and the small piece is clipped again.
    """
    n = len(ti)
    out = np.empty(n, dtype=object)
    if n == 0:
        return out
    b = shapely.bounds(windows)
    cx0 = np.floor(b[:, 0] / TILE_DEG).astype(int)
    cy0 = np.floor(b[:, 1] / TILE_DEG).astype(int)
    cx1 = np.floor(b[:, 2] / TILE_DEG).astype(int)
    cy1 = np.floor(b[:, 3] / TILE_DEG).astype(int)
    same = (cx0 == cx1) & (cy0 == cy1)
    src = np.empty(n, dtype=object)
    tiles = boundary.tiles
    for k in np.flatnonzero(same):
        key = (int(ti[k]), int(cx0[k]), int(cy0[k]))
        piece = tiles.get(key)
        if piece is None:
            x, y = key[1] * TILE_DEG, key[2] * TILE_DEG
            piece = shapely.clip_by_rect(boundary.geoms[key[0]], x, y, x + TILE_DEG, y + TILE_DEG)
            tiles[key] = piece
        src[k] = piece
    src[~same] = boundary.geoms[ti[~same]]
    out[:] = shapely.intersection(src, windows)
    return out


def _margin_km(tol_km: float) -> float:
    return 3.0 * tol_km + 1.0


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
    windows = case_windows(cases[ci[todo]], _margin_km(tol_km))
    clipped[todo] = clip_to_windows(boundary, ti[todo], windows)
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
    cases: GeomArray, boundary: Boundary, pairs: ArealPairs, sel: BoolArray
) -> dict[str, FloatArray]:
    """Share, area and length of each selected case inside its boundary feature."""
    ci = pairs.case[sel]
    covered = pairs.covered[sel]
    clipped = pairs.clipped[sel]
    geoms = cases[ci]
    inside = np.empty(len(ci), dtype=object)
    inside[covered] = geoms[covered]
    rest = ~covered
    if rest.any():
        inside[rest] = shapely.intersection(geoms[rest], clipped[rest])
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


def traversals(
    lines_l: GeomArray,
    net_l: GeomArray,
    side_poly: GeomArray,
    r_m: float,
    *,
    capped: bool,
) -> NDArray[np.int64]:
    """How many times each local line passes from one side of ``net_l`` to the other.

    ``lines_l[k]`` is cut by the band of half-width ``r_m`` around ``net_l[k]``; a piece
    inside the band whose two ends lie on the band's edge on opposite sides is one
    traversal, however long it runs along the line in between. The side of an end is
    whether it touches ``side_poly[k]`` (the left single-sided buffer of a line, or the
    area itself for an areal boundary). With ``capped``, ends near a dangling end of the
    network (the rounded caps of the band) are on no side: passing round the end of a
    dead-end road is not crossing it.
    """
    n = len(lines_l)
    out = np.zeros(n, dtype=np.int64)
    if n == 0:
        return out
    band = shapely.buffer(net_l, r_m, quad_segs=4)
    inner = shapely.intersection(lines_l, band)
    pieces, owner = geo.flat_parts(inner)
    keep = shapely.get_type_id(pieces) == 1
    pieces, owner = pieces[keep], owner[keep]
    if len(pieces) == 0:
        return out
    sides = []
    ends = shapely.boundary(net_l) if capped else None
    for k in (0, -1):
        p = shapely.get_point(pieces, k)
        on_edge = shapely.distance(p, net_l[owner]) > 0.98 * r_m
        if ends is not None:
            e = ends[owner]
            near_end = ~shapely.is_empty(e) & (shapely.distance(p, e) < 1.02 * r_m)
            on_edge &= ~near_end
        left = shapely.distance(p, side_poly[owner]) < 0.5 * r_m
        sides.append(np.where(on_edge, np.where(left, 1, -1), 0))
    crossing = (sides[0] != 0) & (sides[1] != 0) & (sides[0] != sides[1])
    return np.bincount(owner[crossing], minlength=n).astype(np.int64)


# ----------------------------------------------------------------------------- linear


@dataclass
class LinearResult:
    """Per case (positions ``case``): how a linear boundary relates to it."""

    case: IntArray
    crossed: BoolArray
    n_crossings: NDArray[np.int64]
    severs: BoolArray
    length_across_km: FloatArray
    labels: list[str]
    touches: BoolArray  # any exact contact (for ``intersecting``)


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


def linear(
    cases: GeomArray, boundary: Boundary, tol_km: float, *, touching: bool = False
) -> LinearResult:
    """Evaluate a linear boundary (one network) against every case.

    With ``touching``, also find every case the network touches at all (for
    ``intersecting``); otherwise ``touches`` is only filled for crossed cases.
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
    fast = _clean_line_crossings(lines, has_poly, boundary, ci[hit0], ti[hit0], tol_km, n)
    crossed[fast > 0] = True
    n_cross[fast > 0] = fast[fast > 0]
    idx = np.flatnonzero(cand & (fast == 0))
    if len(idx):
        _refine_linear(cases, polys, lines, boundary, idx, tol_km, crossed, n_cross, severs, across)
    across[has_poly & any_touch & np.isnan(across)] = 0.0
    if boundary.sides is not None:
        crossed |= _on_both_sides(cases, boundary, tol_km)
    wanted = any_touch | crossed
    label_sets: dict[int, list[str]] = {}
    sel = hit & wanted[ci]
    for c, t in zip(ci[sel].tolist(), ti[sel].tolist(), strict=True):
        lst = label_sets.setdefault(c, [])
        lab = boundary.labels[t]
        if lab not in lst:
            lst.append(lab)
    labels = [", ".join(label_sets.get(i, [])) for i in range(n)]
    return LinearResult(np.arange(n), crossed, n_cross, severs, across, labels, any_touch)


def _clean_line_crossings(
    lines: GeomArray,
    has_poly: BoolArray,
    boundary: Boundary,
    ci: IntArray,
    ti: IntArray,
    tol_km: float,
    n: int,
) -> NDArray[np.int64]:
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
    point = shapely.get_type_id(shapely.intersection(l_geom, k_geom)) == 0
    # Degrees that surely exceed the tolerance in metres at these latitudes.
    b = shapely.bounds(k_geom)
    lat = np.minimum(np.maximum(np.abs(b[:, 1]), np.abs(b[:, 3])) + 0.5, 89.0)
    thr = max(tol_km, SIDE_EPS_KM) / (geo.KM_PER_DEG_LAT_MIN * np.cos(np.radians(lat)))
    clean = point.copy()
    clean[point] &= ~shapely.dwithin(l_geom[point], shapely.boundary(k_geom[point]), thr[point])
    clean[clean] &= ~shapely.dwithin(k_geom[clean], shapely.boundary(l_geom[clean]), thr[clean])
    # Transversal, not a vertex of the case touching the line from one side: the case
    # line just before and just after the point lies on opposite sides of the line.
    c = np.flatnonzero(clean)
    if len(c):
        pt = shapely.intersection(l_geom[c], k_geom[c])
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


def _refine_linear(
    cases: GeomArray,
    polys: GeomArray,
    lines: GeomArray,
    boundary: Boundary,
    idx: IntArray,
    tol_km: float,
    crossed: BoolArray,
    n_cross: NDArray[np.int64],
    severs: BoolArray,
    across: FloatArray,
) -> None:
    margin = _margin_km(max(tol_km, SIDE_EPS_KM))
    windows = case_windows(cases[idx], margin)
    # The local network: every boundary line near the case, clipped to its window and
    # merged, so a crossing at a vertex shared by two segments is one continuous line.
    wi, ti = candidate_pairs(windows, boundary.geoms, boundary.tree)
    net = np.empty(len(idx), dtype=object)
    shapely.multilinestrings(boundary.geoms[ti], indices=wi, out=net)
    empty = shapely.get_type_id(net) < 0
    net[empty] = shapely.MultiLineString()
    net = shapely.line_merge(shapely.intersection(net, windows))
    lon0, lat0 = geo.centres(cases[idx])
    net_l = geo.to_local(net, lon0, lat0)
    r_m = max(tol_km, SIDE_EPS_KM) * 1000.0
    tol_m = tol_km * 1000.0

    # Polygons: the line passes through the interior (reaching deeper than the
    # tolerance from the case's edge), or cuts the case into separate pieces.
    pk = np.flatnonzero(shapely.get_type_id(polys[idx]) >= 0)
    if len(pk):
        poly_ll = polys[idx[pk]]
        poly_l = geo.to_local(poly_ll, lon0[pk], lat0[pk])
        if tol_km > 0:
            core = shapely.difference(
                poly_l, shapely.buffer(shapely.boundary(poly_l), tol_m, quad_segs=4)
            )
            pen = shapely.intersects(net_l[pk], core)
        else:
            pen = shapely.relate_pattern(net_l[pk], poly_l, P_II)
        band = shapely.buffer(net_l[pk], r_m, quad_segs=4)
        parts, owner = geo.flat_parts(poly_l)
        pieces = shapely.difference(parts, band[owner])
        npieces = shapely.get_num_geometries(pieces)
        cut = np.zeros(len(pk), dtype=bool)
        cut[owner[npieces >= 2]] = True
        inside = shapely.intersection(net[pk], poly_ll)
        across[idx[pk]] = geo.lengths_km(inside)
        stretches_l = shapely.intersection(net_l[pk], poly_l)
        sp, so = geo.flat_parts(shapely.line_merge(stretches_l))
        long_enough = (shapely.get_type_id(sp) == 1) & (shapely.length(sp) > tol_m)
        n_str = np.bincount(so[long_enough], minlength=len(pk))
        crossed[idx[pk]] |= pen | cut
        severs[idx[pk]] = cut
        n_cross[idx[pk]] += np.where(pen | cut, n_str, 0)

    # Lines: the case line passes from one side of the boundary line to the other,
    # including after running along it.
    lk = np.flatnonzero(shapely.get_type_id(lines[idx]) >= 0)
    if len(lk):
        line_l = geo.to_local(lines[idx[lk]], lon0[lk], lat0[lk])
        left = left_side(net_l[lk], r_m)
        t = traversals(line_l, net_l[lk], left, r_m, capped=True)
        n_cross[idx[lk]] += t
        crossed[idx[lk]] |= t > 0


def left_side(net_l: GeomArray, r_m: float) -> GeomArray:
    """The single-sided buffer of width ``r_m`` on the left of each local network.

    GEOS can fail on single-sided buffers of self-intersecting lines (a road that loops
    over itself). The array is then halved until the failing networks are found; those
    are noded first, then snapped to a 1 cm grid, and if that still fails they get no
    left side (no crossing is claimed for them).
    """
    try:
        return np.asarray(shapely.buffer(net_l, r_m, single_sided=True), dtype=object)
    except shapely.errors.GEOSException:
        if len(net_l) > 1:
            half = len(net_l) // 2
            return np.concatenate([left_side(net_l[:half], r_m), left_side(net_l[half:], r_m)])
    net = net_l[0]
    for attempt in (
        lambda g: shapely.line_merge(shapely.union_all(g)),
        lambda g: shapely.line_merge(shapely.set_precision(g, 0.01)),
    ):
        try:
            return np.array([shapely.buffer(attempt(net), r_m, single_sided=True)], dtype=object)
        except shapely.errors.GEOSException:
            continue
    return np.array([shapely.Polygon()], dtype=object)


def _on_both_sides(cases: GeomArray, boundary: Boundary, tol_km: float) -> BoolArray:
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
) -> NDArray[np.int64]:
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
    out[k] = traversals(line_l, shapely.boundary(area_l), area_l, r_m, capped=False)
    return out


# ----------------------------------------------------------------------------- near


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
    tb = shapely.bounds(target)
    dlon, dlat = geo.degree_margin(max_km, max(abs(tb[1]), abs(tb[3])))
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
        windows = case_windows(g, max_km * 1.05 + 1.0)
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
