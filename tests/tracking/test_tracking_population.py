"""Population corridors on simulated herds with known routes, gaps and stopovers."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from tracking_tracks import LAT0, LON0

import corridors
from corridors import tracking as tr
from corridors.crs import local_crs
from corridors.errors import OutputError

FRAME = local_crs(LON0, LAT0)


def _herd(n: int = 12, seed: int = 1, **kw) -> gpd.GeoDataFrame:
    # A 30 km route through a 1 km gap at its middle, with a stopover at 25 %.
    route = gpd.GeoSeries([shapely.LineString([(-15000, 0), (15000, 0)])], crs=FRAME)
    opts = dict(
        n_individuals=n,
        fix_interval_h=2,
        motion_variance=300.0,
        location_error_m=20.0,
        stopovers=[(0.25, 4.0)],
        seed=seed,
        residence_days=(0.5, 0.5),
        spread_m=30.0,
        tether_h=1.0,
        speed_kmh=0.5,
    )
    opts.update(kw)
    return tr.simulate_migration(route.to_crs(4326), **opts)


@pytest.fixture(scope="module")
def herd_result() -> tuple[gpd.GeoDataFrame, tr.PopulationCorridors]:
    fixes = _herd()
    return fixes, tr.population_corridors(fixes, cell_size_m=50.0, crs=FRAME)


def test_high_use_covers_the_gap(herd_result) -> None:
    _, pc = herd_result
    gap = shapely.box(-200, -500, 200, 500)  # the bottleneck polygon
    high = pc.corridors.set_index("use").loc["high", "geometry"]
    centre_line = shapely.LineString([(-200, 0), (200, 0)])
    assert high.buffer(1.0).covers(centre_line)
    assert high.intersection(gap).area > 0.3 * gap.area
    # Every individual passed the gap: cells in it count them all, and no cell
    # counts an individual twice.
    c0, r0 = ~pc.grid.transform @ (-200.0, 500.0)
    c1, r1 = ~pc.grid.transform @ (200.0, -500.0)
    assert pc.count[int(r0) : int(r1), int(c0) : int(c1)].max() == pc.n_individuals == 12
    assert pc.count.max() == 12
    assert pc.ud.sum() == pytest.approx(1.0)


def test_stopovers_where_the_herd_stopped(herd_result) -> None:
    _, pc = herd_result
    assert len(pc.stopovers) >= 1
    top = pc.stopovers.iloc[0]
    # The stopover at a quarter of the route: x = -7.5 km.
    assert top.geometry.distance(shapely.Point(-7500, 0)) < 500
    assert top["max_individuals"] >= pc.thresholds["stopover_min_individuals"]


def test_classes_use_the_documented_thresholds(herd_result) -> None:
    _, pc = herd_result
    share = pc.share
    assert ((pc.classes == 3) == (share >= 0.2)).all()
    assert ((pc.classes >= 2) == (share >= 0.1)).all()
    assert ((pc.classes >= 1) == (pc.count >= 1)).all()
    assert pc.thresholds["class_min_individuals"] == {"low": 1, "medium": 2, "high": 3}


def test_individuals_count_once_however_many_fixes() -> None:
    fixes = _herd(n=4, seed=2)
    # Individual sim001 tracked four times as often, and again a year later.
    dense = _herd(n=1, seed=3, fix_interval_h=0.5)
    later = dense.copy()
    later["timestamp"] = later["timestamp"] + pd.Timedelta(days=365)
    extra = pd.concat([dense, later], ignore_index=True)
    fixes = fixes[fixes["individual"] != "sim001"]
    both = gpd.GeoDataFrame(pd.concat([fixes, extra], ignore_index=True), crs=4326)
    pc = tr.population_corridors(both, cell_size_m=100.0, crs=FRAME)
    assert pc.n_individuals == 4
    assert pc.count.max() == 4
    assert set(pc.sequences["individual"]) == {"sim001", "sim002", "sim003", "sim004"}
    assert (pc.sequences["individual"] == "sim001").sum() == 2


def test_corridor_polygons_drop_into_queries(herd_result, tmp_path: Path) -> None:
    _, pc = herd_result
    road = gpd.GeoSeries([shapely.LineString([(0, -6000), (0, 6000)])], crs=FRAME)
    hit = corridors.crossing(pc.corridors, road)
    assert "high" in set(hit["use"])
    files = pc.write(tmp_path / "out")
    assert {f.name for f in files} == {
        "individuals.tif",
        "classes.tif",
        "stopover_individuals.tif",
        "population_ud.tif",
        "corridors.gpkg",
    }
    with rasterio.open(tmp_path / "out" / "classes.tif") as ds:
        assert ds.crs is not None and ds.transform == pc.grid.transform
        np.testing.assert_array_equal(ds.read(1), pc.classes)
    back = gpd.read_file(tmp_path / "out" / "corridors.gpkg", layer="corridors")
    assert set(back["use"]) == set(pc.corridors["use"])
    with pytest.raises(OutputError, match="already exists"):
        pc.write(tmp_path / "out")
    pc.write(tmp_path / "out", overwrite=True)


def test_simulation_is_reproducible_and_movebank_shaped(tmp_path: Path) -> None:
    a, b = _herd(n=2, seed=9), _herd(n=2, seed=9)
    assert a.geometry.equals(b.geometry)
    path = tr.write_movebank(a, tmp_path / "sim.csv")
    back = tr.read_movebank(path, timezone="UTC")
    assert len(back) == len(a)
    assert (back["timestamp"] == a["timestamp"]).all()
    np.testing.assert_allclose(back.geometry.x, a.geometry.x, atol=1e-6)
    with pytest.raises(OutputError, match="already exists"):
        tr.write_movebank(a, path)
