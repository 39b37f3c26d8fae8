"""Exceptions raised by corridors.

Every error the toolkit raises on purpose derives from :class:`CorridorsError`, so a
caller can catch them all at once. Each subclass also derives from the builtin exception
that matches its meaning (``ValueError``, ``LookupError``, ``OSError``), so code written
against the builtins keeps working.

Messages name the offending value (the file, the case id or feature index) and say
what to do about it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

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
    """Alias kept for readability where a single catalogue problem is raised."""


def _format_problems(problems: Iterable[Problem], source: str) -> str:
    problems = list(problems)
    head = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
    if source:
        head += f" in {source}"
    lines = [head + ":"] + [f"  - {p.location}: {p.message}" for p in problems]
    return "\n".join(lines)
