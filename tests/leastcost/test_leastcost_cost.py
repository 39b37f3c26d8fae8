"""Cost distance equals scikit-image's MCP_Geometric and an independent Dijkstra."""

from __future__ import annotations

import heapq
import math

import numpy as np
import pytest
import rasterio
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from leastcost_grids import CELL, CRS, cell_centre, transform_for
from skimage.graph import MCP_Geometric

import corridors.leastcost as lc


def dijkstra_oracle(
    resistance: np.ndarray, starts: list[tuple[int, int]], *, neighbors: int, dy: float, dx: float
) -> np.ndarray:
    """Plain heapq Dijkstra: a step costs the mean of the two cells times its length."""
    rows, cols = resistance.shape
    steps = [(-1, 0), (1, 0), (0, -1), (0, 1)]
    if neighbors == 8:
        steps += [(-1, -1), (-1, 1), (1, -1), (1, 1)]
    best = np.full((rows, cols), np.inf)
    heap = []
    for r, c in starts:
        best[r, c] = 0.0
        heap.append((0.0, r, c))
    heapq.heapify(heap)
    while heap:
        d, r, c = heapq.heappop(heap)
        if d > best[r, c]:
            continue
        for sr, sc in steps:
            nr, nc = r + sr, c + sc
            if not (0 <= nr < rows and 0 <= nc < cols):
                continue
            if not math.isfinite(resistance[nr, nc]):
                continue
            length = math.hypot(sr * dy, sc * dx)
            nd = d + 0.5 * (resistance[r, c] + resistance[nr, nc]) * length
            if nd < best[nr, nc]:
                best[nr, nc] = nd
                heapq.heappush(heap, (nd, nr, nc))
    return best


@pytest.mark.parametrize("neighbors", [4, 8])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_matches_mcp_geometric_and_oracle(neighbors: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    r = rng.uniform(0.5, 20.0, (23, 31))
    r[rng.random(r.shape) < 0.1] = np.inf
    starts = [(3, 4), (18, 25)]
    r[3, 4] = r[18, 25] = 1.0
    mask = np.zeros(r.shape, dtype=bool)
    for s in starts:
        mask[s] = True
    got = lc.cost_distance(r, mask, neighbors=neighbors, transform=transform_for(), crs=CRS)
    mcp = MCP_Geometric(r, fully_connected=neighbors == 8, sampling=(CELL, CELL))
    expected, _ = mcp.find_costs(starts)
    np.testing.assert_allclose(got.cost, expected, rtol=1e-12, atol=1e-9)
    oracle = dijkstra_oracle(r, starts, neighbors=neighbors, dy=CELL, dx=CELL)
    np.testing.assert_allclose(got.cost, oracle, rtol=1e-12, atol=1e-9)
    assert np.isinf(got.cost[~np.isfinite(r)]).all()


def test_rectangular_cells_match_oracle() -> None:
    rng = np.random.default_rng(5)
    r = rng.uniform(1.0, 5.0, (15, 12))
    transform = rasterio.transform.from_origin(500_000, 4_600_000, 30.0, 50.0)
    got = lc.cost_distance(
        r, [shapely.Point(500_000 + 45, 4_600_000 - 75)], transform=transform, crs=CRS
    )
    oracle = dijkstra_oracle(r, [(1, 1)], neighbors=8, dy=50.0, dx=30.0)
    np.testing.assert_allclose(got.cost, oracle, rtol=1e-12)
    # One orthogonal step east: half of each cell's resistance over one cell width.
    assert got.cost[1, 2] == pytest.approx(0.5 * (r[1, 1] + r[1, 2]) * 30.0)


def test_diagonal_step_costed_as_mean_times_diagonal() -> None:
    r = np.array([[1.0, 9.0], [9.0, 3.0]])
    got = lc.cost_distance(r, np.array([[1, 0], [0, 0]]), transform=transform_for(), crs=CRS)
    assert got.cost[1, 1] == pytest.approx(2.0 * math.sqrt(2) * CELL)


def test_nodata_is_a_barrier_and_file_input(tmp_path) -> None:
    r = np.full((10, 10), 2.0, dtype=np.float32)
    r[:, 5] = -9999.0
    path = tmp_path / "r.tif"
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        height=10,
        width=10,
        count=1,
        dtype="float32",
        crs=CRS,
        transform=transform_for(),
        nodata=-9999.0,
    ) as dst:
        dst.write(r, 1)
    got = lc.cost_distance(path, [shapely.Point(*cell_centre(5, 1))])
    assert np.isinf(got.cost[:, 5:]).all()
    assert np.isfinite(got.cost[:, :5]).all()
    assert got.crs.to_epsg() == 32633


def test_polygon_sources_are_zero_and_max_cost() -> None:
    r = np.full((20, 20), 1.0)
    x0, y0 = cell_centre(9.5, 1.5)
    x1, y1 = cell_centre(4.5, 6.5)
    poly = shapely.box(x0, y0, x1, y1)  # cells rows 5-9, cols 2-6 by their edges
    got = lc.cost_distance(r, [poly], transform=transform_for(), crs=CRS, max_cost=500.0)
    assert got.cost[5:10, 2:7].max() == 0.0
    finite = got.cost[np.isfinite(got.cost)]
    assert finite.max() <= 500.0
    assert np.isinf(got.cost[:, 15:]).all()


def test_trace_path_runs_from_source_downhill() -> None:
    rng = np.random.default_rng(3)
    r = rng.uniform(1.0, 10.0, (30, 30))
    got = lc.cost_distance(
        r, [shapely.Point(*cell_centre(2, 2))], transform=transform_for(), crs=CRS
    )
    path = lc.trace_path(got, (27, 25))
    assert tuple(path[0]) == (2, 2)
    assert tuple(path[-1]) == (27, 25)
    costs = got.cost[path[:, 0], path[:, 1]]
    assert np.all(np.diff(costs) > 0)
    assert np.abs(np.diff(path, axis=0)).max() == 1


def test_least_cost_paths_table(three_cores) -> None:
    r, cores = three_cores
    table = lc.least_cost_paths(r, cores, transform=transform_for(), crs=CRS)
    assert list(zip(table["core_a"], table["core_b"], strict=True)) == [
        ("A", "B"),
        ("A", "C"),
        ("B", "C"),
    ]
    ab = table.iloc[0]
    # Uniform resistance 2 and straight row: 40 cells apart minus two radii of 4 cells.
    assert ab["euclidean_km"] == pytest.approx(3.2, abs=0.15)
    assert ab["length_km"] == pytest.approx(ab["euclidean_km"], abs=0.2)
    assert ab["cost"] == pytest.approx(2.0 * ab["length_km"] * 1000, rel=1e-9)
    assert ab["cost_to_euclidean"] == pytest.approx(2.0, rel=0.07)
    assert table.geometry.iloc[0].geom_type == "LineString"
    assert table.crs.to_epsg() == 32633


@settings(max_examples=60, deadline=None)
@given(
    shape=st.tuples(st.integers(1, 25), st.integers(1, 25)),
    seed=st.integers(0, 2**32 - 1),
    neighbors=st.sampled_from([4, 8]),
    integer=st.booleans(),
    cell=st.sampled_from([(30.0, 30.0), (25.0, 40.0), (1.0, 0.1)]),
)
def test_costs_are_mcp_geometric_bit_for_bit(
    shape: tuple[int, int],
    seed: int,
    neighbors: int,
    integer: bool,
    cell: tuple[float, float],
) -> None:
    """Same cost model, same arithmetic: equal floats, not just close ones."""
    rng = np.random.default_rng(seed)
    r = rng.uniform(1.0, 100.0, shape)
    if integer:  # many ties between equally cheap routes
        r = np.floor(r)
    r[rng.random(shape) < 0.2] = np.inf
    r.flat[0] = 1.0
    starts = [(0, 0), (shape[0] - 1, shape[1] - 1)] if np.isfinite(r[-1, -1]) else [(0, 0)]
    mask = np.zeros(shape, dtype=bool)
    for s in starts:
        mask[s] = True
    transform = rasterio.transform.from_origin(500_000, 4_600_000, cell[1], cell[0])
    got = lc.cost_distance(r, mask, neighbors=neighbors, transform=transform, crs=CRS)
    expected, _ = MCP_Geometric(r, fully_connected=neighbors == 8, sampling=cell).find_costs(starts)
    expected[~np.isfinite(r)] = np.inf
    np.testing.assert_array_equal(got.cost, expected)
    # Every reached cell's traceback step leads to a cell whose cost plus that step is
    # its own cost (ties may pick another equally cheap predecessor than MCP's).
    rows, cols = np.nonzero(got.traceback >= 0)
    steps = got.offsets[got.traceback[rows, cols]]
    pr, pc = rows - steps[:, 0], cols - steps[:, 1]
    length = np.hypot(steps[:, 0] * cell[0], steps[:, 1] * cell[1])
    rebuilt = got.cost[pr, pc] + length * 0.5 * (r[rows, cols] + r[pr, pc])
    np.testing.assert_array_equal(rebuilt, got.cost[rows, cols])
