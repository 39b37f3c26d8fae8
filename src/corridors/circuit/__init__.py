"""Circuit-theory connectivity modelling, compatible with Circuitscape.

The landscape becomes a resistor network: habitat cells are nodes, neighbouring
cells are joined by conductances, and focal nodes inject or draw current.
Effective resistances measure isolation; current density maps corridors and
pinch points.

Run a Circuitscape INI job with :func:`run`, or call the scenarios directly on
numpy arrays with :func:`pairwise`, :func:`one_to_all`, :func:`all_to_one` and
:func:`advanced`. :func:`corridors.maps.add_current_layer` draws a current map on an
atlas.
"""

from __future__ import annotations

import importlib
import warnings
from typing import Any

from ._api import advanced, all_to_one, one_to_all, pairwise
from ._errors import ConvergenceWarning, FocalPointError, JobFileError, JobTooLargeError
from ._ini import Job, load_job
from ._inputs import FocalPointWarning
from ._raster_io import GridMeta
from ._result import CircuitResult
from ._run import run
from ._solver import estimate_memory

__all__ = [
    "CircuitResult",
    "ConvergenceWarning",
    "FocalPointError",
    "FocalPointWarning",
    "GridMeta",
    "Job",
    "JobFileError",
    "JobTooLargeError",
    "advanced",
    "all_to_one",
    "estimate_memory",
    "load_job",
    "one_to_all",
    "pairwise",
    "run",
]


def __getattr__(name: str) -> Any:
    """Old names that moved to :mod:`corridors.maps`, importable for one release."""
    if name == "add_current_layer":
        warnings.warn(
            "add_current_layer moved to corridors.maps.add_current_layer; the old name goes in the "
            "next release",
            DeprecationWarning,
            stacklevel=2,
        )
        # Loaded on use only: modelling packages do not import maps (folium) themselves.
        return getattr(importlib.import_module("corridors.maps"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
