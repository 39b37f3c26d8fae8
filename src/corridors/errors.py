"""Exceptions raised by corridors.

Every error the toolkit raises on purpose derives from :class:`CorridorsError`, so a
caller can catch them all at once. Each subclass also derives from the builtin exception
that matches its meaning (``ValueError``, ``LookupError``, ``OSError``), so code written
against the builtins keeps working.

Messages name the offending value (the file, the case id or feature index) and say
what to do about it.
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "BoundaryError",
    "CRSError",
    "CatalogueError",
    "CorridorsError",
    "CorridorsWarning",
    "DataFileError",
    "InputError",
    "OutputError",
    "Problem",
    "RasterError",
    "UnknownCaseError",
    "UnknownCountryError",
    "UnsupportedOptionError",
    "ValidationError",
]


class CorridorsError(Exception):
    """Root of every exception raised on purpose by corridors."""


class CorridorsWarning(UserWarning):
    """Root of every warning emitted by corridors (filter them all at once with it)."""


class InputError(CorridorsError, ValueError):
    """An argument has a value the function cannot work with."""


class CRSError(CorridorsError, ValueError):
    """A coordinate reference system is missing, unknown or inconsistent with the data."""


class DataFileError(CorridorsError, OSError):
    """A file cannot be found, read or decoded."""


class OutputError(DataFileError):
    """An output that would replace an input or an existing file, or cannot be written."""


class UnknownCaseError(CorridorsError, LookupError):
    """A case id that is not in the catalogue."""


class UnknownCountryError(CorridorsError, LookupError):
    """A country code that is not in the bundled boundaries."""


class BoundaryError(CorridorsError, ValueError):
    """A boundary geometry that is empty, invalid or cannot be interpreted."""


class RasterError(CorridorsError, ValueError):
    """A raster that cannot be used: misaligned grids, bad values, no data."""


class UnsupportedOptionError(CorridorsError, ValueError):
    """A job option that this toolkit does not implement."""


@dataclass(frozen=True)
class Problem:
    """One problem found while validating a catalogue.

    Attributes
    ----------
    source : str
        The file (or ``"<GeoDataFrame>"``) the problem was found in.
    location : str
        Where in the file: ``"case 'y2y'"``, ``"feature 3 (case 'y2y')"`` or ``"file"``.
    message : str
        What is wrong and what to do about it.
    """

    source: str
    location: str
    message: str

    def __str__(self) -> str:
        return f"{self.source}: {self.location}: {self.message}"


class ValidationError(CorridorsError, ValueError):
    """A catalogue failed validation; ``problems`` lists every problem found."""

    def __init__(self, problems: Sequence[Problem], *, source: str = "") -> None:
        self.problems: list[Problem] = list(problems)
        self.source = source
        super().__init__(_format_problems(self.problems, source))


class CatalogueError(ValidationError):
    """A catalogue problem; never raised: corridors raises :class:`ValidationError`.

    Kept only because it is public in this module's ``__all__`` (catching it catches
    nothing corridors raises; catch :class:`ValidationError`); to be removed.
    """


# Warnings are attributed to the first frame outside this package (the caller's code).
_PACKAGE_DIR = str(Path(__file__).resolve().parent) + os.sep


def warn(message: str, category: type[Warning]) -> None:
    """Issue a warning attributed to the caller of corridors, not to corridors itself.

    For use inside corridors (hence not in ``__all__``). A fixed ``stacklevel`` points
    at whichever corridors function happens to be above the caller (``return
    run_job(`` in a warning printed by the command line), which tells the user nothing.

    Parameters
    ----------
    message : str
        The warning's text.
    category : type of Warning
        Its class, a :class:`CorridorsWarning` subclass.
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


def _format_problems(problems: Iterable[Problem], source: str) -> str:
    problems = list(problems)
    head = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
    if source:
        head += f" in {source}"
    lines = [head + ":"] + [f"  - {p.location}: {p.message}" for p in problems]
    return "\n".join(lines)
