"""The scale benchmark's peers answer the question they claim to, and the script runs.

The benchmark itself is timed by hand (its figures go into closing notes); these tests
only keep its peers honest at a small scale, where they run in a second or two.
"""

from __future__ import annotations

import subprocess
import sys
from types import ModuleType

import numpy as np
import pytest
from benchmark_scripts import BENCHMARKS, load

import corridors
from corridors import query


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return load("query_scale")


@pytest.fixture(scope="module")
def small(bench: ModuleType) -> tuple:
    rng = np.random.default_rng(7)
    return bench.synthetic_cases(4000, rng), bench.synthetic_roads(800, rng)


def test_areal_peers_find_the_pairs_crossing_finds_at_tolerance_0(
    bench: ModuleType, small: tuple
) -> None:
    cases, _ = small
    countries = corridors.load_boundaries()
    geoms = np.asarray(cases.geometry.values)
    areas = np.asarray(countries.geometry.values)
    ours = len(query.crossing(cases, countries, tolerance_km=0))
    assert ours > 20  # the region is full of borders: the test must see some
    assert bench.plain_areal_edges(geoms, areas) == ours
    assert bench.plain_areal_columns(geoms, areas) == ours
    assert bench.plain_areal(geoms, areas, tree_on="boundary") == ours


def test_linear_peer_with_columns_counts_as_the_plain_peer(bench: ModuleType, small: tuple) -> None:
    cases, roads = small
    geoms = np.asarray(cases.geometry.values)
    lines = np.asarray(roads.geometry.values)
    plain = bench.plain_linear(geoms, lines, tree_on="boundary")
    assert plain > 0
    assert bench.plain_linear_columns(geoms, lines) == plain
    assert bench.plain_linear(geoms, lines, tree_on="cases") == plain


def test_script_runs_end_to_end_and_reports_every_peer(
    bench: ModuleType, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["query_scale.py", "--n", "2000", "--roads", "300", "--repeat", "1", "--dask-n", "0"]
    monkeypatch.setattr(sys, "argv", argv)
    bench.main()
    out = capsys.readouterr().out
    for label in (
        "crossing against every country",
        "crossing against a road network",
        "plain shapely, tree on pieces of the edges",
        "plain shapely, then crossing's columns",
        "geopandas.sjoin",
        "crossing / that peer (the fair peer)",
        "target <= 1.3x",
        "crossing (1 km), one thread",
        "crossing in one thread as the peer runs",
        "(target <= 2x)",
        "reference route alone (speed routes off, 1 km)",
        "speed routes / reference route alone",
    ):
        assert label in out
    assert out.count("crossing's columns:") == 2
    assert out.count("the plain peer at tolerance 0") == 2


def test_peer_rows_compare_with_crossing_rows(bench: ModuleType, small: tuple) -> None:
    """The rows the report compares: the areal peer's pairs are crossing's at tolerance
    0; the linear peer's cases hold crossing's (DE-9IM adds touches and turns back)."""
    cases, roads = small
    countries = corridors.load_boundaries()
    geoms = np.asarray(cases.geometry.values)
    ours = bench.crossing_rows(query.crossing(cases, countries, tolerance_km=0), countries)
    assert bench.plain_areal_rows(geoms, np.asarray(countries.geometry.values)) == ours
    ours = bench.crossing_rows(query.crossing(cases, roads, tolerance_km=0), roads)
    peer = bench.plain_linear_rows(geoms, np.asarray(roads.geometry.values))
    assert ours and ours <= peer


MAP_SIZE = BENCHMARKS / "map_size.py"


def test_map_size_help_names_its_measures() -> None:
    """The map benchmark answers --help without a browser, and says what it times."""
    out = subprocess.run(
        [sys.executable, str(MAP_SIZE), "--help"], capture_output=True, text=True, check=True
    ).stdout
    assert "--runs" in out and "explore()" in out
