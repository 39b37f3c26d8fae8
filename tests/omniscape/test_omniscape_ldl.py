"""The nested-dissection LDLᵀ of the window Laplacians against scipy's solver."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from corridors.omniscape import _ldl
from corridors.omniscape._window import WindowSolver, _make_plan

pytestmark = pytest.mark.skipif(not _ldl.AVAILABLE, reason="numba is not installed")


@pytest.mark.parametrize("shape", [(1, 1), (1, 7), (2, 2), (9, 4), (21, 21), (30, 17)])
def test_nd_rank_orders_every_cell_once(shape: tuple[int, int]) -> None:
    rank = _ldl.nd_rank(shape)
    assert np.array_equal(np.sort(rank), np.arange(shape[0] * shape[1]))


@pytest.mark.parametrize("four", [False, True])
@pytest.mark.parametrize("holes", [0.0, 0.3])
def test_factor_solves_window_laplacians(four: bool, holes: float) -> None:
    """Disks (some cells missing) of random conductance: same voltages as spsolve."""
    rng = np.random.default_rng(7)
    reach = 12
    d = np.arange(-reach, reach + 1)
    nodes = d[:, None] ** 2 + d[None, :] ** 2 <= reach**2
    nodes &= rng.random(nodes.shape) >= holes
    nodes[reach, reach] = True
    plan = _make_plan(nodes, reach * nodes.shape[1] + reach, four)
    rank = _ldl.nd_rank(plan.shape)[plan.cells[1:]]
    factor = _ldl.Factor.analyse(plan.indptr, plan.indices, rank)
    for _ in range(3):  # one analysis, several windows' values
        w = rng.lognormal(0.0, 2.0, plan.ea.size)
        upper = WindowSolver._matrix(plan, w, None)
        full = (upper + sp.triu(upper, k=1).T).tocsc()
        # Cells cut off from the ground make the Laplacian singular: regularise them.
        full = full + sp.identity(full.shape[0]) * 1e-3
        upper = sp.triu(full).tocsc()
        assert np.array_equal(upper.indices, plan.indices)  # the layout analysed
        b = rng.normal(size=full.shape[0])
        factor.update(upper.data)
        want = spla.spsolve(full, b)
        assert np.allclose(factor.solve(b), want, rtol=1e-9, atol=1e-12 * np.abs(want).max())


def test_factor_refuses_an_indefinite_matrix() -> None:
    a = sp.csc_matrix(np.array([[1.0, 2.0], [0.0, 1.0]]))  # upper triangle of [[1,2],[2,1]]
    factor = _ldl.Factor.analyse(a.indptr, a.indices, np.arange(2))
    with pytest.raises(np.linalg.LinAlgError):
        factor.update(a.data)


def test_kernels_give_the_numpy_numbers_bit_for_bit(monkeypatch: pytest.MonkeyPatch) -> None:
    """Edge weights, assembly and node currents: numba and numpy agree exactly."""
    from corridors.circuit._graph import Graph, node_currents
    from corridors.omniscape import _kernels
    from corridors.omniscape._window import _SQRT2

    rng = np.random.default_rng(3)
    reach = 10
    d = np.arange(-reach, reach + 1)
    plan = _make_plan(d[:, None] ** 2 + d[None, :] ** 2 <= reach**2, reach * 21 + reach, False)
    g = rng.lognormal(0.0, 1.5, plan.n)
    valid = rng.random(plan.n) > 0.2
    valid[0] = True
    w = _kernels.edge_weights(g, valid, plan.ea, plan.eb, plan.diagonal)
    live = valid[plan.ea] & valid[plan.eb]
    want_w = np.where(live, 0.5 * (g[plan.ea] + g[plan.eb]), 0.0)
    want_w[plan.diagonal] /= _SQRT2
    assert np.array_equal(w, want_w)
    fast = WindowSolver._matrix(plan, w, valid)
    monkeypatch.setattr(_ldl, "AVAILABLE", False)
    slow = WindowSolver._matrix(plan, w, valid)
    assert np.array_equal(fast.data, slow.data)
    volts = np.r_[0.0, rng.normal(size=plan.n - 1)]
    graph = Graph(plan.n, plan.ea, plan.eb, w, sp.csr_matrix((0, 0)), np.zeros(0, np.int64), 1)
    got = _kernels.node_currents(plan.n, plan.ea, plan.eb, w, volts)
    assert np.array_equal(got, node_currents(graph, volts))
