"""The array API: the algorithm against independent circuit solves, options, bad input."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corridors.circuit import JobTooLargeError, advanced
from corridors.errors import CorridorsError, InputError, RasterError
from corridors.omniscape import OmniscapeWarning, omniscape


def _window_by_circuit(  # type: ignore[no-untyped-def]
    res: np.ndarray, src: np.ndarray, target: tuple[int, int], radius: int, four: bool
):
    """One Omniscape window (block 1, no buffer) as a plain advanced-mode circuit."""
    rows, cols = np.indices(res.shape)
    d2 = (rows - target[0]) ** 2 + (cols - target[1]) ** 2
    habitat = np.where(d2 <= radius**2, res, np.nan)
    s = np.where(d2 <= radius**2, src, 0.0)
    s[target] = 0.0
    s = s * src[target] / s.sum()
    grounds = np.zeros(res.shape)
    grounds[target] = 1.0  # made a direct ground by direct_grounds
    out = advanced(
        habitat,
        s,
        grounds,
        policy="rmvsrc",
        avg_resistances=False,
        direct_grounds=True,
        four_neighbors=four,
    )
    return np.nan_to_num(out.current)


@pytest.mark.parametrize("four", [False, True])
def test_windows_match_independent_advanced_mode_solves(four: bool) -> None:
    rng = np.random.default_rng(3)
    res = rng.uniform(0.5, 4.0, (24, 26))
    res[11, 8:15] = np.nan
    # A diagonal wall: closed to four-neighbour moves, open to diagonal ones.
    wall = np.arange(13, 24)
    res[wall, 36 - wall] = np.nan
    src = np.zeros(res.shape)
    cells = [(9, 9), (12, 14), (14, 10), (10, 16), (15, 15)]
    for r, c in cells:
        src[r, c] = rng.uniform(0.5, 2.0)
    radius = 6
    ours = omniscape(
        res, sources=src, radius=radius, connect_four_neighbors_only=four, workers=1
    ).cum_currmap
    assert ours is not None
    expected = sum(_window_by_circuit(res, src, t, radius, four) for t in cells)
    expected = np.where(np.isnan(res), np.nan, expected)
    assert np.allclose(ours, expected, rtol=1e-9, atol=1e-12, equal_nan=True)
    assert np.nanmax(ours) > 0


def test_result_has_maps_grid_and_counts(landscape: np.ndarray) -> None:
    from affine import Affine

    transform = Affine(30.0, 0, 500000.0, 0, -30.0, 4200000.0)
    out = omniscape(
        landscape,
        radius=6,
        block_size=3,
        calc_flow_potential=True,
        calc_normalized_current=True,
        transform=transform,
        crs="EPSG:32612",
        workers=1,
    )
    assert out.transform == transform and out.crs == "EPSG:32612"
    # A target per block with a source; the barrier leaves 8 blocks without any.
    blocks = (~np.isnan(landscape[:39, :42])).reshape(13, 3, 14, 3).any(axis=(1, 3))
    assert out.n_targets == int(blocks.sum()) == 13 * 14 - 8
    assert set(out.maps()) == {"cum_currmap", "flow_potential", "normalized_cum_currmap"}
    nodata = np.isnan(landscape)
    for arr in out.maps().values():
        assert arr.shape == landscape.shape
        assert np.array_equal(np.isnan(arr), nodata)
    assert out.cum_currmap is not None and out.flow_potential is not None
    ok = ~nodata & (out.flow_potential > 0)
    assert np.allclose(out.normalized_cum_currmap[ok], out.cum_currmap[ok] / out.flow_potential[ok])
    # The cheap corridor channels current: normalised current above 1 there.
    assert np.nanmean(out.normalized_cum_currmap[:, 35:37]) > 1.0


@settings(max_examples=4, deadline=None)
@given(tile=st.integers(min_value=1, max_value=30), block=st.sampled_from([1, 3, 5]))
def test_tiling_does_not_change_the_maps(tile: int, block: int) -> None:
    rng = np.random.default_rng(11)
    res = rng.uniform(1.0, 5.0, (19, 23))
    res[5:7, 3:12] = np.nan
    kw = dict(radius=4, buffer=1, block_size=block, calc_normalized_current=True, workers=1)
    whole = omniscape(res, tile_size=200, **kw)
    tiled = omniscape(res, tile_size=tile, **kw)
    for name, arr in whole.maps().items():
        other = tiled.maps()[name]
        assert np.allclose(arr, other, rtol=1e-12, atol=1e-14, equal_nan=True), name


def test_conductance_input_equals_resistance_input(landscape: np.ndarray) -> None:
    src = np.nan_to_num(1.0 / landscape)
    a = omniscape(landscape, sources=src, radius=5, block_size=3, workers=1)
    b = omniscape(
        1.0 / landscape,
        sources=src,
        radius=5,
        block_size=3,
        resistance_is_conductance=True,
        workers=1,
    )
    assert np.allclose(a.cum_currmap, b.cum_currmap, rtol=1e-12, equal_nan=True)


def test_reclass_table_equals_reclassified_input() -> None:
    rng = np.random.default_rng(5)
    classes = rng.integers(1, 5, (20, 22)).astype(float)
    table = {1: 10.0, 2: 1.0, 4: None}
    by_hand = classes.copy()
    by_hand[classes == 1] = 10.0
    by_hand[classes == 2] = 1.0
    by_hand[classes == 4] = np.nan
    a = omniscape(classes, radius=4, reclass_table=table, workers=1)
    b = omniscape(by_hand, radius=4, workers=1)
    assert np.array_equal(a.cum_currmap, b.cum_currmap, equal_nan=True)
    assert np.array_equal(a.classified_resistance, by_hand, equal_nan=True)


def test_conditions_that_always_match_change_nothing(landscape: np.ndarray) -> None:
    climate = np.linspace(0, 10, landscape.size).reshape(landscape.shape)
    plain = omniscape(landscape, radius=5, block_size=3, workers=1)
    wide = omniscape(
        landscape,
        radius=5,
        block_size=3,
        condition1=climate,
        condition1_lower=-100,
        condition1_upper=100,
        workers=1,
    )
    assert np.array_equal(plain.cum_currmap, wide.cum_currmap, equal_nan=True)
    narrow = omniscape(
        landscape,
        radius=5,
        block_size=3,
        condition1=climate,
        condition1_lower=-0.05,
        condition1_upper=0.05,
        workers=1,
    )
    # Only sources of similar climate feed each target: less current in all.
    assert np.nansum(narrow.cum_currmap) < np.nansum(plain.cum_currmap)


def test_future_conditions_shift_the_target_value(landscape: np.ndarray) -> None:
    climate = np.linspace(0, 10, landscape.size).reshape(landscape.shape)
    kw = dict(radius=5, block_size=3, workers=1, condition1=climate)
    present = omniscape(landscape, condition1_lower=-0.3, condition1_upper=0.3, **kw)
    # Targets compare their future value (present + 5) with the sources' present one.
    future = omniscape(
        landscape,
        condition1_future=climate + 5.0,
        condition1_lower=-5.3,
        condition1_upper=-4.7,
        **kw,
    )
    assert np.allclose(present.cum_currmap, future.cum_currmap, rtol=1e-12, equal_nan=True)
    unshifted = omniscape(
        landscape,
        condition1_future=climate + 5.0,
        condition1_lower=-0.3,
        condition1_upper=0.3,
        **kw,
    )
    assert np.nansum(unshifted.cum_currmap) < 0.5 * np.nansum(present.cum_currmap)


def test_mask_nodata_false_keeps_values(landscape: np.ndarray) -> None:
    out = omniscape(landscape, radius=4, block_size=3, mask_nodata=False, workers=1)
    assert out.cum_currmap is not None
    assert not np.isnan(out.cum_currmap).any()
    assert np.all(out.cum_currmap[np.isnan(landscape)] == 0)


def test_rasterio_datasets_are_accepted(landscape: np.ndarray) -> None:
    from affine import Affine
    from rasterio.io import MemoryFile

    transform = Affine(10.0, 0, 0.0, 0, -10.0, 400.0)
    data = np.where(np.isnan(landscape), -1.0, landscape)
    profile = dict(
        driver="GTiff",
        height=40,
        width=44,
        count=1,
        dtype="float64",
        nodata=-1.0,
        transform=transform,
        crs="EPSG:3857",
    )
    with MemoryFile() as mem:
        with mem.open(**profile) as ds:
            ds.write(data, 1)
        with mem.open() as ds:
            out = omniscape(ds, radius=4, block_size=3, workers=1)
    assert out.crs == "EPSG:3857" and out.transform == transform
    ref = omniscape(landscape, radius=4, block_size=3, workers=1)
    assert np.array_equal(out.cum_currmap, ref.cum_currmap, equal_nan=True)


def test_source_grid_in_another_crs_warns(landscape: np.ndarray) -> None:
    from affine import Affine
    from rasterio.io import MemoryFile

    src = np.nan_to_num(1.0 / landscape)
    profile = dict(
        driver="GTiff",
        height=40,
        width=44,
        count=1,
        dtype="float64",
        transform=Affine(1, 0, 0, 0, -1, 40),
        crs="EPSG:4326",
    )
    with MemoryFile() as mem:
        with mem.open(**profile) as ds:
            ds.write(src, 1)
        with mem.open() as ds, pytest.warns(OmniscapeWarning, match="different CRS"):
            omniscape(landscape, sources=ds, radius=3, crs="EPSG:32612", workers=1)


@pytest.mark.parametrize(
    ("kwargs", "error", "pattern"),
    [
        ({"resistance": np.full((10, 10), np.nan)}, RasterError, "NoData"),
        ({"resistance": np.r_[np.ones(99), 0.0].reshape(10, 10)}, RasterError, "zero or negative"),
        ({"resistance": -np.ones((10, 10))}, RasterError, r"100 cell\(s\) of zero or negative"),
        ({"sources": np.ones((9, 10))}, RasterError, r"sources has shape \(9, 10\)"),
        ({"radius": 0}, InputError, "radius = 0"),
        ({"buffer": -1}, InputError, "buffer = -1"),
        ({"block_size": 11}, InputError, "block_size = 11 is larger than the raster"),
        ({"precision": "half"}, InputError, "precision = 'half'"),
        ({"resistance": np.ones(10)}, InputError, "2-D grid"),
        ({"condition2": np.ones((10, 10))}, InputError, "without condition1"),
        ({"condition1": np.ones((10, 10)), "comparison1": "near"}, InputError, "comparison1"),
        ({"reclass_table": {1: "x"}}, InputError, "reclass_table entry"),
        ({"workers": 0, "resistance": np.ones((40, 40))}, InputError, "workers = 0"),
        ({"tile_size": 0}, InputError, "tile_size = 0"),
    ],
)
def test_bad_input_is_refused(kwargs: dict, error: type, pattern: str) -> None:
    args = {"resistance": np.ones((10, 10)), "radius": 3, "workers": 1, **kwargs}
    resistance = args.pop("resistance")
    with pytest.raises(error, match=pattern) as info:
        omniscape(resistance, **args)
    assert isinstance(info.value, CorridorsError)


def test_radius_larger_than_the_raster_warns() -> None:
    with pytest.warns(OmniscapeWarning, match="radius = 30 cells reaches beyond the raster"):
        out = omniscape(np.ones((8, 9)), radius=30, workers=1)
    assert np.nansum(out.cum_currmap) > 0


def test_block_reaching_beyond_the_radius_warns() -> None:
    grid = np.random.default_rng(0).uniform(1, 2, (30, 30))
    with pytest.warns(OmniscapeWarning, match="block_size = 9 reaches as far as radius = 4"):
        out = omniscape(grid, radius=4, block_size=9, workers=1)
    assert np.nansum(out.cum_currmap) == 0


def test_even_block_size_is_raised_with_a_warning(landscape: np.ndarray) -> None:
    with pytest.warns(OmniscapeWarning, match="block_size = 2 is even"):
        even = omniscape(landscape, radius=4, block_size=2, workers=1)
    odd = omniscape(landscape, radius=4, block_size=3, workers=1)
    assert np.array_equal(even.cum_currmap, odd.cum_currmap, equal_nan=True)


def test_job_that_cannot_fit_is_refused_with_the_estimate(landscape: np.ndarray) -> None:
    with pytest.raises(JobTooLargeError, match=r"estimated peak memory .* MiB.*radius"):
        omniscape(landscape, radius=4, workers=1, memory_limit=2**20)


def test_no_warning_on_a_plain_run(landscape: np.ndarray) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        omniscape(landscape, radius=4, block_size=3, workers=1)


def test_fragmented_windows_solve_the_same_on_their_own_plan(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from corridors.omniscape import _window

    rng = np.random.default_rng(13)
    res = rng.uniform(1.0, 6.0, (30, 30))
    res[::7, :] = np.nan  # NoData rows cut every window into strips
    res[:, 11] = np.nan
    kw = dict(radius=6, block_size=1, calc_flow_potential=True, workers=1)
    monkeypatch.setattr(_window, "COMPACT_FRACTION", 0.0)  # the shared pattern only
    shared = omniscape(res, **kw)
    monkeypatch.setattr(_window, "COMPACT_FRACTION", 1.01)  # a plan per window
    own = omniscape(res, **kw)
    for name, arr in shared.maps().items():
        assert np.allclose(arr, own.maps()[name], rtol=1e-10, atol=1e-13, equal_nan=True)
    assert np.nanmax(shared.cum_currmap) > 0


def test_memory_estimate_grows_with_the_window_and_the_workers_not_the_raster() -> None:
    from corridors.omniscape import estimate_memory

    small = estimate_memory((2_000, 2_000), radius=20, workers=2)
    wide = estimate_memory((2_000, 2_000), radius=80, workers=2)
    more = estimate_memory((2_000, 2_000), radius=20, workers=8)
    huge = estimate_memory((40_000, 40_000), radius=20, workers=2)
    assert wide.per_worker > small.per_worker and more.total > small.total
    # 1.6 billion cells: the maps are summed on disk, so the raster barely counts.
    assert huge.per_worker == small.per_worker and huge.total < 2 * small.total
    remote = estimate_memory((2_000, 2_000), radius=20, distributed=True, workers=2)
    assert remote.workers == 0 and "per dask worker" in remote.describe()


def test_fallback_factorisations_give_the_same_maps(
    landscape: np.ndarray, monkeypatch: pytest.MonkeyPatch
) -> None:
    """numba's nested-dissection LDLᵀ, qdldl without numba, SuperLU without either."""
    import sys

    from corridors.omniscape import _ldl

    kw = dict(radius=4, block_size=3, calc_flow_potential=True, workers=1)
    runs = {"default": omniscape(landscape, **kw)}
    monkeypatch.setattr(_ldl, "AVAILABLE", False)
    runs["qdldl"] = omniscape(landscape, **kw)
    monkeypatch.setitem(sys.modules, "qdldl", None)  # import qdldl now fails
    runs["superlu"] = omniscape(landscape, **kw)
    for other in ("qdldl", "superlu"):
        for name, arr in runs["default"].maps().items():
            got = runs[other].maps()[name]
            assert np.allclose(arr, got, rtol=1e-10, atol=1e-13, equal_nan=True), (other, name)
