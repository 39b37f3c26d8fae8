"""Turning rasters into resistor networks: node maps, edge conductances, Laplacians.

A cell with positive conductance is a node. Cells that share a short-circuit
region (polygon) or a focal region are merged into one node; merging is
transitive, so a focal region that touches a polygon joins it. Neighbouring
nodes are joined by a conductance averaged as Circuitscape defines it:

* average resistances: ``2 g1 g2 / (g1 + g2)`` (series resistors of half a cell each);
* average conductances: ``(g1 + g2) / 2``;
* diagonal links (8 neighbours) divide either by ``sqrt(2)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from .._typing import FloatArray, Int64Array

_SQRT2 = float(np.sqrt(2.0))


@dataclass
class Graph:
    """A resistor network with its Laplacian and connected components.

    Attributes
    ----------
    n : int
        Number of nodes.
    u, v, w : arrays
        Each undirected edge once (``u < v``) with its conductance ``w``.
    laplacian : scipy.sparse.csr_matrix
        ``D - A``; singular on each connected component.
    components : ndarray
        Component label of each node.
    ncomponents : int
    """

    n: int
    u: Int64Array
    v: Int64Array
    w: FloatArray
    laplacian: sp.csr_matrix
    components: Int64Array
    ncomponents: int


def graph_from_edges(n: int, i: Int64Array, j: Int64Array, w: FloatArray) -> Graph:
    """Build a :class:`Graph` from an edge list (duplicates summed, self-loops dropped)."""
    keep = (i != j) & (w != 0)
    i, j, w = i[keep], j[keep], w[keep]
    idx_dtype = np.int32 if 2 * i.size + n < 2**31 - 1 else np.int64
    i = i.astype(idx_dtype, copy=False)
    j = j.astype(idx_dtype, copy=False)
    w = w.astype(np.float64, copy=False)
    degree = np.bincount(i, weights=w, minlength=n) + np.bincount(j, weights=w, minlength=n)
    diag = np.arange(n, dtype=idx_dtype)
    # One COO -> CSR conversion assembles the whole Laplacian and sums the parallel
    # edges that merged nodes (polygons, focal regions) create.
    lap = sp.csr_matrix(
        (
            np.concatenate([-w, -w, degree]),
            (np.concatenate([i, j, diag]), np.concatenate([j, i, diag])),
        ),
        shape=(n, n),
    )
    lap.sum_duplicates()
    upper = sp.triu(lap, k=1, format="coo")
    u = upper.row.astype(np.int64)
    v = upper.col.astype(np.int64)
    ww = -upper.data
    ncomp, labels = connected_components(lap, directed=False)
    return Graph(n, u, v, ww, lap, labels.astype(np.int64), int(ncomp))


def component_matrix(
    graph: Graph, members: Int64Array, extra_diag: FloatArray | None = None
) -> sp.csr_matrix:
    """Laplacian restricted to ``members`` (plus an optional diagonal, e.g. finite grounds)."""
    lap = graph.laplacian
    m = lap if members.size == graph.n else lap[members][:, members]
    if extra_diag is not None and np.any(extra_diag):
        m = m + sp.diags(extra_diag, format="csr")
    return sp.csr_matrix(m)


def build_nodemap(
    valid: npt.NDArray[np.bool_], groups: Sequence[Int64Array]
) -> tuple[Int64Array, int]:
    """Number the nodes of a grid, merging cells that share a group label.

    Parameters
    ----------
    valid : bool array
        Cells with positive conductance.
    groups : sequence of int arrays
        Label layers (polygons, focal regions); 0 means no label. Cells with the same
        non-zero label in a layer are one node, and merges chain across layers.
        A labelled cell that is not valid still joins its node when the group has
        at least one valid cell, as in Circuitscape.

    Returns
    -------
    nodemap, n
        ``nodemap`` holds 1-based node numbers (0 where there is no node).
    """
    shape = valid.shape
    flat_valid = valid.ravel()
    layers = [np.asarray(g).ravel() for g in groups if g is not None and np.any(g)]
    if not layers:
        nodemap = np.zeros(flat_valid.size, dtype=np.int64)
        nodemap[flat_valid] = np.arange(1, int(flat_valid.sum()) + 1)
        return nodemap.reshape(shape), int(flat_valid.sum())

    ncells = flat_valid.size
    rows: list[Int64Array] = []
    cols: list[Int64Array] = []
    offset = ncells
    for layer in layers:
        cells = np.flatnonzero(layer)
        _, inverse = np.unique(layer[cells], return_inverse=True)
        nlab = int(inverse.max()) + 1 if inverse.size else 0
        rows.append(cells.astype(np.int64))
        cols.append(inverse.astype(np.int64) + offset)
        offset += nlab
    r = np.concatenate(rows)
    c = np.concatenate(cols)
    link = sp.coo_matrix((np.ones(r.size, dtype=np.int8), (r, c)), shape=(offset, offset))
    _, comp = connected_components(link, directed=False)
    cell_comp = comp[:ncells]
    has_valid = np.zeros(int(comp.max()) + 1, dtype=bool)
    has_valid[cell_comp[flat_valid]] = True
    member = has_valid[cell_comp]
    # Number nodes in order of their first cell so numbering is deterministic.
    uniq, first = np.unique(cell_comp[member], return_index=True)
    order = np.argsort(first, kind="stable")
    number = np.zeros(int(comp.max()) + 1, dtype=np.int64)
    number[uniq[order]] = np.arange(1, uniq.size + 1)
    nodemap = np.zeros(ncells, dtype=np.int64)
    nodemap[member] = number[cell_comp[member]]
    return nodemap.reshape(shape), int(uniq.size)


def grid_graph(
    conductance: FloatArray,
    nodemap: Int64Array,
    n: int,
    *,
    four_neighbors: bool,
    avg_resistances: bool,
) -> Graph:
    """Build the resistor network of a grid.

    Parameters
    ----------
    conductance : float array
        Cell conductances (0 where there is no habitat).
    nodemap : int array
        Output of :func:`build_nodemap`.
    n : int
        Number of nodes.
    four_neighbors : bool
        Connect only the four orthogonal neighbours.
    avg_resistances : bool
        Average resistances (``True``) or conductances (``False``).
    """
    nm = nodemap
    links = _links(conductance, nm, four_neighbors=four_neighbors, avg=avg_resistances)
    numbers = nm[nm > 0]
    if numbers.size == n and np.array_equal(numbers, np.arange(1, n + 1)):
        # Every node is one cell, numbered in reading order: no parallel edges can
        # exist, and each row's columns are known in order, so the Laplacian is
        # written straight into CSR instead of being sorted out of an edge list.
        return _lattice_graph(links, nm, n)
    ii: list[Int64Array] = []
    jj: list[Int64Array] = []
    ww: list[FloatArray] = []
    for link in links:
        ii.append(link.a_nodes[link.present] - 1)
        jj.append(link.b_nodes[link.present] - 1)
        ww.append(link.w[link.present])
    if ii:
        i = np.concatenate(ii)
        j = np.concatenate(jj)
        w = np.concatenate(ww)
    else:
        i = j = np.zeros(0, dtype=np.int64)
        w = np.zeros(0)
    return graph_from_edges(n, i, j, w)


@dataclass
class _Link:
    """The edges of one neighbour direction, on the cells where both ends lie.

    ``a`` cells are ``[r0:r1, 0:ncols - dc]``, ``b`` cells the same shifted by
    ``(dr, dc)``; ``present`` marks the edges that exist (both ends are distinct
    nodes), ``w`` their conductances.
    """

    dr: int
    dc: int
    r0: int
    r1: int
    a_nodes: Int64Array
    b_nodes: Int64Array
    present: npt.NDArray[np.bool_]
    w: FloatArray


def _links(g: FloatArray, nm: Int64Array, *, four_neighbors: bool, avg: bool) -> list[_Link]:
    """Edges and conductances per neighbour direction (right, down, then diagonals)."""
    nrows, ncols = g.shape
    offsets: list[tuple[int, int, bool]] = [(0, 1, False), (1, 0, False)]
    if not four_neighbors:
        offsets += [(1, 1, True), (-1, 1, True)]
    out: list[_Link] = []
    for dr, dc, diagonal in offsets:
        r0a, r1a = (0, nrows - dr) if dr >= 0 else (-dr, nrows)
        r0b, r1b = r0a + dr, r1a + dr
        a_nm = nm[r0a:r1a, 0 : ncols - dc]
        b_nm = nm[r0b:r1b, dc:ncols]
        mask = (a_nm > 0) & (b_nm > 0) & (a_nm != b_nm)
        ga = np.where(mask, g[r0a:r1a, 0 : ncols - dc], 1.0)
        gb = np.where(mask, g[r0b:r1b, dc:ncols], 1.0)
        if avg:
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                w = 2.0 * ga * gb / (ga + gb)
            w[~np.isfinite(w)] = 0.0
        else:
            w = 0.5 * (ga + gb)
        if diagonal:
            w = w / _SQRT2
        # Links of zero conductance are no edges (an infinite average, for one).
        present = mask & (w != 0)
        out.append(_Link(dr, dc, r0a, r1a, a_nm, b_nm, present, w))
    return out


def _lattice_graph(links: list[_Link], nodemap: Int64Array, n: int) -> Graph:
    """The :class:`Graph` of a grid whose nodes are its habitat cells in reading order.

    Gives exactly the matrix :func:`graph_from_edges` assembles from the same links
    (same entries in the same order, same floating-point sums) without sorting: each
    cell's row is laid out in a fixed slot per direction, in column order (neighbours
    at smaller cell offsets first), and the slots that hold an entry are kept.
    """
    nrows, ncols = nodemap.shape
    shifts = sorted({s * (link.dr * ncols + link.dc) for link in links for s in (1, -1)} | {0})
    slot = {shift: k for k, shift in enumerate(shifts)}
    nslots = len(shifts)
    idx_dtype = np.int32 if nrows * ncols * nslots < 2**31 - 1 else np.int64
    data = np.empty((nrows, ncols, nslots))
    cols = np.empty((nrows, ncols, nslots), dtype=idx_dtype)
    kept = np.zeros((nrows, ncols, nslots), dtype=bool)
    # The degree adds up as graph_from_edges adds its edge list: the links of which
    # the node is the ``a`` end, direction by direction, then those of the ``b`` end.
    deg_a = np.zeros((nrows, ncols))
    deg_b = np.zeros((nrows, ncols))
    for link in links:
        w = np.where(link.present, link.w, 0.0)
        a_end = (slice(link.r0, link.r1), slice(0, ncols - link.dc))
        b_end = (slice(link.r0 + link.dr, link.r1 + link.dr), slice(link.dc, ncols))
        deg_a[a_end] += w
        deg_b[b_end] += w
        shift = link.dr * ncols + link.dc
        for end, other, k in (
            (a_end, link.b_nodes, slot[shift]),
            (b_end, link.a_nodes, slot[-shift]),
        ):
            data[(*end, k)] = -w
            cols[(*end, k)] = other - 1
            kept[(*end, k)] = link.present
    data[..., slot[0]] = deg_a + deg_b
    del deg_a, deg_b
    cols[..., slot[0]] = nodemap - 1
    kept[..., slot[0]] = nodemap > 0
    counts = np.count_nonzero(kept, axis=2).ravel()
    counts = counts[counts > 0]
    indptr = np.zeros(n + 1, dtype=idx_dtype)
    np.cumsum(counts, out=indptr[1:])
    lap = sp.csr_matrix((data[kept], cols[kept], indptr), shape=(n, n))
    del data, cols, kept
    # Each edge once, u < v, in the order of the Laplacian's upper triangle.
    rows = np.repeat(np.arange(n, dtype=idx_dtype), counts)
    upper = lap.indices > rows
    u = rows[upper].astype(np.int64)
    v = lap.indices[upper].astype(np.int64)
    ww = -lap.data[upper]
    del rows, upper
    ncomp, labels = connected_components(lap, directed=False)
    return Graph(n, u, v, ww, lap, labels.astype(np.int64), int(ncomp))


def node_currents(
    graph: Graph, voltages: FloatArray, finite_grounds: FloatArray | None = None
) -> FloatArray:
    """Current through each node: the larger of its total inflow and total outflow.

    Injected source currents are not counted, only branch currents and the
    currents into finite grounds, as in Circuitscape. Branch currents below
    1e-8 of the largest are treated as zero, again as Circuitscape does.
    """
    c = graph.w * (voltages[graph.u] - voltages[graph.v])  # flow u -> v
    pos = c.copy()
    if pos.size:
        top = pos.max()
        if top != 0:
            pos[np.abs(pos / top) < 1e-8] = 0.0
    neg = -c
    if neg.size:
        top = neg.max()
        if top != 0:
            neg[np.abs(neg / top) < 1e-8] = 0.0
    n = graph.n
    # Inflow: positive u->v flows enter v, negative ones enter u.
    inflow = np.bincount(graph.v, weights=np.maximum(pos, 0), minlength=n) + np.bincount(
        graph.u, weights=np.maximum(-pos, 0), minlength=n
    )
    outflow = np.bincount(graph.u, weights=np.maximum(-neg, 0), minlength=n) + np.bincount(
        graph.v, weights=np.maximum(neg, 0), minlength=n
    )
    if finite_grounds is not None:
        to_ground = finite_grounds * voltages
        inflow += np.where(to_ground < 0, -to_ground, 0.0)
        outflow += np.where(to_ground > 0, to_ground, 0.0)
    return np.maximum(inflow, outflow)


def branch_currents(graph: Graph, voltages: FloatArray) -> FloatArray:
    """Absolute current through each edge (``graph.u``, ``graph.v``)."""
    c = graph.w * (voltages[graph.u] - voltages[graph.v])
    if c.size:
        # Circuitscape compares with the largest signed flow from lower to higher node.
        top = c.max()
        if top != 0:
            c[np.abs(c / top) < 1e-8] = 0.0
    return np.abs(c)
