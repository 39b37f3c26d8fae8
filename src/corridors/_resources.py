"""Locate the data files shipped with the package.

In a wheel the catalogue and boundary data live inside the package
(``corridors/data/geo``, put there by hatchling's ``force-include``); in a source
checkout with an editable install they live at the repository root in ``data/geo``.
"""

from __future__ import annotations

from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

from .errors import DataFileError

_REPO_DATA = Path(__file__).resolve().parents[2] / "data" / "geo"


def data_dir() -> Traversable:
    """Return the directory holding the bundled geodata (``data/geo``)."""
    packaged = resources.files("corridors").joinpath("data", "geo")
    if packaged.is_dir():
        return packaged
    if _REPO_DATA.is_dir():
        return _REPO_DATA
    raise DataFileError(
        "the bundled geodata (data/geo) is missing from this installation; "
        "reinstall corridors with `pip install .` from a complete checkout"
    )


def data_file(name: str) -> Traversable:
    """Return a bundled data file by name, e.g. ``"cases.geojson"``."""
    path = data_dir().joinpath(name)
    if not path.is_file():
        raise DataFileError(
            f"bundled data file {name!r} is missing from {data_dir()}; "
            "reinstall corridors from a complete checkout"
        )
    return path
