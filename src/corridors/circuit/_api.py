"""Pythonic entry points that take numpy arrays or rasterio datasets directly."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from .._typing import FloatArray
from ..errors import InputError, RasterError
from ._advanced import POLICIES, ground_conductances, source_currents
from ._errors import FocalPointError
from ._inputs import PairSelection, Points, check_points_on_habitat, conductance_from_habitat
from ._modes import Settings, raster_advanced, raster_one_or_all, raster_pairwise
from ._outputs import MapOptions
from ._raster_io import GridMeta, meta_from_transform, read_raster
from ._result import CircuitResult

PointsLike = Any  # id grid, (k, 3) array of id,row,col, or {id: (row, col)}


def _as_grid(data: Any, *, role: str) -> tuple[FloatArray, GridMeta]:
    """Read an array, an open rasterio dataset or a raster file into float64, NaN nodata."""
    if isinstance(data, str | os.PathLike):
        return read_raster(Path(data), role=role)
    if hasattr(data, "read") and hasattr(data, "transform"):
        arr = np.asarray(data.read(1), dtype=np.float64)
        nodata = data.nodata
        if nodata is not None and not np.isnan(nodata):
            arr = np.where(arr == nodata, np.nan, arr)
        meta = meta_from_transform(
            arr.shape[0],
            arr.shape[1],
            data.transform,
            crs=data.crs,
            path=str(getattr(data, "name", role)),
        )
        return arr, meta
    arr = np.asarray(data, dtype=np.float64)
    if arr.ndim != 2:
        raise RasterError(f"{role} must be a 2-D array, got shape {arr.shape}")
    return arr, meta_from_transform(arr.shape[0], arr.shape[1], None, path=f"<{role} array>")


def _georef(meta: GridMeta, transform: Any, crs: Any) -> GridMeta:
    if transform is None and crs is None:
        return meta
    if transform is not None:
        m = meta_from_transform(meta.nrows, meta.ncols, transform, crs=crs, path=meta.path)
        return m
    return GridMeta(
        meta.nrows,
        meta.ncols,
        meta.xllcorner,
        meta.yllcorner,
        meta.cellsize,
        meta.nodata,
        crs,
        meta.transform,
        meta.path,
    )


def _same_shape(arr: FloatArray, ref: FloatArray, role: str) -> None:
    if arr.shape != ref.shape:
        raise RasterError(
            f"{role} has shape {arr.shape} but the habitat grid is {ref.shape}; "
            "give arrays on the same grid"
        )


def _points(points: PointsLike, shape: tuple[int, int]) -> Points:
    if isinstance(points, Mapping):
        rows = np.array([int(rc[0]) for rc in points.values()], dtype=np.int64)
        cols = np.array([int(rc[1]) for rc in points.values()], dtype=np.int64)
        ids = np.array([int(k) for k in points], dtype=np.int64)
    else:
        arr = np.asarray(points)
        if arr.shape == shape:
            grid = np.where(np.isfinite(arr.astype(float)), arr, 0)
            cc, rr = np.nonzero(grid.T)
            rows, cols = rr.astype(np.int64), cc.astype(np.int64)
            ids = grid[rows, cols].astype(np.int64)
            keep = ids > 0
            rows, cols, ids = rows[keep], cols[keep], ids[keep]
        elif arr.ndim == 2 and arr.shape[1] == 3:
            ids = arr[:, 0].astype(np.int64)
            rows = arr[:, 1].astype(np.int64)
            cols = arr[:, 2].astype(np.int64)
        else:
            raise InputError(
                f"points must be an id grid of the habitat's shape {shape}, a (k, 3) array of "
                f"id, row, col, or a mapping id -> (row, col); got shape {arr.shape}"
            )
    outside = (rows < 0) | (rows >= shape[0]) | (cols < 0) | (cols >= shape[1])
    if outside.any():
        k = int(np.flatnonzero(outside)[0])
        raise FocalPointError(
            f"focal point {ids[k]} at row {rows[k]}, col {cols[k]} lies outside the "
            f"{shape[0]}x{shape[1]} grid; give 0-based rows and columns inside it"
        )
    order = np.argsort(ids, kind="stable")
    return Points(ids[order], rows[order], cols[order])


def _selection(pairs: Sequence[tuple[int, int]] | None) -> PairSelection | None:
    if pairs is None:
        return None
    listed = {(int(a), int(b)) for a, b in pairs}
    ids = np.array(sorted({i for p in listed for i in p}), dtype=np.int64)
    return PairSelection(ids, "include", listed)


def _prepare(
    habitat: Any, *, resistances: bool, polygons: Any, mask: Any, transform: Any, crs: Any
) -> tuple[FloatArray, GridMeta, npt.NDArray[np.int64] | None]:
    values, meta = _as_grid(habitat, role="habitat")
    meta = _georef(meta, transform, crs)
    g = conductance_from_habitat(values, is_resistance=resistances, source=meta.path)
    poly = None
    if polygons is not None:
        parr, _ = _as_grid(polygons, role="polygons")
        _same_shape(parr, g, "polygons")
        poly = np.where(np.isfinite(parr), parr, 0).astype(np.int64)
    if mask is not None:
        marr, _ = _as_grid(mask, role="mask")
        _same_shape(marr, g, "mask")
        g = np.where(np.isfinite(marr) & (marr > 0), g, 0.0)
    return g, meta, poly


def _focal_points(points: PointsLike, g: FloatArray) -> tuple[Points, list[str]]:
    """Focal points as cell indices, with notes on any that fall on nodata cells."""
    pts = _points(points, g.shape)
    return pts, check_points_on_habitat(pts, g, source="points")


def _maps(keep_maps: bool) -> MapOptions:
    return MapOptions(write_cur_maps=True, write_volt_maps=keep_maps, write_max_cur_maps=True)


def pairwise(
    habitat: Any,
    points: PointsLike,
    *,
    resistances: bool = True,
    polygons: Any = None,
    mask: Any = None,
    included_pairs: Sequence[tuple[int, int]] | None = None,
    four_neighbors: bool = False,
    avg_resistances: bool = True,
    keep_maps: bool = True,
    transform: Any = None,
    crs: Any = None,
    solver: str = "auto",
    progress: bool = False,
) -> CircuitResult:
    """Effective resistance and current maps between every pair of focal nodes.

    Parameters
    ----------
    habitat : ndarray, rasterio dataset or path
        Cell resistances (or conductances with ``resistances=False``); NaN is nodata.
        A path is read like a job's habitat file (``.asc``, ``.asc.gz``, GeoTIFF).
    points : id grid, (k, 3) array or mapping
        Focal nodes: a grid of ids (0 = none; an id on several cells is a focal
        region), rows of ``id, row, col`` (0-based), or ``{id: (row, col)}``.
    resistances : bool
        Whether ``habitat`` holds resistances (True) or conductances.
    polygons : ndarray, rasterio dataset or path, optional
        Short-circuit regions: cells sharing a non-zero label become one node.
    mask : ndarray, rasterio dataset or path, optional
        Cells where the mask is not positive are removed.
    included_pairs : sequence of (id, id), optional
        Solve only these pairs.
    four_neighbors, avg_resistances : bool
        Connection scheme (defaults: 8 neighbours, averaged resistances).
    keep_maps : bool
        Keep every pair's current and voltage map in ``pair_currents`` / ``pair_voltages``.
    transform, crs : optional
        Georeferencing of plain arrays (rasterio datasets carry their own).
    solver : {"auto", "direct", "amg"}
    progress : bool
        Show a progress bar for many solves.

    Returns
    -------
    CircuitResult
        ``resistances`` is the ``(k, k)`` matrix (``-1`` where disconnected),
        ``cum_current`` and ``max_current`` the cumulative and maximum current maps.
    """
    g, meta, poly = _prepare(
        habitat,
        resistances=resistances,
        polygons=polygons,
        mask=mask,
        transform=transform,
        crs=crs,
    )
    pts, notes = _focal_points(points, g)
    settings = Settings(
        four_neighbors=four_neighbors,
        avg_resistances=avg_resistances,
        progress=progress,
        keep_maps=keep_maps,
        solver=solver,
    )
    res = raster_pairwise(
        g,
        pts,
        polygons=poly,
        selection=_selection(included_pairs),
        settings=settings,
        opts=_maps(keep_maps),
        writer=None,
        meta=meta,
    )
    res.notes.extend(notes)
    return res


def _one_or_all(
    habitat: Any,
    points: PointsLike,
    *,
    one_to_all: bool,
    resistances: bool,
    polygons: Any,
    mask: Any,
    strengths: Mapping[int, float] | None,
    four_neighbors: bool,
    avg_resistances: bool,
    keep_maps: bool,
    transform: Any,
    crs: Any,
    progress: bool,
) -> CircuitResult:
    g, meta, poly = _prepare(
        habitat,
        resistances=resistances,
        polygons=polygons,
        mask=mask,
        transform=transform,
        crs=crs,
    )
    pts, notes = _focal_points(points, g)
    settings = Settings(
        four_neighbors=four_neighbors,
        avg_resistances=avg_resistances,
        progress=progress,
        keep_maps=keep_maps,
    )
    res = raster_one_or_all(
        g,
        pts,
        one_to_all=one_to_all,
        polygons=poly,
        selection=None,
        strengths=dict(strengths) if strengths is not None else None,
        settings=settings,
        opts=_maps(keep_maps),
        writer=None,
        meta=meta,
    )
    res.notes.extend(notes)
    return res


def one_to_all(
    habitat: Any,
    points: PointsLike,
    *,
    resistances: bool = True,
    polygons: Any = None,
    mask: Any = None,
    strengths: Mapping[int, float] | None = None,
    four_neighbors: bool = False,
    avg_resistances: bool = True,
    keep_maps: bool = True,
    transform: Any = None,
    crs: Any = None,
    progress: bool = False,
) -> CircuitResult:
    """Each focal node in turn injects current while all the others are grounded.

    Parameters are as for :func:`pairwise`; ``strengths`` maps ids to source
    currents (default 1 A). ``resistances`` of the result holds each node's
    resistance to all the others (``-1`` when disconnected).
    """
    return _one_or_all(
        habitat,
        points,
        one_to_all=True,
        resistances=resistances,
        polygons=polygons,
        mask=mask,
        strengths=strengths,
        four_neighbors=four_neighbors,
        avg_resistances=avg_resistances,
        keep_maps=keep_maps,
        transform=transform,
        crs=crs,
        progress=progress,
    )


def all_to_one(
    habitat: Any,
    points: PointsLike,
    *,
    resistances: bool = True,
    polygons: Any = None,
    mask: Any = None,
    strengths: Mapping[int, float] | None = None,
    four_neighbors: bool = False,
    avg_resistances: bool = True,
    keep_maps: bool = True,
    transform: Any = None,
    crs: Any = None,
    progress: bool = False,
) -> CircuitResult:
    """Each focal node in turn is grounded while all the others inject current.

    Parameters are as for :func:`one_to_all`.
    """
    return _one_or_all(
        habitat,
        points,
        one_to_all=False,
        resistances=resistances,
        polygons=polygons,
        mask=mask,
        strengths=strengths,
        four_neighbors=four_neighbors,
        avg_resistances=avg_resistances,
        keep_maps=keep_maps,
        transform=transform,
        crs=crs,
        progress=progress,
    )


def advanced(
    habitat: Any,
    sources: Any,
    grounds: Any,
    *,
    resistances: bool = True,
    grounds_are_resistances: bool = False,
    direct_grounds: bool = False,
    unit_currents: bool = False,
    policy: str = "keepall",
    polygons: Any = None,
    mask: Any = None,
    four_neighbors: bool = False,
    avg_resistances: bool = True,
    transform: Any = None,
    crs: Any = None,
) -> CircuitResult:
    """Advanced mode: arbitrary current sources and grounds given as grids.

    Parameters
    ----------
    sources : ndarray, rasterio dataset or path
        Current injected in each cell (0 or NaN for none).
    grounds : ndarray, rasterio dataset or path
        Each cell's conductance to ground (or resistance with
        ``grounds_are_resistances``; a resistance of 0 is a direct ground); 0 or NaN
        for none.
    direct_grounds : bool
        Tie every ground directly to 0 V.
    unit_currents : bool
        Every source injects 1 A.
    policy : {"keepall", "rmvsrc", "rmvgnd", "rmvall"}
        What to do where a node is both a source and a ground.

    Returns
    -------
    CircuitResult
        ``current`` and ``voltage`` maps.
    """
    if policy not in POLICIES:
        raise InputError(f"policy {policy!r} is not valid; use {', '.join(POLICIES)}")
    g, meta, poly = _prepare(
        habitat,
        resistances=resistances,
        polygons=polygons,
        mask=mask,
        transform=transform,
        crs=crs,
    )
    s, _ = _as_grid(sources, role="sources")
    gr, _ = _as_grid(grounds, role="grounds")
    _same_shape(s, g, "sources")
    _same_shape(gr, g, "grounds")
    s = source_currents(s, unit_currents=unit_currents)
    gc = ground_conductances(
        gr, is_resistance=grounds_are_resistances, direct_grounds=direct_grounds
    )
    if not np.any(s != 0) or not np.any(gc != 0):
        raise InputError("advanced mode needs at least one source and one ground cell")
    settings = Settings(
        four_neighbors=four_neighbors, avg_resistances=avg_resistances, policy=policy
    )
    return raster_advanced(
        g,
        s,
        gc,
        polygons=poly,
        settings=settings,
        opts=MapOptions(write_cur_maps=True, write_volt_maps=True),
        writer=None,
        meta=meta,
    )
