"""The four raster scenarios: pairwise, one-to-all, all-to-one and advanced."""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from .._typing import FloatArray, Int64Array
from ._advanced import resolve_conflicts, solve_components
from ._graph import Graph, build_nodemap, component_matrix, grid_graph, node_currents
from ._inputs import PairSelection, Points
from ._outputs import (
    MapOptions,
    Writer,
    process_current_map,
    process_voltage_map,
    resistance_matrix_table,
    table_text,
    three_columns,
)
from ._raster_io import NODATA, GridMeta
from ._result import CircuitResult
from ._solver import GroundedSolver

#: Show a progress bar when a job has at least this many solves.
PROGRESS_MIN_SOLVES = 10


@dataclass
class Settings:
    """Connection scheme and run-time switches shared by all scenarios."""

    four_neighbors: bool = False
    avg_resistances: bool = False
    policy: str = "keepall"
    progress: bool = True
    keep_maps: bool = False
    solver: str = "auto"


class Scene:
    """A grid turned into a network: node map, graph and cell <-> node mapping."""

    def __init__(self, g: FloatArray, groups: list[Int64Array | None], settings: Settings) -> None:
        layers = [x for x in groups if x is not None]
        self.g = g
        self.nodemap, self.n = build_nodemap(g > 0, layers)
        self.graph: Graph = grid_graph(
            g,
            self.nodemap,
            self.n,
            four_neighbors=settings.four_neighbors,
            avg_resistances=settings.avg_resistances,
        )
        flat = self.nodemap.ravel()
        self.cells = np.flatnonzero(flat)
        self.cell_nodes = flat[self.cells] - 1
        self._members: dict[int, Int64Array] = {}

    def node_of(self, rows: Int64Array, cols: Int64Array) -> Int64Array:
        """0-based node of each cell, -1 where the cell is not a node."""
        return self.nodemap[rows, cols] - 1

    def to_grid(self, node_values: FloatArray) -> FloatArray:
        """Spread node values onto their cells (0 elsewhere)."""
        out = np.zeros(self.nodemap.size)
        out[self.cells] = node_values[self.cell_nodes]
        return out.reshape(self.nodemap.shape)

    def component_nodes(self, comp: int) -> Int64Array:
        """Nodes of one connected component."""
        if comp not in self._members:
            if self.graph.ncomponents == 1:
                self._members[comp] = np.arange(self.n)
            else:
                self._members[comp] = np.flatnonzero(self.graph.components == comp)
        return self._members[comp]

    def component_matrix(
        self, nodes: Int64Array, extra_diag: FloatArray | None = None
    ) -> sp.csr_matrix:
        """Laplacian restricted to ``nodes`` (plus an optional diagonal)."""
        return component_matrix(self.graph, nodes, extra_diag)


@contextmanager
def _progress(total: int, settings: Settings, desc: str) -> Iterator[Any]:
    if settings.progress and total >= PROGRESS_MIN_SOLVES:
        from tqdm.auto import tqdm  # deferred: tqdm (tqdm.auto probes IPython)

        bar = tqdm(total=total, desc=desc, unit="solve", leave=False)
        try:
            yield bar
        finally:
            bar.close()
    else:

        class _Null:
            def update(self, n: int = 1) -> None:
                pass

        yield _Null()


class MapSink:
    """Receives each solve's voltages and writes or accumulates its maps."""

    def __init__(
        self,
        g: FloatArray,
        opts: MapOptions,
        writer: Writer | None,
        settings: Settings,
        focal_cells: tuple[Int64Array, Int64Array] | None = None,
    ) -> None:
        self.g = g
        self.opts = opts
        self.writer = writer
        self.settings = settings
        self.focal_cells = focal_cells
        self.cum: FloatArray | None = np.zeros(g.shape) if opts.currents_needed else None
        self.max: FloatArray | None = (
            np.full(g.shape, NODATA) if opts.currents_needed and opts.write_max_cur_maps else None
        )
        self.pair_currents: dict[str, FloatArray] = {}
        self.pair_voltages: dict[str, FloatArray] = {}

    def emit(
        self,
        scene: Scene | None,
        name: str,
        voltages: FloatArray | None,
        *,
        finite_grounds: FloatArray | None = None,
        accumulate: bool = True,
    ) -> tuple[FloatArray | None, FloatArray | None]:
        """Handle one solve; ``voltages`` None means nothing was solved (all-zero maps)."""
        vmap: FloatArray | None = None
        cmap: FloatArray | None = None
        if self.opts.write_volt_maps or self.settings.keep_maps:
            vmap = (
                scene.to_grid(voltages)
                if scene is not None and voltages is not None
                else np.zeros(self.g.shape)
            )
            if self.settings.keep_maps:
                self.pair_voltages[name] = vmap
            if self.opts.write_volt_maps and self.writer is not None:
                self.writer.grid(
                    f"voltmap{'_' + name if name else ''}",
                    process_voltage_map(vmap, self.g, self.opts),
                )
        if self.opts.currents_needed or self.settings.keep_maps:
            if scene is not None and voltages is not None:
                nc = node_currents(scene.graph, voltages, finite_grounds)
                cmap = scene.to_grid(nc)
            else:
                cmap = np.zeros(self.g.shape)
            if self.opts.focal_node_currents_to_zero and self.focal_cells is not None:
                cmap[self.focal_cells] = 0.0
            if self.settings.keep_maps:
                self.pair_currents[name] = cmap
            if accumulate and self.cum is not None:
                self.cum += cmap
            if accumulate and self.max is not None:
                np.maximum(self.max, cmap, out=self.max)
            if (
                self.writer is not None
                and self.opts.write_cur_maps
                and not self.opts.write_cum_cur_map_only
            ):
                self.writer.grid(
                    f"curmap{'_' + name if name else ''}",
                    process_current_map(cmap, self.g, self.opts),
                )
        return vmap, cmap

    def finish(self) -> None:
        """Write the cumulative and maximum maps."""
        if self.writer is None:
            return
        if self.cum is not None:
            self.writer.grid("cum_curmap", process_current_map(self.cum, self.g, self.opts))
        if self.max is not None:
            self.writer.grid("max_curmap", process_current_map(self.max, self.g, self.opts))


def _wanted_pairs(ids: Int64Array, selection: PairSelection | None) -> list[tuple[int, int]]:
    out = []
    for a in range(ids.size):
        for b in range(a + 1, ids.size):
            if selection is None or selection.included(int(ids[a]), int(ids[b])):
                out.append((a, b))
    return out


def raster_pairwise(
    g: FloatArray,
    points: Points,
    *,
    polygons: Int64Array | None,
    selection: PairSelection | None,
    settings: Settings,
    opts: MapOptions,
    writer: Writer | None,
    meta: GridMeta | None,
) -> CircuitResult:
    """Effective resistance (and maps) between every pair of focal nodes."""
    if selection is not None and selection.mode == "include":
        points = points.subset(selection.point_ids)
    ids = points.unique_ids
    k = ids.size
    r = np.full((k, k), -1.0)
    pairs = _wanted_pairs(ids, selection)
    sink = MapSink(g, opts, writer, settings, (points.rows, points.cols))
    solves = 0
    if not points.has_regions:
        scene = Scene(g, [polygons], settings)
        nodes = scene.node_of(points.rows, points.cols)
        solves = _pairwise_in_scene(scene, ids, nodes, pairs, r, sink, settings)
    else:
        with _progress(len(pairs), settings, "pairs") as bar:
            for a, b in pairs:
                region = np.zeros(g.shape, dtype=np.int64)
                ma = points.ids == ids[a]
                mb = points.ids == ids[b]
                region[points.rows[ma], points.cols[ma]] = 1
                region[points.rows[mb], points.cols[mb]] = 2
                scene = Scene(g, [polygons, region], settings)
                na = scene.node_of(points.rows[ma], points.cols[ma])
                nb = scene.node_of(points.rows[mb], points.cols[mb])
                node_a = int(na[na >= 0][0]) if (na >= 0).any() else -1
                node_b = int(nb[nb >= 0][0]) if (nb >= 0).any() else -1
                sub = np.full((2, 2), -1.0)
                solves += _pairwise_in_scene(
                    scene,
                    np.array([ids[a], ids[b]]),
                    np.array([node_a, node_b]),
                    [(0, 1)],
                    sub,
                    sink,
                    settings,
                    show_progress=False,
                )
                r[a, b] = r[b, a] = sub[0, 1]
                bar.update()
    np.fill_diagonal(r, 0.0)
    sink.finish()
    if writer is not None:
        writer.text("resistances.out", table_text(resistance_matrix_table(ids, r)))
        writer.text("resistances_3columns.out", table_text(three_columns(ids, r)))
    return _focal_result("pairwise", ids, r, sink, meta, writer, solves)


def _pairwise_in_scene(
    scene: Scene,
    ids: Int64Array,
    nodes: Int64Array,
    pairs: list[tuple[int, int]],
    r: FloatArray,
    sink: MapSink,
    settings: Settings,
    *,
    show_progress: bool = True,
) -> int:
    """Solve the wanted pairs within one network; returns the number of linear solves.

    Within a connected component one node is grounded and the system factorised
    (or its AMG hierarchy built) once. When there are fewer focal nodes than pairs,
    the potential of each focal node under a unit injection is solved once and each
    pair's voltages follow by superposition; otherwise each pair is solved directly.
    """
    comps = scene.graph.components
    by_comp: dict[int, list[tuple[int, int]]] = {}
    for a, b in pairs:
        na, nb = int(nodes[a]), int(nodes[b])
        if na < 0 or nb < 0 or comps[na] != comps[nb]:
            continue
        if na == nb:
            r[a, b] = r[b, a] = 0.0
            continue
        by_comp.setdefault(int(comps[na]), []).append((a, b))
    total = 0
    plans = []
    for comp, cpairs in by_comp.items():
        targets = sorted({int(nodes[x]) for p in cpairs for x in p})
        node_pairs = {(int(nodes[a]), int(nodes[b])) for a, b in cpairs}
        superpose = len(targets) - 1 <= len(node_pairs)
        nsolve = len(targets) - 1 if superpose else len(node_pairs)
        plans.append((comp, cpairs, targets, superpose))
        total += nsolve
    solves = 0
    with _progress(total if show_progress else 0, settings, "solves") as bar:
        for comp, cpairs, targets, superpose in plans:
            members = scene.component_nodes(comp)
            local = np.full(scene.n, -1, dtype=np.int64)
            local[members] = np.arange(members.size)
            ref = int(local[targets[0]])
            solver = GroundedSolver(scene.component_matrix(members), [ref], method=settings.solver)
            pair_solver = None if superpose else solver
            potentials: dict[int, FloatArray] = {}
            if superpose:
                potentials[targets[0]] = np.zeros(members.size)
                rest = targets[1:]
                rhs = np.zeros((members.size, len(rest)))
                for col, t in enumerate(rest):
                    rhs[local[t], col] = 1.0
                if solver.method == "direct":
                    sol = solver.solve_many(rhs)
                    for col, t in enumerate(rest):
                        potentials[t] = sol[:, col]
                    bar.update(len(rest))
                else:
                    for col, t in enumerate(rest):
                        potentials[t] = solver.solve(rhs[:, col])
                        bar.update()
                solves += len(rest)
                del rhs
            # With superposition no solve is left: the factor or hierarchy is freed
            # before the maps, whose current computation is the other memory peak.
            del solver
            done: dict[tuple[int, int], FloatArray] = {}
            for a, b in cpairs:
                na, nb = int(nodes[a]), int(nodes[b])
                if (na, nb) in done:
                    vloc = done[(na, nb)]
                elif superpose:
                    vloc = potentials[nb] - potentials[na]
                else:
                    rhs1 = np.zeros(members.size)
                    rhs1[local[nb]] = 1.0
                    rhs1[local[na]] = -1.0
                    assert pair_solver is not None
                    vloc = pair_solver.solve(rhs1)
                    solves += 1
                    bar.update()
                vloc = vloc - vloc[local[na]]
                done[(na, nb)] = vloc
                res = float(vloc[local[nb]])
                r[a, b] = r[b, a] = res
                v = vloc if members.size == scene.n else _scatter(vloc, members, scene.n)
                sink.emit(scene, f"{ids[a]}_{ids[b]}", v)
    return solves


def _scatter(values: FloatArray, members: Int64Array, n: int) -> FloatArray:
    out = np.zeros(n)
    out[members] = values
    return out


def _point_regions(points: Points, shape: tuple[int, int], keep_ids: set[int] | None) -> Int64Array:
    region = np.zeros(shape, dtype=np.int64)
    m = (
        np.ones(points.ids.size, dtype=bool)
        if keep_ids is None
        else np.isin(points.ids, list(keep_ids))
    )
    region[points.rows[m], points.cols[m]] = points.ids[m] + 1
    return region


def raster_one_or_all(
    g: FloatArray,
    points: Points,
    *,
    one_to_all: bool,
    polygons: Int64Array | None,
    selection: PairSelection | None,
    strengths: dict[int, float] | None,
    settings: Settings,
    opts: MapOptions,
    writer: Writer | None,
    meta: GridMeta | None,
) -> CircuitResult:
    """One-to-all (one source, all others grounded) or all-to-one (the reverse).

    Every focal region is short-circuited. In one-to-all mode the source node
    injects its strength (1 A unless variable strengths are given) and every other
    focal node included with it is a direct ground; the reported value is the
    source's voltage divided by its strength. In all-to-one mode each other
    included node injects its strength and the node itself is grounded; Circuitscape
    reports 0 for such solves.
    """
    if selection is not None and selection.mode == "include":
        points = points.subset(selection.point_ids)
    ids = points.unique_ids
    k = ids.size
    res = np.full(k, -1.0)
    sink = MapSink(g, opts, writer, settings, (points.rows, points.cols))
    scenes: dict[frozenset[int] | None, Scene] = {}
    solves = 0
    with _progress(k, settings, "solves") as bar:
        for i, pid in enumerate(ids.tolist()):
            partners = [
                int(q)
                for q in ids.tolist()
                if q != pid and (selection is None or selection.included(pid, int(q)))
            ]
            pair_strengths = strengths
            if not one_to_all and selection is not None:
                # Circuitscape's all-to-one drives every other focal node; the included
                # pairs only decide which get their variable strength (others get 1 A)
                # and whether the node's solve is reported.
                included = set(partners)
                partners = [int(q) for q in ids.tolist() if q != pid]
                pair_strengths = {
                    q: (strengths.get(q, 1.0) if strengths is not None and q in included else 1.0)
                    for q in partners
                }
            key = None if selection is None else frozenset([pid, *partners])
            if key not in scenes:
                scenes[key] = Scene(
                    g,
                    [polygons, _point_regions(points, g.shape, None if key is None else set(key))],
                    settings,
                )
            scene = scenes[key]
            v, value = _one_or_all_solve(
                scene, points, pid, partners, one_to_all=one_to_all, strengths=pair_strengths
            )
            if v is not None:
                solves += 1
                res[i] = value
                if not one_to_all and selection is not None and not included:
                    res[i] = -1.0
            # Only reported solves count towards the cumulative map, as in Circuitscape.
            sink.emit(scene, str(pid), v, accumulate=bool(res[i] != -1.0))
            bar.update()
    sink.finish()
    if writer is not None:
        writer.text("resistances.out", table_text(np.column_stack([ids, res])))
    scenario = "one-to-all" if one_to_all else "all-to-one"
    return _focal_result(scenario, ids, res, sink, meta, writer, solves)


def _one_or_all_solve(
    scene: Scene,
    points: Points,
    pid: int,
    partners: list[int],
    *,
    one_to_all: bool,
    strengths: dict[int, float] | None,
) -> tuple[FloatArray | None, float]:
    def node(q: int) -> int:
        m = points.ids == q
        nn = scene.node_of(points.rows[m], points.cols[m])
        nn = nn[nn >= 0]
        return int(nn[0]) if nn.size else -1

    def strength(q: int) -> float:
        if strengths is None:
            return 1.0
        return float(strengths.get(q, 1.0))

    me = node(pid)
    if me < 0:
        return None, -1.0
    comp = int(scene.graph.components[me])
    members = scene.component_nodes(comp)
    local = np.full(scene.n, -1, dtype=np.int64)
    local[members] = np.arange(members.size)
    others = {q: node(q) for q in partners}
    others_in = {q: nd for q, nd in others.items() if nd >= 0 and local[nd] >= 0}
    src = np.zeros(members.size)
    if one_to_all:
        s = strength(pid)
        # A ground sharing the source's node is removed (Circuitscape's rmvgnd policy).
        grounds = sorted({local[nd] for nd in others_in.values() if nd != me})
        if not grounds or s == 0:
            return None, -1.0
        src[local[me]] = s
    else:
        grounds = [int(local[me])]
        for q, nd in others_in.items():
            if nd != me:  # a source on the grounded node is removed (rmvsrc)
                src[local[nd]] += strength(q)
        if not np.any(src):
            return None, -1.0
    solver = GroundedSolver(scene.component_matrix(members), grounds)
    vloc = solver.solve(src)
    v = vloc if members.size == scene.n else _scatter(vloc, members, scene.n)
    if one_to_all:
        value = float(vloc[local[me]]) / s
        if math.isclose(value, 0.0, abs_tol=1e-300):
            return v, -1.0
        return v, value
    return v, 0.0


def raster_advanced(
    g: FloatArray,
    sources: FloatArray,
    grounds: FloatArray,
    *,
    polygons: Int64Array | None,
    settings: Settings,
    opts: MapOptions,
    writer: Writer | None,
    meta: GridMeta | None,
) -> CircuitResult:
    """Advanced mode: current sources and grounds given as rasters.

    ``sources`` holds the current injected in each cell (0 for none); ``grounds``
    the conductance to ground of each cell (0 for none, ``inf`` for a direct ground).
    Where a node is both a source and a ground, ``settings.policy`` decides:
    ``keepall``, ``rmvsrc``, ``rmvgnd`` or ``rmvall``. A source on a direct ground
    keeps its source and loses the ground, as in Circuitscape. Each connected
    component with at least one source and one ground is solved.
    """
    scene = Scene(g, [polygons], settings)
    n = scene.n
    flat = scene.nodemap.ravel()
    src_node = np.zeros(n)
    gnd_node = np.zeros(n)
    s_flat = np.nan_to_num(sources.ravel(), nan=0.0)
    gr_flat = np.nan_to_num(grounds.ravel(), nan=0.0, posinf=np.inf)
    sel = (flat > 0) & (s_flat != 0)
    np.add.at(src_node, flat[sel] - 1, s_flat[sel])
    sel = (flat > 0) & (gr_flat != 0)
    np.add.at(gnd_node, flat[sel] - 1, gr_flat[sel])
    src_node, gnd_node, finite = resolve_conflicts(src_node, gnd_node, settings.policy)
    voltages, solves = solve_components(
        [scene.component_nodes(c) for c in range(scene.graph.ncomponents)],
        scene.component_matrix,
        src_node,
        gnd_node,
        finite,
        method=settings.solver,
    )
    sink = MapSink(g, opts, None, settings)
    _, cmap = sink.emit(scene, "", voltages, finite_grounds=finite, accumulate=False)
    vmap = scene.to_grid(voltages)
    if cmap is None:
        cmap = scene.to_grid(node_currents(scene.graph, voltages, finite))
    if writer is not None:
        if opts.write_volt_maps:
            writer.grid("voltmap", process_voltage_map(vmap, g, opts))
        if opts.currents_needed:
            writer.grid("curmap", process_current_map(cmap, g, opts))
    notes = (
        []
        if solves
        else ["no connected component holds both a source and a ground; nothing was solved"]
    )
    return CircuitResult(
        scenario="advanced",
        data_type="raster",
        ids=np.zeros(0, dtype=np.int64),
        current=cmap,
        voltage=vmap,
        meta=meta,
        files=list(writer.files) if writer is not None else [],
        notes=notes,
        solves=solves,
    )


def _focal_result(
    scenario: str,
    ids: Int64Array,
    resistances: FloatArray,
    sink: MapSink,
    meta: GridMeta | None,
    writer: Writer | None,
    solves: int,
) -> CircuitResult:
    """The result of a raster job with focal nodes, its maps taken from the sink."""
    return CircuitResult(
        scenario=scenario,
        data_type="raster",
        ids=ids,
        resistances=resistances,
        cum_current=sink.cum,
        max_current=sink.max,
        pair_currents=sink.pair_currents,
        pair_voltages=sink.pair_voltages,
        meta=meta,
        files=list(writer.files) if writer is not None else [],
        solves=solves,
    )
