"""Where lines cross corridors and case areas."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely
from leastcost_grids import CRS, cell_centre, transform_for

import corridors
import corridors.leastcost as lc


def test_road_across_a_single_corridor_has_one_crossing(three_cores) -> None:
    r, cores = three_cores
    net = lc.corridor_network(r, cores.iloc[:2], transform=transform_for(), crs=CRS, cutoff=600.0)
    x, _ = cell_centre(0, 30)
    _, y0 = cell_centre(39, 0)
    _, y1 = cell_centre(0, 0)
    road = gpd.GeoDataFrame(
        {"name": ["planned road"]},
        geometry=[shapely.LineString([(x, y0 - 500), (x, y1 + 500)])],
        crs=CRS,
    ).to_crs("EPSG:4326")  # lines in another CRS are reprojected
    got = lc.infrastructure_crossings(net, road)
    assert len(got) == 1
    hit = got.iloc[0]
    assert hit["rank"] == 1 and hit["kind"] == "corridor"
    assert hit["line_name"] == "planned road"
    assert hit["corridor_id"] == 1 and hit["corridor_name"] == "A – B"
    # The least-cost path runs along row 20: the crossing is there, on the road.
    _, y_path = cell_centre(20, 30)
    assert hit.geometry.x == pytest.approx(x, abs=1.0)
    assert hit.geometry.y == pytest.approx(y_path, abs=60.0)
    # Uniform resistance 2 and cut-off 600: cells within 600 / 2 m of extra route.
    assert 0.2 < hit["width_km"] < 3.0
    assert hit["crossing_length_km"] >= hit["width_km"] - 0.2
    assert hit["pinch_score"] > 0
    assert got.crs == net.crs


def test_width_of_a_band_at_any_angle_and_ranking() -> None:
    bands = gpd.GeoDataFrame(
        {
            "feature_id": ["c/wide", "c/narrow"],
            "feature_name": ["wide", "narrow"],
            "case_id": ["c", "c"],
        },
        geometry=[shapely.box(0, 0, 1000, 10_000), shapely.box(5000, 0, 5400, 10_000)],
        crs=CRS,
    )
    road = gpd.GeoDataFrame(
        {"feature_id": ["r/1"], "feature_name": ["diagonal road"]},
        geometry=[shapely.LineString([(-1000, 1000), (7000, 9000)])],
        crs=CRS,
    )
    got = lc.infrastructure_crossings(bands, road)
    assert list(got["corridor_name"]) == ["narrow", "wide"]  # narrowest ranks first
    assert got["kind"].eq("area").all() and got["case_id"].eq("c").all()
    assert got["width_km"].tolist() == pytest.approx([0.4, 1.0], rel=0.02)
    assert got["crossing_length_km"].tolist() == pytest.approx(
        [0.4 * 2**0.5, 1.0 * 2**0.5], rel=0.01
    )
    assert got["pinch_score"].isna().all()
    assert got["line_id"].eq("r/1").all()


def test_line_twice_through_a_corridor_and_no_crossing() -> None:
    ring = gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 1000, 1000)], crs=CRS)
    zigzag = gpd.GeoSeries(
        [
            shapely.LineString(
                [(-100, 200), (500, 200), (500, 1200), (600, 1200), (600, 800), (1200, 800)]
            )
        ],
        crs=CRS,
    )
    got = lc.infrastructure_crossings(ring, zigzag)
    assert len(got) == 2
    far = gpd.GeoSeries([shapely.LineString([(5000, 0), (6000, 0)])], crs=CRS)
    none = lc.infrastructure_crossings(ring, far)
    assert none.empty and list(none.columns)[:3] == ["rank", "line_id", "line_name"]


def test_catalogue_barriers_cross_their_case_areas() -> None:
    load = getattr(corridors, "load_features", None)
    if load is None:
        pytest.skip("catalogue not available")
    features = load()
    lines = features[features["role"].isin(["barrier", "infrastructure"])]
    areas = features[features["role"] == "area"]
    wanted = {"qinling": "infrastructure", "fremont-lake": "barrier"}
    for prefix, role in wanted.items():
        mine = lines[lines["case_id"].str.contains(prefix) & (lines["role"] == role)]
        if mine.empty:
            pytest.skip(f"catalogue has no {role} line for {prefix}")
        case_areas = areas[areas["case_id"].isin(mine["case_id"])]
        got = lc.infrastructure_crossings(case_areas, mine)
        assert len(got) >= 1, prefix
        assert got.crs == case_areas.crs
        assert got["case_id"].isin(mine["case_id"]).all()
        assert (got["width_km"] > 0).all()
    # The Fremont Lake fence also cuts the mule-deer migration route at the bottleneck.
    fence = lines[lines["feature_id"].str.contains("fremont-lake") & (lines["role"] == "barrier")]
    routes = features[(features["role"] == "route") & features["case_id"].isin(fence["case_id"])]
    got = lc.infrastructure_crossings(routes, fence)
    assert len(got) == 1 and got["kind"].iloc[0] == "route"
    bottleneck = features[features["feature_id"].str.endswith("fremont-lake-bottleneck")]
    if len(bottleneck):
        assert (
            corridors.crs.geodesic_distance_km(got.geometry.iloc[0], bottleneck.geometry.iloc[0])
            < 0.5
        )


def test_bare_shapely_road_takes_the_network_crs(three_cores) -> None:
    """The README's ``leastcost.infrastructure_crossings(net, planned_road)``."""
    r, cores = three_cores
    net = lc.corridor_network(r, cores.iloc[:2], transform=transform_for(), crs=CRS, cutoff=600.0)
    x, _ = cell_centre(0, 30)
    _, y0 = cell_centre(39, 0)
    _, y1 = cell_centre(0, 0)
    planned_road = shapely.LineString([(x, y0 - 500), (x, y1 + 500)])
    got = lc.infrastructure_crossings(net, planned_road)
    framed = lc.infrastructure_crossings(net, gpd.GeoSeries([planned_road], crs=CRS))
    assert len(got) == 1 and got.crs == net.crs
    assert got.drop(columns="geometry").equals(framed.drop(columns="geometry"))
    assert got.geometry.iloc[0].equals(framed.geometry.iloc[0])
    lonlat = gpd.GeoSeries([planned_road], crs=CRS).to_crs("EPSG:4326").iloc[0]
    assert len(lc.infrastructure_crossings(net, lonlat, crs="EPSG:4326")) == 1
    with pytest.raises(corridors.CRSError, match="crs='EPSG:4326'"):
        lc.infrastructure_crossings(net, lonlat)
