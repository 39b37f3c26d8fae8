"""Fixtures for circuit tests: the shared Circuitscape reference data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from reference_files import shared_dir


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
