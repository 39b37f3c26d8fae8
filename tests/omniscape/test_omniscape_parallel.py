"""Serial, multi-process and dask.distributed runs give the same maps, bit for bit."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import rasterio
from omniscape_files import write_asc, write_ini

from corridors.omniscape import omniscape, run

VENV_BIN = Path(sys.executable).parent


@pytest.fixture
def grid() -> np.ndarray:
    rng = np.random.default_rng(21)
    res = rng.uniform(1.0, 10.0, (27, 30))
    res[10:12, 4:25] = np.nan
    return res


OPTIONS = dict(radius=5, buffer=1, block_size=3, calc_normalized_current=True, tile_size=9)


def _same(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> None:
    assert a.keys() == b.keys()
    for name in a:
        assert np.array_equal(a[name], b[name], equal_nan=True), name


def test_process_pool_equals_serial(grid: np.ndarray) -> None:
    serial = omniscape(grid, workers=1, **OPTIONS)
    pooled = omniscape(grid, workers=2, **OPTIONS)
    _same(serial.maps(), pooled.maps())
    assert serial.n_targets == pooled.n_targets == 9 * 10


def test_ini_run_on_processes_equals_serial(grid: np.ndarray, tmp_path: Path) -> None:
    write_asc(tmp_path / "res.asc", grid)
    ini = write_ini(
        tmp_path / "job.ini",
        resistance_file="res.asc",
        radius=5,
        buffer=1,
        block_size=3,
        source_from_resistance="true",
        calc_flow_potential="true",
        project_name="unused",
    )
    kw = dict(base_dir=tmp_path, quiet=True, progress=False, tile_size=9)
    serial = run(ini, output_dir=tmp_path / "serial", workers=1, **kw)
    pooled = run(ini, output_dir=tmp_path / "pooled", workers=2, **kw)
    _same(serial.maps(), pooled.maps())
    for name in ("cum_currmap.tif", "flow_potential.tif"):
        assert (tmp_path / "serial" / name).read_bytes() == (
            tmp_path / "pooled" / name
        ).read_bytes()


@pytest.fixture(scope="module")
def dask_cluster(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[str, list[subprocess.Popen[bytes]]]]:
    """A real cluster: ``dask scheduler`` and two ``dask worker`` processes on 127.0.0.1."""
    pytest.importorskip("distributed")
    from distributed import Client

    folder = tmp_path_factory.mktemp("dask")
    info = folder / "scheduler.json"
    common = ["--no-dashboard"]
    env = {**os.environ, "DASK_DISTRIBUTED__WORKER__DAEMON": "False"}
    procs = [
        subprocess.Popen(
            [
                str(VENV_BIN / "dask"),
                "scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--scheduler-file",
                str(info),
                *common,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
            cwd=folder,
        )
    ]
    try:
        deadline = time.monotonic() + 60
        while not info.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        address = json.loads(info.read_text())["address"]
        for _ in range(2):
            procs.append(
                subprocess.Popen(
                    [
                        str(VENV_BIN / "dask"),
                        "worker",
                        address,
                        "--nworkers",
                        "1",
                        "--nthreads",
                        "1",
                        "--host",
                        "127.0.0.1",
                        "--memory-limit",
                        "2GiB",
                        *common,
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    env=env,
                    cwd=folder,
                )
            )
        with Client(address, timeout="60s") as client:
            client.wait_for_workers(2, timeout=90)
        yield address, procs
    finally:
        for proc in reversed(procs):
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.mark.slow  # a real cluster: about 10 s to start, run and stop
def test_dask_cluster_equals_serial(
    grid: np.ndarray, tmp_path: Path, dask_cluster: tuple[str, list[subprocess.Popen[bytes]]]
) -> None:
    address = dask_cluster[0]
    serial = omniscape(grid, workers=1, **OPTIONS)
    distributed = omniscape(grid, scheduler=address, **OPTIONS)
    _same(serial.maps(), distributed.maps())
    # The INI route: each task reads its own tile and halo from the files.
    write_asc(tmp_path / "res.asc", grid)
    ini = write_ini(
        tmp_path / "job.ini",
        resistance_file=str(tmp_path / "res.asc"),
        radius=5,
        buffer=1,
        block_size=3,
        source_from_resistance="true",
        calc_normalized_current="true",
        project_name=str(tmp_path / "dask"),
    )
    on_cluster = run(ini, scheduler=address, quiet=True, progress=False, tile_size=9)
    local = run(
        ini, output_dir=tmp_path / "local", workers=1, quiet=True, progress=False, tile_size=9
    )
    _same(on_cluster.maps(), local.maps())
    assert on_cluster.folder == tmp_path / "dask"
    assert (tmp_path / "dask" / "normalized_cum_currmap.tif").is_file()


@pytest.mark.slow  # runs after the test above, on the same cluster
def test_killed_dask_worker_is_replaced_and_the_maps_are_the_same(
    tmp_path: Path, dask_cluster: tuple[str, list[subprocess.Popen[bytes]]]
) -> None:
    from corridors.omniscape import CHECKPOINT_DIR

    address, procs = dask_cluster
    rng = np.random.default_rng(5)
    res = rng.uniform(1.0, 10.0, (48, 48))
    write_asc(tmp_path / "res.asc", res)
    ini = write_ini(
        tmp_path / "job.ini",
        resistance_file=str(tmp_path / "res.asc"),
        radius=6,
        source_from_resistance="true",
        project_name=str(tmp_path / "dask"),
    )
    script = (
        "import sys; from corridors.omniscape import run; "
        "run(sys.argv[1], scheduler=sys.argv[2], quiet=True, progress=False, tile_size=8)"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script, str(ini), address],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    checkpoint = tmp_path / "dask" / CHECKPOINT_DIR
    deadline = time.monotonic() + 120
    while len(list(checkpoint.glob("tile_*.npz"))) < 3 and time.monotonic() < deadline:
        assert proc.poll() is None, "the run ended before a worker could be killed"
        time.sleep(0.05)
    procs[1].kill()  # SIGKILL one of the two workers mid-run
    procs[1].wait()
    assert proc.wait(timeout=180) == 0
    local = run(
        ini, output_dir=tmp_path / "local", workers=1, quiet=True, progress=False, tile_size=8
    )
    with rasterio.open(tmp_path / "dask" / "cum_currmap.tif") as ds:
        assert np.array_equal(ds.read(1), local.cum_currmap)
