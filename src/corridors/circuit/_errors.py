"""Errors specific to circuit jobs; all derive from the toolkit's shared classes."""

from __future__ import annotations

from ..errors import CorridorsError, CorridorsWarning, InputError

__all__ = ["ConvergenceWarning", "FocalPointError", "JobFileError", "JobTooLargeError"]


class JobFileError(InputError):
    """A Circuitscape INI job file that cannot be parsed or has an invalid value."""


class FocalPointError(InputError):
    """Focal points that lie outside the grid or that leave nothing to solve."""


class JobTooLargeError(CorridorsError, MemoryError):
    """A job whose estimated memory use exceeds the memory available."""


class ConvergenceWarning(CorridorsWarning, RuntimeWarning):
    """Conjugate gradients stopped at the iteration limit before reaching the tolerance."""
