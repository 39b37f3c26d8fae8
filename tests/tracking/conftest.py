"""Fixtures for the tracking tests."""

from __future__ import annotations

import pytest
import shapely


@pytest.fixture
def fremont_route() -> shapely.LineString:
    import corridors

    f = corridors.load_features()
    rows = f[(f["case_id"] == "fremont-lake-mule-deer") & (f["role"] == "route")]
    return rows.geometry.iloc[0]
