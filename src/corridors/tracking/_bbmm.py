"""Brownian bridge movement models: motion variance and occurrence distributions.

A Brownian bridge gives an *occurrence* distribution: where the animal probably was
during the time tracked, given its fixes. It is not a home range (where it could be
found at an arbitrary time, including times outside the tracking period), and its
isopleths outline the track's surroundings, not the area the animal needs.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from shapely.geometry.base import BaseGeometry
from threadpoolctl import ThreadpoolController

from .._io import atomic_write_bytes, check_output
from .._typing import FloatArray
from ..errors import InputError
from ._clean import DEFAULT_MAX_LAG_H
from ._fixes import as_fixes, check_ordered, describe_fix, listed, lonlat, minutes, source_of
from ._grid import Grid, TiledRaster, grid_crs, make_grid, to_grid_xy
from ._kernel import (
    TRUNCATE_SD,
    MotionVariance,
    bridge_steps,
    estimate_variance,
    occurrence,
)
from ._parallel import run_tasks
from ._sequences import MIN_FIXES, split_at_gaps

__all__ = [
    "DEFAULT_CELL_SIZE_M",
    "DEFAULT_LEVELS",
    "DEFAULT_LOCATION_ERROR_M",
    "DEFAULT_TIME_STEP_MIN",
    "BBMMResult",
    "bbmm",
    "motion_variance",
    "volume_mask",
]


#: Location error (m, standard deviation per axis) of a modern GPS collar fix; pass the
#: collar's own figure (or a column of it) when known.
DEFAULT_LOCATION_ERROR_M = 20.0
#: Cell side (m): a corridor hundreds of metres wide spans several cells, and a herd's
#: seasonal ranges fit in memory.
DEFAULT_CELL_SIZE_M = 50.0
#: Integration time step (min) along each bridge.
DEFAULT_TIME_STEP_MIN = 5.0
#: Volume isopleths drawn by default (shares of the distribution's volume).
DEFAULT_LEVELS = (0.5, 0.95, 0.99)


def motion_variance(
    sequence: Any,
    *,
    location_error_m: float = DEFAULT_LOCATION_ERROR_M,
    max_lag_h: float = DEFAULT_MAX_LAG_H,
    crs: Any = None,
) -> MotionVariance:
    """Estimate the Brownian motion variance of one sequence (Horne et al. 2007).

    The leave-one-out maximum-likelihood estimate: every other fix is left out and its
    likelihood computed under the bridge between its two neighbours; the variance
    sigma_m^2 (m² per minute, per axis) maximising the product is returned.

    Parameters
    ----------
    sequence
        Fixes of one individual (one sequence), in time order.
    location_error_m : float, keyword-only
        Location error of the fixes, a standard deviation per axis in metres.
    max_lag_h : float, keyword-only
        Triplets of fixes spanning more than this are left out.
    crs : optional, keyword-only
        Projected CRS (metres) to measure in; default an equal-area projection centred
        on the fixes.

    Returns
    -------
    MotionVariance
        ``m2_per_min`` (also ``float(result)``), its standard error, the number of
        left-out fixes and the location error used.

    Notes
    -----
    Horne et al.'s likelihood gives the left-out fix the bridge's variance, which
    holds the location error of the two fixes either side but not its own; if every
    fix carries an independent error delta, the estimate is high by about
    ``delta^2 / (T alpha (1 - alpha))`` (2 delta^2 / dt for regular fixes dt minutes
    apart: 6.7 m²/min for 20 m and 2 h). The same likelihood is kept here so that
    estimates compare with BBMM and Migration Mapper. For sparse fixes (12 h or more)
    published practice fixes the variance instead: pass it to :func:`bbmm`.
    """
    fixes = as_fixes(sequence)
    check_ordered(fixes, what="motion_variance()")
    _check_error(location_error_m)
    names = pd.unique(fixes["individual"])
    if len(names) != 1:
        raise InputError(
            f"{source_of(fixes)}: motion_variance() takes the fixes of one sequence; got "
            f"{len(names)} individuals. Estimate each, e.g. "
            "{k: motion_variance(g) for k, g in fixes.groupby('individual')}"
        )
    if len(fixes) < MIN_FIXES:
        raise InputError(
            f"{source_of(fixes)}: individual {names[0]!r} has {len(fixes)} fix(es); the "
            f"motion variance needs at least {MIN_FIXES} (starting with "
            f"{describe_fix(fixes, 0) if len(fixes) else 'none'})"
        )
    lon, lat = lonlat(fixes)
    gcrs = grid_crs(crs, lon, lat)
    x, y = to_grid_xy(gcrs, lon, lat)
    return estimate_variance(x, y, minutes(fixes["timestamp"]), location_error_m, max_lag_h * 60)


def _check_error(location_error_m: Any) -> None:
    if not (
        isinstance(location_error_m, int | float)
        and math.isfinite(location_error_m)
        and location_error_m >= 0
    ):
        raise InputError(
            f"location_error_m must be a number of metres >= 0, not {location_error_m!r}"
        )


# ----------------------------------------------------------------------------- result


#: Sub-bins per power of two in which volume_mask sums the UD before sorting only the
#: bin where the volume is reached (1.6 million cells: 15 ms, where a sort took 65 ms).
VOLUME_BINS_PER_OCTAVE = 64


def volume_mask(values: FloatArray, level: float) -> float:
    """The UD value at which the highest cells first hold ``level`` of the volume (cells
    at or above it form the ``level`` isopleth).

    The value that sorting every cell and accumulating from the top gives (up to the
    rounding of the sums, which the target's 1e-12 slack absorbs but at ``level`` 1,
    among the smallest cells): the cells are summed in bins of value
    (VOLUME_BINS_PER_OCTAVE per power of two), and only the bin in which the
    accumulated volume reaches ``level`` is sorted.
    """
    v = values[values > 0]
    if len(v) == 0:
        return math.inf
    target = level * float(v.sum()) * (1 - 1e-12)
    binned = np.floor(np.log2(v) * VOLUME_BINS_PER_OCTAVE).astype(np.int64)
    low = int(binned.min())
    mass = np.bincount(binned - low, weights=v)[::-1]  # from the highest bin down
    above = np.cumsum(mass)
    b = min(int(np.searchsorted(above, target)), len(mass) - 1)
    before = float(above[b - 1]) if b > 0 else 0.0
    top = np.sort(v[binned == low + len(mass) - 1 - b])[::-1]
    k = int(np.searchsorted(before + np.cumsum(top), target))
    return float(top[min(k, len(top) - 1)])


@dataclass
class BBMMResult:
    """Occurrence distributions per sequence, on one grid.

    Attributes
    ----------
    grid : Grid
        The common grid (projected CRS, metres); ``grid.transform`` and ``grid.crs``.
    sequences : pandas.DataFrame
        One row per sequence (index): ``individual``, ``year``, ``n_fixes``, ``start``,
        ``end``, ``motion_variance_m2_per_min``, ``motion_variance_stderr``,
        ``n_bridges`` (left-out fixes in the estimate), ``location_error_m``.
    uds : dict of str to TiledRaster
        Each sequence's UD, stored sparsely (cells sum to 1); :meth:`ud` gives it as an
        array.
    levels : tuple of float
        The volume isopleths of :attr:`isopleths`.
    """

    grid: Grid
    sequences: pd.DataFrame
    uds: dict[str, TiledRaster] = field(repr=False)
    levels: tuple[float, ...] = DEFAULT_LEVELS
    _isopleths: gpd.GeoDataFrame | None = field(default=None, repr=False)

    def ud(self, sequence: str) -> FloatArray:
        """The UD of ``sequence`` as a (nrows, ncols) array on :attr:`grid` (sums to 1)."""
        if sequence not in self.uds:
            raise InputError(
                f"no sequence {sequence!r}; sequences: {', '.join(list(self.uds)[:10])}"
            )
        return self.uds[sequence].dense(0, self.grid.nrows, 0, self.grid.ncols)

    @property
    def isopleths(self) -> gpd.GeoDataFrame:
        """Volume isopleths of every sequence at :attr:`levels`, as polygons."""
        if self._isopleths is None:
            self._isopleths = self.contours(self.levels)
        return self._isopleths

    def contours(self, levels: Sequence[float]) -> gpd.GeoDataFrame:
        """Volume isopleths at ``levels`` (shares, e.g. 0.5, 0.95) of every sequence.

        Returns
        -------
        GeoDataFrame
            ``sequence``, ``individual``, ``level``, ``area_km2`` and the polygon of
            the cells whose UD is among the highest holding ``level`` of the volume,
            in the grid's CRS.
        """
        lv = _check_levels(levels)
        rows = []
        for name, ud in self.uds.items():
            for level, geom in isopleth_polygons(ud, self.grid, lv).items():
                rows.append(
                    {
                        "sequence": name,
                        "individual": self.sequences.loc[name, "individual"],
                        "level": level,
                        "area_km2": float(shapely.area(geom)) / 1e6,
                        "geometry": geom,
                    }
                )
        if not rows:
            return gpd.GeoDataFrame(
                {"sequence": [], "individual": [], "level": [], "area_km2": []},
                geometry=gpd.GeoSeries([], crs=self.grid.crs),
            )
        return gpd.GeoDataFrame(rows, geometry="geometry", crs=self.grid.crs)

    def write_geotiff(self, path: str | Path, sequence: str, *, overwrite: bool = False) -> Path:
        """Write one sequence's UD as a float64 GeoTIFF with the grid's CRS."""
        target = check_output(path, overwrite=overwrite, what="UD GeoTIFF")
        return write_geotiff(target, self.ud(sequence), self.grid)


def _check_levels(levels: Sequence[float]) -> tuple[float, ...]:
    try:
        lv = tuple(float(v) for v in levels)
    except (TypeError, ValueError):
        raise InputError(
            f"levels must be shares of volume such as (0.5, 0.95), not {levels!r}"
        ) from None
    bad = [v for v in lv if not 0 < v <= 1]
    if bad:
        raise InputError(
            f"levels must lie in (0, 1] (shares of the UD's volume, 0.95 for 95 %); got {bad}"
        )
    return lv


def isopleth_polygons(
    ud: TiledRaster, grid: Grid, levels: Sequence[float]
) -> dict[float, BaseGeometry]:
    """Polygons of the cells inside each volume isopleth of ``ud``.

    Each row of tiles is polygonised over its own columns and the pieces are joined (a
    migration's bounding box, mostly empty, took 0.4 s per level). That needs pieces'
    shared edges to have identical coordinates, which whole-metre cells on a whole-metre
    grid give exactly; other grids are polygonised whole.
    """
    from rasterio import features  # deferred: rasterio

    if not ud.tiles:
        return {}
    values = ud.values()
    cuts = [volume_mask(values, level) for level in levels]
    corner = (grid.cell_size_m, grid.left, grid.top)
    t = ud.tile
    if all(float(v).is_integer() and abs(v) < 2**50 for v in corner):
        by_row: dict[int, list[int]] = {}
        for tr, tc in ud.tiles:
            by_row.setdefault(tr, []).append(tc)
        windows = [
            (tr * t, (tr + 1) * t, min(tcs) * t, (max(tcs) + 1) * t)
            for tr, tcs in sorted(by_row.items())
        ]
    else:
        windows = [ud.tile_bounds()]
    pieces: list[list[BaseGeometry]] = [[] for _ in cuts]
    for r0, r1, c0, c1 in windows:
        r1, c1 = min(r1, grid.nrows), min(c1, grid.ncols)
        if r0 >= r1 or c0 >= c1:
            continue
        dense = ud.dense(r0, r1, c0, c1)
        transform = grid.window_transform(r0, c0)
        for part, cut in zip(pieces, cuts, strict=True):
            mask = dense >= cut
            if mask.any():
                shapes = features.shapes(mask.view(np.uint8), mask=mask, transform=transform)
                part.extend(shapely.geometry.shape(geom) for geom, _ in shapes)
    return {
        level: shapely.union_all(part) if part else shapely.Polygon()
        for level, part in zip(levels, pieces, strict=True)
    }


def write_geotiff(
    path: Path, values: NDArray[Any], grid: Grid, *, nodata: float | None = None
) -> Path:
    """Write ``values`` as a single-band GeoTIFF on ``grid`` (atomically)."""
    import rasterio  # deferred: rasterio
    from rasterio.io import MemoryFile

    profile = {
        "driver": "GTiff",
        "height": grid.nrows,
        "width": grid.ncols,
        "count": 1,
        "dtype": str(values.dtype),
        "crs": rasterio.crs.CRS.from_wkt(grid.crs.to_wkt()),
        "transform": grid.transform,
        "compress": "deflate",
    }
    if nodata is not None:
        profile["nodata"] = nodata
    with MemoryFile() as mem:
        with mem.open(**profile) as ds:
            ds.write(values, 1)
        data = mem.read()
    return atomic_write_bytes(path, data)


# ----------------------------------------------------------------------------- bbmm


@dataclass(frozen=True)
class SequenceTask:
    """One sequence's inputs, as sent to a worker."""

    name: str
    x: FloatArray
    y: FloatArray
    t_min: FloatArray
    variance: float | None
    delta_m: float
    time_step_min: float
    max_lag_min: float
    #: The leave-one-out estimate, when already made (prepare needs it to size the grid).
    estimate: MotionVariance | None = None


_controller: ThreadpoolController | None = None


def _blas() -> ThreadpoolController:
    """This process's thread pools, found once (finding them reads the process's
    memory map: 3 ms a sequence when done per call)."""
    global _controller
    if _controller is None:
        _controller = ThreadpoolController()
    return _controller


def sequence_ud(task: SequenceTask, grid: Grid) -> tuple[str, MotionVariance, TiledRaster]:
    """Motion variance and UD of one sequence (runs on a worker)."""
    mv = task.estimate
    if mv is None:
        mv = estimate_variance(task.x, task.y, task.t_min, task.delta_m, task.max_lag_min)
    if task.variance is not None:
        mv = MotionVariance(float(task.variance), math.nan, mv.n_bridges, task.delta_m)
    steps = bridge_steps(
        task.x,
        task.y,
        task.t_min,
        variance_m2_per_min=mv.m2_per_min,
        delta_m=task.delta_m,
        time_step_min=task.time_step_min,
        max_lag_min=task.max_lag_min,
    )
    # One BLAS thread: the products are small, and workers run side by side.
    with _blas().limit(limits=1):
        return task.name, mv, occurrence(steps, grid)


def prepare(
    fixes: Any,
    *,
    location_error_m: float,
    cell_size_m: float,
    time_step_min: float,
    max_lag_h: float,
    motion_variance: float | Mapping[str, float] | None,
    crs: Any,
    extent: tuple[float, float, float, float] | None,
    what: str,
    bytes_per_cell: float,
) -> tuple[gpd.GeoDataFrame, Grid, list[SequenceTask], pd.DataFrame]:
    """Validate the inputs, find the sequences and the grid, and build the tasks."""
    data = as_fixes(fixes)
    _check_error(location_error_m)
    for name, value in (("time_step_min", time_step_min), ("max_lag_h", max_lag_h)):
        if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
            raise InputError(f"{name} must be a positive number, not {value!r}")
    check_ordered(data, what=what)
    src = source_of(data)
    t = minutes(data["timestamp"])
    if "sequence" in data.columns:
        seq = data["sequence"].astype("string")
        labels = np.asarray(seq.fillna("").to_numpy(dtype=object))
        labels[labels == ""] = None
        counts = seq.value_counts()
        short = counts[counts < MIN_FIXES]
        if len(short):
            items = []
            for name, n in short.items():
                pos = int(np.flatnonzero(labels == name)[0])
                items.append(f"sequence {name!r}: {n} fix(es), from {describe_fix(data, pos)}")
            raise InputError(
                f"{src}: {len(short)} sequence(s) have fewer than {MIN_FIXES} fixes, too few "
                f"for a Brownian bridge:\n{listed(items)}\nDrop them or join them to a "
                "neighbouring sequence (set their 'sequence' to <NA> to leave them out)"
            )
        # Gaps inside a given sequence still break its bridges (max_lag_h).
    else:
        names = data["individual"].astype(str).to_numpy(dtype=object)
        labels = split_at_gaps(names, t, max_lag_h, MIN_FIXES, data)
    lon, lat = lonlat(data)
    used = np.asarray([v is not None for v in labels], dtype=bool)
    if not used.any():
        raise InputError(
            f"{src}: no sequence with at least {MIN_FIXES} fixes to model; check the "
            "sequences (corridors.tracking.sequences) and max_lag_h"
        )
    gcrs = grid_crs(crs, lon[used], lat[used])
    x, y = to_grid_xy(gcrs, lon, lat)
    names = list(dict.fromkeys(labels[used].tolist()))
    order = {n: i for i, n in enumerate(names)}
    codes = np.asarray([order.get(v, -1) if v is not None else -1 for v in labels])
    tasks = []
    rows = []
    fixed = _fixed_variances(motion_variance, names)
    max_var = 0.0
    for i, name in enumerate(names):
        idx = np.flatnonzero(codes == i)
        xs, ys, ts = x[idx], y[idx], t[idx]
        # Estimated here once: it bounds the margin the grid needs around the fixes,
        # and the worker reuses it (its n_bridges is reported with a fixed variance).
        est = estimate_variance(xs, ys, ts, float(location_error_m), float(max_lag_h) * 60.0)
        tasks.append(
            SequenceTask(
                str(name),
                xs,
                ys,
                ts,
                fixed.get(name),
                float(location_error_m),
                float(time_step_min),
                float(max_lag_h) * 60.0,
                est,
            )
        )
        if fixed.get(name) is not None:
            max_var = max(max_var, float(fixed[name]))
        elif math.isfinite(est.m2_per_min):
            max_var = max(max_var, est.m2_per_min)
        rows.append(
            {
                "sequence": str(name),
                "individual": data["individual"].iat[idx[0]],
                "year": int(data["timestamp"].iat[idx[0]].year),
                "n_fixes": len(idx),
                "start": data["timestamp"].iat[idx[0]],
                "end": data["timestamp"].iat[idx[-1]],
            }
        )
    longest = max(
        (
            float(np.max(np.diff(tk.t_min)[np.diff(tk.t_min) <= tk.max_lag_min], initial=0.0))
            for tk in tasks
        ),
        default=0.0,
    )
    sd_max = math.sqrt(longest / 4.0 * max_var + location_error_m**2)
    margin = TRUNCATE_SD * sd_max + 2 * cell_size_m if isinstance(cell_size_m, int | float) else 0
    grid = make_grid(
        x[used],
        y[used],
        crs=gcrs,
        cell_size_m=cell_size_m,
        margin_m=margin,
        extent=extent,
        bytes_per_cell=bytes_per_cell,
        what=f"grid for {src}",
    )
    table = pd.DataFrame(rows).set_index("sequence")
    return data, grid, tasks, table


def _fixed_variances(
    motion_variance: float | Mapping[str, float] | None, names: list[str]
) -> dict[str, float]:
    if motion_variance is None:
        return {}
    if isinstance(motion_variance, Mapping):
        values = {str(k): v for k, v in motion_variance.items()}
    else:
        values = {n: motion_variance for n in names}
    bad = {
        k: v
        for k, v in values.items()
        if not (isinstance(v, int | float) and math.isfinite(v) and v >= 0)
    }
    if bad:
        raise InputError(
            f"motion_variance must be m² per minute >= 0 (a number, or one per sequence); got {bad}"
        )
    return {k: float(v) for k, v in values.items()}


def bbmm(
    fixes: Any,
    *,
    location_error_m: float = DEFAULT_LOCATION_ERROR_M,
    cell_size_m: float = DEFAULT_CELL_SIZE_M,
    time_step_min: float = DEFAULT_TIME_STEP_MIN,
    max_lag_h: float = DEFAULT_MAX_LAG_H,
    motion_variance: float | Mapping[str, float] | None = None,
    crs: Any = None,
    extent: tuple[float, float, float, float] | None = None,
    levels: Sequence[float] = DEFAULT_LEVELS,
    scheduler: Any = None,
    progress: bool = False,
) -> BBMMResult:
    """Brownian bridge occurrence distributions (UDs), one per sequence, on one grid.

    Parameters
    ----------
    fixes
        Cleaned fixes (:func:`clean_fixes`); with a ``sequence`` column
        (:func:`sequences`) each sequence is modelled (fixes with ``<NA>`` there are
        left out), otherwise each individual's track, split at gaps longer than
        ``max_lag_h``.
    location_error_m : float, keyword-only
        Location error (m, standard deviation per axis).
    cell_size_m : float, keyword-only
        Cell side of the grid (m).
    time_step_min : float, keyword-only
        Integration step along each bridge (min): a bridge of T minutes is evaluated at
        the midpoints of ceil(T / time_step_min) equal steps.
    max_lag_h : float, keyword-only
        Fixes further apart than this are not bridged (Migration Mapper's 8 h).
    motion_variance : float or mapping, optional, keyword-only
        Brownian motion variance (m² per minute) for every sequence, or per sequence
        name; default: each sequence's own estimate (:func:`motion_variance`).
    crs : optional, keyword-only
        Projected CRS of the grid (metres); default a Lambert azimuthal equal-area
        projection centred on the fixes. A CRS in degrees is refused.
    extent : (xmin, ymin, xmax, ymax), optional, keyword-only
        Grid extent in ``crs``; default the fixes plus the reach of the widest bridge.
        Mass falling outside is dropped and each UD renormalised over the grid.
    levels : sequence of float, keyword-only
        Volume isopleths for :attr:`BBMMResult.isopleths` (0.5, 0.95, 0.99).
    scheduler : optional, keyword-only
        Where the sequences are computed: None (here, one after another),
        ``"processes"`` (a local process pool), a ``dask.distributed.Client`` or a
        scheduler address (``"tcp://127.0.0.1:8786"``).
    progress : bool, keyword-only
        Show a progress bar over sequences.

    Returns
    -------
    BBMMResult
        The grid, a table of sequences with their motion variances, the UDs, and
        isopleth polygons.

    Notes
    -----
    Each time step's position is a normal distribution (Horne et al. 2007, see
    :mod:`corridors.tracking`), evaluated at cell centres out to 7.23 standard
    deviations (``TRUNCATE_SD``: at most 1e-12 of a step's mass lies beyond) and
    scaled so that each step carries exactly its share of time (a normal sampled on
    cells wider than itself does not sum to one). Steps of similar width whose means
    share a block of cells are accumulated by one matrix product (the isotropic normal
    is separable), so a UD equals the evaluation of every step over the whole grid
    within 1e-12 of each step's mass plus rounding. The UD is an *occurrence*
    distribution: where the animal was while tracked, not its home range.
    """
    lv = _check_levels(levels)
    data, grid, tasks, table = prepare(
        fixes,
        location_error_m=location_error_m,
        cell_size_m=cell_size_m,
        time_step_min=time_step_min,
        max_lag_h=max_lag_h,
        motion_variance=motion_variance,
        crs=crs,
        extent=extent,
        what="bbmm()",
        bytes_per_cell=24,
    )
    uds: dict[str, TiledRaster] = {}
    variances: dict[str, MotionVariance] = {}
    for name, mv, ud in run_tasks(
        sequence_ud, tasks, grid, scheduler=scheduler, progress=progress, desc="bridges"
    ):
        uds[name] = ud
        variances[name] = mv
    table["motion_variance_m2_per_min"] = [variances[n].m2_per_min for n in table.index]
    table["motion_variance_stderr"] = [variances[n].stderr_m2_per_min for n in table.index]
    table["n_bridges"] = [variances[n].n_bridges for n in table.index]
    table["location_error_m"] = float(location_error_m)
    table.attrs["source"] = source_of(data)
    return BBMMResult(grid, table, {n: uds[n] for n in table.index}, lv)
