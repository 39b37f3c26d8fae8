"""Benchmark corridors.omniscape on the 1000 x 1000 BigTests grid against a plain peer.

The job: Circuitscape's BigTests 1m resistance grid (``1m/cellmap.asc.gz``), sources
from the resistance, radius 50, block size 9, normalised current (so flow potential
too). ``--quick`` runs a 240 x 240 crop with radius 20 and block size 5 instead.

Printed in one run, each measured in a fresh subprocess (peak memory is its
``ru_maxrss``, and its pool workers'):

* the whole job on every core: targets, seconds, core-seconds per target, peak memory;
* a straightforward peer on a sample of interior targets (a Python loop that clips
  each window and solves it with ``scipy.sparse.linalg.spsolve``, once for the
  current and once more for the flow potential), against corridors on the same
  targets, with the largest difference between their maps;
* parallel efficiency from 1 to 2 workers (on a crop, for time);
* the same job on a dask.distributed cluster started here as real processes
  (``dask scheduler`` and two ``dask worker`` on 127.0.0.1), its maps compared with
  the local run's;
* the resume overhead: a run killed with SIGKILL half way, then resumed, against an
  uninterrupted run.

Reference data are read from ``../shared/reference/circuitscape-bigtests`` beside the
repository (or ``$CORRIDORS_SHARED/reference/...``). Temporary files are removed.
Usage::

    python benchmarks/omniscape.py [--quick] [--skip-dask] [--skip-full]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]

CONFIGS: dict[str, dict[str, Any]] = {
    # crop: side of the top-left square used (None: the whole grid);
    # small: side of the crop used for the efficiency and resume runs.
    "full": {"crop": None, "radius": 50, "block_size": 9, "small": 600, "sample": 3},
    "quick": {"crop": 240, "radius": 20, "block_size": 5, "small": 160, "sample": 3},
}


def bigtests_dir() -> Path:
    env = os.environ.get("CORRIDORS_SHARED")
    shared = Path(env) if env else ROOT / ".." / "shared"
    return (shared / "reference" / "circuitscape-bigtests").resolve()


def read_cellmap(crop: int | None) -> tuple[np.ndarray, Any]:
    """The 1m resistance grid (NaN for NoData) and its transform."""
    import rasterio

    path = bigtests_dir() / "1m" / "cellmap.asc.gz"
    with rasterio.open(f"/vsigzip/{path}") as ds:
        res = ds.read(1).astype(np.float64)
        transform = ds.transform
        nodata = ds.nodata
    res[res == nodata] = np.nan
    if crop is not None:
        res = res[:crop, :crop]
    return res, transform


def write_job(folder: Path, res: np.ndarray, transform: Any, cfg: dict[str, Any]) -> Path:
    """A GeoTIFF of ``res`` and an Omniscape.jl INI job on it."""
    import rasterio

    tif = folder / f"resistance_{res.shape[0]}.tif"
    profile = {
        "driver": "GTiff",
        "height": res.shape[0],
        "width": res.shape[1],
        "count": 1,
        "dtype": "float64",
        "nodata": -9999.0,
        "transform": transform,
    }
    with rasterio.open(tif, "w", **profile) as ds:
        ds.write(np.where(np.isnan(res), -9999.0, res), 1)
    ini = folder / f"job_{res.shape[0]}.ini"
    ini.write_text(
        "[Required]\n"
        f"resistance_file = {tif}\n"
        f"radius = {cfg['radius']}\n"
        f"block_size = {cfg['block_size']}\n"
        f"project_name = {folder / 'unused'}\n"
        "[Options]\n"
        "source_from_resistance = true\n"
        "calc_normalized_current = true\n",
        encoding="utf-8",
    )
    return ini


# ----------------------------------------------------------------------------- the peer


def peer_window(
    res: np.ndarray,
    sources: np.ndarray,
    target: tuple[int, int],
    amps: float,
    radius: int,
    block_size: int,
    *,
    null: bool = False,
) -> tuple[np.ndarray, tuple[slice, slice]]:
    """One window the plain way: clip, build the network, ``spsolve``, node currents.

    Interior targets only (the window inside the raster), no buffer; the same rules
    as Omniscape.jl otherwise (8 neighbours, average conductance, the target block
    cleared of sources, the ground's own component solved).
    """
    import scipy.sparse as sp
    from scipy.sparse.csgraph import connected_components
    from scipy.sparse.linalg import spsolve

    ty, tx = target
    win = (slice(ty - radius, ty + radius + 1), slice(tx - radius, tx + radius + 1))
    d = np.arange(-radius, radius + 1)
    inside = d[:, None] ** 2 + d[None, :] ** 2 <= radius**2
    g = np.ones(inside.shape) if null else np.where(inside, 1.0 / res[win], np.nan)
    s = np.where(inside, sources[win], 0.0)
    br = (block_size - 1) // 2
    s[radius - br : radius + br + 1, radius - br : radius + br + 1] = 0.0
    s = s * amps / s.sum()
    valid = np.isfinite(g)
    if not valid[radius, radius]:
        return np.zeros(g.shape), win  # a target on NoData has no ground: nothing flows
    index = -np.ones(g.shape, dtype=np.int64)
    index[valid] = np.arange(int(valid.sum()))
    h, w = g.shape
    rows, cols, weights = [], [], []
    for dr, dc, factor in ((0, 1, 1.0), (1, 0, 1.0), (1, 1, 2**-0.5), (1, -1, 2**-0.5)):
        c0, c1 = (0, w - dc) if dc >= 0 else (-dc, w)
        a = index[: h - dr, c0:c1]
        b = index[dr:, c0 + dc : c1 + dc]
        ok = (a >= 0) & (b >= 0)
        rows.append(a[ok])
        cols.append(b[ok])
        weights.append(factor * 0.5 * (g[: h - dr, c0:c1][ok] + g[dr:, c0 + dc : c1 + dc][ok]))
    n = int(valid.sum())
    i, j, wt = np.concatenate(rows), np.concatenate(cols), np.concatenate(weights)
    adj = sp.coo_matrix((wt, (i, j)), shape=(n, n)).tocsr()
    adj = adj + adj.T
    lap = sp.diags(np.asarray(adj.sum(axis=1)).ravel()) - adj
    ground = index[radius, radius]
    _, labels = connected_components(adj, directed=False)
    keep = np.flatnonzero(labels == labels[ground])
    keep = keep[keep != ground]
    b = s[valid][keep]
    volts = np.zeros(n)
    volts[keep] = spsolve(lap[keep][:, keep].tocsc(), b)
    flow = wt * (volts[i] - volts[j])
    inflow = np.bincount(j, np.maximum(flow, 0), n) + np.bincount(i, np.maximum(-flow, 0), n)
    outflow = np.bincount(i, np.maximum(flow, 0), n) + np.bincount(j, np.maximum(-flow, 0), n)
    current = np.zeros(g.shape)
    current[valid] = np.maximum(inflow, outflow)
    return current, win


def sample_blocks(shape: tuple[int, int], cfg: dict[str, Any]) -> list[tuple[int, int, int, int]]:
    """Squares of 2 x 2 blocks spread over the interior (``sample`` of them a side)."""
    bs, k, radius = cfg["block_size"], cfg["sample"], cfg["radius"]
    first = -(-radius // bs) + 1  # the first block whose windows lie inside the raster
    last = (min(shape) - radius) // bs - 3
    starts = np.linspace(first, last, k).astype(int)
    return [(r, r + 2, c, c + 2) for r in starts for c in starts]


def phase_peer(cfg: dict[str, Any]) -> dict[str, Any]:
    """Peer and corridors on the same interior targets; core-seconds per target."""
    from threadpoolctl import threadpool_limits

    from corridors.omniscape._core import Layers, Params, solve_tile_layers, tile_targets
    from corridors.omniscape._window import WindowSolver

    res, _ = read_cellmap(cfg["crop"])
    sources = np.nan_to_num(1.0 / res)
    params = Params(
        res.shape[0], res.shape[1], cfg["radius"], 0, cfg["block_size"], flow_potential=True
    )
    layers = Layers(0, 0, 1.0 / res, sources)
    squares = sample_blocks(res.shape, cfg)
    picked = [tile_targets(layers, blocks, params) for blocks in squares]
    rows = np.concatenate([p[0] for p in picked])
    cols = np.concatenate([p[1] for p in picked])
    amps = np.concatenate([p[2] for p in picked])
    out: dict[str, Any] = {"targets": int(rows.size)}
    ours_cur_only = dataclasses.replace(params, flow_potential=False)
    with threadpool_limits(limits=1):
        peer_cur = np.zeros(res.shape)
        peer_fp = np.zeros(res.shape)
        t = time.process_time()
        for ty, tx, a in zip(rows, cols, amps, strict=True):
            cur, win = peer_window(res, sources, (ty, tx), a, cfg["radius"], cfg["block_size"])
            peer_cur[win] += cur
        out["peer_current"] = (time.process_time() - t) / rows.size
        t = time.process_time()
        for ty, tx, a in zip(rows, cols, amps, strict=True):
            fp, win = peer_window(
                res, sources, (ty, tx), a, cfg["radius"], cfg["block_size"], null=True
            )
            peer_fp[win] += fp
        out["peer_flow"] = (time.process_time() - t) / rows.size
        # Correction off: the peer does not apply it (it multiplies both maps alike).
        # Plans warmed on the sample first, as a run's first tiles warm them for the
        # thousands of targets after them.
        solver = WindowSolver(four_neighbors=False)
        for blocks in squares:
            solve_tile_layers(layers, blocks, params, solver)
        mine_cur = np.zeros(res.shape)
        mine_fp = np.zeros(res.shape)
        t = time.process_time()
        for blocks in squares:
            # Whole-raster layers: partial maps cover the raster, from row 0, column 0.
            mine_cur += solve_tile_layers(layers, blocks, ours_cur_only, solver).current
        out["ours_current"] = (time.process_time() - t) / rows.size
        t = time.process_time()
        for blocks in squares:
            both = solve_tile_layers(layers, blocks, params, solver)
            assert both.flow_potential is not None
            mine_fp += both.flow_potential
        out["ours_both"] = (time.process_time() - t) / rows.size
    diff_c = np.abs(mine_cur - peer_cur).max() / peer_cur.max()
    diff_f = np.abs(mine_fp - peer_fp).max() / peer_fp.max()
    out["max_rel_diff"] = float(max(diff_c, diff_f))
    return out


# ----------------------------------------------------------------------------- phases


def phase_run(ini: Path, out: Path, workers: int | None, scheduler: str | None) -> dict[str, Any]:
    """One run of the INI job."""
    import resource

    from corridors.omniscape import run

    t = time.perf_counter()
    result = run(
        ini, output_dir=out, workers=workers, scheduler=scheduler, progress=False, quiet=True
    )
    seconds = time.perf_counter() - t
    return {
        "seconds": seconds,
        "core_seconds": result.core_seconds,
        "targets": result.n_targets,
        "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "worker_peak_mib": result.worker_peak_bytes / 2**20,
        "estimate_mib": result.memory.total / 2**20 if result.memory else None,
    }


def _phase_main(argv: list[str]) -> None:
    import warnings

    warnings.simplefilter("ignore")
    kind, payload = argv[0], json.loads(argv[1])
    if kind == "peer":
        out = phase_peer(payload)
    else:
        out = phase_run(
            Path(payload["ini"]),
            Path(payload["out"]),
            payload.get("workers"),
            payload.get("scheduler"),
        )
    print("RESULT " + json.dumps(out), flush=True)


def in_subprocess(kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    """Run a phase in a fresh interpreter and return its RESULT line."""
    proc = subprocess.run(
        [sys.executable, __file__, "--phase", kind, json.dumps(payload)],
        capture_output=True,
        text=True,
        check=False,
    )
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            result: dict[str, Any] = json.loads(line[7:])
            return result
    raise RuntimeError(f"phase {kind} failed:\n{proc.stderr[-3000:]}")


def same_maps(a: Path, b: Path) -> bool:
    """Whether two output folders hold identical maps."""
    import rasterio

    names = sorted(p.name for p in a.glob("*.tif"))
    if names != sorted(p.name for p in b.glob("*.tif")) or not names:
        return False
    for name in names:
        with rasterio.open(a / name) as x, rasterio.open(b / name) as y:
            if not np.array_equal(x.read(1), y.read(1)):
                return False
    return True


def start_cluster(folder: Path) -> tuple[str, list[subprocess.Popen[bytes]]]:
    """``dask scheduler`` and two single-threaded ``dask worker`` processes on 127.0.0.1."""
    from distributed import Client

    dask = str(Path(sys.executable).parent / "dask")
    info = folder / "scheduler.json"
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "cwd": folder}
    procs = [
        subprocess.Popen(
            [
                dask,
                "scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--no-dashboard",
                "--scheduler-file",
                str(info),
            ],
            **quiet,  # type: ignore[call-overload]
        )
    ]
    deadline = time.monotonic() + 60
    while not info.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    address = json.loads(info.read_text())["address"]
    for _ in range(2):
        procs.append(
            subprocess.Popen(
                [
                    dask,
                    "worker",
                    address,
                    "--nworkers",
                    "1",
                    "--nthreads",
                    "1",
                    "--host",
                    "127.0.0.1",
                    "--no-dashboard",
                ],
                **quiet,  # type: ignore[call-overload]
            )
        )
    with Client(address, timeout="60s") as client:
        client.wait_for_workers(2, timeout=120)
    return address, procs


def stop_cluster(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in reversed(procs):
        proc.send_signal(signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def killed_and_resumed(ini: Path, out: Path, fraction: float) -> tuple[float, float, int]:
    """Kill a run once ``fraction`` of its tiles are checkpointed; resume it.

    Returns the seconds until the kill, the seconds of the resumed run and the tiles
    it took from the checkpoint.
    """
    from corridors.omniscape._checkpoint import CHECKPOINT_DIR

    script = (
        "import sys, warnings; warnings.simplefilter('ignore');"
        "from corridors.omniscape import run;"
        "run(sys.argv[1], output_dir=sys.argv[2], progress=False, quiet=True)"
    )
    total = _tiles_with_targets(ini)
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", script, str(ini), str(out)],
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    checkpoint = out / CHECKPOINT_DIR
    tiles = 0
    while proc.poll() is None:
        tiles = len(list(checkpoint.glob("tile_*.npz")))
        if tiles >= fraction * total:
            os.killpg(proc.pid, signal.SIGKILL)
            break
        time.sleep(0.05)
    proc.wait()
    t_kill = time.perf_counter() - start
    resumed = in_subprocess("run", {"ini": str(ini), "out": str(out)})
    return t_kill, resumed["seconds"], tiles


def _tiles_with_targets(ini: Path) -> int:
    """Tiles of the job that hold targets (those a run checkpoints)."""
    from corridors.omniscape._config import load_job
    from corridors.omniscape._rasters import open_inputs, prep_from_job, scan
    from corridors.omniscape._run import job_params
    from corridors.omniscape._tiles import make_tiles, tile_target_count

    job = load_job(ini)
    inputs = open_inputs(job)
    found = scan(inputs, prep_from_job(job), block_size=job.block_size)
    tiles = make_tiles(job_params(job, inputs.shape))
    return sum(tile_target_count(t, found.block_strengths) > 0 for t in tiles)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a 240 x 240 crop, radius 20")
    parser.add_argument("--skip-dask", action="store_true", help="no dask.distributed run")
    parser.add_argument("--skip-full", action="store_true", help="no whole-job run")
    parser.add_argument("--phase", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        _phase_main(args.phase)
        return
    cfg = CONFIGS["quick" if args.quick else "full"]
    tmp = Path(tempfile.mkdtemp(prefix="omniscape-bench-"))
    try:
        report(cfg, tmp, skip_dask=args.skip_dask, skip_full=args.skip_full)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def report(cfg: dict[str, Any], tmp: Path, *, skip_dask: bool, skip_full: bool) -> None:
    res, transform = read_cellmap(cfg["crop"])
    ini = write_job(tmp, res, transform, cfg)
    small_ini = write_job(tmp, res[: cfg["small"], : cfg["small"]], transform, cfg)
    print(
        f"omniscape benchmark: BigTests 1m grid {res.shape[0]} x {res.shape[1]}, sources from "
        f"resistance, radius {cfg['radius']}, block size {cfg['block_size']}, normalised "
        f"current; {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}"
    )
    if not skip_full:
        whole = in_subprocess("run", {"ini": str(ini), "out": str(tmp / "local")})
        useful = whole["core_seconds"] / (2 * whole["seconds"])
        print(
            f"\nwhole job, every core: {whole['targets']} targets in {whole['seconds']:.1f} s, "
            f"{whole['core_seconds'] / whole['targets'] * 1e3:.1f} ms per target per core "
            f"(solves on both cores {useful:.0%} of the wall time); peak "
            f"memory {whole['peak_mib']:.0f} MiB here + {whole['worker_peak_mib']:.0f} MiB per "
            f"worker (estimate printed first: {whole['estimate_mib']:.0f} MiB)"
        )
    peer = in_subprocess("peer", cfg)
    p_cur, p_both = peer["peer_current"], peer["peer_current"] + peer["peer_flow"]
    o_cur, o_both = peer["ours_current"], peer["ours_both"]
    print(
        f"\npeer (clip + spsolve per window) on {peer['targets']} interior targets, one core, "
        "core-seconds per target:\n"
        f"  current only:             peer {p_cur * 1e3:7.1f} ms, corridors "
        f"{o_cur * 1e3:6.1f} ms ({p_cur / o_cur:.1f}x fewer)\n"
        f"  current + flow potential: peer {p_both * 1e3:7.1f} ms, corridors "
        f"{o_both * 1e3:6.1f} ms ({p_both / o_both:.1f}x fewer)\n"
        f"  largest difference between their maps: {peer['max_rel_diff']:.1e} of the maximum"
    )
    one = in_subprocess("run", {"ini": str(small_ini), "out": str(tmp / "w1"), "workers": 1})
    two = in_subprocess("run", {"ini": str(small_ini), "out": str(tmp / "w2"), "workers": 2})
    eff = one["seconds"] / (2 * two["seconds"])
    work = one["core_seconds"] / two["core_seconds"]
    print(
        f"\nparallel efficiency ({cfg['small']} x {cfg['small']} crop, {one['targets']} targets): "
        f"1 worker {one['seconds']:.1f} s, 2 workers {two['seconds']:.1f} s -> {eff:.0%} "
        f"(wall clock, load average now {os.getloadavg()[0]:.1f}); core-seconds "
        f"{one['core_seconds']:.1f} against {two['core_seconds']:.1f} -> {work:.0%} of the "
        f"work is useful; same maps: {same_maps(tmp / 'w1', tmp / 'w2')}"
    )
    if not skip_dask:
        address, procs = start_cluster(tmp)
        try:
            job = ini if not skip_full else small_ini
            local = tmp / ("local" if not skip_full else "w1")
            dist = in_subprocess(
                "run", {"ini": str(job), "out": str(tmp / "dask"), "scheduler": address}
            )
        finally:
            stop_cluster(procs)
        print(
            f"\ndask.distributed (scheduler + 2 worker processes on 127.0.0.1): "
            f"{dist['targets']} targets in {dist['seconds']:.1f} s, "
            f"{dist['core_seconds'] / dist['targets'] * 1e3:.1f} ms per target per core "
            f"(load average now {os.getloadavg()[0]:.1f}); maps identical to the local run: "
            f"{same_maps(tmp / 'dask', local)}"
        )
    # An uninterrupted run just before, under the same load, is the yardstick.
    plain = in_subprocess("run", {"ini": str(small_ini), "out": str(tmp / "plain")})
    t_kill, t_resume, tiles = killed_and_resumed(small_ini, tmp / "resumed", 0.5)
    overhead = t_kill + t_resume - plain["seconds"]
    print(
        f"\nresume ({cfg['small']} crop, every core): killed (SIGKILL) after {t_kill:.1f} s with "
        f"{tiles} tiles checkpointed, resumed in {t_resume:.1f} s; uninterrupted "
        f"{plain['seconds']:.1f} s; overhead {overhead:+.1f} s "
        f"({overhead / plain['seconds']:+.0%}: a second start-up and the tiles in flight at "
        f"the kill); same maps: {same_maps(tmp / 'resumed', tmp / 'plain')}"
    )


if __name__ == "__main__":
    main()
