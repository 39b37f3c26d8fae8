"""Geodesy for the whole package: the ellipsoid, local projections and measures.

Every geodesic length, area and distance in corridors is defined here, once:

* :data:`GEOD` and :data:`WGS84` — the WGS84 ellipsoid and EPSG:4326 (re-exported by
  :mod:`corridors.crs`).
* :func:`geodesic_length_km`, :func:`geodesic_area_km2`, :func:`geodesic_distance_km`
  — exact measures of one geometry at a time (public as ``corridors.crs.geodesic_*``).
* :func:`local_crs` / :func:`project_local` — an azimuthal equidistant projection of the
  WGS84 ellipsoid around one centre (pyproj), for a few geometries measured together.

The spatial queries need the same for hundreds of thousands of geometries at once, so
the rest works on numpy arrays of shapely geometries:

* :func:`centres` — a centre per geometry from the mean of its vertices as unit
  vectors in 3-D, which stays right across the antimeridian and near the poles (a
  mean of longitudes would put a case straddling 180° at 0°).
* :func:`to_local` — a spherical azimuthal equidistant projection with its own centre
  *per geometry*, in metres. Distances from the centre are exact on the sphere and the
  scale error stays under 1 % within about 1,000 km of it, which is what tolerance
  bands and nearest-point searches need. (pyproj would need one Transformer per
  centre, which is far too slow for a million geometries.)
* :func:`lengths_km` / :func:`areas_km2` — measures on the WGS84 ellipsoid, never in
  degrees; how they differ from the one-geometry measures is said in each docstring.

This module is the bottom layer: it imports numpy, shapely, pyproj and
:mod:`corridors.errors` only.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

import numpy as np
import shapely
import shapely.ops
from pyproj import CRS, Geod, Transformer
from shapely.geometry.base import BaseGeometry

from ._typing import FloatArray, GeomArray, Int64Array, IntArray
from .errors import CRSError

__all__ = [
    "AREA_DENSIFY_DEG",
    "EARTH_RADIUS_M",
    "GEOD",
    "KM_PER_DEG_LAT_MIN",
    "KM_PER_DEG_LON_EQ",
    "WGS84",
    "aeqd_forward",
    "aeqd_inverse",
    "areas_km2",
    "centres",
    "degree_margin",
    "flat_parts",
    "geodesic_area_km2",
    "geodesic_distance_km",
    "geodesic_length_km",
    "lengths_km",
    "local_crs",
    "point_counts",
    "project_local",
    "to_local",
]

#: Longitude/latitude on the WGS84 datum, the catalogue's CRS (RFC 7946).
WGS84 = CRS.from_epsg(4326)
#: The WGS84 ellipsoid, on which every geodesic measure is taken.
GEOD = Geod(ellps="WGS84")
#: Mean Earth radius (IUGG), metres; the sphere of the local projections.
EARTH_RADIUS_M = 6_371_008.8
#: Kilometres per degree of latitude, a lower bound (at the equator), used to turn a
#: distance into a safe margin in degrees for bounding-box searches.
KM_PER_DEG_LAT_MIN = 110.574
#: Kilometres per degree of longitude on the equator (WGS84 semi-major axis).
KM_PER_DEG_LON_EQ = 111.320
#: Safety factor on :func:`degree_margin`: the sphere of :func:`to_local` has degrees of
#: longitude 0.11 % shorter than :data:`KM_PER_DEG_LON_EQ`; 1 % covers that with room.
_MARGIN_HEADROOM = 1.01
#: Latitude (degrees) from which a circle is taken to reach the pole: cos() of it is
#: 2e-5, so a longitude margin there would be thousands of degrees anyway.
_POLAR_LAT_DEG = 89.999
#: Edge length (degrees) to which :func:`areas_km2` densifies polygons: edges straight
#: in longitude/latitude then stay within 0.1 % of the area in the equal-area frame.
AREA_DENSIFY_DEG = 0.25


def local_crs(lon: float, lat: float) -> CRS:
    """Return an azimuthal equidistant CRS of the WGS84 ellipsoid centred on ``(lon, lat)``.

    Parameters
    ----------
    lon, lat : float
        The centre, in degrees.

    Returns
    -------
    pyproj.CRS
        Coordinates in metres. Distances from the centre are exact; elsewhere the scale
        error grows slowly with distance (under 1 % within about 1,000 km), which suits
        measuring one case study or one buffer at a time.

    Raises
    ------
    CRSError
        If ``(lon, lat)`` is not a longitude/latitude.
    """
    if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
        raise CRSError(f"centre ({lon}, {lat}) is not a valid longitude/latitude")
    return CRS.from_proj4(
        f"+proj=aeqd +lat_0={lat:.8f} +lon_0={lon:.8f} +x_0=0 +y_0=0 +datum=WGS84 +units=m +no_defs"
    )


def project_local(geoms: GeomArray, lon: float, lat: float) -> GeomArray:
    """Project lon/lat geometries into :func:`local_crs` around one centre, in metres.

    For a few geometries measured together around one point (a catalogue feature and
    the land near it); exactly what ``GeoSeries.to_crs(local_crs(lon, lat))`` gives,
    without building a GeoSeries. Unlike :func:`to_local` it projects the ellipsoid
    (pyproj), one Transformer for all the geometries.
    """
    return _project(geoms, _local_transformer(float(lon), float(lat)))


#: Local projections kept ready: building a pyproj Transformer costs about a
#: millisecond, more than projecting one feature, and validating a catalogue projects
#: around the same few hundred centres again and again.
_TRANSFORMERS_KEPT = 256


@functools.lru_cache(maxsize=_TRANSFORMERS_KEPT)
def _local_transformer(lon: float, lat: float) -> Transformer:
    return Transformer.from_crs(WGS84, local_crs(lon, lat), always_xy=True)


def _project(geoms: GeomArray, transformer: Transformer) -> GeomArray:
    def forward(xy: FloatArray) -> FloatArray:
        x, y = transformer.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    return np.asarray(shapely.transform(np.asarray(geoms, dtype=object), forward), dtype=object)


def geodesic_length_km(geometry: BaseGeometry) -> float:
    """Geodesic length of a lon/lat geometry on the WGS84 ellipsoid, in kilometres.

    Polygons count their rings (the perimeter); points count zero. This is the length
    of everything drawn; :func:`lengths_km` (the queries' "length inside") counts lines
    only, since a polygon's perimeter is no length across anything.
    """
    if geometry is None or geometry.is_empty:
        return 0.0
    return float(GEOD.geometry_length(geometry)) / 1000.0


def geodesic_area_km2(geometry: BaseGeometry) -> float:
    """Geodesic area of a lon/lat geometry on the WGS84 ellipsoid, in square kilometres.

    Lines and points have zero area. The sign convention of pyproj (negative for
    clockwise rings) is removed: the result is always >= 0. Exact (Karney's geodesic
    polygon area), one geometry at a time; :func:`areas_km2` approximates it to about
    0.1 % for arrays of geometries, where this would be far too slow.
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
    ellipsoid. Zero when the geometries intersect; NaN when either is missing or empty.
    """
    if a is None or b is None or a.is_empty or b.is_empty:
        return math.nan
    if a.intersects(b):
        return 0.0
    pa, pb = shapely.ops.nearest_points(a, b)
    mid_lon, mid_lat = _midpoint(pa.x, pa.y, pb.x, pb.y)
    fwd = Transformer.from_crs(WGS84, local_crs(mid_lon, mid_lat), always_xy=True)
    inv = Transformer.from_crs(local_crs(mid_lon, mid_lat), WGS84, always_xy=True)
    a_l, b_l = _project(np.array([a, b], dtype=object), fwd)
    pa_l, pb_l = shapely.ops.nearest_points(a_l, b_l)
    lon1, lat1 = inv.transform(pa_l.x, pa_l.y)
    lon2, lat2 = inv.transform(pb_l.x, pb_l.y)
    _, _, dist_m = GEOD.inv(lon1, lat1, lon2, lat2)
    return float(dist_m) / 1000.0


def _midpoint(lon1: float, lat1: float, lon2: float, lat2: float) -> tuple[float, float]:
    az, _, dist = GEOD.inv(lon1, lat1, lon2, lat2)
    lon, lat, _ = GEOD.fwd(lon1, lat1, az, dist / 2.0)
    return float(lon), float(lat)


def centres(geoms: GeomArray) -> tuple[FloatArray, FloatArray]:
    """Return the centre (lon, lat) in degrees of each lon/lat geometry.

    The centre is the mean of the vertices as 3-D unit vectors, normalised back to the
    sphere. Empty geometries get NaN.
    """
    geoms = np.asarray(geoms, dtype=object)
    n = len(geoms)
    coords, idx = shapely.get_coordinates(geoms, return_index=True)
    lam = np.radians(coords[:, 0])
    phi = np.radians(coords[:, 1])
    cphi = np.cos(phi)
    x = np.bincount(idx, cphi * np.cos(lam), minlength=n)
    y = np.bincount(idx, cphi * np.sin(lam), minlength=n)
    z = np.bincount(idx, np.sin(phi), minlength=n)
    counts = np.bincount(idx, minlength=n)
    lon = np.degrees(np.arctan2(y, x))
    lat = np.degrees(np.arctan2(z, np.hypot(x, y)))
    lon[counts == 0] = np.nan
    lat[counts == 0] = np.nan
    return lon, lat


def aeqd_forward(
    lon: FloatArray, lat: FloatArray, lon0: FloatArray, lat0: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Spherical azimuthal equidistant projection of degrees to metres, centres per point."""
    lam = np.radians(lon)
    phi = np.radians(lat)
    lam0 = np.radians(lon0)
    phi0 = np.radians(lat0)
    dlam = lam - lam0
    cphi, sphi = np.cos(phi), np.sin(phi)
    cphi0, sphi0 = np.cos(phi0), np.sin(phi0)
    xp = cphi * np.sin(dlam)
    yp = cphi0 * sphi - sphi0 * cphi * np.cos(dlam)
    zp = sphi0 * sphi + cphi0 * cphi * np.cos(dlam)
    s = np.hypot(xp, yp)
    c = np.arctan2(s, zp)
    with np.errstate(invalid="ignore", divide="ignore"):
        k = np.where(s > 0, c / np.where(s > 0, s, 1.0), 1.0)
    return EARTH_RADIUS_M * k * xp, EARTH_RADIUS_M * k * yp


def aeqd_inverse(
    x: FloatArray, y: FloatArray, lon0: FloatArray, lat0: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Inverse of :func:`aeqd_forward`: metres back to degrees (lon in [-180, 180])."""
    xr = np.asarray(x, dtype=float) / EARTH_RADIUS_M
    yr = np.asarray(y, dtype=float) / EARTH_RADIUS_M
    rho = np.hypot(xr, yr)
    phi0 = np.radians(lat0)
    lam0 = np.radians(lon0)
    sc, cc = np.sin(rho), np.cos(rho)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(rho > 0, yr * sc / np.where(rho > 0, rho, 1.0), 0.0)
    phi = np.arcsin(np.clip(cc * np.sin(phi0) + ratio * np.cos(phi0), -1.0, 1.0))
    lam = lam0 + np.arctan2(xr * sc, rho * np.cos(phi0) * cc - yr * np.sin(phi0) * sc)
    lon = (np.degrees(lam) + 180.0) % 360.0 - 180.0
    return lon, np.degrees(phi)


def _per_geometry_transform(
    geoms: GeomArray,
    lon0: FloatArray,
    lat0: FloatArray,
    func: Callable[..., tuple[FloatArray, FloatArray]],
) -> GeomArray:
    """Apply ``func(x, y, lon0, lat0)`` to every vertex, with each geometry's own centre."""
    geoms = np.asarray(geoms, dtype=object)
    _, idx = shapely.get_coordinates(geoms, return_index=True)
    lon0 = np.asarray(lon0, dtype=float)[idx]
    lat0 = np.asarray(lat0, dtype=float)[idx]

    def apply(xy: FloatArray) -> FloatArray:
        return np.column_stack(func(xy[:, 0], xy[:, 1], lon0, lat0))

    return np.asarray(shapely.transform(geoms, apply), dtype=object)


def to_local(geoms: GeomArray, lon0: FloatArray, lat0: FloatArray) -> GeomArray:
    """Project lon/lat geometries into metres, each around its own centre.

    ``lon0``/``lat0`` hold one centre per geometry (same length as ``geoms``).
    """
    return _per_geometry_transform(geoms, lon0, lat0, aeqd_forward)


def flat_parts(geoms: GeomArray) -> tuple[GeomArray, IntArray]:
    """Single-part geometries of each geometry (collections and multi-parts flattened),
    with the index of the geometry each part came from."""
    geoms = np.asarray(geoms, dtype=object)
    first, fidx = shapely.get_parts(geoms, return_index=True)
    parts, pidx = shapely.get_parts(first, return_index=True)
    return np.asarray(parts, dtype=object), fidx[pidx]


def lengths_km(geoms: GeomArray) -> FloatArray:
    """Geodesic length in km of the linear parts of each lon/lat geometry.

    Points and polygons count zero (a polygon's perimeter is not a length across, unlike
    in :func:`geodesic_length_km`); segments are measured as geodesics between
    consecutive vertices.
    """
    geoms = np.asarray(geoms, dtype=object)
    n = len(geoms)
    out = np.zeros(n)
    if n == 0:
        return out
    parts, owner = flat_parts(geoms)
    lines = shapely.get_type_id(parts) == 1
    if not lines.any():
        return out
    coords, cidx = shapely.get_coordinates(parts[lines], return_index=True)
    same = cidx[1:] == cidx[:-1]
    if not same.any():
        return out
    a, b = coords[:-1][same], coords[1:][same]
    _, _, dist = GEOD.inv(a[:, 0], a[:, 1], b[:, 0], b[:, 1])
    seg_owner = owner[lines][cidx[:-1][same]]
    out += np.bincount(seg_owner, np.asarray(dist, dtype=float), minlength=n) / 1000.0
    return out


#: Lambert cylindrical equal-area on the WGS84 ellipsoid: it preserves the
#: ellipsoid's areas everywhere, so planar areas in it are ellipsoidal areas.
_EQUAL_AREA = Transformer.from_crs("EPSG:4326", "+proj=cea +ellps=WGS84 +units=m", always_xy=True)


def areas_km2(geoms: GeomArray) -> FloatArray:
    """Area in km² of the polygonal parts of each lon/lat geometry, on the WGS84 ellipsoid.

    Measured in the cylindrical equal-area projection of the WGS84 ellipsoid (pyproj's
    ``cea``), which preserves areas everywhere; edges are densified to
    :data:`AREA_DENSIFY_DEG` first so that edges straight in longitude/latitude stay
    straight enough there. Agrees with :func:`geodesic_area_km2` (exact, one geometry
    at a time) to about 0.1 % for case-sized polygons; vectorised.
    """
    geoms = np.asarray(geoms, dtype=object)
    n = len(geoms)
    out = np.zeros(n)
    if n == 0:
        return out
    parts, owner = flat_parts(geoms)
    polys = shapely.get_type_id(parts) == 3
    if not polys.any():
        return out
    dense = shapely.segmentize(parts[polys], AREA_DENSIFY_DEG)

    def cea(xy: FloatArray) -> FloatArray:
        x, y = _EQUAL_AREA.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    area = shapely.area(shapely.transform(dense, cea))
    out += np.bincount(owner[polys], area, minlength=n)
    return out / 1e6


def point_counts(geoms: GeomArray) -> Int64Array:
    """Number of point parts of each geometry."""
    geoms = np.asarray(geoms, dtype=object)
    n = len(geoms)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    parts, owner = flat_parts(geoms)
    pts = shapely.get_type_id(parts) == 0
    return np.bincount(owner[pts], minlength=n).astype(np.int64)


def degree_margin(km: float, max_abs_lat: float | FloatArray) -> tuple[FloatArray, float]:
    """Return (dlon, dlat) in degrees that surely cover ``km`` around latitudes up to
    ``max_abs_lat`` (one value, or an array giving an array of dlon); dlon is 360 where
    the circle reaches a pole.
    """
    dlat = km / KM_PER_DEG_LAT_MIN * _MARGIN_HEADROOM + 1e-9
    top = np.abs(np.asarray(max_abs_lat, dtype=float)) + dlat
    with np.errstate(invalid="ignore"):
        dlon = km / (KM_PER_DEG_LON_EQ * np.cos(np.radians(np.minimum(top, _POLAR_LAT_DEG))))
    return (
        np.where(top >= _POLAR_LAT_DEG, 360.0, np.minimum(dlon * _MARGIN_HEADROOM + 1e-9, 360.0)),
        dlat,
    )
