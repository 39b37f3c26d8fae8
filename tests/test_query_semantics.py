"""Table-driven tests of the query semantics for every geometry pair.

Geometries are in longitude/latitude near the equator, where 0.01 degree is about
1.1 km, so the default tolerance (1 km) sits between 0.005 and 0.01 degree. Every test
runs twice: with the speed routes, and with the reference route alone.
"""

from __future__ import annotations

from collections.abc import Iterator

import geopandas as gpd
import pytest
import shapely
from shapely import LineString, MultiPoint, MultiPolygon, Point, box

from corridors import query


@pytest.fixture(autouse=True, params=[True, False], ids=["speed", "reference"])
def route(request: pytest.FixtureRequest) -> Iterator[bool]:
    """Each test with the speed routes on, then with the reference route alone."""
    with query.speed_routes(request.param):
        yield request.param


AREA = box(0, 0, 1, 1)
ROAD = LineString([(0, 0.5), (2, 0.5)])

# (name, case geometry, crosses the area at 1 km, crosses at 0 km, within at 1 km)
AREAL_TABLE = [
    ("point inside", Point(0.5, 0.5), False, False, True),
    ("point on edge", Point(1, 0.5), False, False, False),
    ("point outside", Point(1.5, 0.5), False, False, False),
    ("multipoint both sides", MultiPoint([(0.5, 0.5), (1.5, 0.5)]), True, True, False),
    (
        "multipoint astride within tolerance",
        MultiPoint([(0.996, 0.5), (1.004, 0.5)]),
        False,
        True,
        True,
    ),
    ("multipoint inside", MultiPoint([(0.2, 0.5), (0.8, 0.5)]), False, False, True),
    ("line through edge", LineString([(0.5, 0.5), (1.5, 0.5)]), True, True, False),
    ("line touching edge from outside", LineString([(1, 0.5), (1.5, 0.5)]), False, False, False),
    ("line along edge then out", LineString([(1, 0.2), (1, 0.8), (1.5, 0.8)]), False, False, False),
    ("line along edge then in", LineString([(1, 0.2), (1, 0.8), (0.5, 0.8)]), False, False, True),
    ("line dead-ending inside", LineString([(1.5, 0.5), (0.7, 0.5)]), True, True, False),
    ("line poking in by a sliver", LineString([(1.5, 0.5), (0.996, 0.5)]), False, True, False),
    (
        "line in and out twice",
        LineString([(0.5, 0.5), (1.5, 0.5), (1.5, 0.7), (0.5, 0.7)]),
        True,
        True,
        False,
    ),
    ("polygon overlapping", box(0.5, 0.5, 1.5, 1.5), True, True, False),
    ("polygon touching edge", box(1, 0, 2, 1), False, False, False),
    ("polygon inside", box(0.2, 0.2, 0.4, 0.4), False, False, True),
    ("polygon inside touching edge", box(0.5, 0.2, 1, 0.4), False, False, True),
    ("polygon sliver across edge", box(0.996, 0.2, 1.5, 0.4), False, True, False),
    ("polygon containing the area", box(-1, -1, 2, 2), True, True, False),
    (
        "multipolygon parts in and out",
        MultiPolygon([box(0.2, 0.2, 0.4, 0.4), box(2, 2, 3, 3)]),
        True,
        True,
        False,
    ),
    (
        "multipolygon inside",
        MultiPolygon([box(0.2, 0.2, 0.4, 0.4), box(0.6, 0.6, 0.8, 0.8)]),
        False,
        False,
        True,
    ),
]

# (name, case geometry, crossed by the road at 1 km, severs)
LINEAR_TABLE = [
    ("point on the road", Point(1, 0.5), False, False),
    ("multipoint on both sides", MultiPoint([(1, 0.4), (1, 0.6)]), False, False),
    ("line crossing", LineString([(1, 0), (1, 1)]), True, False),
    ("line ending on the road", LineString([(1, 0), (1, 0.5)]), False, False),
    (
        "line touching the road and back",
        LineString([(0.8, 0.3), (1, 0.5), (1.2, 0.3)]),
        False,
        False,
    ),
    (
        "line along the road then across",
        LineString([(0.2, 0.3), (0.5, 0.5), (1.0, 0.5), (1.3, 0.7)]),
        True,
        False,
    ),
    (
        "line along the road then back",
        LineString([(0.2, 0.3), (0.5, 0.5), (1.0, 0.5), (1.3, 0.3)]),
        False,
        False,
    ),
    ("line passing the road's dead end", LineString([(2, 0), (2, 1)]), False, False),
    ("line beyond the road's dead end", LineString([(2.3, 0), (2.3, 1)]), False, False),
    ("line parallel to the road", LineString([(0, 0.6), (2, 0.6)]), False, False),
    ("line crossing twice", LineString([(0.5, 0.3), (0.6, 0.7), (0.7, 0.3)]), True, False),
    ("polygon cut in two", box(0.5, 0, 1, 1), True, True),
    ("polygon the road dead-ends in", box(1.5, 0, 2.5, 1), True, False),
    ("polygon touching the road", box(0.5, 0, 1, 0.5), False, False),
    ("polygon grazed by a sliver", box(0.5, 0, 1, 0.496), False, False),
    ("polygon away from the road", box(0.5, 0, 1, 0.3), False, False),
    ("multipolygon, one part cut", MultiPolygon([box(0.5, 0, 1, 1), box(3, 3, 4, 4)]), True, True),
]


def _frame(table: list[tuple], crs: str) -> gpd.GeoDataFrame:
    frame = gpd.GeoDataFrame(
        {"name": [row[0] for row in table]},
        geometry=[row[1] for row in table],
        crs="EPSG:4326",
    ).set_index("name")
    return frame.to_crs(crs)


@pytest.mark.parametrize("crs", ["EPSG:4326", "EPSG:3857", "EPSG:32631"])
def test_crossing_areal_table(crs: str) -> None:
    cases = _frame(AREAL_TABLE, crs)
    got = query.crossing(cases, AREA, crs="EPSG:4326")
    expected = [row[0] for row in AREAL_TABLE if row[2]]
    assert sorted(got.index) == sorted(expected)
    assert got.crs == cases.crs
    assert (got["share_inside"].between(0, 1)).all()


def test_crossing_areal_exact_table() -> None:
    cases = _frame(AREAL_TABLE, "EPSG:4326")
    got = query.crossing(cases, AREA, crs="EPSG:4326", tolerance_km=0)
    assert sorted(got.index) == sorted(row[0] for row in AREAL_TABLE if row[3])


@pytest.mark.parametrize("crs", ["EPSG:4326", "EPSG:3857"])
def test_within_table(crs: str) -> None:
    cases = _frame(AREAL_TABLE, crs)
    got = query.within(cases, AREA, crs="EPSG:4326")
    expected = [row[0] for row in AREAL_TABLE if row[4]]
    if crs != "EPSG:4326":
        # A point exactly on the edge lands a nanometre off it after reprojection.
        got = got.drop(index=["point on edge"], errors="ignore")
    assert sorted(got.index) == sorted(expected)


@pytest.mark.parametrize("crs", ["EPSG:4326", "EPSG:3857"])
def test_crossing_linear_table(crs: str) -> None:
    cases = _frame(LINEAR_TABLE, crs)
    got = query.crossing(cases, ROAD, crs="EPSG:4326")
    assert sorted(got.index) == sorted(row[0] for row in LINEAR_TABLE if row[2])
    severs = {row[0] for row in LINEAR_TABLE if row[3]}
    assert set(got.index[got["severs"]]) == severs


def test_crossing_counts_and_measures() -> None:
    cases = _frame(AREAL_TABLE, "EPSG:4326")
    got = query.crossing(cases, AREA, crs="EPSG:4326")
    assert got.loc["line in and out twice", "n_crossings"] == 2
    assert got.loc["line through edge", "n_crossings"] == 1
    assert got.loc["line through edge", "share_inside"] == pytest.approx(0.5, abs=1e-3)
    # half of a 0.5 x 0.5 degree box lies inside: about 55.3 km x 55.3 km / 2 ...
    area = got.loc["polygon overlapping", "area_inside_km2"]
    assert area == pytest.approx(query_area_box(0.5, 0.5, 1, 1), rel=1e-3)
    lin = query.crossing(_frame(LINEAR_TABLE, "EPSG:4326"), ROAD, crs="EPSG:4326")
    assert lin.loc["line crossing twice", "n_crossings"] == 2
    assert lin.loc["polygon cut in two", "length_across_km"] == pytest.approx(55.66, rel=1e-3)


def query_area_box(x0: float, y0: float, x1: float, y1: float) -> float:
    from corridors.crs import geodesic_area_km2

    return geodesic_area_km2(shapely.segmentize(box(x0, y0, x1, y1), 0.01))


def test_intersecting_includes_touching() -> None:
    cases = _frame(AREAL_TABLE, "EPSG:4326")
    got = query.intersecting(cases, AREA, crs="EPSG:4326")
    assert "point on edge" in got.index
    assert "polygon touching edge" in got.index
    assert "point outside" not in got.index


def test_linear_crossing_independent_of_segmentation() -> None:
    # The same road cut into segments that meet exactly where the case crosses it.
    segments = gpd.GeoDataFrame(
        geometry=[LineString([(0, 0.5), (1, 0.5)]), LineString([(1, 0.5), (2, 0.5)])],
        crs="EPSG:4326",
    )
    case = gpd.GeoDataFrame({"id": ["x"]}, geometry=[LineString([(1, 0), (1, 1)])], crs="EPSG:4326")
    assert len(query.crossing(case, segments)) == 1


def test_self_intersecting_road_does_not_fail() -> None:
    loop = LineString([(0, 0.5), (1, 0.5), (1, 0.8), (0.5, 0.8), (0.5, 0.2)])
    cases = gpd.GeoDataFrame(
        {"id": ["x"]}, geometry=[LineString([(0.7, 0), (0.7, 1)])], crs="EPSG:4326"
    )
    got = query.crossing(cases, loop, crs="EPSG:4326")
    assert len(got) == 1
    assert got["n_crossings"].iloc[0] >= 1
