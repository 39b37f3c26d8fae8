"""Checkpoints: a run killed with SIGKILL part way resumes and ends with the same maps."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from omniscape_files import write_asc, write_ini

from corridors.omniscape import CHECKPOINT_DIR, run

SCRIPT = """
import sys
from corridors.omniscape import run
run(sys.argv[1], workers=1, quiet=True, progress=False, tile_size=8)
"""


@pytest.fixture
def job(tmp_path: Path) -> Path:
    rng = np.random.default_rng(8)
    res = rng.uniform(1.0, 10.0, (48, 48))
    res[22:25, 8:40] = np.nan
    write_asc(tmp_path / "res.asc", res)
    return write_ini(
        tmp_path / "job.ini",
        resistance_file=str(tmp_path / "res.asc"),
        radius=5,
        block_size=1,
        source_from_resistance="true",
        calc_normalized_current="true",
        project_name=str(tmp_path / "killed"),
    )


def test_killed_run_resumes_with_the_same_maps(job: Path, tmp_path: Path) -> None:
    checkpoint = tmp_path / "killed" / CHECKPOINT_DIR
    proc = subprocess.Popen(
        [sys.executable, "-c", SCRIPT, str(job)],
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            if len(list(checkpoint.glob("tile_*.npz"))) >= 3:
                break
            time.sleep(0.05)
        assert proc.poll() is None, "the run ended before it could be killed"
        os.killpg(proc.pid, signal.SIGKILL)  # the whole process group we started
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    done = len(list(checkpoint.glob("tile_*.npz")))
    assert done >= 3 and not (tmp_path / "killed" / "cum_currmap.tif").exists()
    for tile in checkpoint.glob("tile_*.npz"):  # written atomically: none half-written
        with np.load(tile) as data:
            assert data["current"].ndim == 2

    resumed = run(job, workers=1, quiet=True, progress=False, tile_size=8)
    assert resumed.resumed_tiles == done
    assert not checkpoint.exists()  # removed once the maps are written
    fresh = run(
        job, output_dir=tmp_path / "fresh", workers=1, quiet=True, progress=False, tile_size=8
    )
    assert fresh.resumed_tiles == 0
    for name, arr in fresh.maps().items():
        assert np.array_equal(arr, resumed.maps()[name], equal_nan=True), name
    for name in ("cum_currmap.tif", "normalized_cum_currmap.tif"):
        assert (tmp_path / "killed" / name).read_bytes() == (tmp_path / "fresh" / name).read_bytes()


def test_no_resume_and_changed_jobs_start_afresh(job: Path, tmp_path: Path) -> None:
    folder = tmp_path / "killed"
    first = run(job, workers=1, quiet=True, progress=False, tile_size=16)
    # A stale checkpoint of the same job, as a killed run leaves it.
    checkpoint = folder / CHECKPOINT_DIR
    checkpoint.mkdir()
    (checkpoint / "manifest.json").write_text('{"format": 1, "key": "another job"}')
    (checkpoint / "tile_000000.npz").write_bytes(b"not a tile")
    with pytest.warns(UserWarning, match="checkpoint of a different job"):
        again = run(job, workers=1, quiet=True, progress=False, tile_size=16, overwrite=True)
    assert again.resumed_tiles == 0
    assert np.array_equal(first.cum_currmap, again.cum_currmap, equal_nan=True)
    third = run(
        job, workers=1, quiet=True, progress=False, tile_size=16, overwrite=True, resume=False
    )
    assert np.array_equal(first.cum_currmap, third.cum_currmap, equal_nan=True)
