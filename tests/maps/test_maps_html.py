"""HTML output: byte-stable pages, self-contained offline files, assets linked or inlined."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import folium
import pytest
from browser.atlas_factory import features

from corridors import maps
from corridors.errors import InputError

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


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
    root = Path(__file__).resolve().parents[2]
    for name in ("p1.html", "p2.html"):
        subprocess.run([sys.executable, "-c", code, str(tmp_path / name)], check=True, cwd=root)
    assert (tmp_path / "p1.html").read_bytes() == (tmp_path / "p2.html").read_bytes()


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
