"""Speed routes of the graph build give exactly what the general route gives."""

from __future__ import annotations

import numpy as np
import pytest

from corridors.circuit._graph import _links, build_nodemap, graph_from_edges, grid_graph


def _general(g: np.ndarray, four: bool, avg: bool) -> object:
    """The edge-list route: every link listed, duplicates summed by scipy."""
    nodemap, n = build_nodemap(g > 0, [])
    links = _links(g, nodemap, four_neighbors=four, avg=avg)
    i = np.concatenate([link.a_nodes[link.present] - 1 for link in links])
    j = np.concatenate([link.b_nodes[link.present] - 1 for link in links])
    w = np.concatenate([link.w[link.present] for link in links])
    return graph_from_edges(n, i, j, w)


def _same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


@pytest.mark.parametrize("four", [True, False])
@pytest.mark.parametrize("avg", [True, False])
def test_lattice_route_matches_edge_list_bit_for_bit(four: bool, avg: bool) -> None:
    rng = np.random.default_rng(7)
    for trial in range(12):
        g = rng.lognormal(size=(int(rng.integers(1, 25)), int(rng.integers(1, 25))))
        g[rng.random(g.shape) < rng.random()] = 0.0
        if trial % 3 == 0:
            g[rng.random(g.shape) < 0.2] = 1e308  # averages overflow: links dropped
        nodemap, n = build_nodemap(g > 0, [])
        fast = grid_graph(g, nodemap, n, four_neighbors=four, avg_resistances=avg)
        slow = _general(g, four, avg)
        for name in ("indptr", "indices", "data"):
            assert _same_bits(getattr(fast.laplacian, name), getattr(slow.laplacian, name))
        for name in ("u", "v", "w", "components"):
            assert _same_bits(getattr(fast, name), getattr(slow, name))
        assert fast.ncomponents == slow.ncomponents
