"""Fast route for ``crossing`` against areal boundaries: segments in numpy, GEOS for the rest.

:func:`crossing_areal` returns what :func:`corridors._query_engine.crossing_areal`
returns, with the same answers, but settles most pairs of (case, feature) from the
segments of the case and of the feature's edge alone:

1. *Where they cross.* The edges of the features are cut into the cached short pieces
   of :func:`~corridors._query_engine.edge_pieces`; each case meeting a piece's box is
   tested segment against segment (:func:`corridors._segments.crossings`). A pair whose
   segments only cross properly (no touching, no running along) crosses in the DE-9IM
   sense exactly when some segment crosses; a line with no contact at all lies on one
   side. Contacts that float arithmetic cannot call send the case to the exact route.
2. *Which side.* At a proper crossing, the side each segment comes from is known from
   the orientation of the other one and of its ring (a feature's interior lies on the
   left of a counter-clockwise exterior ring and on the right of a counter-clockwise
   hole), and sides alternate at each crossing along a line or a ring. That cuts each
   case, and each piece of edge near a polygonal case, into pieces known to lie inside
   or outside: no point-in-polygon test against a 100,000-vertex country is needed.
3. *Measures.* The length inside is the geodesic length of the inside pieces of the
   lines; the area inside follows from Green's theorem, summing the inside pieces of
   the case's rings and the pieces of the feature's edge inside the case, each in the
   direction that keeps the intersection on its left, with the shoelace formula in the
   same equal-area projection (and the same densification) as
   :func:`corridors._geodesy.areas_km2`.
4. *Tolerance and traversals.* A stretch of a line between two crossings is surely
   deeper than a threshold when one of its points is farther than that (with the
   margin :data:`~corridors._segments.MARGIN`) from every nearby segment of the edge,
   and surely shallower when its length bounds its depth below it; what neither
   settles is measured by the metric buffers of the exact route
   (:func:`~corridors._query_engine.refine_areal`,
   :func:`~corridors._query_engine.line_traversals_areal`).

Cases of several parts, polygons with holes, and any case with an unclear contact take
the exact route (:func:`~corridors._query_engine.crossing_areal`) whole.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import shapely
from numpy.typing import NDArray

from ... import _geodesy as geo
from ..._threads import map_chunks, runs
from ..._typing import BoolArray, FloatArray, GeomArray, Int64Array, IntArray
from .. import _segments as sg
from .._band import SIDE_EPS_KM
from .._edges import EdgePieces, edge_pieces
from .._windows import window_margin_km
from ..boundary import Boundary, caches

#: Halvings of a piece of a stretch in :func:`_second_look`: 2**6 parts bring a piece
#: of 30 km (a long step of a case line) under 0.5 km, half the default tolerance, where
#: the bound tells a stretch that keeps within about 0.7 km of the edge as shallow.
LOOK_LEVELS = 6
#: Edge length (degrees) beyond which :func:`corridors._geodesy.areas_km2` densifies.
DENSIFY_DEG = 0.25
#: Simple cases per chunk of the speed route; chunks run in threads
#: (:mod:`corridors._threads`). Measured on ``benchmarks/query_scale.py``'s countries
#: with 2 threads: splitting fewer than FAST_MIN cases costs more than it saves (20,000
#: simple cases take 0.12 s in chunks of 10,000, 0.10 s whole); chunks of 25,000 to
#: FAST_MAX take the same time, and bound the temporaries of each (one chunk of all
#: 500,000 simple cases takes 20 % longer and twice the memory).
FAST_MIN = 20_000
FAST_MAX = 100_000


# ----------------------------------------------------------------------------- helpers


def _first_true(mask: BoolArray, group: IntArray, n: int) -> BoolArray:
    """Whether any item of each of ``n`` groups is ``mask``-ed."""
    return np.bincount(group[mask], minlength=n) > 0


@dataclass
class EdgeTables:
    """The segments of every ring of an areal boundary, indexed like its edge pieces.

    Segment ``i`` runs from coordinate ``i`` to ``i + 1`` of the concatenated rings
    (the last coordinate of a ring starts no segment), so the segments of a ring are
    consecutive and in the ring's order. Piece ``p`` of
    :func:`~corridors._query_engine.edge_pieces` holds segments
    ``piece_s0[p] : piece_s0[p] + piece_n[p]``.
    """

    pieces: EdgePieces
    x0: FloatArray
    y0: FloatArray
    x1: FloatArray
    y1: FloatArray
    ring: IntArray  # ring of each segment
    ring_s0: IntArray  # first segment of each ring
    ring_n: IntArray  # segments of each ring
    ring_box: FloatArray  # (n_rings, 4) bounds
    left_in: BoolArray  # per ring: the feature's interior lies left of the ring
    piece_s0: IntArray
    piece_n: IntArray
    piece_box: FloatArray  # (n_pieces, 4) bounds
    piece_longest_m: FloatArray  # longest segment of each piece (metres, local frames)


def edge_tables(boundary: Boundary) -> EdgeTables:
    """Segment tables of the boundary's rings, on the cut of :func:`edge_pieces` (cached)."""
    cache = caches(boundary)
    if cache.edge_tables is not None:
        return cache.edge_tables
    pieces = edge_pieces(boundary)
    start = pieces.ring_start
    n_rings = len(start) - 1
    x, y = pieces.xy[:, 0], pieces.xy[:, 1]
    x0, y0 = x, y
    x1, y1 = np.r_[x[1:], np.nan], np.r_[y[1:], np.nan]
    ring = pieces.ring_of
    # Orientation of each ring from its signed area, around its first vertex (precision).
    valid = np.r_[ring[1:] == ring[:-1], False]
    rx, ry = x[start[:-1]][ring], y[start[:-1]][ring]
    cross = np.where(valid, (x0 - rx) * (y1 - ry) - (x1 - rx) * (y0 - ry), 0.0)
    signed = np.bincount(ring, cross, minlength=n_rings)
    ring_part = pieces.ring_part
    exterior = np.r_[True, ring_part[1:] != ring_part[:-1]] if n_rings else np.zeros(0, bool)
    left_in = (signed > 0) == exterior
    box = np.column_stack(
        [
            np.minimum.reduceat(x, start[:-1]) if n_rings else np.zeros(0),
            np.minimum.reduceat(y, start[:-1]) if n_rings else np.zeros(0),
            np.maximum.reduceat(x, start[:-1]) if n_rings else np.zeros(0),
            np.maximum.reduceat(y, start[:-1]) if n_rings else np.zeros(0),
        ]
    )
    s0 = pieces.seg_start
    kx, ky = sg.metres_per_degree(np.maximum(np.abs(y0), np.abs(np.r_[y1[:-1], y0[-1:]])))
    seg_m = np.where(valid, np.hypot((x1 - x0) * kx, (y1 - y0) * ky), 0.0)
    longest = np.maximum.reduceat(seg_m, s0) if len(s0) else np.zeros(0)
    tables = EdgeTables(
        pieces,
        x0,
        y0,
        x1,
        y1,
        ring,
        start[:-1],
        (np.diff(start) - 1).astype(np.intp),
        box,
        left_in,
        s0,
        pieces.seg_count,
        shapely.bounds(pieces.geoms),
        longest,
    )
    cache.edge_tables = tables
    return tables


@dataclass
class _Cases:
    """Segments of simple cases (LineStrings, Polygons without holes).

    Segment ``i`` runs from coordinate ``i`` to ``i + 1``; those of case ``k`` are
    ``s0[k] : s0[k] + n[k]``, in the order of the line or ring.
    """

    x0: FloatArray
    y0: FloatArray
    x1: FloatArray
    y1: FloatArray
    s0: IntArray
    n: IntArray
    poly: BoolArray
    left_in: BoolArray  # polygons: the interior lies left of the ring
    box: FloatArray  # (n_cases, 4)


def _case_segments(geoms: GeomArray, poly: BoolArray) -> _Cases:
    xy, cidx = shapely.get_coordinates(geoms, return_index=True)
    n = len(geoms)
    start = np.searchsorted(cidx, np.arange(n + 1)).astype(np.intp)
    x, y = xy[:, 0], xy[:, 1]
    x1, y1 = np.r_[x[1:], np.nan], np.r_[y[1:], np.nan]
    valid = np.r_[cidx[1:] == cidx[:-1], False]
    rx, ry = x[start[:-1]][cidx], y[start[:-1]][cidx]
    cross = np.where(valid, (x - rx) * (y1 - ry) - (x1 - rx) * (y - ry), 0.0)
    left_in = np.bincount(cidx, cross, minlength=n) > 0
    box = np.column_stack(
        [
            np.minimum.reduceat(x, start[:-1]),
            np.minimum.reduceat(y, start[:-1]),
            np.maximum.reduceat(x, start[:-1]),
            np.maximum.reduceat(y, start[:-1]),
        ]
    )
    return _Cases(x, y, x1, y1, start[:-1], np.diff(start) - 1, poly, left_in, box)


def _inside_case(cs: _Cases, k: IntArray, px: FloatArray, py: FloatArray) -> BoolArray:
    """Whether each point lies inside polygonal case ``k`` (ray casting on its ring).

    Used only for points known not to touch the ring, so the half-open rule at
    vertices is enough.
    """
    row, j = sg.ranges(cs.n[k])
    s = cs.s0[k][row] + j
    qx, qy = px[row], py[row]
    x0, y0, x1, y1 = cs.x0[s], cs.y0[s], cs.x1[s], cs.y1[s]
    straddle = (y0 > qy) != (y1 > qy)
    with np.errstate(invalid="ignore", divide="ignore"):
        xi = x0 + (qy - y0) * (x1 - x0) / (y1 - y0)
    hits = straddle & (qx < xi)
    return (np.bincount(row[hits], minlength=len(k)) % 2) == 1


def _self_contacts(cs: _Cases, k: IntArray) -> BoolArray:
    """Whether each case ``k`` touches or crosses itself (or doubles back on itself).

    GEOS nodes a line where it crosses itself, which splits its pieces there (and so
    changes their geodesic lengths and the pieces within a band); such cases, rare,
    take the exact route.
    """
    n = cs.n[k]
    # Every pair of segments (i, j), i < j, of each case.
    pair_n = n * (n - 1) // 2
    row, r = sg.ranges(pair_n)
    nr = n[row]
    # Unrank r into (i, j) with i < j: rows of the upper triangle, in order.
    i = np.zeros(len(r), dtype=np.intp)
    left = r.copy()
    width = nr - 1
    while True:
        step = left >= width
        if not step.any():
            break
        left = np.where(step, left - width, left)
        i = np.where(step, i + 1, i)
        width = np.where(step, width - 1, width)
    j = i + 1 + left
    a = cs.s0[k][row] + i
    b = cs.s0[k][row] + j
    adjacent = (j == i + 1) | (cs.poly[k][row] & (i == 0) & (j == nr - 1))
    cr = sg.crossings(
        cs.x0[a], cs.y0[a], cs.x1[a], cs.y1[a], cs.x0[b], cs.y0[b], cs.x1[b], cs.y1[b]
    )
    bad = ~adjacent & cr.hit
    # Adjacent segments u -> v meet at their shared vertex; they overlap when v runs
    # back along u.
    cyc = adjacent & (j != i + 1)
    u = np.where(cyc, b, a)
    v = np.where(cyc, a, b)
    ux, uy = cs.x1[u] - cs.x0[u], cs.y1[u] - cs.y0[u]
    vx, vy = cs.x1[v] - cs.x0[v], cs.y1[v] - cs.y0[v]
    turn = sg.orient(cs.x0[u], cs.y0[u], cs.x1[u], cs.y1[u], cs.x1[v], cs.y1[v])
    back = adjacent & (np.abs(turn) <= sg.TOUCH_DEG * np.hypot(ux, uy)) & (ux * vx + uy * vy < 0)
    return np.bincount(row[bad | back], minlength=len(k)) > 0


def _densify(
    px: FloatArray, py: FloatArray, qx: FloatArray, qy: FloatArray
) -> tuple[IntArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    """Split each segment p->q as ``shapely.segmentize(.., DENSIFY_DEG)`` does.

    Returns the segment each sub-segment came from and the sub-segments' ends.
    """
    length = np.hypot(qx - px, qy - py)
    parts = np.where(length > DENSIFY_DEG, np.ceil(length / DENSIFY_DEG), 1.0).astype(np.intp)
    if (parts == 1).all():
        return np.arange(len(px), dtype=np.intp), px, py, qx, qy
    src, j = sg.ranges(parts)
    m = parts[src].astype(float)
    lsrc = length[src]
    step = lsrc / m
    with np.errstate(invalid="ignore", divide="ignore"):
        f0 = (j * step) / lsrc
        f1 = ((j + 1) * step) / lsrc
    dx, dy = (qx - px)[src], (qy - py)[src]
    ax = np.where(j == 0, px[src], px[src] + f0 * dx)
    ay = np.where(j == 0, py[src], py[src] + f0 * dy)
    last = j == parts[src] - 1
    bx = np.where(last, qx[src], px[src] + f1 * dx)
    by = np.where(last, qy[src], py[src] + f1 * dy)
    return src, ax, ay, bx, by


def _green_km2(
    group: IntArray,
    weight: FloatArray,
    px: FloatArray,
    py: FloatArray,
    qx: FloatArray,
    qy: FloatArray,
    n: int,
) -> FloatArray:
    """Area (km²) enclosed by directed segments p->q, summed per group (Green's theorem).

    Each segment counts with its ``weight`` (+1, or -1 for a reversed direction), after
    the densification and in the equal-area projection of
    :func:`corridors._geodesy.areas_km2`; coordinates are taken relative to one point
    per group so that the cross products do not lose precision.
    """
    src, ax, ay, bx, by = _densify(px, py, qx, qy)
    g = group[src]
    ex, ey = geo._EQUAL_AREA.transform(np.r_[ax, bx], np.r_[ay, by])
    ex, ey = np.asarray(ex), np.asarray(ey)
    m = len(ax)
    ax_, ay_, bx_, by_ = ex[:m], ey[:m], ex[m:], ey[m:]
    first = np.full(n, -1, dtype=np.intp)
    first[g[::-1]] = np.arange(m - 1, -1, -1, dtype=np.intp)
    ox, oy = ax_[first[g]], ay_[first[g]]
    cross = (ax_ - ox) * (by_ - oy) - (bx_ - ox) * (ay_ - oy)
    return np.bincount(g, cross * weight[src], minlength=n) / 2.0 / 1e6


# ----------------------------------------------------------------------------- main


def settle_areal(
    cases: GeomArray, boundary: Boundary, tol_km: float
) -> tuple[SettledAreal, IntArray]:
    """Settle what can be settled of ``crossing(cases, areal boundary)`` from segments.

    Parameters
    ----------
    cases : numpy.ndarray of shapely geometries
        Lon/lat cases, split at the antimeridian, without points or missing values.
    boundary : Boundary
        An areal boundary.
    tol_km : float
        The tolerance (km).

    Returns
    -------
    settled : SettledAreal
        The pairs (case, feature) whose case surely lies on both sides, with their
        measures, traversals, and which side(s) the reference route's buffers must
        still decide for the tolerance.
    unsettled : numpy.ndarray of int
        Positions of the cases left wholly to the reference route (cases of several
        parts, polygons with holes, any case with an unclear contact).
    """
    n = len(cases)
    nt = len(boundary.geoms)
    types = shapely.get_type_id(cases)
    poly = types == 3
    simple = (types == 1) | poly
    if poly.any():
        simple[poly] = shapely.get_num_interior_rings(cases[poly]) == 0
    slow = np.zeros(n, dtype=bool)
    slow[(types != 1) & (types != 3)] = True
    slow[poly & ~simple] = True
    sidx = np.flatnonzero(simple)
    settled = SettledAreal.empty()
    if len(sidx) and nt:
        edges = edge_tables(boundary)
        # Chunks hold disjoint runs of cases and share only read-only tables and the
        # pieces' tree, so they run side by side; joined in order, they give the pairs
        # one call over every case would.
        parts = map_chunks(
            lambda run: _fast(cases, sidx[run], poly, boundary, edges, tol_km),
            runs(sidx, at_least=FAST_MIN, at_most=FAST_MAX),
        )
        settled = SettledAreal.concat([p[0] for p in parts])
        slow[np.concatenate([p[1] for p in parts])] = True
    elif nt:
        edge_tables(boundary)  # keep the tables warm, as the reference warms its pieces
    return settled, np.flatnonzero(slow & (types >= 0))


@dataclass
class SettledAreal:
    """Pairs (case, feature) settled by the speed route (global case positions).

    Every pair's case surely lies on both sides of the feature's edge. ``deep_in`` and
    ``deep_out`` say whether it reaches more than the tolerance inside and outside,
    where ``unsure_in`` and ``unsure_out`` are False; where they are True, the
    reference route's buffers must decide. The measures are those of
    :func:`corridors.query._reference.areal_measures`; ``trav`` counts the
    traversals of a line where ``sure_trav``.
    """

    case: IntArray
    target: IntArray
    deep_in: BoolArray
    deep_out: BoolArray
    unsure_in: BoolArray
    unsure_out: BoolArray
    share: FloatArray
    area: FloatArray
    length: FloatArray
    trav: Int64Array
    sure_trav: BoolArray
    has_line: BoolArray

    @staticmethod
    def empty() -> SettledAreal:
        e = np.zeros(0, dtype=np.intp)
        b = np.zeros(0, dtype=bool)
        f = np.zeros(0)
        return SettledAreal(e, e, b, b, b, b, f, f, f, np.zeros(0, np.int64), b, b)

    @staticmethod
    def concat(parts: list[SettledAreal]) -> SettledAreal:
        """The pairs of ``parts``, in order."""
        if len(parts) == 1:
            return parts[0]
        return SettledAreal(
            *(np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(SettledAreal))
        )

    def take(self, sel: BoolArray | IntArray) -> SettledAreal:
        """The pairs ``sel``."""
        return SettledAreal(
            self.case[sel], self.target[sel], self.deep_in[sel], self.deep_out[sel],
            self.unsure_in[sel], self.unsure_out[sel], self.share[sel], self.area[sel],
            self.length[sel], self.trav[sel], self.sure_trav[sel], self.has_line[sel],
        )  # fmt: skip


def _fast(
    cases: GeomArray,
    sidx: IntArray,
    poly_all: BoolArray,
    boundary: Boundary,
    edges: EdgeTables,
    tol_km: float,
) -> tuple[SettledAreal, IntArray]:
    """The fast route on the simple cases ``cases[sidx]``.

    Returns the settled pairs and the positions of the cases left to the exact route.
    """
    nt = len(boundary.geoms)
    owner = edges.pieces.owner
    qi, qp = edges.pieces.tree.query(cases[sidx])
    if len(qi) == 0:
        return SettledAreal.empty(), np.zeros(0, dtype=np.intp)
    order = np.lexsort((qp, qi))
    qi, qp = qi[order], qp[order].astype(np.intp)
    cand, qk = np.unique(qi, return_inverse=True)
    qk = qk.astype(np.intp)
    glob = sidx[cand]  # global position of each candidate case
    nk = len(cand)
    cs = _case_segments(cases[glob], poly_all[glob])

    # Candidate (case, feature) pairs, one per feature whose edge pieces meet the case.
    tkey = qk.astype(np.int64) * nt + owner[qp]
    ukey, tpair = np.unique(tkey, return_inverse=True)
    tpair = tpair.astype(np.intp)
    pk = (ukey // nt).astype(np.intp)
    pf = (ukey % nt).astype(np.intp)
    npair = len(ukey)

    # Case segments against the box of each piece, then against its segments.
    row, j = sg.ranges(cs.n[qk])
    cseg = cs.s0[qk][row] + j
    pb = edges.piece_box[qp[row]]
    e = sg.TOUCH_DEG
    near = (
        (np.minimum(cs.x0[cseg], cs.x1[cseg]) <= pb[:, 2] + e)
        & (np.maximum(cs.x0[cseg], cs.x1[cseg]) >= pb[:, 0] - e)
        & (np.minimum(cs.y0[cseg], cs.y1[cseg]) <= pb[:, 3] + e)
        & (np.maximum(cs.y0[cseg], cs.y1[cseg]) >= pb[:, 1] - e)
    )
    row, cseg = row[near], cseg[near]
    r2, j2 = sg.ranges(edges.piece_n[qp[row]])
    tp = row[r2]  # tree pair of each (case segment, edge segment)
    cseg = cseg[r2]
    eseg = edges.piece_s0[qp[tp]] + j2
    near = sg.boxes_touch(
        cs.x0[cseg], cs.y0[cseg], cs.x1[cseg], cs.y1[cseg],
        edges.x0[eseg], edges.y0[eseg], edges.x1[eseg], edges.y1[eseg],
    )  # fmt: skip
    tp, cseg, eseg = tp[near], cseg[near], eseg[near]
    cr = sg.crossings(
        cs.x0[cseg], cs.y0[cseg], cs.x1[cseg], cs.y1[cseg],
        edges.x0[eseg], edges.y0[eseg], edges.x1[eseg], edges.y1[eseg],
    )  # fmt: skip
    hit = cr.hit
    pair_of = tpair[tp[hit]]
    proper = cr.proper[hit]
    n_proper = np.bincount(pair_of[proper], minlength=npair)
    n_unsure = np.bincount(pair_of[~proper], minlength=npair)
    back = np.zeros(nk, dtype=bool)  # cases for the exact route
    back[pk[n_unsure > 0]] = True

    # Events: the proper crossings, with the side each segment comes from.
    ev_pair = pair_of[proper]
    ev_cseg = cseg[hit][proper]
    ev_eseg = eseg[hit][proper]
    ev_t = cr.t[hit][proper]
    ev_u = cr.u[hit][proper]
    ev_left = cr.left[hit][proper]
    ev_ring = edges.ring[ev_eseg]
    # The case comes from inside when it arrives from the side the interior is on; the
    # edge's start c lies left of the case segment exactly when a lies right of c->d.
    ev_cin = ev_left == edges.left_in[ev_ring]
    ev_ein = (~ev_left) == cs.left_in[pk[ev_pair]]

    # Polygons: a ring of the feature without crossings may still lie inside the case
    # (an island): the exact route decides those.
    is_poly = cs.poly[pk]
    tring = edges.ring[edges.piece_s0[qp]]
    nr = len(edges.ring_s0)
    with_ev = np.unique(ev_pair.astype(np.int64) * nr + ev_ring)
    tp_poly = np.flatnonzero(is_poly[tpair])
    key = tpair[tp_poly].astype(np.int64) * nr + tring[tp_poly]
    tp_poly = tp_poly[~np.isin(key, with_ev)]
    if len(tp_poly):
        rk = np.unique(tpair[tp_poly].astype(np.int64) * nr + tring[tp_poly])
        rp, rr = (rk // nr).astype(np.intp), (rk % nr).astype(np.intp)
        rb = edges.ring_box[rr]
        kb = cs.box[pk[rp]]
        within = (
            (rb[:, 0] > kb[:, 0])
            & (rb[:, 2] < kb[:, 2])
            & (rb[:, 1] > kb[:, 1])
            & (rb[:, 3] < kb[:, 3])
        )
        if within.any():
            s = edges.ring_s0[rr[within]]
            ins = _inside_case(cs, pk[rp[within]], edges.x0[s], edges.y0[s])
            back[pk[rp[within][ins]]] = True

    crossing = (n_proper > 0) & ~back[pk]
    ck = np.unique(pk[crossing])
    back[ck[_self_contacts(cs, ck)]] = True
    crossing &= ~back[pk]
    # Sides along the case (lines and rings).
    keep = crossing[ev_pair]
    ev = _Events(ev_pair[keep], ev_cseg[keep], ev_t[keep], ev_cin[keep])
    ev_e = _Events(ev_pair[keep], ev_eseg[keep], ev_u[keep], ev_ein[keep])
    cp = np.flatnonzero(crossing)
    c_row, c_j = sg.ranges(cs.n[pk[cp]])
    c_pair = cp[c_row]
    c_seg = cs.s0[pk[c_pair]] + c_j
    csub, bad = _sides(ev, c_pair, c_seg, is_poly, None)
    back[pk[bad]] = True

    # Pieces of edge inside polygonal cases: the segments of the pieces near each case.
    pp = np.flatnonzero(crossing & is_poly)
    tsel = np.flatnonzero(np.isin(tpair, pp))
    e_row, e_j = sg.ranges(edges.piece_n[qp[tsel]])
    e_pair = tpair[tsel][e_row]
    e_seg = edges.piece_s0[qp[tsel]][e_row] + e_j
    kb = cs.box[pk[e_pair]]
    inbox = sg.boxes_touch(
        edges.x0[e_seg], edges.y0[e_seg], edges.x1[e_seg], edges.y1[e_seg],
        kb[:, 0], kb[:, 1], kb[:, 2], kb[:, 3],
    )  # fmt: skip
    e_pair, e_seg = e_pair[inbox], e_seg[inbox]
    pe = np.isin(ev_e.pair, pp)
    ev_e = ev_e.take(pe)
    rings = (edges.ring_s0, edges.ring_n, edges.ring)
    esub, bad = _sides(ev_e, e_pair, e_seg, np.ones(npair, dtype=bool), rings)
    back[pk[bad]] = True

    ok = crossing & ~back[pk]
    res = _measures(cs, edges, pk, ok, is_poly, csub, esub, npair)
    okp = np.flatnonzero(ok)
    gcase = glob[pk]
    tgt = pf
    line = ~is_poly
    tol = _tolerance(edges, cs, csub, pk, pf, ok, is_poly, tol_km)
    out = SettledAreal(
        gcase, tgt, tol.deep_in, tol.deep_out, tol.unsure_in, tol.unsure_out,
        res[0], res[1], res[2], tol.trav, tol.sure_trav, line,
    ).take(okp)  # fmt: skip
    return out.take(~back[pk[okp]]), glob[back]


@dataclass
class _Events:
    """Proper crossings along a set of lines: pair, segment, position on it (0-1), and
    whether the line comes from inside the other geometry."""

    pair: IntArray
    seg: IntArray
    t: FloatArray
    inside: BoolArray

    def take(self, sel: BoolArray | IntArray) -> _Events:
        return _Events(self.pair[sel], self.seg[sel], self.t[sel], self.inside[sel])


@dataclass
class _Sub:
    """Sub-intervals of segments between crossings: pair, segment, ends (0-1), side."""

    pair: IntArray
    seg: IntArray
    t0: FloatArray
    t1: FloatArray
    inside: BoolArray
    row: IntArray  # the (pair, segment) row each came from
    #: The stretch between crossings each lies on: the (sorted) crossing that ends it,
    #: or ``n_events + pair`` for the stretch after the last crossing of an open line.
    chain: IntArray
    events: _Events  # the crossings, sorted along each line


def _sides(
    ev: _Events,
    r_pair: IntArray,
    r_seg: IntArray,
    cyclic: BoolArray,
    seg_end: tuple[IntArray, IntArray, IntArray] | None,
) -> tuple[_Sub, IntArray]:
    """Cut segments (rows ``(r_pair, r_seg)``) at the crossings and give each piece its side.

    Along one line, sides alternate at each crossing, so the side of a stretch is the
    side the next crossing comes from; after the last crossing of a closed line (per
    pair, ``cyclic``), the first one's; after the last of an open line, the opposite
    of the last one's. ``seg_end`` (first segment and number of segments of each ring,
    ring of each segment) says where the lines of edge segments begin and end; without
    it, the line of a row is its whole pair (a case). Rows of a line without crossings
    are outside. Returns the pieces and the pairs whose crossings do not alternate.
    """
    order = np.lexsort((ev.t, ev.seg, ev.pair))
    ev = ev.take(order)
    big = np.int64(1) << np.int64(40)
    ekey = ev.pair.astype(np.int64) * big + ev.seg

    def line_keys(pair: IntArray, seg: IntArray) -> tuple[Int64Array, Int64Array]:
        base = pair.astype(np.int64) * big
        if seg_end is None:
            return base, base + big
        ring_s0, ring_n, ring_of = seg_end
        r = ring_of[seg]
        return base + ring_s0[r], base + ring_s0[r] + ring_n[r]

    m = len(ekey)
    # Crossings must alternate along each line (a check on the arithmetic).
    lo, hi = (np.searchsorted(ekey, k, "left") for k in line_keys(ev.pair, ev.seg))
    nxt = np.arange(m) + 1
    wrap = nxt >= hi
    nxt = np.where(wrap, lo, nxt)
    bad_ev = (~wrap | cyclic[ev.pair]) & (ev.inside == ev.inside[np.minimum(nxt, m - 1)])
    bad = np.unique(ev.pair[bad_ev])

    rkey = r_pair.astype(np.int64) * big + r_seg
    first = np.searchsorted(ekey, rkey, "left")
    after = np.searchsorted(ekey, rkey, "right")
    lo_r, hi_r = (np.searchsorted(ekey, k, "left") for k in line_keys(r_pair, r_seg))
    side = np.zeros(len(rkey), dtype=bool)
    if m:
        at = np.minimum(first, m - 1)
        wrapped = np.where(
            cyclic[r_pair], ev.inside[np.minimum(lo_r, m - 1)], ~ev.inside[np.maximum(hi_r - 1, 0)]
        )
        side = np.where(first < hi_r, ev.inside[at], wrapped) & (hi_r > lo_r)
    n_ev = after - first
    row, i = sg.ranges(n_ev + 1)
    base = first[row] + i
    t = np.r_[ev.t, 0.0]  # a spare slot, so that gathers never leave the array
    t0 = np.where(i == 0, 0.0, t[np.where(i == 0, m, base - 1)])
    t1 = np.where(i == n_ev[row], 1.0, t[np.where(i == n_ev[row], m, base)])
    inside = side[row] ^ (i % 2 == 1)
    ends = np.where(
        base < hi_r[row], base, np.where(cyclic[r_pair[row]], lo_r[row], m + r_pair[row])
    )
    return _Sub(r_pair[row], r_seg[row], t0, t1, inside, row, ends, ev), bad


def _points(
    x0: FloatArray, y0: FloatArray, x1: FloatArray, y1: FloatArray, s: IntArray, t: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """The point at ``t`` (0-1) along segment ``s``; the segment's own ends exactly."""
    ax, ay, bx, by = x0[s], y0[s], x1[s], y1[s]
    x = np.where(t == 1.0, bx, ax + t * (bx - ax))
    y = np.where(t == 1.0, by, ay + t * (by - ay))
    return x, y


def _measures(
    cs: _Cases,
    edges: EdgeTables,
    pk: IntArray,
    ok: BoolArray,
    is_poly: BoolArray,
    csub: _Sub,
    esub: _Sub,
    npair: int,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Share, area (km²) and length (km) inside for every pair marked ``ok``."""
    share = np.full(npair, np.nan)
    area = np.full(npair, np.nan)
    length = np.full(npair, np.nan)
    # Lines: geodesic length of the inside pieces, and of the whole line.
    sel = ok[csub.pair] & ~is_poly[csub.pair] & csub.inside
    px, py = _points(cs.x0, cs.y0, cs.x1, cs.y1, csub.seg[sel], csub.t0[sel])
    qx, qy = _points(cs.x0, cs.y0, cs.x1, cs.y1, csub.seg[sel], csub.t1[sel])
    _, _, d = geo.GEOD.inv(px, py, qx, qy)
    got = np.bincount(csub.pair[sel], np.asarray(d, dtype=float), minlength=npair) / 1000.0
    lp = np.flatnonzero(ok & ~is_poly)
    row, j = sg.ranges(cs.n[pk[lp]])
    s = cs.s0[pk[lp]][row] + j
    _, _, d = geo.GEOD.inv(cs.x0[s], cs.y0[s], cs.x1[s], cs.y1[s])
    tot = np.bincount(lp[row], np.asarray(d, dtype=float), minlength=npair) / 1000.0
    length[lp] = got[lp]
    with np.errstate(invalid="ignore", divide="ignore"):
        share[lp] = np.where(tot[lp] > 0, got[lp] / np.where(tot[lp] > 0, tot[lp], 1.0), np.nan)
    # Polygons: Green's theorem over the inside pieces of ring and edge.
    pp = np.flatnonzero(ok & is_poly)
    if len(pp):
        a = ok[csub.pair] & is_poly[csub.pair] & csub.inside
        b = ok[esub.pair] & esub.inside
        apx, apy = _points(cs.x0, cs.y0, cs.x1, cs.y1, csub.seg[a], csub.t0[a])
        aqx, aqy = _points(cs.x0, cs.y0, cs.x1, cs.y1, csub.seg[a], csub.t1[a])
        bpx, bpy = _points(edges.x0, edges.y0, edges.x1, edges.y1, esub.seg[b], esub.t0[b])
        bqx, bqy = _points(edges.x0, edges.y0, edges.x1, edges.y1, esub.seg[b], esub.t1[b])
        wa = np.where(cs.left_in[pk[csub.pair[a]]], 1.0, -1.0)
        wb = np.where(edges.left_in[edges.ring[esub.seg[b]]], 1.0, -1.0)
        # The whole case too (its area, for the share), as a group of its own.
        row, j = sg.ranges(cs.n[pk[pp]])
        s = cs.s0[pk[pp]][row] + j
        wt = np.where(cs.left_in[pk[pp]][row], 1.0, -1.0)
        group = np.r_[csub.pair[a], esub.pair[b], npair + pp[row]]
        got2 = _green_km2(
            group,
            np.r_[wa, wb, wt],
            np.r_[apx, bpx, cs.x0[s]],
            np.r_[apy, bpy, cs.y0[s]],
            np.r_[aqx, bqx, cs.x1[s]],
            np.r_[aqy, bqy, cs.y1[s]],
            2 * npair,
        )
        inside_a = np.abs(got2[:npair])
        total = np.abs(got2[npair:])
        area[pp] = inside_a[pp]
        length[pp] = 0.0
        with np.errstate(invalid="ignore", divide="ignore"):
            share[pp] = np.where(
                total[pp] > 0, inside_a[pp] / np.where(total[pp] > 0, total[pp], 1.0), np.nan
            )
    share = np.clip(share, 0.0, 1.0)
    return share, area, length


# ----------------------------------------------------------------------------- tolerance


def _chord_offset_m(length_m: FloatArray, lat: FloatArray) -> FloatArray:
    """A bound (metres) on how far a segment straight in lon/lat strays from the chord
    between its ends in a local azimuthal equidistant frame centred within 100 km.

    The exact route measures distances in such frames, where it treats the segments of
    cases and edges as straight between their projected ends; at the scale of a 1 m
    band that difference matters. The image of a lon/lat segment of length L bends by
    about ``L² tan(lat) / (8 R)`` there; this bound doubles that and adds a term for
    the frame's own distortion (checked numerically to hold with a factor 2 to spare).
    """
    return length_m**2 / (4.0 * geo.EARTH_RADIUS_M) * (np.tan(np.radians(lat)) + 0.1)


@dataclass
class _Near:
    """Pieces of edge near each group of points (CSR: ``piece[start[g]:start[g + 1]]``),
    and the longest segment among them (metres)."""

    start: IntArray
    piece: IntArray
    longest_m: FloatArray


def _near_pieces(edges: EdgeTables, box: FloatArray, feature: IntArray, reach_m: float) -> _Near:
    """The pieces of the edge of ``feature[g]`` within ``reach_m`` of ``box[g]`` (a superset).

    Boxes must lie below :data:`~corridors._segments.MAX_LAT`.
    """
    n_g = len(box)
    if n_g == 0:
        e = np.zeros(0, dtype=np.intp)
        return _Near(np.zeros(1, dtype=np.intp), e, np.zeros(0))
    lat = np.minimum(np.maximum(np.abs(box[:, 1]), np.abs(box[:, 3])), sg.MAX_LAT)
    # Degrees that surely hold reach_m at every point of the box (cos falls with |lat|).
    dlat = reach_m / sg.M_PER_DEG * 1.001
    dlon = reach_m / (sg.M_PER_DEG * np.cos(np.radians(lat))) * 1.001
    wide = shapely.box(box[:, 0] - dlon, box[:, 1] - dlat, box[:, 2] + dlon, box[:, 3] + dlat)
    gi, pi = edges.pieces.tree.query(wide)
    keep = edges.pieces.owner[pi] == feature[gi]
    gi, pi = gi[keep], pi[keep].astype(np.intp)
    order = np.argsort(gi, kind="stable")
    gi, pi = gi[order], pi[order]
    start = np.searchsorted(gi, np.arange(n_g + 1)).astype(np.intp)
    longest = np.zeros(n_g)
    if len(gi):
        np.maximum.at(longest, gi, edges.piece_longest_m[pi])
    return _Near(start, pi, longest)


def _edge_distance(
    edges: EdgeTables,
    near: _Near,
    q_group: IntArray,
    qx: FloatArray,
    qy: FloatArray,
    reach_m: float,
) -> FloatArray:
    """Distance (metres, local frame at each point) from each point to its feature's edge.

    Point ``q`` is measured against the pieces ``near`` its group ``q_group[q]``
    (:func:`_near_pieces` with the same ``reach_m``); a point farther than ``reach_m``
    from all of them gets ``inf``.
    """
    out = np.full(len(qx), np.inf)
    if len(qx) == 0:
        return out
    row, j = sg.ranges(np.diff(near.start)[q_group])
    piece = near.piece[near.start[q_group][row] + j]
    px, py = qx[row], qy[row]
    kx, ky = sg.metres_per_degree(py)
    pb = edges.piece_box[piece]
    dx = np.maximum(np.maximum(pb[:, 0] - px, px - pb[:, 2]), 0.0) * kx
    dy = np.maximum(np.maximum(pb[:, 1] - py, py - pb[:, 3]), 0.0) * ky
    close = np.hypot(dx, dy) <= reach_m
    row, piece = row[close], piece[close]
    r2, j2 = sg.ranges(edges.piece_n[piece])
    row = row[r2]
    s = edges.piece_s0[piece][r2] + j2
    d = sg.point_segment_m(qx[row], qy[row], edges.x0[s], edges.y0[s], edges.x1[s], edges.y1[s])
    np.minimum.at(out, row, d)
    return out


def _clear_of_edge(
    edges: EdgeTables, cs: _Cases, near: _Near, pairs: IntArray, k: IntArray, gap: FloatArray
) -> BoolArray:
    """Whether each line (pair ``pairs[i]``, case ``k[i]``) keeps its crossings in any frame.

    In the exact route's frames, segments move by up to ``gap[i]`` metres (their
    chords), so a line that comes that close to the edge without crossing it may cross
    there, and a crossing whose ends lie that close to the other segment may vanish.
    True when every segment of the line either crosses an edge segment with all four
    ends farther than ``gap`` from the other segment, or stays farther than ``gap``.
    """
    out = np.ones(len(pairs), dtype=bool)
    if len(pairs) == 0:
        return out
    row, j = sg.ranges(cs.n[k])
    seg = cs.s0[k][row] + j
    r2, j2 = sg.ranges(np.diff(near.start)[pairs[row]])
    row, seg = row[r2], seg[r2]
    piece = near.piece[near.start[pairs[row]] + j2]
    lat = np.minimum(np.maximum(np.abs(cs.y0[seg]), np.abs(cs.y1[seg])), sg.MAX_LAT)
    my = gap[row] / sg.M_PER_DEG * 1.01
    mx = gap[row] / (sg.M_PER_DEG * np.cos(np.radians(lat))) * 1.01
    pb = edges.piece_box[piece]
    close = (
        (np.minimum(cs.x0[seg], cs.x1[seg]) - mx <= pb[:, 2])
        & (np.maximum(cs.x0[seg], cs.x1[seg]) + mx >= pb[:, 0])
        & (np.minimum(cs.y0[seg], cs.y1[seg]) - my <= pb[:, 3])
        & (np.maximum(cs.y0[seg], cs.y1[seg]) + my >= pb[:, 1])
    )
    row, seg, piece, mx, my = row[close], seg[close], piece[close], mx[close], my[close]
    r3, j3 = sg.ranges(edges.piece_n[piece])
    row, seg, mx, my = row[r3], seg[r3], mx[r3], my[r3]
    e = edges.piece_s0[piece][r3] + j3
    ex0, ey0, ex1, ey1 = edges.x0[e], edges.y0[e], edges.x1[e], edges.y1[e]
    close = (
        (np.minimum(cs.x0[seg], cs.x1[seg]) - mx <= np.maximum(ex0, ex1))
        & (np.maximum(cs.x0[seg], cs.x1[seg]) + mx >= np.minimum(ex0, ex1))
        & (np.minimum(cs.y0[seg], cs.y1[seg]) - my <= np.maximum(ey0, ey1))
        & (np.maximum(cs.y0[seg], cs.y1[seg]) + my >= np.minimum(ey0, ey1))
    )
    row, seg, e = row[close], seg[close], e[close]
    ax, ay, bx, by = cs.x0[seg], cs.y0[seg], cs.x1[seg], cs.y1[seg]
    cx, cy, dx, dy = edges.x0[e], edges.y0[e], edges.x1[e], edges.y1[e]
    ends = sg.segment_distance_m(ax, ay, bx, by, cx, cy, dx, dy)
    # Apart, or crossing with every end clear: the same in any frame (ends measured
    # from their own points, the distance between segments at an end of one of them).
    bad = ends <= gap[row] * sg.MARGIN
    out[np.unique(row[bad])] = False
    return out


@dataclass(frozen=True)
class _Reach:
    """Where distances to the edge are measured for each pair: the pieces of edge near
    it (``near``, grouped by ``group_of[pair]``) and the stray (m) allowed on top."""

    near: _Near
    group_of: IntArray
    slack: FloatArray


@dataclass(frozen=True)
class _Stretches:
    """Stretches of the cases between crossings, and the pieces p->q they are made of:
    piece ``i`` lies on stretch ``cid[i]``; stretch ``c`` on pair ``c_pair[c]``, in a
    frame where distances hold when ``c_low[c]``."""

    cid: IntArray
    px: FloatArray
    py: FloatArray
    qx: FloatArray
    qy: FloatArray
    c_pair: IntArray
    c_low: BoolArray


def _second_look(
    edges: EdgeTables,
    reach_at: _Reach,
    st: _Stretches,
    status: NDArray[np.int8],
    thr: float,
) -> NDArray[np.int8]:
    """``status`` with more stretches settled (0 before) from the distances of all
    their points.

    Each piece p->q of such a stretch (between crossings and vertices) is measured at
    its ends and middle: any of them far enough makes the stretch deep; otherwise the
    distance along a half is at most the mean of the distances at its two ends plus
    half its length (distances change no faster than position), and when that bound
    stays below the threshold everywhere the stretch is shallow. Halves whose bound
    does not are halved again, up to :data:`LOOK_LEVELS` times. Ends at a crossing
    are at distance 0; an end nothing was found near is treated as far.
    """
    near, group_of, slack = reach_at.near, reach_at.group_of, reach_at.slack
    reach = thr * sg.MARGIN
    room = max(0.3 * thr, 100.0)
    todo = (status == 0) & st.c_low
    sub = np.flatnonzero(todo[st.cid])
    status = status.copy()
    if len(sub) == 0:
        return status
    nc = len(status)
    cid = st.cid[sub]
    ax, ay, bx, by = st.px[sub], st.py[sub], st.qx[sub], st.qy[sub]
    g = group_of[st.c_pair[cid]]
    sl = slack[st.c_pair[cid]]
    d = _edge_distance(edges, near, np.r_[g, g], np.r_[ax, bx], np.r_[ay, by], reach + room)
    k = len(sub)
    da, db = d[:k], d[k:]
    # Crossings lie on the edge (their measured distance is 0 up to rounding).
    deep = _first_true(np.maximum(da, db) > reach + sl, cid, nc)
    loose_left = np.zeros(nc, dtype=bool)
    limit = thr / sg.MARGIN
    for level in range(LOOK_LEVELS):
        mx, my = (ax + bx) / 2, (ay + by) / 2
        dm = _edge_distance(edges, near, g, mx, my, reach + room)
        deep |= _first_true(dm > reach + sl, cid, nc)
        kx, ky = sg.metres_per_degree(my)
        half = np.hypot((bx - ax) * kx, (by - ay) * ky) / 2
        loose_a = ~((da + dm + half) / 2 < limit - sl)
        loose_b = ~((dm + db + half) / 2 < limit - sl)
        if level == LOOK_LEVELS - 1:
            loose_left |= _first_true(loose_a | loose_b, cid, nc)
            break
        # The halves still loose, of stretches not yet found deep, are halved again.
        go_a, go_b = loose_a & ~deep[cid], loose_b & ~deep[cid]
        cid = np.r_[cid[go_a], cid[go_b]]
        g = np.r_[g[go_a], g[go_b]]
        sl = np.r_[sl[go_a], sl[go_b]]
        ax, ay, bx, by = (
            np.r_[ax[go_a], mx[go_b]], np.r_[ay[go_a], my[go_b]],
            np.r_[mx[go_a], bx[go_b]], np.r_[my[go_a], by[go_b]],
        )  # fmt: skip
        da, db = np.r_[da[go_a], dm[go_b]], np.r_[dm[go_a], db[go_b]]
        if len(cid) == 0:
            break
    status[todo & deep] = 1
    seen = np.bincount(st.cid[sub], minlength=nc) > 0
    status[todo & ~deep & ~loose_left & seen] = -1
    return status


@dataclass
class _Tolerance:
    """Per pair: tolerance answers, where the reference's buffers must decide, and
    the traversals of lines where they are settled."""

    deep_in: BoolArray
    deep_out: BoolArray
    unsure_in: BoolArray
    unsure_out: BoolArray
    trav: Int64Array
    sure_trav: BoolArray


def _tolerance(
    edges: EdgeTables,
    cs: _Cases,
    csub: _Sub,
    pk: IntArray,
    pf: IntArray,
    ok: BoolArray,
    is_poly: BoolArray,
    tol_km: float,
) -> _Tolerance:
    """Tolerance answers and traversals of the settled pairs (``ok``), per pair.

    Each case is cut at its crossings into stretches that lie wholly on one side. A
    stretch is *deep* when a point of it lies farther than the threshold (times
    :data:`~corridors.query._segments.MARGIN`) from the edge, *shallow* when its length
    bounds every point's distance to the edge below the threshold (divided by the
    margin): half its length between two crossings, its length from a crossing to the
    end of a line. Both allow, on top, for the bend of lon/lat segments in the
    reference route's frames (:func:`_chord_offset_m`). The threshold is the tolerance,
    or for traversals at tolerance 0 the band of
    :data:`~corridors.query._band.SIDE_EPS_KM`.

    A pair reaches more than the tolerance into a side when one of its stretches there
    is deep, and (lines) not when all are shallow; the rest are marked unsure, for the
    reference route's buffers. The traversals of a line whose stretches are all
    settled: crossings joined by shallow stretches lie in one piece of the band, which
    counts once if they are odd in number, unless it runs to an end of the line; deep
    stretches separate the pieces.
    """
    npair = len(pk)
    deep_in = np.ones(npair, dtype=bool)
    deep_out = np.ones(npair, dtype=bool)
    trav = np.zeros(npair, dtype=np.int64)
    sure_trav = np.zeros(npair, dtype=bool)
    unsure = {"in": np.zeros(npair, dtype=bool), "out": np.zeros(npair, dtype=bool)}
    thr = max(tol_km, SIDE_EPS_KM) * 1000.0
    reach = thr * sg.MARGIN
    # Room for the chords' stray (pairs that need more are left to the exact route).
    room = max(0.3 * thr, 100.0)
    need = ok & ((tol_km > 0) | ~is_poly)
    sub = np.flatnonzero(need[csub.pair])
    ev = csub.events
    m = len(ev.pair)
    pair = csub.pair[sub]
    seg = csub.seg[sub]
    px, py = _points(cs.x0, cs.y0, cs.x1, cs.y1, seg, csub.t0[sub])
    qx, qy = _points(cs.x0, cs.y0, cs.x1, cs.y1, seg, csub.t1[sub])
    kx, ky = sg.metres_per_degree((py + qy) / 2)
    length = np.hypot((qx - px) * kx, (qy - py) * ky)

    # Per pair: where the distance frames hold, and how far the exact route's chords
    # may stray from the segments (the case's longest segment, the edge's near it).
    kb = cs.box[pk]
    top = np.maximum(np.abs(kb[:, 1]), np.abs(kb[:, 3]))
    span = np.hypot((kb[:, 2] - kb[:, 0]) * sg.M_PER_DEG, (kb[:, 3] - kb[:, 1]) * sg.M_PER_DEG)
    low = need & (top < sg.MAX_LAT) & (span < 100_000.0)
    pl = np.flatnonzero(low)
    near = _near_pieces(edges, kb[pl], pf[pl], reach + room)
    group_of = np.full(npair, -1, dtype=np.intp)
    group_of[pl] = np.arange(len(pl))
    seg_len = np.zeros(npair)
    row, j = sg.ranges(cs.n[pk[pl]])
    s_ = cs.s0[pk[pl]][row] + j
    kxs, kys = sg.metres_per_degree(np.maximum(np.abs(cs.y0[s_]), np.abs(cs.y1[s_])))
    np.maximum.at(
        seg_len, pl[row], np.hypot((cs.x1[s_] - cs.x0[s_]) * kxs, (cs.y1[s_] - cs.y0[s_]) * kys)
    )
    window = span + 2.0 * window_margin_km(thr / 1000.0) * 1000.0 * np.sqrt(2.0)
    slack = np.zeros(npair)
    lat = np.minimum(top + 1.0, 89.0)
    slack[pl] = _chord_offset_m(seg_len[pl], lat[pl]) + _chord_offset_m(
        np.minimum(near.longest_m, window[pl]), lat[pl]
    )
    low &= slack <= room

    chains, cid = np.unique(csub.chain[sub], return_inverse=True)
    cid = cid.astype(np.intp).ravel()
    nc = len(chains)
    c_pair = np.zeros(nc, dtype=np.intp)
    c_pair[cid] = pair
    c_in = np.zeros(nc, dtype=bool)
    c_in[cid] = csub.inside[sub]
    c_len = np.bincount(cid, length, minlength=nc)
    ev_first = np.searchsorted(ev.pair, np.arange(npair)) if m else np.zeros(npair, np.intp)
    line_c = ~is_poly[c_pair]
    head = line_c & (chains < m) & (chains == ev_first[c_pair])
    tail = chains >= m
    status = np.zeros(nc, dtype=np.int8)
    c_low = low[c_pair]
    bound = np.where(head | tail, c_len, c_len / 2)
    status[c_low & (bound < thr / sg.MARGIN - slack[c_pair])] = -1
    # One test point per stretch: the middle (by length) of a stretch between two
    # crossings, the end of the line for the first and last stretch of a line.
    target = np.where(head, 0.0, np.where(tail, c_len, c_len / 2))
    order = np.argsort(cid, kind="stable")
    lo = length[order]
    cum = np.cumsum(lo)
    c_start = np.searchsorted(cid[order], np.arange(nc))
    before = cum - lo - np.r_[0.0, cum][c_start][cid[order]]
    tg = target[cid[order]]
    hit = (before <= tg + 1e-9) & (tg <= before + lo + 1e-9)
    first_hit = np.full(nc, -1, dtype=np.intp)
    first_hit[cid[order][hit][::-1]] = np.flatnonzero(hit)[::-1]
    test = np.flatnonzero((status == 0) & c_low & (first_hit >= 0))
    if len(test):
        h = first_hit[test]  # position in ``order``
        w = lo[h]
        with np.errstate(invalid="ignore", divide="ignore"):
            f = np.clip(np.where(w > 0, (target[test] - before[h]) / w, 0.0), 0.0, 1.0)
        hs = order[h]
        tx = px[hs] + f * (qx[hs] - px[hs])
        ty = py[hs] + f * (qy[hs] - py[hs])
        tp = c_pair[test]
        d = _edge_distance(edges, near, group_of[tp], tx, ty, reach + room)
        status[test[d > reach + slack[tp]]] = 1
    status = _second_look(
        edges,
        _Reach(near, group_of, slack),
        _Stretches(cid, px, py, qx, qy, c_pair, c_low),
        status,
        thr,
    )

    # Tolerance: a deep stretch on each side; (lines) none when all are shallow.
    if tol_km > 0:
        for side, deep in (("in", deep_in), ("out", deep_out)):
            mine = c_in == (side == "in")
            yes = _first_true(mine & (status == 1), c_pair, npair)
            unclear = _first_true(mine & (status != -1), c_pair, npair)
            deep[:] = yes
            unsure[side] = ok & ~yes & (unclear | is_poly)

    # Traversals of lines whose stretches are all settled.
    settled = ok & ~is_poly & low & ~_first_true(status == 0, c_pair, npair)
    # Where the chords may stray out of the band's reach, crossings must be robust.
    fine = np.flatnonzero(settled & (slack * sg.MARGIN >= 0.5 * thr))
    if len(fine):
        settled[fine] = _clear_of_edge(
            edges, cs, near, group_of[fine], pk[fine], slack[fine] + reach
        )
    if m:
        e_pair = ev.pair
        # The stretch ending at each crossing (from the previous one, or the line's start).
        e_status = np.zeros(m, dtype=np.int8)
        closed_c = chains < m
        e_status[chains[closed_c]] = status[closed_c]
        e_head = np.arange(m) == ev_first[e_pair]
        brk = e_head | (e_status == 1)
        group = np.cumsum(brk) - 1
        size = np.bincount(group)
        g_pair = e_pair[brk]
        voided = np.zeros(len(size), dtype=bool)
        voided[group[e_head & (e_status == -1)]] = True
        # The last piece of a line is voided too when the stretch after it is shallow.
        t_status = np.zeros(npair, dtype=np.int8)
        t_status[chains[tail] - m] = status[tail]
        last_e = np.r_[e_pair[1:] != e_pair[:-1], True]
        voided[group[last_e & (t_status[e_pair] == -1)]] = True
        counts = np.bincount(g_pair, ((size % 2 == 1) & ~voided).astype(float), minlength=npair)
        trav[settled] = counts[settled].astype(np.int64)
    sure_trav[settled] = True
    return _Tolerance(deep_in, deep_out, unsure["in"], unsure["out"], trav, sure_trav)
