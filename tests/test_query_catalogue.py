"""Query answers on the bundled catalogue and boundaries, the CLI and bad inputs."""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Iterator

import geopandas as gpd
import pytest
import shapely
import typer
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely import LineString, Point, Polygon, box
from typer.testing import CliRunner

import corridors
from corridors import query
from corridors.cli import register
from corridors.errors import (
    BoundaryError,
    CorridorsError,
    CRSError,
    DataFileError,
    InputError,
    UnknownCountryError,
)

#: Outlet of Fremont Lake (Pine Creek, south end of the lake near Pinedale, Wyoming).
FREMONT_OUTLET = Point(-109.797, 42.925)


@pytest.fixture(scope="module")
def cases() -> gpd.GeoDataFrame:
    return corridors.load_cases()


@pytest.fixture(params=[True, False], ids=["speed", "reference"])
def route(request: pytest.FixtureRequest) -> Iterator[bool]:
    """The catalogue's answers with the speed routes on, then with the reference alone."""
    with query.speed_routes(request.param):
        yield request.param


def _case(cases: gpd.GeoDataFrame, prefix: str) -> str:
    ids = [i for i in cases.index if i.startswith(prefix)]
    assert len(ids) == 1, (prefix, ids)
    return ids[0]


# ----------------------------------------------------------------------------- catalogue


@pytest.mark.usefixtures("route")
def test_koytendag_crosses_tkm_uzb(cases: gpd.GeoDataFrame) -> None:
    got = query.crossing(cases, "TKM-UZB")
    koy = _case(cases, "koytendag")
    assert koy in got.index
    assert got.loc[koy, "length_across_km"] > 10
    assert bool(got.loc[koy, "severs"])
    # The same through corridors.border() and through the countries as areas.
    assert koy in query.crossing(cases, corridors.border("TKM", "UZB")).index
    assert koy in query.crossing(cases, "TKM").index


@pytest.mark.usefixtures("route")
def test_y2y_crosses_can_usa(cases: gpd.GeoDataFrame) -> None:
    y2y = _case(cases, "yellowstone-to-yukon")
    got = query.crossing(cases, "CAN-USA")
    assert y2y in got.index
    assert got.loc[y2y, "n_crossings"] >= 1


@pytest.mark.usefixtures("route")
@pytest.mark.parametrize("prefix", ["great-barrier-reef", "fremont-lake"])
def test_reef_and_fremont_cross_no_border(cases: gpd.GeoDataFrame, prefix: str) -> None:
    case = _case(cases, prefix)
    assert case not in query.transboundary(cases).index
    row = query.countries_of(cases).loc[case]
    assert row["n_countries"] == 1
    for border in ("CAN-USA", "MEX-USA", "TKM-UZB"):
        assert case not in query.crossing(cases, border).index


@pytest.mark.usefixtures("route")
def test_transboundary_catalogue(cases: gpd.GeoDataFrame) -> None:
    got = query.transboundary(cases)
    assert _case(cases, "koytendag") in got.index
    assert _case(cases, "yellowstone-to-yukon") in got.index
    assert (got["n_countries"] >= 2).all()
    pair = query.transboundary(cases, ["CAN", "USA"])
    assert list(pair.index) == [_case(cases, "yellowstone-to-yukon")]
    assert set(pair.iloc[0]["countries"]) == {"CAN", "USA"}


@pytest.mark.usefixtures("route")
def test_bottleneck_within_10_km_of_fremont_outlet() -> None:
    features = corridors.load_features()
    got = query.near(features, FREMONT_OUTLET, distance_km=10, crs="EPSG:4326")
    names = dict(zip(got["feature_name"], got["distance_km"], strict=True))
    assert "Fremont Lake bottleneck" in names
    assert 3 < names["Fremont Lake bottleneck"] < 10
    assert list(got["distance_km"]) == sorted(got["distance_km"])


@pytest.mark.usefixtures("route")
def test_results_keep_input_crs_index_and_columns(cases: gpd.GeoDataFrame) -> None:
    projected = cases.to_crs("EPSG:3857")
    got = query.crossing(projected, "CAN-USA")
    assert got.crs == projected.crs
    assert got.index.name == cases.index.name
    assert set(cases.columns) <= set(got.columns)
    empty = query.crossing(cases, "ISL")
    assert isinstance(empty, gpd.GeoDataFrame) and len(empty) == 0
    assert {"boundary", "share_inside", "n_crossings"} <= set(empty.columns)


@pytest.mark.usefixtures("route")
def test_within_country(cases: gpd.GeoDataFrame) -> None:
    got = query.within(cases, "USA")
    assert _case(cases, "fremont-lake") in got.index
    assert _case(cases, "yellowstone-to-yukon") not in got.index
    assert (got["share_inside"] > 0.9).all()


@pytest.mark.usefixtures("route")
def test_countries_of_matches_catalogue_where_single(cases: gpd.GeoDataFrame) -> None:
    got = query.countries_of(cases)
    assert len(got) == len(cases)
    for cid in (_case(cases, "great-barrier-reef"), _case(cases, "fremont-lake")):
        assert got.loc[cid, "countries"] == cases.loc[cid, "countries"]


@pytest.mark.usefixtures("route")
def test_bounding_box_and_multi_code_region(cases: gpd.GeoDataFrame) -> None:
    y2y = _case(cases, "yellowstone-to-yukon")
    assert y2y in query.crossing(cases, (-120.0, 49.0, -100.0, 55.0)).index
    both = query.within(cases, ["TKM", "UZB"])
    assert _case(cases, "koytendag") in both.index


@pytest.mark.usefixtures("route")
def test_dask_partitions_agree(cases: gpd.GeoDataFrame) -> None:
    dask_geopandas = pytest.importorskip("dask_geopandas")
    ddf = dask_geopandas.from_geopandas(cases, npartitions=3)
    got = query.crossing(ddf, "CAN-USA").compute()
    assert list(got.index) == list(query.crossing(cases, "CAN-USA").index)
    tb = query.transboundary(ddf).compute()
    assert list(tb.index) == list(query.transboundary(cases).index)
    got = query.near(ddf, FREMONT_OUTLET, distance_km=10, crs="EPSG:4326").compute()
    assert _case(cases, "fremont-lake") in got.index


# ----------------------------------------------------------------------------- antimeridian


@pytest.mark.usefixtures("route")
def test_antimeridian_case_is_not_the_world() -> None:
    # A 4-degree polygon straddling 180 degrees, written without the RFC 7946 cut.
    poly = Polygon([(178, -17), (-178, -17), (-178, -15), (178, -15)])
    frame = gpd.GeoDataFrame({"id": ["fiji-ish"]}, geometry=[poly], crs="EPSG:4326")
    assert len(query.within(frame, (170.0, -20.0, -170.0, -10.0))) == 1  # box across 180
    assert len(query.crossing(frame, "USA")) == 0  # would wrap the world if unsplit
    assert len(query.near(frame, Point(179.9, -16), distance_km=1, crs="EPSG:4326")) == 1
    far = query.near(frame, Point(0, -16), distance_km=5000, crs="EPSG:4326")
    assert len(far) == 0
    # Measured as the 4 x 2 degrees it is, not as the rest of the world's band.
    inside = query.within(frame, (170.0, -20.0, -170.0, -10.0))
    assert inside["area_inside_km2"].iloc[0] == pytest.approx(
        4 * 2 * 111.3 * 111.3 * math.cos(math.radians(16)), rel=0.02
    )


@pytest.mark.usefixtures("route")
def test_line_across_antimeridian_crosses_meridian_area() -> None:
    line = LineString([(179.5, 0), (-179.5, 0)])
    frame = gpd.GeoDataFrame({"id": ["hop"]}, geometry=[line], crs="EPSG:4326")
    east = box(179.0, -1, 180, 1)
    got = query.crossing(frame, east, crs="EPSG:4326")
    assert len(got) == 1
    assert got["length_inside_km"].iloc[0] == pytest.approx(55.66, rel=0.01)


@pytest.mark.usefixtures("route")
def test_near_the_pole() -> None:
    pts = gpd.GeoDataFrame(
        {"id": ["a", "b", "c"]},
        geometry=[Point(0, 89.9), Point(180, 89.9), Point(90, 89.0)],
        crs="EPSG:4326",
    )
    got = query.near(pts, Point(45, 89.95), distance_km=20, crs="EPSG:4326")
    # a and b are both ~5.6-11 km from the point, across the pole from each other.
    assert set(got["id"]) == {"a", "b"}
    assert (got["distance_km"] < 20).all()


# ----------------------------------------------------------------------------- hypothesis

coord = st.floats(-1.0, 2.0, allow_nan=False).map(lambda v: round(v, 2))
point_pairs = st.lists(st.tuples(coord, coord), min_size=2, max_size=5)


@pytest.mark.parametrize("speed", [True, False], ids=["speed", "reference"])
@settings(max_examples=60, deadline=None)
@given(point_pairs)
def test_crossing_matches_de9im_oracle_for_lines(
    speed: bool, coords: list[tuple[float, float]]
) -> None:
    with query.speed_routes(speed):
        _check_line_oracle(coords)


def _check_line_oracle(coords: list[tuple[float, float]]) -> None:
    line = LineString(coords)
    if line.length == 0:
        return
    frame = gpd.GeoDataFrame({"id": [0]}, geometry=[line], crs="EPSG:4326")
    got = len(query.crossing(frame, box(0, 0, 1, 1), crs="EPSG:4326", tolerance_km=0)) == 1
    assert got == shapely.relate_pattern(line, box(0, 0, 1, 1), "T*T******")
    # A tolerance only ever removes matches.
    if not got:
        assert len(query.crossing(frame, box(0, 0, 1, 1), crs="EPSG:4326")) == 0


@pytest.mark.parametrize("speed", [True, False], ids=["speed", "reference"])
@settings(max_examples=40, deadline=None)
@given(st.tuples(coord, coord), st.floats(0.05, 1.0))
def test_crossing_matches_oracle_for_polygons(
    speed: bool, xy: tuple[float, float], size: float
) -> None:
    with query.speed_routes(speed):
        _check_polygon_oracle(xy, size)


def _check_polygon_oracle(xy: tuple[float, float], size: float) -> None:
    poly = box(xy[0], xy[1], xy[0] + size, xy[1] + size)
    frame = gpd.GeoDataFrame({"id": [0]}, geometry=[poly], crs="EPSG:4326")
    area = box(0, 0, 1, 1)
    exact = len(query.crossing(frame, area, crs="EPSG:4326", tolerance_km=0)) == 1
    assert exact == shapely.relate_pattern(poly, area, "T*T******")
    within = len(query.within(frame, area, crs="EPSG:4326", tolerance_km=0)) == 1
    assert within == (
        shapely.covered_by(poly, area) and shapely.relate_pattern(poly, area, "T********")
    )


@settings(max_examples=40, deadline=None)
@given(st.tuples(coord, coord), st.floats(0.0, 300.0))
def test_near_distance_is_geodesic_and_bounded(xy: tuple[float, float], km: float) -> None:
    frame = gpd.GeoDataFrame({"id": [0]}, geometry=[Point(*xy)], crs="EPSG:4326")
    target = Point(0.5, 0.5)
    got = query.near(frame, target, distance_km=km, crs="EPSG:4326")
    _, _, d = corridors.crs.GEOD.inv(xy[0], xy[1], 0.5, 0.5)
    true_km = d / 1000
    if len(got):
        assert got["distance_km"].iloc[0] == pytest.approx(true_km, abs=1e-6)
    assert (len(got) == 1) == (true_km <= km)


# ----------------------------------------------------------------------------- bad input


def test_bad_inputs(cases: gpd.GeoDataFrame) -> None:
    with pytest.raises(UnknownCountryError, match="TKM"):
        query.crossing(cases, "TKX")
    with pytest.raises(CRSError, match="crs="):
        query.crossing(cases, box(0, 0, 1, 1))
    with pytest.raises(BoundaryError, match="empty"):
        query.crossing(cases, gpd.GeoSeries([Polygon()], crs="EPSG:4326"))
    with pytest.raises(CRSError, match="look like"):
        query.crossing(cases, gpd.GeoSeries([box(0, 0, 1, 1)], crs="EPSG:3857"))
    for bad in (-1, math.nan, math.inf, "5", True):
        with pytest.raises(InputError, match="distance_km"):
            query.near(cases, Point(0, 0), distance_km=bad, crs="EPSG:4326")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="tolerance_km"):
        query.crossing(cases, "TKM", tolerance_km=-0.5)
    with pytest.raises(DataFileError, match="does not exist"):
        query.crossing(cases, "no/such/file.gpkg")
    with pytest.raises(BoundaryError, match="points"):
        query.crossing(cases, gpd.GeoSeries([Point(0, 0)], crs="EPSG:4326"))
    with pytest.raises(BoundaryError, match="line"):
        query.within(cases, "TKM-UZB")


def test_unreadable_file(tmp_path: pytest.TempPathFactory, cases: gpd.GeoDataFrame) -> None:
    path = tmp_path / "broken.geojson"  # type: ignore[operator]
    path.write_text("{not json")
    with pytest.raises(DataFileError, match="cannot read"):
        query.crossing(cases, path)


def test_invalid_boundary_is_repaired_with_warning(cases: gpd.GeoDataFrame) -> None:
    bowtie = Polygon([(-120, 40), (-100, 60), (-100, 40), (-120, 60)])
    with pytest.warns(query.BoundaryRepairedWarning, match="make_valid"):
        got = query.crossing(cases, gpd.GeoSeries([bowtie], crs="EPSG:4326"))
    assert isinstance(got, gpd.GeoDataFrame)


def test_file_boundary(tmp_path: pytest.TempPathFactory, cases: gpd.GeoDataFrame) -> None:
    path = tmp_path / "border.gpkg"  # type: ignore[operator]
    corridors.border("CAN", "USA").to_crs("EPSG:3857").to_file(path)
    got = query.crossing(cases, path)
    assert _case(cases, "yellowstone-to-yukon") in got.index


# ----------------------------------------------------------------------------- CLI


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """Test app."""

    register(app)
    return app


def test_cli_crossing_geojson(app: typer.Typer, cases: gpd.GeoDataFrame) -> None:
    res = CliRunner().invoke(app, ["query", "crossing", "--boundary", "TKM-UZB", "-f", "geojson"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    ids = [f["properties"]["id"] for f in data["features"]]
    assert _case(cases, "koytendag") in ids


def test_cli_near_table_and_csv_file(app: typer.Typer, tmp_path: pytest.TempPathFactory) -> None:
    res = CliRunner().invoke(
        app, ["query", "near", "--lon", "-109.797", "--lat", "42.925", "--km", "10"]
    )
    assert res.exit_code == 0
    assert "fremont" in res.stdout
    out = tmp_path / "t.csv"  # type: ignore[operator]
    res = CliRunner().invoke(
        app, ["query", "transboundary", "--countries", "CAN,USA", "-f", "csv", "-o", str(out)]
    )
    assert res.exit_code == 0
    assert "yellowstone-to-yukon" in out.read_text()


def test_cli_user_cases_and_within(app: typer.Typer, tmp_path: pytest.TempPathFactory) -> None:
    from corridors.catalogue import load_features, save_catalogue

    path = tmp_path / "mine.geojson"  # type: ignore[operator]
    features = load_features()
    save_catalogue(features[features["case_id"].str.startswith("fremont")], path)
    res = CliRunner().invoke(
        app, ["query", "within", "-b", "USA", "--cases", str(path), "-f", "csv"]
    )
    assert res.exit_code == 0, res.output
    assert res.stdout.count("fremont") >= 1


@pytest.mark.parametrize(
    "args, message",
    [
        (["query", "crossing", "--boundary", "TKX"], "did you mean"),
        (["query", "near", "--lon", "0", "--lat", "0", "--km", "-5"], "distance_km"),
        (["query", "near", "--lon", "500", "--lat", "0", "--km", "5"], "longitude"),
        (["query", "within", "--boundary", "missing.gpkg"], "does not exist"),
    ],
)
def test_cli_bad_input_exit_2(app: typer.Typer, args: list[str], message: str) -> None:
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 2
    assert message in res.stderr
    assert "Traceback" not in res.output


def test_errors_are_corridors_errors() -> None:
    assert issubclass(UnknownCountryError, CorridorsError)
    warnings.simplefilter("default")
