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

from .._compat import moved_names
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


#: Moved to :mod:`corridors.maps` (maps draw modelling results); importable for one release.
__getattr__ = moved_names(__name__, {"add_current_layer": "corridors.maps.add_current_layer"})
