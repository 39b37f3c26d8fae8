"""Folium elements of the atlas: the page, its data layers, controls and raster legend.

Each element renders a fixed template; text from data reaches a template only as
escaped JSON (:func:`~corridors.maps._encoding.js_json`) or HTML-escaped layer names,
and the atlas runtime (``_static/atlas.js``) puts it into the page with ``textContent``.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import folium
import numpy as np
from branca.element import Element, Figure, MacroElement
from folium.elements import JSCSSMixin
from folium.map import Layer
from folium.template import Template

from .. import schema
from ..errors import InputError
from . import _assets as assets
from ._encoding import js_json

__all__ = [
    "FACETS",
    "FIGURE_TEMPLATE",
    "AtlasMap",
    "Controls",
    "DataLayer",
    "RasterLegend",
    "SharedData",
    "as_map",
    "leaflet_bounds",
]

# The facet filter's menus: [column, heading, noun]. Six of the schema's case fields
# (corridors.schema.CASE_FIELDS) on purpose: the ones readers filter an atlas by.
FACETS = [
    ["realm", "Realm", "realm"],
    ["taxon", "Taxon", "taxon"],
    ["countries", "Country", "country"],
    ["scale", "Scale", "scale"],
    ["interventions", "Intervention", "intervention"],
    ["threats", "Threat", "threat"],
]

FIGURE_TEMPLATE = Template(
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


class AtlasMap(folium.Map):
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
        """Render with the controls last and the atlas runtime in the page header."""
        # Controls list the layers that exist when they run, so they go last.
        for key, child in list(self._children.items()):
            if isinstance(child, folium.LayerControl | Controls):
                self._children.move_to_end(key)
        figure = self.get_root()
        if isinstance(figure, Figure):
            figure.header.add_child(
                Element(assets.style_tag(assets.minified_static("atlas.css"))), name="corridors_css"
            )
            figure.header.add_child(
                Element(assets.script_tag(assets.minified_static("atlas.js"))), name="corridors_js"
            )
        super().render(**kwargs)

    def _repr_html_(self, **kwargs: Any) -> str:
        """The page in an iframe's ``srcdoc``, so the map shows inline in Jupyter."""
        # Imported here: _html imports this module (it needs AtlasMap), a cycle.
        from ._html import map_html

        page = map_html(self)
        title = html.escape(getattr(self.get_root(), "title", None) or "Map")
        return (
            f'<iframe srcdoc="{html.escape(page)}" title="{title}" '
            'style="width:100%;height:520px;border:0" '
            'allowfullscreen loading="lazy"></iframe>'
        )


class SharedData(MacroElement):
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


class DataLayer(JSCSSMixin, Layer):
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
        shared: SharedData | None = None,
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
        """JavaScript name of the map this element is on."""
        return _map_name(self)


class Controls(MacroElement):
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
        country_names: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__()
        self._name = "corridors_controls"
        self.country_names = dict(sorted((country_names or {}).items()))
        self.legend_title = legend_title
        self.roles = list(roles)
        self.label = label
        self.search = search
        self.facets = facets

    def _layers(self) -> list[DataLayer]:
        """Every data layer on the map, in the order they are drawn."""
        out: list[DataLayer] = []

        def walk(node: Element) -> None:
            for child in node._children.values():
                if isinstance(child, DataLayer):
                    out.append(child)
                walk(child)

        if self._parent is not None:
            walk(self._parent)
        return out

    def js_config(self) -> str:
        """The controls' configuration as JavaScript: bounds, label, facets and legend."""
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
        bounds = leaflet_bounds(boxes) if boxes else None
        config = {
            "bounds": bounds,
            "label": self.label,
            "search": self.search,
            "facets": FACETS if self.facets else [],
            "countries": self.country_names,
            "georef": dict(schema.GEOREF_METHODS),
        }
        legend = (
            f"{{title:{js_json(self.legend_title)},roles:{js_json(self.roles)},"
            f"entries:[{','.join(entries)}]}}"
        )
        return js_json(config)[:-1] + ",legend:" + legend + "}"


class RasterLegend(MacroElement):
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
        """JavaScript name of the map this element is on."""
        return _map_name(self)


def leaflet_bounds(boxes: Iterable[tuple[float, float, float, float]]) -> list[list[float]]:
    """Leaflet's ``[[south, west], [north, east]]`` around (west, south, east, north) boxes.

    Degrees of longitude and latitude (EPSG:4326), rounded to 4 decimals (about 10 m).
    """
    arr = np.array(list(boxes), dtype=float)
    minx, miny = np.nanmin(arr[:, 0]), np.nanmin(arr[:, 1])
    maxx, maxy = np.nanmax(arr[:, 2]), np.nanmax(arr[:, 3])
    return [
        [round(float(miny), 4), round(float(minx), 4)],
        [round(float(maxy), 4), round(float(maxx), 4)],
    ]


def _map_name(element: Element) -> str:
    """JavaScript name of the map an element was added to (``null`` before it is added)."""
    node: Any = element._parent
    while node is not None and not isinstance(node, folium.Map):
        node = getattr(node, "_parent", None)
    return node.get_name() if node is not None else "null"


def as_map(m: Any) -> folium.Map:
    """Return ``m`` if it is a folium map, else raise InputError."""
    if not isinstance(m, folium.Map):
        raise InputError(f"m must be a folium.Map (e.g. from build_map), not {type(m).__name__}")
    return m
