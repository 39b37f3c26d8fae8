"""Errors specific to circuit jobs; all derive from the toolkit's shared classes."""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path

from ..errors import CorridorsError, CorridorsWarning, InputError

__all__ = ["ConvergenceWarning", "FocalPointError", "JobFileError", "JobTooLargeError", "warn"]

# Warnings are attributed to the first frame outside this package (the caller's code).
_PACKAGE_DIR = str(Path(__file__).resolve().parents[1]) + os.sep


class JobFileError(InputError):
    """A Circuitscape INI job file that cannot be parsed or has an invalid value."""


class FocalPointError(InputError):
    """Focal points that lie outside the grid or that leave nothing to solve."""


class JobTooLargeError(CorridorsError, MemoryError):
    """A job whose estimated memory use exceeds the memory available."""


class ConvergenceWarning(CorridorsWarning, RuntimeWarning):
    """Conjugate gradients stopped at the iteration limit before reaching the tolerance."""


def warn(message: str, category: type[Warning]) -> None:
    """Issue a warning attributed to the caller of corridors, not to corridors itself.

    A fixed ``stacklevel`` points at whichever corridors function happens to be above
    the caller (``return run_job(`` in a warning printed by the command line), which
    tells the user nothing.
    """
    frame = sys._getframe(1)
    level = 2
    while frame.f_back is not None and _inside_package(frame.f_code.co_filename):
        frame = frame.f_back
        level += 1
    warnings.warn(message, category, stacklevel=level)


def _inside_package(filename: str) -> bool:
    try:
        return str(Path(filename).resolve()).startswith(_PACKAGE_DIR)
    except OSError:
        return False
