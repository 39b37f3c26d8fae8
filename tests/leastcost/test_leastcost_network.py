"""Network metrics against hand-computed values."""

from __future__ import annotations

import networkx as nx
import pytest
from leastcost_grids import CRS, transform_for

import corridors.leastcost as lc


@pytest.fixture
def chain() -> nx.Graph:
    g = nx.Graph()
    for node, area in [(1, 1.0), (2, 2.0), (3, 3.0)]:
        g.add_node(node, area_km2=area)
    g.add_edge(1, 2, cost=1.0, link_id=1)
    g.add_edge(2, 3, cost=1.0, link_id=2)
    return g


def test_iic_and_pc_by_hand(chain: nx.Graph) -> None:
    # PC numerator: sum a_i^2 = 14, plus 2 (1*2*0.5 + 2*3*0.5 + 1*3*0.25) = 9.5.
    assert lc.probability_of_connectivity(
        chain, dispersal_distance=1.0, probability=0.5, landscape_area=10.0
    ) == pytest.approx(23.5 / 100)
    # IIC numerator: 14 + 2 (2/2 + 6/2 + 3/3) = 24.
    assert lc.integral_index(chain, landscape_area=10.0) == pytest.approx(24 / 100)
    # Without a landscape area, A_L is the total core area.
    assert lc.integral_index(chain) == pytest.approx(24 / 36)


def test_dpc_fractions_and_centrality(chain: nx.Graph) -> None:
    m = lc.network_metrics(chain, dispersal_distance=1.0, landscape_area=10.0)
    assert m.pc == pytest.approx(0.235)
    assert m.iic == pytest.approx(0.24)
    assert m.eca_km2 == pytest.approx(23.5**0.5)
    mid = m.cores.set_index("core_id").loc[2]
    assert mid["dPC"] == pytest.approx(100 * 13.5 / 23.5)
    assert mid["dPC_intra"] == pytest.approx(100 * 4 / 23.5)
    assert mid["dPC_flux"] == pytest.approx(100 * 8 / 23.5)
    assert mid["dPC_connector"] == pytest.approx(100 * 1.5 / 23.5)
    assert mid["dIIC"] == pytest.approx(100 * (24 - 10) / 24)
    assert mid["betweenness"] == pytest.approx(1.0)
    assert m.cores.set_index("core_id").loc[1, "betweenness"] == 0.0
    assert mid["current_flow"] > m.cores.set_index("core_id").loc[1, "current_flow"]
    end = m.cores.set_index("core_id").loc[1]
    assert end["dPC_connector"] == pytest.approx(0.0, abs=1e-9)
    links = m.links.set_index("link_id")
    # Removing link 2-3 loses 2*(2*3*0.5 + 1*3*0.25) = 7.5 of 23.5.
    assert links.loc[2, "dPC"] == pytest.approx(100 * 7.5 / 23.5)


def test_metrics_of_a_corridor_network(three_cores) -> None:
    r, cores = three_cores
    net = lc.corridor_network(r, cores, transform=transform_for(), crs=CRS, pinch_points=False)
    g = lc.core_graph(net)
    assert set(g.nodes) == {"A", "B", "C"}
    assert g.graph["landscape_area_km2"] == pytest.approx(40 * 100 * 0.01)
    m = lc.network_metrics(net)
    assert m.cores.crs == net.crs
    top = m.cores.sort_values("dPC", ascending=False)["core_id"].iloc[0]
    assert top == "B"  # the stepping stone holds the network together
    assert 0 < m.pc < m.iic <= 1 or 0 < m.iic < m.pc <= 1
    assert {"dPC", "betweenness", "current_flow"} <= set(m.links.columns)
