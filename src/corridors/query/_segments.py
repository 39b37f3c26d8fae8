"""Numpy kernels on straight lon/lat segments, for the fast paths of the queries.

The queries settle most pairs of (case, boundary) from their segments alone: where two
segments cross, how far a vertex lies from a segment, which side of a segment a point is
on. GEOS answers such questions one geometry pair at a time, at a few microseconds each;
on hundreds of thousands of pairs, numpy answers them in bulk far faster. Whatever these
kernels cannot settle surely (segments that touch or run along each other, distances
too close to a threshold to call) is flagged, and the caller sends those pairs down the
exact GEOS route.

Edges are straight in longitude/latitude (RFC 7946). Distances are judged in a local
equirectangular frame around the point in question, in metres on the sphere of
:data:`corridors._geodesy.EARTH_RADIUS_M`: within 100 km of that point and below 80°
of latitude it departs from the local azimuthal equidistant frame used by the exact
route by well under 3 %, the margin every caller allows before it calls a distance
surely larger or smaller than a threshold.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import NDArray

from .._geodesy import EARTH_RADIUS_M
from .._typing import BoolArray, FloatArray, IntArray

#: Metres per degree of latitude on the sphere of the local frames.
M_PER_DEG = EARTH_RADIUS_M * np.pi / 180.0

#: Relative margin a distance must clear before it is called surely above or below a
#: threshold (covers the frame's departure from the exact route's projection).
MARGIN = 1.03

#: Highest latitude (degrees) the fast paths handle; beyond it, the exact route.
MAX_LAT = 80.0

#: Points closer than this (degrees, about 1 cm) to a segment's line count as on it:
#: such contacts are left to the exact route.
TOUCH_DEG = 1e-7


@dataclass
class Segments:
    """The segments of an array of (Multi)LineStrings and (Multi)Polygons.

    Segments of one geometry are contiguous: those of geometry ``g`` are
    ``start[g]:start[g + 1]``. ``line`` numbers the linestring or ring each segment
    belongs to (consecutive segments of one line follow each other; rings are closed,
    so the last segment of a ring ends where its first begins).
    """

    x0: FloatArray
    y0: FloatArray
    x1: FloatArray
    y1: FloatArray
    owner: IntArray
    line: IntArray
    start: IntArray

    def __len__(self) -> int:
        return len(self.x0)


def segments(geoms: NDArray[np.object_]) -> Segments:
    """Segments of each geometry (lines, or the rings of polygons), in lon/lat degrees."""
    n = len(geoms)
    types = shapely.get_type_id(geoms)
    if n and (types == 1).all():
        return _from_lines(np.asarray(geoms, dtype=object), np.arange(n, dtype=np.intp), n)
    if n and (types == 3).all():
        rings, ring_owner = shapely.get_rings(geoms, return_index=True)
        return _from_lines(rings, ring_owner.astype(np.intp), n)
    dims = shapely.get_dimensions(geoms)
    parts, part_owner = shapely.get_parts(geoms, return_index=True)
    poly = dims[part_owner] == 2
    lines = np.empty(len(parts), dtype=object)
    lines[~poly] = parts[~poly]
    line_owner = part_owner.copy()
    if poly.any():
        rings, ring_part = shapely.get_rings(parts[poly], return_index=True)
        owner_of_poly = part_owner[poly]
        # Rings replace their polygon, in order, so segments stay grouped by geometry.
        order = np.argsort(
            np.r_[np.flatnonzero(~poly), np.flatnonzero(poly)[ring_part]], kind="stable"
        )
        lines = np.concatenate([parts[~poly], rings])[order]
        line_owner = np.concatenate([part_owner[~poly], owner_of_poly[ring_part]])[order]
    return _from_lines(lines, line_owner.astype(np.intp), n)


def _from_lines(lines: NDArray[np.object_], line_owner: IntArray, n: int) -> Segments:
    """Segments of linestrings or rings, each owned by geometry ``line_owner[i]``
    (non-decreasing) of ``n``."""
    xy, idx = shapely.get_coordinates(lines, return_index=True)
    same = idx[1:] == idx[:-1]
    a = np.flatnonzero(same)
    seg_line = idx[a].astype(np.intp)
    owner = line_owner[seg_line].astype(np.intp)
    start = np.searchsorted(owner, np.arange(n + 1)).astype(np.intp)
    return Segments(xy[a, 0], xy[a, 1], xy[a + 1, 0], xy[a + 1, 1], owner, seg_line, start)


def metres_per_degree(lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Scale (metres per degree of longitude, of latitude) of the local frame at ``lat``."""
    return M_PER_DEG * np.cos(np.radians(lat)), np.full(np.shape(lat), M_PER_DEG)


def orient(
    ax: FloatArray, ay: FloatArray, bx: FloatArray, by: FloatArray, px: FloatArray, py: FloatArray
) -> FloatArray:
    """Twice the signed area of (a, b, p): > 0 when p lies left of a->b."""
    return (bx - ax) * (py - ay) - (by - ay) * (px - ax)


@dataclass
class Crossings:
    """How pairs of segments a->b and c->d meet.

    ``hit``: they share a point. ``proper``: they cross at one point inside both, at a
    clear angle. ``unsure``: they touch, run along each other, or come so close to it
    that float arithmetic cannot tell (the exact route decides). ``t`` and ``u`` are the
    positions of a proper crossing along a->b and c->d (0-1), NaN otherwise; ``left``
    says whether a->b arrives from the left of c->d (a lies left of it).
    """

    hit: BoolArray
    proper: BoolArray
    unsure: BoolArray
    t: FloatArray
    u: FloatArray
    left: BoolArray


def crossings(
    ax: FloatArray,
    ay: FloatArray,
    bx: FloatArray,
    by: FloatArray,
    cx: FloatArray,
    cy: FloatArray,
    dx: FloatArray,
    dy: FloatArray,
) -> Crossings:
    """Classify how each segment a->b meets c->d (all arrays of the same length)."""
    o1 = orient(ax, ay, bx, by, cx, cy)
    o2 = orient(ax, ay, bx, by, dx, dy)
    o3 = orient(cx, cy, dx, dy, ax, ay)
    o4 = orient(cx, cy, dx, dy, bx, by)
    lab = np.hypot(bx - ax, by - ay)
    lcd = np.hypot(dx - cx, dy - cy)
    # An orientation is "zero" when the point lies within TOUCH_DEG of the other line.
    z1 = np.abs(o1) <= TOUCH_DEG * lab
    z2 = np.abs(o2) <= TOUCH_DEG * lab
    z3 = np.abs(o3) <= TOUCH_DEG * lcd
    z4 = np.abs(o4) <= TOUCH_DEG * lcd
    s12 = (o1 > 0) != (o2 > 0)
    s34 = (o3 > 0) != (o4 > 0)
    proper = s12 & s34 & ~(z1 | z2 | z3 | z4)
    # Touching or collinear contacts: an endpoint on the other segment's line, inside
    # the other's box (a generous test; only the exact route settles these).
    near_box = boxes_touch(ax, ay, bx, by, cx, cy, dx, dy)
    unsure = near_box & (z1 | z2 | z3 | z4) & ((s12 | z1 | z2) & (s34 | z3 | z4))
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.where(proper, o3 / (o3 - o4), np.nan)
        u = np.where(proper, o1 / (o1 - o2), np.nan)
    return Crossings(proper | unsure, proper, unsure, t, u, o3 > 0)


def boxes_touch(
    ax: FloatArray,
    ay: FloatArray,
    bx: FloatArray,
    by: FloatArray,
    cx: FloatArray,
    cy: FloatArray,
    dx: FloatArray,
    dy: FloatArray,
) -> BoolArray:
    """Whether the boxes of segments a->b and c->d meet, within :data:`TOUCH_DEG`."""
    return (
        (np.minimum(ax, bx) <= np.maximum(cx, dx) + TOUCH_DEG)
        & (np.minimum(cx, dx) <= np.maximum(ax, bx) + TOUCH_DEG)
        & (np.minimum(ay, by) <= np.maximum(cy, dy) + TOUCH_DEG)
        & (np.minimum(cy, dy) <= np.maximum(ay, by) + TOUCH_DEG)
    )


def point_segment_m(
    px: FloatArray,
    py: FloatArray,
    ax: FloatArray,
    ay: FloatArray,
    bx: FloatArray,
    by: FloatArray,
) -> FloatArray:
    """Distance (metres, local frame at p) from each point p to the segment a->b."""
    kx, ky = metres_per_degree(py)
    ux, uy = (ax - px) * kx, (ay - py) * ky
    vx, vy = (bx - px) * kx, (by - py) * ky
    dx, dy = vx - ux, vy - uy
    dd = dx * dx + dy * dy
    with np.errstate(invalid="ignore", divide="ignore"):
        s = np.clip(np.where(dd > 0, -(ux * dx + uy * dy) / dd, 0.0), 0.0, 1.0)
    return np.hypot(ux + s * dx, uy + s * dy)


def segment_distance_m(
    ax: FloatArray,
    ay: FloatArray,
    bx: FloatArray,
    by: FloatArray,
    cx: FloatArray,
    cy: FloatArray,
    dx: FloatArray,
    dy: FloatArray,
) -> FloatArray:
    """Distance (metres) between segments a->b and c->d that do not cross.

    It is reached at an endpoint of one of them, so it is the least of four
    point-to-segment distances, each in the frame of its own point.
    """
    return np.minimum(
        np.minimum(
            point_segment_m(ax, ay, cx, cy, dx, dy), point_segment_m(bx, by, cx, cy, dx, dy)
        ),
        np.minimum(
            point_segment_m(cx, cy, ax, ay, bx, by), point_segment_m(dx, dy, ax, ay, bx, by)
        ),
    )


def ranges(counts: IntArray) -> tuple[IntArray, IntArray]:
    """For ``counts[i]`` items per group: each item's group and its rank in the group."""
    counts = np.asarray(counts, dtype=np.intp)
    group = np.repeat(np.arange(len(counts), dtype=np.intp), counts)
    first = np.cumsum(counts) - counts
    rank = np.arange(len(group), dtype=np.intp) - np.repeat(first, counts)
    return group, rank


def boxes_meet(
    s: Segments,
    i: IntArray,
    t: Segments,
    j: IntArray,
    margin_x: FloatArray | float,
    margin_y: FloatArray | float,
) -> BoolArray:
    """Whether the box of segment ``s[i]``, widened by the margins (degrees), meets ``t[j]``'s."""
    sx0, sx1 = np.minimum(s.x0[i], s.x1[i]), np.maximum(s.x0[i], s.x1[i])
    sy0, sy1 = np.minimum(s.y0[i], s.y1[i]), np.maximum(s.y0[i], s.y1[i])
    tx0, tx1 = np.minimum(t.x0[j], t.x1[j]), np.maximum(t.x0[j], t.x1[j])
    ty0, ty1 = np.minimum(t.y0[j], t.y1[j]), np.maximum(t.y0[j], t.y1[j])
    return (
        (sx0 - margin_x <= tx1)
        & (tx0 <= sx1 + margin_x)
        & (sy0 - margin_y <= ty1)
        & (ty0 <= sy1 + margin_y)
    )
