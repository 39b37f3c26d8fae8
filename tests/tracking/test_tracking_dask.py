"""Individuals and sequences on a dask.distributed cluster give the same answers."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from tracking_tracks import LAT0, LON0

from corridors import tracking as tr
from corridors.crs import local_crs
from corridors.errors import InputError

FRAME = local_crs(LON0, LAT0)


def _herd() -> gpd.GeoDataFrame:
    route = gpd.GeoSeries([shapely.LineString([(-8000, 0), (8000, 0)])], crs=FRAME)
    return tr.simulate_migration(
        route.to_crs(4326),
        n_individuals=4,
        fix_interval_h=2,
        motion_variance=300.0,
        location_error_m=20.0,
        seed=8,
        residence_days=(0.5, 0.5),
        spread_m=30.0,
        tether_h=1.0,
    )


@pytest.mark.slow
def test_local_cluster_gives_the_same_corridors() -> None:
    distributed = pytest.importorskip("distributed")
    fixes = _herd()
    here = tr.population_corridors(fixes, cell_size_m=100.0, crs=FRAME)
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        there = tr.population_corridors(fixes, cell_size_m=100.0, crs=FRAME, scheduler=client)
        by_address = tr.bbmm(
            fixes, cell_size_m=100.0, crs=FRAME, scheduler=cluster.scheduler_address
        )
    np.testing.assert_array_equal(here.count, there.count)
    np.testing.assert_array_equal(here.classes, there.classes)
    np.testing.assert_allclose(here.ud, there.ud, rtol=0, atol=1e-15)
    local = tr.bbmm(fixes, cell_size_m=100.0, crs=FRAME)
    for name in local.uds:
        np.testing.assert_allclose(local.ud(name), by_address.ud(name), rtol=0, atol=1e-15)


def test_bad_scheduler_is_refused() -> None:
    with pytest.raises(InputError, match="scheduler must be"):
        tr.bbmm(_herd(), cell_size_m=100.0, crs=FRAME, scheduler=42)
