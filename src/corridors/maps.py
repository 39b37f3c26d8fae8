"""Layered interactive atlas maps of the catalogue (Leaflet, through folium).

:func:`build_map` draws every feature of the catalogue, one toggleable layer per
category (realm by default), styled by role, with a country-boundary layer, an optional
highlighted query result, basemaps, a legend, search, a facet filter and map tools.
:func:`add_layer` adds further data to such a map (or any folium map), in the manner of
``GeoDataFrame.explore(m=...)``. :func:`add_raster_layer` draws a grid of values (a
current map, say) as a coloured overlay with a legend, and :func:`add_omniscape_layers`
the maps of an Omniscape run. :func:`save_map` writes a byte-stable HTML file, which
with ``offline=True`` is a single self-contained file that opens with no network.

Safety: text from data never reaches the page as HTML. It is embedded as escaped JSON
and put into the page by the atlas runtime with ``textContent``; layer names shown in
Leaflet's layer control are HTML-escaped; links must be http(s).
"""

from __future__ import annotations

import html
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import xyzservices
from branca.element import CssLink, Element, Figure, JavascriptLink, MacroElement
from folium.elements import JSCSSMixin
from folium.map import Layer
from folium.template import Template
from shapely.geometry.base import BaseGeometry

from . import _maps_assets as assets
from ._io import atomic_write_text
from ._maps_encode import (
    DEFAULT_DIGITS,
    digits_for_uncertainty,
    encode_geometry,
    js_json,
    safe_url,
    simplify,
    text,
)
from .errors import CRSError, InputError

__all__ = [
    "DEFAULT_TILES",
    "PALETTE",
    "add_layer",
    "add_omniscape_layers",
    "add_raster_layer",
    "build_map",
    "map_html",
    "save_map",
]

# Okabe & Ito's palette, distinguishable with every common colour-vision deficiency.
# Yellow comes late because thin yellow lines are hard to see on light basemaps.
PALETTE = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#D55E00",
    "#CC79A7",
    "#56B4E9",
    "#F0E442",
    "#000000",
)
MISSING_COLOR = "#999999"
MISSING_LABEL = "unspecified"
HIGHLIGHT_COLOR = "#ffd92f"

# Basemaps from xyzservices: (provider name, label in the layer control).
DEFAULT_TILES: tuple[tuple[str, str], ...] = (
    ("Esri.WorldGrayCanvas", "Light grey (Esri)"),
    ("OpenStreetMap.Mapnik", "OpenStreetMap"),
    ("Esri.WorldImagery", "Satellite (Esri)"),
    ("OpenTopoMap", "Topographic (OpenTopoMap)"),
)
OFFLINE_BASEMAP_NAME = "Offline basemap (country outlines)"
BOUNDARY_LAYER_NAME = "Country boundaries"

# Country outlines are simplified to ~1.5 km (expressed in degrees of latitude, which is
# conservative in longitude) and kept to 0.01 degree: invisible below zoom 7 and a
# fraction of the bundled 1:10m file. Neighbours are simplified separately, so shared
# borders may show slivers when zoomed far in.
BOUNDARY_SIMPLIFY_KM = 1.5
BOUNDARY_DIGITS = 2

# Layers with more sites than this cluster them; beyond this many features the map
# draws on a canvas instead of creating one SVG element per feature.
CLUSTER_THRESHOLD = 150
CANVAS_THRESHOLD = 3000

ROLES = ("area", "route", "barrier", "infrastructure", "site")
_CASE_HINTS = ("name", "summary", "realm", "species", "countries")
_FACETS = [
    ["realm", "Realm", "realm"],
    ["taxon", "Taxon", "taxon"],
    ["countries", "Country", "country"],
]

SimplifyArg = float | Literal["auto"] | None


# =========================================================================== elements


_FIGURE_TEMPLATE = Template(
    """<!DOCTYPE html>
<html lang="{{ this.lang|e }}">
<head>
<meta charset="utf-8">
<title>{{ this.title|e }}</title>
{{ this.header.render(**kwargs) }}
</head>
<body>
{{ this.html.render(**kwargs) }}
<script>
{{ this.script.render(**kwargs) }}
</script>
</body>
</html>
"""
)


class _AtlasMap(folium.Map):
    """A folium Map with an accessible page, stable control order and safe display.

    Differences from :class:`folium.Map`: the viewport lets readers zoom the page, only
    Leaflet is loaded (no jQuery, Bootstrap or Font Awesome unless an added folium
    element needs them), layer and atlas controls are always rendered after every
    layer (so layers added later, e.g. by ``explore(m=...)``, are listed), and offline
    maps display inlined in Jupyter too.
    """

    _template = Template(
        """
{% macro header(this, kwargs) %}
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
html, body { width: 100%; height: 100%; margin: 0; padding: 0; }
#{{ this.get_name() }} {
  position: {{ this.position }}; width: {{ this.width[0] }}{{ this.width[1] }};
  height: {{ this.height[0] }}{{ this.height[1] }}; left: {{ this.left[0] }}{{ this.left[1] }};
  top: {{ this.top[0] }}{{ this.top[1] }};
}
.leaflet-container { font-size: {{ this.font_size }}; }
</style>
{% endmacro %}
{% macro html(this, kwargs) %}
<div class="folium-map" id={{ this.get_name()|tojson }}></div>
{% endmacro %}
{% macro script(this, kwargs) %}
var {{ this.get_name() }} = L.map({{ this.get_name()|tojson }}, {
  center: {{ this.location|tojson }}, crs: L.CRS.{{ this.crs }},
  ...{{ this.options|tojavascript }}
});
{%- if this.control_scale %}
L.control.scale().addTo({{ this.get_name() }});
{%- endif %}
{%- if this.zoom_control_position %}
L.control.zoom({position: {{ this.zoom_control|tojson }}}).addTo({{ this.get_name() }});
{%- endif %}
{%- if this.objects_to_stay_in_front %}
(function () {
  function front() {
    {%- for obj in this.objects_to_stay_in_front %}
    {{ obj.get_name() }}.bringToFront();
    {%- endfor %}
  }
  {{ this.get_name() }}.on("overlayadd", front);
  setTimeout(front, 0);
})();
{%- endif %}
{% endmacro %}
"""
    )

    offline: bool = False

    def render(self, **kwargs: Any) -> None:  # type: ignore[override]
        # Controls list the layers that exist when they run, so they go last.
        for key, child in list(self._children.items()):
            if isinstance(child, folium.LayerControl | _Controls):
                self._children.move_to_end(key)
        figure = self.get_root()
        if isinstance(figure, Figure):
            figure.header.add_child(
                Element(assets.style_tag(assets.static_text("atlas.css"))), name="corridors_css"
            )
            figure.header.add_child(
                Element(assets.script_tag(assets.static_text("atlas.js"))), name="corridors_js"
            )
        super().render(**kwargs)

    def _repr_html_(self, **kwargs: Any) -> str:
        page = map_html(self)
        title = html.escape(getattr(self.get_root(), "title", None) or "Map")
        return (
            f'<iframe srcdoc="{html.escape(page)}" title="{title}" '
            'style="width:100%;height:520px;border:0" '
            'allowfullscreen loading="lazy"></iframe>'
        )


class _SharedData(MacroElement):
    """A JavaScript variable holding layer data that several layers draw."""

    _template = Template(
        """{% macro script(this, kwargs) %}
var {{ this.get_name() }} = {{ this.payload }};
{% endmacro %}"""
    )

    def __init__(self, payload: dict[str, Any]) -> None:
        super().__init__()
        self._name = "corridors_data"
        self.payload = js_json(payload)


class _DataLayer(JSCSSMixin, Layer):
    """A layer drawn by the atlas runtime from compact, escaped JSON."""

    _template = Template(
        """{% macro script(this, kwargs) %}
var {{ this.get_name() }} = corridorsAtlas.layer(
  {% if this.shared %}Object.assign({}, {{ this.shared.get_name() }}, {{ this.options_json }})
  {%- else %}{{ this.payload }}{% endif %}, {{ this.map_name() }});
{% endmacro %}"""
    )

    def __init__(
        self,
        payload: dict[str, Any] | None,
        *,
        name: str,
        overlay: bool = True,
        show: bool = True,
        shared: _SharedData | None = None,
        options: dict[str, Any] | None = None,
        legend: tuple[str, str, int] | None = None,
        bounds: tuple[float, float, float, float] | None = None,
        cluster: bool = False,
    ) -> None:
        # Leaflet's layer control writes names with innerHTML: escape them.
        super().__init__(name=html.escape(name), overlay=overlay, control=True, show=show)
        self._name = "corridors_layer"
        self.payload = js_json(payload) if payload is not None else ""
        self.shared = shared
        self.options_json = js_json(options or {})
        self.legend = legend
        self.bounds = bounds
        if cluster:
            js, css = assets.cluster_links()
            self.default_js = js
            self.default_css = css
        else:
            self.default_js = []
            self.default_css = []

    def map_name(self) -> str:
        node: Any = self._parent
        while node is not None and not isinstance(node, folium.Map):
            node = getattr(node, "_parent", None)
        return node.get_name() if node is not None else "null"


class _Controls(MacroElement):
    """Legend, search, facet filter and map tools of the atlas (``atlas.js``)."""

    _template = Template(
        """{% macro script(this, kwargs) %}
corridorsAtlas.controls({{ this._parent.get_name() }}, {{ this.js_config() }});
{% endmacro %}"""
    )

    def __init__(
        self,
        *,
        legend_title: str,
        roles: Sequence[str],
        label: str,
        search: bool = True,
        facets: bool = True,
    ) -> None:
        super().__init__()
        self._name = "corridors_controls"
        self.legend_title = legend_title
        self.roles = list(roles)
        self.label = label
        self.search = search
        self.facets = facets

    def _layers(self) -> list[_DataLayer]:
        out: list[_DataLayer] = []

        def walk(node: Element) -> None:
            for child in node._children.values():
                if isinstance(child, _DataLayer):
                    out.append(child)
                walk(child)

        if self._parent is not None:
            walk(self._parent)
        return out

    def js_config(self) -> str:
        layers = self._layers()
        entries = []
        for layer in layers:
            if layer.legend is None:
                continue
            label, color, count = layer.legend
            entries.append(
                f"{{label:{js_json(label)},color:{js_json(color)},"
                f"count:{int(count)},layer:{layer.get_name()}}}"
            )
        boxes = [layer.bounds for layer in layers if layer.bounds and layer.legend is not None]
        bounds = _leaflet_bounds(boxes) if boxes else None
        config = {
            "bounds": bounds,
            "label": self.label,
            "search": self.search,
            "facets": _FACETS if self.facets else [],
        }
        legend = (
            f"{{title:{js_json(self.legend_title)},roles:{js_json(self.roles)},"
            f"entries:[{','.join(entries)}]}}"
        )
        return js_json(config)[:-1] + ",legend:" + legend + "}"


# ============================================================================ helpers


def _leaflet_bounds(boxes: Iterable[tuple[float, float, float, float]]) -> list[list[float]]:
    arr = np.array(list(boxes), dtype=float)
    minx, miny = np.nanmin(arr[:, 0]), np.nanmin(arr[:, 1])
    maxx, maxy = np.nanmax(arr[:, 2]), np.nanmax(arr[:, 3])
    return [
        [round(float(miny), 4), round(float(minx), 4)],
        [round(float(maxy), 4), round(float(maxx), 4)],
    ]


def _as_frame(data: Any, *, what: str) -> gpd.GeoDataFrame:
    """Return ``data`` as a GeoDataFrame in EPSG:4326, or raise InputError."""
    from .crs import ensure_crs

    if isinstance(data, str | os.PathLike):
        from .catalogue import load_features

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
    return "name" in frame.columns and sum(c in frame.columns for c in _CASE_HINTS) >= 3


def _infer_role(geom: BaseGeometry | None) -> str:
    if geom is None or geom.is_empty:
        return "area"
    kind = geom.geom_type
    if kind in ("Point", "MultiPoint"):
        return "site"
    if kind in ("LineString", "MultiLineString", "LinearRing"):
        return "route"
    return "area"


def _roles(frame: gpd.GeoDataFrame) -> list[str]:
    geoms = frame.geometry.array
    if "role" in frame.columns:
        raw = frame["role"].tolist()
        return [
            str(r) if isinstance(r, str) and r in ROLES else _infer_role(g)
            for r, g in zip(raw, geoms, strict=True)
        ]
    return [_infer_role(g) for g in geoms]


def _case_keys(frame: gpd.GeoDataFrame) -> list[str]:
    if "case_id" in frame.columns:
        return [str(v) for v in frame["case_id"].tolist()]
    if frame.index.name == "id" or not isinstance(frame.index, pd.RangeIndex):
        return [str(v) for v in frame.index.tolist()]
    return [f"row-{i}" for i in range(len(frame))]


def _species(value: Any) -> list[Any]:
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
    if isinstance(value, list | tuple | np.ndarray):
        return [t for t in (text(v) for v in value) if t]
    t = text(value)
    return [t] if t else []


def _number(value: Any) -> float | None:
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return round(f, 3) if np.isfinite(f) else None


def _case_record(row: Mapping[str, Any], key: str) -> dict[str, Any]:
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
        "source": text(row.get("source_title")) or text(row.get("source")),
        "url": safe_url(row.get("source_url")),
        "uncertainty": _number(row.get("uncertainty_km")),
    }
    return {k: v for k, v in record.items() if v not in (None, [], "")}


def _why(row: Mapping[str, Any], columns: Sequence[str]) -> str | None:
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


def _digits(frame: gpd.GeoDataFrame, precision: int | None) -> list[int]:
    if precision is not None:
        if not isinstance(precision, int | np.integer) or not 0 <= int(precision) <= 6:
            raise InputError(
                f"precision must be an integer from 0 to 6 decimals, not {precision!r}"
            )
        return [int(precision)] * len(frame)
    if "uncertainty_km" not in frame.columns:
        return [DEFAULT_DIGITS] * len(frame)
    return [digits_for_uncertainty(u) for u in frame["uncertainty_km"].tolist()]


def _tolerances(frame: gpd.GeoDataFrame, simplify_km: SimplifyArg) -> list[float | None]:
    if simplify_km is None:
        return [None] * len(frame)
    if simplify_km == "auto":
        # A feature known to +-u km gains nothing from vertices closer than u/4.
        if "uncertainty_km" not in frame.columns:
            return [None] * len(frame)
        out: list[float | None] = []
        for u in frame["uncertainty_km"].tolist():
            f = _number(u)
            out.append(f / 4.0 if f and f > 0 else None)
        return out
    try:
        value = float(simplify_km)
    except (TypeError, ValueError):
        value = -1.0
    if not np.isfinite(value) or value < 0:
        raise InputError(
            f"simplify_km must be 'auto', None or a distance >= 0, not {simplify_km!r}"
        )
    return [value] * len(frame)


def _payload(
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
    roles = roles if roles is not None else _roles(frame)
    role_names = sorted(set(roles))
    role_index = {r: i for i, r in enumerate(role_names)}
    digits = _digits(frame, precision)
    tolerances = _tolerances(frame, simplify_km)
    geoms = frame.geometry.array
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
        geom = simplify(geom, tolerances[i])
        encoded = encode_geometry(geom, digits[i])
        if not encoded:
            continue
        if as_case:
            rec = seen[keys[i]]
            extra: Any = {
                "f": text(row.get("feature_name")),
                "r": roles[i] if "role" in row else None,
                "u": _number(row.get("uncertainty_km")),
                "m": text(row.get("georef_method")),
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


def _cell(value: Any) -> Any:
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


def _bounds(frame: gpd.GeoDataFrame) -> tuple[float, float, float, float] | None:
    geoms = frame.geometry
    geoms = geoms[~(geoms.isna() | geoms.is_empty)]
    if geoms.empty:
        return None
    b = geoms.total_bounds
    return (float(b[0]), float(b[1]), float(b[2]), float(b[3]))


def _category_labels(frame: gpd.GeoDataFrame, layer_by: str, roles: list[str]) -> list[str]:
    if layer_by == "role":
        return list(roles)
    if layer_by not in frame.columns:
        raise InputError(
            f"cannot layer by {layer_by!r}: no such column; use realm, taxon, scale, role "
            "or another column of the data"
        )
    out = []
    for value in frame[layer_by].tolist():
        t = text(value)
        out.append(t if t else MISSING_LABEL)
    return out


def _pretty(label: str) -> str:
    return label[:1].upper() + label[1:] if label else label


def _map_of(m: Any) -> folium.Map:
    if not isinstance(m, folium.Map):
        raise InputError(f"m must be a folium.Map (e.g. from build_map), not {type(m).__name__}")
    return m


def _count_cases(frame: gpd.GeoDataFrame) -> int:
    return len(set(_case_keys(frame))) if len(frame) else 0


# ================================================================================ API


def add_layer(
    m: folium.Map,
    data: gpd.GeoDataFrame | gpd.GeoSeries | BaseGeometry | str | os.PathLike[str],
    *,
    name: str | None = None,
    color: str | None = None,
    popup: bool | Sequence[str] = True,
    tooltip: bool | str = True,
    show: bool = True,
    legend: bool = True,
    style: Mapping[str, Any] | None = None,
    cluster: bool | None = None,
    precision: int | None = None,
    simplify_km: SimplifyArg = "auto",
) -> folium.Map:
    """Add a layer of geometries to a map, like ``GeoDataFrame.explore(m=m)``.

    Parameters
    ----------
    m : folium.Map
        The map, usually from :func:`build_map`; any folium map works.
    data : GeoDataFrame, GeoSeries, shapely geometry or path
        What to draw; any CRS (reprojected to EPSG:4326). A path is read as a catalogue
        with :func:`corridors.load_features`. Rows in the catalogue schema (``name``,
        ``summary``, ``realm``, ...) get the atlas popup and join search and the facet
        filter; other data gets a table of its columns.
    name : str, optional
        Name in the layer control and legend (default: "Layer N").
    color : str, optional
        CSS colour; by default the next colour of :data:`PALETTE`.
    popup : bool or list of str
        Show a popup on click: True for every column (or the atlas popup for catalogue
        rows), a list of columns, or False.
    tooltip : bool or str
        Hover label: a column, True to use ``name`` (or ``feature_name``, ``title``,
        ``label``, ``id``) when present, or False.
    show : bool
        Whether the layer is on when the map opens.
    legend : bool
        Whether the layer gets an entry in the atlas legend.
    style : mapping, optional
        Leaflet path options overriding the role styles (e.g. ``{"weight": 1}``).
    cluster : bool, optional
        Cluster point sites; by default when there are more than 150.
    precision : int, optional
        Decimals of a degree kept (0-6); by default from ``uncertainty_km`` (at most 6,
        a tenth of the uncertainty) or 5 decimals (~1 m) when there is none.
    simplify_km : float, "auto" or None
        Simplification tolerance for lines and polygons; "auto" uses a quarter of each
        feature's ``uncertainty_km`` and leaves features without one alone.

    Returns
    -------
    folium.Map
        ``m``, so calls can be chained.

    Raises
    ------
    InputError
        If ``data`` is not geodata, or a named column does not exist.
    CRSError
        If ``data`` has no CRS.

    Notes
    -----
    Features are styled by their ``role`` column (area, route, barrier, infrastructure,
    site) or, without one, by geometry type (polygons as areas, lines as routes, points
    as sites). Text from the data is never interpreted as HTML.
    """
    m = _map_of(m)
    frame = _as_frame(data, what="data")
    existing = [c for c in m._children.values() if isinstance(c, _DataLayer) and c.legend]
    if color is None:
        color = PALETTE[len(existing) % len(PALETTE)]
    label = name if name is not None else f"Layer {len(existing) + 1}"
    roles = _roles(frame)
    n_sites = sum(
        1 for r, g in zip(roles, frame.geometry.array, strict=True) if _infer_role(g) == "site"
    )
    use_cluster = cluster if cluster is not None else n_sites > CLUSTER_THRESHOLD
    payload = _payload(
        frame,
        color=color,
        popup=popup,
        tooltip=tooltip,
        precision=precision,
        simplify_km=simplify_km,
        roles=roles,
        cluster=1 if use_cluster else 0,
        style=style,
    )
    layer = _DataLayer(
        payload,
        name=label,
        show=show,
        legend=(label, color, _count_cases(frame)) if legend else None,
        bounds=_bounds(frame),
        cluster=use_cluster,
    )
    m.add_child(layer)
    return m


def build_map(
    cases: gpd.GeoDataFrame | str | os.PathLike[str] | None = None,
    *,
    layer_by: str = "realm",
    boundaries: str | gpd.GeoDataFrame | None = "countries",
    highlight: gpd.GeoDataFrame | None = None,
    highlight_boundary: Any = None,
    highlight_name: str = "Query result",
    tiles: Sequence[str | tuple[str, str] | xyzservices.TileProvider] | None = DEFAULT_TILES,
    offline: bool = False,
    title: str = "corridors atlas",
    precision: int | None = None,
    simplify_km: SimplifyArg = "auto",
    renderer: Literal["auto", "svg", "canvas"] = "auto",
) -> folium.Map:
    """Build the layered interactive atlas of connectivity cases.

    Parameters
    ----------
    cases : GeoDataFrame or path, optional
        Features to draw, by default the bundled catalogue's
        (:func:`corridors.load_features`). A frame from :func:`corridors.load_cases`
        works too (parts are then styled by geometry type); so does any GeoDataFrame.
    layer_by : str
        One toggleable layer per value of this column: ``"realm"`` (default),
        ``"taxon"``, ``"scale"``, ``"role"`` or any other column.
    boundaries : "countries", GeoDataFrame or None
        Boundary layer (off when the map opens): the bundled country polygons,
        your own polygons, or none.
    highlight : GeoDataFrame, optional
        A query result to highlight in its own layer, e.g.
        ``corridors.crossing(cases, border)``; the map opens fitted to it. Columns
        outside the catalogue schema are shown in its popups as the query's explanation.
    highlight_boundary : geometry, GeoSeries, GeoDataFrame or str, optional
        The boundary the query was about; it is drawn, and where highlighted features
        cross it is marked in red. A string is resolved like ``"TKM-UZB"`` or ``"KEN"``.
    highlight_name : str
        Name of the highlight layer.
    tiles : sequence or None
        Online basemaps: xyzservices providers or names, optionally as
        ``(name, label)`` pairs. The first is shown. Ignored when ``offline``.
    offline : bool
        Draw on the offline basemap (the bundled country polygons) with no tiles, and
        make :func:`save_map` inline every asset: the file then needs no network.
    title : str
        Page title.
    precision, simplify_km
        As for :func:`add_layer`.
    renderer : "auto", "svg" or "canvas"
        Canvas draws many features faster; "auto" uses it beyond 3,000 features.

    Returns
    -------
    folium.Map
        The map; it displays inline in Jupyter, and :func:`add_layer` and
        ``GeoDataFrame.explore(m=...)`` add to it.

    Raises
    ------
    InputError
        For an unknown ``layer_by`` column or wrong argument types.
    """
    if cases is None:
        from .catalogue import load_features

        frame = load_features()
    else:
        frame = _as_frame(cases, what="cases")
    if renderer not in ("auto", "svg", "canvas"):
        raise InputError(f"renderer must be 'auto', 'svg' or 'canvas', not {renderer!r}")
    canvas = renderer == "canvas" or (renderer == "auto" and len(frame) > CANVAS_THRESHOLD)

    m = _AtlasMap(
        location=None,
        tiles=None,
        control_scale=True,
        prefer_canvas=canvas,
        world_copy_jump=True,
        zoom_control=True,
    )
    m.offline = bool(offline)
    js, css = assets.leaflet_links()
    m.default_js = js
    m.default_css = css
    figure: Any = m.get_root()
    figure._template = _FIGURE_TEMPLATE
    figure.title = title
    figure.lang = "en"

    # Basemaps.
    need_countries = offline or boundaries is not None
    countries = _countries_frame(boundaries) if need_countries else None
    shared = None
    if countries is not None:
        shared = _SharedData(_boundary_payload(countries))
        m.add_child(shared)
    if not offline:
        for i, tile in enumerate(tiles or ()):
            _add_tiles(m, tile, show=i == 0)
    if shared is not None and (offline or boundaries is not None):
        basemap = _DataLayer(
            None,
            name=OFFLINE_BASEMAP_NAME,
            overlay=False,
            show=offline or not tiles,
            shared=shared,
            options={
                "forceRole": "basemap",
                "interactive": False,
                "pane": "caBasemap",
                "paneZ": 250,
                "sea": True,
            },
        )
        m.add_child(basemap)

    # One layer per category, features styled by role.
    roles = _roles(frame)
    labels = _category_labels(frame, layer_by, roles)
    categories = sorted(set(labels), key=lambda s: (s == MISSING_LABEL, s.lower(), s))
    colors = {}
    for i, cat in enumerate(c for c in categories if c != MISSING_LABEL):
        colors[cat] = PALETTE[i % len(PALETTE)]
    colors[MISSING_LABEL] = MISSING_COLOR
    label_arr = np.array(labels, dtype=object)
    for cat in categories:
        mask = label_arr == cat
        part = frame.loc[mask]
        part_roles = [r for r, keep in zip(roles, mask, strict=True) if keep]
        n_sites = sum(1 for r in part_roles if r == "site")
        use_cluster = n_sites > CLUSTER_THRESHOLD
        payload = _payload(
            part,
            color=colors[cat],
            popup=True,
            tooltip=True,
            precision=precision,
            simplify_km=simplify_km,
            roles=part_roles,
            cluster=1 if use_cluster else 0,
        )
        m.add_child(
            _DataLayer(
                payload,
                name=_pretty(cat),
                legend=(_pretty(cat), colors[cat], _count_cases(part)),
                bounds=_bounds(part),
                cluster=use_cluster,
            )
        )

    if boundaries is not None and shared is not None:
        m.add_child(
            _DataLayer(
                None,
                name=BOUNDARY_LAYER_NAME,
                show=False,
                shared=shared,
                options={"forceRole": "boundary", "searchable": False},
            )
        )

    fit = _bounds(frame)
    if highlight is not None:
        fit = _add_highlight(m, highlight, highlight_boundary, highlight_name) or fit
    elif highlight_boundary is not None:
        raise InputError("highlight_boundary needs highlight (the query result) too")
    if fit is not None:
        m.fit_bounds(_leaflet_bounds([fit]), padding=(20, 20))

    m.add_child(
        _Controls(
            legend_title=_pretty(layer_by.replace("_", " ")),
            roles=[r for r in ROLES if r in set(roles)],
            label=title,
        )
    )
    m.add_child(folium.LayerControl(collapsed=True), name="layer_control")
    return m


def _add_tiles(m: folium.Map, tile: Any, *, show: bool) -> None:
    label = None
    if isinstance(tile, tuple):
        tile, label = tile
    if isinstance(tile, str):
        try:
            provider = xyzservices.providers.query_name(tile)
        except ValueError as exc:
            raise InputError(f"unknown basemap {tile!r}; use an xyzservices provider name") from exc
    elif isinstance(tile, xyzservices.TileProvider):
        provider = tile
    else:
        raise InputError(f"tiles must be xyzservices providers or names, not {tile!r}")
    name = label or provider.name
    layer = folium.TileLayer(tiles=provider, name=html.escape(name), show=show, overlay=False)
    m.add_child(layer)


def _countries_frame(boundaries: Any) -> gpd.GeoDataFrame:
    if isinstance(boundaries, gpd.GeoDataFrame):
        return _as_frame(boundaries, what="boundaries")
    from .boundaries import load_boundaries

    return load_boundaries("countries" if boundaries is None else boundaries)


def _boundary_payload(frame: gpd.GeoDataFrame) -> dict[str, Any]:
    tip = "name" if "name" in frame.columns else None
    shown = frame[[tip, frame.geometry.name]] if tip else frame[[frame.geometry.name]]
    shown = gpd.GeoDataFrame(shown, geometry=frame.geometry.name, crs=frame.crs)
    return _payload(
        shown,
        color="#444444",
        popup=False,
        tooltip=tip or False,
        precision=BOUNDARY_DIGITS,
        simplify_km=BOUNDARY_SIMPLIFY_KM,
        roles=["boundary"] * len(shown),
        searchable=False,
    )


def _resolve_boundary(value: Any) -> tuple[gpd.GeoDataFrame, str]:
    """Resolve a boundary as the query functions do; return it as a frame and a name."""
    from .query import resolve_boundary

    crs = "EPSG:4326" if isinstance(value, BaseGeometry) else None
    bnd = resolve_boundary(value, crs=crs)
    frame = gpd.GeoDataFrame({"name": list(bnd.labels)}, geometry=list(bnd.geoms), crs="EPSG:4326")
    return frame, str(bnd.name)


def _add_highlight(
    m: folium.Map, result: Any, boundary: Any, name: str
) -> tuple[float, float, float, float] | None:
    frame = _as_frame(result, what="highlight")
    group = folium.FeatureGroup(name=html.escape(name), show=True)
    m.add_child(group)
    schema_cols = {
        "name", "summary", "species", "taxon", "realm", "countries", "region", "scale",
        "interventions", "threats", "organisations", "source", "source_title", "source_url",
        "roles", "n_features", "uncertainty_km", "feature_id", "case_id", "feature_name",
        "role", "georef_method", "georef_note", "geometry",
    }  # fmt: skip
    why = [c for c in frame.columns if c not in schema_cols and c != frame.geometry.name]
    if len(frame):
        payload = _payload(
            frame,
            color=HIGHLIGHT_COLOR,
            popup=True,
            tooltip=True,
            precision=None,
            simplify_km="auto",
            roles=["highlight"] * len(frame),
            why_columns=why,
            searchable=False,
        )
        payload["noFilter"] = True
        payload["pane"], payload["paneZ"] = "caHighlight", 450
        group.add_child(
            _DataLayer(
                payload,
                name=name,
                legend=(name, HIGHLIGHT_COLOR, _count_cases(frame)),
                bounds=_bounds(frame),
            )
        )
    if boundary is None:
        return _bounds(frame)
    line, label = _resolve_boundary(boundary)
    line_geom = line.geometry.union_all()
    rows: list[dict[str, Any]] = [
        {
            "name": f"Boundary: {label}",
            "geometry": line_geom,
            "role": "border",
        }
    ]
    names = frame["name"].tolist() if "name" in frame.columns else [None] * len(frame)
    for case_name, geom in zip(names, frame.geometry.array, strict=True):
        if geom is None or geom.is_empty:
            continue
        cross = geom.intersection(
            line_geom.boundary if line_geom.geom_type.endswith("Polygon") else line_geom
        )
        if not cross.is_empty:
            rows.append(
                {
                    "name": f"Crossing: {text(case_name) or 'case'}",
                    "geometry": cross,
                    "role": "crossing",
                }
            )
    extra = gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")
    payload = _payload(
        extra[["name", "geometry"]],
        color="#d62728",
        popup=["name"],
        tooltip="name",
        precision=4,
        simplify_km=None,
        roles=extra["role"].tolist(),
        searchable=False,
    )
    payload["pane"], payload["paneZ"] = "caHighlight", 450
    group.add_child(_DataLayer(payload, name=f"{name}: boundary", bounds=_bounds(extra)))
    group_children = list(group._children.values())
    for child in group_children:
        if isinstance(child, Layer):
            child.control = False
    return _bounds(frame)


# ===================================================================== raster overlays


# Leaflet stretches an image overlay linearly between its corners in Web Mercator, so
# rasters are reprojected to it; the projection ends at this latitude (the square world).
WEB_MERCATOR = "EPSG:3857"
MERCATOR_MAX_LAT = 85.0511287798066

# The overlay is embedded in the page as a PNG: beyond this many pixels on a side the
# HTML grows by megabytes for detail no screen shows, so larger rasters are averaged
# down (averaging, unlike sampling, keeps a one-cell corridor visible).
MAX_OVERLAY_SIDE = 2048

# Colours in the lookup table: one per value of an 8-bit channel.
RAMP_STEPS = 256
# Colour stops of the legend's CSS gradient: enough that a ramp looks smooth.
LEGEND_STOPS = 16

# Raster overlays sit in their own pane above the basemap (200) and below vector
# overlays (400), so that catalogue features stay visible and clickable over them.
RASTER_PANE = "corridorsRaster"
RASTER_PANE_Z = 350

DEFAULT_RASTER_COLORMAP = "viridis"

# How :func:`add_omniscape_layers` draws each Omniscape map: label, caption (units),
# colour ramp, log scale, centre of a diverging ramp. Normalised current is the ratio of
# current to flow potential: 1 means current flows as it would on a uniform landscape,
# below 1 it is impeded, above 1 channelled; a log scale makes 1/2 and 2 equally strong.
OMNISCAPE_STYLES: dict[str, dict[str, Any]] = {
    "normalized_cum_currmap": {
        "label": "Normalized current",
        "caption": "Normalized current (current / flow potential): "
        "below 1 impeded, above 1 channelled",
        "colormap": "PuOr_11",
        "log": True,
        "center": 1.0,
    },
    "flow_potential": {
        "label": "Flow potential",
        "caption": "Flow potential (A, resistance 1 everywhere)",
        "colormap": DEFAULT_RASTER_COLORMAP,
        "log": False,
        "center": None,
    },
    "cum_currmap": {
        "label": "Cumulative current",
        "caption": "Cumulative current (A)",
        "colormap": DEFAULT_RASTER_COLORMAP,
        "log": True,
        "center": None,
    },
    "classified_resistance": {
        "label": "Resistance (reclassified)",
        "caption": "Resistance (reclassified)",
        "colormap": "YlOrBr_09",
        "log": False,
        "center": None,
    },
}


class _RasterLegend(MacroElement):
    """A colour-ramp legend shown while its raster layer is on the map.

    Text is passed as escaped JSON and put into the page with ``textContent``.
    """

    _template = Template(
        """{% macro script(this, kwargs) %}
(function (map, layer, cfg) {
  var control = L.control({position: "bottomright"});
  control.onAdd = function () {
    var box = L.DomUtil.create("div", "corridors-raster-legend");
    box.style.cssText = "background:rgba(255,255,255,0.92);padding:6px 10px;" +
      "border-radius:4px;font:12px/1.35 sans-serif;width:220px;color:#222";
    var title = L.DomUtil.create("div", "corridors-raster-legend-title", box);
    title.textContent = cfg.title;
    title.style.fontWeight = "bold";
    var ramp = L.DomUtil.create("div", "corridors-raster-legend-ramp", box);
    ramp.style.cssText = "height:12px;margin:4px 0 2px;border:1px solid #888";
    ramp.style.backgroundImage = "linear-gradient(to right," + cfg.stops.join(",") + ")";
    var ticks = L.DomUtil.create("div", "corridors-raster-legend-ticks", box);
    ticks.style.cssText = "position:relative;height:1.4em";
    cfg.ticks.forEach(function (t) {
      var label = L.DomUtil.create("span", "", ticks);
      label.textContent = t[1];
      label.style.position = "absolute";
      label.style.whiteSpace = "nowrap";
      label.style.left = t[0] + "%";
      label.style.transform = "translateX(-" + t[0] + "%)";
    });
    if (cfg.note) {
      var note = L.DomUtil.create("div", "corridors-raster-legend-note", box);
      note.textContent = cfg.note;
      note.style.color = "#555";
    }
    return box;
  };
  function sync() {
    if (map.hasLayer(layer)) { control.addTo(map); } else { control.remove(); }
  }
  map.on("layeradd layerremove", function (e) { if (e.layer === layer) { sync(); } });
  sync();
})({{ this.map_name() }}, {{ this.layer.get_name() }}, {{ this.config }});
{% endmacro %}"""
    )

    def __init__(self, layer: Layer, config: dict[str, Any]) -> None:
        super().__init__()
        self._name = "corridors_raster_legend"
        self.layer = layer
        self.config = js_json(config)

    def map_name(self) -> str:
        node: Any = self._parent
        while node is not None and not isinstance(node, folium.Map):
            node = getattr(node, "_parent", None)
        return node.get_name() if node is not None else "null"


def _colormap_of(colormap: Any) -> Any:
    """A branca colormap from a name in ``branca.colormap.linear`` (``_r`` reverses)."""
    import branca.colormap as bcm

    if isinstance(colormap, bcm.ColorMap):
        return colormap
    if not isinstance(colormap, str):
        raise InputError(
            f"colormap must be a branca colormap or the name of one, not {type(colormap).__name__}"
        )
    name, reverse = (colormap[:-2], True) if colormap.endswith("_r") else (colormap, False)
    known = bcm.linear._colormaps
    if name not in known:
        raise InputError(
            f"unknown colormap {colormap!r}; use a name from branca.colormap.linear such as "
            "'viridis', 'magma', 'YlGnBu_09' or 'RdBu_11' (add '_r' to reverse), or a "
            "branca colormap"
        )
    cmap = getattr(bcm.linear, name)
    if reverse:
        cmap = bcm.LinearColormap(list(cmap.colors)[::-1], vmin=cmap.vmin, vmax=cmap.vmax)
    return cmap


def _ramp(cmap: Any) -> np.ndarray:
    """``RAMP_STEPS`` RGB colours evenly along a colormap's own domain, as uint8."""
    positions = np.linspace(cmap.vmin, cmap.vmax, RAMP_STEPS)
    return np.array([cmap.rgba_bytes_tuple(float(p))[:3] for p in positions], dtype=np.uint8)


def _to_web_mercator(
    values: np.ndarray, transform: Any, crs: Any
) -> tuple[np.ndarray, tuple[float, float, float, float]]:
    """Reproject a grid to Web Mercator (bilinear, NaN for NoData).

    Returns the reprojected array (row 0 north) and its bounds as (west, south, east,
    north) in degrees of longitude and latitude (EPSG:4326): the grid's own extent,
    clipped to Web Mercator's latitude limit.
    """
    from affine import Affine
    from rasterio.crs import CRS
    from rasterio.errors import CRSError as RioCRSError
    from rasterio.warp import Resampling, calculate_default_transform, reproject, transform_bounds

    if crs is None:
        raise CRSError(
            "the raster has no coordinate reference system; pass crs= (e.g. the CRS of the "
            "raster it came from) so the overlay can be placed"
        )
    if transform is None:
        raise InputError(
            "the raster has no transform; pass transform= (an affine.Affine mapping "
            "(column, row) to (x, y)) so the overlay can be placed"
        )
    try:
        src_crs = CRS.from_user_input(crs)
    except RioCRSError as exc:
        raise CRSError(f"crs {crs!r} is not a coordinate reference system: {exc}") from exc
    src_transform = transform if isinstance(transform, Affine) else Affine(*list(transform)[:6])
    rows, cols = values.shape
    corners = [src_transform @ (c, r) for c in (0, cols) for r in (0, rows)]
    xs, ys = [p[0] for p in corners], [p[1] for p in corners]
    left, bottom, right, top = min(xs), min(ys), max(xs), max(ys)
    # Edges are densified: a straight edge in a projected CRS is curved in degrees.
    west, south, east, north = transform_bounds(
        src_crs, "EPSG:4326", left, bottom, right, top, densify_pts=21
    )
    if west > east:
        raise InputError(
            "the raster crosses the antimeridian, which one Leaflet image overlay cannot "
            "show; split it at 180 degrees and add each part"
        )
    south, north = max(south, -MERCATOR_MAX_LAT), min(north, MERCATOR_MAX_LAT)
    if south >= north:
        raise InputError("the raster lies beyond Web Mercator's latitude limit (85.05 degrees)")
    # Web Mercator's x depends on longitude only and y on latitude only, so this box is
    # exactly the lon/lat box above.
    x0, y0, x1, y1 = transform_bounds("EPSG:4326", WEB_MERCATOR, west, south, east, north)
    # The pixel count rasterio would choose for this reprojection, on the exact box.
    _, width, height = calculate_default_transform(
        src_crs, WEB_MERCATOR, cols, rows, left, bottom, right, top
    )
    width, height = max(int(width), 1), max(int(height), 1)
    shrink = max(width, height) / MAX_OVERLAY_SIDE
    resampling = Resampling.bilinear
    if shrink > 1:
        width = max(round(width / shrink), 1)
        height = max(round(height / shrink), 1)
        resampling = Resampling.average
    dst_transform = Affine((x1 - x0) / width, 0, x0, 0, -(y1 - y0) / height, y1)
    out = np.full((height, width), np.nan, dtype=np.float64)
    reproject(
        np.ascontiguousarray(values, dtype=np.float64),
        out,
        src_transform=src_transform,
        src_crs=src_crs,
        dst_transform=dst_transform,
        dst_crs=WEB_MERCATOR,
        resampling=resampling,
        src_nodata=np.nan,
        dst_nodata=np.nan,
    )
    return out, (west, south, east, north)


def _scale_limits(
    finite: np.ndarray,
    *,
    vmin: float | None,
    vmax: float | None,
    log: bool,
    center: float | None,
) -> tuple[float, float]:
    """The range of the colour ramp, in the scale it is drawn in (log10 when ``log``)."""
    for label, value in (("vmin", vmin), ("vmax", vmax), ("center", center)):
        if value is not None and not np.isfinite(value):
            raise InputError(f"{label} must be a finite number, not {value!r}")
        if log and value is not None and value <= 0:
            raise InputError(f"{label} = {value!r} cannot be shown on a log scale; use log=False")
    lo = float(np.log10(vmin)) if log and vmin is not None else vmin
    hi = float(np.log10(vmax)) if log and vmax is not None else vmax
    lo = float(finite.min()) if lo is None else float(lo)
    hi = float(finite.max()) if hi is None else float(hi)
    if hi < lo:
        raise InputError(f"vmin ({vmin}) is larger than vmax ({vmax})")
    if center is not None:
        # A diverging ramp is symmetric about its centre, so the range is widened.
        c = float(np.log10(center)) if log else float(center)
        half = max(hi - c, c - lo, 0.0)
        lo, hi = c - half, c + half
    return lo, hi


def _format_value(value: float) -> str:
    return f"{value:.3g}"


def _legend_config(
    cmap: Any, lo: float, hi: float, *, log: bool, center: float | None, title: str
) -> dict[str, Any]:
    """Stops, tick labels (in data units) and title of a raster legend."""
    ramp = _ramp(cmap)
    picks = np.linspace(0, RAMP_STEPS - 1, LEGEND_STOPS).round().astype(int)
    stops = [
        f"#{r:02x}{g:02x}{b:02x} {100 * i / (LEGEND_STOPS - 1):.1f}%"
        for i, (r, g, b) in enumerate(ramp[picks].tolist())
    ]
    scaled = [lo, (lo + hi) / 2, hi] if hi > lo else [lo]
    if center is not None and hi > lo:
        scaled[1] = float(np.log10(center)) if log else float(center)
    ticks = []
    for s in scaled:
        position = 50.0 if hi <= lo else 100 * (s - lo) / (hi - lo)
        value = 10**s if log else s
        ticks.append([round(position, 1), _format_value(value)])
    return {
        "title": title,
        "stops": stops,
        "ticks": ticks,
        "note": "log scale" if log else "",
    }


def _raster_pane(m: folium.Map) -> None:
    """Create the raster pane on ``m`` once."""
    for child in m._children.values():
        if isinstance(child, folium.map.CustomPane) and child.name == RASTER_PANE:
            return
    folium.map.CustomPane(RASTER_PANE, z_index=RASTER_PANE_Z, pointer_events=False).add_to(m)


def add_raster_layer(
    m: folium.Map,
    values: Any,
    *,
    transform: Any,
    crs: Any,
    name: str,
    colormap: Any = DEFAULT_RASTER_COLORMAP,
    vmin: float | None = None,
    vmax: float | None = None,
    log: bool = False,
    center: float | None = None,
    opacity: float = 0.7,
    legend: bool = True,
    caption: str | None = None,
    show: bool = True,
    nodata: float | None = None,
) -> folium.Map:
    """Add a raster (a grid of values) to a map as a coloured image overlay.

    The grid is reprojected to Web Mercator with rasterio (bilinear, so suited to
    continuous values such as current density), coloured with a branca colour ramp,
    and embedded in the page as a PNG in its own layer of the layer control, with an
    optional colour-ramp legend shown while the layer is on.

    Parameters
    ----------
    m : folium.Map
        The map, usually from :func:`build_map`; any folium map works.
    values : 2-D array-like
        Values per cell, shape (rows, cols), row 0 at the top of ``transform``'s grid.
        NaN (and ``nodata``) cells are transparent, as are cells <= 0 when ``log``.
    transform : affine.Affine
        Maps (column, row) to (x, y) in ``crs`` (a 6-sequence in Affine order is
        accepted), as rasterio's ``dataset.transform``.
    crs : anything ``rasterio.crs.CRS.from_user_input`` accepts
        CRS of the grid, e.g. ``"EPSG:32633"``.
    name : str
        Name in the layer control; also the legend title without ``caption``.
    colormap : str or branca colormap
        A name in ``branca.colormap.linear`` (``"viridis"``, ``"RdBu_11"``, ...;
        ``_r`` reverses it) or a branca colormap, whose whole domain is stretched over
        ``vmin`` to ``vmax``.
    vmin, vmax : float, optional
        Values given the first and last colours, in the units of ``values``; default
        the smallest and largest finite value. Values beyond them take the end colours.
    log : bool
        Colour by log10 of the value (for values spanning orders of magnitude, such as
        current); the legend still shows values.
    center : float, optional
        For a diverging ramp: the value given the middle colour. The range is widened
        to be symmetric about it (in log10 when ``log``).
    opacity : float
        Opacity of the overlay, 0 to 1.
    legend : bool
        Show a colour-ramp legend with the range while the layer is on.
    caption : str, optional
        Legend title, e.g. the quantity and its units (``"Current (A)"``).
    show : bool
        Whether the layer is on when the map opens.
    nodata : float, optional
        A value marking cells without data, besides NaN.

    Returns
    -------
    folium.Map
        ``m``, so calls can be chained.

    Raises
    ------
    InputError
        If ``values`` is not a 2-D grid, has no value to show, or an option is invalid.
    CRSError
        If ``crs`` is missing or not a CRS.

    Notes
    -----
    The same grid and options give the same HTML (see :func:`save_map`). Rasters wider
    or taller than 2048 pixels in Web Mercator are averaged down to that size.
    """
    m = _map_of(m)
    if not 0 <= opacity <= 1:
        raise InputError(f"opacity must be between 0 and 1, not {opacity!r}")
    try:
        grid = np.array(np.ma.filled(np.ma.asarray(values, dtype=np.float64), np.nan))
    except (TypeError, ValueError) as exc:
        raise InputError(f"values must be a 2-D grid of numbers: {exc}") from exc
    if grid.ndim != 2 or 0 in grid.shape:
        raise InputError(f"values must be a 2-D grid (rows, cols), not of shape {grid.shape}")
    if nodata is not None:
        grid[grid == nodata] = np.nan
    grid[~np.isfinite(grid)] = np.nan
    if log:
        # log10 is taken before reprojection so that interpolation follows the ramp.
        with np.errstate(divide="ignore", invalid="ignore"):
            grid = np.where(grid > 0, np.log10(grid), np.nan)
    finite = grid[np.isfinite(grid)]
    if finite.size == 0:
        raise InputError(
            f"the raster {name!r} has no value to show (every cell is NaN or NoData"
            + (", or <= 0 on a log scale)" if log else ")")
        )
    lo, hi = _scale_limits(finite, vmin=vmin, vmax=vmax, log=log, center=center)
    cmap = _colormap_of(colormap)
    projected, (west, south, east, north) = _to_web_mercator(grid, transform, crs)
    shown = np.isfinite(projected)
    if hi > lo:
        scaled = np.clip((projected - lo) / (hi - lo), 0.0, 1.0)
    else:
        scaled = np.full(projected.shape, 0.5)
    index = np.round(np.where(shown, scaled, 0.0) * (RAMP_STEPS - 1)).astype(np.intp)
    rgba = np.zeros((*projected.shape, 4), dtype=np.uint8)
    rgba[..., :3] = _ramp(cmap)[index]
    rgba[..., 3] = np.where(shown, 255, 0)
    rgba[~shown, :3] = 0  # transparent pixels all alike: smaller PNG, stable bytes

    _raster_pane(m)
    layer = folium.raster_layers.ImageOverlay(
        image=rgba,
        bounds=[[south, west], [north, east]],
        origin="upper",
        mercator_project=False,
        # Leaflet's layer control writes names with innerHTML: escape them.
        name=html.escape(name),
        overlay=True,
        control=True,
        show=show,
        opacity=opacity,
        pane=RASTER_PANE,
    )
    m.add_child(layer)
    if legend:
        title = caption if caption is not None else name
        config = _legend_config(cmap, lo, hi, log=log, center=center, title=title)
        m.add_child(_RasterLegend(layer, config))
    return m


def add_omniscape_layers(
    m: folium.Map,
    result: Any,
    *,
    layers: Sequence[str] = ("normalized_cum_currmap", "flow_potential", "cum_currmap"),
    prefix: str = "Omniscape",
    opacity: float = 0.7,
    legend: bool = True,
) -> folium.Map:
    """Add the maps of an Omniscape run to a map, one toggleable raster layer each.

    Normalized current gets a diverging ramp centred on 1 on a log scale (below 1 flow
    is impeded, above 1 channelled, as Omniscape's user guide describes), cumulative
    current a log scale and flow potential a linear one. The first map drawn is on when
    the map opens, the others can be switched on in the layer control.

    Parameters
    ----------
    m : folium.Map
        The map, usually from :func:`build_map`.
    result : OmniscapeResult or similar
        A result of :func:`corridors.omniscape.omniscape` or
        :func:`corridors.omniscape.run`, or any object with ``transform``, ``crs`` and
        the maps as 2-D array attributes named as in ``layers``.
    layers : sequence of str
        Which maps to draw, by Omniscape.jl's names; maps the result lacks (None) are
        skipped. ``"classified_resistance"`` may also be asked for.
    prefix : str
        Put before each layer's name in the layer control.
    opacity : float
        Opacity of the overlays, 0 to 1.
    legend : bool
        Show a colour-ramp legend for each layer while it is on.

    Returns
    -------
    folium.Map
        ``m``, so calls can be chained.

    Raises
    ------
    InputError
        If ``layers`` names an unknown map or the result holds none of them.
    CRSError
        If the result has no CRS.
    """
    unknown = [name for name in layers if name not in OMNISCAPE_STYLES]
    if isinstance(layers, str) or unknown:
        raise InputError(
            f"unknown Omniscape map(s) {unknown or [layers]}; layers is a sequence of "
            f"{', '.join(OMNISCAPE_STYLES)}"
        )
    if not (hasattr(result, "transform") and hasattr(result, "crs")):
        raise InputError(
            "result must be an Omniscape result (from corridors.omniscape.omniscape or run) "
            f"with transform and crs, not {type(result).__name__}"
        )
    present = [(n, getattr(result, n, None)) for n in layers]
    present = [(n, grid) for n, grid in present if grid is not None]
    if not present:
        raise InputError(
            f"the result holds none of the maps {list(layers)}; run with "
            "calc_flow_potential / calc_normalized_current, or read the files in "
            "result.files when the maps stayed on disk"
        )
    for i, (key, grid) in enumerate(present):
        style = OMNISCAPE_STYLES[key]
        label = f"{prefix}: {style['label']}" if prefix else style["label"]
        add_raster_layer(
            m,
            grid,
            transform=result.transform,
            crs=result.crs,
            name=label,
            colormap=style["colormap"],
            log=style["log"],
            center=style["center"],
            opacity=opacity,
            legend=legend,
            caption=style["caption"],
            show=i == 0,
        )
    return m


# ============================================================================ output


_HEX_ID = re.compile(r"[0-9a-f]{32}")


def _element_ids(root: Element) -> set[str]:
    ids: set[str] = set()
    stack: list[Element] = [root]
    while stack:
        node = stack.pop()
        ident = getattr(node, "_id", None)
        if isinstance(ident, str):
            ids.add(ident)
        stack.extend(node._children.values())
        if isinstance(node, Figure):
            stack.extend([node.header, node.html, node.script])
    return ids


def _stable_ids(page: str, ids: set[str]) -> str:
    """Replace folium's random element ids with numbers in order of first appearance."""
    numbers: dict[str, str] = {}

    def swap(match: re.Match[str]) -> str:
        token = match.group(0)
        if token not in ids:
            return token
        if token not in numbers:
            numbers[token] = str(len(numbers) + 1)
        return numbers[token]

    return _HEX_ID.sub(swap, page)


def _inline_header(figure: Figure, *, offline_icons: bool) -> None:
    """Replace CDN links in the page header by the packaged files' text."""
    unknown: list[str] = []
    items = list(figure.header._children.items())
    figure.header._children.clear()
    for key, child in items:
        if isinstance(child, JavascriptLink | CssLink) and re.match(r"https?:", child.url):
            body = assets.inline_asset(child.url)
            if body is None:
                unknown.append(child.url)
                continue
            tag = (
                assets.script_tag(body)
                if isinstance(child, JavascriptLink)
                else assets.style_tag(body)
            )
            figure.header.add_child(Element(tag), name=key)
            if key == "leaflet" and offline_icons:
                icons = assets.script_tag(
                    'L.Icon.Default.imagePath="";L.Icon.Default.mergeOptions('
                    + js_json(assets.marker_icons())
                    + ");"
                )
                figure.header.add_child(Element(icons), name="leaflet_icons")
        else:
            figure.header.add_child(child, name=key)
    if unknown:
        raise InputError(
            "a self-contained map cannot include these network assets, which no installed "
            f"package provides: {', '.join(unknown)}. They come from folium elements added "
            "to the map (plugins, awesome-marker icons, folium.Popup); leave those out of "
            "offline maps or save with self_contained=False"
        )


def _needs_folium_defaults(m: folium.Map) -> bool:
    """Whether an added folium element relies on assets that folium.Map normally loads."""
    if getattr(m, "objects_to_stay_in_front", None) and not isinstance(m, _AtlasMap):
        return True
    stack: list[Element] = list(m._children.values())
    while stack:
        node = stack.pop()
        if isinstance(node, folium.Icon | folium.Popup):
            return True
        stack.extend(node._children.values())
    return False


def map_html(m: folium.Map, *, self_contained: bool | None = None) -> str:
    """Render a map to a complete, byte-stable HTML page.

    Parameters
    ----------
    m : folium.Map
        A map from :func:`build_map` or any folium map.
    self_contained : bool, optional
        Inline every JavaScript and CSS asset from installed packages instead of
        linking to a CDN. Default: True for maps built with ``offline=True``.

    Returns
    -------
    str
        The page. The same map gives the same text on every call and in every process.

    Raises
    ------
    InputError
        If ``self_contained`` and the map uses an asset no installed package provides.
    """
    m = _map_of(m)
    offline = bool(getattr(m, "offline", False))
    if self_contained is None:
        self_contained = offline
    if isinstance(m, _AtlasMap) and _needs_folium_defaults(m):
        # folium.Icon and folium.Popup need jQuery, Bootstrap and awesome-markers,
        # which the atlas does not load by itself.
        from folium.folium import _default_css, _default_js

        m.default_js = list(_default_js)
        m.default_css = list(_default_css)
    figure = m.get_root()
    if not isinstance(figure, Figure):
        raise InputError("the map is not part of a folium Figure; create it with build_map")
    # Rendering appends each element's script to the figure, and folium re-creates some
    # (a layer's addTo call) under a new name on every render: without restoring the
    # figure, a second call would repeat them and the same map would give other bytes.
    parts = (figure.header, figure.html, figure.script)
    before = [dict(part._children) for part in parts]
    try:
        figure.render()
        if self_contained:
            _inline_header(figure, offline_icons=True)
        page = figure._template.render(this=figure, kwargs={})
        ids = _element_ids(figure)
    finally:
        for part, children in zip(parts, before, strict=True):
            part._children.clear()
            part._children.update(children)
    return _stable_ids(page, ids)


def save_map(
    m: folium.Map,
    path: str | os.PathLike[str],
    *,
    self_contained: bool | None = None,
    overwrite: bool = False,
) -> Path:
    """Write a map to an HTML file, atomically and byte-stable.

    Parameters
    ----------
    m : folium.Map
        A map from :func:`build_map` or any folium map.
    path : path-like
        Output file; its directory must exist.
    self_contained : bool, optional
        Inline every asset (see :func:`map_html`); default True for offline maps.
    overwrite : bool, keyword-only
        Replace ``path`` if it exists; by default an existing file is kept.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    OutputError
        If ``path`` exists and ``overwrite`` is false, is a directory, or its directory
        is missing or not writable (checked before the page is built).

    Notes
    -----
    Unlike ``m.save()``, the same map always gives the same bytes (folium's element ids
    are random), so atlases can be kept under version control.
    """
    from ._io import check_output

    target = check_output(path, overwrite=overwrite, what="map")
    return atomic_write_text(target, map_html(m, self_contained=self_contained))
