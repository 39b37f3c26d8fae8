"""Showing current-density maps on folium (Leaflet) maps."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from ..errors import CRSError, InputError
from ._raster_io import GridMeta
from ._result import CircuitResult

FloatArray = npt.NDArray[np.float64]


def _to_wgs84(
    values: FloatArray, meta: GridMeta
) -> tuple[FloatArray, tuple[float, float, float, float]]:
    """Reproject a grid to EPSG:4326; returns the array and (west, south, east, north)."""
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


def current_image(
    values: FloatArray, *, log: bool = True, colormap: Any = None
) -> npt.NDArray[np.uint8]:
    """Colour a current map as RGBA (transparent where there is no current)."""
    import branca.colormap as cm

    cmap = colormap if colormap is not None else cm.linear.viridis  # type: ignore[attr-defined]
    v = np.asarray(values, dtype=np.float64)
    show = np.isfinite(v) & (v > 0)
    out = np.zeros((*v.shape, 4), dtype=np.uint8)
    if not show.any():
        return out
    data = np.log10(v[show]) if log else v[show]
    lo, hi = np.percentile(data, [2, 99.5])
    if hi <= lo:
        hi = lo + 1.0
    scaled = np.clip((data - lo) / (hi - lo), 0, 1)
    lut = np.array(
        [
            cmap.rgba_bytes_tuple(cmap.vmin + t * (cmap.vmax - cmap.vmin))
            for t in np.linspace(0, 1, 256)
        ],
        dtype=np.uint8,
    )
    out[show] = lut[(scaled * 255).astype(np.int64)]
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
    """
    import folium

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
    image = current_image(values, log=log, colormap=colormap)
    layer = folium.raster_layers.ImageOverlay(
        image=image,
        bounds=[[south, west], [north, east]],
        opacity=opacity,
        name=name,
        mercator_project=True,
    )
    layer.add_to(m)
    return layer
