"""Input the spatial queries cannot answer is refused with a message that names it.

Boundaries, roads, points and cases whose coordinates are not positions (NaN, infinite,
outside longitude/latitude ranges), lines that hold no line, directories given as
files; and the rows ``crossing`` returns say why they matched.
"""

from __future__ import annotations

import json
import math
import re
import sys
import warnings
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from shapely.geometry import GeometryCollection, LineString, MultiPolygon, Point, Polygon, box
from typer.testing import CliRunner

import corridors
import corridors.leastcost as lc
from corridors import query
from corridors.cli import app
from corridors.errors import (
    BoundaryError,
    CorridorsError,
    CorridorsWarning,
    CRSError,
    DataFileError,
    InputError,
)

runner = CliRunner()
NAN, INF = math.nan, math.inf
TKM_INSIDE = (59.0153, 38.9661)  # representative points, far from their shared border
UZB_INSIDE = (63.3896, 41.3714)
ON_BORDER = (60.4145, 41.2353)  # the middle of the Turkmenistan-Uzbekistan border


def _quiet(make: Any, *args: Any) -> Any:
    """Build a geometry from coordinates GEOS warns about (NaN) without the warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return make(*args)


@pytest.fixture
def no_runtime_warnings() -> Any:
    """Turn every RuntimeWarning (shapely's "invalid value encountered") into an error."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        yield


@pytest.fixture(scope="module")
def cases() -> gpd.GeoDataFrame:
    """Three small cases around the Turkmenistan-Uzbekistan border."""
    return gpd.GeoDataFrame(
        {"name": ["straddles", "tkm only", "line across"]},
        geometry=[
            Point(ON_BORDER).buffer(0.2),
            Point(TKM_INSIDE).buffer(0.1),
            LineString([TKM_INSIDE, UZB_INSIDE]),
        ],
        crs="EPSG:4326",
    )


def _roads(*coords: list[tuple[float, float]], crs: str = "EPSG:4326") -> gpd.GeoDataFrame:
    names = [f"road {chr(ord('A') + i)}" for i in range(len(coords))]
    geoms = [_quiet(LineString, c) for c in coords]
    return gpd.GeoDataFrame({"name": names}, geometry=geoms, crs=crs)


GOOD = [(60.0, 40.0), (61.0, 41.0)]


# ----------------------------------------------------------------------------- 1. boundaries


@pytest.mark.parametrize("func", [query.crossing, query.within, query.intersecting])
def test_boundary_with_a_nan_coordinate_is_refused_by_feature(
    func: Any, cases: gpd.GeoDataFrame, no_runtime_warnings: None
) -> None:
    frame = _roads(GOOD, [(60.0, 40.0), (NAN, 41.0), (62.0, 42.0)])
    if func is query.within:
        rings = [
            [*c, c[0]] for c in ([*GOOD, (60.0, 41.0)], [(60.0, 40.0), (NAN, 41.0), (62.0, 42.0)])
        ]
        frame = frame.set_geometry([_quiet(Polygon, r) for r in rings])
    with pytest.raises(BoundaryError, match=r"feature 1 \(name 'road B'\): coordinate \(nan, "):
        func(cases, frame)


def test_boundary_series_and_bare_geometry_with_nan(
    cases: gpd.GeoDataFrame, no_runtime_warnings: None
) -> None:
    line = _quiet(LineString, [(60.0, 40.0), (61.0, NAN)])
    with pytest.raises(BoundaryError, match=r"(?s)<GeoSeries>.*feature 0: .*\(61, nan\) is not a"):
        query.crossing(cases, gpd.GeoSeries([line], crs="EPSG:4326"))
    with pytest.raises(BoundaryError, match=r"(?s)boundary <LineString>.*not a number"):
        query.intersecting(cases, line, crs="EPSG:4326")


def test_every_bad_feature_is_named_at_once(
    cases: gpd.GeoDataFrame, no_runtime_warnings: None
) -> None:
    frame = _roads(
        GOOD,
        [(60.0, 40.0), (NAN, 41.0)],
        [(60.0, 40.0), (61.0, INF)],
        [(60.0, 40.0), (61.0, 100.0)],
        [(60.0, 40.0), (-INF, 41.0)],
    )
    with pytest.raises(BoundaryError) as info:
        query.crossing(cases, frame)
    text = str(info.value)
    assert "4 features" in text
    assert "feature 1 (name 'road B'): coordinate (nan, 41) is not a number" in text
    assert "feature 2 (name 'road C'): coordinate (61, inf) is infinite" in text
    assert "feature 3 (name 'road D'): coordinate (61, 100): latitude 100 is outside" in text
    assert "feature 4 (name 'road E'): coordinate (-inf, 41) is infinite" in text
    assert "road A" not in text
    assert "frame.drop(index=[1, 2, 3, 4])" in text


def test_many_bad_features_are_counted_beyond_the_first_ten(
    cases: gpd.GeoDataFrame, no_runtime_warnings: None
) -> None:
    frame = _roads(*[[(60.0, 40.0), (61.0, 95.0 + i)] for i in range(25)])
    with pytest.raises(BoundaryError, match=r"25 features(.|\n)*and 15 more"):
        query.crossing(cases, frame)


@pytest.mark.parametrize(
    "coords, message",
    [
        ([(60.0, 40.0), (61.0, 100.0)], r"latitude 100 is outside \[-90, 90\]"),
        ([(60.0, 40.0), (400.0, 41.0)], r"longitude 400 is outside \[-180, 180\] \(lines"),
        ([(40.0, 60.0), (41.0, 95.0)], r"did you swap longitude and latitude"),
        ([(5e5, 4.4e6), (6e5, 4.5e6)], r"look like metres"),
    ],
)
def test_coordinates_outside_lonlat_ranges(
    coords: list[tuple[float, float]], message: str, cases: gpd.GeoDataFrame
) -> None:
    with pytest.raises(BoundaryError, match=message):
        query.crossing(cases, _roads(coords))


def test_lines_may_run_on_past_the_antimeridian_points_may_not() -> None:
    frame = gpd.GeoDataFrame(geometry=[box(178.0, -17.0, 182.0, -15.0)], crs="EPSG:4326")
    wrapped = query.crossing(frame, LineString([(179.0, -18.0), (181.0, -14.0)]), crs=4326)
    assert len(wrapped) == 1
    sites = gpd.GeoDataFrame(geometry=[Point(181.0, -16.0)], crs="EPSG:4326")
    with pytest.raises(InputError, match=r"row 0: coordinate \(181, -16\): longitude 181"):
        query.near(sites, Point(179.0, -16.0), crs=4326, distance_km=10)


def test_projected_boundary_that_does_not_transform(
    cases: gpd.GeoDataFrame, no_runtime_warnings: None
) -> None:
    # Far beyond the Earth in UTM: pyproj gives infinite longitude/latitude.
    frame = _roads([(500_000.0, 0.0), (1e300, 0.0)], crs="EPSG:32633")
    with pytest.raises(
        BoundaryError,
        match=r"feature 0 \(name 'road A'\): coordinate \(1e\+300, 0\) does not transform to a "
        r"longitude/latitude: it lies outside the area where EPSG:32633 is defined",
    ):
        query.crossing(cases, frame)


def test_boundary_file_with_nan_names_the_file_and_feature(
    tmp_path: Path, cases: gpd.GeoDataFrame, no_runtime_warnings: None
) -> None:
    path = tmp_path / "roads.geojson"
    doc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"id": f"r{i}"},
                "geometry": {"type": "LineString", "coordinates": coords},
            }
            for i, coords in enumerate([GOOD, [[60.0, 40.0], [NAN, 41.0]]])
        ],
    }
    path.write_text(json.dumps(doc))  # json writes NaN, as GDAL reads it
    with pytest.raises(BoundaryError, match=r"roads\.geojson(.|\n)*feature 1 \(id 'r1'\)"):
        query.crossing(cases, path)
    with pytest.raises(BoundaryError, match="delete them from the file"):
        query.crossing(cases, str(path))


def test_cli_boundary_file_with_nan_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "nan.geojson"
    _roads(GOOD).to_file(path)
    path.write_text(path.read_text().replace("61.0, 41.0", "NaN, 41.0"))
    res = runner.invoke(app, ["query", "crossing", "--boundary", str(path)])
    assert res.exit_code == 2, res.output
    assert "nan.geojson" in res.stderr and "is not a number" in res.stderr
    assert "RuntimeWarning" not in res.output and "Traceback" not in res.output


def test_cases_with_bad_coordinates_are_refused(no_runtime_warnings: None) -> None:
    frame = gpd.GeoDataFrame(
        {"feature_id": ["a/1", "a/2"]},
        geometry=[Point(60.0, 40.0), _quiet(LineString, [(60.0, 40.0), (NAN, 41.0)])],
        crs="EPSG:4326",
    )
    with pytest.raises(InputError, match=r"cases: 1 row (.|\n)*row 1 \(feature_id 'a/2'\)"):
        query.crossing(frame, "TKM")


# ----------------------------------------------------------------------------- 3. near


@pytest.mark.parametrize(
    "point, message",
    [
        (Point(200.0, 100.0), r"latitude 100 is outside \[-90, 90\] and longitude 200"),
        (Point(200.0, 10.0), r"longitude 200 is outside \[-180, 180\]"),
        (Point(42.9, -109.8), r"latitude -109.8 (.|\n)*did you swap longitude and latitude"),
        (Point(NAN, NAN), r"coordinate \(nan, nan\) is not a number"),
        (Point(INF, 0.0), r"is infinite"),
        (Point(), r"is empty"),
    ],
)
def test_near_refuses_points_that_are_not_positions(
    point: Point, message: str, cases: gpd.GeoDataFrame, no_runtime_warnings: None
) -> None:
    with pytest.raises(InputError, match=message):
        query.near(cases, point, crs="EPSG:4326", distance_km=10)


def test_near_swap_hint_only_when_swapping_helps(cases: gpd.GeoDataFrame) -> None:
    with pytest.raises(InputError) as info:
        query.near(cases, Point(200.0, 100.0), crs="EPSG:4326", distance_km=10)
    assert "swap" not in str(info.value)


@pytest.mark.parametrize("km", [-1.0, NAN, INF])
def test_near_refuses_bad_distances(km: float, cases: gpd.GeoDataFrame) -> None:
    with pytest.raises(InputError, match="distance_km"):
        query.near(cases, Point(60.0, 40.0), crs="EPSG:4326", distance_km=km)


def test_near_takes_a_file_of_points(tmp_path: Path, cases: gpd.GeoDataFrame) -> None:
    path = tmp_path / "dam.geojson"
    gpd.GeoDataFrame(geometry=[Point(TKM_INSIDE)], crs="EPSG:4326").to_file(path)
    got = query.near(cases, path, distance_km=1)
    assert list(got["name"]) == ["tkm only", "line across"]
    assert got["distance_km"].tolist() == [0.0, 0.0]


# ----------------------------------------------------------------------------- 4. directories


def test_directory_as_boundary(tmp_path: Path, cases: gpd.GeoDataFrame) -> None:
    _roads(GOOD).to_file(tmp_path / "roads.gpkg")
    with pytest.raises(DataFileError, match=r"is a directory, not a vector file.*roads\.gpkg"):
        query.crossing(cases, tmp_path)
    with pytest.raises(DataFileError, match="is a directory"):
        query.crossing(cases, str(tmp_path))
    res = runner.invoke(app, ["query", "crossing", "--boundary", str(tmp_path)])
    assert res.exit_code == 2 and "is a directory" in res.stderr


# ----------------------------------------------------------------------------- 6. crs member


@pytest.mark.parametrize(
    "crs_member",
    [
        "EPSG:4326",
        "urn:ogc:def:crs:EPSG::4326",
        5,
        ["x"],
        None,
        {"type": "name"},
        {"type": "name", "properties": "EPSG:4326"},
        {"type": "name", "properties": {"name": "EPSG:99999"}},
    ],
)
def test_boundary_geojson_with_odd_crs_member(
    crs_member: Any, tmp_path: Path, cases: gpd.GeoDataFrame
) -> None:
    path = tmp_path / "odd.geojson"
    feature = {
        "type": "Feature",
        "properties": {},
        "geometry": {"type": "LineString", "coordinates": [list(p) for p in GOOD]},
    }
    path.write_text(
        json.dumps({"type": "FeatureCollection", "crs": crs_member, "features": [feature]})
    )
    try:
        bnd = query.resolve_boundary(path)
    except CorridorsError:
        return
    assert bnd.kind == "linear"
    assert shapely.equals(bnd.geoms[0], LineString(GOOD))


# ----------------------------------------------------------------------------- 2. infrastructure


CRS_M = "EPSG:32633"
AREAS = gpd.GeoDataFrame({"name": ["square"]}, geometry=[box(0.0, 0.0, 1000.0, 1000.0)], crs=CRS_M)
ROAD = LineString([(-500.0, 500.0), (1500.0, 500.0)])


def test_infrastructure_crossings_with_a_bare_line_takes_the_corridors_crs() -> None:
    got = lc.infrastructure_crossings(AREAS, ROAD)
    assert len(got) == 1 and got.crs == AREAS.crs
    assert got["crossing_length_km"].iloc[0] == pytest.approx(1.0)
    # The README's form, corridors.infrastructure_crossings(net, planned_road).
    assert len(corridors.infrastructure_crossings(AREAS.geometry, ROAD)) == 1


def test_infrastructure_crossings_bare_line_in_another_crs() -> None:
    lonlat = gpd.GeoSeries([ROAD], crs=CRS_M).to_crs("EPSG:4326").iloc[0]
    assert len(lc.infrastructure_crossings(AREAS, lonlat, crs="EPSG:4326")) == 1
    with pytest.raises(CRSError, match=r"look like longitude/latitude.*crs='EPSG:4326'"):
        lc.infrastructure_crossings(AREAS, lonlat)


@pytest.mark.parametrize(
    "geoms, message",
    [
        ([Point(1e5, 1e5), Point(2e5, 2e5)], r"features 0, 1 have points only"),
        ([None, None], r"features 0, 1 have no geometry"),
        ([LineString(), None], r"feature 1 has no geometry; feature 0 has an empty geometry"),
    ],
)
def test_lines_without_a_line_are_refused(geoms: list[Any], message: str) -> None:
    lines = gpd.GeoDataFrame({"name": ["a", "b"]}, geometry=geoms, crs=CRS_M)
    with pytest.raises(InputError, match=message + r".*line layer"):
        lc.infrastructure_crossings(AREAS, lines)


def test_lines_file_of_points_is_refused_by_library_and_cli(tmp_path: Path) -> None:
    path = tmp_path / "dams.geojson"
    gpd.GeoDataFrame(geometry=[Point(15.0, 50.0)], crs="EPSG:4326").to_file(path)
    with pytest.raises(InputError, match=r"dams\.geojson.*feature 0 has points only"):
        lc.infrastructure_crossings(AREAS, path)
    res = runner.invoke(app, ["infra", "crossings", "--line", str(path)])
    assert res.exit_code == 2, res.output
    assert "line layer" in res.stderr


def test_lines_with_some_points_warn_and_cross_with_the_rest() -> None:
    lines = gpd.GeoDataFrame({"name": ["dam", "road"]}, geometry=[Point(1.0, 1.0), ROAD], crs=CRS_M)
    with pytest.warns(CorridorsWarning, match=r"1 of 2 features without a line.*feature 0"):
        got = lc.infrastructure_crossings(AREAS, lines)
    assert list(got["line_name"]) == ["road"]


def test_lines_with_nan_coordinates_are_refused(no_runtime_warnings: None) -> None:
    lines = gpd.GeoSeries([_quiet(LineString, [(-5e3, 0.0), (NAN, 1e4)])], crs=CRS_M)
    with pytest.raises(InputError, match=r"feature 0: coordinate \(nan, 10000\) is not a number"):
        lc.infrastructure_crossings(AREAS, lines)


# ----------------------------------------------------------------------------- 5. matched_by


def test_crossing_rows_say_why_they_matched(no_runtime_warnings: None) -> None:
    tkm = Point(TKM_INSIDE).buffer(0.1)
    uzb = Point(UZB_INSIDE).buffer(0.1)
    across = LineString([TKM_INSIDE, UZB_INSIDE])
    frame = gpd.GeoDataFrame(
        {"name": ["two sites", "straddles", "line", "line and site", "tkm only"]},
        geometry=[
            MultiPolygon([tkm, uzb]),
            Point(ON_BORDER).buffer(0.2),
            across,
            GeometryCollection([tkm, across]),
            tkm,
        ],
        crs="EPSG:4326",
    ).set_index("name")
    border = corridors.border("TKM", "UZB").geometry.iloc[0]
    assert not border.intersects(frame.geometry["two sites"])  # the sites are off the line
    got = query.crossing(frame, "TKM-UZB")
    assert list(got.index) == ["two sites", "straddles", "line", "line and site"]
    # Lying in both countries says by how much: area (km²) or parts in each country.
    sites = re.fullmatch(
        r"deep in both countries \(TKM ([\d,]+) km², UZB ([\d,]+) km²\)",
        got.loc["two sites", "matched_by"],
    )
    assert sites is not None, got.loc["two sites", "matched_by"]
    # Each site is a disc of 0.1 degree radius: about 300 km² at 39-41 N.
    assert all(250 < int(a.replace(",", "")) < 350 for a in sites.groups())
    assert got.loc["two sites", "n_crossings"] == 0
    assert got.loc["two sites", "length_across_km"] == 0.0
    assert re.fullmatch(
        r"line passes through, deep in both countries \(TKM [\d,]+ km², UZB [\d,]+ km²\)",
        got.loc["straddles", "matched_by"],
    )
    assert got.loc["straddles", "length_across_km"] > 30
    assert (
        got.loc["line", "matched_by"]
        == "crosses the line, deep in both countries (TKM 1 part, UZB 1 part)"
    )
    assert re.fullmatch(
        r"crosses the line, deep in both countries \(TKM [\d,]+ km², UZB 1 part\)",
        got.loc["line and site", "matched_by"],
    )
    assert got.loc["line", "length_across_km"] == 0.0  # a line case has no polygon
    assert not got[["length_across_km", "n_crossings"]].isna().any().any()
    # A plain line (a road): no sides, only the line's own reasons.
    road = query.crossing(frame, corridors.border("TKM", "UZB").geometry)
    assert set(road["matched_by"]) == {"line passes through", "crosses the line"}
    areal = query.crossing(frame, "TKM")
    assert set(areal["matched_by"]) == {"parts inside and outside"}


def test_catalogue_border_rows_have_measures() -> None:
    cases = corridors.load_cases()
    got = query.crossing(cases, "TKM-UZB")
    assert not got["length_across_km"].isna().any()
    assert not got["n_crossings"].isna().any()
    assert got["matched_by"].str.len().gt(0).all()
    bri = got.loc[got.index.str.startswith("focus-bri")]
    if len(bri):
        # Matched by its parts deep in both countries, not by the border line.
        assert bri["matched_by"].str.fullmatch(r"deep in both countries \(TKM .*, UZB .*\)").all()
        assert (bri["n_crossings"] == 0).all()


# ----------------------------------------------------------------------------- 7. hypothesis


any_float = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(-200.0, 200.0),
    st.sampled_from([NAN, INF, -INF, 1e308, -1e308, 90.0, -90.0, 180.0, -180.0, 0.0]),
)
xy = st.tuples(any_float, any_float)


@pytest.fixture(scope="module")
def few_cases() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        geometry=[
            box(0.0, 0.0, 10.0, 10.0),
            LineString([(-20.0, -20.0), (20.0, 20.0)]),
            Point(5.0, 5.0),
        ],
        crs="EPSG:4326",
    )


def _answers_or_refuses(call: Any) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        try:
            got = call()
        except CorridorsError:
            return
    assert isinstance(got, gpd.GeoDataFrame)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(coords=st.lists(xy, min_size=2, max_size=5), kind=st.sampled_from(["line", "polygon"]))
def test_queries_answer_or_refuse_arbitrary_boundaries(
    few_cases: gpd.GeoDataFrame, coords: list[tuple[float, float]], kind: str
) -> None:
    polygon = kind == "polygon" and len(coords) >= 3
    try:
        geom = _quiet(Polygon, coords) if polygon else _quiet(LineString, coords)
    except shapely.errors.GEOSException:
        assume(False)  # shapely itself refuses the ring (a NaN first vertex never closes)
    series = gpd.GeoSeries([geom], crs="EPSG:4326")
    _answers_or_refuses(lambda: query.crossing(few_cases, series))
    _answers_or_refuses(lambda: query.within(few_cases, series, tolerance_km=0))
    _answers_or_refuses(lambda: query.intersecting(few_cases, geom, crs="EPSG:4326"))


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(point=xy, km=any_float)
def test_near_answers_or_refuses_arbitrary_points(
    few_cases: gpd.GeoDataFrame, point: tuple[float, float], km: float
) -> None:
    geom = _quiet(Point, *point)
    _answers_or_refuses(lambda: query.near(few_cases, geom, crs="EPSG:4326", distance_km=km))


@settings(max_examples=80, deadline=None)
@given(coords=st.lists(xy, min_size=2, max_size=4))
def test_crossing_answers_or_refuses_arbitrary_cases(coords: list[tuple[float, float]]) -> None:
    frame = gpd.GeoDataFrame(geometry=[_quiet(LineString, coords)], crs="EPSG:4326")
    _answers_or_refuses(lambda: query.crossing(frame, "TKM-UZB"))
    _answers_or_refuses(lambda: query.crossing(frame, box(0.0, 0.0, 10.0, 10.0), crs=4326))


def test_answers_on_valid_input_have_no_missing_measures_where_documented() -> None:
    """Sanity for the columns: shares strictly inside (0, 1) for areal crossings."""
    cases = corridors.load_cases()
    for code in ("TKM", "CHN", "USA"):
        got = query.crossing(cases, code)
        assert ((got["share_inside"] > 0) & (got["share_inside"] < 1)).all()
        assert not got["area_inside_km2"].isna().any()
        assert isinstance(got["n_crossings"].dtype, pd.Int64Dtype)
        assert np.all(got["matched_by"] == "parts inside and outside")


# ----------------------------------------------------------------------------- degenerate


def test_coordinates_nearer_zero_than_a_nanodegree_are_zero(
    few_cases: gpd.GeoDataFrame, no_runtime_warnings: None
) -> None:
    # 1e-302 degrees apart: GEOS divided by such differences ("divide by zero").
    road = LineString([(0.0, 0.0), (0.0, 1.1388e-302), (0.0, 1.0)])
    got = query.intersecting(few_cases, gpd.GeoSeries([road], crs="EPSG:4326"))
    assert list(got.index) == [0, 1]  # along the square's edge, through the diagonal's end
    assert len(query.crossing(few_cases, road, crs="EPSG:4326", tolerance_km=0)) == 0
    sliver = LineString([(0.0, 0.0), (0.0, 1e-302), (1.0, -1.0)])
    frame = gpd.GeoDataFrame(geometry=[sliver], crs="EPSG:4326")
    got = query.crossing(frame, box(0.0, -0.5, 1.0, 0.5), crs="EPSG:4326", tolerance_km=0)
    assert got.geometry.iloc[0].equals(sliver)  # the row keeps the geometry given


def test_invalid_cases_are_repaired_when_geos_fails(no_runtime_warnings: None) -> None:
    bowtie = Polygon([(0.0, 0.0), (1.0, 1.0), (0.0, 1.0), (1.0, 0.0)])
    frame = gpd.GeoDataFrame({"feature_id": ["bow"]}, geometry=[bowtie], crs="EPSG:4326")
    with pytest.warns(query.CaseRepairedWarning, match=r"row 0: Self-intersection"):
        got = query.crossing(frame, box(0.5, -1.0, 2.0, 2.0), crs="EPSG:4326", tolerance_km=0)
    assert len(got) == 1 and got.geometry.iloc[0].equals(bowtie)


def test_near_with_a_distance_beyond_the_earth_finds_every_case(
    cases: gpd.GeoDataFrame, no_runtime_warnings: None
) -> None:
    far = sys.float_info.max  # overflowed the search margins in degrees
    got = query.near(cases, Point(-120.0, -40.0), crs="EPSG:4326", distance_km=far)
    assert len(got) == len(cases)
    assert (got["distance_km"] < 20_004).all()
