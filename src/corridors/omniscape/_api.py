"""The array API: Omniscape on numpy arrays or open rasterio datasets."""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .._typing import FloatArray
from ..errors import InputError, RasterError
from ._config import COMPARISONS, OmniscapeWarning
from ._core import Conditions, Layers, Params, block_strengths
from ._engine import (
    Schedule,
    choose_workers,
    solve_schedule,
    tile_side,
    validate_geometry,
    warn_geometry,
    with_correction,
)
from ._memory import check_memory, estimate_run_memory
from ._output import finish_maps
from ._rasters import Prep, check_resistance
from ._result import OmniscapeResult
from ._tiles import TileTask, default_tile_size, make_tiles, slice_layers

ReclassTable = Mapping[float, float | None] | Sequence[tuple[float, float | None]]


def _as_grid(data: Any, *, role: str, nodata: float | None) -> tuple[FloatArray, Any, Any]:
    """A float64 copy of ``data`` with NoData as NaN, plus its transform and CRS if any."""
    transform = crs = None
    if hasattr(data, "read") and hasattr(data, "transform"):  # an open rasterio dataset
        band = data.read(1, masked=True)
        arr = np.ma.filled(band.astype(np.float64), np.nan)
        transform, crs = data.transform, data.crs
    elif isinstance(data, np.ma.MaskedArray):
        arr = np.ma.filled(data.astype(np.float64), np.nan)
    else:
        try:
            arr = np.array(data, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise InputError(f"{role} is not a numeric array: {exc}") from exc
    if arr.ndim != 2:
        raise InputError(
            f"{role} has {arr.ndim} dimension(s); give a 2-D grid (rows x columns, north up)"
        )
    if nodata is not None and not math.isnan(nodata):
        arr[arr == nodata] = np.nan
    return arr, transform, crs


def _reclass_pairs(table: ReclassTable | None) -> tuple[tuple[float, float], ...]:
    if table is None:
        return ()
    items = table.items() if isinstance(table, Mapping) else table
    pairs = []
    for pair in items:
        try:
            old, new = pair
            pairs.append((float(old), math.nan if new is None else float(new)))
        except (TypeError, ValueError) as exc:
            raise InputError(
                f"reclass_table entry {pair!r} is not an (old, new) pair of numbers "
                "(new may be None for NoData)"
            ) from exc
    return tuple(pairs)


def omniscape(
    resistance: Any,
    *,
    sources: Any = None,
    radius: int,
    block_size: int = 1,
    buffer: int = 0,
    source_threshold: float = 0.0,
    r_cutoff: float = math.inf,
    resistance_is_conductance: bool = False,
    correct_artifacts: bool = True,
    calc_flow_potential: bool = False,
    calc_normalized_current: bool = False,
    connect_four_neighbors_only: bool = False,
    precision: str = "double",
    mask_nodata: bool = True,
    reclass_table: ReclassTable | None = None,
    condition1: Any = None,
    condition2: Any = None,
    condition1_future: Any = None,
    condition2_future: Any = None,
    comparison1: str = "within",
    comparison2: str = "within",
    condition1_lower: float = 0.0,
    condition1_upper: float = 0.0,
    condition2_lower: float = 0.0,
    condition2_upper: float = 0.0,
    allow_different_projections: bool = False,
    nodata: float | None = None,
    transform: Any = None,
    crs: Any = None,
    workers: int | None = None,
    scheduler: Any = None,
    tile_size: int | None = None,
    progress: bool = False,
    memory_limit: int | None = None,
) -> OmniscapeResult:
    """Omnidirectional connectivity (Omniscape) of a resistance grid in memory.

    The same algorithm and options as :func:`corridors.omniscape.run` and Omniscape.jl,
    on arrays: every cell (or block centre) with a source strength is a target, a
    circuit is solved in the circular window around it, and the window currents are
    summed.

    Parameters
    ----------
    resistance : 2-D array, masked array or rasterio dataset
        Resistance per cell (or conductance, see ``resistance_is_conductance``), north
        up. NaN, masked cells and ``nodata`` are NoData (barriers). Values must be
        positive.
    sources : same kinds, optional
        Source strength per cell (NoData counts as 0). When None, sources are derived
        from the resistance: ``1 / resistance`` (or the conductance) where the
        resistance is at most ``r_cutoff``, as ``source_from_resistance`` does.
    radius : int
        Window radius in cells.
    block_size : int
        Side of the target blocks in cells (odd; an even value is raised by one with
        a warning).
    buffer : int
        Extra cells of resistance around the radius in each window.
    source_threshold : float
        Source strengths below it count as 0 (with ``sources`` given).
    r_cutoff : float
        Largest resistance of a source cell when sources come from the resistance.
    resistance_is_conductance : bool
    correct_artifacts : bool
        Apply Omniscape.jl's block-artefact correction (``block_size > 1``).
    calc_flow_potential, calc_normalized_current : bool
        Also compute the flow potential and the normalised current.
    connect_four_neighbors_only : bool
    precision : {"double", "single"}
        dtype of the maps (the solves always run in double precision).
    mask_nodata : bool
        NoData resistance cells are NaN in the maps.
    reclass_table : mapping or sequence of (old, new), optional
        Resistance values to replace; a new value of None (or NaN) makes NoData.
    condition1, condition2, condition1_future, condition2_future : arrays, optional
        Conditional connectivity: a source feeds a target only if its present
        condition matches the target block's (future) condition (see ``comparison1``).
    comparison1, comparison2 : {"within", "equal"}
    condition1_lower, condition1_upper, condition2_lower, condition2_upper : float
        Bounds of ``within``: ``lower <= source - target <= upper``.
    allow_different_projections : bool
        Silence the warning about inputs whose CRS or transform differ.
    nodata : float, optional
        A value marking NoData in the arrays, besides NaN.
    transform, crs : optional
        Georeferencing of the grid (taken from ``resistance`` when it is a rasterio
        dataset); carried to the result.
    workers : int, optional
        Worker processes; by default every core, except for small jobs, which run in
        this process.
    scheduler : str or distributed.Client, optional
        A dask.distributed scheduler address (``tcp://host:port``) or client: the
        tiles are solved on that cluster.
    tile_size : int, optional
        Tile side in cells (the unit of parallel work); by default a window's width.
    progress : bool
        Show a progress bar (targets solved, rate, time left).
    memory_limit : int, optional
        Bytes the run may use (default: the memory available); a larger estimate is
        refused.

    Returns
    -------
    OmniscapeResult
        ``cum_currmap`` and, as asked, ``flow_potential`` and
        ``normalized_cum_currmap`` (NaN for NoData), with ``transform`` and ``crs``.

    Raises
    ------
    InputError
        Invalid options or arrays.
    RasterError
        Zero or negative resistance, NoData everywhere, grids of different shapes.
    JobTooLargeError
        The estimated memory exceeds ``memory_limit``.
    """
    t0 = time.perf_counter()
    radius, buffer, block_size = validate_geometry(radius, buffer, block_size)
    if precision not in ("double", "single"):
        raise InputError(f"precision = {precision!r} is not valid; use 'double' or 'single'")
    tile_size = tile_side(tile_size)
    res, res_transform, res_crs = _as_grid(resistance, role="resistance", nodata=nodata)
    transform = transform if transform is not None else res_transform
    crs = crs if crs is not None else res_crs
    shape = res.shape
    layers_in: dict[str, FloatArray | None] = {}
    named = {
        "sources": sources,
        "condition1": condition1,
        "condition1_future": condition1_future,
        "condition2": condition2,
        "condition2_future": condition2_future,
    }
    for role, data in named.items():
        if data is None:
            layers_in[role] = None
            continue
        arr, _, other_crs = _as_grid(data, role=role, nodata=nodata)
        if arr.shape != shape:
            raise RasterError(
                f"{role} has shape {arr.shape} but resistance has {shape}; resample or clip "
                f"{role} onto the resistance grid"
            )
        if (
            not allow_different_projections
            and other_crs is not None
            and crs is not None
            and other_crs != crs
        ):
            warnings.warn(
                f"{role} and resistance have different CRS ({other_crs} against {crs}); "
                "cells are matched by row and column. Pass allow_different_projections=True "
                "to silence this",
                OmniscapeWarning,
                stacklevel=2,
            )
        layers_in[role] = arr
    conditions = _conditions(
        layers_in,
        comparison1,
        comparison2,
        (condition1_lower, condition1_upper, condition2_lower, condition2_upper),
    )
    prep = Prep(
        resistance_is_conductance=resistance_is_conductance,
        source_from_resistance=sources is None,
        r_cutoff=float(r_cutoff),
        source_threshold=float(source_threshold),
        reclass=_reclass_pairs(reclass_table),
    )
    check_resistance(res, where="resistance", row0=0, conductance=resistance_is_conductance)
    values = prep.reclassify(res)
    if prep.reclass:
        check_resistance(
            values,
            where="resistance after reclass_table",
            row0=0,
            conductance=resistance_is_conductance,
        )
    if np.isnan(values).all():
        raise RasterError(
            "resistance is NoData (NaN) in every cell; give a grid with values (NoData marks "
            "barriers only)"
        )
    layers = Layers(
        row0=0,
        col0=0,
        conductance=prep.conductance(values),
        sources=prep.sources(values, layers_in["sources"]),
        condition1=layers_in["condition1"],
        condition1_future=layers_in["condition1_future"],
        condition2=layers_in["condition2"],
        condition2_future=layers_in["condition2_future"],
    )
    flow_needed = calc_flow_potential or calc_normalized_current
    params = Params(
        nrows=shape[0],
        ncols=shape[1],
        radius=radius,
        buffer=buffer,
        block_size=block_size,
        four_neighbors=connect_four_neighbors_only,
        flow_potential=flow_needed,
        conditions=conditions,
    )
    warn_geometry(params, "omniscape()")
    tiles = make_tiles(params, tile_size)
    strengths = block_strengths(layers.sources, block_size)
    params_c = with_correction(params, correct_artifacts)

    def make_task(tile: Any) -> TileTask:
        return TileTask(tile, params_c, prep, slice_layers(layers, tile))

    schedule = Schedule.build(tiles, strengths, make_task)
    n_workers = choose_workers(workers, schedule.n_targets, len(schedule.tiles))
    held = sum(a.nbytes for a in (res, values, layers.conductance, layers.sources))
    held += sum(a.nbytes for a in layers_in.values() if a is not None)
    estimate = estimate_run_memory(
        params,
        tile_size=tile_size or default_tile_size(params),
        workers=n_workers,
        distributed=scheduler is not None,
        inputs_in_memory=held,
        output_maps=1 + int(calc_flow_potential) + int(calc_normalized_current),
    )
    check_memory(estimate, what="omniscape()", limit=memory_limit)
    current, flow, stats = solve_schedule(
        schedule,
        shape,
        params_c,
        workers=n_workers,
        scheduler=scheduler,
        checkpoint=None,
        resume=False,
        progress=progress,
    )
    maps = finish_maps(
        current,
        flow,
        np.isnan(values),
        flow_potential=calc_flow_potential,
        normalized=calc_normalized_current,
        mask_nodata=mask_nodata,
    )
    dtype = np.float64 if precision == "double" else np.float32
    return OmniscapeResult(
        cum_currmap=maps["cum_currmap"].astype(dtype, copy=False),
        flow_potential=_cast(maps.get("flow_potential"), dtype),
        normalized_cum_currmap=_cast(maps.get("normalized_cum_currmap"), dtype),
        classified_resistance=values.astype(dtype) if prep.reclass else None,
        transform=transform,
        crs=crs,
        n_targets=schedule.n_targets,
        memory=estimate,
        seconds=time.perf_counter() - t0,
        core_seconds=stats.core_seconds,
        worker_peak_bytes=stats.worker_peak,
    )


def _cast(a: FloatArray | None, dtype: Any) -> Any:
    return None if a is None else a.astype(dtype, copy=False)


def _conditions(
    layers: dict[str, FloatArray | None],
    comparison1: str,
    comparison2: str,
    bounds: tuple[float, float, float, float],
) -> Conditions | None:
    """Conditional settings from the arrays given (condition1 turns them on)."""
    if layers["condition1"] is None:
        others = ("condition2", "condition1_future", "condition2_future")
        extra = [k for k in others if layers[k] is not None]
        if extra:
            raise InputError(
                f"{', '.join(extra)} given without condition1; give condition1 (the present "
                "condition) to use conditional connectivity"
            )
        return None
    comps = []
    for name, value in (("comparison1", comparison1), ("comparison2", comparison2)):
        key = str(value).lower()
        if key not in COMPARISONS:
            raise InputError(f"{name} = {value!r} is not valid; use 'within' or 'equal'")
        comps.append(COMPARISONS[key])
    if layers["condition2_future"] is not None and layers["condition2"] is None:
        raise InputError("condition2_future given without condition2; give condition2 too")
    lower1, upper1, lower2, upper2 = (float(b) for b in bounds)
    return Conditions(
        n_conditions=2 if layers["condition2"] is not None else 1,
        comparison1=comps[0],
        comparison2=comps[1],
        lower1=lower1,
        upper1=upper1,
        lower2=lower2,
        upper2=upper2,
    )
