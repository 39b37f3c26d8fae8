"""Network (graph) inputs: edge lists instead of rasters, pairwise and advanced."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt

from .._typing import FloatArray, Int64Array
from ..errors import InputError
from ._advanced import ground_conductances, resolve_conflicts, solve_components, source_currents
from ._graph import Graph, branch_currents, component_matrix, graph_from_edges, node_currents
from ._inputs import PairSelection
from ._outputs import Writer, resistance_matrix_table, table_text, three_columns
from ._raster_io import read_table
from ._result import CircuitResult
from ._solver import GroundedSolver


def network_from_edges(
    edges: FloatArray, *, is_resistance: bool, source: str = "<edges>"
) -> tuple[Graph, FloatArray]:
    """Build a graph from ``node1 node2 value`` rows; returns the graph and node ids."""
    if edges.ndim != 2 or edges.shape[1] < 3:
        raise InputError(
            f"{source}: a graph needs three columns (node1 node2 resistance-or-conductance)"
        )
    vals = edges[:, 2]
    if is_resistance:
        if np.any(vals <= 0):
            bad = vals[vals <= 0][0]
            raise InputError(
                f"{source}: edge resistances must be positive, found {bad:g}; remove the "
                "edge or give it a positive resistance"
            )
        w = 1.0 / vals
    else:
        if np.any(vals < 0):
            raise InputError(
                f"{source}: edge conductances must not be negative, found "
                f"{vals[vals < 0][0]:g}; fix that edge"
            )
        w = vals
    node_ids, inv = np.unique(edges[:, :2].ravel(), return_inverse=True)
    inv = inv.reshape(-1, 2).astype(np.int64)
    graph = graph_from_edges(node_ids.size, inv[:, 0], inv[:, 1], w.astype(np.float64))
    return graph, node_ids


def _fmt_id(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def network_pairwise(
    graph: Graph,
    node_ids: FloatArray,
    focal: FloatArray,
    *,
    selection: PairSelection | None,
    writer: Writer | None,
    write_volt: bool,
    write_cur: bool,
) -> CircuitResult:
    """Pairwise effective resistances between focal nodes of a network."""
    index = {float(x): i for i, x in enumerate(node_ids.tolist())}
    if selection is not None and selection.mode == "include":
        keep = set(selection.point_ids.tolist())
        focal = np.array([f for f in focal if int(f) in keep])
    k = focal.size
    nodes = np.array([index.get(float(f), -1) for f in focal], dtype=np.int64)
    r = np.full((k, k), -1.0)
    cum_node = np.zeros(graph.n)
    cum_branch = np.zeros(graph.u.size)
    comps = graph.components
    solves = 0
    solvers: dict[int, tuple[GroundedSolver, Int64Array, Int64Array]] = {}
    for a in range(k):
        for b in range(a + 1, k):
            if selection is not None and not selection.included(int(focal[a]), int(focal[b])):
                continue
            na, nb = int(nodes[a]), int(nodes[b])
            if na < 0 or nb < 0 or comps[na] != comps[nb]:
                continue
            if na == nb:
                r[a, b] = r[b, a] = 0.0
                continue
            c = int(comps[na])
            if c not in solvers:
                members = np.flatnonzero(comps == c)
                local = np.full(graph.n, -1, dtype=np.int64)
                local[members] = np.arange(members.size)
                solvers[c] = (
                    GroundedSolver(component_matrix(graph, members), [int(local[na])]),
                    members,
                    local,
                )
            solver, members, local = solvers[c]
            rhs = np.zeros(members.size)
            rhs[local[nb]] += 1.0
            rhs[local[na]] -= 1.0
            x = solver.solve(rhs)
            solves += 1
            x = x - x[local[na]]
            r[a, b] = r[b, a] = float(x[local[nb]])
            v = np.zeros(graph.n)
            v[members] = x
            name = f"{_fmt_id(focal[a])}_{_fmt_id(focal[b])}"
            in_comp = np.zeros(graph.n, dtype=bool)
            in_comp[members] = True
            if writer is not None and write_volt:
                writer.text(
                    f"voltages_{name}.txt",
                    _two_col(node_ids[members], v[members]),
                )
            nc = node_currents(graph, v)
            bc = branch_currents(graph, v)
            cum_node += nc
            cum_branch += bc
            if writer is not None and write_cur:
                writer.text(f"node_currents_{name}.txt", _two_col(node_ids[members], nc[members]))
                sel = in_comp[graph.u] & _listed(bc)
                writer.text(
                    f"branch_currents_{name}.txt",
                    _three_col(node_ids[graph.u[sel]], node_ids[graph.v[sel]], bc[sel]),
                )
    np.fill_diagonal(r, 0.0)
    if writer is not None:
        writer.text("resistances.out", table_text(resistance_matrix_table(focal, r)))
        writer.text("resistances_3columns.out", table_text(three_columns(focal, r)))
        if write_cur:
            writer.text("node_currents_cum.txt", _two_col(node_ids, cum_node))
            nz = cum_branch != 0
            writer.text(
                "branch_currents_cum.txt",
                _three_col(node_ids[graph.u[nz]], node_ids[graph.v[nz]], cum_branch[nz]),
            )
    return CircuitResult(
        scenario="pairwise",
        data_type="network",
        ids=focal.astype(np.int64),
        resistances=r,
        cum_current=cum_node,
        node_ids=node_ids,
        files=list(writer.files) if writer is not None else [],
        solves=solves,
    )


def network_advanced(
    graph: Graph,
    node_ids: FloatArray,
    sources: FloatArray,
    grounds: FloatArray,
    *,
    ground_is_resistance: bool,
    direct_grounds: bool,
    unit_currents: bool,
    policy: str,
    writer: Writer | None,
    write_volt: bool,
    write_cur: bool,
    source: str = "<network>",
) -> CircuitResult:
    """Advanced mode on a network: ``sources`` and ``grounds`` are ``id value`` rows."""
    index = {float(x): i for i, x in enumerate(node_ids.tolist())}
    per_node = []
    for rows, values, role in (
        (sources, source_currents(sources[:, 1], unit_currents=unit_currents), "source"),
        (
            grounds,
            ground_conductances(
                grounds[:, 1], is_resistance=ground_is_resistance, direct_grounds=direct_grounds
            ),
            "ground",
        ),
    ):
        nodes = []
        for node in rows[:, 0]:
            i = index.get(float(node))
            if i is None:
                raise InputError(
                    f"{source}: {role} node {node:g} is not in the graph; remove it or add "
                    "the node's edges to the graph file"
                )
            nodes.append(i)
        total = np.zeros(graph.n)
        np.add.at(total, np.asarray(nodes, dtype=np.int64), values)
        per_node.append(total)
    src, gnd, finite = resolve_conflicts(per_node[0], per_node[1], policy)
    v, solves = solve_components(
        [np.flatnonzero(graph.components == c) for c in range(graph.ncomponents)],
        lambda members, diag: component_matrix(graph, members, diag),
        src,
        gnd,
        finite,
    )
    nc = node_currents(graph, v, finite)
    bc = branch_currents(graph, v)
    if writer is not None:
        if write_volt:
            writer.text("voltages.txt", _two_col(node_ids, v))
        if write_cur:
            writer.text("node_currents.txt", _two_col(node_ids, nc))
            sel = _listed(bc)
            writer.text(
                "branch_currents.txt",
                _three_col(node_ids[graph.u[sel]], node_ids[graph.v[sel]], bc[sel]),
            )
    return CircuitResult(
        scenario="advanced",
        data_type="network",
        ids=np.zeros(0, dtype=np.int64),
        current=nc,
        voltage=v,
        node_ids=node_ids,
        files=list(writer.files) if writer is not None else [],
        solves=solves,
    )


def _listed(bc: FloatArray) -> npt.NDArray[np.bool_]:
    """Branches worth listing: current above 1e-6 of the largest.

    Circuitscape's solvers stop at a relative residual of 1e-6, so smaller branch
    currents are not resolved; it leaves such branches out of its lists.
    """
    top = bc.max() if bc.size else 0.0
    return bc > 1e-6 * top if top > 0 else bc != 0


def _two_col(a: FloatArray, b: FloatArray) -> str:
    return table_text(np.column_stack([a, b]))


def _three_col(a: FloatArray, b: FloatArray, c: FloatArray) -> str:
    return table_text(np.column_stack([a, b, c]))


def read_focal_nodes(path: Path) -> FloatArray:
    """Focal node ids from a network job's point file (first column)."""
    return read_table(path, role="focal node", ncols=1)[:, 0]
