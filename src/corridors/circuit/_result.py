"""The result of a circuit job."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .._typing import FloatArray, Int64Array
from ._raster_io import GridMeta


@dataclass
class CircuitResult:
    """Everything a circuit job computed.

    Attributes
    ----------
    scenario : str
        ``"pairwise"``, ``"one-to-all"``, ``"all-to-one"`` or ``"advanced"``.
    data_type : str
        ``"raster"`` or ``"network"``.
    ids : ndarray
        Focal node ids in the order of ``resistances`` (empty in advanced mode).
    resistances : ndarray or None
        Pairwise: the ``(k, k)`` effective-resistance matrix, ``-1`` for pairs that are
        not connected or not solved, ``0`` on the diagonal. One-to-all: the resistance
        between each node and all others grounded (``-1`` if disconnected); all-to-one:
        ``0`` for solved nodes and ``-1`` otherwise, as Circuitscape reports them.
    cum_current, max_current : ndarray or None
        Cumulative and maximum current maps over all solves (raster jobs).
    current, voltage : ndarray or None
        Advanced mode: the current and voltage maps (raster), or per-node values (network).
    pair_currents, pair_voltages : dict
        Per-solve maps keyed by Circuitscape's name suffix (``"1_2"``, ``"3"``), kept when
        requested.
    node_ids : ndarray or None
        Network jobs: node ids in the order of network-level arrays.
    meta : GridMeta or None
        Grid of raster jobs (shape, corner, cell size, CRS, transform).
    files : list of Path
        Files written.
    notes : list of str
        Warnings raised while running (e.g. focal nodes on nodata).
    solves : int
        Number of linear solves performed.
    """

    scenario: str
    data_type: str
    ids: Int64Array
    resistances: FloatArray | None = None
    cum_current: FloatArray | None = None
    max_current: FloatArray | None = None
    current: FloatArray | None = None
    voltage: FloatArray | None = None
    pair_currents: dict[str, FloatArray] = field(default_factory=dict)
    pair_voltages: dict[str, FloatArray] = field(default_factory=dict)
    node_ids: FloatArray | None = None
    meta: GridMeta | None = None
    files: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    solves: int = 0

    def resistance(self, a: int, b: int) -> float:
        """Effective resistance between focal nodes ``a`` and ``b`` (pairwise jobs)."""
        if self.resistances is None or self.resistances.ndim != 2:
            raise ValueError("resistance(a, b) needs a pairwise result")
        ids = list(self.ids.tolist())
        return float(self.resistances[ids.index(a), ids.index(b)])
