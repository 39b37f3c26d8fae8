"""Graph metrics of a core network: IIC, PC, dPC and centralities (as Conefor and Graphab).

Nodes are cores weighted by an attribute (area in km² by default); edges are corridors
with a distance (least-cost cost by default). Definitions follow Pascual-Hortal & Saura
(2006) for the integral index of connectivity and Saura & Pascual-Hortal (2007), Saura &
Rubio (2010) for the probability of connectivity and its fractions:

* ``IIC = sum_i sum_j a_i a_j / (1 + nl_ij) / A_L**2`` with ``nl_ij`` the number of links
  on the topologically shortest path (pairs in different components count 0);
* ``PC = sum_i sum_j a_i a_j p*_ij / A_L**2`` with ``p_ij = exp(-k d_ij)``, ``k`` such that
  ``p = probability`` at ``dispersal_distance``, and ``p*_ij`` the best product of ``p``
  over all paths (so ``-log p*`` is a shortest-path distance);
* ``dX_k = 100 (X - X_without_k) / X`` for each core; ``dPC = intra + flux + connector``.

Both sums include ``i == j`` (a core is connected to itself).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np

from .._typing import FloatArray
from ..errors import InputError
from ._corridors import CorridorNetwork

__all__ = [
    "NetworkMetrics",
    "core_graph",
    "integral_index",
    "network_metrics",
    "probability_of_connectivity",
]


def core_graph(network: CorridorNetwork) -> nx.Graph:
    """The cores and kept links of a corridor network as an undirected networkx graph.

    Nodes are core ids with ``area_km2``, ``n_cells`` and ``geometry`` (raster CRS);
    edges carry ``link_id``, ``cost`` (resistance x metres), ``length_km``,
    ``euclidean_km``, ``max_current`` and ``conductance`` (1 / cost).
    """
    graph = nx.Graph(crs=network.crs, landscape_area_km2=_landscape_area(network))
    for row in network.cores.itertuples(index=False):
        graph.add_node(
            row.core_id,
            area_km2=float(row.area_km2),
            n_cells=int(row.n_cells),
            geometry=row.geometry,
        )
    for row in network.links.itertuples(index=False):
        cost = float(row.cost)
        graph.add_edge(
            row.core_a,
            row.core_b,
            link_id=int(row.link_id),
            cost=cost,
            length_km=float(row.length_km),
            euclidean_km=float(row.euclidean_km),
            max_current=float(row.max_current),
            conductance=1.0 / cost if cost > 0 else np.inf,
            geometry=row.geometry,
        )
    return graph


def _landscape_area(network: CorridorNetwork) -> float:
    rows, cols = network.mosaic.shape
    factor = 1.0
    for axis in network.crs.axis_info:
        if axis.unit_conversion_factor:
            factor = float(axis.unit_conversion_factor)
            break
    cell = abs(network.transform.a * network.transform.e) * factor**2 / 1e6
    return rows * cols * cell


def _as_graph(graph: nx.Graph | CorridorNetwork) -> nx.Graph:
    return core_graph(graph) if isinstance(graph, CorridorNetwork) else graph


def _weights(graph: nx.Graph, nodes: list[Any], attribute: str) -> FloatArray:
    try:
        a = np.array([float(graph.nodes[n][attribute]) for n in nodes])
    except KeyError as exc:
        raise InputError(f"every core needs a {attribute!r} attribute") from exc
    if (a < 0).any() or not np.isfinite(a).all():
        raise InputError(f"core attribute {attribute!r} must be finite and >= 0")
    return a


def _landscape(graph: nx.Graph, a: FloatArray, landscape_area: float | None) -> float:
    area = landscape_area if landscape_area is not None else graph.graph.get("landscape_area_km2")
    area = float(area) if area is not None else float(a.sum())
    if not area > 0:
        raise InputError(f"landscape_area must be > 0, got {area!r}")
    return area


def _hops(graph: nx.Graph, nodes: list[Any]) -> FloatArray:
    index = {n: i for i, n in enumerate(nodes)}
    out = np.full((len(nodes), len(nodes)), np.inf)
    for src, lengths in nx.all_pairs_shortest_path_length(graph):
        for dst, hops in lengths.items():
            out[index[src], index[dst]] = hops
    return out


def _pstar(graph: nx.Graph, nodes: list[Any], distance: str, k: float) -> FloatArray:
    index = {n: i for i, n in enumerate(nodes)}
    out = np.zeros((len(nodes), len(nodes)))
    for _, _, data in graph.edges(data=True):
        if distance not in data:
            raise InputError(f"every link needs a {distance!r} attribute")
    for src, lengths in nx.all_pairs_dijkstra_path_length(graph, weight=distance):
        for dst, d in lengths.items():
            out[index[src], index[dst]] = np.exp(-k * d)
    return out


def _iic_num(graph: nx.Graph, nodes: list[Any], a: FloatArray) -> float:
    return float(a @ (1.0 / (1.0 + _hops(graph, nodes))) @ a)


def _pc_num(graph: nx.Graph, nodes: list[Any], a: FloatArray, distance: str, k: float) -> float:
    return float(a @ _pstar(graph, nodes, distance, k) @ a)


def _decay(graph: nx.Graph, distance: str, dispersal_distance: float | None, p: float) -> float:
    if not 0 < p < 1:
        raise InputError(f"probability must be between 0 and 1 (exclusive), got {p!r}")
    if dispersal_distance is None:
        values = [float(d[distance]) for _, _, d in graph.edges(data=True) if distance in d]
        dispersal_distance = float(np.median(values)) if values else 1.0
    if not dispersal_distance > 0:
        raise InputError(f"dispersal_distance must be > 0, got {dispersal_distance!r}")
    return -np.log(p) / dispersal_distance


def integral_index(
    graph: nx.Graph | CorridorNetwork,
    *,
    attribute: str = "area_km2",
    landscape_area: float | None = None,
) -> float:
    """Integral index of connectivity (IIC), between 0 and 1.

    Parameters
    ----------
    graph : networkx.Graph or CorridorNetwork
        Cores as nodes with ``attribute``; links as edges.
    attribute : str
        Node attribute used as the core's weight (area in km² by default).
    landscape_area : float, optional
        Maximum landscape attribute ``A_L`` in the same unit; by default the graph's
        ``landscape_area_km2`` (the raster area for a corridor network) or the sum of
        the core weights.
    """
    graph = _as_graph(graph)
    nodes = list(graph.nodes)
    a = _weights(graph, nodes, attribute)
    return _iic_num(graph, nodes, a) / _landscape(graph, a, landscape_area) ** 2


def probability_of_connectivity(
    graph: nx.Graph | CorridorNetwork,
    *,
    distance: str = "cost",
    dispersal_distance: float | None = None,
    probability: float = 0.5,
    attribute: str = "area_km2",
    landscape_area: float | None = None,
) -> float:
    """Probability of connectivity (PC), between 0 and 1.

    Parameters
    ----------
    graph : networkx.Graph or CorridorNetwork
    distance : str
        Edge attribute holding the link distance: ``"cost"`` (resistance x metres),
        ``"length_km"`` or ``"euclidean_km"``.
    dispersal_distance : float, optional
        Distance (same unit as ``distance``) at which the direct dispersal probability
        is ``probability``; the median link distance by default.
    probability : float
        Dispersal probability at ``dispersal_distance``.
    attribute, landscape_area
        As for :func:`integral_index`.
    """
    graph = _as_graph(graph)
    nodes = list(graph.nodes)
    a = _weights(graph, nodes, attribute)
    k = _decay(graph, distance, dispersal_distance, probability)
    return _pc_num(graph, nodes, a, distance, k) / _landscape(graph, a, landscape_area) ** 2


@dataclass(frozen=True)
class NetworkMetrics:
    """Landscape-level indices and per-core and per-link importance.

    Attributes
    ----------
    iic, pc : float
        Integral index of connectivity and probability of connectivity.
    eca_km2 : float
        Equivalent connected area, ``sqrt(PC) * A_L`` (km² when weights are km²).
    landscape_area : float
        ``A_L`` used.
    cores : GeoDataFrame
        One row per core (raster CRS): ``core_id``, ``area_km2``, ``dIIC``, ``dPC``,
        ``dPC_intra``, ``dPC_flux``, ``dPC_connector`` (percent), ``betweenness``
        (shortest paths by ``distance``, normalised), ``current_flow`` (current-flow
        betweenness with conductance 1/``distance``, per connected component), geometry.
    links : GeoDataFrame
        One row per link: ``link_id``, ``core_a``, ``core_b``, ``betweenness``,
        ``current_flow``, ``dPC`` (percent lost when the link is removed), geometry.
    """

    iic: float
    pc: float
    eca_km2: float
    landscape_area: float
    cores: gpd.GeoDataFrame
    links: gpd.GeoDataFrame


def network_metrics(
    network: CorridorNetwork | nx.Graph,
    *,
    distance: str = "cost",
    dispersal_distance: float | None = None,
    probability: float = 0.5,
    attribute: str = "area_km2",
    landscape_area: float | None = None,
) -> NetworkMetrics:
    """IIC, PC, dPC fractions, betweenness and current-flow centrality of a core network.

    Parameters
    ----------
    network : CorridorNetwork or networkx.Graph
        A graph must carry ``attribute`` on nodes, ``distance`` on edges and, for the
        map layers, ``geometry`` on both (with ``graph.graph["crs"]``).
    distance, dispersal_distance, probability, attribute, landscape_area
        See :func:`probability_of_connectivity`.

    Returns
    -------
    NetworkMetrics
        Tables that are also map layers (pass them to ``corridors.add_layer``).
    """
    graph = _as_graph(network)
    nodes = sorted(graph.nodes, key=str)
    a = _weights(graph, nodes, attribute)
    area = _landscape(graph, a, landscape_area)
    k = _decay(graph, distance, dispersal_distance, probability)
    iic_num = _iic_num(graph, nodes, a)
    pstar = _pstar(graph, nodes, distance, k)
    pc_num = float(a @ pstar @ a)
    rows = []
    for i, node in enumerate(nodes):
        rest = graph.copy()
        rest.remove_node(node)
        others = [n for n in nodes if n != node]
        b = np.delete(a, i)
        iic_rest = _iic_num(rest, others, b) if others else 0.0
        pc_rest = _pc_num(rest, others, b, distance, k) if others else 0.0
        d_pc = 100.0 * (pc_num - pc_rest) / pc_num if pc_num > 0 else 0.0
        intra = 100.0 * a[i] ** 2 / pc_num if pc_num > 0 else 0.0
        flux = 100.0 * 2.0 * (a[i] * (pstar[i] @ a) - a[i] ** 2) / pc_num if pc_num > 0 else 0.0
        rows.append(
            {
                "core_id": node,
                attribute: a[i],
                "dIIC": 100.0 * (iic_num - iic_rest) / iic_num if iic_num > 0 else 0.0,
                "dPC": d_pc,
                "dPC_intra": intra,
                "dPC_flux": flux,
                # Rounding can leave a tiny negative remainder for cores that connect nothing.
                "dPC_connector": max(d_pc - intra - flux, 0.0),
            }
        )
    between = nx.betweenness_centrality(graph, weight=distance, normalized=True)
    flow = _current_flow(graph, distance)
    edge_between = nx.edge_betweenness_centrality(graph, weight=distance, normalized=True)
    edge_flow = _edge_current_flow(graph, distance)
    crs = graph.graph.get("crs")
    for row in rows:
        row["betweenness"] = between[row["core_id"]]
        row["current_flow"] = flow[row["core_id"]]
        row["geometry"] = graph.nodes[row["core_id"]].get("geometry")
    link_rows = []
    for u, v, data in sorted(graph.edges(data=True), key=lambda e: str(e[2].get("link_id", ""))):
        rest = graph.copy()
        rest.remove_edge(u, v)
        pc_rest = _pc_num(rest, nodes, a, distance, k)
        key = (u, v) if (u, v) in edge_between else (v, u)
        lo, hi = sorted((u, v), key=str)
        link_rows.append(
            {
                "link_id": data.get("link_id"),
                "core_a": lo,
                "core_b": hi,
                "betweenness": edge_between[key],
                "current_flow": edge_flow.get(key, edge_flow.get((v, u), 0.0)),
                "dPC": 100.0 * (pc_num - pc_rest) / pc_num if pc_num > 0 else 0.0,
                "geometry": data.get("geometry"),
            }
        )
    core_cols = [
        "core_id",
        attribute,
        "dIIC",
        "dPC",
        "dPC_intra",
        "dPC_flux",
        "dPC_connector",
        "betweenness",
        "current_flow",
    ]
    link_cols = ["link_id", "core_a", "core_b", "betweenness", "current_flow", "dPC"]
    cores = _geo(rows, core_cols, crs)
    links = _geo(link_rows, link_cols, crs)
    return NetworkMetrics(
        iic=iic_num / area**2,
        pc=pc_num / area**2,
        eca_km2=float(np.sqrt(pc_num)),
        landscape_area=area,
        cores=cores,
        links=links,
    )


def _geo(rows: list[dict[str, Any]], columns: list[str], crs: Any) -> gpd.GeoDataFrame:
    if not rows:
        return gpd.GeoDataFrame({c: [] for c in columns}, geometry=gpd.GeoSeries([], crs=crs))
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=crs)[[*columns, "geometry"]]


def _conductance_graph(graph: nx.Graph, distance: str) -> nx.Graph:
    out = nx.Graph()
    out.add_nodes_from(graph.nodes)
    for u, v, data in graph.edges(data=True):
        d = float(data[distance])
        out.add_edge(u, v, conductance=1.0 / d if d > 0 else 1e12)
    return out


def _current_flow(graph: nx.Graph, distance: str) -> dict[Any, float]:
    """Current-flow betweenness per connected component (networkx needs connected graphs)."""
    cond = _conductance_graph(graph, distance)
    out: dict[Any, float] = dict.fromkeys(graph.nodes, 0.0)
    for comp in nx.connected_components(cond):
        if len(comp) > 2:
            out.update(
                nx.current_flow_betweenness_centrality(
                    cond.subgraph(comp), normalized=True, weight="conductance"
                )
            )
    return out


def _edge_current_flow(graph: nx.Graph, distance: str) -> dict[tuple[Any, Any], float]:
    cond = _conductance_graph(graph, distance)
    out: dict[tuple[Any, Any], float] = {}
    for comp in nx.connected_components(cond):
        if len(comp) == 2:
            # networkx's normalisation divides by zero here; a lone link carries everything.
            u, v = sorted(comp, key=str)
            out[(u, v)] = 1.0
        elif len(comp) > 2:
            out.update(
                nx.edge_current_flow_betweenness_centrality(
                    cond.subgraph(comp), normalized=True, weight="conductance"
                )
            )
    return out
