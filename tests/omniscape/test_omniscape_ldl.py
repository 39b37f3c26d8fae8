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
