"""Import layers: maps load no raster or plotting library up front; modelling loads no maps."""

from __future__ import annotations

import json
import subprocess
import sys

#: Libraries the maps package needs only to draw rasters or modelling results.
RASTER_ONLY = ("rasterio", "matplotlib", "scipy")


def _loaded_after(code: str) -> set[str]:
    probe = f"import sys, json\n{code}\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    return set(json.loads(out.splitlines()[-1]))


def test_import_maps_loads_folium_but_no_raster_library() -> None:
    loaded = _loaded_after("import corridors.maps")
    assert "folium" in loaded
    assert not loaded & set(RASTER_ONLY), sorted(loaded & set(RASTER_ONLY))


def test_drawing_a_raster_loads_rasterio() -> None:
    loaded = _loaded_after(
        "import folium, numpy as np\n"
        "from corridors import maps\n"
        "maps.add_raster_layer(folium.Map(), np.ones((3, 3)), transform=(1, 0, 0, 0, -1, 3),"
        " crs='EPSG:32633', name='r')"
    )
    assert "rasterio" in loaded


def test_modelling_packages_load_neither_maps_nor_folium() -> None:
    loaded = _loaded_after(
        "import corridors.circuit, corridors.leastcost, corridors.omniscape, corridors.tracking"
    )
    assert not loaded & {"folium", "branca", "corridors.maps"}, sorted(
        loaded & {"folium", "branca", "corridors.maps"}
    )
