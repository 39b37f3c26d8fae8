"""One moving-window solve: a small grounded resistor network around a target.

Each window is an advanced-mode circuit in Circuitscape's sense, as Omniscape.jl
builds it: the cells of the window are nodes joined to their eight (or four)
neighbours by the average of the two cells' conductances (divided by ``sqrt(2)``
on diagonals), the target cell is tied directly to ground, and the sources inject
current. A source on the target cell is dropped (Circuitscape's ``rmvsrc``), only
the connected component holding the ground is solved, and the current through each
node is the larger of its inflow and outflow (:func:`corridors.circuit._graph.node_currents`).

Windows repeat: every window away from the raster's edge has the same disk of cells,
edges and matrix pattern; only the conductances change. NoData cells, and cells cut
off from the ground, keep their place in the pattern as decoupled unknowns (no edge,
unit diagonal, no source), which leaves the solution on the ground's component
exactly as if they were not there. A :class:`Plan` holds everything that depends on
the pattern alone (node numbering, edge lists, the compressed-column layout of the
grounded Laplacian and the symbolic LDLᵀ analysis with its fill-reducing ordering);
a window pays for the numeric factorisation only (with numba, :mod:`._ldl`'s LDLᵀ in
a nested-dissection order of the grid; without it qdldl's LDLᵀ, or SuperLU if qdldl
is missing too). A window whose ground component is a small part of its disk (cut up by
NoData) is solved on a plan of its own instead. The null (uniform conductance)
windows of the flow potential depend on the shape alone, so their numeric factor is
cached too and each costs two triangular solves.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from .._typing import BoolArray, FloatArray, Int64Array
from ..circuit._graph import Graph, node_currents
from . import _kernels, _ldl

_SQRT2 = float(np.sqrt(2.0))

#: Memory for the plans kept per process. The plans that recur (interior windows,
#: the windows along each edge, the null windows of the flow potential) must stay
#: cached while a tile's rows of targets are solved: hundreds of distinct edge windows
#: of a small radius (a few kB each), a few dozen of a large one (MB each).
PLAN_CACHE_BYTES = 192 * 2**20
#: A window whose ground component holds less than this share of its pattern's cells
#: (NoData, fragments) is solved on a plan of its own: factorising the decoupled cells
#: of the shared pattern would cost more than building a small plan. On the BigTests
#: 1m grid (radius 50): 11.2 ms per target never, 9.9 at 0.6, 9.3 at 0.75, 10.6 at 0.9,
#: 16.0 always.
COMPACT_FRACTION = 0.75
#: Bytes per node a cached plan holds beyond its factor (edge lists, layout, values).
PLAN_BYTES_PER_NODE = 400


def plan_bytes(nodes: int) -> int:
    """Memory of a plan of ``nodes`` nodes with its LDLᵀ factor (and a null factor).

    The factor holds about 35 entries per node for a radius-50 window (8 000 nodes),
    growing like ``log n`` (fill of a 2-D grid), at 12 bytes each (value and index).
    """
    growth = max(1.0, math.log2(max(nodes, 2)) / math.log2(8000))
    return int(nodes * (PLAN_BYTES_PER_NODE + 2 * 35 * growth * 12))


def _neighbour_offsets(four_neighbors: bool) -> list[tuple[int, int, bool]]:
    """Half of the neighbourhood (each undirected edge once): (drow, dcol, diagonal)."""
    offsets = [(0, 1, False), (1, 0, False)]
    if not four_neighbors:
        offsets += [(1, 1, True), (1, -1, True)]
    return offsets


def grid_edges(
    shape: tuple[int, int], four_neighbors: bool
) -> tuple[Int64Array, Int64Array, BoolArray]:
    """Every edge of a full ``shape`` grid as flat cell indices ``(a, b, diagonal)``."""
    h, w = shape
    idx = np.arange(h * w, dtype=np.int64).reshape(h, w)
    aa: list[Int64Array] = []
    bb: list[Int64Array] = []
    dd: list[BoolArray] = []
    for dr, dc, diagonal in _neighbour_offsets(four_neighbors):
        c0, c1 = (0, w - dc) if dc >= 0 else (-dc, w)
        a = idx[0 : h - dr, c0:c1]
        b = idx[dr:h, c0 + dc : c1 + dc]
        aa.append(a.ravel())
        bb.append(b.ravel())
        dd.append(np.full(a.size, diagonal))
    return np.concatenate(aa), np.concatenate(bb), np.concatenate(dd)


@dataclass
class Plan:
    """What a window's solve needs that depends on its pattern, not its values.

    Attributes
    ----------
    shape : (int, int)
        Window rows and columns.
    cells : int array
        Flat cell index of each node of the pattern; node 0 is the ground.
    ea, eb : int arrays
        Node numbers of the component's edges.
    diagonal : bool array
        Which edges are diagonal.
    cell_a, cell_b : int arrays
        Flat cell indices of the same edges (to read conductances).
    indptr, indices : int arrays
        Upper triangle of the grounded Laplacian (the ground's row and column
        removed) in compressed-column form.
    diag_pos : int array
        Position in ``data`` of the diagonal of each unknown (nodes 1..n-1).
    edge_pos : int array
        Position in ``data`` of each edge between two unknowns, -1 for edges to ground.
    factor : Any
        The solver (an :class:`._ldl.Factor`, qdldl's, or a SuperLU factor) once a
        window has used the plan.
    null_weights, null_factor
        Edge weights and factor of the null model (conductance 1), made once.
    """

    shape: tuple[int, int]
    cells: Int64Array
    ea: Int64Array
    eb: Int64Array
    diagonal: BoolArray
    cell_a: Int64Array
    cell_b: Int64Array
    indptr: npt.NDArray[np.int32]
    indices: npt.NDArray[np.int32]
    diag_pos: Int64Array
    edge_pos: Int64Array
    factor: Any = None
    null_weights: FloatArray | None = field(default=None, repr=False)
    null_factor: Any = None

    @property
    def n(self) -> int:
        """Nodes of the pattern, the ground included."""
        return int(self.cells.size)


def _make_plan(nodes: BoolArray, ground: int, four_neighbors: bool) -> Plan:
    """Number the cells of ``nodes`` (ground first) and lay out their grounded Laplacian."""
    shape = (int(nodes.shape[0]), int(nodes.shape[1]))
    flat = nodes.ravel()
    a, b, diagonal = grid_edges(shape, four_neighbors)
    keep = flat[a] & flat[b]
    a, b, diagonal = a[keep], b[keep], diagonal[keep]
    cells = np.flatnonzero(flat)
    # Put the ground first so the unknowns are nodes 1..n-1.
    cells = np.r_[ground, cells[cells != ground]]
    number = np.full(flat.size, -1, dtype=np.int64)
    number[cells] = np.arange(cells.size)
    ea, eb = number[a], number[b]
    n_unknown = cells.size - 1
    # Upper triangle of the grounded Laplacian (unknown k is node k + 1).
    both = (ea > 0) & (eb > 0)
    rows = np.concatenate([np.arange(n_unknown), np.minimum(ea[both], eb[both]) - 1])
    cols = np.concatenate([np.arange(n_unknown), np.maximum(ea[both], eb[both]) - 1])
    order_csc = np.lexsort((rows, cols))
    pos = np.empty(order_csc.size, dtype=np.int64)
    pos[order_csc] = np.arange(order_csc.size)
    indptr = np.zeros(n_unknown + 1, dtype=np.int32)
    np.cumsum(np.bincount(cols, minlength=n_unknown), out=indptr[1:])
    edge_pos = np.full(ea.size, -1, dtype=np.int64)
    edge_pos[both] = pos[n_unknown:]
    return Plan(
        shape=shape,
        cells=cells,
        ea=ea,
        eb=eb,
        diagonal=diagonal,
        cell_a=a,
        cell_b=b,
        indptr=indptr,
        indices=rows[order_csc].astype(np.int32),
        diag_pos=pos[:n_unknown],
        edge_pos=edge_pos,
    )


def _factorize(factor: Any, matrix: sp.csc_matrix, plan: Plan) -> Any:
    """Factorise ``matrix`` (upper triangle), reusing ``factor``'s symbolic analysis.

    With numba, :mod:`._ldl` in the nested-dissection order of ``plan``'s cells
    (1.7 times faster than qdldl on a radius-50 window); else qdldl (its own minimum
    degree order); else SuperLU.
    """
    if _ldl.AVAILABLE:
        if factor is None:
            rank = _ldl.nd_rank(plan.shape)[plan.cells[1:]]
            factor = _ldl.Factor.analyse(plan.indptr, plan.indices, rank)
        factor.update(matrix.data)
        return factor
    try:
        import qdldl
    except ImportError:  # pragma: no cover - qdldl is a dependency; SuperLU is the fallback
        qdldl = None
    if qdldl is None:
        import scipy.sparse.linalg as spla  # deferred: scipy

        full = (matrix + sp.triu(matrix, k=1).T).tocsc()
        return spla.splu(
            full,
            permc_spec="MMD_AT_PLUS_A",
            diag_pivot_thresh=0.0,
            options={"SymmetricMode": True},
        )
    if factor is None:
        return qdldl.Solver(matrix, upper=True)
    factor.update(matrix, upper=True)
    return factor


class WindowSolver:
    """Solves windows, caching one :class:`Plan` per window shape.

    Parameters
    ----------
    four_neighbors : bool
        Connect cells to their four orthogonal neighbours only.
    """

    def __init__(self, *, four_neighbors: bool) -> None:
        self.four_neighbors = four_neighbors
        self._plans: OrderedDict[tuple[int, ...], Plan] = OrderedDict()
        self._bytes = 0
        self._structure = np.ones((3, 3), dtype=bool)
        if four_neighbors:
            self._structure[[0, 0, 2, 2], [0, 2, 0, 2]] = False
        self.solves = 0
        self.plan_builds = 0

    def _plan(self, shape: tuple[int, int], ground: tuple[int, int], reach: int) -> Plan:
        """The plan of a window: the disk of ``reach`` around the ground (-1: every cell)."""
        key = (*shape, *ground, reach)
        plans = self._plans
        if key in plans:
            plans.move_to_end(key)
            return plans[key]
        if reach < 0:
            nodes = np.ones(shape, dtype=bool)
        else:
            rows = (np.arange(shape[0]) - ground[0]) ** 2
            cols = (np.arange(shape[1]) - ground[1]) ** 2
            nodes = rows[:, None] + cols[None, :] <= reach * reach
        plan = _make_plan(nodes, ground[0] * shape[1] + ground[1], self.four_neighbors)
        self.plan_builds += 1
        plans[key] = plan
        self._bytes += plan_bytes(plan.n)
        while self._bytes > PLAN_CACHE_BYTES and len(plans) > 1:
            _, old = plans.popitem(last=False)
            self._bytes -= plan_bytes(old.n)
        return plan

    def current(
        self,
        conductance: FloatArray | None,
        sources: FloatArray,
        ground: tuple[int, int],
        *,
        reach: int = -1,
    ) -> FloatArray | None:
        """Node currents of one window (shape of ``sources``), or None when nothing flows.

        Parameters
        ----------
        conductance : float array or None
            Cell conductances; cells that are not finite and positive are not nodes.
            None means the null model: every cell a node of conductance 1.
        sources : float array
            Current injected at each cell (A); a source on the ground is dropped.
        ground : (int, int)
            Row and column of the ground (the target) inside the window.
        reach : int
            Only cells within this distance of the ground can be nodes (the window's
            circle); -1 for every cell of the rectangle.
        """
        shape = (int(sources.shape[0]), int(sources.shape[1]))
        null = conductance is None
        plan = self._plan(shape, ground, -1 if null else reach)
        if plan.n < 2:
            return None
        src = sources.ravel()[plan.cells]
        src[0] = 0.0  # Circuitscape's rmvsrc: the ground's own source goes
        if null:
            if plan.null_weights is None:
                w = np.where(plan.diagonal, 1.0 / _SQRT2, 1.0)
                plan.null_weights = w
                plan.null_factor = _factorize(None, self._matrix(plan, w, None), plan)
            w = plan.null_weights
            factor = plan.null_factor
            if not np.any(src):
                return None
        else:
            assert conductance is not None
            g = conductance.ravel()[plan.cells]
            with np.errstate(invalid="ignore"):
                valid = np.isfinite(g) & (g > 0)
            if not valid[0]:
                return None  # the target is NoData: no ground, nothing is solved
            if not valid.all():
                valid = self._ground_component(conductance, plan, valid)
            src[~valid] = 0.0
            if not np.any(src):
                return None  # Circuitscape skips a component without a source
            if valid.sum() < COMPACT_FRACTION * plan.n:
                return self._compact(conductance, sources, plan, valid)
            if _ldl.AVAILABLE:
                w = _kernels.edge_weights(g, valid, plan.ea, plan.eb, plan.diagonal)
            else:
                ga, gb = g[plan.ea], g[plan.eb]
                live = valid[plan.ea] & valid[plan.eb]
                w = np.where(live, 0.5 * (np.where(live, ga, 0.0) + np.where(live, gb, 0.0)), 0.0)
                w[plan.diagonal] /= _SQRT2
            factor = _factorize(plan.factor, self._matrix(plan, w, valid), plan)
            plan.factor = factor
        self.solves += 1
        return _currents(plan, w, factor, src, sources.shape)

    def _compact(
        self, conductance: FloatArray, sources: FloatArray, plan: Plan, valid: BoolArray
    ) -> FloatArray:
        """Solve a window whose ground component is a small part of its pattern.

        The shared pattern would factorise every cell of the disk; a plan of the
        component alone (built for this window only) is cheaper.
        """
        mask = np.zeros(sources.size, dtype=bool)
        mask[plan.cells[valid]] = True
        own = _make_plan(mask.reshape(sources.shape), int(plan.cells[0]), self.four_neighbors)
        g = conductance.ravel()
        w = 0.5 * (g[own.cell_a] + g[own.cell_b])
        w[own.diagonal] /= _SQRT2
        src = sources.ravel()[own.cells]
        src[0] = 0.0
        factor = _factorize(None, self._matrix(own, w, None), own)
        self.solves += 1
        return _currents(own, w, factor, src, sources.shape)

    def _ground_component(self, conductance: FloatArray, plan: Plan, valid: BoolArray) -> BoolArray:
        """``valid`` narrowed to the ground's connected component (NoData can split it)."""
        from scipy import ndimage  # deferred: scipy

        mask = np.zeros(conductance.size, dtype=bool)
        mask[plan.cells] = valid
        labels, _ = ndimage.label(mask.reshape(conductance.shape), structure=self._structure)
        flat = labels.ravel()[plan.cells]
        return flat == flat[0]

    @staticmethod
    def _matrix(plan: Plan, w: FloatArray, valid: BoolArray | None) -> sp.csc_matrix:
        n = plan.n
        if _ldl.AVAILABLE:
            ok = np.ones(n, dtype=bool) if valid is None else valid
            size = plan.indices.size
            data = _kernels.assemble(n, plan.ea, plan.eb, w, ok, plan.diag_pos, plan.edge_pos, size)
            return sp.csc_matrix((data, plan.indices, plan.indptr), shape=(n - 1, n - 1))
        degree = np.bincount(plan.ea, weights=w, minlength=n) + np.bincount(
            plan.eb, weights=w, minlength=n
        )
        if valid is not None:
            # Decoupled unknowns (NoData, cut off from the ground): x = 0 exactly.
            degree[~valid] = 1.0
        data = np.empty(plan.indices.size)
        data[plan.diag_pos] = degree[1:]
        inner = plan.edge_pos >= 0
        data[plan.edge_pos[inner]] = -w[inner]
        return sp.csc_matrix((data, plan.indices, plan.indptr), shape=(n - 1, n - 1))


def _currents(
    plan: Plan, w: FloatArray, factor: Any, src: FloatArray, shape: tuple[int, ...]
) -> FloatArray:
    """Node currents on the window's cells, from the factorised grounded Laplacian."""
    volts = np.zeros(plan.n)
    volts[1:] = factor.solve(np.ascontiguousarray(src[1:]))
    if _ldl.AVAILABLE:
        through = _kernels.node_currents(plan.n, plan.ea, plan.eb, w, volts)
    else:
        graph = Graph(plan.n, plan.ea, plan.eb, w, _EMPTY, _EMPTY_INT, 1)
        through = node_currents(graph, volts)
    out = np.zeros(math.prod(shape))
    out[plan.cells] = through
    return out.reshape(shape)


_EMPTY = sp.csr_matrix((0, 0))
_EMPTY_INT = np.zeros(0, dtype=np.int64)
