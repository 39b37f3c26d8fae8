"""Least-cost paths between cores, as LineStrings with cost, length and ratio."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import shapely
from affine import Affine

from ..errors import InputError
from ._cost import CostDistance, _Engine, trace_path
from ._raster import Cores, ResistanceSurface, cell_centres, rasterize_cores, read_resistance

__all__ = ["least_cost_paths"]

PATH_COLUMNS = [
    "core_a",
    "core_b",
    "reachable",
    "cost",
    "length_km",
    "euclidean_km",
    "cost_to_euclidean",
]


def least_cost_paths(
    resistance: Any,
    cores: Any,
    *,
    pairs: Iterable[tuple[Any, Any]] | None = None,
    neighbors: int = 8,
    transform: Affine | None = None,
    crs: Any = None,
    nodata: float | None = None,
    id_column: str | None = None,
) -> gpd.GeoDataFrame:
    """Least-cost paths between pairs of cores.

    Parameters
    ----------
    resistance : ndarray, raster path or ResistanceSurface
        See :func:`read_resistance` (projected CRS, resistance > 0, barriers nodata/inf).
    cores : GeoDataFrame, GeoSeries, geometries or label raster
        See :func:`rasterize_cores`.
    pairs : iterable of (core id, core id), optional
        Which pairs to connect; all pairs by default.
    neighbors : {8, 4}
    transform, crs, nodata
        Georeferencing for arrays.
    id_column : str, optional
        Column of ``cores`` holding the ids (the index by default).

    Returns
    -------
    GeoDataFrame
        One row per pair, in the raster CRS, ``core_a < core_b``, sorted:
        ``reachable``; ``cost`` (least-cost distance, resistance x metres);
        ``length_km`` (path length through cell centres); ``euclidean_km`` (edge-to-edge
        distance between the cores); ``cost_to_euclidean`` (cost / Euclidean metres,
        NaN for touching cores); geometry: the path from a cell of ``core_a`` to a cell of
        ``core_b`` (an empty LineString when unreachable).
    """
    surface = read_resistance(resistance, transform=transform, crs=crs, nodata=nodata)
    core_set = rasterize_cores(cores, surface, id_column=id_column)
    label_pairs = _label_pairs(core_set, pairs)
    engine = _Engine(surface, neighbors)
    records = []
    by_source: dict[int, list[int]] = {}
    for a, b in label_pairs:
        by_source.setdefault(a, []).append(b)
    for a in sorted(by_source):
        result = engine.run(core_set.cells[a - 1])
        for b in by_source[a]:
            rec, _ = path_record(result, core_set, a, b, surface)
            records.append(rec)
    return _frame(records, surface)


def _label_pairs(cores: Cores, pairs: Iterable[tuple[Any, Any]] | None) -> list[tuple[int, int]]:
    n = len(cores.ids)
    if pairs is None:
        return [(a, b) for a in range(1, n + 1) for b in range(a + 1, n + 1)]
    index = {cid: k + 1 for k, cid in enumerate(cores.ids)}
    out = set()
    for pair in pairs:
        try:
            ida, idb = pair
        except (TypeError, ValueError) as exc:
            raise InputError(f"pairs must be (core id, core id) tuples, got {pair!r}") from exc
        missing = [p for p in (ida, idb) if p not in index]
        if missing:
            raise InputError(f"unknown core id(s) {missing} in pairs; known ids: {cores.ids[:10]}")
        a, b = index[ida], index[idb]
        if a == b:
            raise InputError(f"pair {pair!r} joins a core to itself")
        out.add((min(a, b), max(a, b)))
    return sorted(out)


def path_record(
    result: CostDistance, cores: Cores, a: int, b: int, surface: ResistanceSurface
) -> tuple[dict[str, Any], npt.NDArray[np.int64]]:
    """Describe the least-cost path from core label ``a`` (the source of ``result``) to ``b``.

    Returns the table record and the path cells (n, 2) in (row, col).
    """
    cells_b = cores.cells[b - 1]
    costs = result.cost.ravel()[cells_b]
    k = int(np.argmin(costs))
    cost = float(costs[k])
    geom_a = cores.frame.geometry.iloc[a - 1]
    geom_b = cores.frame.geometry.iloc[b - 1]
    factor = metres_per_unit(surface)
    euclid_m = float(geom_a.distance(geom_b)) * factor
    rec: dict[str, Any] = {
        "core_a": cores.ids[a - 1],
        "core_b": cores.ids[b - 1],
        "reachable": bool(np.isfinite(cost)),
        "cost": cost,
        "length_km": np.nan,
        "euclidean_km": euclid_m / 1000.0,
        "cost_to_euclidean": cost / euclid_m if euclid_m > 0 and np.isfinite(cost) else np.nan,
        "geometry": shapely.LineString(),
    }
    if not np.isfinite(cost):
        return rec, np.empty((0, 2), dtype=np.int64)
    cols = surface.shape[1]
    end = divmod(int(cells_b[k]), cols)
    path = trace_path(result, end)
    line = cells_to_line(path, surface.transform)
    rec["geometry"] = line
    rec["length_km"] = float(line.length) * factor / 1000.0
    return rec, path


def cells_to_line(path: npt.NDArray[np.int64], transform: Affine) -> shapely.LineString:
    """LineString through the centres of (row, col) cells."""
    xs, ys = cell_centres(transform, path[:, 0], path[:, 1])
    coords = np.column_stack([xs, ys])
    if len(coords) == 1:
        coords = np.vstack([coords, coords])
    return shapely.LineString(coords)


def metres_per_unit(surface: ResistanceSurface) -> float:
    """Metres in one unit of the raster CRS."""
    return surface.cell_size[1] / abs(surface.transform.a)


def _frame(records: list[dict[str, Any]], surface: ResistanceSurface) -> gpd.GeoDataFrame:
    if not records:
        return gpd.GeoDataFrame(
            {c: [] for c in PATH_COLUMNS}, geometry=gpd.GeoSeries([], crs=surface.crs)
        )
    frame = gpd.GeoDataFrame(records, geometry="geometry", crs=surface.crs)
    return frame.sort_values(["core_a", "core_b"], kind="stable").reset_index(drop=True)
