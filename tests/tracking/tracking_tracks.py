"""Simulated tracks with known truth for the tracking tests.

A module of its own, not conftest: ``from conftest import`` finds whichever folder's
conftest comes first on ``sys.path``.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from corridors.crs import local_crs

#: Centre of the local frame the synthetic tracks are drawn in (western Wyoming).
LON0, LAT0 = -109.8, 42.9


def fixes_from_xy(
    xy_m: np.ndarray, t_h: np.ndarray, name: str = "a", start: str = "2024-04-01"
) -> gpd.GeoDataFrame:
    """Fixes from metres in a local frame around (LON0, LAT0) and hours since ``start``."""
    pts = gpd.GeoSeries(shapely.points(np.asarray(xy_m, dtype=float)), crs=local_crs(LON0, LAT0))
    frame = gpd.GeoDataFrame(
        {
            "individual": pd.array([name] * len(t_h), dtype="string"),
            "timestamp": pd.Timestamp(start, tz="UTC") + pd.to_timedelta(np.asarray(t_h), unit="h"),
        },
        geometry=pts.to_crs(4326).values,
        crs=4326,
    )
    return frame


def brownian_xy(
    n: int, dt_min: float, variance: float, error_m: float, rng: np.random.Generator
) -> np.ndarray:
    """A Brownian track (variance m²/min per axis) observed with normal location error."""
    steps = rng.normal(0.0, np.sqrt(variance * dt_min), size=(n, 2))
    steps[0] = 0.0
    return np.cumsum(steps, axis=0) + rng.normal(0.0, error_m, size=(n, 2))


def local_line(coords_m: list[tuple[float, float]]) -> gpd.GeoSeries:
    """A line given in metres of the local frame, as a GeoSeries in EPSG:4326."""
    return gpd.GeoSeries([shapely.LineString(coords_m)], crs=local_crs(LON0, LAT0)).to_crs(4326)
