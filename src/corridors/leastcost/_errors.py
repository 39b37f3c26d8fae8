"""Errors and warnings specific to least-cost modelling; all derive from the shared classes."""

from __future__ import annotations

from ..errors import CorridorsWarning, InputError, RasterError

__all__ = ["CoreError", "ResistanceError", "UnreachableCoresWarning"]


class ResistanceError(RasterError):
    """A resistance raster with zero, negative or otherwise unusable values."""


class CoreError(InputError):
    """Cores (sources) that lie outside the raster, on barrier cells, or cannot be read."""


class UnreachableCoresWarning(CorridorsWarning):
    """Some pairs of cores cannot reach each other across the resistance surface.

    Raised as a warning, not an error: the unreachable pairs are reported in the results
    (``reachable=False`` in link tables) and the rest of the analysis goes on.
    """
