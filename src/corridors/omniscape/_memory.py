"""How much memory an Omniscape run needs, before it starts.

Peak memory is set by the window and the tile, times the workers, plus what the
calling process holds: never by the raster alone when maps are accumulated on disk
(the INI route on large rasters). The figures below were fitted to measured peaks
(``ru_maxrss``) of radius 5 to 50 runs (the BigTests 1m job: 285 MiB for the calling
process and 334 MiB per worker), with about 10 % to spare.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..circuit._errors import JobTooLargeError
from ..circuit._solver import available_memory
from ._core import Conditions, Params
from ._engine import ACCUMULATOR_RAM_BYTES
from ._execute import resolve_workers
from ._tiles import default_tile_size
from ._window import PLAN_CACHE_BYTES, plan_bytes

MiB = 2**20
#: A Python process with corridors (geopandas, numpy, scipy, rasterio) loaded, and
#: numba with the window kernels (about 45 MiB more per process: 206 -> 251 MiB per
#: worker on the --quick benchmark).
_BASE_PROCESS = 265 * MiB
#: Copies of a tile's window held while it is read and prepared.
_TILE_LAYER_COPIES = 5


@dataclass(frozen=True)
class MemoryEstimate:
    """Estimated peak memory of a run, in bytes.

    Attributes
    ----------
    per_worker : int
        One worker solving one tile.
    workers : int
        Worker processes on this machine (0 for a dask cluster, whose workers have
        their own memory; 1 for a serial run, which solves in the calling process).
    driver : int
        The calling process: accumulated maps, the result, partial maps waiting.
    in_process : bool
        The tiles are solved in the calling process (a serial run).
    """

    per_worker: int
    workers: int
    driver: int
    in_process: bool = False

    @property
    def total(self) -> int:
        """Peak on this machine."""
        return self.driver + self.per_worker * self.workers

    def describe(self) -> str:
        """One line for the console."""
        if self.in_process:
            return f"estimated peak memory {self.total / MiB:,.0f} MiB (solved in this process)"
        if self.workers == 0:
            return (
                f"estimated peak memory {self.driver / MiB:,.0f} MiB here, "
                f"{self.per_worker / MiB:,.0f} MiB per dask worker"
            )
        return (
            f"estimated peak memory {self.total / MiB:,.0f} MiB ({self.workers} worker(s) x "
            f"{self.per_worker / MiB:,.0f} MiB + {self.driver / MiB:,.0f} MiB for the maps)"
        )


def window_plan_bytes(params: Params) -> int:
    """Memory of one cached window plan with its factors."""
    side = 2 * params.reach + 1
    return plan_bytes(side * side)


def estimate_run_memory(
    params: Params,
    *,
    tile_size: int,
    workers: int,
    distributed: bool = False,
    maps_in_memory: bool = True,
    inputs_in_memory: int = 0,
    output_maps: int = 1,
) -> MemoryEstimate:
    """Estimate the peak memory of a run.

    Parameters
    ----------
    params : Params
        The job (raster shape, radius, buffer, block size, flow potential).
    tile_size : int
        Tile side in cells (halo excluded).
    workers : int
        Worker processes (1 for a serial run).
    distributed : bool
        Tiles run on a dask cluster: workers' memory is theirs.
    maps_in_memory : bool
        The accumulated maps are held in RAM (else memory-mapped on disk).
    inputs_in_memory : int
        Bytes of input arrays the caller holds (the array API).
    output_maps : int
        Maps returned in memory.
    """
    ncells = params.nrows * params.ncols
    nmaps = 2 if params.flow_potential else 1
    side = min(tile_size + 2 * params.halo, max(params.nrows, params.ncols))
    tile_cells = side * side
    layers = 2 + (4 if params.conditions is not None else 0)
    tile_bytes = tile_cells * 8 * (layers + _TILE_LAYER_COPIES + nmaps)
    one = window_plan_bytes(params)
    # The recurring plans of a tile: interior, edge and null windows, as many as fit.
    plans = min(max(PLAN_CACHE_BYTES, one), one * 2 * (2 * params.reach + 4))
    per_worker = _BASE_PROCESS + tile_bytes + plans
    accum = ncells * 8 * nmaps if maps_in_memory else 0
    waiting = tile_cells * 8 * nmaps * max(workers, 1) * 2
    driver = _BASE_PROCESS + accum + ncells * 8 * output_maps + inputs_in_memory + waiting
    if workers <= 1 and not distributed:
        # A serial run solves in the calling process.
        return MemoryEstimate(
            per_worker=per_worker - _BASE_PROCESS, workers=1, driver=driver, in_process=True
        )
    return MemoryEstimate(
        per_worker=per_worker, workers=0 if distributed else workers, driver=driver
    )


def estimate_memory(
    shape: tuple[int, int],
    *,
    radius: int,
    block_size: int = 1,
    buffer: int = 0,
    flow_potential: bool = False,
    conditional: bool = False,
    workers: int | None = None,
    tile_size: int | None = None,
    distributed: bool = False,
) -> MemoryEstimate:
    """Estimate the peak memory of an Omniscape run before starting it.

    Parameters
    ----------
    shape : (int, int)
        Rows and columns of the resistance raster.
    radius, block_size, buffer : int
        In cells, as in the job.
    flow_potential : bool
        Flow potential or normalised current asked for.
    conditional : bool
        Conditional connectivity (four more layers per tile).
    workers : int, optional
        Worker processes (default: every core).
    tile_size : int, optional
        Tile side in cells (default: a window's width).
    distributed : bool
        Tiles run on a dask cluster (workers' memory is theirs, not this machine's).

    Returns
    -------
    MemoryEstimate
        Per worker and for the calling process; ``total`` is this machine's peak. The
        maps are assumed summed on disk when larger than 512 MiB, as :func:`run` does.

    Examples
    --------
    >>> from corridors.omniscape import estimate_memory
    >>> est = estimate_memory((12_649, 12_649), radius=100, block_size=11, workers=40)
    >>> est.total < 20 * 2**30  # Omniscape.jl ran out of memory at 112 GB on this job
    True
    """
    params = Params(
        nrows=int(shape[0]),
        ncols=int(shape[1]),
        radius=radius,
        buffer=buffer,
        block_size=block_size,
        flow_potential=flow_potential,
        conditions=Conditions() if conditional else None,
    )
    nmaps = 2 if flow_potential else 1
    return estimate_run_memory(
        params,
        tile_size=tile_size or default_tile_size(params),
        workers=resolve_workers(workers),
        distributed=distributed,
        maps_in_memory=params.nrows * params.ncols * 8 * nmaps <= ACCUMULATOR_RAM_BYTES,
        output_maps=0,
    )


def check_memory(estimate: MemoryEstimate, *, what: str, limit: int | None = None) -> None:
    """Refuse a run that cannot fit, with the estimate and what to change."""
    avail = available_memory() if limit is None else limit
    if estimate.total <= avail:
        return
    hints = []
    if estimate.workers > 1:
        hints.append("fewer workers (--workers)")
    hints += [
        "a smaller tile_size",
        "a smaller radius or buffer (the window's area drives each solve)",
        "a larger block_size (fewer targets, same windows)",
        "a dask cluster with more memory (--scheduler)",
    ]
    raise JobTooLargeError(
        f"{what}: {estimate.describe()}, but only {avail / MiB:,.0f} MiB is available; "
        f"use {', or '.join(hints)}"
    )
