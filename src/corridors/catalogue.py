"""Load, validate and write catalogues of connectivity case studies.

The bundled catalogue (``data/geo/cases.geojson``, shipped inside the package) holds
every case study of the source documents. Users may bring their own catalogue in the
same schema (see :mod:`corridors.schema`) as GeoJSON, GeoPackage (or any other vector
format pyogrio reads) or CSV with ``lon``/``lat`` columns; it is validated the same way.

All geometries are in EPSG:4326 with RFC 7946 axis order (longitude, latitude).
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import difflib
import functools
import io
import json
import math
import os
import re
import reprlib
import sys
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from shapely.geometry.base import BaseGeometry

from . import schema
from ._geodesy import WGS84, project_local
from ._io import atomic_write_text
from ._resources import data_file
from .boundaries import load_boundaries
from .errors import DataFileError, InputError, Problem, UnknownCaseError, ValidationError

__all__ = [
    "get_case",
    "load_cases",
    "load_features",
    "resolve_case_id",
    "save_catalogue",
    "to_geojson",
    "validate",
]

BUNDLED = "cases.geojson"
# Natural Earth land polygons are accurate to about a kilometre at borders; features are
# allowed that much slack beyond their own stated uncertainty.
BOUNDARY_SLACK_KM = 1.0
# Marine features may lie offshore of the country that declares them, within its
# exclusive economic zone (200 nautical miles = 370.4 km).
EEZ_KM = 370.4
_CASE_COLUMNS = [c for c in schema.CASE_FIELDS if c != "case_id"]
_FEATURE_COLUMNS = [
    "feature_id",
    "case_id",
    "feature_name",
    "role",
    "georef_method",
    "georef_note",
    "uncertainty_km",
]

# A catalogue GeoJSON nests about this deep: collection, features list, feature,
# geometry, and a MultiPolygon's four levels of coordinates.
_CATALOGUE_DEPTH = 8
# The deepest catalogue field is ``species`` (a list of objects: 2 levels). Values far
# deeper are no catalogue field and would exhaust Python's recursion when compared or
# printed, so they are reported instead of checked.
MAX_PROPERTY_DEPTH = 16
# A GeoJSON geometry nests 2 to 4 levels (a MultiPolygon's coordinates); collections of
# collections add levels, which GEOS walks recursively in C, and so are bounded too.
MAX_GEOMETRY_DEPTH = 32

# The land kept around a feature for the geography check (degrees): the allowance at
# fewer km per degree than any degree of latitude has (110.6), plus a degree of room.
_PAD_KM_PER_DEG = 100.0
_PAD_DEG = 1.0
# Degrees of longitude shrink with cos(latitude), so the pad in longitude grows as
# 1/cos; the factor is capped at 20 so that a feature near a pole keeps a finite window.
_PAD_LAT_MAX_DEG = 89.0
_PAD_MIN_LAT_SCALE = 0.05
# Points measured along a feature lie half the allowance apart (500 m per km allowed),
# but no farther apart than 5 km and no closer than 250 m (the figure is reported to
# 0.1 km; closer points would only cost time on long features).
_STEP_M_PER_KM_ALLOWED = 500.0
_STEP_MAX_M = 5000.0
_STEP_MIN_M = 250.0
# A country more than this many degrees beyond a case's bounds is not measured (any
# allowance is far smaller): it counts as infinitely far.
_COUNTRY_WINDOW_DEG = 10.0

PathLike = str | os.PathLike[str]
# File types named as examples when a directory is given instead of a catalogue file.
_CATALOGUE_SUFFIXES = (".geojson", ".json", ".gpkg", ".csv")


# --------------------------------------------------------------------------- reading


def _decode(raw: bytes, source: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataFileError(
            f"{source} is not UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start}); "
            "re-save it with UTF-8 encoding"
        ) from None


def _read_geojson(text: str, source: str) -> tuple[list[dict[str, Any]], list[Problem]]:
    """Parse GeoJSON text into raw records ``{"props", "geometry", "error"}``."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataFileError(
            f"{source} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); "
            "fix the syntax or export the file again as GeoJSON"
        ) from None
    except RecursionError:
        raise DataFileError(
            f"{source} nests JSON arrays or objects too deeply to read (over "
            f"{sys.getrecursionlimit()} levels; a catalogue needs about "
            f"{_CATALOGUE_DEPTH}); it is not a catalogue: export it again as GeoJSON"
        ) from None
    except ValueError as exc:  # e.g. an integer beyond Python's digit limit
        raise DataFileError(
            f"{source} holds a JSON value Python cannot read ({exc}); "
            "fix the value or export the file again as GeoJSON"
        ) from None
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        kind = doc.get("type") if isinstance(doc, dict) else type(doc).__name__
        raise DataFileError(
            f"{source} is a GeoJSON {_brief(kind)}, not a FeatureCollection; "
            "wrap the features in {'type': 'FeatureCollection', 'features': [...]}"
        )
    problems: list[Problem] = []
    if doc.get("crs") is not None:
        _check_crs_member(doc["crs"], source)
    features = doc.get("features")
    if not isinstance(features, list):
        raise DataFileError(f"{source} has no 'features' list; it is not a FeatureCollection")
    records = []
    for feat in features:
        record: dict[str, Any] = {"props": {}, "geometry": None, "error": None}
        if not isinstance(feat, dict) or feat.get("type") != "Feature":
            record["error"] = "is not a GeoJSON Feature object"
        else:
            props = feat.get("properties")
            record["props"] = dict(props) if isinstance(props, dict) else {}
            if props is not None and not isinstance(props, dict):
                record["error"] = "has 'properties' that is not an object"
            geom = feat.get("geometry")
            if isinstance(geom, dict) and geom.get("type") == "GeometryCollection":
                # Collections nest collections; GEOS recurses through them in C.
                depth = _depth(geom, limit=MAX_GEOMETRY_DEPTH)
                if depth > MAX_GEOMETRY_DEPTH:
                    record["error"] = (
                        f"has a GeometryCollection nested over {MAX_GEOMETRY_DEPTH} levels "
                        "deep; give a Point, LineString or Polygon (or Multi-)"
                    )
                    geom = None
            if geom is not None:
                try:
                    # A NaN coordinate is reported by the coordinate check, with the
                    # feature named; numpy's bare warning about it would only confuse.
                    with np.errstate(invalid="ignore"):
                        record["geometry"] = shapely.geometry.shape(geom)
                except Exception as exc:  # shapely raises several types for bad input
                    record["error"] = f"has a malformed geometry ({exc}); fix its coordinates"
        records.append(record)
    return records, problems


# The legacy (2008) GeoJSON ``crs`` member names these for longitude/latitude WGS 84;
# GDAL writes the EPSG form for lon/lat data too, so both mean RFC 7946 axis order.
_LONLAT_CRS_RE = re.compile(r"(CRS84|EPSG:+4326)$", re.IGNORECASE)


def _check_crs_member(crs_member: Any, source: str) -> None:
    """Accept a ``crs`` member that names longitude/latitude WGS 84; refuse the rest.

    RFC 7946 dropped the member (GeoJSON is always WGS 84 lon/lat); the legacy form is
    ``{"type": "name", "properties": {"name": ...}}``. A bare string naming the CRS is
    read the same way: it is not standard, but its meaning is unambiguous.
    """
    name: Any = crs_member
    if isinstance(crs_member, dict):
        props = crs_member.get("properties")
        name = props.get("name") if isinstance(props, dict) else None
    if not isinstance(name, str):
        raise DataFileError(
            f"{source} has a 'crs' member {_brief(crs_member)} that names no CRS; "
            "remove it if the coordinates are longitude/latitude (RFC 7946 GeoJSON always "
            'is), or write {"type": "name", "properties": {"name": "OGC:CRS84"}}'
        )
    if not _LONLAT_CRS_RE.search(name.strip()):
        raise DataFileError(
            f"{source} declares CRS {_brief(name)}; catalogues are RFC 7946 GeoJSON in "
            "longitude/latitude (EPSG:4326): reproject it, e.g. "
            "`ogr2ogr -t_srs EPSG:4326 out.geojson in.geojson`"
        )


_BRIEF = reprlib.Repr()
_BRIEF.maxstring = 80
_BRIEF.maxother = 80


def _brief(value: Any) -> str:
    """A short repr of any value from a file, safe however large or deeply nested."""
    return _BRIEF.repr(value)


def _depth(value: Any, *, limit: int) -> int:
    """How deeply lists and dicts nest in ``value`` (0 for a scalar), up to ``limit + 1``.

    Iterative, so that it works however deep the value is.
    """
    if not isinstance(value, list | tuple | dict):
        return 0
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if level > deepest:
            deepest = level
            if deepest > limit:
                break
        children = item.values() if isinstance(item, dict) else item
        stack.extend((c, level + 1) for c in children if isinstance(c, list | tuple | dict))
    return deepest


def _parse_list(value: Any) -> Any:
    """Parse a list field stored as text (JSON array or ';'-separated) into a list."""
    if isinstance(value, list | tuple):
        return list(value)
    if isinstance(value, np.ndarray):
        return [v.item() if isinstance(v, np.generic) else v for v in value.tolist()]
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return value
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                return json.loads(text)
            except (ValueError, RecursionError):  # not JSON after all: reported as it is
                return value
        return [part.strip() for part in text.split(";") if part.strip()]
    return value


_SPECIES_RE = re.compile(r"^(?P<common>[^()]+?)\s*\((?P<scientific>[^()]+)\)$")


def _parse_species(value: Any) -> Any:
    items = _parse_list(value)
    if not isinstance(items, list):
        return items
    out: list[Any] = []
    for item in items:
        if isinstance(item, str):
            match = _SPECIES_RE.match(item.strip())
            out.append(
                {"common": match["common"].strip(), "scientific": match["scientific"].strip()}
                if match
                else item
            )
        else:
            out.append(item)
    return out


def _normalise_props(props: Mapping[str, Any]) -> dict[str, Any]:
    """Turn text-encoded table values (GeoPackage, CSV) into their schema types."""
    out: dict[str, Any] = {}
    for key, value in props.items():
        if isinstance(value, float) and math.isnan(value):
            value = None
        if isinstance(value, str) and not value.strip() and key != "summary":
            value = None
        if key == "species":
            value = _parse_species(value)
        elif key in schema.LIST_FIELDS:
            value = _parse_list(value)
        elif key == "uncertainty_km" and isinstance(value, str):
            with contextlib.suppress(ValueError):
                value = float(value)
        elif isinstance(value, np.generic):
            value = value.item()
        elif isinstance(value, np.ndarray):  # a list-typed column of a vector file
            value = _parse_list(value)
        out[key] = value
    return out


def _read_table(path: Path, source: str) -> list[dict[str, Any]]:
    if path.suffix.lower() == ".csv":
        return _read_csv(path, source)
    try:
        frame = pyogrio.read_dataframe(path)
    except Exception as exc:  # pyogrio raises DataSourceError and friends
        raise DataFileError(
            f"cannot read {source} as a vector file ({exc}); give a GeoJSON, GeoPackage "
            "or CSV catalogue"
        ) from None
    if not isinstance(frame, gpd.GeoDataFrame) or "geometry" not in frame.columns:
        raise DataFileError(
            f"{source} has no geometry column (read as a plain table); give a GeoJSON or "
            "GeoPackage catalogue, or a .csv file with 'lon' and 'lat' (or 'wkt') columns"
        )
    if frame.crs is None:
        raise DataFileError(
            f"{source} has no CRS; catalogues are in longitude/latitude (EPSG:4326): "
            "assign it, e.g. `ogr2ogr -a_srs EPSG:4326 out.gpkg in.gpkg`"
        )
    if not frame.crs.equals(WGS84, ignore_axis_order=True):
        raise DataFileError(
            f"{source} is in {frame.crs.to_string()}; catalogues are in longitude/latitude "
            "(EPSG:4326): reproject it, e.g. `ogr2ogr -t_srs EPSG:4326 out.gpkg in.gpkg`"
        )
    records = []
    for row, geom in zip(
        frame.drop(columns="geometry").to_dict("records"), frame.geometry, strict=True
    ):
        records.append({"props": dict(row), "geometry": geom, "error": None})
    return records


# Parentheses a WKT geometry nests: three for a MultiPolygon, one more per collection
# level. GEOS parses WKT recursively in C and crashes the process on absurd nesting, so
# deeper text is refused before it reaches GEOS.
MAX_WKT_DEPTH = 32
_PARENS_RE = re.compile(r"[()]")


def _wkt_depth(text: str) -> int:
    depth = deepest = 0
    for match in _PARENS_RE.finditer(text):
        depth += 1 if match.group() == "(" else -1
        deepest = max(deepest, depth)
    return deepest


def _read_csv(path: Path, source: str) -> list[dict[str, Any]]:
    text = _decode(_read_bytes(path, source), source)
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except pd.errors.EmptyDataError:
        raise DataFileError(
            f"{source} is empty; a CSV catalogue needs a header row with 'lon' and 'lat' "
            "columns and one row per feature"
        ) from None
    except (ValueError, csv.Error) as exc:  # pandas' ParserError is a ValueError
        raise DataFileError(
            f"cannot read {source} as CSV ({exc}); fix the rows or export it again as CSV "
            "(UTF-8, comma-separated, with a header row)"
        ) from None
    lower = {str(c).lower(): c for c in frame.columns}
    lon_col = next((lower[c] for c in ("lon", "longitude", "lng", "x") if c in lower), None)
    lat_col = next((lower[c] for c in ("lat", "latitude", "y") if c in lower), None)
    wkt_col = lower.get("wkt")
    if wkt_col is None and (lon_col is None or lat_col is None):
        raise DataFileError(
            f"{source} has no 'lon' and 'lat' columns (nor a 'wkt' column); add them "
            f"(columns found: {_brief(', '.join(map(str, frame.columns)))})"
        )
    records = []
    coord_cols = {c for c in (lon_col, lat_col, wkt_col) if c}
    for row in frame.to_dict("records"):
        record: dict[str, Any] = {"props": {}, "geometry": None, "error": None}
        record["props"] = {str(k): v for k, v in row.items() if k not in coord_cols}
        wkt = row[wkt_col] if wkt_col else None
        try:
            if isinstance(wkt, str) and wkt.strip():
                if _wkt_depth(wkt) > MAX_WKT_DEPTH:
                    raise ValueError(f"WKT nested over {MAX_WKT_DEPTH} levels deep")
                record["geometry"] = shapely.from_wkt(wkt)
            elif lon_col and lat_col:
                record["geometry"] = shapely.Point(float(row[lon_col]), float(row[lat_col]))
        except (ValueError, TypeError, shapely.errors.GEOSException) as exc:
            record["error"] = f"has unreadable coordinates ({exc}); give decimal degrees"
        records.append(record)
    return records


def _read_bytes(path: Path, source: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise DataFileError(
            f"cannot read catalogue file {source} ({exc.strerror or exc}); check that it is "
            "a readable file"
        ) from None


def _read_records(path: PathLike) -> tuple[list[dict[str, Any]], str]:
    source = os.fspath(path) if isinstance(path, str | os.PathLike) else None
    if not isinstance(source, str):
        raise InputError(f"a catalogue path must be a str or path, not {_brief(path)}")
    if not source.strip():
        raise DataFileError("the catalogue path is empty; give the path of a catalogue file")
    p = Path(source)
    if not p.exists():
        raise DataFileError(f"catalogue file {source} does not exist; check the path")
    if p.is_dir():
        inside: list[str] = []
        with contextlib.suppress(OSError):  # an unlistable folder still gets the message
            inside = sorted(q.name for q in p.iterdir() if q.suffix in _CATALOGUE_SUFFIXES)[:3]
        hint = f" (e.g. {', '.join(inside)})" if inside else ""
        raise DataFileError(
            f"catalogue file {source} is a directory; give the catalogue file inside it{hint}"
        )
    if p.suffix.lower() in (".geojson", ".json"):
        records, _ = _read_geojson(_decode(_read_bytes(p, source), source), source)
        return records, source
    return _read_table(p, source), source


def _bundled_records() -> tuple[list[dict[str, Any]], str]:
    resource = data_file(BUNDLED)
    records, _ = _read_geojson(_decode(resource.read_bytes(), BUNDLED), BUNDLED)
    return records, f"bundled {BUNDLED}"


# ------------------------------------------------------------------------ validation


def _where(index: int, props: Mapping[str, Any]) -> str:
    fid, cid = props.get("feature_id"), props.get("case_id")
    parts = [f"feature {index}"]
    if isinstance(fid, str):
        parts.append(f"id {fid!r}")
    if isinstance(cid, str):
        parts.append(f"case {cid!r}")
    return parts[0] + (f" ({', '.join(parts[1:])})" if len(parts) > 1 else "")


def _check_records(
    records: Sequence[dict[str, Any]], source: str, *, geography: bool, countries: bool = True
) -> list[Problem]:
    """Every problem of the records; ``countries=False`` skips loading the boundaries."""
    problems: list[Problem] = []
    known = _known_countries() if countries or geography else None
    if not records:
        problems.append(Problem(source, "file", "the catalogue has no features; add some"))
    seen_ids: dict[str, int] = {}
    first_of_case: dict[str, int] = {}
    placeable: list[int] = []  # records whose geography can be checked
    for i, rec in enumerate(records):
        props = _normalise_props(rec["props"])
        rec["props"] = props
        where = _where(i, props)
        if rec["error"]:
            problems.append(Problem(source, where, rec["error"]))
            continue
        too_deep = [
            k for k, v in props.items() if _depth(v, limit=MAX_PROPERTY_DEPTH) > MAX_PROPERTY_DEPTH
        ]
        if too_deep:
            problems.append(
                Problem(
                    source,
                    where,
                    f"field {', '.join(_brief(k) for k in too_deep)} nests over "
                    f"{MAX_PROPERTY_DEPTH} levels deep; catalogue fields are text, numbers or "
                    "lists (species: a list of {common, scientific}): fix it",
                )
            )
            continue
        for msg in schema.check_record(props, rec["geometry"], known_countries=known):
            problems.append(Problem(source, where, msg))
        if _placeable(props, rec["geometry"], known):
            placeable.append(i)
        fid = props.get("feature_id")
        if isinstance(fid, str):
            if fid in seen_ids:
                problems.append(
                    Problem(
                        source,
                        where,
                        f"duplicate feature_id {fid!r} (also feature {seen_ids[fid]}); "
                        "give every feature its own id",
                    )
                )
            else:
                seen_ids[fid] = i
        cid = props.get("case_id")
        if isinstance(cid, str):
            if cid in first_of_case:
                j = first_of_case[cid]
                other = records[j]["props"]
                for key in _CASE_COLUMNS:
                    if key in props and key in other and props[key] != other[key]:
                        problems.append(
                            Problem(
                                source,
                                where,
                                f"case field {key!r} differs from feature {j} of the same "
                                f"case ({_brief(props[key])} vs {_brief(other[key])}); "
                                "make them equal",
                            )
                        )
            else:
                first_of_case[cid] = i
    if geography:
        # Checked even when other fields have problems, so that a swapped coordinate is
        # reported in the same run as a misspelt realm.
        problems.extend(_check_geography(records, source, placeable))
    return problems


def _placeable(props: Mapping[str, Any], geometry: BaseGeometry | None, known: Any) -> bool:
    """True if a record's geometry, countries and uncertainty allow the geography check."""
    codes = props.get("countries")
    return (
        isinstance(props.get("case_id"), str)
        and not schema.check_geometry(geometry, None)
        and isinstance(codes, list)
        and not schema.check_properties({"countries": codes}, only=("countries",))
        and known is not None
        and all(known(code) for code in codes)
        and "uncertainty_km" in props
        and not schema.check_properties(
            {"uncertainty_km": props["uncertainty_km"]}, only=("uncertainty_km",)
        )
    )


@functools.lru_cache(maxsize=1)
def _country_frame() -> gpd.GeoDataFrame:
    return load_boundaries("countries").set_index("iso_a3")


def _known_countries() -> Any:
    try:
        codes = set(_country_frame().index)
    except Exception:  # boundaries unavailable: only the code format is checked
        return None
    return codes.__contains__


@functools.lru_cache(maxsize=256)
def _countries_union(codes: tuple[str, ...]) -> BaseGeometry:
    frame = _country_frame()
    union = shapely.union_all(frame.loc[list(codes)].geometry.to_numpy())
    shapely.prepare(union)  # features plainly inside are settled by one indexed test
    return union


def _allowance_km(props: Mapping[str, Any]) -> float:
    allow = max(float(props["uncertainty_km"]), BOUNDARY_SLACK_KM)
    if props.get("realm") == "marine":
        allow = max(allow, EEZ_KM)
    return allow


def _max_outside_km(geometry: BaseGeometry, codes: tuple[str, ...], allow_km: float) -> float:
    """How far (km) the farthest part of ``geometry`` lies outside the countries.

    Measured in an azimuthal equidistant projection of the ellipsoid centred on the
    feature (:func:`corridors._geodesy.project_local`), at points along it every few
    kilometres (closer for small allowances). Exact when it exceeds ``allow_km``;
    otherwise a figure of at most ``allow_km`` (nobody needs more then).

    This is not the queries' ``near``/tolerance measure (a spherical projection per
    case, :func:`corridors._geodesy.to_local`, then geodesic distance): the check asks
    how far the farthest point of a feature is from land, which the queries do not
    answer, and its figure is printed in messages and must equal the plain reference
    (``benchmarks/catalogue.py``'s ``plain_outside_km``, planar distance in
    :func:`corridors.crs.local_crs`) exactly; spherical and ellipsoidal distances
    differ by up to about 0.5 %.
    """
    union = _countries_union(codes)
    if union.contains(geometry):
        return 0.0
    centre = geometry.centroid
    # Clip the (possibly huge) country union to the feature's neighbourhood first.
    pad = allow_km / _PAD_KM_PER_DEG + _PAD_DEG
    minx, miny, maxx, maxy = geometry.bounds
    lat_scale = max(
        math.cos(math.radians(min(abs(miny), abs(maxy), _PAD_LAT_MAX_DEG))), _PAD_MIN_LAT_SCALE
    )
    rect = (minx - pad / lat_scale, miny - pad, maxx + pad / lat_scale, maxy + pad)
    land = _land_near(codes, (centre.x, centre.y), rect)
    if land is None:
        return math.inf
    geom_m = project_local(np.array([geometry], dtype=object), *land.centre)[0]
    step = max(min(allow_km * _STEP_M_PER_KM_ALLOWED, _STEP_MAX_M), _STEP_MIN_M)
    try:
        coords = shapely.get_coordinates(shapely.segmentize(geom_m, step))
    except shapely.errors.GEOSException:
        # Vertices a hair apart in degrees can coincide in metres, which segmentize
        # refuses; such a part is a point, and its vertices are all there is to measure.
        coords = shapely.get_coordinates(geom_m)
    return land.max_distance_km(coords, allow_km)


class _Land:
    """Countries near a feature, in the feature's local projection, ready to measure.

    Parameters
    ----------
    centre : (float, float)
        Longitude and latitude (degrees) of the feature's local projection
        (:func:`corridors._geodesy.project_local`, metres).
    geometry : shapely geometry
        The countries' union clipped to the feature's neighbourhood, in that projection.
    """

    def __init__(self, centre: tuple[float, float], geometry: BaseGeometry) -> None:
        from scipy.spatial import cKDTree  # deferred: scipy costs a quarter second at start-up

        self.centre = centre
        self.geometry = geometry
        shapely.prepare(geometry)
        vertices = shapely.get_coordinates(geometry)
        # Far from the centre a projected vertex may be infinite; the rest still bound.
        self._vertices = cKDTree(vertices[np.isfinite(vertices).all(axis=1)])

    @functools.cached_property
    def _edges(self) -> shapely.STRtree:
        return shapely.STRtree(_edges(self.geometry))

    def max_distance_km(self, points: np.ndarray, allow_km: float) -> float:
        """How far (km) the farthest of ``points`` (x, y rows, metres) is from the land.

        Exactly what ``shapely.distance`` gives for the farthest point when that
        exceeds ``allow_km``; otherwise some distance of at most ``allow_km`` (the
        caller needs no more).
        """
        if not np.isfinite(points).all():
            return math.inf  # a point the local projection cannot place is not near land
        # The nearest vertex is at least as far as the land: points near a vertex are
        # settled without further work, whether on land or off it.
        if self._vertices.n:
            bound, _ = self._vertices.query(points)
            points = points[bound / 1000.0 > allow_km]
        if len(points) == 0:
            return 0.0
        # Points on land are 0 m out: one prepared, indexed test settles them all.
        off = points[~shapely.intersects_xy(self.geometry, points[:, 0], points[:, 1])]
        if len(off) == 0:
            return 0.0
        # A point off land is as far from it as from its nearest edge, which the edges'
        # STRtree finds; shapely.distance gives the same figure but scans every edge
        # for every point (seconds for one continent-sized feature).
        _, dist = self._edges.query_nearest(
            shapely.points(off), return_distance=True, all_matches=False
        )
        return float(dist.max()) / 1000.0 if len(dist) else math.inf


@functools.lru_cache(maxsize=64)
def _land_near(
    codes: tuple[str, ...], centre: tuple[float, float], rect: tuple[float, float, float, float]
) -> _Land | None:
    """The countries' union clipped to ``rect`` and projected around ``centre``.

    Cached like the boundaries it derives from, so that validating a catalogue again
    does not project the same coastlines again. None when nothing is left after
    clipping.
    """
    clipped = shapely.clip_by_rect(_countries_union(codes), *rect)
    if clipped.is_empty:
        return None
    return _Land(centre, project_local(np.array([clipped], dtype=object), *centre)[0])


def _edges(geometry: BaseGeometry) -> np.ndarray:
    """The two-point segments of a geometry's rings and lines, plus its lone points."""
    parts = shapely.get_parts(shapely.get_parts(geometry))  # collections hold multi-parts
    kinds = shapely.get_type_id(parts)
    polygonal = parts[kinds == shapely.GeometryType.POLYGON]
    lines = parts[
        (kinds == shapely.GeometryType.LINESTRING) | (kinds == shapely.GeometryType.LINEARRING)
    ]
    linework = np.concatenate([shapely.get_rings(polygonal), lines])
    coords, which = shapely.get_coordinates(linework, return_index=True)
    same = which[:-1] == which[1:]  # consecutive vertices of one ring or line
    segments = shapely.linestrings(np.stack([coords[:-1][same], coords[1:][same]], axis=1))
    return np.concatenate([segments, parts[kinds == shapely.GeometryType.POINT]])


def _check_geography(
    records: Sequence[dict[str, Any]], source: str, placeable: Sequence[int]
) -> list[Problem]:
    """Each feature lies in its declared countries; each case touches every one of them.

    Only the ``placeable`` records are checked; a case is checked for touching its
    countries only when all of its records are placeable.
    """
    if _known_countries() is None:
        return []
    problems: list[Problem] = []
    frame = _country_frame()
    by_case: dict[str, list[int]] = {}
    for i in placeable:
        rec = records[i]
        props, geom = rec["props"], rec["geometry"]
        codes = tuple(sorted(props["countries"]))
        by_case.setdefault(props["case_id"], []).append(i)
        allow = _allowance_km(props)
        try:
            outside = _max_outside_km(geom, codes, allow)
            message = _outside_message(geom, codes, outside, allow) if outside > allow else ""
        except shapely.errors.GEOSException as exc:
            message = _unmeasurable(exc)
        if message:
            problems.append(Problem(source, _where(i, props), message))
    case_sizes: dict[str, int] = {}
    for rec in records:
        cid = rec["props"].get("case_id")
        if isinstance(cid, str):
            case_sizes[cid] = case_sizes.get(cid, 0) + 1
    for case_id, idx in by_case.items():
        if len(idx) != case_sizes[case_id]:
            continue
        props = records[idx[0]]["props"]
        allow = max(_allowance_km(records[i]["props"]) for i in idx)
        try:
            case_geom = shapely.union_all([records[i]["geometry"] for i in idx])
            far = [
                code
                for code in props["countries"]
                if _distance_to_country_km(case_geom, frame.loc[code].geometry) > allow
            ]
        except shapely.errors.GEOSException as exc:
            problems.append(Problem(source, f"case {case_id!r}", _unmeasurable(exc)))
            continue
        for code in far:
            problems.append(
                Problem(
                    source,
                    f"case {case_id!r}",
                    f"declares {code} ({frame.loc[code, 'name']}) but none of its features "
                    f"comes within {allow:g} km of it; remove the code or add the feature",
                )
            )
    return problems


def _unmeasurable(exc: Exception) -> str:
    return (
        f"geometry cannot be measured against its countries (GEOS: {str(exc).strip()}); "
        "look for vertices that nearly coincide or parts that nearly touch"
    )


def _distance_to_country_km(geometry: BaseGeometry, country: BaseGeometry) -> float:
    """Distance (km) from a case to a country, planar in the case's local projection.

    The frame of :func:`_max_outside_km` (its docstring says why not the queries'), so
    that both halves of the geography check measure alike; a country more than
    :data:`_COUNTRY_WINDOW_DEG` beyond the case's bounds counts as infinitely far.
    """
    if geometry.intersects(country):
        return 0.0
    centre = geometry.centroid
    minx, miny, maxx, maxy = geometry.bounds
    w = _COUNTRY_WINDOW_DEG
    near = shapely.clip_by_rect(country, minx - w, miny - w, maxx + w, maxy + w)
    if near.is_empty:
        return math.inf
    geom_m, near_m = project_local(np.array([geometry, near], dtype=object), centre.x, centre.y)
    return float(geom_m.distance(near_m)) / 1000.0


def _outside_message(
    geometry: BaseGeometry, codes: tuple[str, ...], outside_km: float, allow_km: float
) -> str:
    where = "far" if math.isinf(outside_km) else f"up to {outside_km:,.1f} km"
    msg = (
        f"geometry lies {where} outside its declared countries {', '.join(codes)} "
        f"(allowed: {allow_km:g} km, its uncertainty)"
    )
    swapped = shapely.transform(geometry, lambda xy: xy[:, ::-1])
    if (
        np.abs(shapely.get_coordinates(swapped)[:, 1]).max() <= 90
        and _max_outside_km(swapped, codes, allow_km) <= allow_km
    ):
        return msg + "; longitude and latitude look swapped: RFC 7946 puts longitude first"
    found = _countries_at(geometry.representative_point())
    if found:
        msg += f"; it lies in {', '.join(found)}"
    return msg + ": add the missing country code, fix the coordinates, or raise uncertainty_km"


def _countries_at(point: BaseGeometry) -> list[str]:
    frame = _country_frame()
    hits = frame.sindex.query(point, predicate="intersects")
    return sorted(frame.index[hits])


def validate(path: PathLike | None = None, *, geography: bool = True) -> list[Problem]:
    """Check a catalogue file and return every problem found (empty when valid).

    Parameters
    ----------
    path : path-like, optional
        A GeoJSON, GeoPackage (or other vector file) or CSV catalogue; by default the
        bundled catalogue. The file is only read, never modified.
    geography : bool, default True
        Also check that each feature lies within the countries its case declares
        (within its ``uncertainty_km``, plus 370 km offshore for marine cases) and that
        each case comes near every country it declares. This catches swapped or
        out-of-range coordinates.

    Returns
    -------
    list of Problem
        Each names the file, the feature (index, id and case) and what to do.

    Raises
    ------
    DataFileError
        If the file cannot be read at all (missing, not UTF-8, not JSON, wrong CRS).
    """
    records, source = _read_records(path) if path is not None else _bundled_records()
    return _check_records(records, source, geography=geography)


# --------------------------------------------------------------------------- frames


def _features_frame(records: Sequence[dict[str, Any]]) -> gpd.GeoDataFrame:
    rows = []
    for rec in records:
        props = rec["props"]
        rows.append({col: props.get(col) for col in _FEATURE_COLUMNS + _CASE_COLUMNS})
    frame = pd.DataFrame(rows, columns=_FEATURE_COLUMNS + _CASE_COLUMNS)
    frame["uncertainty_km"] = frame["uncertainty_km"].astype(float)
    # A missing URL stays None (pandas would turn it into NaN in a string column).
    urls = frame["source_url"].astype(object)
    frame["source_url"] = urls.where(urls.notna(), None)
    gdf = gpd.GeoDataFrame(frame, geometry=[rec["geometry"] for rec in records], crs=WGS84)
    return gdf.sort_values(["case_id", "feature_id"], kind="stable").reset_index(drop=True)


def _combine(geometries: Sequence[BaseGeometry]) -> BaseGeometry:
    """All of a case's features as one geometry, without merging or dissolving them."""
    if len(geometries) == 1:
        return geometries[0]
    parts = list(shapely.get_parts(np.asarray(geometries, dtype=object)))
    types = {p.geom_type for p in parts}
    if types == {"Polygon"}:
        return shapely.MultiPolygon(parts)
    if types == {"LineString"}:
        return shapely.MultiLineString(parts)
    if types == {"Point"}:
        return shapely.MultiPoint(parts)
    return shapely.GeometryCollection(list(geometries))


def _cases_frame(features: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    rows, geoms, ids = [], [], []
    for case_id, group in features.groupby("case_id", sort=True):
        first = group.iloc[0]
        row = {col: first[col] for col in _CASE_COLUMNS}
        row["roles"] = sorted(set(group["role"]), key=schema.ROLES.index)
        row["n_features"] = len(group)
        row["uncertainty_km"] = float(group["uncertainty_km"].max())
        rows.append(row)
        geoms.append(_combine(list(group.geometry)))
        ids.append(case_id)
    columns = [*_CASE_COLUMNS, "roles", "n_features", "uncertainty_km"]
    frame = pd.DataFrame(rows, columns=columns, index=pd.Index(ids, name="id"))
    frame["n_features"] = frame["n_features"].astype(int)
    frame["uncertainty_km"] = frame["uncertainty_km"].astype(float)
    urls = frame["source_url"].astype(object)
    frame["source_url"] = urls.where(urls.notna(), None)
    return gpd.GeoDataFrame(frame, geometry=geoms, crs=WGS84)


def _load(path: PathLike | None) -> gpd.GeoDataFrame:
    if path is None:
        return _load_bundled().copy()
    records, source = _read_records(path)
    problems = _check_records(records, source, geography=True)
    if problems:
        raise ValidationError(problems, source=source)
    return _features_frame(records)


@functools.lru_cache(maxsize=1)
def _load_bundled() -> gpd.GeoDataFrame:
    records, source = _bundled_records()
    # The bundled file's geography and country codes are checked by the test suite; at
    # run time only the schema is checked, so that the first call (a notebook's, or
    # `corridors cases`) does not wait for the country boundaries to load.
    problems = _check_records(records, source, geography=False, countries=False)
    if problems:
        raise ValidationError(problems, source=source)
    return _features_frame(records)


def load_features(path: PathLike | None = None) -> gpd.GeoDataFrame:
    """Load a catalogue with one row per feature.

    Parameters
    ----------
    path : path-like, optional
        A user's catalogue (GeoJSON, GeoPackage or other vector file, or CSV with
        ``lon``/``lat`` columns), validated like the bundled one. By default the
        bundled catalogue of case studies.

    Returns
    -------
    GeoDataFrame
        EPSG:4326 (lon/lat), a RangeIndex, columns ``feature_id``, ``case_id``,
        ``feature_name``, ``role``, ``georef_method``, ``georef_note``,
        ``uncertainty_km`` and every case-level field; sorted by case and feature id.

    Raises
    ------
    ValidationError
        Listing every problem in the file.
    DataFileError
        If the file cannot be read.
    """
    return _load(path)


def load_cases(path: PathLike | None = None) -> gpd.GeoDataFrame:
    """Load a catalogue with one row per case study.

    Parameters
    ----------
    path : path-like, optional
        As for :func:`load_features`; by default the bundled catalogue.

    Returns
    -------
    GeoDataFrame
        EPSG:4326 (lon/lat), indexed by case id (index name ``id``), with the case
        fields (``name``, ``summary``, ``species``, ``taxon``, ``realm``,
        ``countries``, ``region``, ``scale``, ``interventions``, ``threats``,
        ``organisations``, ``source``, ``source_title``, ``source_url``), ``roles``
        (the roles of its features), ``n_features``, ``uncertainty_km`` (the largest
        of its features') and ``geometry``: all of its features together, as a
        multi-part geometry or a GeometryCollection (nothing is dissolved).
    """
    return _cases_frame(_load(path))


def get_case(case_id: str, *, path: PathLike | None = None) -> gpd.GeoDataFrame:
    """Return one case study as a one-row GeoDataFrame (EPSG:4326).

    Parameters
    ----------
    case_id : str
        The case's id, or what a user would type for it: the id in any letter case, a
        unique start of the id (``"koytendag"``), or a unique whole word or run of
        words of its id or name (``"fremont"``, ``"barrier reef"``); see
        :func:`resolve_case_id`.
    path : path-like, optional
        A user's catalogue; by default the bundled one.

    Returns
    -------
    GeoDataFrame
        One row, as in :func:`load_cases`, indexed by the resolved case id.

    Raises
    ------
    UnknownCaseError
        If no case matches (the message suggests related ids) or several do (the
        message lists them all).
    """
    features = _load(path)
    resolved = _resolve(case_id, _case_words(features))
    return _cases_frame(features[features["case_id"] == resolved])


def resolve_case_id(case_id: str, *, path: PathLike | None = None) -> str:
    """Return the id of the one case that ``case_id`` names.

    Tried in turn: the exact id; the id in any letter case (accents ignored); then
    every case whose id starts with ``case_id`` or whose id or name holds it as whole
    words (``"fremont"`` and ``"fremont lake"`` name ``fremont-lake-mule-deer``):
    exactly one such case is the answer.

    Raises
    ------
    UnknownCaseError
        If no case matches, with suggestions that share words with ``case_id`` or
        resemble it (ids, names and the names of their features); or if several
        match, listing every one.
    InputError
        If ``case_id`` is not text or is blank.
    """
    return _resolve(case_id, _case_words(_load(path)))


# Words too common in case names to say which case is meant.
_STOPWORDS = frozenset({"the", "and", "for", "with", "from", "into", "across", "between"})
_MAX_SUGGESTIONS = 5
# difflib ratio above which a typed word or id counts as a misspelling of another.
_WORD_LIKENESS = 0.8
_ID_LIKENESS = 0.6


def _fold(text: str) -> str:
    """Lower case without accents, so that "Köpetdag" is typed as "kopetdag"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _words(text: str) -> list[str]:
    return re.findall(r"[^\W_]+", _fold(text))


def _holds_run(words: Sequence[str], run: Sequence[str]) -> bool:
    n = len(run)
    return n > 0 and any(list(words[i : i + n]) == list(run) for i in range(len(words) - n + 1))


@dataclasses.dataclass
class _CaseWords:
    """What a user may type to name one case, or to be offered it."""

    name: str
    features: list[str] = dataclasses.field(default_factory=list)  # their ids and names


def _case_words(features: gpd.GeoDataFrame) -> dict[str, _CaseWords]:
    cases: dict[str, _CaseWords] = {}
    columns = ("case_id", "name", "feature_id", "feature_name")
    for case_id, name, feature_id, feature_name in zip(
        *(features[c] for c in columns), strict=True
    ):
        cases.setdefault(str(case_id), _CaseWords(str(name))).features += [
            str(feature_id),
            str(feature_name),
        ]
    return cases


def _resolve(case_id: Any, cases: Mapping[str, _CaseWords]) -> str:
    if not isinstance(case_id, str):
        raise InputError(f"a case id is text, not {_brief(case_id)}")
    if not case_id.strip():
        raise InputError(
            "the case id is empty; give one, e.g. 'fremont-lake-mule-deer' "
            "(`corridors cases` lists them)"
        )
    if case_id in cases:
        return case_id
    query = _fold(case_id.strip())
    same = [i for i in cases if _fold(i) == query]
    if len(same) == 1:
        return same[0]
    run = _words(case_id)
    matches = sorted(
        i
        for i, case in cases.items()
        if _fold(i).startswith(query)
        or _holds_run(_words(i), run)
        or _holds_run(_words(case.name), run)
    )
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise UnknownCaseError(
            f"case id {case_id!r} is ambiguous: it matches {len(matches)} cases "
            f"({', '.join(repr(m) for m in matches)}); give more of the id"
        )
    close = _suggestions(case_id, cases)
    hint = f"did you mean {_or(close)}?" if close else "run `corridors cases` to list the ids"
    raise UnknownCaseError(f"no case with id {case_id!r}; {hint}")


def _or(items: Sequence[str]) -> str:
    quoted = [repr(i) for i in items]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"


def _suggestions(case_id: str, cases: Mapping[str, _CaseWords]) -> list[str]:
    """Case ids related to what was typed, best first.

    A case scores the share of the typed words (stopwords and one- or two-letter words
    left out) found, exactly or misspelt, among the words of its id, its name and its
    features' ids and names; or, if higher, how closely the whole text resembles its
    id or name. Cases scoring half the best or less are left out, so that one shared
    common word does not bring in an unrelated case.
    """
    typed = [w for w in _words(case_id) if len(w) >= 3 and w not in _STOPWORDS]
    query = _fold(case_id.strip())
    scores: dict[str, float] = {}
    for cid, case in cases.items():
        vocab = set(_words(" ".join([cid, case.name, *case.features])))
        found = sum(
            1
            for w in typed
            if w in vocab or difflib.get_close_matches(w, vocab, n=1, cutoff=_WORD_LIKENESS)
        )
        word_score = found / len(typed) if typed else 0.0
        likeness = max(
            difflib.SequenceMatcher(None, query, _fold(text)).ratio() for text in (cid, case.name)
        )
        score = max(word_score, likeness if likeness >= _ID_LIKENESS else 0.0)
        if score > 0:
            scores[cid] = score
    if not scores:
        return []
    best = max(scores.values())
    ranked = sorted((c for c in scores if scores[c] > best / 2), key=lambda c: (-scores[c], c))
    return ranked[:_MAX_SUGGESTIONS]


# --------------------------------------------------------------------------- writing


def _round_coords(obj: Any, ndigits: int) -> Any:
    if isinstance(obj, float):
        value = round(obj, ndigits)
        return int(value) if value.is_integer() else value
    if isinstance(obj, list | tuple):
        return [_round_coords(v, ndigits) for v in obj]
    return obj


def _json_value(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return [_json_value(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, float) and value.is_integer():
        # One canonical spelling for whole numbers, however the value was typed in.
        return int(value)
    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    if isinstance(value, dict):
        return {k: _json_value(v) for k, v in value.items()}
    return value


def to_geojson(features: gpd.GeoDataFrame, *, precision: int = 6) -> str:
    """Serialise a features frame as the catalogue's canonical GeoJSON text.

    Pretty-printed with sorted keys and features ordered by case and feature id, so
    that diffs read well; coordinates rounded to ``precision`` decimals (at most 6,
    about 0.1 m).
    """
    if features.crs is None or not features.crs.equals(WGS84, ignore_axis_order=True):
        raise InputError("to_geojson needs features in EPSG:4326; call .to_crs('EPSG:4326') first")
    precision = min(int(precision), 6)
    fields = [c for c in (*_FEATURE_COLUMNS, *_CASE_COLUMNS) if c in features.columns]
    order = features.sort_values(
        [c for c in ("case_id", "feature_id") if c in features.columns], kind="stable"
    )
    out = []
    for row, geom in zip(order[fields].to_dict("records"), order.geometry, strict=True):
        geo = json.loads(json.dumps(shapely.geometry.mapping(_orient_any(geom))))
        geo["coordinates"] = _round_coords(geo.get("coordinates"), precision)
        props = {k: _json_value(v) for k, v in row.items()}
        out.append(
            {"type": "Feature", "id": props.get("feature_id"), "geometry": geo, "properties": props}
        )
    doc = {"type": "FeatureCollection", "features": out}
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _orient_any(geom: BaseGeometry) -> BaseGeometry:
    """Counter-clockwise exterior rings (RFC 7946 section 3.1.6) for any polygonal part."""
    if isinstance(geom, shapely.Polygon):
        return shapely.geometry.polygon.orient(geom)
    if isinstance(geom, shapely.MultiPolygon):
        return shapely.MultiPolygon([shapely.geometry.polygon.orient(p) for p in geom.geoms])
    return geom


def save_catalogue(features: gpd.GeoDataFrame, path: PathLike, *, overwrite: bool = False) -> Path:
    """Validate a features frame and write it as canonical catalogue GeoJSON.

    The file is written atomically; an existing file is replaced only with
    ``overwrite=True``.

    Raises
    ------
    ValidationError
        If the features do not pass validation (nothing is written).
    """
    target = Path(path)
    if target.exists() and not overwrite:
        raise InputError(f"{target} exists; pass overwrite=True to replace it")
    text = to_geojson(features)
    records, _ = _read_geojson(text, str(target))
    problems = _check_records(records, str(target), geography=True)
    if problems:
        raise ValidationError(problems, source=str(target))
    return atomic_write_text(target, text)


def iter_problems_text(problems: Iterable[Problem]) -> list[str]:
    """Format problems one per line (for CLIs and logs)."""
    return [f"{p.location}: {p.message}" for p in problems]
