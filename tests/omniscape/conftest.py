"""Fixtures for Omniscape tests: the shared Omniscape.jl reference jobs, small grids."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

REFERENCE = Path(__file__).resolve().parents[2] / ".." / "shared" / "reference" / "omniscape"


@pytest.fixture(scope="session")
def os_reference() -> Path:
    """``reference/omniscape``: Omniscape.jl's inputs, jobs and verified outputs."""
    path = REFERENCE.resolve()
    if not path.is_dir():
        msg = f"reference data {path} is not available"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(msg + " (required in CI)")
        pytest.skip(msg)
    return path


@pytest.fixture
def landscape() -> np.ndarray:
    """A 40 x 44 resistance grid with a NoData barrier and a cheap corridor."""
    rng = np.random.default_rng(7)
    res = rng.uniform(1.0, 8.0, (40, 44))
    res[18:21, 5:30] = np.nan
    res[:, 35:37] = 0.5
    return res
