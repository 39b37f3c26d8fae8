"""Layered interactive atlas maps of the catalogue (Leaflet, through folium).

:func:`build_map` draws every feature of the catalogue, one toggleable layer per
category (realm by default), styled by role, with a country-boundary layer, an optional
highlighted query result, basemaps, a legend, search, a facet filter and map tools.
:func:`add_layer` adds further data to such a map (or any folium map), in the manner of
``GeoDataFrame.explore(m=...)``. :func:`add_raster_layer` draws a grid of values (a
current map, say) as a coloured overlay with a legend, :func:`add_omniscape_layers`
the maps of an Omniscape run, :func:`add_corridor_layers` a least-cost corridor network
and :func:`add_current_layer` a Circuitscape current map. :func:`save_map` writes a
byte-stable HTML file, which with ``offline=True`` is a single self-contained file that
opens with no network. :func:`plot_cases` draws a static map for a report (matplotlib),
which :func:`save_figure` writes as PNG, SVG or PDF.

Vector data is drawn in longitude/latitude (EPSG:4326), whatever CRS it comes in;
rasters are reprojected to Web Mercator (EPSG:3857).

Safety: text from data never reaches the page as HTML. It is embedded as escaped JSON
and put into the page by the atlas runtime with ``textContent``; layer names shown in
Leaflet's layer control are HTML-escaped; links must be http(s).

``import corridors.maps`` loads folium and geopandas, but not rasterio, matplotlib or
scipy: those load when a raster or a modelling result is drawn.
"""

from __future__ import annotations

from ._atlas import (
    BOUNDARY_LAYER_NAME,
    CANVAS_THRESHOLD,
    CLUSTER_THRESHOLD,
    DEFAULT_TILES,
    OFFLINE_BASEMAP_NAME,
    OFFLINE_MAX_ZOOM,
    OUTLINE_LAYER_NAME,
    PALETTE,
    REGIONAL_OUTLINE_KM,
    add_layer,
    build_map,
)
from ._highlight import HIGHLIGHT_COLOR
from ._html import map_html, save_map
from ._raster import (
    DEFAULT_RASTER_COLORMAP,
    MAX_OVERLAY_SIDE,
    OMNISCAPE_STYLES,
    add_omniscape_layers,
    add_raster_layer,
)
from .figure import plot_cases, save_figure
from .overlays import add_corridor_layers, add_current_layer

__all__ = [
    "BOUNDARY_LAYER_NAME",
    "CANVAS_THRESHOLD",
    "CLUSTER_THRESHOLD",
    "DEFAULT_RASTER_COLORMAP",
    "DEFAULT_TILES",
    "HIGHLIGHT_COLOR",
    "MAX_OVERLAY_SIDE",
    "OFFLINE_BASEMAP_NAME",
    "OFFLINE_MAX_ZOOM",
    "OMNISCAPE_STYLES",
    "OUTLINE_LAYER_NAME",
    "PALETTE",
    "REGIONAL_OUTLINE_KM",
    "add_corridor_layers",
    "add_current_layer",
    "add_layer",
    "add_omniscape_layers",
    "add_raster_layer",
    "build_map",
    "map_html",
    "plot_cases",
    "save_figure",
    "save_map",
]
