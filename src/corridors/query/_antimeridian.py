"""Split lon/lat geometries at the antimeridian (RFC 7946, section 3.1.9).

A GeoJSON line from (179, 0) to (-179, 0) means a 2° hop across the antimeridian,
but read as planar coordinates it is a 358° line wrapping the world; a polygon
straddling 180° likewise becomes a band around the globe. RFC 7946 asks writers to cut
such geometries into parts on either side of the antimeridian; readers get data that was
not cut, or that uses longitudes beyond ±180. :func:`split_antimeridian` repairs both:
each edge whose longitude jumps by more than 180° is taken as the short way round,
the geometry is unwrapped to continuous longitudes, cut along ±180° and shifted back
into [-180, 180]. A polygon ring whose unwrapped longitudes gain or lose a full 360°
encircles a pole and is closed through that pole.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry.base import BaseGeometry

__all__ = ["needs_split", "split_antimeridian"]

_WINDOWS = [
    (k, shapely.box(-180.0 + 360.0 * k, -90.0, 180.0 + 360.0 * k, 90.0)) for k in (-1, 0, 1)
]


def needs_split(geoms: NDArray[np.object_]) -> NDArray[np.bool_]:
    """Which geometries have a longitude beyond ±180 or an edge that jumps over 180°."""
    geoms = np.asarray(geoms, dtype=object)
    n = len(geoms)
    out = np.zeros(n, dtype=bool)
    if n == 0:
        return out
    bounds = shapely.bounds(geoms)
    with np.errstate(invalid="ignore"):
        out |= (bounds[:, 0] < -180.0) | (bounds[:, 2] > 180.0)
        wide = (bounds[:, 2] - bounds[:, 0]) > 180.0
    for i in np.flatnonzero(wide & ~out):
        out[i] = _has_jump(geoms[i])
    return out


def _has_jump(geom: BaseGeometry) -> bool:
    for part in shapely.get_parts(shapely.get_parts(geom)):
        rings = [part.exterior, *part.interiors] if isinstance(part, shapely.Polygon) else [part]
        for ring in rings:
            x = shapely.get_coordinates(ring)[:, 0]
            if len(x) > 1 and np.any(np.abs(np.diff(x)) > 180.0):
                return True
    return False


def split_antimeridian(geoms: NDArray[np.object_]) -> NDArray[np.object_]:
    """Return the geometries with those that cross the antimeridian cut along it.

    Geometries that need no cut are returned as the same objects.
    """
    geoms = np.asarray(geoms, dtype=object).copy()
    for i in np.flatnonzero(needs_split(geoms)):
        geoms[i] = _split_one(geoms[i])
    return geoms


def _unwrap(x: NDArray[np.float64]) -> NDArray[np.float64]:
    d = np.diff(x)
    corr = np.where(d > 180.0, -360.0, np.where(d < -180.0, 360.0, 0.0))
    return np.concatenate([[x[0]], x[0] + np.cumsum(d + corr)])


def _cut(geom: BaseGeometry) -> list[BaseGeometry]:
    pieces: list[BaseGeometry] = []
    for k, window in _WINDOWS:
        piece = shapely.intersection(geom, window)
        if not piece.is_empty:
            piece = shapely.transform(piece, _Shift(360.0 * k))
            pieces.extend(p for p in shapely.get_parts(piece) if not p.is_empty)
    return pieces


class _Shift:
    """Coordinate transform that moves longitudes by ``-dx`` degrees."""

    def __init__(self, dx: float) -> None:
        self.offset = np.array([dx, 0.0])

    def __call__(self, xy: NDArray[np.float64]) -> NDArray[np.float64]:
        return xy - self.offset


def _split_part(part: BaseGeometry) -> list[BaseGeometry]:
    if isinstance(part, shapely.Point):
        x, y = part.x, part.y
        return [shapely.Point(((x + 180.0) % 360.0) - 180.0, y)]
    if isinstance(part, shapely.LineString):
        xy = shapely.get_coordinates(part)
        xy[:, 0] = _unwrap(xy[:, 0])
        return [p for p in _cut(shapely.LineString(xy)) if p.geom_type == "LineString"]
    if isinstance(part, shapely.Polygon):
        ext = shapely.get_coordinates(part.exterior)
        xs = _unwrap(ext[:, 0])
        ext[:, 0] = xs
        if abs(xs[-1] - xs[0]) > 180.0:
            # The ring went once around the globe: it encloses a pole. Close it there,
            # on the pole nearer to the ring.
            pole = 90.0 if ext[:, 1].mean() > 0 else -90.0
            ext = np.vstack([ext, [[xs[-1], pole], [xs[0], pole]]])
        holes = []
        for ring in part.interiors:
            h = shapely.get_coordinates(ring)
            h[:, 0] = _unwrap(h[:, 0])
            # Put the hole in the same 360° turn as the exterior.
            h[:, 0] += 360.0 * np.round((ext[:, 0].mean() - h[:, 0].mean()) / 360.0)
            holes.append(h)
        poly = shapely.make_valid(shapely.Polygon(ext, holes))
        return [p for p in _cut(poly) if p.geom_type == "Polygon"]
    return [part]


def _split_one(geom: BaseGeometry) -> BaseGeometry:
    pieces: list[Any] = []
    for part in shapely.get_parts(shapely.get_parts(geom)):
        pieces.extend(_split_part(part))
    types = {p.geom_type for p in pieces}
    if types == {"Polygon"}:
        return shapely.MultiPolygon(pieces)
    if types == {"LineString"}:
        return shapely.MultiLineString(pieces)
    if types == {"Point"}:
        return shapely.MultiPoint(pieces)
    return shapely.GeometryCollection(pieces)
