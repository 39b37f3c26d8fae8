"""Modelling results on the atlas: corridor networks, current maps, and their old names."""

from __future__ import annotations

import re
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pytest
import shapely
from rasterio.transform import from_origin

from corridors import maps
from corridors.circuit import pairwise
from corridors.errors import CRSError

UTM = "EPSG:32633"
CELL = 100.0


@pytest.fixture(scope="module")
def network() -> Any:
    """Three cores in a row on a uniform 40 x 100 landscape of 100 m cells."""
    from corridors import leastcost

    def disc(row: float, col: float) -> shapely.Polygon:
        x, y = 500_000.0 + (col + 0.5) * CELL, 4_600_000.0 - (row + 0.5) * CELL
        return shapely.Point(x, y).buffer(4 * CELL)

    cores = gpd.GeoDataFrame(
        {"core": ["A", "B", "C"]}, geometry=[disc(20, 10), disc(20, 50), disc(20, 90)], crs=UTM
    ).set_index("core")
    return leastcost.corridor_network(
        np.full((40, 100), 2.0),
        cores,
        transform=from_origin(500_000.0, 4_600_000.0, CELL, CELL),
        crs=UTM,
    )


def test_corridor_layers_are_drawn_one_per_table(network: Any) -> None:
    m = maps.build_map(
        network.cores.to_crs(4326).assign(name="core"), layer_by="name", boundaries=None
    )
    assert maps.add_corridor_layers(m, network) is m
    page = maps.map_html(m)
    for name in ("Least-cost corridors", "Habitat cores", "Least-cost paths"):
        assert f'"{name}"' in page or name in page
    assert len(re.findall(r"corridorsAtlas\.layer\(", page)) >= 4


def test_current_layer_on_folium_map() -> None:
    res = pairwise(
        np.ones((20, 30)),
        {1: (2, 2), 2: (17, 27)},
        transform=from_origin(10.0, 47.0, 0.01, 0.01),
        crs="EPSG:4326",
    )
    m = folium.Map(location=[46.9, 10.15], zoom_start=10)
    layer = maps.add_current_layer(m, res, name="corridors")
    html = m.get_root().render()
    assert layer.layer_name == "corridors" and "data:image/png;base64" in html


def test_current_layer_needs_a_crs() -> None:
    res = pairwise(np.ones((4, 4)), {1: (0, 0), 2: (3, 3)})
    with pytest.raises(CRSError, match="coordinate reference system"):
        maps.add_current_layer(folium.Map(), res)


# ------------------------------------------------------------------------ old names


def test_the_circuit_name_still_works_with_a_deprecation_warning() -> None:
    import corridors.circuit

    with pytest.warns(
        DeprecationWarning, match=r"moved to corridors\.maps\.add_current_layer; the old name"
    ):
        old = corridors.circuit.add_current_layer
    assert old is maps.add_current_layer
    assert "add_current_layer" not in corridors.circuit.__all__


def test_the_leastcost_name_still_works_with_a_deprecation_warning() -> None:
    from corridors import leastcost

    with pytest.warns(
        DeprecationWarning, match=r"moved to corridors\.maps\.add_corridor_layers; the old name"
    ):
        from corridors.leastcost import add_corridor_layers
    assert add_corridor_layers is maps.add_corridor_layers
    assert "add_corridor_layers" not in leastcost.__all__


def test_other_missing_names_are_attribute_errors() -> None:
    import corridors.circuit
    from corridors import leastcost

    with pytest.raises(AttributeError, match="no attribute 'add_layer'"):
        corridors.circuit.add_layer  # noqa: B018
    with pytest.raises(AttributeError, match="no attribute 'add_layer'"):
        leastcost.add_layer  # noqa: B018
