"""The highlighted query result of an atlas, its boundary and where the cases cross it.

What crosses the boundary, and every measure shown of it, is the answer of
:func:`corridors.query.crossing` (the package's one definition of crossing, with its
tolerance). For each case it returns, the part of the boundary inside the case (or, for
its lines, where they meet the boundary) is drawn in red over the boundary's thin dashed
line, in longitude/latitude (EPSG:4326) as the query package measures it, and the map
opens fitted to those parts.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from folium.map import Layer
from shapely.geometry.base import BaseGeometry

from .. import _geodesy as geo
from .. import schema
from ..query import DEFAULT_TOLERANCE_KM, Boundary, crossing, resolve_boundary
from ..query._antimeridian import split_antimeridian
from ..query._reference import split_dims
from ._elements import DataLayer
from ._encoding import text
from ._payload import as_frame, build_payload, count_cases, frame_bounds, regional_rows

__all__ = [
    "BORDER_SWATCH",
    "CROSSING_COLOR",
    "CROSSING_SWATCH",
    "HIGHLIGHT_COLOR",
    "add_highlight",
    "measure_labels",
]

# Yellow: apart from every colour of the atlas palette, and bright under the red marks.
HIGHLIGHT_COLOR: Final = "#ffd92f"
# Red for the crossing parts, apart from the palette and the yellow.
CROSSING_COLOR: Final = "#d62728"
# The boundary's line: the dark grey the atlas draws its "border" role in.
BORDER_COLOR: Final = "#222222"
# The legend draws a swatch's colour as its CSS background; these backgrounds show the
# symbols themselves: a yellow case outlined in black, a dashed dark line, a thick red
# line. Fixed strings, never built from data.
HIGHLIGHT_SWATCH: Final = (
    f"linear-gradient({HIGHLIGHT_COLOR},{HIGHLIGHT_COLOR}) 50% 50%/70% 60% no-repeat, #000"
)
BORDER_SWATCH: Final = (
    f"repeating-linear-gradient(90deg,{BORDER_COLOR} 0 4px,transparent 4px 7px) 0 50%/100% 2px "
    "no-repeat, #fff"
)
CROSSING_SWATCH: Final = (
    f"linear-gradient({CROSSING_COLOR},{CROSSING_COLOR}) 0 50%/100% 5px no-repeat, #fff"
)
# A regional or range-wide case (see REGIONAL_OUTLINE_KM) is highlighted as a dashed
# outline, not a yellow fill over a whole region, and the boundary inside it as a thin,
# half-transparent red line: a local case's own crossing stays the one that stands out.
REGIONAL_PART_STYLE: Final = {"weight": 2.5, "opacity": 0.55}
REGIONAL_CROSSING_SWATCH: Final = (
    f"linear-gradient({CROSSING_COLOR},{CROSSING_COLOR}) 0 50%/100% 2px no-repeat, #fff"
)
# The whole boundary is context under the red parts: thinner than the atlas's "border"
# role (2.5 px), so that the red inside the cases stands out.
BORDER_WEIGHT_PX: Final = 1.5
# The boundary and the marks are kept to 4 decimals of a degree (at most 11 m), finer
# than the 1 km the bundled boundaries are known to.
MARK_DIGITS: Final = 4
# The highlight's pane: above Leaflet's vector overlays (400), below markers (600).
HIGHLIGHT_PANE: Final = "caHighlight"
HIGHLIGHT_PANE_Z: Final = 450
# The map opens on the crossing parts with this much around them, so a crossing at one
# point or along a few hundred metres opens with the case around it in view (about zoom
# 9), not at the deepest zoom.
FIT_MARGIN_KM: Final = 25.0
# The atlas's legend fills the bottom-right corner (about 300 px of a 1,000-1,400 px
# wide window): the view also takes in this share of the parts' width to their east, so
# that, in a map as wide as it is high or wider, they open left of the legend, not under it.
LEGEND_ROOM_SHARE: Final = 0.4
# Columns of catalogue rows (the schema's case and feature fields, plus the two that
# corridors.load_cases derives per case); any other column of a highlighted frame is the
# query's explanation of the match and is shown in its popups.
CATALOGUE_COLUMNS: Final = frozenset(
    (*schema.CASE_FIELDS, *schema.FEATURE_FIELDS, "roles", "n_features", "geometry")
)
# The columns corridors.crossing adds (see "Result columns" in corridors.query): for a
# highlighted case they come from crossing's own answer, never from the result's copy.
CROSSING_COLUMNS: Final = (
    "boundary",
    "length_across_km",
    "share_inside",
    "area_inside_km2",
    "length_inside_km",
    "n_crossings",
    "severs",
    "matched_by",
)
# Column of the crossing parts saying whether their case is regional or range-wide.
REGIONAL_KEY: Final = "_regional"
# Text of a case the highlight's crossing test does not return.
NOT_CROSSING: Final = "no"
CASE_LABEL: Final = "Case"
CROSSES_LABEL: Final = "Crosses the boundary"


def _km(value: float) -> str:
    """A length in km to about three significant digits, whole km from 100 km."""
    digits = 0 if value >= 100 else 1 if value >= 10 else 2 if value > 0 else 0
    return f"{value:,.{digits}f}"


def _count(value: Any) -> str:
    return f"{int(value):,}"


def _yes_no(value: Any) -> str:
    return "yes" if bool(value) else "no"


def _percent(value: Any) -> str:
    return f"{100.0 * float(value):.1f} %"


def _shares(value: Any) -> str | None:
    if not isinstance(value, Mapping):
        return text(value)
    return ", ".join(f"{text(k)} {100.0 * float(v):.1f} %" for k, v in value.items())


# The query package's result columns, labelled in words with their units:
# column -> (label, formatter of a present value).
MEASURES: Final[dict[str, tuple[str, Callable[[Any], str | None]]]] = {
    "boundary": ("Boundary", text),
    "length_across_km": ("Length of boundary inside the case", lambda v: f"{_km(v)} km"),
    "share_inside": ("Share of the case inside", _percent),
    "area_inside_km2": ("Area of the case inside", lambda v: f"{_km(v)} km²"),
    "length_inside_km": ("Length of the case's lines inside", lambda v: f"{_km(v)} km"),
    "n_crossings": ("Crossings", _count),
    "severs": ("Severs the case", _yes_no),
    "matched_by": ("Matched because", text),
    "crosses": ("Crosses the line", _yes_no),
    "distance_km": ("Distance", lambda v: f"{_km(v)} km"),
    "n_countries": ("Number of countries", _count),
    "country_shares": ("Share in each country", _shares),
}


def _missing(value: Any) -> bool:
    """Whether a cell holds no value (None, NaN, pd.NA); lists and dicts are values."""
    if value is None or isinstance(value, Mapping | list | tuple | np.ndarray):
        return value is None
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def measure_labels(row: Mapping[Any, Any], columns: Sequence[str]) -> dict[str, str]:
    """A query result row's measures as ``{label in words: value with unit}``.

    Parameters
    ----------
    row : mapping
        One row of a query result (column -> value).
    columns : sequence of str
        The columns to show, in order; the query package's result columns get their
        labels and units (``length_across_km`` 1596.0 becomes "Length of boundary
        inside the case": "1,596 km"), any other column its name and value.

    Returns
    -------
    dict
        Label -> display text, missing values left out.
    """
    out: dict[str, str] = {}
    for col in columns:
        value = row.get(col)
        if _missing(value) or isinstance(value, BaseGeometry):
            continue
        label, fmt = MEASURES.get(col, (str(col), _plain))
        shown = fmt(value)
        if shown:
            out[label] = shown
    return out


def _plain(value: Any) -> str | None:
    """A value of a column the package does not know: numbers to 4 significant digits."""
    if isinstance(value, float | np.floating):
        return f"{float(value):.4g}" if math.isfinite(value) else None
    if isinstance(value, bool | np.bool_):
        return _yes_no(value)
    return text(value)


def add_highlight(
    m: folium.Map,
    result: Any,
    boundary: Any,
    name: str,
    *,
    tolerance_km: float = DEFAULT_TOLERANCE_KM,
) -> tuple[float, float, float, float] | None:
    """Draw a query result, and the boundary it was about with its crossings, on ``m``.

    Parameters
    ----------
    m : folium.Map
        The atlas.
    result : GeoDataFrame
        The highlighted cases, any CRS (drawn in EPSG:4326).
    boundary : anything :func:`corridors.query.resolve_boundary` accepts, or None
        The boundary the query was about; a shapely geometry is taken as lon/lat.
    name : str
        Name of the highlight layer (its legend entry).
    tolerance_km : float
        Tolerance of the crossing test (km).

    Returns
    -------
    tuple of float or None
        (west, south, east, north) in degrees to fit the map to: the crossing parts of
        the local cases (of every case when all are regional or range-wide) with
        :data:`FIT_MARGIN_KM` around them, else the cases ``crossing`` returned, else
        every highlighted case; None when there are none.

    Notes
    -----
    A highlighted case is shown as crossing only when :func:`corridors.query.crossing`
    returns it for ``boundary`` and ``tolerance_km``, and what its popups say (length of
    the boundary inside it, crossings, whether it is severed, why it matched) is that
    answer's row. Its crossing part is the boundary inside its polygons (the line, or
    an area's edge: what ``length_across_km`` measures), and where its lines meet the
    boundary, exactly and with edges straight in longitude/latitude as the query
    package measures. A case matched only for lying deep in both countries of a border
    has no part to draw; its popup says why it matched. Parts are drawn large cases
    first, so a small case's own crossing lies above that of a large case around it.
    Regional and range-wide cases (:data:`~corridors.maps.REGIONAL_OUTLINE_KM`) are
    drawn as dashed outlines and their parts as thin half-transparent red lines.
    """
    frame = as_frame(result, what="highlight")
    group = folium.FeatureGroup(name=html.escape(name), show=True)
    m.add_child(group)
    geoms = split_antimeridian(np.asarray(frame.geometry.array, dtype=object))
    # Large cases first: a small case drawn later lies above, visible and clickable.
    order = np.argsort(-geo.areas_km2(_present(geoms)), kind="stable")
    own = [c for c in frame.columns if c not in CATALOGUE_COLUMNS and c != frame.geometry.name]
    bnd = _resolve(boundary) if boundary is not None else None
    rows = _crossing_rows(geoms, bnd, tolerance_km) if bnd is not None else {}
    texts = [_case_texts(frame.iloc[i], own, rows.get(i), bnd) for i in range(len(frame))]
    fit = frame_bounds(frame)
    regional = regional_rows(frame)
    if len(frame):
        shown = _with_texts(frame, texts).iloc[order]
        # Regional and range-wide cases first, as dashed outlines under the others.
        for outline in (True, False):
            keep = regional[order] == outline
            if not keep.any():
                continue
            payload = build_payload(
                shown[keep],
                color=HIGHLIGHT_COLOR,
                popup=True,
                tooltip=True,
                precision=None,
                simplify_km="auto",
                roles=["highlight"] * int(keep.sum()),
                why_columns=_labels_of(texts),
                searchable=False,
            )
            payload["noFilter"] = True
            payload["pane"], payload["paneZ"] = HIGHLIGHT_PANE, HIGHLIGHT_PANE_Z
            if outline:
                payload["outline"] = True
            label = f"{name}: regional or range-wide (dashed)" if outline else name
            group.add_child(
                DataLayer(
                    payload,
                    name=label,
                    legend=(
                        label,
                        "#000" if outline else HIGHLIGHT_SWATCH,
                        count_cases(shown[keep]),
                    ),
                    bounds=frame_bounds(shown[keep]),
                )
            )
    if bnd is None:
        return fit
    _add_boundary(group, bnd, name)
    parts = _crossing_parts(frame, geoms, bnd, rows, texts, order, regional)
    if len(parts):
        wide = parts.pop(REGIONAL_KEY).to_numpy(dtype=bool)
        if wide.any():
            _add_parts(group, parts[wide], bnd, name, regional=True)
        if (~wide).any():
            _add_parts(group, parts[~wide], bnd, name)
        # The crossing places of the local cases: a range-wide case's part may be the
        # whole boundary, and would open the map on all of it.
        fit = _padded(frame_bounds(parts[~wide] if (~wide).any() else parts))
    elif rows:
        fit = frame_bounds(frame.iloc[sorted(rows)])
    for child in list(group._children.values()):
        if isinstance(child, Layer):
            child.control = False
    return fit


def _present(geoms: np.ndarray) -> np.ndarray:
    """The geometries with None for missing and empty ones (measured as nothing)."""
    out = geoms.copy()
    out[shapely.is_missing(out) | shapely.is_empty(out)] = None
    return out


def _resolve(value: Any) -> Boundary:
    """Resolve a boundary as the query functions do (a bare geometry taken as lon/lat)."""
    crs = "EPSG:4326" if isinstance(value, BaseGeometry) else None
    return resolve_boundary(value, crs=crs)


def _crossing_rows(
    geoms: np.ndarray, bnd: Boundary, tolerance_km: float
) -> dict[int, list[dict[str, Any]]]:
    """:func:`corridors.query.crossing`'s rows for each highlighted row it returns, by
    position (several when a case crosses several areas of the boundary)."""
    # Asked by position: the highlighted frame's index need not be unique.
    probe = gpd.GeoDataFrame(geometry=list(_present(geoms)), crs="EPSG:4326")
    hits = crossing(probe, bnd, tolerance_km=tolerance_km)
    out: dict[int, list[dict[str, Any]]] = {}
    for pos, row in zip(hits.index.tolist(), hits.to_dict("records"), strict=True):
        out.setdefault(int(pos), []).append(row)
    return out


def _case_texts(
    row: pd.Series,
    own: Sequence[str],
    hits: Sequence[Mapping[Any, Any]] | None,
    bnd: Boundary | None,
) -> dict[str, str]:
    """What a highlighted case's popup says of the match, label -> text.

    With a boundary, the crossing measures are ``crossing``'s rows for the case (joined
    with " / " when it crosses several areas), and a case it does not return says so;
    the result's other columns (a distance, say) follow, labelled.
    """
    data = row.to_dict()
    if bnd is None:
        return measure_labels(data, own)
    out: dict[str, str] = {}
    if hits:
        for hit in hits:
            for label, value in measure_labels(hit, CROSSING_COLUMNS).items():
                out[label] = f"{out[label]} / {value}" if label in out else value
    else:
        out[CROSSES_LABEL] = NOT_CROSSING
    out.update(measure_labels(data, [c for c in own if c not in CROSSING_COLUMNS]))
    return out


def _labels_of(texts: Sequence[Mapping[str, str]]) -> list[str]:
    """Every label of the rows' texts, in the order they first appear."""
    return list(dict.fromkeys(label for t in texts for label in t))


def _with_texts(frame: gpd.GeoDataFrame, texts: Sequence[Mapping[str, str]]) -> gpd.GeoDataFrame:
    """The catalogue columns of ``frame`` and one column per label of ``texts``.

    The popup shows each label column as "label: text"; the frame's own explanation
    columns are left out, as ``texts`` say them in words.
    """
    keep = [c for c in frame.columns if c in CATALOGUE_COLUMNS or c == frame.geometry.name]
    out = frame[keep].copy()
    for label in _labels_of(texts):
        out[label] = [t.get(label) for t in texts]
    return gpd.GeoDataFrame(out, geometry=frame.geometry.name, crs="EPSG:4326")


def _edges(bnd: Boundary) -> np.ndarray:
    """The boundary as lines: a linear boundary's lines, an areal one's edges."""
    if bnd.kind == "linear":
        return np.asarray(bnd.geoms, dtype=object)
    return np.asarray(shapely.boundary(bnd.geoms), dtype=object)


def _add_boundary(group: folium.FeatureGroup, bnd: Boundary, name: str) -> None:
    """The whole boundary, a thin dashed line under the crossing parts."""
    line = shapely.union_all(_edges(bnd))
    label = f"{bnd.name} boundary (dashed line)"
    frame = gpd.GeoDataFrame({"name": [label]}, geometry=[line], crs="EPSG:4326")
    payload = build_payload(
        frame,
        color=BORDER_COLOR,
        popup=False,
        tooltip="name",
        precision=MARK_DIGITS,
        simplify_km=None,
        roles=["border"],
        style={"weight": BORDER_WEIGHT_PX},
        searchable=False,
    )
    payload["pane"], payload["paneZ"] = HIGHLIGHT_PANE, HIGHLIGHT_PANE_Z
    # No bounds: the atlas's "fit all" view stays the cases'.
    group.add_child(DataLayer(payload, name=f"{name}: boundary", legend=(label, BORDER_SWATCH, 1)))


def _crossing_parts(
    frame: gpd.GeoDataFrame,
    geoms: np.ndarray,
    bnd: Boundary,
    rows: Mapping[int, list[dict[str, Any]]],
    texts: Sequence[Mapping[str, str]],
    order: np.ndarray,
    regional: np.ndarray,
) -> gpd.GeoDataFrame:
    """Per case ``crossing`` returned, the part of the boundary inside it (and where its
    lines meet the boundary), in drawing order, with the case's name and measures and
    whether the case is regional or range-wide (column :data:`REGIONAL_KEY`)."""
    edges = _edges(bnd)
    names = frame["name"].tolist() if "name" in frame.columns else [None] * len(frame)
    records: list[dict[str, Any]] = []
    for i in order.tolist():
        if i not in rows or geoms[i] is None or shapely.is_empty(geoms[i]):
            continue
        targets = _targets(edges, bnd, rows[i])
        one = np.empty(1, dtype=object)
        one[0] = geoms[i]
        polys, lines = split_dims(one)
        pieces = [shapely.intersection(targets, g) for g in (polys[0], lines[0]) if g is not None]
        part = shapely.union_all(pieces) if pieces else None
        if part is None or part.is_empty:
            continue
        record: dict[str, Any] = {CASE_LABEL: text(names[i]) or f"row {i + 1}"}
        record.update(texts[i])
        record[REGIONAL_KEY] = bool(regional[i])
        record["geometry"] = part
        records.append(record)
    labels = _labels_of([texts[i] for i in order.tolist() if i in rows])
    columns = [CASE_LABEL, *labels, REGIONAL_KEY, "geometry"]
    return gpd.GeoDataFrame(
        pd.DataFrame(records, columns=columns), geometry="geometry", crs="EPSG:4326"
    )


def _targets(edges: np.ndarray, bnd: Boundary, hits: list[dict[str, Any]]) -> BaseGeometry:
    """The lines of the boundary a case crossed: every line of a linear boundary (one
    network), the edges of the areas named in ``crossing``'s rows of an areal one."""
    if bnd.kind == "areal":
        crossed = {text(h.get("boundary")) for h in hits}
        chosen = [e for e, lab in zip(edges, bnd.labels, strict=True) if lab in crossed]
        if chosen:
            return shapely.union_all(chosen)
    return shapely.union_all(edges)


def _add_parts(
    group: folium.FeatureGroup,
    parts: gpd.GeoDataFrame,
    bnd: Boundary,
    name: str,
    *,
    regional: bool = False,
) -> None:
    """The crossing parts in red, each with its case's name and measures (thin and
    half-transparent for regional and range-wide cases)."""
    fields = [c for c in parts.columns if c != "geometry"]
    payload = build_payload(
        parts,
        color=CROSSING_COLOR,
        popup=fields,
        tooltip=CASE_LABEL,
        precision=MARK_DIGITS,
        simplify_km=None,
        roles=["crossing"] * len(parts),
        style=dict(REGIONAL_PART_STYLE) if regional else None,
        searchable=False,
    )
    payload["pane"], payload["paneZ"] = HIGHLIGHT_PANE, HIGHLIGHT_PANE_Z
    if regional:
        label = f"{bnd.name} inside a regional or range-wide case (thin red)"
        swatch, layer = REGIONAL_CROSSING_SWATCH, f"{name}: regional crossings"
    else:
        label = f"{bnd.name} inside a crossing case (red)"
        swatch, layer = CROSSING_SWATCH, f"{name}: crossings"
    group.add_child(DataLayer(payload, name=layer, legend=(label, swatch, len(parts))))


def _padded(
    box: tuple[float, float, float, float] | None,
) -> tuple[float, float, float, float] | None:
    """``box`` with :data:`FIT_MARGIN_KM` around it and :data:`LEGEND_ROOM_SHARE` of its
    width more to the east, within longitude/latitude ranges."""
    if box is None:
        return None
    west, south, east, north = box
    dlon, dlat = geo.degree_margin(FIT_MARGIN_KM, max(abs(south), abs(north)))
    west, east = west - float(dlon), east + float(dlon)
    east += LEGEND_ROOM_SHARE * (east - west)
    return (max(west, -180.0), max(south - dlat, -90.0), min(east, 180.0), min(north + dlat, 90.0))
