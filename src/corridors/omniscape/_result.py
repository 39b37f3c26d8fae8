"""The result of an Omniscape run: its maps, their grid and what was done."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._typing import AnyFloatArray
from ._memory import MemoryEstimate


@dataclass
class OmniscapeResult:
    """Maps of an Omniscape run, with the grid they lie on.

    Maps are 2-D arrays of the resistance raster's shape, row 0 at the top (north),
    in amperes of the circuit (cumulative current and flow potential) or unitless
    (normalised current); NoData cells are NaN. They are float64, or float32 with
    ``precision = "single"``. A map is None when the job did not ask for it (or, for
    :func:`~corridors.omniscape.run` on very large rasters, when the maps stayed on
    disk only: see ``files``).

    Attributes
    ----------
    cum_currmap : array or None
        Cumulative current: the sum of every window's current.
    flow_potential : array or None
        The same with a resistance of 1 everywhere (``calc_flow_potential``).
    normalized_cum_currmap : array or None
        ``cum_currmap / flow_potential``: above 1 where current is channelled, below 1
        where it is impeded (``calc_normalized_current``).
    classified_resistance : array or None
        The resistance after reclassification (``reclassify_resistance``).
    transform : affine.Affine or None
        Maps (column, row) to (x, y) in ``crs``.
    crs : rasterio.crs.CRS or None
    n_targets : int
        Moving-window solves (targets).
    files : list of Path
        Files written (INI runs).
    folder : Path or None
        The output folder (INI runs).
    resumed_tiles : int
        Tiles taken from a checkpoint of an interrupted run instead of being solved.
    memory : MemoryEstimate or None
        The estimate the run was checked against.
    seconds : float
        Wall-clock time of the run.
    core_seconds : float
        CPU time of the solves, summed over every worker (tiles resumed from a
        checkpoint count with the time they took then).
    worker_peak_bytes : int
        Peak resident memory of the largest process that solved tiles.
    """

    cum_currmap: AnyFloatArray | None = None
    flow_potential: AnyFloatArray | None = None
    normalized_cum_currmap: AnyFloatArray | None = None
    classified_resistance: AnyFloatArray | None = None
    transform: Any = None
    crs: Any = None
    n_targets: int = 0
    files: list[Path] = field(default_factory=list)
    folder: Path | None = None
    resumed_tiles: int = 0
    memory: MemoryEstimate | None = None
    seconds: float = 0.0
    core_seconds: float = 0.0
    worker_peak_bytes: int = 0

    def maps(self) -> dict[str, AnyFloatArray]:
        """The maps computed, by Omniscape.jl's names."""
        names = ("cum_currmap", "flow_potential", "normalized_cum_currmap", "classified_resistance")
        return {n: getattr(self, n) for n in names if getattr(self, n) is not None}
