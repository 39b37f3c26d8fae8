"""The coordinate check names the first bad features in data order, in any number of threads."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from corridors import query
from corridors.crs import check_coordinates
from corridors.errors import InputError

#: More points than the check screens at once, so that it works through several chunks.
N = 250_001


@pytest.fixture(scope="module")
def points() -> gpd.GeoSeries:
    x = np.linspace(-170, 170, N)
    y = np.linspace(-80, 80, N)
    x[[3, 120_000, 249_999]] = np.nan  # in the first, second and third chunks
    y[200_000] = 95.0  # a latitude off the globe, in the second chunk
    return gpd.GeoSeries(shapely.points(x, y), crs=4326)


@pytest.mark.parametrize("n", [1, 2, 4])
def test_every_bad_feature_named_in_order(points: gpd.GeoSeries, n: int) -> None:
    with query.threads(n), pytest.raises(InputError) as caught:
        check_coordinates(points, what="points")
    message = str(caught.value)
    at = [message.find(f"feature {i}") for i in (3, 120000, 200000, 249999)]
    assert all(a >= 0 for a in at), message
    assert at == sorted(at), message
    assert "4 features" in message


def test_clean_points_pass_in_threads(points: gpd.GeoSeries) -> None:
    clean = points[points.x.notna() & (points.y.abs() <= 90)]
    with query.threads(2):
        check_coordinates(clean, what="points")
