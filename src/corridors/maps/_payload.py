"""The JSON a data layer carries: features encoded, popups' records, roles and styles.

:func:`build_payload` turns a GeoDataFrame (EPSG:4326) into the structure that
``corridorsAtlas.layer`` in ``_static/atlas.js`` draws: one record per case (catalogue
rows, shown with the atlas popup) or per row (other data, shown as a table of its
columns), and per feature its record, role, precision and encoded geometry.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from typing import Any, Final, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from .. import schema
from .._typing import FloatArray
from ..catalogue import load_features
from ..crs import ensure_crs
from ..errors import InputError
from ._encoding import (
    DEFAULT_DIGITS,
    LINES,
    MAX_DIGITS,
    MERCATOR_MAX_LAT,
    POLYGONS,
    digits_for_display,
    digits_for_uncertainty,
    display_tolerance_m,
    encode_geometry,
    rounding_error_m,
    safe_url,
    simplify,
    text,
)

__all__ = [
    "REGIONAL_OUTLINE_KM",
    "ROLES",
    "SimplifyArg",
    "as_frame",
    "build_payload",
    "count_cases",
    "frame_bounds",
    "infer_role",
    "regional_rows",
    "roles_of",
]

# The schema's roles (corridors.schema.ROLES) in the order the legend lists them: areas
# first and sites last, as they are stacked on the map (the schema has its own order).
ROLES: Final = ("area", "route", "barrier", "infrastructure", "site")
# A frame with at least three of these case fields is taken for catalogue rows and gets
# the atlas popup. A subset of schema.CASE_FIELDS on purpose: the fields that popup
# shows, so a frame of the catalogue's cases or features or a partial copy of either
# qualifies, while data of other kinds that merely has a "name" does not.
CASE_HINTS: Final = ("name", "summary", "realm", "species", "countries")
CASE_HINTS_NEEDED: Final = 3

SimplifyArg = float | Literal["auto"] | None

#: Cases drawn as outlines rather than filled (in the atlas's own layer, and in a
#: highlight): those whose scale is range-wide, and features placed to within this many
#: km or worse. An envelope that may be 100 km off says which region a case is about,
#: not where it is; at zoom 6 (a region's view) 100 km is already about 40 screen pixels.
REGIONAL_OUTLINE_KM: Final = 100.0


def as_frame(data: Any, *, what: str) -> gpd.GeoDataFrame:
    """Return ``data`` as a GeoDataFrame in EPSG:4326, or raise InputError."""
    if isinstance(data, str | os.PathLike):
        return load_features(data)
    if isinstance(data, gpd.GeoSeries):
        data = gpd.GeoDataFrame(geometry=data)
    elif isinstance(data, BaseGeometry):
        data = gpd.GeoDataFrame(geometry=[data], crs="EPSG:4326")
    if not isinstance(data, gpd.GeoDataFrame):
        raise InputError(
            f"{what} must be a GeoDataFrame, GeoSeries or a catalogue file path, "
            f"not {type(data).__name__}"
        )
    try:
        data.geometry  # noqa: B018 - raises if there is no active geometry column
    except AttributeError as exc:
        raise InputError(f"{what} has no active geometry column; call set_geometry()") from exc
    ensure_crs(data, what=what)
    if data.crs is not None and data.crs.to_epsg() != 4326:
        data = data.to_crs("EPSG:4326")
    return data


def _is_catalogue(frame: pd.DataFrame) -> bool:
    """Whether a frame holds catalogue rows (enough of :data:`CASE_HINTS`)."""
    return (
        "name" in frame.columns and sum(c in frame.columns for c in CASE_HINTS) >= CASE_HINTS_NEEDED
    )


def infer_role(geom: BaseGeometry | None) -> str:
    """The role a geometry is drawn as without a ``role``: site, route or area."""
    if geom is None or geom.is_empty:
        return "area"
    kind = geom.geom_type
    if kind in ("Point", "MultiPoint"):
        return "site"
    if kind in ("LineString", "MultiLineString", "LinearRing"):
        return "route"
    return "area"


def roles_of(frame: gpd.GeoDataFrame) -> list[str]:
    """Each row's role: its ``role`` when one of the schema's, else from its geometry."""
    geoms = frame.geometry.array
    if "role" in frame.columns:
        raw = frame["role"].tolist()
        return [
            str(r) if isinstance(r, str) and r in schema.ROLES else infer_role(g)
            for r, g in zip(raw, geoms, strict=True)
        ]
    return [infer_role(g) for g in geoms]


def _case_keys(frame: gpd.GeoDataFrame) -> list[str]:
    """The case each row belongs to: ``case_id``, else the index, else the row number."""
    if "case_id" in frame.columns:
        return [str(v) for v in frame["case_id"].tolist()]
    if frame.index.name == "id" or not isinstance(frame.index, pd.RangeIndex):
        return [str(v) for v in frame.index.tolist()]
    return [f"row-{i}" for i in range(len(frame))]


def _species(value: Any) -> list[Any]:
    """Species as ``{common, scientific}`` records or plain names, empty ones dropped."""
    out: list[Any] = []
    items = value if isinstance(value, list | tuple | np.ndarray) else [value]
    for item in items:
        if isinstance(item, Mapping):
            common, sci = text(item.get("common")), text(item.get("scientific"))
            if common or sci:
                out.append({"common": common or "", "scientific": sci or ""})
        else:
            t = text(item)
            if t:
                out.append(t)
    return out


def _str_list(value: Any) -> list[str]:
    """A value as a list of display texts (a scalar becomes one item)."""
    if isinstance(value, list | tuple | np.ndarray):
        return [t for t in (text(v) for v in value) if t]
    t = text(value)
    return [t] if t else []


def _number(value: Any) -> float | None:
    """A finite number rounded to 3 decimals, or None."""
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return round(f, 3) if np.isfinite(f) else None


def _case_record(row: Mapping[str, Any], key: str) -> dict[str, Any]:
    """The popup record of one case (empty fields left out)."""
    record = {
        "id": key,
        "name": text(row.get("name")),
        "summary": text(row.get("summary")),
        "species": _species(row.get("species")),
        "countries": _str_list(row.get("countries")),
        "realm": text(row.get("realm")),
        "taxon": text(row.get("taxon")),
        "scale": text(row.get("scale")),
        "interventions": _str_list(row.get("interventions")),
        "threats": _str_list(row.get("threats")),
        "organisations": _str_list(row.get("organisations")),
        "region": text(row.get("region")),
        "source": text(row.get("source_title")) or text(row.get("source")),
        "url": safe_url(row.get("source_url")),
        "uncertainty": _number(row.get("uncertainty_km")),
    }
    return {k: v for k, v in record.items() if v not in (None, [], "")}


def _marker_point(geom: BaseGeometry | None, digits: int) -> list[float] | None:
    """A point on a line or polygon (lon, lat), rounded as its vertices; None for points."""
    if geom is None or geom.is_empty or geom.geom_type in ("Point", "MultiPoint"):
        return None
    point = geom.representative_point()
    return [round(point.x, digits), round(point.y, digits)]


def _why(row: Mapping[str, Any], columns: Sequence[str]) -> str | None:
    """The query's explanation of a row: "column: value" for each given column."""
    parts = []
    for col in columns:
        value = row.get(col)
        if isinstance(value, float | np.floating):
            shown = None if not np.isfinite(value) else f"{float(value):.4g}"
        elif isinstance(value, BaseGeometry):
            shown = None
        else:
            shown = text(value)
        if shown:
            parts.append(f"{col}: {shown}")
    return "; ".join(parts) or None


def _latitudes(frame: gpd.GeoDataFrame) -> tuple[FloatArray, FloatArray]:
    """Per row, the smallest and largest absolute latitude it reaches (0 when empty)."""
    geoms = np.asarray(frame.geometry.array, dtype=object)
    low, high = np.zeros(len(geoms)), np.zeros(len(geoms))
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if present.any():
        b = shapely.bounds(geoms[present])
        south, north = b[:, 1], b[:, 3]
        high[present] = np.maximum(np.abs(south), np.abs(north))
        # A geometry spanning the equator comes to latitude 0.
        low[present] = np.where(south * north <= 0, 0.0, np.minimum(np.abs(south), np.abs(north)))
    return low, high


def _digits(frame: gpd.GeoDataFrame, precision: int | None, abs_lat: FloatArray) -> list[int]:
    """Decimals of a degree kept per row: ``precision``, else what display and data need.

    Without ``precision`` a row keeps the finer of what its ``uncertainty_km`` warrants
    and what keeps rounding inside the display bound at its latitudes (``abs_lat``, the
    largest absolute latitude per row), so a feature known only roughly is still drawn
    where its outline is.
    """
    if precision is not None:
        if not isinstance(precision, int | np.integer) or not 0 <= int(precision) <= MAX_DIGITS:
            raise InputError(
                f"precision must be an integer from 0 to 6 decimals, not {precision!r}"
            )
        return [int(precision)] * len(frame)
    if "uncertainty_km" in frame.columns:
        wanted = [digits_for_uncertainty(u) for u in frame["uncertainty_km"].tolist()]
    else:
        wanted = [DEFAULT_DIGITS] * len(frame)
    return [max(d, digits_for_display(lat)) for d, lat in zip(wanted, abs_lat, strict=True)]


def _tolerances(
    frame: gpd.GeoDataFrame,
    simplify_km: SimplifyArg,
    digits: Sequence[int],
    latitudes: tuple[FloatArray, FloatArray],
) -> FloatArray:
    """Simplification tolerance per row on the map's plane (metres), NaN for none.

    "auto" gives each row what is left of the display bound once its rounding (to
    ``digits``) is paid for, so the outline drawn stays within the bound of the true one;
    a distance gives that much on the ground, made no coarser at any latitude the row
    reaches (a ground metre is longest on the plane nearest the poles).
    """
    low, high = latitudes
    if simplify_km is None:
        return np.full(len(frame), np.nan)
    if isinstance(simplify_km, str) and simplify_km == "auto":
        bound = display_tolerance_m()
        spent = np.array([rounding_error_m(d, lat) for d, lat in zip(digits, high, strict=True)])
        return np.where(spent < bound, bound - spent, np.nan)
    try:
        value = float(simplify_km)
    except (TypeError, ValueError):
        value = -1.0
    if not np.isfinite(value) or value < 0:
        raise InputError(
            f"simplify_km must be 'auto', None or a distance >= 0, not {simplify_km!r}"
        )
    # Ground lengths are shortest on the plane at the latitude nearest the equator.
    stretch = 1.0 / np.cos(np.radians(np.minimum(low, MERCATOR_MAX_LAT)))
    return value * 1000.0 * stretch


def build_payload(
    frame: gpd.GeoDataFrame,
    *,
    color: str,
    popup: bool | Sequence[str],
    tooltip: bool | str,
    precision: int | None,
    simplify_km: SimplifyArg,
    roles: list[str] | None = None,
    why_columns: Sequence[str] = (),
    cluster: int = 0,
    style: Mapping[str, Any] | None = None,
    searchable: bool = True,
) -> dict[str, Any]:
    """Build the JSON structure that ``corridorsAtlas.layer`` draws."""
    roles = roles if roles is not None else roles_of(frame)
    role_names = sorted(set(roles))
    role_index = {r: i for i, r in enumerate(role_names)}
    latitudes = _latitudes(frame)
    digits = _digits(frame, precision, latitudes[1])
    geoms = simplify(frame.geometry.array, _tolerances(frame, simplify_km, digits, latitudes))
    rows = frame.drop(columns=frame.geometry.name).to_dict("records")
    as_case = popup is True and _is_catalogue(frame)
    features: list[list[Any]] = []
    records: list[Any] = []
    payload: dict[str, Any] = {"color": color, "roles": role_names, "searchable": searchable}
    if as_case:
        keys = _case_keys(frame)
        seen: dict[str, int] = {}
        for row, key in zip(rows, keys, strict=True):
            if key not in seen:
                seen[key] = len(records)
                records.append(_case_record(row, key))
        payload["kind"] = "case"
    else:
        fields = _generic_fields(frame, popup)
        payload["kind"] = "generic"
        payload["fields"] = fields
        payload["links"] = [bool(re.search("url|link|href", f, re.I)) for f in fields]
        tip = _tooltip_field(frame, tooltip)
        if tip is not None and tip not in fields:
            fields.append(tip)
            payload["links"].append(False)
        payload["tooltip"] = fields.index(tip) if tip is not None else -1
        if not fields:
            payload["popup"] = False
    for i, (row, geom) in enumerate(zip(rows, geoms, strict=True)):
        digits[i], encoded = _encode_whole(geom, digits[i], fixed=precision is not None)
        if not encoded:
            continue
        if as_case:
            rec = seen[keys[i]]
            extra: Any = {
                "f": text(row.get("feature_name")),
                "r": roles[i] if "role" in row else None,
                "u": _number(row.get("uncertainty_km")),
                "m": text(row.get("georef_method")),
                "n": text(row.get("georef_note")),
                # Where the case's marker goes when its shape is too small to see: a
                # point on the shape (the middle of its bounds can fall outside it).
                "p": _marker_point(geom, digits[i]),
            }
            extra = {k: v for k, v in extra.items() if v is not None} or 0
        else:
            rec = len(records)
            records.append([_cell(row.get(f)) for f in payload["fields"]])
            extra = 0
        feature = [rec, role_index[roles[i]], digits[i], encoded, extra]
        why = _why(row, why_columns) if why_columns else None
        if why:
            feature.append(why)
        features.append(feature)
    payload["records"] = records
    payload["features"] = features
    if cluster:
        payload["cluster"] = cluster
    if style:
        payload["style"] = dict(style)
    return payload


def _shape_count(encoded: list[Any]) -> int:
    """Lines and polygon rings in an encoded geometry."""
    count = 0
    for group in encoded:
        if group[0] == LINES:
            count += len(group) - 1
        elif group[0] == POLYGONS:
            count += sum(len(rings) for rings in group[1:])
    return count


def _shapes_in(geom: BaseGeometry) -> int:
    """Lines and polygon rings in a geometry (collections flattened one level deep)."""
    parts = shapely.get_parts(shapely.get_parts(geom))
    kinds = shapely.get_type_id(parts)
    # Type ids: 1 LineString, 2 LinearRing, 3 Polygon.
    lines = np.isin(kinds, (1, 2)) & ~shapely.is_empty(parts)
    polys = (kinds == 3) & ~shapely.is_empty(parts)
    return int(lines.sum() + polys.sum() + shapely.get_num_interior_rings(parts[polys]).sum())


def _encode_whole(geom: BaseGeometry | None, digits: int, *, fixed: bool) -> tuple[int, Any]:
    """Encode ``geom``, with more decimals if rounding would lose a line or a ring.

    A ring or line smaller than the rounding quantum collapses and is left out by the
    encoder; an island or a short fence would then vanish from the map, so its feature
    gets the decimals that keep it (up to six). A ``fixed`` precision is kept as asked.
    """
    encoded = encode_geometry(geom, digits)
    if fixed or geom is None or _shape_count(encoded) == _shapes_in(geom):
        return digits, encoded
    wanted = _shape_count(encode_geometry(geom, MAX_DIGITS))
    while digits < MAX_DIGITS and _shape_count(encoded) < wanted:
        digits += 1
        encoded = encode_geometry(geom, digits)
    return digits, encoded


def _cell(value: Any) -> Any:
    """A value as a table cell of a generic popup (numbers to 6 significant digits)."""
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return None if not np.isfinite(value) else float(f"{float(value):.6g}")
    if isinstance(value, BaseGeometry):
        return None
    return text(value)


def _generic_fields(frame: gpd.GeoDataFrame, popup: bool | Sequence[str]) -> list[str]:
    """The columns a generic popup shows."""
    columns = [str(c) for c in frame.columns if c != frame.geometry.name]
    columns = [c for c in columns if not isinstance(frame[c].dtype, gpd.array.GeometryDtype)]
    if popup is True:
        return columns
    if popup is False or popup is None:
        return []
    if isinstance(popup, str):
        popup = [popup]
    missing = [c for c in popup if c not in columns]
    if missing:
        raise InputError(f"popup columns {missing} are not in the data; available: {columns}")
    return [str(c) for c in popup]


def _tooltip_field(frame: gpd.GeoDataFrame, tooltip: bool | str) -> str | None:
    """The column shown on hover, or None."""
    if tooltip is False or tooltip is None:
        return None
    if isinstance(tooltip, str):
        if tooltip not in frame.columns:
            raise InputError(f"tooltip column {tooltip!r} is not in the data")
        return tooltip
    for candidate in ("name", "feature_name", "title", "label", "id"):
        if candidate in frame.columns:
            return candidate
    return None


def frame_bounds(frame: gpd.GeoDataFrame) -> tuple[float, float, float, float] | None:
    """(west, south, east, north) of a frame's non-empty geometries, or None if none."""
    geoms = frame.geometry
    geoms = geoms[~(geoms.isna() | geoms.is_empty)]
    if geoms.empty:
        return None
    b = geoms.total_bounds
    return (float(b[0]), float(b[1]), float(b[2]), float(b[3]))


def count_cases(frame: gpd.GeoDataFrame) -> int:
    """Number of distinct cases (``case_id``, else index values, else rows) in a frame."""
    return len(set(_case_keys(frame))) if len(frame) else 0


def regional_rows(frame: gpd.GeoDataFrame) -> np.ndarray:
    """Which rows are regional or range-wide outlines (see :data:`REGIONAL_OUTLINE_KM`)."""
    out = np.zeros(len(frame), dtype=bool)
    if "scale" in frame.columns:
        out |= np.array([text(v) == "range-wide" for v in frame["scale"].tolist()], dtype=bool)
    if "uncertainty_km" in frame.columns:
        u = pd.to_numeric(frame["uncertainty_km"], errors="coerce").to_numpy(dtype=float)
        out |= np.nan_to_num(u, nan=0.0) >= REGIONAL_OUTLINE_KM
    return out
