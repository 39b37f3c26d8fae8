"""crossing against lines runs its chunks in threads, with the same answers as in one."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from corridors import query
from corridors.errors import InputError


def _roads(rng: np.random.Generator, n: int) -> gpd.GeoDataFrame:
    nv = rng.integers(2, 5, n)
    start = np.column_stack([rng.uniform(10, 12, n), rng.uniform(45, 46.2, n)])
    heading = np.repeat(rng.uniform(0, 2 * np.pi, n), nv) + rng.normal(0, 0.3, nv.sum())
    step = rng.uniform(0.05, 0.15, nv.sum())
    d = np.column_stack([np.cos(heading) * step, np.sin(heading) * step])
    first = np.r_[0, np.cumsum(nv)[:-1]]
    d[first] = 0
    cum = np.cumsum(d, axis=0)
    cum -= np.repeat(cum[first], nv, axis=0)
    coords = np.repeat(start, nv, axis=0) + cum
    lines = shapely.linestrings(coords, indices=np.repeat(np.arange(n), nv))
    return gpd.GeoDataFrame({"road": [f"road {i}" for i in range(n)]}, geometry=lines, crs=4326)


def _cases(rng: np.random.Generator, n: int) -> gpd.GeoDataFrame:
    cx, cy = rng.uniform(10, 12, n), rng.uniform(45, 46.2, n)
    half = n // 2
    nv = rng.integers(2, 6, half)
    steps = rng.normal(0, 0.08, (nv.sum(), 2))
    first = np.r_[0, np.cumsum(nv)[:-1]]
    steps[first] = 0
    cum = np.cumsum(steps, axis=0)
    cum -= np.repeat(cum[first], nv, axis=0)
    coords = np.repeat(np.column_stack([cx[:half], cy[:half]]), nv, axis=0) + cum
    geoms = np.empty(n, dtype=object)
    geoms[:half] = shapely.linestrings(coords, indices=np.repeat(np.arange(half), nv))
    geoms[half:] = shapely.buffer(
        shapely.points(cx[half:], cy[half:]), rng.uniform(0.01, 0.08, n - half), quad_segs=2
    )
    return gpd.GeoDataFrame({"case_id": np.arange(n)}, geometry=geoms, crs=4326)


@pytest.fixture(scope="module")
def network() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    rng = np.random.default_rng(7)
    return _cases(rng, 4000), _roads(rng, 300)


@pytest.fixture
def worker_threads() -> Iterator[set[str]]:
    """Names of the threads that ran Python code while the fixture was active."""
    names: set[str] = set()

    def seen(frame: object, event: str, arg: object) -> None:
        names.add(threading.current_thread().name)

    threading.setprofile(seen)
    try:
        yield names
    finally:
        threading.setprofile(None)  # type: ignore[arg-type]


@pytest.mark.parametrize("speed", [True, False], ids=["speed routes", "reference route"])
@pytest.mark.parametrize("tol_km", [0.0, 1.0])
def test_threads_give_the_answers_of_one_thread(
    network: tuple[gpd.GeoDataFrame, gpd.GeoDataFrame],
    worker_threads: set[str],
    speed: bool,
    tol_km: float,
) -> None:
    cases, roads = network
    with query.speed_routes(speed):
        with query.threads(1):
            one = query.crossing(cases, roads, tolerance_km=tol_km)
        assert not any(name.startswith("corridors-query") for name in worker_threads)
        with query.threads(3):
            many = query.crossing(cases, roads, tolerance_km=tol_km)
    assert any(name.startswith("corridors-query") for name in worker_threads)
    assert len(one) > 200
    pd.testing.assert_frame_equal(one, many)


def test_calls_from_other_threads_stay_in_their_thread(
    network: tuple[gpd.GeoDataFrame, gpd.GeoDataFrame], worker_threads: set[str]
) -> None:
    cases, roads = network
    got: list[gpd.GeoDataFrame] = []
    with query.threads(4):
        caller = threading.Thread(target=lambda: got.append(query.crossing(cases, roads)))
        caller.start()
        caller.join()
    assert len(got) == 1 and len(got[0]) > 200
    assert not any(name.startswith("corridors-query") for name in worker_threads)


@pytest.mark.parametrize("bad", [0, -2, 1.5, True, "2"])
def test_threads_refuses_what_is_not_a_count(bad: object) -> None:
    with (
        pytest.raises(InputError, match=r"threads\(.*positive integer"),
        query.threads(bad),  # type: ignore[arg-type]
    ):
        pass


@pytest.mark.parametrize("raw", ["0", "two", "-1"])
def test_bad_thread_variable_is_named_with_its_fix(
    network: tuple[gpd.GeoDataFrame, gpd.GeoDataFrame], monkeypatch: pytest.MonkeyPatch, raw: str
) -> None:
    cases, roads = network
    monkeypatch.setenv(query.THREADS_ENV, raw)
    with pytest.raises(InputError, match=rf"CORRIDORS_QUERY_THREADS='{raw}'.*positive integer"):
        query.crossing(cases, roads)


def test_thread_variable_sets_the_count(
    network: tuple[gpd.GeoDataFrame, gpd.GeoDataFrame],
    monkeypatch: pytest.MonkeyPatch,
    worker_threads: set[str],
) -> None:
    cases, roads = network
    monkeypatch.setenv(query.THREADS_ENV, "1")
    query.crossing(cases, roads)
    assert not any(name.startswith("corridors-query") for name in worker_threads)
