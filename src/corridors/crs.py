"""Coordinate reference systems, geodesic measures and local projections.

The catalogue is stored in EPSG:4326 with RFC 7946 axis order (longitude, latitude).
Nothing in corridors measures in degrees: lengths, areas and distances are either
geodesic on the WGS84 ellipsoid (:class:`pyproj.Geod`) or computed in a local
azimuthal equidistant projection centred on the geometries involved, where distances
from the centre are exact and distortion stays small at the scale of a case study.
They are defined once, in ``corridors._geodesy``; :data:`GEOD`, :data:`WGS84`,
:func:`local_crs` and the ``geodesic_*`` measures are its public face.
"""

from __future__ import annotations

import math
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError as _PyprojCRSError

# One geodesy for the package: the ellipsoid, the local projection and the geodesic
# measures are defined in corridors._geodesy and are public here.
from ._geodesy import (
    GEOD,
    WGS84,
    geodesic_area_km2,
    geodesic_distance_km,
    geodesic_length_km,
    local_crs,
)
from ._threads import map_chunks
from .errors import CorridorsError, CRSError, InputError

__all__ = [
    "GEOD",
    "LAT_MAX_DEG",
    "LON_MAX_DEG",
    "LON_RUN_ON_MAX_DEG",
    "WGS84",
    "as_crs",
    "check_coordinates",
    "ensure_crs",
    "flush_tiny",
    "geodesic_area_km2",
    "geodesic_distance_km",
    "geodesic_length_km",
    "local_crs",
    "looks_like_degrees",
    "to_wgs84",
]

#: Latitudes lie in [-90, 90] degrees.
LAT_MAX_DEG = 90.0
#: Longitudes lie in [-180, 180] degrees.
LON_MAX_DEG = 180.0
#: Lines and polygons may run on past ±180 across the antimeridian (RFC 7946 readers
#: meet data that was not cut there, or that counts longitudes from 0 to 360), but no
#: further than a whole turn: a longitude beyond ±360 is no longitude.
LON_RUN_ON_MAX_DEG = 360.0
#: Coordinates nearer to 0 than this (degrees, about 0.1 mm) are taken as 0.
TINY_DEG = 1e-9
#: Bad features named one by one in a message; the rest are counted.
MAX_LISTED = 10
#: Geometries whose coordinates are screened at once (bounds the memory of the check).
_CHECK_CHUNK = 100_000
#: Geometry type ids of points and multipoints (a point does not "run on").
_POINT_TYPES = (0, 4)


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
        box = ", ".join(f"{float(v):.4g}" for v in non_empty.total_bounds)
        raise CRSError(
            f"{what} is labelled {data.crs.to_string()} (projected, metres) but its "
            f"coordinates ({box}) look like longitude/latitude degrees; relabel it with "
            ".set_crs('EPSG:4326', allow_override=True) if they are degrees"
        )
    return data


def _span(bounds: np.ndarray | tuple[float, ...]) -> float:
    minx, miny, maxx, maxy = (float(v) for v in bounds)
    return max(maxx - minx, maxy - miny)


def to_wgs84(
    data: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    what: str = "the data",
    check: type[CorridorsError] | None = None,
    id_column: str | None = None,
    noun: str = "feature",
    drop_hint: str | None = None,
) -> gpd.GeoDataFrame | gpd.GeoSeries:
    """Return ``data`` in EPSG:4326, after :func:`ensure_crs` checks its CRS.

    Parameters
    ----------
    data : GeoDataFrame or GeoSeries
        Geometries with a CRS.
    what : str
        How to name the data in error messages (``"boundary roads.gpkg"``).
    check : type of CorridorsError, optional
        When given, coordinates that cannot be positions are refused with this error
        (see :func:`check_coordinates`), before and after the reprojection, and
        coordinates nearer to 0 than :data:`TINY_DEG` set to 0 (:func:`flush_tiny`).
    id_column, noun, drop_hint : str, optional
        How to name the features in that error, and how to leave them out (see
        :func:`check_coordinates`).
    """
    ensure_crs(data, what=what)
    assert data.crs is not None
    crs = CRS.from_user_input(data.crs)
    if check is None:
        return data if crs.equals(WGS84, ignore_axis_order=True) else data.to_crs(WGS84)
    named: dict[str, Any] = {
        "what": what,
        "error": check,
        "id_column": id_column,
        "noun": noun,
        "drop_hint": drop_hint,
    }
    tiny = check_coordinates(data, **named, ranges=_in_degrees(crs))
    out = data if crs.equals(WGS84, ignore_axis_order=True) else data.to_crs(WGS84)
    if not _in_degrees(crs):
        # Coordinates beyond a projection's domain come back infinite: refuse them here,
        # showing the coordinates the user gave.
        tiny = check_coordinates(out, **named, ranges=True, source=data)
    if tiny:
        flushed = gpd.GeoSeries(
            flush_tiny(np.asarray(out.geometry.values, dtype=object)), index=out.index, crs=WGS84
        )
        if isinstance(out, gpd.GeoSeries):
            return flushed
        out = out.copy()
        out[out.geometry.name] = flushed
    return out


def _in_degrees(crs: CRS) -> bool:
    """Whether the CRS's coordinates are longitude/latitude in degrees."""
    if not crs.is_geographic:
        return False
    units = {(axis.unit_name or "").lower() for axis in crs.axis_info[:2]}
    return all(u.startswith("deg") for u in units)


def check_coordinates(
    data: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    what: str,
    error: type[CorridorsError] = InputError,
    ranges: bool = True,
    id_column: str | None = None,
    noun: str = "feature",
    source: gpd.GeoDataFrame | gpd.GeoSeries | None = None,
    drop_hint: str | None = None,
) -> bool:
    """Refuse coordinates that cannot be positions, naming every feature that has one.

    A coordinate must be a finite number. With ``ranges`` (coordinates in degrees)
    latitudes must lie in [-90, 90] and longitudes in [-180, 180]; lines and polygons
    may run on past ±180 up to ±360, the way data crossing the antimeridian is often
    written (it is split there later), points may not.

    Parameters
    ----------
    data : GeoDataFrame or GeoSeries
        The geometries to check (their CRS is not looked at).
    what : str
        How to name the data in the message (``"boundary roads.gpkg"``, ``"cases"``).
    error : type of CorridorsError, default InputError
        The exception to raise.
    ranges : bool, default True
        Whether to check the longitude/latitude ranges (only for data in degrees).
    id_column : str, optional
        Column whose value names each feature besides its index (default: the first of
        ``feature_id``, ``id``, ``name``, ``case_id`` present).
    noun : str, default ``"feature"``
        What a row is called in the message (``"row"``, ``"case"``).
    source : GeoDataFrame or GeoSeries, optional
        The data before reprojection: the message shows its coordinates, and says they
        lie outside the area of its CRS.
    drop_hint : str, optional
        How to leave the bad features out, e.g. ``"delete them from the file"``
        (default: ``frame.drop(index=[...])``; ``""`` for none).

    Returns
    -------
    bool
        Whether some coordinate is not 0 but nearer to it than :data:`TINY_DEG` (see
        :func:`flush_tiny`).

    Raises
    ------
    CorridorsError
        Of type ``error``, listing every feature with such a coordinate (the first
        :data:`MAX_LISTED` by name, the rest counted), its first bad coordinate, why it
        is bad, and how to fix it.
    """
    geoms = np.asarray(data.geometry.values, dtype=object)
    bad, tiny = _bad_coordinates(geoms, ranges=ranges)
    if not bad:
        return tiny
    frame = data if isinstance(data, gpd.GeoDataFrame) else None
    column = id_column if id_column is not None else _id_column(frame)
    lines = []
    for pos, xy, why in bad[:MAX_LISTED]:
        label = f"{noun} {_index_label(data.index[pos])}"
        if frame is not None and column is not None and column in frame.columns:
            label += f" ({column} {frame[column].iloc[pos]!r})"
        if source is not None:
            src = source.geometry.values[pos]
            sx, sy = shapely.get_coordinates(src)[xy[2]] if xy[2] >= 0 else (np.nan, np.nan)
            crs = source.crs.to_string() if source.crs is not None else "its CRS"
            why = (
                f"coordinate ({_num(sx)}, {_num(sy)}) does not transform to a "
                f"longitude/latitude: it lies outside the area where {crs} is defined"
            )
        lines.append(f"  - {label}: {why}")
    if len(bad) > MAX_LISTED:
        lines.append(f"  - ... and {len(bad) - MAX_LISTED} more")
    many = len(bad) != 1
    head = (
        f"{what}: {len(bad)} {noun}{'s' if many else ''} with coordinates that are not positions:"
    )
    if drop_hint is None:
        listed = ", ".join(_index_label(data.index[pos]) for pos, _, _ in bad[:MAX_LISTED])
        drop_hint = f"drop {'them' if many else 'it'} (e.g. frame.drop(index=[{listed}]))"
    fix = (
        "Coordinates must be finite numbers, and in a geographic CRS (x, y) are (longitude, "
        "latitude) in degrees. Fix those coordinates" + (f", or {drop_hint}" if drop_hint else "")
    )
    big = [max(abs(xy[0]), abs(xy[1])) for _, xy, _ in bad]
    if ranges and any(LON_RUN_ON_MAX_DEG < v < math.inf for v in big):
        fix += (
            "; coordinates this large look like metres: if they are projected "
            "coordinates, give the data the CRS they are in (.set_crs(...), or the file's "
            "CRS)"
        )
    raise error("\n".join([head, *lines, fix + "."]))


def _bad_coordinates(
    geoms: np.ndarray, *, ranges: bool
) -> tuple[list[tuple[int, tuple[float, float, int], str]], bool]:
    """Per geometry with an unusable coordinate, in order: its position, then for the
    first :data:`MAX_LISTED` that coordinate (x, y and its place in the geometry) and
    why (for the rest only placeholders, to be counted); and whether a coordinate is
    tiny (:func:`flush_tiny`)."""

    def screen(at: int) -> tuple[bool, bool]:
        # Almost every chunk passes, so the per-coordinate work is rare. Extremes are
        # NaN when any coordinate is (column by column: reducing an (n, 2) array along
        # its first axis is many times slower).
        xy = shapely.get_coordinates(geoms[at : at + _CHECK_CHUNK])
        if len(xy) == 0:
            return True, False
        x, y = xy[:, 0], xy[:, 1]
        with np.errstate(invalid="ignore"):  # NaN is what this looks for
            ext = np.array([x.min(), x.max(), y.min(), y.max()])
            fine = bool(np.isfinite(ext).all()) and (
                not ranges
                or (np.abs(ext[2:]).max() <= LAT_MAX_DEG and np.abs(ext[:2]).max() <= LON_MAX_DEG)
            )
            size = np.abs(xy)
            return fine, bool(np.any((size < TINY_DEG) & (size > 0)))

    # The chunks are screened in threads (shapely and numpy release the GIL); the few
    # that fail are searched in order, so the first MAX_LISTED are the first in the data.
    starts = list(range(0, len(geoms), _CHECK_CHUNK))
    screened = map_chunks(screen, starts)
    found: list[tuple[int, tuple[float, float, int], str]] = []
    for at, (fine, _) in zip(starts, screened, strict=True):
        if not fine:
            chunk = geoms[at : at + _CHECK_CHUNK]
            found.extend(_bad_in_chunk(chunk, at, ranges=ranges, room=MAX_LISTED - len(found)))
    return found, any(tiny for _, tiny in screened)


def flush_tiny(geoms: np.ndarray) -> np.ndarray:
    """The geometries with coordinates nearer to 0 than :data:`TINY_DEG` set to 0.

    Near 0 a float resolves far below any real distance (1e-300 degrees is a number),
    and GEOS divides by such differences: segments 1e-300 long, rings with no area.
    Setting them to 0 changes nothing a map can show and makes them exact.
    """

    def flush(xy: np.ndarray) -> np.ndarray:
        return np.where(np.abs(xy) < TINY_DEG, 0.0, xy)

    return np.asarray(shapely.transform(geoms, flush), dtype=object)


def _bad_in_chunk(
    chunk: np.ndarray, at: int, *, ranges: bool, room: int
) -> list[tuple[int, tuple[float, float, int], str]]:
    xy, idx = shapely.get_coordinates(chunk, return_index=True)
    lon_max = np.where(
        np.isin(shapely.get_type_id(chunk), _POINT_TYPES), LON_MAX_DEG, LON_RUN_ON_MAX_DEG
    )[idx]
    x, y = xy[:, 0], xy[:, 1]
    wrong = ~np.isfinite(xy).all(axis=1)
    swap_wrong = np.zeros(len(chunk), dtype=np.intp)
    if ranges:
        with np.errstate(invalid="ignore"):
            wrong |= (np.abs(y) > LAT_MAX_DEG) | (np.abs(x) > lon_max)
            swapped = (np.abs(x) > LAT_MAX_DEG) | (np.abs(y) > lon_max) | ~np.isfinite(xy).all(1)
        swap_wrong = np.bincount(idx[swapped], minlength=len(chunk))
    rows = np.flatnonzero(wrong)
    owners, first = np.unique(idx[rows], return_index=True)
    starts = np.searchsorted(idx, owners)
    out: list[tuple[int, tuple[float, float, int], str]] = []
    for k, (g, row, start) in enumerate(
        zip(owners.tolist(), rows[first].tolist(), starts.tolist(), strict=True)
    ):
        if k >= room:
            out.append((at + g, (math.nan, math.nan, -1), ""))
            continue
        cx, cy, lim = float(x[row]), float(y[row]), float(lon_max[row])
        coord = f"coordinate ({_num(cx)}, {_num(cy)})"
        if math.isnan(cx) or math.isnan(cy):
            why = f"{coord} is not a number"
        elif math.isinf(cx) or math.isinf(cy):
            why = f"{coord} is infinite"
        else:
            parts = []
            if abs(cy) > LAT_MAX_DEG:
                parts.append(f"latitude {_num(cy)} is outside [-90, 90]")
            if abs(cx) > lim:
                parts.append(f"longitude {_num(cx)} is outside [-180, 180]")
                if lim > LON_MAX_DEG:
                    parts[-1] += (
                        " (lines and polygons may run on to ±360 across the antimeridian, "
                        "no further)"
                    )
            why = f"{coord}: {' and '.join(parts)}"
            if swap_wrong[g] == 0:
                why += "; did you swap longitude and latitude? (x, y) is (longitude, latitude)"
        out.append((at + g, (cx, cy, row - start), why))
    return out


def _num(v: float) -> str:
    return f"{v:g}"


def _index_label(value: Any) -> str:
    return repr(value) if isinstance(value, str) else str(value)


def _id_column(frame: gpd.GeoDataFrame | None) -> str | None:
    if frame is None:
        return None
    for column in ("feature_id", "id", "name", "case_id"):
        if column in frame.columns:
            return column
    return None
