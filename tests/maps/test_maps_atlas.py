"""The atlas builder: layers, styles, safety of the page, add_layer, inputs, the CLI."""

from __future__ import annotations

import json
import re
from pathlib import Path

import geopandas as gpd
import pytest
from browser.atlas_factory import BAD_URLS, features, hostile_features
from shapely.geometry import Point, box

import corridors
from corridors import maps, schema
from corridors.errors import CRSError, InputError

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


# ---------------------------------------------------------------------------- atlas


def test_one_layer_per_category_and_role_styles(atlas_html: str) -> None:
    names = re.findall(r'"(Freshwater|Marine|Terrestrial)"', atlas_html)
    assert {"Freshwater", "Marine", "Terrestrial"} <= set(names)
    for role in ("area", "route", "barrier", "infrastructure", "site"):
        assert f'"{role}"' in atlas_html
    assert "L.control.scale()" in atlas_html and "L.control.layers(" in atlas_html


def test_page_is_accessible(atlas_html: str) -> None:
    assert '<html lang="en">' in atlas_html
    assert "<title>corridors atlas</title>" in atlas_html
    assert "user-scalable=no" not in atlas_html and "maximum-scale" not in atlas_html


def test_coordinates_never_exceed_six_decimals(atlas_html: str) -> None:
    # Encoded as integers: no float with more than 6 decimals appears in the data.
    assert not re.search(r"\d\.\d{7,}", atlas_html.split("corridorsAtlas.layer(")[1])


def test_no_payload_reaches_the_page_as_markup() -> None:
    page = maps.map_html(maps.build_map(hostile_features(), boundaries=None))
    body = page.split("<body>", 1)[1]
    for bad in ("<img src=x", "<script>document.title", "<svg onload", "<b>bold"):
        assert bad not in body
    for url in BAD_URLS:
        assert json.dumps(url)[1:-1] not in body.replace("\\u003c", "<")
    # layer names are HTML-escaped for Leaflet's layer control
    assert "\\u0026lt;img src=x" in body or "&lt;img src=x" in body


def test_add_layer_composes_and_explore_works_on_the_map() -> None:
    m = maps.build_map(features(), boundaries=None)
    extra = gpd.GeoDataFrame(
        {"label": ["<b>x</b>"], "link": ["javascript:alert(1)"]},
        geometry=[Point(5, 5)],
        crs="EPSG:3857",
    )
    assert maps.add_layer(m, extra, name="Mine <i>", tooltip="label") is m
    frame = gpd.GeoDataFrame({"v": [1]}, geometry=[box(0, 0, 1, 1)], crs=4326)
    frame.explore(m=m, name="explored")
    page = maps.map_html(m)
    assert "Mine \\u0026lt;i\\u0026gt;" in page or "Mine &lt;i&gt;" in page
    # layers added after the controls are still listed: the control renders last
    assert page.rfind("L.control.layers(") > page.rfind("corridorsAtlas.layer(")
    assert page.rfind("L.control.layers(") > page.rfind("geo_json_")


def test_layer_by_other_columns() -> None:
    for by in ("taxon", "scale", "role"):
        page = maps.map_html(maps.build_map(features(), layer_by=by, boundaries=None))
        assert "corridorsAtlas.controls" in page
    with pytest.raises(InputError, match="cannot layer by"):
        maps.build_map(features(), layer_by="nope", boundaries=None)


def test_bad_inputs() -> None:
    with pytest.raises(InputError):
        maps.build_map(42)  # type: ignore[arg-type]
    with pytest.raises(CRSError):
        maps.build_map(gpd.GeoDataFrame(geometry=[Point(0, 0)]), boundaries=None)
    with pytest.raises(InputError):
        maps.add_layer("not a map", features())  # type: ignore[arg-type]
    with pytest.raises(InputError):
        maps.build_map(features(), boundaries=None, precision=9)


def test_bundled_atlas_builds() -> None:
    m = corridors.build_map()
    page = corridors.map_html(m)
    n_cases = corridors.load_features()["case_id"].nunique()
    assert page.count('"id":') >= n_cases
    assert maps.BOUNDARY_LAYER_NAME in page and maps.OFFLINE_BASEMAP_NAME in page


# ------------------------------------------------------------------------------ CLI


def test_cli_map(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from corridors.cli import app

    runner = CliRunner()
    out = tmp_path / "atlas.html"
    result = runner.invoke(app, ["map", "-o", str(out), "--offline", "--layer-by", "taxon"])
    assert result.exit_code == 0, result.output
    assert out.stat().st_size > 100_000
    bad = runner.invoke(app, ["map", "-o", str(out), "--layer-by", "colour"])
    assert bad.exit_code == 2 and "Traceback" not in bad.output
    missing = runner.invoke(app, ["map", "-o", str(tmp_path / "no" / "x.html")])
    assert missing.exit_code == 2


def test_the_legend_lists_the_schemas_roles_areas_first(atlas_html: str) -> None:
    roles = json.loads(re.search(r"roles:(\[[^\]]*\])", atlas_html).group(1))
    assert set(roles) == set(schema.ROLES)
    assert roles[0] == "area" and roles[-1] == "site"  # stacked as drawn: sites on top
