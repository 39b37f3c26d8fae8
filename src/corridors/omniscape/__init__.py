"""Omnidirectional connectivity (Omniscape), compatible with Omniscape.jl.

The moving-window algorithm of McRae et al. (2016) and Landau et al. (2021): every
cell (or block centre) with a source strength becomes a target; the sources within
``radius`` cells inject current towards it through the resistance surface clipped to
a circle around it, and the currents of all windows are summed into a map of
cumulative current flow. Flow potential (the same with uniform resistance) and
normalised current (their ratio) tell channelled from impeded flow.

Run an Omniscape.jl INI job unchanged with :func:`run`, or call :func:`omniscape` on
arrays. Windows are solved with the circuit package's network rules and a direct
sparse factorisation whose symbolic analysis is reused across same-shaped windows;
tiles of targets run on every core, or on a dask.distributed cluster, and finished
tiles are checkpointed so that a killed run resumes.
"""

from __future__ import annotations

from ._api import omniscape
from ._checkpoint import CHECKPOINT_DIR
from ._config import OmniscapeJob, OmniscapeWarning, load_job
from ._memory import MemoryEstimate, estimate_memory
from ._result import OmniscapeResult
from ._run import run

__all__ = [
    "CHECKPOINT_DIR",
    "MemoryEstimate",
    "OmniscapeJob",
    "OmniscapeResult",
    "OmniscapeWarning",
    "estimate_memory",
    "load_job",
    "omniscape",
    "run",
]
