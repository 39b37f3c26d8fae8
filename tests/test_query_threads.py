"""crossing runs its chunks of cases in threads, with the same answers as in one."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from benchmark_scripts import load

import corridors
from corridors import query
from corridors.errors import InputError

#: A box of northern Italy, 2 by 1.2 degrees: dense enough for hundreds of crossings.
BOX = (10.0, 45.0, 12.0, 46.2)


@pytest.fixture(scope="module")
def network() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """The scale benchmark's synthetic cases and roads, a few thousand in one box."""
    bench = load("query_scale")
    rng = np.random.default_rng(7)
    return bench.synthetic_cases(4000, rng, BOX), bench.synthetic_roads(300, rng, BOX)


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


def _one_then_three(
    cases: gpd.GeoDataFrame, boundary: gpd.GeoDataFrame, tol_km: float, worker_threads: set[str]
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """``crossing`` in one thread (no worker runs), then in three (workers run)."""
    with query.threads(1):
        one = query.crossing(cases, boundary, tolerance_km=tol_km)
    assert not any(name.startswith("corridors-query") for name in worker_threads)
    with query.threads(3):
        many = query.crossing(cases, boundary, tolerance_km=tol_km)
    assert any(name.startswith("corridors-query") for name in worker_threads)
    return one, many


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
        one, many = _one_then_three(cases, roads, tol_km, worker_threads)
    assert len(one) > 200
    pd.testing.assert_frame_equal(one, many)


#: Central Europe, 12 by 8 degrees: some twenty borders.
EUROPE = (6.0, 44.0, 18.0, 52.0)


@pytest.mark.parametrize("tol_km", [0.0, 1.0])
def test_threads_give_the_areal_answers_of_one_thread(
    worker_threads: set[str], tol_km: float
) -> None:
    # Enough cases for the areal speed route to split them into chunks (tens of
    # thousands a chunk: fewer would cost more in a thread than they save).
    cases = load("query_scale").synthetic_cases(100_000, np.random.default_rng(11), EUROPE)
    one, many = _one_then_three(cases, corridors.load_boundaries(), tol_km, worker_threads)
    assert len(one) > 1000 and one["boundary"].nunique() > 10
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
    with pytest.raises(InputError, match=rf"CORRIDORS_THREADS='{raw}'.*positive integer"):
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
