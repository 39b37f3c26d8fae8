"""``corridors infra crossings`` on files and on the catalogue."""

from __future__ import annotations

import json

import geopandas as gpd
import shapely
import typer
from leastcost_grids import CRS
from typer.testing import CliRunner

from corridors.cli import register

runner = CliRunner()


def _app() -> typer.Typer:
    app = typer.Typer()
    register(app)

    @app.command()
    def noop() -> None:  # a second command keeps "infra" a sub-group
        pass

    return app


def _files(tmp_path):
    band = gpd.GeoDataFrame(
        {"name": ["band"]}, geometry=[shapely.box(500_000, 4_500_000, 501_000, 4_510_000)], crs=CRS
    ).to_crs("EPSG:4326")
    road = gpd.GeoDataFrame(
        {"name": ["new road"]},
        geometry=[shapely.LineString([(499_000, 4_505_000), (502_000, 4_505_000)])],
        crs=CRS,
    )
    band.to_file(tmp_path / "band.geojson")
    road.to_file(tmp_path / "road.gpkg")
    return tmp_path / "band.geojson", tmp_path / "road.gpkg"


def test_crossings_geojson_and_table(tmp_path) -> None:
    band, road = _files(tmp_path)
    out = tmp_path / "x.geojson"
    result = runner.invoke(
        _app(),
        [
            "infra",
            "crossings",
            "--line",
            str(road),
            "--corridors",
            str(band),
            "-f",
            "geojson",
            "-o",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    assert len(data["features"]) == 1
    props = data["features"][0]["properties"]
    assert props["rank"] == 1 and props["line_name"] == "new road"
    assert abs(props["width_km"] - 1.0) < 0.02
    result = runner.invoke(
        _app(), ["infra", "crossings", "--line", str(road), "--corridors", str(band)]
    )
    assert result.exit_code == 0 and "1 crossing" in result.output
    result = runner.invoke(
        _app(), ["infra", "crossings", "--line", str(road), "--corridors", str(band), "-f", "csv"]
    )
    assert result.exit_code == 0 and result.output.startswith("rank,line_id")


def test_catalogue_defaults() -> None:
    result = runner.invoke(_app(), ["infra", "crossings", "-f", "csv"])
    assert result.exit_code == 0, result.output
    assert "fremont-lake" in result.output


def test_bad_input_exits_2(tmp_path) -> None:
    band, _ = _files(tmp_path)
    result = runner.invoke(
        _app(),
        ["infra", "crossings", "--line", str(tmp_path / "nope.geojson"), "--corridors", str(band)],
    )
    assert result.exit_code == 2
    assert "does not exist" in result.output
    nocrs = tmp_path / "nocrs.csv"
    nocrs.write_text('wkt,name\n"LINESTRING (0 0, 1 1)",x\n')
    result = runner.invoke(
        _app(), ["infra", "crossings", "--line", str(nocrs), "--corridors", str(band)]
    )
    assert result.exit_code == 2
    assert "CRS" in result.output
