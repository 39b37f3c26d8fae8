"""Brownian bridges: the motion variance, the two-fix bridge and grid agreement."""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely
from pyproj import CRS
from tracking_tracks import brownian_xy, fixes_from_xy

from corridors import tracking as tr
from corridors.tracking._grid import make_grid
from corridors.tracking._kernel import (
    TAIL_MASS,
    TRUNCATE_SD,
    Steps,
    bridge_steps,
    estimate_variance,
    loo_terms,
    occurrence,
    occurrence_dense_peer,
)

UTM12 = CRS.from_epsg(32612)


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
@pytest.mark.parametrize(
    ("dt_min", "variance", "error_m"), [(60, 500.0, 0.0), (120, 1500.0, 20.0), (240, 3000.0, 30.0)]
)
def test_motion_variance_within_sampling_error(
    seed: int, dt_min: float, variance: float, error_m: float
) -> None:
    """The estimate lies within 3.5 standard errors (Fisher information) of the truth.

    Horne et al.'s likelihood leaves the middle fix's own error out, so under
    independent errors the expected estimate is the truth plus delta^2 / (T a (1 - a)),
    i.e. 2 delta^2 / dt for regular fixes: the bound is taken around that.
    """
    rng = np.random.default_rng(seed)
    n = 801
    xy = brownian_xy(n, dt_min, variance, error_m, rng)
    t = np.arange(n) * dt_min
    est = estimate_variance(xy[:, 0], xy[:, 1], t.astype(float), error_m, 1e9)
    expected = variance + 2 * error_m**2 / dt_min
    assert est.n_bridges == (n - 1) // 2
    assert abs(est.m2_per_min - expected) <= 3.5 * est.stderr_m2_per_min
    # The standard error itself: 1/sqrt(n/2) of the variance without location error.
    if error_m == 0:
        assert est.stderr_m2_per_min == pytest.approx(est.m2_per_min / math.sqrt(est.n_bridges))


def test_motion_variance_public_api_matches_kernel() -> None:
    rng = np.random.default_rng(7)
    xy = brownian_xy(200, 120, 1000.0, 20.0, rng)
    fixes = fixes_from_xy(xy, np.arange(200) * 2.0)
    mv = tr.motion_variance(fixes, location_error_m=20.0, crs=UTM12)
    assert 600 < float(mv) < 1600
    assert mv.location_error_m == 20.0


def test_motion_variance_estimates_scatter_as_stated() -> None:
    """Over many seeds the z-scores have mean ~0 and spread ~1 (the bound is honest)."""
    z = []
    for seed in range(40):
        rng = np.random.default_rng(100 + seed)
        xy = brownian_xy(401, 120, 1000.0, 0.0, rng)
        est = estimate_variance(xy[:, 0], xy[:, 1], np.arange(401) * 120.0, 0.0, 1e9)
        z.append((est.m2_per_min - 1000.0) / est.stderr_m2_per_min)
    assert abs(np.mean(z)) < 0.5
    assert 0.7 < np.std(z) < 1.3


def test_leave_one_out_terms_use_every_other_fix() -> None:
    x = np.array([0.0, 10.0, 20.0, 30.0, 40.0])
    y = np.zeros(5)
    t = np.array([0.0, 30.0, 60.0, 120.0, 180.0])
    r2, a, c = loo_terms(x, y, t, 5.0, 1e9)
    # Fixes 1 and 3 left out; bridge 0->2 puts fix 1 exactly on its mean.
    assert r2[0] == pytest.approx(0.0)
    assert a[0] == pytest.approx(60 * 0.5 * 0.5)
    # Bridge 2->4 at alpha 0.5: mean 30, fix 3 is on it; c = 0.5 delta^2.
    assert c[1] == pytest.approx(0.5 * 25.0)


def _grid(cell: float, half_m: float = 6000.0):
    x = np.array([-half_m, half_m])
    return make_grid(x, x, crs=UTM12, cell_size_m=cell, margin_m=0.0, extent=None)


def test_two_fix_bridge_integrates_to_one_with_the_right_moments() -> None:
    x0, y0, x1, y1 = -1500.0, -300.0, 1800.0, 900.0
    T, var, delta = 240.0, 800.0, 25.0
    steps = bridge_steps(
        np.array([x0, x1]),
        np.array([y0, y1]),
        np.array([0.0, T]),
        variance_m2_per_min=var,
        delta_m=delta,
        time_step_min=5.0,
        max_lag_min=480.0,
    )
    grid = _grid(20.0)
    ud = occurrence(steps, grid).dense(0, grid.nrows, 0, grid.ncols)
    assert ud.sum() == pytest.approx(1.0, abs=1e-12)
    xc = grid.left + (np.arange(grid.ncols) + 0.5) * grid.cell_size_m
    yc = grid.top - (np.arange(grid.nrows) + 0.5) * grid.cell_size_m
    mx = float((ud.sum(axis=0) * xc).sum())
    my = float((ud.sum(axis=1) * yc).sum())
    assert mx == pytest.approx((x0 + x1) / 2, abs=0.5)
    assert my == pytest.approx((y0 + y1) / 2, abs=0.5)
    # Variance along x: spread of the means over time plus the mean bridge variance,
    # from the midpoint rule's own steps (K = 48).
    K = 48
    alpha = (np.arange(K) + 0.5) / K
    means = x0 + alpha * (x1 - x0)
    bridge_var = T * alpha * (1 - alpha) * var + ((1 - alpha) ** 2 + alpha**2) * delta**2
    expect_vx = np.var(means) + bridge_var.mean()
    vx = float((ud.sum(axis=0) * (xc - mx) ** 2).sum())
    assert vx == pytest.approx(expect_vx, rel=1e-4)


@pytest.mark.parametrize("alpha", [0.25, 0.5, 0.8])
def test_bridge_step_follows_the_line_with_the_bridge_variance(alpha: float) -> None:
    """One time step at alpha: mean on the straight line, variance of the formula."""
    x0, y0, x1, y1 = -1000.0, 500.0, 2000.0, -700.0
    T, var, delta = 180.0, 1200.0, 20.0
    mx, my = x0 + alpha * (x1 - x0), y0 + alpha * (y1 - y0)
    sd = math.sqrt(T * alpha * (1 - alpha) * var + ((1 - alpha) ** 2 + alpha**2) * delta**2)
    one = Steps(np.array([mx]), np.array([my]), np.array([sd]), np.array([1.0]), np.zeros(1, int))
    grid = _grid(10.0)
    ud = occurrence(one, grid).dense(0, grid.nrows, 0, grid.ncols)
    xc = grid.left + (np.arange(grid.ncols) + 0.5) * 10.0
    yc = grid.top - (np.arange(grid.nrows) + 0.5) * 10.0
    px, py = ud.sum(axis=0), ud.sum(axis=1)
    assert float((px * xc).sum()) == pytest.approx(mx, abs=1e-6)
    assert float((py * yc).sum()) == pytest.approx(my, abs=1e-6)
    assert float((px * (xc - mx) ** 2).sum()) == pytest.approx(sd**2, rel=1e-6)
    # The bridge_steps midpoints reproduce the same mean and sd at their alphas.
    steps = bridge_steps(
        np.array([x0, x1]),
        np.array([y0, y1]),
        np.array([0.0, T]),
        variance_m2_per_min=var,
        delta_m=delta,
        time_step_min=T / 4,
        max_lag_min=1e9,
    )
    a = (np.arange(4) + 0.5) / 4
    np.testing.assert_allclose(steps.mx, x0 + a * (x1 - x0))
    np.testing.assert_allclose(
        steps.sd**2, T * a * (1 - a) * var + ((1 - a) ** 2 + a**2) * delta**2
    )


def test_coarse_and_fine_grids_agree_after_aggregation() -> None:
    rng = np.random.default_rng(3)
    xy = brownian_xy(60, 120, 600.0, 20.0, rng)
    steps = bridge_steps(
        xy[:, 0],
        xy[:, 1],
        np.arange(60) * 120.0,
        variance_m2_per_min=600.0,
        delta_m=20.0,
        time_step_min=5.0,
        max_lag_min=480.0,
    )
    span = math.ceil((float(np.abs(xy).max()) + 3000.0) / 30.0) * 30.0
    fine = _grid(10.0, span)
    coarse = _grid(30.0, span)
    # Same corner: the coarse cells are 3 x 3 blocks of fine cells.
    assert (fine.left, fine.top) == (coarse.left, coarse.top)
    f = occurrence(steps, fine).dense(0, fine.nrows, 0, fine.ncols)
    c = occurrence(steps, coarse).dense(0, coarse.nrows, 0, coarse.ncols)
    agg = f[: coarse.nrows * 3, : coarse.ncols * 3].reshape(coarse.nrows, 3, coarse.ncols, 3)
    agg = agg.sum(axis=(1, 3))
    assert np.abs(agg - c).sum() < 0.02  # total variation distance under 1 %
    assert np.abs(agg - c).max() < 0.03 * c.max()


def test_fast_kernel_equals_the_straightforward_peer() -> None:
    rng = np.random.default_rng(11)
    xy = brownian_xy(25, 120, 900.0, 20.0, rng)
    steps = bridge_steps(
        xy[:, 0],
        xy[:, 1],
        np.arange(25) * 120.0,
        variance_m2_per_min=900.0,
        delta_m=20.0,
        time_step_min=5.0,
        max_lag_min=480.0,
    )
    margin = TRUNCATE_SD * steps.sd.max() + 100
    grid = make_grid(xy[:, 0], xy[:, 1], crs=UTM12, cell_size_m=30.0, margin_m=margin, extent=None)
    fast = occurrence(steps, grid).dense(0, grid.nrows, 0, grid.ncols)
    peer = occurrence_dense_peer(steps, grid)
    assert np.abs(fast - peer).max() < 1e-9


def test_bbmm_result_sums_to_one_and_isopleths_nest() -> None:
    rng = np.random.default_rng(5)
    xy = brownian_xy(120, 120, 800.0, 20.0, rng)
    fixes = fixes_from_xy(xy, np.arange(120) * 2.0)
    res = tr.bbmm(fixes, cell_size_m=50.0, crs=UTM12)
    [name] = list(res.uds)
    ud = res.ud(name)
    assert ud.sum() == pytest.approx(1.0)
    assert res.grid.crs == UTM12
    iso = res.isopleths.set_index("level")
    a50, a95, a99 = (float(iso.loc[v, "area_km2"]) for v in (0.5, 0.95, 0.99))
    assert 0 < a50 < a95 < a99
    assert iso.loc[0.99, "geometry"].contains(iso.loc[0.5, "geometry"])
    # The 95 % isopleth holds at least 95 % of the UD.
    from rasterio import features

    mask = features.geometry_mask(
        [iso.loc[0.95, "geometry"]],
        out_shape=res.grid.shape,
        transform=res.grid.transform,
        invert=True,
    )
    assert 0.95 <= ud[mask].sum() < 0.97
    assert res.sequences.loc[name, "motion_variance_m2_per_min"] > 0


def test_fixed_motion_variance_is_used() -> None:
    rng = np.random.default_rng(6)
    xy = brownian_xy(40, 120, 800.0, 20.0, rng)
    fixes = fixes_from_xy(xy, np.arange(40) * 2.0)
    wide = tr.bbmm(fixes, cell_size_m=50.0, crs=UTM12, motion_variance=5000.0, levels=(0.95,))
    narrow = tr.bbmm(fixes, cell_size_m=50.0, crs=UTM12, motion_variance=100.0, levels=(0.95,))
    assert wide.sequences["motion_variance_m2_per_min"].iloc[0] == 5000.0
    assert wide.isopleths["area_km2"].iloc[0] > 2 * narrow.isopleths["area_km2"].iloc[0]


# ----------------------------------------------------------------------------- the kernel


def _track_steps(
    seed: int, *, n: int = 30, dt_min: float = 120.0, variance: float = 900.0, error_m: float = 20.0
) -> Steps:
    """Steps of a Brownian track with jittered fix intervals and one 7 h gap (bridged)."""
    rng = np.random.default_rng(seed)
    xy = brownian_xy(n, dt_min, variance, error_m, rng)
    dt = dt_min * rng.uniform(0.6, 1.4, n - 1)
    dt[n // 2] = 420.0
    t = np.r_[0.0, np.cumsum(dt)]
    return bridge_steps(
        xy[:, 0],
        xy[:, 1],
        t,
        variance_m2_per_min=variance,
        delta_m=error_m,
        time_step_min=5.0,
        max_lag_min=480.0,
    )


def _grid_for(steps: Steps, cell: float):
    margin = TRUNCATE_SD * float(steps.sd.max()) + 2 * cell
    return make_grid(steps.mx, steps.my, crs=UTM12, cell_size_m=cell, margin_m=margin, extent=None)


def test_truncation_leaves_out_at_most_the_named_mass() -> None:
    """4 Phi(-k) is the mass beyond k standard deviations on either side of either axis;
    the named tolerance is far under the 1e-9 a UD must meet."""
    from scipy.stats import norm

    assert 4 * norm.sf(TRUNCATE_SD) <= TAIL_MASS * (1 + 1e-9)
    assert 4 * norm.sf(TRUNCATE_SD - 0.01) > TAIL_MASS  # and no wider than needed
    assert TAIL_MASS <= 1e-9 / 100


@pytest.mark.parametrize(
    ("seed", "cell", "variance", "error_m"),
    [
        (1, 30.0, 900.0, 20.0),
        (2, 10.0, 400.0, 10.0),
        (3, 100.0, 1500.0, 20.0),  # steps near the fixes narrower than a cell
        (4, 50.0, 50.0, 3.0),  # every step narrower than a cell
    ],
)
def test_fast_kernel_equals_the_peer_relative_to_its_largest_cell(
    seed: int, cell: float, variance: float, error_m: float
) -> None:
    steps = _track_steps(seed, variance=variance, error_m=error_m)
    grid = _grid_for(steps, cell)
    fast = occurrence(steps, grid).dense(0, grid.nrows, 0, grid.ncols)
    peer = occurrence_dense_peer(steps, grid)
    assert fast.sum() == pytest.approx(1.0, abs=1e-12)
    # The tails left out are at most exp(-k^2 / 2) of a step's peak, itself at most the
    # UD's largest cell: far under 1e-9 of it.
    assert np.abs(fast - peer).max() <= 1e-10 * peer.max()


def test_batches_and_bands_do_not_change_the_result(monkeypatch: pytest.MonkeyPatch) -> None:
    """Groups split over many small batches and windows crossing many band edges sum to
    the same UD."""
    from corridors.tracking import _kernel

    steps = _track_steps(5, n=60)
    grid = _grid_for(steps, 20.0)
    whole = occurrence(steps, grid)
    monkeypatch.setattr(_kernel, "BATCH_VALUES", 500)
    monkeypatch.setattr(_kernel, "BAND_ROWS", _kernel.TILE)
    split = occurrence(steps, grid)
    a = whole.dense(0, grid.nrows, 0, grid.ncols)
    b = split.dense(0, grid.nrows, 0, grid.ncols)
    # Smaller groups take fewer cells beyond their steps' own windows: the tails there,
    # at most exp(-k^2 / 2) of a step's peak, are all that may differ.
    assert np.abs(a - b).max() <= np.exp(-(TRUNCATE_SD**2) / 2) * a.max()


def test_a_step_without_spread_is_a_point_mass() -> None:
    """sd = 0 (no motion variance, no location error): all of a step in its cell."""
    grid = _grid(30.0, 600.0)
    mx, my = np.array([15.0, -100.0]), np.array([44.0, 250.0])
    one = Steps(mx, my, np.zeros(2), np.array([0.25, 0.75]), np.zeros(2, int))
    ud = occurrence(one, grid).dense(0, grid.nrows, 0, grid.ncols)
    assert np.isfinite(ud).all()
    cols = np.floor((mx - grid.left) / 30.0).astype(int)
    rows = np.floor((grid.top - my) / 30.0).astype(int)
    assert ud[rows, cols] == pytest.approx([0.25, 0.75])
    assert ud.sum() == pytest.approx(1.0)


def test_an_extent_cutting_the_windows_renormalises_what_is_left() -> None:
    """On a grid that cuts the steps' windows, the UD is the full grid's UD cropped to
    it and renormalised: each step loses only what falls outside."""
    steps = _track_steps(6)
    big = _grid_for(steps, 30.0)
    full = occurrence(steps, big).dense(0, big.nrows, 0, big.ncols)
    # The upper-left part, down to the middle of the track: cuts through windows.
    rows = int((big.top - np.median(steps.my)) // 30.0)
    cols = int((np.median(steps.mx) - big.left) // 30.0)
    small = make_grid(
        np.zeros(1),
        np.zeros(1),
        crs=UTM12,
        cell_size_m=30.0,
        margin_m=0.0,
        extent=(big.left, big.top - rows * 30.0, big.left + cols * 30.0, big.top),
    )
    assert small.shape == (rows, cols)
    cut = occurrence(steps, small).dense(0, small.nrows, 0, small.ncols)
    crop = full[:rows, :cols]
    assert 0.05 < crop.sum() < 0.95  # the extent does cut the distribution
    np.testing.assert_allclose(cut, crop / crop.sum(), rtol=1e-9, atol=1e-12 * cut.max())


def test_a_ud_pickles_whole_and_after_adding() -> None:
    import pickle

    steps = _track_steps(7)
    grid = _grid_for(steps, 30.0)
    ud = occurrence(steps, grid)
    back = pickle.loads(pickle.dumps(ud))
    assert back.tile == ud.tile and set(back.tiles) == set(ud.tiles)
    for k, v in ud.tiles.items():
        np.testing.assert_array_equal(back.tiles[k], v)
    # add() into existing tiles and beyond them: the pickle follows.
    r0, _, c0, _ = ud.tile_bounds()
    ud.add(r0 - 70, c0 + 5, np.full((100, 3), 0.5))
    again = pickle.loads(pickle.dumps(ud))
    a = ud.dense(r0 - 128, r0 + 128, c0, c0 + 128)
    np.testing.assert_array_equal(again.dense(r0 - 128, r0 + 128, c0, c0 + 128), a)
    assert again.total() == pytest.approx(ud.total())


@pytest.mark.parametrize("level", [0.1, 0.5, 0.95, 0.99])
def test_volume_mask_is_the_value_a_full_sort_gives(level: float) -> None:
    from corridors.tracking._bbmm import volume_mask

    rng = np.random.default_rng(int(level * 100))
    samples = [
        rng.random(3000),
        np.exp(-rng.random(5000) * 80),  # a UD's tails: values over 35 decades
        rng.integers(0, 4, 2000).astype(float),  # ties and zeros
        np.r_[np.zeros(50), rng.random(1)],
    ]
    for values in samples:
        v = np.sort(values[values > 0])[::-1]
        cum = np.cumsum(v)
        k = int(np.searchsorted(cum, level * cum[-1] * (1 - 1e-12)))
        assert volume_mask(values, level) == v[min(k, len(v) - 1)]


@pytest.mark.parametrize("cell", [40.0, 37.5])
def test_isopleths_by_rows_of_tiles_equal_the_whole_grid_polygonised(cell: float) -> None:
    """Polygons joined from rows of tiles (whole-metre grids) or made whole (others)
    are the cells a polygonisation of the whole UD gives."""
    from rasterio import features

    rng = np.random.default_rng(8)
    # A long, winding track: many rows of tiles, holes and islands at the 50 % level.
    xy = brownian_xy(300, 120, 3000.0, 20.0, rng) + np.c_[np.arange(300) * 60.0, np.zeros(300)]
    fixes = fixes_from_xy(xy, np.arange(300) * 2.0)
    res = tr.bbmm(fixes, cell_size_m=cell, crs=UTM12, levels=(0.5, 0.95, 0.99))
    [name] = list(res.uds)
    ud = res.ud(name)
    iso = res.isopleths.set_index("level")
    from corridors.tracking._bbmm import volume_mask

    for level in (0.5, 0.95, 0.99):
        mask = ud >= volume_mask(res.uds[name].values(), level)
        shapes = features.shapes(mask.view(np.uint8), mask=mask, transform=res.grid.transform)
        expected = shapely.union_all([shapely.geometry.shape(g) for g, _ in shapes])
        got = iso.loc[level, "geometry"]
        assert got.equals(expected)
        assert got.area == pytest.approx(mask.sum() * cell**2)
