"""Coordinate reference systems, geodesic measures and local projections.

The catalogue is stored in EPSG:4326 with RFC 7946 axis order (longitude, latitude).
Nothing in corridors measures in degrees: lengths, areas and distances are either
geodesic on the WGS84 ellipsoid (:class:`pyproj.Geod`) or computed in a local
azimuthal equidistant projection centred on the geometries involved, where distances
from the centre are exact and distortion stays small at the scale of a case study.
"""

from __future__ import annotations

import math
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
import shapely.ops
from pyproj import CRS, Geod, Transformer
from pyproj.exceptions import CRSError as _PyprojCRSError
from shapely.geometry.base import BaseGeometry

from .errors import CRSError

__all__ = [
    "GEOD",
    "WGS84",
    "as_crs",
    "ensure_crs",
    "geodesic_area_km2",
    "geodesic_distance_km",
    "geodesic_length_km",
    "local_crs",
    "looks_like_degrees",
    "to_wgs84",
]

WGS84 = CRS.from_epsg(4326)
GEOD = Geod(ellps="WGS84")


def as_crs(crs: Any) -> CRS:
    """Turn anything pyproj accepts (``"EPSG:3857"``, an int, a CRS) into a CRS.

    Raises
    ------
    CRSError
        If pyproj does not recognise ``crs``.
    """
    try:
        return CRS.from_user_input(crs)
    except _PyprojCRSError as exc:
        raise CRSError(
            f"unknown CRS {crs!r}: pass an EPSG code such as 'EPSG:4326' or a WKT string"
        ) from exc


def looks_like_degrees(bounds: tuple[float, float, float, float] | np.ndarray) -> bool:
    """Return True if every coordinate in ``bounds`` fits in longitude/latitude ranges.

    Used to catch data in degrees that was labelled with a projected CRS: a projected
    dataset whose coordinates all lie within [-180, 180] x [-90, 90] metres is, for
    practical purposes, never a real projected dataset.
    """
    minx, miny, maxx, maxy = (float(v) for v in bounds)
    if not all(math.isfinite(v) for v in (minx, miny, maxx, maxy)):
        return False
    return -180.0 <= minx <= maxx <= 180.0 and -90.0 <= miny <= maxy <= 90.0


def ensure_crs(
    data: gpd.GeoDataFrame | gpd.GeoSeries, *, what: str = "the data"
) -> gpd.GeoDataFrame | gpd.GeoSeries:
    """Check that ``data`` has a CRS that agrees with its coordinates.

    Parameters
    ----------
    data : GeoDataFrame or GeoSeries
        Geometries to check.
    what : str
        How to name the data in error messages (e.g. a file name).

    Returns
    -------
    GeoDataFrame or GeoSeries
        ``data`` itself, unchanged.

    Raises
    ------
    CRSError
        If ``data`` has no CRS, or a projected CRS while its coordinates look like
        degrees (a common labelling mistake).
    """
    if data.crs is None:
        raise CRSError(
            f"{what} has no CRS; set one with .set_crs('EPSG:4326') "
            "(longitude/latitude) or the CRS the coordinates are really in"
        )
    geoms = data.geometry.to_numpy()
    non_empty = data.geometry[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
    if (
        data.crs.is_projected
        and len(non_empty)
        and looks_like_degrees(non_empty.total_bounds)
        and _span(non_empty.total_bounds) > 1e-3
    ):
        raise CRSError(
            f"{what} is labelled {data.crs.to_string()} (projected, metres) but its "
            f"coordinates {tuple(round(v, 4) for v in non_empty.total_bounds)} look like "
            "longitude/latitude degrees; relabel it with .set_crs('EPSG:4326', "
            "allow_override=True) if they are degrees"
        )
    return data


def _span(bounds: np.ndarray | tuple[float, ...]) -> float:
    minx, miny, maxx, maxy = (float(v) for v in bounds)
    return max(maxx - minx, maxy - miny)


def to_wgs84(
    data: gpd.GeoDataFrame | gpd.GeoSeries, *, what: str = "the data"
) -> gpd.GeoDataFrame | gpd.GeoSeries:
    """Return ``data`` in EPSG:4326, after :func:`ensure_crs` checks its CRS."""
    ensure_crs(data, what=what)
    assert data.crs is not None
    if CRS.from_user_input(data.crs).equals(WGS84, ignore_axis_order=True):
        return data
    return data.to_crs(WGS84)


def local_crs(lon: float, lat: float) -> CRS:
    """Return an azimuthal equidistant CRS centred on ``(lon, lat)`` in degrees.

    Distances from the centre are exact; elsewhere the scale error grows slowly with
    distance (under 1 % within about 1,000 km), which suits measuring one case study
    or one buffer at a time.
    """
    if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
        raise CRSError(f"centre ({lon}, {lat}) is not a valid longitude/latitude")
    return CRS.from_proj4(
        f"+proj=aeqd +lat_0={lat:.8f} +lon_0={lon:.8f} +x_0=0 +y_0=0 +datum=WGS84 +units=m +no_defs"
    )


def geodesic_length_km(geometry: BaseGeometry) -> float:
    """Geodesic length of a lon/lat geometry on the WGS84 ellipsoid, in kilometres.

    Polygons count their rings (the perimeter); points count zero.
    """
    if geometry is None or geometry.is_empty:
        return 0.0
    return float(GEOD.geometry_length(geometry)) / 1000.0


def geodesic_area_km2(geometry: BaseGeometry) -> float:
    """Geodesic area of a lon/lat geometry on the WGS84 ellipsoid, in square kilometres.

    Lines and points have zero area. The sign convention of pyproj (negative for
    clockwise rings) is removed: the result is always >= 0.
    """
    if geometry is None or geometry.is_empty:
        return 0.0
    total = 0.0
    for part in shapely.get_parts(shapely.get_parts(geometry)):
        if isinstance(part, shapely.Polygon):
            area, _ = GEOD.geometry_area_perimeter(shapely.geometry.polygon.orient(part))
            total += abs(float(area))
    return total / 1e6


def geodesic_distance_km(a: BaseGeometry, b: BaseGeometry) -> float:
    """Shortest geodesic distance between two lon/lat geometries, in kilometres.

    The nearest points are found in an azimuthal equidistant projection centred on the
    midpoint of the first guess, then the distance between them is measured on the
    ellipsoid. Zero when the geometries intersect.
    """
    if a is None or b is None or a.is_empty or b.is_empty:
        return math.nan
    if a.intersects(b):
        return 0.0
    pa, pb = shapely.ops.nearest_points(a, b)
    mid_lon, mid_lat = _midpoint(pa.x, pa.y, pb.x, pb.y)
    fwd = Transformer.from_crs(WGS84, local_crs(mid_lon, mid_lat), always_xy=True)
    inv = Transformer.from_crs(local_crs(mid_lon, mid_lat), WGS84, always_xy=True)
    pa_l, pb_l = shapely.ops.nearest_points(_project(a, fwd), _project(b, fwd))
    lon1, lat1 = inv.transform(pa_l.x, pa_l.y)
    lon2, lat2 = inv.transform(pb_l.x, pb_l.y)
    _, _, dist_m = GEOD.inv(lon1, lat1, lon2, lat2)
    return float(dist_m) / 1000.0


def _project(geometry: BaseGeometry, transformer: Transformer) -> BaseGeometry:
    def forward(coords: np.ndarray) -> np.ndarray:
        x, y = transformer.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geometry, forward)


def _midpoint(lon1: float, lat1: float, lon2: float, lat2: float) -> tuple[float, float]:
    az, _, dist = GEOD.inv(lon1, lat1, lon2, lat2)
    lon, lat, _ = GEOD.fwd(lon1, lat1, az, dist / 2.0)
    return float(lon), float(lat)
