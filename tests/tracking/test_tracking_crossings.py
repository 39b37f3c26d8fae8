"""Crossing events and passages: known crossings at known times; the query's semantics."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from tracking_tracks import LAT0, LON0, fixes_from_xy, local_line

import corridors
from corridors import tracking as tr
from corridors.crs import local_crs
from corridors.errors import InputError

HOUR = pd.Timedelta(hours=1)
T0 = pd.Timestamp("2024-04-01", tz="UTC")


def test_known_crossings_at_known_times() -> None:
    # Fixes every 2 h alternating 1 km either side of a north-south line: the track
    # meets the line halfway through each segment, i.e. at 1 h, 3 h, 5 h ...
    n = 9
    xs = np.where(np.arange(n) % 2 == 0, -1000.0, 1000.0)
    fixes = fixes_from_xy(np.column_stack([xs, np.arange(n) * 300.0]), np.arange(n) * 2.0)
    line = local_line([(0, -5000), (0, 10000)])
    ev = tr.crossing_events(fixes, line)
    assert len(ev) == n - 1
    expected = [T0 + (2 * k + 1) * HOUR for k in range(n - 1)]
    for got, want in zip(ev["time"], expected, strict=True):
        assert abs(got - want) < pd.Timedelta(minutes=1)  # well within one fix interval
    assert list(ev["direction"]) == ["left -> right", "right -> left"] * 4
    assert (ev["fix_before"] < ev["time"]).all() and (ev["time"] < ev["fix_after"]).all()


def test_touching_and_running_along_do_not_count() -> None:
    line = local_line([(0, -5000), (0, 20000)])
    # To the line and back; along it inside the band and back out on the same side.
    xy = [(-2000, 0), (0, 1000), (-2000, 2000), (-30, 3000), (40, 4000), (-20, 5000), (-2000, 6000)]
    fixes = fixes_from_xy(np.array(xy, float), np.arange(len(xy)) * 2.0)
    assert len(tr.crossing_events(fixes, line)) == 0
    # Along the line, then out on the other side: one crossing.
    xy2 = [*xy[:-1], (2000, 7000)]
    ev = tr.crossing_events(fixes_from_xy(np.array(xy2, float), np.arange(len(xy2)) * 2.0), line)
    assert len(ev) == 1 and ev["direction"].iloc[0] == "left -> right"
    assert T0 + 6 * HOUR <= ev["time"].iloc[0] <= T0 + 14 * HOUR


def test_passing_round_a_dead_end_is_not_crossing() -> None:
    line = local_line([(0, 0), (0, 20000)])
    xy = [(-2000, -50), (2000, -50), (2000, 3000)]
    fixes = fixes_from_xy(np.array(xy, float), np.arange(3) * 2.0)
    assert len(tr.crossing_events(fixes, line)) == 0


def test_areal_edges_in_and_out() -> None:
    frame_crs = local_crs(LON0, LAT0)
    area = gpd.GeoSeries([shapely.box(0, -5000, 5000, 5000)], crs=frame_crs)
    xy = [(-2000, 0), (2000, 0), (3000, 100), (7000, 0), (2000, 0)]
    fixes = fixes_from_xy(np.array(xy, float), np.arange(5) * 2.0)
    ev = tr.crossing_events(fixes, area)
    assert list(ev["direction"]) == ["in", "out", "in"]
    assert list(ev["to_side"]) == ["inside", "outside", "inside"]


def test_border_direction_names_the_countries() -> None:
    line = corridors.border("TKM", "UZB").geometry.iloc[0]
    part = max(shapely.get_parts(line), key=lambda g: g.length)
    mid = part.interpolate(0.5, normalized=True)
    crs = local_crs(mid.x, mid.y)
    local = gpd.GeoSeries([part], crs=4326).to_crs(crs).iloc[0]
    d = local.project(gpd.GeoSeries([mid], crs=4326).to_crs(crs).iloc[0])
    p0, p1 = local.interpolate(d - 100), local.interpolate(d + 100)
    nx, ny = -(p1.y - p0.y) / 200, (p1.x - p0.x) / 200
    c = local.interpolate(d)
    pts = [(c.x + s * 8000 * nx, c.y + s * 8000 * ny) for s in (-1, 1, -1)]
    g = gpd.GeoSeries(shapely.points(pts), crs=crs).to_crs(4326)
    fixes = gpd.GeoDataFrame(
        {"individual": ["e1"] * 3, "timestamp": [T0 + k * 6 * HOUR for k in range(3)]},
        geometry=g.values,
        crs=4326,
    )
    ev = tr.crossing_events(fixes, "TKM-UZB", tolerance_km=1.0)
    assert len(ev) == 2
    first, second = ev["direction"]
    assert {first.split(" -> ")[0], first.split(" -> ")[1]} == {"TKM", "UZB"}
    assert second == " -> ".join(reversed(first.split(" -> ")))
    start = gpd.GeoSeries([fixes.geometry.iloc[0]], crs=4326)
    home = corridors.country(ev["from_side"].iloc[0]).geometry.iloc[0]
    assert home.distance(start.iloc[0]) < 0.02


@pytest.mark.parametrize("seed", range(6))
def test_event_counts_agree_with_the_query(seed: int) -> None:
    """Per individual, the events counted equal corridors.crossing's n_crossings."""
    rng = np.random.default_rng(seed)
    n = 40
    xy = np.cumsum(rng.normal(0, 1500, size=(n, 2)), axis=0)
    fixes = fixes_from_xy(xy, np.arange(n) * 2.0)
    road = np.column_stack([np.linspace(-20000, 20000, 9), rng.normal(0, 3000, 9)])
    line = local_line([tuple(p) for p in road])
    ev = tr.crossing_events(fixes, line, tolerance_km=0.1)
    track = gpd.GeoDataFrame({"id": ["a"]}, geometry=[shapely.LineString(fixes.geometry)], crs=4326)
    hit = corridors.crossing(track, line, tolerance_km=0.1)
    expected = int(hit["n_crossings"].iloc[0]) if len(hit) else 0
    assert len(ev) == expected


def test_passages_count_individuals_once() -> None:
    frame_crs = local_crs(LON0, LAT0)
    site = gpd.GeoSeries([shapely.box(-500, -500, 500, 500)], crs=frame_crs)
    # "a" passes twice between fixes (no fix inside); "b" passes by.
    a = fixes_from_xy(
        np.array([(-3000, 0), (3000, 0), (3000, 2000), (-3000, -2000.0)]),
        np.arange(4) * 2.0,
        name="a",
    )
    b = fixes_from_xy(
        np.array([(-3000, 2000), (3000, 2000.0), (3000, 3000)]), np.arange(3) * 2.0, name="b"
    )
    p = tr.passages(pd.concat([a, b], ignore_index=True), site)
    assert list(p["individual"]) == ["a", "a"]
    assert p.attrs["n_individuals"] == 1
    assert abs(p["entered"].iloc[0] - (T0 + HOUR * 2 * 2500 / 6000)) < pd.Timedelta(minutes=1)
    with pytest.raises(InputError, match="needs an area"):
        tr.passages(a, local_line([(0, 0), (1, 1)]))


def test_no_crossing_gives_an_empty_frame() -> None:
    fixes = fixes_from_xy(np.array([(0, 0), (10, 10), (20, 0.0)]), np.arange(3) * 2.0)
    ev = tr.crossing_events(fixes, local_line([(50000, 0), (50000, 1000)]))
    assert isinstance(ev, gpd.GeoDataFrame) and len(ev) == 0 and ev.crs.to_epsg() == 4326
