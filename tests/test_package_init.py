"""``import corridors``: light, lazy, with a deliberate public surface."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import corridors

#: Libraries ``import corridors`` must not load: each costs from 0.1 s (scipy) to 0.5 s
#: (folium with jinja2 and branca) and most scripts and CLI commands need none of them.
HEAVY = ("folium", "matplotlib", "rasterio", "scipy", "geopandas", "pandas", "shapely")


def _loaded_after(code: str) -> list[str]:
    probe = f"import sys, json\n{code}\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    return json.loads(out.splitlines()[-1])


def test_import_loads_no_heavy_library() -> None:
    loaded = set(_loaded_after("import corridors"))
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


def test_catalogue_does_not_load_maps_or_modelling() -> None:
    loaded = set(_loaded_after("import corridors; corridors.load_cases()"))
    assert "geopandas" in loaded  # the catalogue is a GeoDataFrame
    assert not loaded & {"folium", "matplotlib", "rasterio", "scipy"}, sorted(loaded)


def test_query_does_not_load_maps_or_rasters() -> None:
    loaded = set(
        _loaded_after("import corridors; corridors.crossing(corridors.load_cases(), 'TKM-UZB')")
    )
    assert not loaded & {"folium", "matplotlib", "rasterio"}, sorted(loaded)


@pytest.mark.parametrize("name", corridors.__all__)
def test_every_public_name_resolves(name: str) -> None:
    assert getattr(corridors, name) is not None


def test_public_names_come_from_their_modules() -> None:
    from corridors import catalogue, maps, query

    assert corridors.load_cases is catalogue.load_cases
    assert corridors.crossing is query.crossing
    assert corridors.build_map is maps.build_map


def test_modelling_subpackages_are_attributes() -> None:
    assert corridors.leastcost.__name__ == "corridors.leastcost"
    assert corridors.circuit.__name__ == "corridors.circuit"
    assert "leastcost" not in corridors.__all__  # reached as subpackages, not names


@pytest.mark.parametrize(
    "name",
    [
        "core_graph",
        "corridor_network",
        "cost_distance",
        "infrastructure_crossings",
        "integral_index",
        "least_cost_paths",
        "network_metrics",
        "probability_of_connectivity",
    ],
)
def test_moved_leastcost_names_warn_and_still_work(name: str) -> None:
    from corridors import leastcost

    with pytest.warns(DeprecationWarning, match=rf"corridors\.leastcost\.{name}"):
        old = getattr(corridors, name)
    assert old is getattr(leastcost, name)


def test_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'crosing'"):
        corridors.crosing  # noqa: B018


def test_dir_lists_the_public_surface() -> None:
    names = dir(corridors)
    assert {"crossing", "build_map", "leastcost", "CorridorsError"} <= set(names)
