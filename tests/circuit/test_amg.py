"""The multigrid-preconditioned CG solver agrees with a direct factorisation."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from corridors.circuit import ConvergenceWarning
from corridors.circuit._amg import pcg, smoothed_aggregation
from corridors.circuit._graph import build_nodemap, grid_graph
from corridors.circuit._solver import GroundedSolver


def _grounded_system(
    conductance: np.ndarray, *, four_neighbors: bool, extra_diag: float = 0.0
) -> tuple[sp.csr_matrix, np.ndarray]:
    nodemap, n = build_nodemap(conductance > 0, [])
    graph = grid_graph(conductance, nodemap, n, four_neighbors=four_neighbors, avg_resistances=True)
    comp = graph.components
    biggest = np.flatnonzero(comp == np.bincount(comp).argmax())
    a = graph.laplacian[biggest][:, biggest].tocsr()
    if extra_diag:
        a = (a + extra_diag * sp.eye(a.shape[0], format="csr")).tocsr()
    else:
        a = a[1:, 1:].tocsr()  # ground the first node
    b = np.zeros(a.shape[0])
    b[a.shape[0] // 2] = 1.0
    b[-1] = -0.5
    return a, b


def _surface(kind: str, side: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if kind == "lognormal-holes":
        g = rng.lognormal(0.0, 2.0, (side, side))
        g[rng.random((side, side)) < 0.3] = 0.0
    elif kind == "extreme-contrast":
        g = 10.0 ** rng.uniform(-3, 3, (side, side))  # uncorrelated, a millionfold range
    elif kind == "tiny-scale":
        # Conductances below float32's normal range: the V-cycle must stay in float64.
        g = 1e-33 * rng.lognormal(0.0, 1.0, (side, side))
    elif kind == "barrier-band":
        g = np.ones((side, side))
        g[:, side // 2 - 2 : side // 2 + 2] = 1e-4
        g[side // 3, :] = 1e3
    else:  # pragma: no cover - guarded by parametrize
        raise AssertionError(kind)
    return g


@pytest.mark.parametrize(
    "kind", ["lognormal-holes", "extreme-contrast", "tiny-scale", "barrier-band"]
)
@pytest.mark.parametrize("four_neighbors", [True, False])
def test_pcg_matches_direct_solve(kind: str, four_neighbors: bool) -> None:
    a, b = _grounded_system(_surface(kind, 90, seed=3), four_neighbors=four_neighbors)
    exact = spla.spsolve(a.tocsc(), b)
    h = smoothed_aggregation(a, max_coarse=50)
    assert h.nlevels >= 3
    x, iterations = pcg(a, b, h, rtol=1e-10, maxiter=500)
    assert 0 < iterations < 500
    np.testing.assert_allclose(x, exact, rtol=1e-6, atol=1e-9 * np.abs(exact).max())


def test_finite_ground_diagonal() -> None:
    a, b = _grounded_system(
        _surface("lognormal-holes", 80, seed=5), four_neighbors=False, extra_diag=1e-3
    )
    exact = spla.spsolve(a.tocsc(), b)
    x, _ = pcg(a, b, smoothed_aggregation(a, max_coarse=50), rtol=1e-10, maxiter=500)
    np.testing.assert_allclose(x, exact, rtol=1e-6, atol=1e-9 * np.abs(exact).max())


def test_single_precision_only_when_entries_fit() -> None:
    a, _ = _grounded_system(_surface("lognormal-holes", 60, seed=1), four_neighbors=True)
    assert smoothed_aggregation(a, max_coarse=50).operators[0].dtype == np.float32
    wide, _ = _grounded_system(_surface("tiny-scale", 60, seed=1), four_neighbors=True)
    assert smoothed_aggregation(wide, max_coarse=50).operators[0].dtype == np.float64


@pytest.mark.parametrize("single", [True, False])
def test_precision_of_the_preconditioner_does_not_change_the_answer(single: bool) -> None:
    a, b = _grounded_system(_surface("lognormal-holes", 90, seed=7), four_neighbors=True)
    exact = spla.spsolve(a.tocsc(), b)
    h = smoothed_aggregation(a, max_coarse=50, single_precision=single)
    x, _ = pcg(a, b, h, rtol=1e-10, maxiter=500)
    np.testing.assert_allclose(x, exact, rtol=1e-7, atol=1e-10 * np.abs(exact).max())


def test_iteration_limit_warns() -> None:
    a, b = _grounded_system(_surface("lognormal-holes", 60, seed=2), four_neighbors=True)
    with pytest.warns(ConvergenceWarning, match=r"reached 1 iterations with relative residual"):
        pcg(a, b, smoothed_aggregation(a, max_coarse=50), rtol=1e-12, maxiter=1)


def test_zero_right_hand_side_needs_no_iteration() -> None:
    a, b = _grounded_system(_surface("barrier-band", 30, seed=0), four_neighbors=True)
    x, iterations = pcg(a, np.zeros_like(b), smoothed_aggregation(a), rtol=1e-8, maxiter=10)
    assert iterations == 0
    assert not x.any()


def test_solves_are_repeatable_and_order_independent() -> None:
    a, b = _grounded_system(_surface("lognormal-holes", 70, seed=9), four_neighbors=False)
    solver = GroundedSolver(a, [], method="amg")
    b2 = np.roll(b, 17)
    first = solver.solve(b)
    second = solver.solve(b2)
    again = GroundedSolver(a, [], method="amg")
    np.testing.assert_array_equal(again.solve(b2), second)
    np.testing.assert_array_equal(again.solve(b), first)
