"""Population migration corridors and stopovers (the Sawyer et al. 2009 population method)."""

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from .._io import check_output
from ..errors import InputError, OutputError
from ._bbmm import (
    DEFAULT_CELL_SIZE_M,
    DEFAULT_LOCATION_ERROR_M,
    DEFAULT_TIME_STEP_MIN,
    SequenceTask,
    prepare,
    sequence_ud,
    volume_mask,
    write_geotiff,
)
from ._clean import DEFAULT_MAX_LAG_H
from ._grid import BYTES_PER_CELL, Grid, TiledRaster
from ._parallel import run_tasks

__all__ = [
    "CLASS_NAMES",
    "DEFAULT_CLASS_SHARES",
    "DEFAULT_FOOTPRINT_LEVEL",
    "DEFAULT_STOPOVER_LEVEL",
    "PopulationCorridors",
    "population_corridors",
]

#: Each individual's footprint: the cells inside the 99 % volume isopleth of its UD.
DEFAULT_FOOTPRINT_LEVEL = 0.99
#: Shares of the individuals that make a cell medium and high use (a cell used by any
#: individual is low use): low 1 or more, medium 10 % or more, high 20 % or more of the
#: individuals sampled, the convention of the Sawyer et al. (2009) method as we know it
#: from Wyoming corridor maps. Not checked against Migration Mapper's manual (not
#: available to us); agencies publish other cut-offs (Utah DWR's edited layers use 25 %
#: and 75 %), so the shares are a parameter and every result records the ones used.
DEFAULT_CLASS_SHARES = (0.10, 0.20)
#: Stopovers: the cells holding the top 10 % of each individual's UD by volume ...
DEFAULT_STOPOVER_LEVEL = 0.10
#: ... kept where at least this share of the individuals, and ...
DEFAULT_STOPOVER_SHARE = 0.10
#: ... at least this many individuals share them.
DEFAULT_STOPOVER_MIN_INDIVIDUALS = 2

CLASS_NAMES = ("low", "medium", "high")


@dataclass(frozen=True)
class IndividualTask:
    """One individual's sequences, grouped by year, as sent to a worker."""

    individual: str
    years: dict[int, list[SequenceTask]]
    footprint_level: float
    stopover_level: float


@dataclass
class IndividualResult:
    """What a worker returns for one individual."""

    individual: str
    n_years: int
    variances: dict[str, tuple[float, float, int]]
    ud: TiledRaster  # mean of its individual-year UDs (sums to 1)
    footprint: dict[tuple[int, int], NDArray[np.bool_]]
    stopover: dict[tuple[int, int], NDArray[np.bool_]]


def _masks(ud: TiledRaster, level: float) -> dict[tuple[int, int], NDArray[np.bool_]]:
    cut = volume_mask(ud.values(), level)
    return {k: b >= cut for k, b in ud.tiles.items() if (b >= cut).any()}


def _union(
    a: dict[tuple[int, int], NDArray[np.bool_]], b: dict[tuple[int, int], NDArray[np.bool_]]
) -> None:
    for k, m in b.items():
        a[k] = a[k] | m if k in a else m


def individual_corridor(task: IndividualTask, grid: Grid) -> IndividualResult:
    """Per individual-year: the mean UD of its sequences, the footprint (footprint
    isopleth) and stopovers (top ``stopover_level`` by volume); per individual: their
    union over the years, and its mean UD over the years."""
    ud_sum = TiledRaster()
    footprint: dict[tuple[int, int], NDArray[np.bool_]] = {}
    stopover: dict[tuple[int, int], NDArray[np.bool_]] = {}
    variances = {}
    for year_tasks in task.years.values():
        year_ud = TiledRaster()
        for seq in year_tasks:
            name, mv, ud = sequence_ud(seq, grid)
            variances[name] = (mv.m2_per_min, mv.stderr_m2_per_min, mv.n_bridges)
            for key, block in ud.tiles.items():
                year_ud.add(key[0] * ud.tile, key[1] * ud.tile, block / len(year_tasks))
        _union(footprint, _masks(year_ud, task.footprint_level))
        _union(stopover, _masks(year_ud, task.stopover_level))
        for key, block in year_ud.tiles.items():
            ud_sum.add(key[0] * year_ud.tile, key[1] * year_ud.tile, block / len(task.years))
    return IndividualResult(
        task.individual, len(task.years), variances, ud_sum, footprint, stopover
    )


@dataclass
class PopulationCorridors:
    """Population corridors, stopovers and the rasters behind them.

    Attributes
    ----------
    grid : Grid
        Projected grid (metres) of every raster.
    n_individuals : int
        Individuals modelled (each counts once, whatever its number of fixes, years
        or sequences).
    count : ndarray of int32
        Individuals whose footprint covers each cell.
    classes : ndarray of uint8
        0 outside every footprint, 1 low, 2 medium, 3 high use.
    stopover_count : ndarray of int32
        Individuals whose stopovers cover each cell.
    stopovers_mask : ndarray of bool
        Population stopovers: cells shared by enough individuals' stopovers.
    ud : ndarray of float64
        Population UD: the mean of the individuals' UDs (sums to 1).
    corridors : GeoDataFrame
        One row per use class present (``use``, ``class_code``, ``min_individuals``,
        ``area_km2``), the polygons of the cells of exactly that class, in the grid's
        CRS; they drop into :func:`corridors.crossing` and the atlas.
    stopovers : GeoDataFrame
        One row per stopover patch: ``max_individuals`` sharing it, ``area_km2``.
    sequences : DataFrame
        The sequences modelled, with their motion variances.
    thresholds : dict
        The class and stopover thresholds used.
    """

    grid: Grid
    n_individuals: int
    count: NDArray[np.int32] = field(repr=False)
    classes: NDArray[np.uint8] = field(repr=False)
    stopover_count: NDArray[np.int32] = field(repr=False)
    stopovers_mask: NDArray[np.bool_] = field(repr=False)
    ud: NDArray[np.float64] = field(repr=False)
    corridors: gpd.GeoDataFrame
    stopovers: gpd.GeoDataFrame
    sequences: pd.DataFrame
    thresholds: dict[str, Any]

    @property
    def share(self) -> NDArray[np.float64]:
        """Share of the individuals whose footprint covers each cell (0-1)."""
        return self.count / max(self.n_individuals, 1)

    def write(
        self, directory: str | Path, *, overwrite: bool = False, inputs: Sequence[Any] = ()
    ) -> list[Path]:
        """Write the rasters as GeoTIFFs and the polygons as a GeoPackage into ``directory``.

        Files: ``individuals.tif`` (count), ``classes.tif``, ``stopover_individuals.tif``,
        ``population_ud.tif`` and ``corridors.gpkg`` (layers ``corridors``,
        ``stopovers``). Every target is checked before anything is written.

        Raises
        ------
        OutputError
            ``directory`` is a file, or a target exists and ``overwrite`` is false.
        """
        out = Path(directory)
        if out.exists() and not out.is_dir():
            raise OutputError(f"output directory {out} is a file; give a folder")
        out.mkdir(parents=True, exist_ok=True)
        names: dict[str, tuple[NDArray[Any], float | None]] = {
            "individuals.tif": (self.count, None),
            "classes.tif": (self.classes, None),
            "stopover_individuals.tif": (self.stopover_count, None),
            "population_ud.tif": (self.ud, None),
        }
        targets = [
            check_output(out / n, inputs=inputs, overwrite=overwrite, what="raster") for n in names
        ]
        gpkg = check_output(
            out / "corridors.gpkg", inputs=inputs, overwrite=overwrite, what="GeoPackage"
        )
        written = [
            write_geotiff(t, v, self.grid, nodata=nd)
            for t, (v, nd) in zip(targets, names.values(), strict=True)
        ]
        fd, tmp = tempfile.mkstemp(prefix=".corridors.", suffix=".gpkg", dir=out)
        os.close(fd)
        os.unlink(tmp)
        try:
            self.corridors.to_file(tmp, layer="corridors", driver="GPKG", engine="pyogrio")
            self.stopovers.to_file(tmp, layer="stopovers", driver="GPKG", engine="pyogrio")
            os.replace(tmp, gpkg)
        finally:
            Path(tmp).unlink(missing_ok=True)
        return [*written, gpkg]


def population_corridors(
    fixes: Any,
    *,
    location_error_m: float = DEFAULT_LOCATION_ERROR_M,
    cell_size_m: float = DEFAULT_CELL_SIZE_M,
    time_step_min: float = DEFAULT_TIME_STEP_MIN,
    max_lag_h: float = DEFAULT_MAX_LAG_H,
    motion_variance: float | Mapping[str, float] | None = None,
    crs: Any = None,
    extent: tuple[float, float, float, float] | None = None,
    footprint_level: float = DEFAULT_FOOTPRINT_LEVEL,
    class_shares: tuple[float, float] = DEFAULT_CLASS_SHARES,
    stopover_level: float = DEFAULT_STOPOVER_LEVEL,
    stopover_share: float = DEFAULT_STOPOVER_SHARE,
    stopover_min_individuals: int = DEFAULT_STOPOVER_MIN_INDIVIDUALS,
    scheduler: Any = None,
    progress: bool = False,
) -> PopulationCorridors:
    """Population migration corridors and stopovers from many individuals' sequences.

    The population method of Sawyer et al. (2009): each sequence's Brownian bridge UD
    (:func:`bbmm`; the bridge parameters are the same); the UDs of an individual's
    sequences in one year averaged into its individual-year UD; its footprint, the
    cells inside the ``footprint_level`` (99 %) volume isopleth; per cell, the number
    and share of individuals whose footprint (any year) covers it; use classes from
    those shares; stopovers, the cells holding the top ``stopover_level`` (10 %) of
    each individual-year UD by volume, kept where at least ``stopover_share`` of the
    individuals and ``stopover_min_individuals`` share them. An individual counts once
    however many fixes, sequences or years it has.

    Parameters
    ----------
    fixes
        Fixes with a ``sequence`` column (:func:`sequences`), or without (each
        individual's track, split at gaps).
    class_shares : (medium, high), keyword-only
        Shares of the individuals (0-1) from which a cell is medium and high use;
        any individual makes it low use. Default (0.10, 0.20), see
        :data:`DEFAULT_CLASS_SHARES`.
    footprint_level, stopover_level, stopover_share, stopover_min_individuals
        See above.
    location_error_m, cell_size_m, time_step_min, max_lag_h, motion_variance, crs, \
extent, scheduler, progress
        As for :func:`bbmm`. With ``scheduler``, each individual is one task.

    Returns
    -------
    PopulationCorridors
        Rasters on one grid (write them with :meth:`PopulationCorridors.write`) and the
        class and stopover polygons as GeoDataFrames.
    """
    medium, high = _check_shares(class_shares)
    for name, value in (
        ("footprint_level", footprint_level),
        ("stopover_level", stopover_level),
        ("stopover_share", stopover_share),
    ):
        if not (isinstance(value, int | float) and 0 < value <= 1):
            raise InputError(f"{name} must be a share in (0, 1], not {value!r}")
    if not (isinstance(stopover_min_individuals, int) and stopover_min_individuals >= 1):
        raise InputError(
            "stopover_min_individuals must be a whole number >= 1, not "
            f"{stopover_min_individuals!r}"
        )
    _, grid, tasks, table = prepare(
        fixes,
        location_error_m=location_error_m,
        cell_size_m=cell_size_m,
        time_step_min=time_step_min,
        max_lag_h=max_lag_h,
        motion_variance=motion_variance,
        crs=crs,
        extent=extent,
        what="population_corridors()",
        bytes_per_cell=BYTES_PER_CELL,
    )
    by_ind: dict[str, dict[int, list[SequenceTask]]] = {}
    for task in tasks:
        row = table.loc[task.name]
        year = int(str(row["year"]))
        by_ind.setdefault(str(row["individual"]), {}).setdefault(year, []).append(task)
    jobs = [
        IndividualTask(ind, years, float(footprint_level), float(stopover_level))
        for ind, years in by_ind.items()
    ]
    count = np.zeros(grid.shape, dtype=np.int32)
    stop_count = np.zeros(grid.shape, dtype=np.int32)
    ud = np.zeros(grid.shape)
    variances: dict[str, tuple[float, float, int]] = {}
    n = len(jobs)
    for res in run_tasks(
        individual_corridor,
        jobs,
        grid,
        scheduler=scheduler,
        progress=progress,
        desc="individuals",
    ):
        _add_mask(count, res.footprint, grid)
        _add_mask(stop_count, res.stopover, grid)
        _add_tiles(ud, res.ud, grid, 1.0 / n)
        variances.update(res.variances)
    table["motion_variance_m2_per_min"] = [variances[s][0] for s in table.index]
    table["motion_variance_stderr"] = [variances[s][1] for s in table.index]
    table["n_bridges"] = [variances[s][2] for s in table.index]
    table["location_error_m"] = float(location_error_m)
    share = count / n
    classes = np.zeros(grid.shape, dtype=np.uint8)
    classes[count >= 1] = 1
    classes[share >= medium - 1e-12] = 2
    classes[share >= high - 1e-12] = 3
    classes[count == 0] = 0
    min_stop = max(int(stopover_min_individuals), math.ceil(stopover_share * n - 1e-9))
    stops = stop_count >= min_stop
    class_min = {
        "low": 1,
        "medium": max(1, math.ceil(medium * n - 1e-9)),
        "high": max(1, math.ceil(high * n - 1e-9)),
    }
    thresholds: dict[str, Any] = {
        "footprint_level": float(footprint_level),
        "class_shares": {"medium": medium, "high": high},
        "class_min_individuals": class_min,
        "stopover_level": float(stopover_level),
        "stopover_min_individuals": min_stop,
    }
    corridors = _class_polygons(classes, grid, class_min)
    stop_polys = _stopover_polygons(stops, stop_count, grid)
    return PopulationCorridors(
        grid, n, count, classes, stop_count, stops, ud, corridors, stop_polys, table, thresholds
    )


def _check_shares(shares: Any) -> tuple[float, float]:
    try:
        medium, high = (float(v) for v in shares)
    except (TypeError, ValueError):
        raise InputError(
            f"class_shares must be (medium, high) shares of the individuals, e.g. (0.10, 0.20), "
            f"not {shares!r}"
        ) from None
    if not (0 < medium <= high <= 1):
        raise InputError(
            f"class_shares must satisfy 0 < medium <= high <= 1; got ({medium}, {high})"
        )
    return medium, high


def _add_mask(
    total: NDArray[Any], tiles: dict[tuple[int, int], NDArray[np.bool_]], grid: Grid
) -> None:
    for (tr, tc), m in tiles.items():
        t = m.shape[0]
        r0, c0 = tr * t, tc * t
        r1, c1 = min(r0 + t, grid.nrows), min(c0 + t, grid.ncols)
        if r0 < r1 and c0 < c1:
            total[r0:r1, c0:c1] += m[: r1 - r0, : c1 - c0]


def _add_tiles(total: NDArray[np.float64], ud: TiledRaster, grid: Grid, weight: float) -> None:
    for (tr, tc), b in ud.tiles.items():
        t = ud.tile
        r0, c0 = tr * t, tc * t
        r1, c1 = min(r0 + t, grid.nrows), min(c0 + t, grid.ncols)
        if r0 < r1 and c0 < c1:
            total[r0:r1, c0:c1] += weight * b[: r1 - r0, : c1 - c0]


def _polygons(
    mask: NDArray[np.bool_], grid: Grid
) -> tuple[list[shapely.Geometry], tuple[int, int]]:
    """Polygons of the True cells (cropped to their bounding box first)."""
    from rasterio import features  # deferred: rasterio

    rows = np.flatnonzero(mask.any(axis=1))
    if len(rows) == 0:
        return [], (0, 0)
    cols = np.flatnonzero(mask.any(axis=0))
    r0, r1, c0, c1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    sub = mask[r0:r1, c0:c1]
    shapes = features.shapes(
        sub.astype(np.uint8), mask=sub, transform=grid.window_transform(int(r0), int(c0))
    )
    return [shapely.geometry.shape(g) for g, _ in shapes], (int(r0), int(c0))


def _class_polygons(
    classes: NDArray[np.uint8], grid: Grid, min_individuals: dict[str, int]
) -> gpd.GeoDataFrame:
    rows = []
    for code, name in enumerate(CLASS_NAMES, start=1):
        polys, _ = _polygons(classes == code, grid)
        if not polys:
            continue
        geom = shapely.multipolygons(polys) if len(polys) > 1 else polys[0]
        rows.append(
            {
                "use": name,
                "class_code": code,
                "min_individuals": min_individuals[name],
                "area_km2": float(shapely.area(geom)) / 1e6,
                "geometry": geom,
            }
        )
    if not rows:
        return gpd.GeoDataFrame(
            {"use": [], "class_code": [], "min_individuals": [], "area_km2": []},
            geometry=gpd.GeoSeries([], crs=grid.crs),
        )
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=grid.crs)


def _stopover_polygons(
    stops: NDArray[np.bool_], stop_count: NDArray[np.int32], grid: Grid
) -> gpd.GeoDataFrame:
    polys, _ = _polygons(stops, grid)
    if not polys:
        return gpd.GeoDataFrame(
            {"max_individuals": [], "area_km2": []}, geometry=gpd.GeoSeries([], crs=grid.crs)
        )
    from rasterio import features  # deferred: rasterio

    # Peak count inside each patch: the patch burnt into its own window.
    peak = []
    c = grid.cell_size_m
    for p in polys:
        x0, y0, x1, y1 = shapely.bounds(p).tolist()
        ca, cb = round((x0 - grid.left) / c), round((x1 - grid.left) / c)
        ra, rb = round((grid.top - y1) / c), round((grid.top - y0) / c)
        inside = features.rasterize(
            [(p, 1)],
            out_shape=(rb - ra, cb - ca),
            transform=grid.window_transform(ra, ca),
            dtype=np.uint8,
        ).astype(bool)
        win = np.where(inside, stop_count[ra:rb, ca:cb], 0)
        peak.append(int(win.max()) if win.size else 0)
    frame = gpd.GeoDataFrame(
        {"max_individuals": peak, "area_km2": (shapely.area(polys) / 1e6).tolist()},
        geometry=gpd.GeoSeries(polys, crs=grid.crs),
    )
    return frame.sort_values("max_individuals", ascending=False, kind="stable").reset_index(
        drop=True
    )
