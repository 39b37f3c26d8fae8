"""Load, validate and write catalogues of connectivity case studies.

The bundled catalogue (``data/geo/cases.geojson``, shipped inside the package) holds
every case study of the source documents. Users may bring their own catalogue in the
same schema (see :mod:`corridors.schema`) as GeoJSON, GeoPackage (or any other vector
format pyogrio reads) or CSV with ``lon``/``lat`` columns; it is validated the same way.

All geometries are in EPSG:4326 with RFC 7946 axis order (longitude, latitude).
"""

from __future__ import annotations

import contextlib
import functools
import json
import math
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from . import schema
from ._io import atomic_write_text
from ._resources import data_file
from .crs import WGS84, local_crs
from .errors import DataFileError, InputError, Problem, UnknownCaseError, ValidationError

__all__ = [
    "get_case",
    "load_cases",
    "load_features",
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

PathLike = str | os.PathLike[str]


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
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        kind = doc.get("type") if isinstance(doc, dict) else type(doc).__name__
        raise DataFileError(
            f"{source} is a GeoJSON {kind!r}, not a FeatureCollection; "
            "wrap the features in {'type': 'FeatureCollection', 'features': [...]}"
        )
    problems: list[Problem] = []
    crs_member = doc.get("crs")
    if crs_member is not None:
        name = str((crs_member.get("properties") or {}).get("name", crs_member))
        if not re.search(r"(CRS84|EPSG:+4326)$", name):
            raise DataFileError(
                f"{source} declares CRS {name!r}; catalogues are RFC 7946 GeoJSON in "
                "longitude/latitude (EPSG:4326): reproject it, e.g. "
                "`ogr2ogr -t_srs EPSG:4326 out.geojson in.geojson`"
            )
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
            if geom is not None:
                try:
                    record["geometry"] = shapely.geometry.shape(geom)
                except Exception as exc:  # shapely raises several types for bad input
                    record["error"] = f"has a malformed geometry ({exc}); fix its coordinates"
        records.append(record)
    return records, problems


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
            except json.JSONDecodeError:
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
        out[key] = value
    return out


def _read_table(path: Path, source: str) -> list[dict[str, Any]]:
    import pyogrio

    if path.suffix.lower() == ".csv":
        return _read_csv(path, source)
    try:
        frame = pyogrio.read_dataframe(path)
    except Exception as exc:  # pyogrio raises DataSourceError and friends
        raise DataFileError(
            f"cannot read {source} as a vector file ({exc}); give a GeoJSON, GeoPackage "
            "or CSV catalogue"
        ) from None
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


def _read_csv(path: Path, source: str) -> list[dict[str, Any]]:
    text = _decode(path.read_bytes(), source)
    import io

    frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    lower = {c.lower(): c for c in frame.columns}
    lon_col = next((lower[c] for c in ("lon", "longitude", "lng", "x") if c in lower), None)
    lat_col = next((lower[c] for c in ("lat", "latitude", "y") if c in lower), None)
    wkt_col = lower.get("wkt")
    if wkt_col is None and (lon_col is None or lat_col is None):
        raise DataFileError(
            f"{source} has no 'lon' and 'lat' columns (nor a 'wkt' column); add them "
            f"(columns found: {', '.join(frame.columns)})"
        )
    records = []
    coord_cols = {c for c in (lon_col, lat_col, wkt_col) if c}
    for row in frame.to_dict("records"):
        record: dict[str, Any] = {"props": {}, "geometry": None, "error": None}
        record["props"] = {k: v for k, v in row.items() if k not in coord_cols}
        try:
            if wkt_col and row[wkt_col].strip():
                record["geometry"] = shapely.from_wkt(row[wkt_col])
            elif lon_col and lat_col:
                record["geometry"] = shapely.Point(float(row[lon_col]), float(row[lat_col]))
        except (ValueError, shapely.errors.GEOSException) as exc:
            record["error"] = f"has unreadable coordinates ({exc}); give decimal degrees"
        records.append(record)
    return records


def _read_records(path: PathLike) -> tuple[list[dict[str, Any]], str]:
    p = Path(path)
    source = str(path)
    if not p.exists():
        raise DataFileError(f"catalogue file {source} does not exist; check the path")
    if p.is_dir():
        raise DataFileError(f"{source} is a directory; give the catalogue file inside it")
    if p.suffix.lower() in (".geojson", ".json"):
        records, _ = _read_geojson(_decode(p.read_bytes(), source), source)
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
    records: Sequence[dict[str, Any]], source: str, *, geography: bool
) -> list[Problem]:
    problems: list[Problem] = []
    known = _known_countries()
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
                                f"case ({props[key]!r} vs {other[key]!r}); make them equal",
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
    from .boundaries import load_boundaries

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
    return shapely.union_all(frame.loc[list(codes)].geometry.to_numpy())


def _allowance_km(props: Mapping[str, Any]) -> float:
    allow = max(float(props["uncertainty_km"]), BOUNDARY_SLACK_KM)
    if props.get("realm") == "marine":
        allow = max(allow, EEZ_KM)
    return allow


def _max_outside_km(geometry: BaseGeometry, codes: tuple[str, ...], allow_km: float) -> float:
    """How far (km) the farthest part of ``geometry`` lies outside the countries."""
    union = _countries_union(codes)
    if union.contains(geometry):
        return 0.0
    centre = geometry.centroid
    crs = local_crs(centre.x, centre.y)
    # Clip the (possibly huge) country union to the feature's neighbourhood first.
    pad = allow_km / 100.0 + 1.0
    minx, miny, maxx, maxy = geometry.bounds
    lat_scale = max(math.cos(math.radians(min(abs(miny), abs(maxy), 89.0))), 0.05)
    clipped = shapely.clip_by_rect(
        union, minx - pad / lat_scale, miny - pad, maxx + pad / lat_scale, maxy + pad
    )
    frame = gpd.GeoSeries([geometry, clipped], crs=WGS84).to_crs(crs)
    geom_m, land_m = frame.iloc[0], frame.iloc[1]
    if land_m.is_empty:
        return math.inf
    step = max(min(allow_km * 500.0, 5000.0), 250.0)
    points = shapely.points(shapely.get_coordinates(shapely.segmentize(geom_m, step)))
    return float(shapely.distance(points, land_m).max()) / 1000.0


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
        outside = _max_outside_km(geom, codes, allow)
        if outside > allow:
            problems.append(
                Problem(source, _where(i, props), _outside_message(geom, codes, outside, allow))
            )
    case_sizes: dict[str, int] = {}
    for rec in records:
        cid = rec["props"].get("case_id")
        if isinstance(cid, str):
            case_sizes[cid] = case_sizes.get(cid, 0) + 1
    for case_id, idx in by_case.items():
        if len(idx) != case_sizes[case_id]:
            continue
        props = records[idx[0]]["props"]
        case_geom = shapely.union_all([records[i]["geometry"] for i in idx])
        allow = max(_allowance_km(records[i]["props"]) for i in idx)
        for code in props["countries"]:
            if _distance_to_country_km(case_geom, frame.loc[code].geometry) > allow:
                problems.append(
                    Problem(
                        source,
                        f"case {case_id!r}",
                        f"declares {code} ({frame.loc[code, 'name']}) but none of its features "
                        f"comes within {allow:g} km of it; remove the code or add the feature",
                    )
                )
    return problems


def _distance_to_country_km(geometry: BaseGeometry, country: BaseGeometry) -> float:
    if geometry.intersects(country):
        return 0.0
    centre = geometry.centroid
    series = gpd.GeoSeries([geometry, country], crs=WGS84)
    minx, miny, maxx, maxy = geometry.bounds
    near = shapely.clip_by_rect(country, minx - 10, miny - 10, maxx + 10, maxy + 10)
    if near.is_empty:
        return math.inf
    series = gpd.GeoSeries([geometry, near], crs=WGS84).to_crs(local_crs(centre.x, centre.y))
    return float(series.iloc[0].distance(series.iloc[1])) / 1000.0


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
    # The bundled file's geography is checked by the test suite; at run time only the
    # schema is checked, so that the first call in a notebook stays quick.
    problems = _check_records(records, source, geography=False)
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

    Raises
    ------
    UnknownCaseError
        If no case has this id; the message lists close matches.
    """
    cases = load_cases(path)
    if case_id in cases.index:
        return cases.loc[[case_id]]
    import difflib

    ids = list(cases.index)
    close = difflib.get_close_matches(str(case_id), ids, n=3, cutoff=0.4)
    close += [i for i in ids if str(case_id).lower() in i and i not in close][:3]
    hint = (
        f"did you mean {', '.join(repr(c) for c in close)}?"
        if close
        else "run `corridors cases` to list the ids"
    )
    raise UnknownCaseError(f"no case with id {case_id!r}; {hint}")


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
