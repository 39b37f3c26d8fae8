"""Modelling results on the atlas: least-cost corridor networks and current maps.

The modelling packages (:mod:`corridors.leastcost`, :mod:`corridors.circuit`, ...)
compute; drawing their results is the maps package's concern, so they import neither
folium nor this package, and this module imports their result types only to recognise
them (lazily, so that ``import corridors.maps`` loads no scipy or rasterio).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

import branca.colormap as bcm
import folium
import geopandas as gpd
import numpy as np
from numpy.typing import NDArray

from .._typing import FloatArray
from ..errors import CRSError, InputError
from ._atlas import add_layer
from ._raster import RAMP_STEPS

if TYPE_CHECKING:  # result types, for annotations only (their packages load scipy)
    from ..circuit import CircuitResult, GridMeta
    from ..leastcost import CorridorNetwork, NetworkMetrics

__all__ = ["CURRENT_PERCENTILES", "add_corridor_layers", "add_current_layer"]

# The current map's colour ramp spans these percentiles of the cells with current: the
# few cells at focal nodes carry orders of magnitude more and would take the whole ramp.
CURRENT_PERCENTILES: Final = (2.0, 99.5)
# Decimals kept in the corridor tables' popups: enough for costs, lengths and indices.
POPUP_DECIMALS: Final = 4


def _add(m: Any, frame: gpd.GeoDataFrame, name: str, color: str, **style: Any) -> None:
    """Add one table of the network as a layer (numbers rounded for the popups)."""
    if frame.empty:
        return
    # Round the numbers so that popups stay readable; add_layer reprojects to EPSG:4326.
    shown = frame.copy()
    numeric = shown.select_dtypes("number").columns
    shown[numeric] = shown[numeric].round(POPUP_DECIMALS)
    add_layer(m, shown, name=name, color=color, style=style or None, simplify_km=None)


def add_corridor_layers(
    m: Any,
    network: CorridorNetwork,
    *,
    metrics: NetworkMetrics | None = None,
    crossings: gpd.GeoDataFrame | None = None,
) -> Any:
    """Draw cores, corridors, least-cost paths, pinch points and crossings on a map.

    Parameters
    ----------
    m : folium.Map
        An atlas map (``corridors.build_map(...)``) or any folium map.
    network : CorridorNetwork
    metrics : NetworkMetrics, optional
        Adds dPC, betweenness and current-flow columns to the core layer's tooltips.
    crossings : GeoDataFrame, optional
        From :func:`infrastructure_crossings`; drawn as ranked candidate sites.

    Returns
    -------
    folium.Map
        ``m``, with one toggleable layer per table (reprojected to EPSG:4326).
    """
    cores = network.cores
    if metrics is not None:
        extra = metrics.cores.drop(columns=["geometry", "area_km2"], errors="ignore")
        cores = cores.merge(extra, on="core_id", how="left")
    _add(m, network.corridors, "Least-cost corridors", "#31a354", fillOpacity=0.35)
    _add(m, cores, "Habitat cores", "#006d2c", fillOpacity=0.6)
    _add(m, network.links, "Least-cost paths", "#08519c", weight=2)
    _add(m, network.pinch_points, "Pinch points", "#e31a1c", radius=6)
    if crossings is not None:
        _add(m, crossings, "Crossing sites (ranked)", "#ff7f00", radius=8)
    return m


def _to_wgs84(
    values: FloatArray, meta: GridMeta
) -> tuple[FloatArray, tuple[float, float, float, float]]:
    """Reproject a grid to EPSG:4326; returns the array and (west, south, east, north)."""
    # Imported here, not at module level: rasterio is heavy and only rasters need it.
    from affine import Affine
    from rasterio.crs import CRS
    from rasterio.warp import Resampling, calculate_default_transform, reproject

    src_transform = meta.transform or Affine(
        meta.cellsize,
        0,
        meta.xllcorner,
        0,
        -meta.cellsize,
        meta.yllcorner + meta.nrows * meta.cellsize,
    )
    src_crs = CRS.from_user_input(meta.crs)
    dst_crs = CRS.from_epsg(4326)
    xmin, ymin, xmax, ymax = meta.extent
    if src_crs == dst_crs:
        return values, (xmin, ymin, xmax, ymax)
    transform, width, height = calculate_default_transform(
        src_crs, dst_crs, meta.ncols, meta.nrows, xmin, ymin, xmax, ymax
    )
    out = np.full((height, width), np.nan)
    reproject(
        values,
        out,
        src_transform=src_transform,
        src_crs=src_crs,
        dst_transform=transform,
        dst_crs=dst_crs,
        resampling=Resampling.bilinear,
        src_nodata=np.nan,
        dst_nodata=np.nan,
    )
    west, north = transform.c, transform.f
    east = west + width * transform.a
    south = north + height * transform.e
    return out, (west, south, east, north)


def _current_image(
    values: FloatArray, *, log: bool = True, colormap: Any = None
) -> NDArray[np.uint8]:
    """Colour a current map as RGBA (transparent where there is no current)."""
    cmap = colormap if colormap is not None else bcm.linear.viridis  # type: ignore[attr-defined]
    v = np.asarray(values, dtype=np.float64)
    show = np.isfinite(v) & (v > 0)
    out = np.zeros((*v.shape, 4), dtype=np.uint8)
    if not show.any():
        return out
    data = np.log10(v[show]) if log else v[show]
    lo, hi = np.percentile(data, list(CURRENT_PERCENTILES))
    if hi <= lo:
        hi = lo + 1.0
    scaled = np.clip((data - lo) / (hi - lo), 0, 1)
    lut = np.array(
        [
            cmap.rgba_bytes_tuple(cmap.vmin + t * (cmap.vmax - cmap.vmin))
            for t in np.linspace(0, 1, RAMP_STEPS)
        ],
        dtype=np.uint8,
    )
    out[show] = lut[(scaled * (RAMP_STEPS - 1)).astype(np.int64)]
    out[show, 3] = 255
    return out


def add_current_layer(
    m: Any,
    result: CircuitResult | FloatArray,
    *,
    meta: GridMeta | None = None,
    which: str = "cum",
    name: str = "Current density",
    opacity: float = 0.7,
    log: bool = True,
    colormap: Any = None,
) -> Any:
    """Add a current-density map to a folium map as an image overlay.

    Parameters
    ----------
    m : folium.Map
        The atlas map to draw on.
    result : CircuitResult or ndarray
        A raster result (its cumulative, maximum or advanced-mode current map is
        used) or a current grid (then ``meta`` is required).
    meta : GridMeta, optional
        Grid of ``result`` when it is an array; must carry a CRS.
    which : {"cum", "max", "current"}
        Which map of a result to show.
    name : str
        Layer name in the layer control.
    opacity : float
        Overlay opacity.
    log : bool
        Colour by log10 of the current, which shows corridors better.
    colormap : branca colormap, optional
        Defaults to viridis.

    Returns
    -------
    folium.raster_layers.ImageOverlay
        The layer, already added to ``m``.

    Raises
    ------
    InputError
        The result has no such map, or the grid does not match ``meta``.
    CRSError
        The grid has no CRS.

    Notes
    -----
    This is not :func:`add_raster_layer` with other defaults, because that would draw
    other pixels: here the grid is reprojected to EPSG:4326 and placed by folium's own
    Mercator approximation (``mercator_project=True``), and the ramp spans the
    :data:`CURRENT_PERCENTILES` of the values rather than their range; the layer is
    returned rather than the map. :func:`add_raster_layer` places grids exactly in Web
    Mercator and adds a legend: prefer it for new code, with
    ``vmin``/``vmax`` set to the range you want coloured.
    """
    # Imported here: corridors.circuit loads scipy, needed only for its results.
    from ..circuit import CircuitResult

    if isinstance(result, CircuitResult):
        grid = {
            "cum": result.cum_current,
            "max": result.max_current,
            "current": result.current,
        }.get(which)
        if grid is None:
            raise InputError(
                f"the result has no {which!r} current map; run with current maps or pick "
                "which='cum', 'max' or 'current'"
            )
        meta = meta or result.meta
    else:
        grid = np.asarray(result, dtype=np.float64)
    if meta is None or meta.crs is None:
        raise CRSError(
            "the current map has no coordinate reference system; pass meta= with a CRS "
            "(e.g. from the habitat raster) so the overlay can be placed"
        )
    if grid.shape != meta.shape:
        raise InputError(f"current map shape {grid.shape} does not match the grid {meta.shape}")
    values, (west, south, east, north) = _to_wgs84(np.where(grid < 0, np.nan, grid), meta)
    image = _current_image(values, log=log, colormap=colormap)
    layer = folium.raster_layers.ImageOverlay(
        image=image,
        bounds=[[south, west], [north, east]],
        opacity=opacity,
        name=name,
        mercator_project=True,
    )
    layer.add_to(m)
    return layer
