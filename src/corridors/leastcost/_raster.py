"""Resistance rasters and cores: reading, validating and rasterising.

Every least-cost function starts here. A resistance raster is a 2-D array in (rows, cols)
order with an affine transform and a *projected* CRS. Costs are measured in
"resistance x metres" (the resistance of a cell times the distance crossed in it), the
unit of ArcGIS Cost Distance and Linkage Mapper. Geographic (degree) rasters are refused
rather than silently measured in degrees: their cell width shrinks with latitude, which a
single pair of cell sizes cannot express. Reproject them first (for example to
:func:`corridors.crs.local_crs` or a UTM zone).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import shapely
from affine import Affine
from pyproj import CRS
from shapely.geometry.base import BaseGeometry

from .._typing import FloatArray, Int64Array
from ..crs import as_crs
from ..errors import CRSError, DataFileError, InputError
from ._errors import CoreError, ResistanceError

__all__ = [
    "Cores",
    "ResistanceSurface",
    "cell_centres",
    "cells_of",
    "rasterize_cores",
    "read_resistance",
]


ResistanceLike = Any  # ndarray | str | os.PathLike | ResistanceSurface


@dataclass(frozen=True)
class ResistanceSurface:
    """A validated resistance raster.

    Attributes
    ----------
    values : ndarray of float64, shape (rows, cols)
        Resistance per cell, > 0; barriers (nodata, NaN, infinite) are ``inf``.
    transform : affine.Affine
        Maps (col, row) to the raster CRS; north-up, no rotation.
    crs : pyproj.CRS
        A projected CRS.
    cell_size : tuple of float
        Cell height and width in metres, in (rows, cols) order.
    """

    values: FloatArray
    transform: Affine
    crs: CRS
    cell_size: tuple[float, float]

    @property
    def shape(self) -> tuple[int, int]:
        """Raster shape as (rows, cols)."""
        return (int(self.values.shape[0]), int(self.values.shape[1]))

    @property
    def barrier(self) -> npt.NDArray[np.bool_]:
        """Boolean mask of impassable cells (rows, cols)."""
        return ~np.isfinite(self.values)

    @property
    def cell_area_km2(self) -> float:
        """Area of one cell in square kilometres."""
        return self.cell_size[0] * self.cell_size[1] / 1e6


def cell_centres(
    transform: Affine, rows: npt.ArrayLike, cols: npt.ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """Map coordinates (x, y) of the centres of cells (rows, cols)."""
    r = np.asarray(rows, dtype=np.float64) + 0.5
    c = np.asarray(cols, dtype=np.float64) + 0.5
    t = transform
    return t.a * c + t.b * r + t.c, t.d * c + t.e * r + t.f


def cells_of(
    transform: Affine, xs: npt.ArrayLike, ys: npt.ArrayLike
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """(rows, cols) of the cells containing map coordinates (x, y); may be out of range."""
    inv = ~transform
    x = np.asarray(xs, dtype=np.float64)
    y = np.asarray(ys, dtype=np.float64)
    cols = inv.a * x + inv.b * y + inv.c
    rows = inv.d * x + inv.e * y + inv.f
    return np.floor(rows).astype(np.int64), np.floor(cols).astype(np.int64)


def read_resistance(
    resistance: ResistanceLike,
    *,
    transform: Affine | Sequence[float] | None = None,
    crs: Any = None,
    nodata: float | None = None,
) -> ResistanceSurface:
    """Read and validate a resistance raster.

    Parameters
    ----------
    resistance : ndarray, path or ResistanceSurface
        A 2-D array in (rows, cols) order, a raster file rasterio can read (band 1), or an
        already validated surface (returned unchanged).
    transform : affine.Affine or 6 floats, optional
        Required for arrays; ignored for files (the file's own is used unless given).
    crs : anything pyproj accepts, optional
        Required for arrays; for files, overrides the file's CRS (or supplies a missing one).
    nodata : float, optional
        Value marking cells outside the study area; they become barriers. Files use their
        own nodata value unless this is given.

    Returns
    -------
    ResistanceSurface

    Raises
    ------
    ResistanceError
        Zero or negative resistances, not a 2-D array, or no passable cell.
    CRSError
        No CRS, or a geographic CRS.
    InputError
        An array without a transform, or a rotated transform.
    RasterError
        An ESRI ASCII grid (``.asc``, ``.asc.gz``) that disagrees with its header
        (truncated, other shape, rows of other lengths), holds text, NaN or infinity
        instead of numbers, or has a cell size that is not positive.
    DataFileError
        A file that is missing, a directory, or cannot be read.
    """
    if isinstance(resistance, ResistanceSurface):
        return resistance
    if isinstance(resistance, str | os.PathLike):
        values, file_transform, file_crs, file_nodata = _read_file(Path(resistance))
        transform = transform if transform is not None else file_transform
        crs = crs if crs is not None else file_crs
        nodata = nodata if nodata is not None else file_nodata
        what = f"resistance raster {resistance}"
    else:
        values = np.asarray(resistance)
        what = "the resistance raster"
    if values.ndim != 2 or min(values.shape) < 1:
        raise ResistanceError(
            f"{what} must be a 2-D array in (rows, cols) order, got shape {values.shape}"
        )
    if not np.issubdtype(values.dtype, np.number) or np.issubdtype(
        values.dtype, np.complexfloating
    ):
        raise ResistanceError(f"{what} must hold real numbers, got dtype {values.dtype}")
    if transform is None:
        raise InputError(
            f"{what} has no transform; pass transform=Affine(...) mapping (col, row) to "
            "the CRS (e.g. rasterio.transform.from_origin(west, north, size, size))"
        )
    aff = transform if isinstance(transform, Affine) else Affine(*list(transform)[:6])
    if aff.b != 0 or aff.d != 0:
        raise InputError(f"{what} has a rotated transform {tuple(aff)[:6]}; warp it north-up")
    if aff.a == 0 or aff.e == 0:
        raise InputError(f"{what} has a degenerate transform {tuple(aff)[:6]}")
    crs_obj = _projected_crs(crs, what)
    factor = _metres_per_unit(crs_obj)
    cell_size = (abs(aff.e) * factor, abs(aff.a) * factor)
    return ResistanceSurface(_clean_values(values, nodata, what), aff, crs_obj, cell_size)


def _read_file(path: Path) -> tuple[npt.NDArray[Any], Affine, Any, float | None]:
    import rasterio  # deferred: rasterio
    from rasterio.io import MemoryFile

    from ..circuit._ascii import (
        check_ascii_file,
        is_gzip,
    )  # deferred: loads corridors.circuit (scipy, pyamg)

    source = f"resistance raster {path}"
    if path.is_dir():
        raise DataFileError(
            f"{source} is a directory, not a file; give the path of the raster file itself"
        )
    if not path.exists():
        raise DataFileError(f"{source} does not exist; check the path")
    # GDAL reads a grid that disagrees with its header silently (truncated, shifted,
    # text as 0): ASCII grids are checked against their header first.
    checked = check_ascii_file(path, source=source)
    try:
        if checked is not None and checked[1] is not None:
            # A gzip'd ASCII grid, already decompressed for the check.
            with MemoryFile(checked[1], ext=".asc") as mem, mem.open() as src:
                return src.read(1), src.transform, src.crs, src.nodata
        name = f"/vsigzip/{path}" if is_gzip(path) else path
        with rasterio.open(name) as src:
            return src.read(1), src.transform, src.crs, src.nodata
    except rasterio.errors.RasterioError as exc:
        raise DataFileError(
            f"cannot read {source}: {exc}; it must be a raster GDAL reads (GeoTIFF, ESRI "
            "ASCII grid ...)"
        ) from exc


def _projected_crs(crs: Any, what: str) -> CRS:
    if crs is None:
        raise CRSError(
            f"{what} has no CRS; pass crs='EPSG:...' (a projected CRS in metres, "
            "e.g. a UTM zone) so that costs can be measured in metres"
        )
    crs_obj = as_crs(crs.to_wkt() if hasattr(crs, "to_wkt") else crs)
    if not crs_obj.is_projected:
        raise CRSError(
            f"{what} is in a geographic CRS ({crs_obj.name}); cell widths in degrees vary "
            "with latitude, so reproject it to a projected CRS in metres first (a UTM zone "
            "or corridors.crs.local_crs(lon, lat))"
        )
    return crs_obj


def _metres_per_unit(crs: CRS) -> float:
    # Costs are resistance x metres whatever the CRS's linear unit (US feet exist).
    for axis in crs.axis_info:
        if axis.unit_conversion_factor:
            return float(axis.unit_conversion_factor)
    return 1.0


def _clean_values(values: npt.NDArray[Any], nodata: float | None, what: str) -> FloatArray:
    """Return float64 resistances with barriers as ``inf``; never modifies ``values``."""
    arr = values.astype(np.float64, copy=False)
    # Fast path for large clean rasters: one pass proves there is no NaN, zero or negative
    # (min is NaN if any NaN, <= 0 if any non-positive); only nodata needs a second look.
    lowest = float(np.min(arr))
    has_nodata = nodata is not None and bool(np.any(arr == nodata))
    if lowest > 0 and not has_nodata:
        if not np.isfinite(arr).any():
            raise ResistanceError(_all_barrier(what, nodata))
        return arr
    barrier = np.isnan(arr) | np.isposinf(arr)
    if nodata is not None:
        barrier |= arr == nodata if not np.isnan(nodata) else np.isnan(arr)
    bad = ~barrier & (arr <= 0)
    if bad.any():
        rows, cols = np.nonzero(bad)
        raise ResistanceError(
            f"{what} has {int(bad.sum())} zero or negative resistance value(s), first "
            f"{float(arr[rows[0], cols[0]])} at (row {int(rows[0])}, col {int(cols[0])}); "
            "resistances must be > 0: mark impassable cells as nodata or inf instead"
        )
    if barrier.all():
        raise ResistanceError(_all_barrier(what, nodata))
    out = np.array(arr, dtype=np.float64, copy=True)
    out[barrier] = np.inf
    return out


def _all_barrier(what: str, nodata: float | None) -> str:
    marks = "NaN or infinite" if nodata is None else f"nodata ({nodata:g}), NaN or infinite"
    return (
        f"{what} has no passable cell: every cell is {marks}, a barrier; check that the "
        "nodata value is right and that the raster covers the study area"
    )


@dataclass(frozen=True)
class Cores:
    """Cores rasterised onto a resistance grid.

    Attributes
    ----------
    ids : list
        Core ids, sorted; core ``ids[k]`` has label ``k + 1`` in ``labels``.
    labels : ndarray of int32, shape (rows, cols)
        0 outside cores.
    cells : list of ndarray of int64
        Flat (row-major) indices of each core's passable cells.
    frame : GeoDataFrame
        One row per core in the raster CRS: ``core_id``, ``n_cells``, ``area_km2``
        (cell count x cell area), geometry (the input geometry, or the polygonised cells).
    """

    ids: list[Any]
    labels: npt.NDArray[np.int32]
    cells: list[Int64Array]
    frame: gpd.GeoDataFrame


def rasterize_cores(
    cores: Any, surface: ResistanceSurface, *, id_column: str | None = None
) -> Cores:
    """Place cores on the grid of ``surface``.

    Parameters
    ----------
    cores : GeoDataFrame, GeoSeries, sequence of geometries, or ndarray
        Points, lines or polygons (reprojected to the raster CRS when they have another
        CRS; a plain sequence of geometries is taken to be in the raster CRS), or an
        integer label raster of the same shape (0 or negative = no core).
    surface : ResistanceSurface
    id_column : str, optional
        Column of ``cores`` holding the core ids; the index is used by default.

    Raises
    ------
    CoreError
        A core outside the raster, a point core on a barrier cell, a core all of whose
        cells are barriers or taken by other cores, duplicate ids, or no cores at all.
    CRSError
        A GeoDataFrame or GeoSeries without a CRS.
    """
    rows, cols = surface.shape
    if isinstance(cores, np.ndarray):
        return _cores_from_labels(cores, surface)
    frame = _as_frame(cores, surface, id_column)
    if len(frame) == 0:
        raise CoreError("no cores given: pass at least two core geometries")
    if frame["core_id"].duplicated().any():
        dup = frame.loc[frame["core_id"].duplicated(), "core_id"].tolist()
        raise CoreError(f"duplicate core ids {dup[:5]}; each core needs its own id")
    frame = frame.sort_values("core_id", kind="stable").reset_index(drop=True)
    labels = np.zeros((rows, cols), dtype=np.int32)
    barrier = surface.barrier
    from rasterio.features import rasterize  # deferred: rasterio

    for k, (cid, geom) in enumerate(zip(frame["core_id"], frame.geometry, strict=True), 1):
        if geom is None or geom.is_empty:
            raise CoreError(f"core {cid!r} has an empty geometry")
        if isinstance(geom, shapely.Point | shapely.MultiPoint):
            pts = shapely.get_coordinates(geom)
            for x, y in pts:
                rr, cc = cells_of(surface.transform, [x], [y])
                ri, ci = int(rr[0]), int(cc[0])
                if not (0 <= ri < rows and 0 <= ci < cols):
                    raise CoreError(
                        f"core {cid!r} at ({x:.1f}, {y:.1f}) lies outside the raster "
                        f"(bounds {_bounds(surface)} in {surface.crs.name})"
                    )
                if barrier[ri, ci]:
                    raise CoreError(
                        f"core {cid!r} at ({x:.1f}, {y:.1f}) lies on a barrier cell "
                        f"(row {ri}, col {ci}: nodata or infinite resistance); move it onto "
                        "passable habitat"
                    )
                labels[ri, ci] = k
            continue
        mask = _burn(rasterize, geom, surface, all_touched=False)
        if not mask.any():
            # Small or thin cores may cover no cell centre; take every cell they touch.
            mask = _burn(rasterize, geom, surface, all_touched=True)
        if not mask.any():
            raise CoreError(
                f"core {cid!r} lies outside the raster (core bounds "
                f"{tuple(round(v, 1) for v in geom.bounds)}, raster bounds {_bounds(surface)} "
                f"in {surface.crs.name})"
            )
        if barrier[mask].all():
            raise CoreError(
                f"core {cid!r} lies entirely on barrier cells (nodata or infinite resistance)"
            )
        labels[mask & ~barrier] = k
    return _finish(frame, labels, surface)


def _burn(
    rasterize: Any, geom: BaseGeometry, surface: ResistanceSurface, *, all_touched: bool
) -> Any:
    return rasterize(
        [(geom, 1)],
        out_shape=surface.shape,
        transform=surface.transform,
        fill=0,
        all_touched=all_touched,
        dtype="uint8",
    ).astype(bool)


def _bounds(surface: ResistanceSurface) -> tuple[float, ...]:
    rows, cols = surface.shape
    t = surface.transform
    xs = (t.c, t.c + t.a * cols)
    ys = (t.f, t.f + t.e * rows)
    return (round(min(xs), 1), round(min(ys), 1), round(max(xs), 1), round(max(ys), 1))


def _as_frame(cores: Any, surface: ResistanceSurface, id_column: str | None) -> gpd.GeoDataFrame:
    if isinstance(cores, gpd.GeoSeries):
        cores = gpd.GeoDataFrame(geometry=cores)
    if isinstance(cores, gpd.GeoDataFrame):
        if cores.crs is None:
            raise CRSError("the cores have no CRS; set one with .set_crs(...)")
        if not CRS.from_user_input(cores.crs).equals(surface.crs):
            cores = cores.to_crs(surface.crs)
        if id_column is not None:
            if id_column not in cores.columns:
                raise CoreError(f"cores have no column {id_column!r}")
            ids = cores[id_column].tolist()
        else:
            ids = cores.index.tolist()
        return gpd.GeoDataFrame({"core_id": ids}, geometry=list(cores.geometry), crs=surface.crs)
    if isinstance(cores, BaseGeometry):
        cores = [cores]
    try:
        geoms = list(cores)
    except TypeError as exc:
        raise CoreError(
            f"cannot read cores of type {type(cores).__name__}: pass a GeoDataFrame, "
            "a sequence of shapely geometries or an integer label raster"
        ) from exc
    if not all(isinstance(g, BaseGeometry) for g in geoms):
        raise CoreError("cores given as a sequence must all be shapely geometries")
    return gpd.GeoDataFrame({"core_id": list(range(len(geoms)))}, geometry=geoms, crs=surface.crs)


def _cores_from_labels(labels_in: npt.NDArray[Any], surface: ResistanceSurface) -> Cores:
    if labels_in.shape != surface.shape:
        raise CoreError(
            f"core label raster has shape {labels_in.shape}, the resistance raster "
            f"{surface.shape}; they must share one grid"
        )
    if labels_in.dtype == bool:
        labels_in = labels_in.astype(np.int32)
    if not np.issubdtype(labels_in.dtype, np.integer):
        raise CoreError(f"a core label raster must hold integers, got {labels_in.dtype}")
    present = np.unique(labels_in[labels_in > 0])
    if present.size == 0:
        raise CoreError("the core label raster has no cell > 0")
    barrier = surface.barrier
    on_barrier = [int(v) for v in present if barrier[labels_in == v].all()]
    if on_barrier:
        raise CoreError(f"core(s) {on_barrier[:5]} lie entirely on barrier cells")
    from rasterio.features import shapes  # deferred: rasterio

    dense = np.searchsorted(present, labels_in).astype(np.int32) + 1
    dense[labels_in <= 0] = 0
    polys: dict[int, list[BaseGeometry]] = {}
    for geom, value in shapes(dense, mask=dense > 0, transform=surface.transform):
        polys.setdefault(int(value), []).append(shapely.geometry.shape(geom))
    geoms = [shapely.union_all(polys[k + 1]) for k in range(present.size)]
    frame = gpd.GeoDataFrame(
        {"core_id": [int(v) for v in present]}, geometry=geoms, crs=surface.crs
    )
    dense[barrier] = 0
    return _finish(frame, dense, surface)


def _finish(
    frame: gpd.GeoDataFrame, labels: npt.NDArray[np.int32], surface: ResistanceSurface
) -> Cores:
    # Sort only the core cells: sorting a whole 16-million-cell raster costs seconds.
    where = np.flatnonzero(labels)
    values = labels.ravel()[where]
    order = np.argsort(values, kind="stable")
    where = where[order].astype(np.int64)
    counts = np.bincount(values, minlength=len(frame) + 1)
    bounds = np.cumsum(counts)
    cells = [
        where[bounds[k - 1] - counts[0] : bounds[k] - counts[0]] for k in range(1, len(frame) + 1)
    ]
    empty = [frame["core_id"].iloc[k] for k, c in enumerate(cells) if c.size == 0]
    if empty:
        raise CoreError(
            f"core(s) {empty[:5]} have no cell of their own: they overlap other cores or "
            "barriers completely"
        )
    frame = frame.copy()
    frame["n_cells"] = counts[1:].astype(np.int64)
    frame["area_km2"] = frame["n_cells"] * surface.cell_area_km2
    frame = frame[["core_id", "n_cells", "area_km2", "geometry"]]
    return Cores(list(frame["core_id"]), labels, cells, gpd.GeoDataFrame(frame, crs=surface.crs))
