"""Raster overlays: a grid of values drawn as a coloured image with a colour-ramp legend.

Grids in any CRS are reprojected to Web Mercator (EPSG:3857), where Leaflet stretches
an image overlay linearly between its corners, and embedded in the page as PNG.
rasterio is imported only when a raster is drawn: ``import corridors.maps`` stays light.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

import branca.colormap as bcm
import folium
import numpy as np
from numpy.typing import NDArray

from .._typing import FloatArray
from ..errors import CRSError, InputError
from ._elements import RasterLegend, as_map

__all__ = [
    "DEFAULT_RASTER_COLORMAP",
    "LEGEND_STOPS",
    "MAX_OVERLAY_SIDE",
    "MERCATOR_MAX_LAT",
    "OMNISCAPE_STYLES",
    "RAMP_STEPS",
    "RASTER_PANE",
    "RASTER_PANE_Z",
    "WEB_MERCATOR",
    "add_omniscape_layers",
    "add_raster_layer",
]

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


def _colormap_of(colormap: Any) -> Any:
    """A branca colormap from a name in ``branca.colormap.linear`` (``_r`` reverses)."""
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


def _ramp(cmap: Any) -> NDArray[np.uint8]:
    """``RAMP_STEPS`` RGB colours evenly along a colormap's own domain, as uint8."""
    positions = np.linspace(cmap.vmin, cmap.vmax, RAMP_STEPS)
    return np.array([cmap.rgba_bytes_tuple(float(p))[:3] for p in positions], dtype=np.uint8)


def _to_web_mercator(
    values: FloatArray, transform: Any, crs: Any
) -> tuple[FloatArray, tuple[float, float, float, float]]:
    """Reproject a grid to Web Mercator (bilinear, NaN for NoData).

    Returns the reprojected array (row 0 north) and its bounds as (west, south, east,
    north) in degrees of longitude and latitude (EPSG:4326): the grid's own extent,
    clipped to Web Mercator's latitude limit.
    """
    # Imported here, not at module level: rasterio is heavy and only rasters need it.
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
    finite: FloatArray,
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
    """A legend tick label: 3 significant digits."""
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
    m = as_map(m)
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
        m.add_child(RasterLegend(layer, config))
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
