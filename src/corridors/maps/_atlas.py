"""The atlas: :func:`build_map` draws a catalogue, :func:`add_layer` adds data to a map.

Both take data in any CRS and draw it in longitude/latitude (EPSG:4326) on Leaflet's
Web Mercator map.
"""

from __future__ import annotations

import html
import os
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import folium
import geopandas as gpd
import numpy as np
import xyzservices
from folium.map import FitBounds
from shapely.geometry.base import BaseGeometry

from ..boundaries import country_names, load_boundaries
from ..catalogue import load_features
from ..errors import InputError
from ..query import DEFAULT_TOLERANCE_KM
from . import _assets as assets
from ._elements import (
    FIGURE_TEMPLATE,
    AtlasMap,
    Controls,
    DataLayer,
    SharedData,
    as_map,
    leaflet_bounds,
)
from ._encoding import text
from ._highlight import add_highlight
from ._payload import (
    REGIONAL_OUTLINE_KM,
    ROLES,
    SimplifyArg,
    _str_list,
    as_frame,
    build_payload,
    count_cases,
    frame_bounds,
    infer_role,
    regional_rows,
    roles_of,
)

__all__ = [
    "BOUNDARY_DIGITS",
    "BOUNDARY_LAYER_NAME",
    "BOUNDARY_SIMPLIFY_KM",
    "CANVAS_THRESHOLD",
    "CLUSTER_THRESHOLD",
    "DEFAULT_TILES",
    "MISSING_COLOR",
    "MISSING_LABEL",
    "OFFLINE_BASEMAP_NAME",
    "OUTLINE_LAYER_NAME",
    "PALETTE",
    "REGIONAL_OUTLINE_KM",
    "add_layer",
    "build_map",
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
# Rows without a value in the layer_by column: their own grey layer, listed last.
MISSING_COLOR = "#999999"
MISSING_LABEL = "unspecified"

# Basemaps from xyzservices: (provider name, label in the layer control).
DEFAULT_TILES: tuple[tuple[str, str], ...] = (
    ("Esri.WorldGrayCanvas", "Light grey (Esri)"),
    ("OpenStreetMap.Mapnik", "OpenStreetMap"),
    ("Esri.WorldImagery", "Satellite (Esri)"),
    ("OpenTopoMap", "Topographic (OpenTopoMap)"),
)
#: Deepest zoom of an offline atlas. Its basemap is Natural Earth 1:10m, generalised for
#: about 1:10,000,000 (zoom 6) and good to about 1 km; at zoom 11 a pixel is about 75 m,
#: so the catalogue's smallest features (a 400 m bottleneck) are still a few pixels wide,
#: and deeper zooms would only enlarge a blank, generalised outline.
OFFLINE_MAX_ZOOM = 11
OFFLINE_BASEMAP_NAME = "Offline basemap (country outlines)"
BOUNDARY_LAYER_NAME = "Country boundaries"

# Country outlines are simplified to ~1.5 km (expressed in degrees of latitude, which is
# conservative in longitude) and kept to 0.01 degree: invisible below zoom 7 and a
# fraction of the bundled 1:10m file. Neighbours are simplified separately, so shared
# borders may show slivers when zoomed far in.
BOUNDARY_SIMPLIFY_KM = 1.5
BOUNDARY_DIGITS = 2

OUTLINE_LAYER_NAME = "Regional and range-wide outlines"
OUTLINE_COLOR = "#4d4d4d"

# Layers with more sites than this cluster them; beyond this many features the map
# draws on a canvas instead of creating one SVG element per feature.
CLUSTER_THRESHOLD = 150
CANVAS_THRESHOLD = 3000


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
        Simplification tolerance for lines and polygons. "auto" keeps every drawn
        outline within 2 screen pixels of the true one at zoom 11 (about 150 m at the
        equator; rounding to ``precision`` included, topology kept); a distance in km
        simplifies by that much; None draws the geometry as given.

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
    m = as_map(m)
    frame = as_frame(data, what="data")
    existing = [c for c in m._children.values() if isinstance(c, DataLayer) and c.legend]
    if color is None:
        color = PALETTE[len(existing) % len(PALETTE)]
    label = name if name is not None else f"Layer {len(existing) + 1}"
    roles = roles_of(frame)
    n_sites = sum(
        1 for r, g in zip(roles, frame.geometry.array, strict=True) if infer_role(g) == "site"
    )
    use_cluster = cluster if cluster is not None else n_sites > CLUSTER_THRESHOLD
    payload = build_payload(
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
    layer = DataLayer(
        payload,
        name=label,
        show=show,
        legend=(label, color, count_cases(frame)) if legend else None,
        bounds=frame_bounds(frame),
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
    highlight_tolerance_km: float = DEFAULT_TOLERANCE_KM,
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
        that :func:`corridors.crossing` matches meet it is marked in red. Anything
        :func:`corridors.resolve_boundary` accepts (``"TKM-UZB"``, ``"KEN"``, a file);
        a bare shapely geometry is taken as lon/lat.
    highlight_name : str
        Name of the highlight layer.
    highlight_tolerance_km : float, default 1 km
        Tolerance of :func:`corridors.crossing` deciding which highlighted cases get
        crossing marks (give the query's own); see *Notes*.
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

    Notes
    -----
    Cases whose scale is range-wide, or whose location is uncertain by 100 km or more
    (:data:`REGIONAL_OUTLINE_KM`), are drawn as dashed outlines in a layer of their own
    (:data:`OUTLINE_LAYER_NAME`) that never takes a click from a case inside them.

    Which highlighted cases cross ``highlight_boundary`` is decided by
    :func:`corridors.crossing`, the package's one definition: for each case it returns,
    the part of the boundary inside that case is drawn in red (large cases first, so a
    small case's part lies on top), with the answer's measures in words and units; the
    whole boundary is a thin dashed line beneath, and the map opens fitted to the
    crossing parts with 25 km around them. A case matched only for lying deep in both
    countries of a border has no part to draw. ``docs/maps.md`` says more.
    """
    frame = load_features() if cases is None else as_frame(cases, what="cases")
    if renderer not in ("auto", "svg", "canvas"):
        raise InputError(f"renderer must be 'auto', 'svg' or 'canvas', not {renderer!r}")
    canvas = renderer == "canvas" or (renderer == "auto" and len(frame) > CANVAS_THRESHOLD)

    m = AtlasMap(
        location=None,
        tiles=None,
        control_scale=True,
        prefer_canvas=canvas,
        world_copy_jump=True,
        zoom_control=True,
    )
    m.offline = bool(offline)
    if offline:
        # Nothing but generalised outlines lies under the cases: no deeper zoom. (folium's
        # max_zoom argument goes to its default tile layer, not to the map.)
        m.options["max_zoom"] = OFFLINE_MAX_ZOOM
    js, css = assets.leaflet_links()
    m.default_js = js
    m.default_css = css
    figure: Any = m.get_root()
    figure._template = FIGURE_TEMPLATE
    figure.title = title
    figure.lang = "en"

    # Basemaps.
    need_countries = offline or boundaries is not None
    countries = _countries_frame(boundaries) if need_countries else None
    shared = None
    if countries is not None:
        shared = SharedData(_boundary_payload(countries))
        m.add_child(shared)
    if not offline:
        for i, tile in enumerate(tiles or ()):
            _add_tiles(m, tile, show=i == 0)
    if shared is not None and (offline or boundaries is not None):
        basemap = DataLayer(
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

    # One layer per category, features styled by role; regional and range-wide
    # outlines in a layer of their own, drawn under the rest.
    roles = roles_of(frame)
    labels = category_labels(frame, layer_by, roles)
    colors = category_colors(labels)
    label_arr = np.array(labels, dtype=object)
    outline = regional_rows(frame)
    if outline.any():
        part = frame.loc[outline]
        payload = build_payload(
            part,
            color=OUTLINE_COLOR,
            popup=True,
            tooltip=True,
            precision=precision,
            simplify_km=simplify_km,
            roles=[r for r, keep in zip(roles, outline, strict=True) if keep],
        )
        payload["outline"] = True
        m.add_child(
            DataLayer(
                payload,
                name=OUTLINE_LAYER_NAME,
                legend=(OUTLINE_LAYER_NAME, OUTLINE_COLOR, count_cases(part)),
                bounds=frame_bounds(part),
                cluster=True,
            )
        )
    for cat in colors:
        mask = (label_arr == cat) & ~outline
        if not mask.any():
            continue
        part = frame.loc[mask]
        part_roles = [r for r, keep in zip(roles, mask, strict=True) if keep]
        n_sites = sum(1 for r in part_roles if r == "site")
        use_cluster = n_sites > CLUSTER_THRESHOLD
        payload = build_payload(
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
            DataLayer(
                payload,
                name=_pretty(cat),
                legend=(_pretty(cat), colors[cat], count_cases(part)),
                bounds=frame_bounds(part),
                # Leaflet.markercluster also gathers the markers of cases too small to
                # see at the current zoom.
                cluster=True,
            )
        )

    if boundaries is not None and shared is not None:
        m.add_child(
            DataLayer(
                None,
                name=BOUNDARY_LAYER_NAME,
                show=False,
                shared=shared,
                options={"forceRole": "boundary", "searchable": False},
            )
        )

    fit = frame_bounds(frame)
    if highlight is not None:
        fit = (
            add_highlight(
                m,
                highlight,
                highlight_boundary,
                highlight_name,
                tolerance_km=highlight_tolerance_km,
            )
            or fit
        )
    elif highlight_boundary is not None:
        raise InputError("highlight_boundary needs highlight (the query result) too")
    if fit is not None:
        m.fit_bounds(leaflet_bounds([fit]), padding=(20, 20))
        # Fitted before any layer is drawn, without a zoom animation: the layers are
        # built once, at the zoom they show (cases too small to see there start as
        # markers, clustered once), and the first view is final when the page loads.
        key = next(reversed(m._children))
        element = m._children[key]
        if isinstance(element, FitBounds):
            element.options["animate"] = False
        m._children.move_to_end(key, last=False)

    m.add_child(
        Controls(
            legend_title=_pretty(layer_by.replace("_", " ")),
            roles=[r for r in ROLES if r in set(roles)],
            label=title,
            country_names=_country_names(frame),
        )
    )
    m.add_child(folium.LayerControl(collapsed=True), name="layer_control")
    return m


def _country_names(frame: gpd.GeoDataFrame) -> dict[str, str]:
    """Names of the ISO 3166 alpha-3 codes the cases list, from the bundled countries."""
    if "countries" not in frame.columns:
        return {}
    codes = {c for value in frame["countries"].tolist() for c in _str_list(value)}
    names = country_names() if codes else {}
    return {code: names[code] for code in codes if code in names}


def _add_tiles(m: folium.Map, tile: Any, *, show: bool) -> None:
    """Add one basemap (an xyzservices provider or its name, with an optional label)."""
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
    """The country polygons of the boundary layer: the bundled ones or the caller's."""
    if isinstance(boundaries, gpd.GeoDataFrame):
        return as_frame(boundaries, what="boundaries")
    return load_boundaries("countries" if boundaries is None else boundaries)


def _boundary_payload(frame: gpd.GeoDataFrame) -> dict[str, Any]:
    """Payload of the shared country layer: simplified outlines, names as tooltips."""
    tip = "name" if "name" in frame.columns else None
    shown = frame[[tip, frame.geometry.name]] if tip else frame[[frame.geometry.name]]
    shown = gpd.GeoDataFrame(shown, geometry=frame.geometry.name, crs=frame.crs)
    return build_payload(
        shown,
        color="#444444",
        popup=False,
        tooltip=tip or False,
        precision=BOUNDARY_DIGITS,
        simplify_km=BOUNDARY_SIMPLIFY_KM,
        roles=["boundary"] * len(shown),
        searchable=False,
    )


def category_colors(labels: list[str]) -> dict[str, str]:
    """Each category's colour, in legend order (by name, "unspecified" last and grey).

    The atlas and :func:`corridors.maps.plot_cases` both colour by it, so a category
    has the same colour on the page and in the report.
    """
    categories = sorted(set(labels), key=lambda s: (s == MISSING_LABEL, s.lower(), s))
    named = [c for c in categories if c != MISSING_LABEL]
    colors = {cat: PALETTE[i % len(PALETTE)] for i, cat in enumerate(named)}
    if MISSING_LABEL in categories:
        colors[MISSING_LABEL] = MISSING_COLOR
    return colors


def category_labels(frame: gpd.GeoDataFrame, layer_by: str, roles: list[str]) -> list[str]:
    """Each row's layer: its ``layer_by`` value (or role), "unspecified" when missing."""
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
    """A label with its first letter capitalised, for layer names and legend titles."""
    return label[:1].upper() + label[1:] if label else label
