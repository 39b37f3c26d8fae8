"""The benchmark's peer solves the same windows as corridors, and the script runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from benchmark_scripts import load

from corridors.omniscape._core import Layers, Params, solve_tile_layers, tile_targets

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "omniscape.py"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return load("omniscape")


def test_peer_windows_equal_corridors_windows(bench: ModuleType) -> None:
    rng = np.random.default_rng(4)
    res = rng.uniform(1.0, 20.0, (40, 40))
    res[18, 5:30] = np.nan
    res[24, 24] = np.nan  # a target on NoData: no ground, no current
    sources = np.nan_to_num(1.0 / res)
    radius, bs = 6, 3
    params = Params(40, 40, radius, 0, bs, flow_potential=True)
    layers = Layers(0, 0, 1.0 / res, sources)
    blocks = (3, 10, 3, 10)  # every window inside the raster
    ours = solve_tile_layers(layers, blocks, params)
    assert ours.flow_potential is not None
    peer_cur = np.zeros(res.shape)
    peer_fp = np.zeros(res.shape)
    for ty, tx, a in zip(*tile_targets(layers, blocks, params), strict=True):
        cur, win = bench.peer_window(res, sources, (ty, tx), a, radius, bs)
        peer_cur[win] += cur
        fp, win = bench.peer_window(res, sources, (ty, tx), a, radius, bs, null=True)
        peer_fp[win] += fp
    assert peer_cur.max() > 0
    assert np.allclose(ours.current, peer_cur, rtol=1e-9, atol=1e-9 * peer_cur.max())
    assert np.allclose(ours.flow_potential, peer_fp, rtol=1e-9, atol=1e-9 * peer_fp.max())


def test_sample_stays_inside_the_raster(bench: ModuleType) -> None:
    for cfg in bench.CONFIGS.values():
        side = cfg["crop"] or 1000
        squares = bench.sample_blocks((side, side), cfg)
        assert len(squares) == cfg["sample"] ** 2
        for kr0, kr1, kc0, kc1 in squares:
            for k0, k1 in ((kr0, kr1), (kc0, kc1)):
                centre_lo = k0 * cfg["block_size"] + (cfg["block_size"] - 1) // 2
                centre_hi = (k1 - 1) * cfg["block_size"] + (cfg["block_size"] - 1) // 2
                assert centre_lo - cfg["radius"] >= 0
                assert centre_hi + cfg["radius"] < side


def test_help_runs() -> None:
    out = subprocess.run(
        [sys.executable, str(BENCH), "--help"], capture_output=True, text=True, check=True
    )
    assert "--quick" in out.stdout and "--skip-dask" in out.stdout
