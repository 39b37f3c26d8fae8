"""Small synthetic landscapes for the least-cost tests."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from leastcost_grids import CRS, disc


@pytest.fixture
def gap_landscape() -> tuple[np.ndarray, gpd.GeoDataFrame]:
    """Two walls across a 60 x 90 landscape, each with one 1-cell gap, and two cores.

    Wall 1: cols 30-31 with a gap at row 12; wall 2: cols 58-59 with a gap at row 47.
    The least-cost route from the west core to the east core must use both gaps.
    """
    r = np.full((60, 90), 3.0)
    r[:, 30:32] = np.inf
    r[12, 30:32] = 3.0
    r[:, 58:60] = np.inf
    r[47, 58:60] = 3.0
    cores = gpd.GeoDataFrame(
        {"name": ["west", "east"]},
        geometry=[disc(30, 8, 4), disc(30, 80, 4)],
        index=["west", "east"],
        crs=CRS,
    )
    return r, cores


@pytest.fixture
def three_cores() -> tuple[np.ndarray, gpd.GeoDataFrame]:
    """A uniform 40 x 100 landscape with three cores in a row (A, B, C)."""
    r = np.full((40, 100), 2.0)
    cores = gpd.GeoDataFrame(
        {"core": ["A", "B", "C"]},
        geometry=[disc(20, 10, 4), disc(20, 50, 4), disc(20, 90, 4)],
        crs=CRS,
    ).set_index("core")
    return r, cores
