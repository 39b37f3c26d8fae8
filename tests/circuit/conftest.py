"""Fixtures for circuit tests: the shared Circuitscape reference data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


def shared_dir() -> Path:
    """The ``shared`` folder beside the repository (``CORRIDORS_SHARED`` overrides)."""
    env = os.environ.get("CORRIDORS_SHARED")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / ".." / "shared"


def _reference(name: str) -> Path:
    path = shared_dir() / "reference" / name
    if not path.is_dir():
        msg = f"reference data {path} is not available"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(msg + " (required in CI)")
        pytest.skip(msg)
    return path


@pytest.fixture(scope="session")
def cs_reference() -> Path:
    """``reference/circuitscape``: the Circuitscape.jl verification jobs."""
    return _reference("circuitscape")


@pytest.fixture(scope="session")
def cs_bigtests() -> Path:
    """``reference/circuitscape-bigtests``: the large benchmark grids."""
    return _reference("circuitscape-bigtests")
