"""Unit tests of the atlas builder: content, safety, determinism, offline output."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import pytest
import shapely
from browser.atlas_factory import BAD_URLS, features, hostile_features
from shapely.geometry import Point, box

import corridors
from corridors import maps
from corridors._maps_encode import (
    digits_for_uncertainty,
    encode_geometry,
    js_json,
    safe_url,
)
from corridors.errors import CRSError, InputError

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def _decode(groups: list, digits: int) -> dict[str, list]:
    """Python twin of atlas.js decode(), to check the encoding round-trips."""
    k, x, y = 10.0**digits, 0, 0
    out: dict[str, list] = {"points": [], "lines": [], "polygons": []}

    def run(flat: list[int]) -> list[tuple[float, float]]:
        nonlocal x, y
        pts = []
        for i in range(0, len(flat), 2):
            x += flat[i]
            y += flat[i + 1]
            pts.append((x / k, y / k))
        return pts

    for group in groups:
        kind = group[0]
        for part in group[1:]:
            if kind == 0:
                out["points"].extend(run(part))
            elif kind == 1:
                out["lines"].append(run(part))
            else:
                out["polygons"].append([run(r) for r in part])
    return out


# ------------------------------------------------------------------------- encoding


def test_encoding_round_trips_within_the_quantum() -> None:
    poly = box(10.123456789, -5.5, 11.987654321, -4.25).difference(box(10.5, -5, 11, -4.5))
    geom = shapely.GeometryCollection([poly, Point(3.3333333, 4.4444444)])
    decoded = _decode(encode_geometry(geom, 4), 4)
    assert decoded["points"] == [(3.3333, 4.4444)]
    outer, hole = decoded["polygons"][0]
    assert len(outer) == 4 and len(hole) == 4  # closing vertex dropped
    original = shapely.get_coordinates(poly.exterior)[:-1]
    assert np.allclose(sorted(outer), sorted(map(tuple, original)), atol=0.5e-4)


@pytest.mark.parametrize(
    ("uncertainty", "digits"), [(1.0, 4), (10.0, 3), (0.05, 5), (1e-6, 6), (None, 5), (-1, 5)]
)
def test_precision_follows_uncertainty(uncertainty: float | None, digits: int) -> None:
    assert digits_for_uncertainty(uncertainty) == digits


def test_js_json_cannot_close_a_script() -> None:
    out = js_json({"a": "</script><script>alert(1)</script>", "b": "\u2028&"})
    assert "<" not in out and ">" not in out and "&" not in out and "\u2028" not in out
    assert json.loads(out) == {"a": "</script><script>alert(1)</script>", "b": "\u2028&"}


@pytest.mark.parametrize("url", [*BAD_URLS, "", "//evil.example", "https://", "ftp://x.org/"])
def test_only_http_links_pass(url: str) -> None:
    assert safe_url(url) is None


def test_http_links_pass() -> None:
    assert safe_url("https://example.org/a?b=1#c") == "https://example.org/a?b=1#c"
    assert safe_url("http://example.org") == "http://example.org"


# ---------------------------------------------------------------------------- atlas


@pytest.fixture(scope="module")
def atlas_html() -> str:
    return maps.map_html(maps.build_map(features(), boundaries=None))


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


def test_same_inputs_give_identical_bytes(tmp_path: Path) -> None:
    a = maps.save_map(maps.build_map(features(), boundaries=None), tmp_path / "a.html")
    b = maps.save_map(maps.build_map(features(), boundaries=None), tmp_path / "b.html")
    assert a.read_bytes() == b.read_bytes()
    assert not re.search(r"[0-9a-f]{32}", a.read_text())


def test_identical_across_processes(tmp_path: Path) -> None:
    code = (
        "import sys; sys.path.insert(0, 'tests'); import warnings; warnings.simplefilter('ignore');"
        "from browser.atlas_factory import features; from corridors import maps;"
        "maps.save_map(maps.build_map(features(), boundaries=None), sys.argv[1])"
    )
    root = Path(__file__).resolve().parents[1]
    for name in ("p1.html", "p2.html"):
        subprocess.run([sys.executable, "-c", code, str(tmp_path / name)], check=True, cwd=root)
    assert (tmp_path / "p1.html").read_bytes() == (tmp_path / "p2.html").read_bytes()


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


def test_highlight_and_boundary_layers() -> None:
    frame = features()
    hit = frame[frame["case_id"] == "case-01"].copy()
    hit["boundary"] = "TEST"
    line = gpd.GeoDataFrame(geometry=[shapely.LineString([(-40, -10), (-36, 10)])], crs=4326)
    page = maps.map_html(
        maps.build_map(
            frame,
            boundaries=None,
            highlight=hit,
            highlight_boundary=line,
            highlight_name="Crossing test",
        )
    )
    assert "Crossing test" in page and '"crossing"' in page and '"border"' in page
    assert "boundary: TEST" in page  # the query's explanation column reaches the popup


def test_offline_map_has_no_network_assets(tmp_path: Path) -> None:
    m = maps.build_map(features(), offline=True)
    path = maps.save_map(m, tmp_path / "off.html")
    page = path.read_text()
    assert not re.search(r"<(script|link)[^>]+(src|href)=", page)
    assert "tile.openstreetmap" not in page and "arcgisonline" not in page
    assert "data:image/png;base64" in page  # Leaflet's images inlined
    assert "sourceMappingURL" not in page
    assert page == maps.map_html(maps.build_map(features(), offline=True))


def test_online_map_links_leaflet_only(atlas_html: str) -> None:
    links = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', atlas_html)
    assert links and all("leaflet" in url for url in links)
    assert "jquery" not in atlas_html.lower() and "bootstrap" not in atlas_html.lower()


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


def test_folium_elements_needing_jquery_still_work() -> None:
    m = maps.build_map(features(), boundaries=None)
    folium.Marker([0, 0], popup="hello", icon=folium.Icon(color="red")).add_to(m)
    page = maps.map_html(m)
    assert "jquery" in page and "awesome-markers" in page
    with pytest.raises(InputError, match="self-contained"):
        maps.map_html(m, self_contained=True)


def test_map_shows_inline_in_jupyter() -> None:
    out = maps.build_map(features(), boundaries=None)._repr_html_()
    assert out.startswith("<iframe srcdoc=") and "corridorsAtlas" in out


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

    if "map" not in {c.name for c in app.registered_commands}:
        from corridors._cli_map import register

        register(app)
    runner = CliRunner()
    out = tmp_path / "atlas.html"
    result = runner.invoke(app, ["map", "-o", str(out), "--offline", "--layer-by", "taxon"])
    assert result.exit_code == 0, result.output
    assert out.stat().st_size > 100_000
    bad = runner.invoke(app, ["map", "-o", str(out), "--layer-by", "colour"])
    assert bad.exit_code == 2 and "Traceback" not in bad.output
    missing = runner.invoke(app, ["map", "-o", str(tmp_path / "no" / "x.html")])
    assert missing.exit_code == 2
