"""Benchmark: Brownian bridges and population corridors from GPS tracks.

Run with ``python benchmarks/tracking.py [--quick]``. Not a timed test: it prints, in
one run,

1. BBMM occurrence distributions of 100,000 simulated fixes (50 individuals, 2 h fixes,
   30 m cells, the Fremont Lake route) in a process pool and in one process, with wall
   and CPU time (best of ``--repeats``), peak memory and the machine's load (target:
   within 10 s on a 2-core machine);
2. the straightforward peer, a numpy loop evaluating each time step's normal
   distribution over the whole grid, on a subset of one individual large enough to
   time, with seconds per fix for both on the same grid (target: at least 50x fewer
   seconds per fix) and the largest difference between the two UDs (target: 1e-9);
3. population corridors of the same herd here and on a dask.distributed cluster of
   two worker processes started on 127.0.0.1 (and stopped at the end): the same
   classes and counts; and BBMM on that cluster;
4. the peak memory of a 1,000,000-fix population run (500 individuals), in a
   subprocess of its own so that its peak is its own.

Temporary files go to a folder that is removed at the end.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
import warnings
from pathlib import Path
from typing import Any

import numpy as np

ROUTE_CASE = "fremont-lake-mule-deer"


def route() -> Any:
    import corridors

    f = corridors.load_features()
    rows = f[(f["case_id"] == ROUTE_CASE) & (f["role"] == "route")]
    return rows.geometry.iloc[0]


def herd(n_individuals: int, fixes_each: int, seed: int = 1) -> Any:
    """Individuals that migrate the route (10 days of travel, two 5-day stopovers) and
    stay on their summer range until they have ``fixes_each`` 2-hourly fixes."""
    from corridors import tracking as tr

    travel_days = 10 + 10
    after = max(1.0, fixes_each * 2 / 24 - travel_days - 7 - 5)
    return tr.simulate_migration(
        route(),
        n_individuals=n_individuals,
        fix_interval_h=2.0,
        motion_variance=1000.0,
        location_error_m=20.0,
        stopovers=[(0.35, 5.0), (0.7, 5.0)],
        seed=seed,
        residence_days=(7.0, after),
        crs=4326,
    )


def measured(func: Any, *, trace: bool = True) -> tuple[float, float, float, Any]:
    """Wall time (s), CPU time (s, this process and the children that ended meanwhile:
    a process pool's workers), peak traced memory (MiB, or NaN untraced) and result of
    ``func()``."""
    gc.collect()
    if trace:
        tracemalloc.start()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = time.process_time()
    start = time.perf_counter()
    out = func()
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = time.process_time() - cpu
    cpu += (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    peak = math.nan
    if trace:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return wall, cpu, peak / 2**20, out


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (1 min), {five:.1f} (5 min) on {os.cpu_count()} cores"


def bbmm_section(fixes: Any, cell: float, repeats: int) -> tuple[Any, float]:
    """Section 1; returns the last result and one process's best wall time."""
    from corridors import tracking as tr

    n = len(fixes)
    best = {}
    for scheduler, label in (
        ("processes", "a local process pool (2 cores)"),
        (None, "one process, one core"),
    ):

        def run(s: Any = scheduler) -> Any:
            return tr.bbmm(fixes, cell_size_m=cell, levels=(0.99,), scheduler=s)

        # Timed runs untraced (tracing every allocation slows numpy code), then one traced
        # run for the peak memory.
        runs = []
        for _ in range(repeats):
            res = None  # the previous result freed first, as a user's session would
            *times, res = measured(run, trace=False)
            runs.append(times)
        wall = min(r[0] for r in runs)
        cpu = min(r[1] for r in runs)
        res = None
        _, _, peak, res = measured(run)
        best[scheduler] = wall
        print(
            f"1. bbmm on {label}: {n:,} fixes, {fixes['individual'].nunique()} individuals, "
            f"{cell:g} m cells, grid {res.grid.nrows:,} x {res.grid.ncols:,}: {wall:.2f} s "
            f"wall ({wall / n * 1e6:.0f} us per fix), {cpu:.2f} s CPU (with workers), best "
            f"of {repeats}; peak traced memory {peak:,.0f} MiB (target: 10 s; {load()})"
        )
    print(
        f"   the process pool takes {best['processes'] / best[None]:.2f} of one process's wall time"
    )
    mv = res.sequences["motion_variance_m2_per_min"]
    print(
        f"   motion variance estimates: median {mv.median():.0f} m2/min "
        f"(simulated 1000, plus 2 delta^2/dt = 6.7 for Horne's likelihood)"
    )
    return res, best[None]


def peer_section(fixes: Any, res: Any, n_fixes: int) -> None:
    """The peer and corridors on the herd's own grid, for a few fixes of one migration."""
    from threadpoolctl import threadpool_limits

    from corridors.tracking._fixes import lonlat, minutes
    from corridors.tracking._grid import to_grid_xy
    from corridors.tracking._kernel import (
        bridge_steps,
        occurrence,
        occurrence_dense_peer,
    )

    name = res.sequences.index[0]
    ind = res.sequences.loc[name, "individual"]
    one = fixes[fixes["individual"] == ind]
    # Fixes on the move (the middle of the track's first month), not on a range.
    one = one.iloc[100 : 100 + n_fixes + 1]
    lon, lat = lonlat(one)
    x, y = to_grid_xy(res.grid.crs, lon, lat)
    var = float(res.sequences.loc[name, "motion_variance_m2_per_min"])
    steps = bridge_steps(
        x,
        y,
        minutes(one["timestamp"]),
        variance_m2_per_min=var,
        delta_m=20.0,
        time_step_min=5.0,
        max_lag_min=480.0,
    )
    grid = res.grid
    with threadpool_limits(1):
        t_peer = time.process_time()
        peer = occurrence_dense_peer(steps, grid)
        t_peer = time.process_time() - t_peer
        times = []
        for _ in range(20):
            t_fast = time.process_time()
            fast = occurrence(steps, grid)
            times.append(time.process_time() - t_fast)
        t_fast = min(times)
    diff = float(np.abs(fast.dense(0, grid.nrows, 0, grid.ncols) - peer).max())
    top = float(peer.max())
    del peer
    per_peer, per_fast = t_peer / n_fixes, t_fast / n_fixes
    print(
        f"2. peer (numpy loop, each time step over the whole grid), {n_fixes} bridges of "
        f"one migration on the herd's grid ({grid.nrows:,} x {grid.ncols:,}): "
        f"{per_peer:.2f} s CPU per fix; corridors {per_fast * 1e3:.2f} ms CPU per fix (best "
        f"of 20): {per_peer / per_fast:,.0f}x fewer seconds per fix (target: 50x); largest "
        f"difference {diff:.1e} (target: 1e-9), {diff / top:.1e} of the largest cell"
    )


def cluster_section(fixes: Any, cell: float, serial_bbmm_s: float) -> None:
    from distributed import Client, LocalCluster

    from corridors import tracking as tr

    seq = fixes
    wall_here, _, _, here = measured(
        lambda: tr.population_corridors(seq, cell_size_m=cell), trace=False
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with (
            LocalCluster(
                n_workers=2,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
            ) as cluster,
            Client(cluster) as client,
        ):
            # Workers import the package before the clock starts, as a running cluster has.
            client.run(lambda: __import__("corridors.tracking"))
            start = time.perf_counter()
            there = tr.population_corridors(seq, cell_size_m=cell, scheduler=client)
            wall_there = time.perf_counter() - start
            start = time.perf_counter()
            tr.bbmm(seq, cell_size_m=cell, levels=(0.99,), scheduler=client)
            bbmm_there = time.perf_counter() - start
    same = bool(
        np.array_equal(here.count, there.count) and np.array_equal(here.classes, there.classes)
    )
    ud = float(np.abs(here.ud - there.ud).max())
    areas = ", ".join(f"{r.use} {r.area_km2:,.1f} km2" for r in here.corridors.itertuples())
    print(
        f"3. population corridors ({here.n_individuals} individuals): here {wall_here:.1f} s; "
        f"on a 2-process dask.distributed cluster {wall_there:.1f} s; same counts and "
        f"classes: {same}, largest UD difference {ud:.1e}; {areas}; "
        f"{len(here.stopovers)} stopover patches"
    )
    print(
        f"   bbmm of the same fixes on the cluster: {bbmm_there:.2f} s wall (one process: "
        f"{serial_bbmm_s:.2f} s; {load()})"
    )


def peak_rss_mib() -> float:
    """This process's peak resident memory (MiB): VmHWM, which starts afresh at exec;
    ru_maxrss keeps the high-water mark of the parent that forked it (Linux), which
    once reported this benchmark's own gigabytes as the child's."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def million_child(n_individuals: int, fixes_each: int, cell: float) -> None:
    """Run in a subprocess: simulate and model, print JSON with times and peak RSS."""
    from corridors import tracking as tr

    start = time.perf_counter()
    fixes = herd(n_individuals, fixes_each, seed=2)
    sim = time.perf_counter() - start
    start = time.perf_counter()
    pc = tr.population_corridors(fixes, cell_size_m=cell)
    model = time.perf_counter() - start
    rss_mib = peak_rss_mib()
    print(
        json.dumps(
            {
                "fixes": len(fixes),
                "simulate_s": sim,
                "model_s": model,
                "peak_rss_mib": rss_mib,
                "grid": list(pc.grid.shape),
                "individuals": pc.n_individuals,
            }
        )
    )


def million_section(n_individuals: int, fixes_each: int, cell: float) -> None:
    cmd = [sys.executable, __file__, "--child", str(n_individuals), str(fixes_each), str(cell)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        print(f"4. million-fix run failed:\n{out.stderr[-2000:]}")
        return
    res = json.loads(out.stdout.strip().splitlines()[-1])
    print(
        f"4. population corridors of {res['fixes']:,} fixes ({res['individuals']} individuals, "
        f"grid {res['grid'][0]:,} x {res['grid'][1]:,} of {cell:g} m): model "
        f"{res['model_s']:.0f} s (simulation {res['simulate_s']:.0f} s), peak resident "
        f"memory {res['peak_rss_mib']:,.0f} MiB"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--individuals", type=int, default=50)
    parser.add_argument("--fixes-each", type=int, default=2000)
    parser.add_argument("--cell-size", type=float, default=30.0)
    parser.add_argument(
        "--repeats", type=int, default=3, help="runs of section 1 (times: the best)"
    )
    parser.add_argument(
        "--peer-fixes",
        type=int,
        default=4,
        help="bridges of one migration for the straightforward peer",
    )
    parser.add_argument(
        "--million-individuals",
        type=int,
        default=500,
        help="individuals of the 1,000,000-fix run (0 skips it)",
    )
    parser.add_argument("--no-cluster", action="store_true", help="skip the dask cluster run")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a small run (5 individuals, 500 fixes each, one repeat, no million-fix run)",
    )
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        million_child(int(args.child[0]), int(args.child[1]), float(args.child[2]))
        return
    if args.quick:
        args.individuals, args.fixes_each, args.million_individuals = 5, 500, 0
        args.repeats = 1
    with tempfile.TemporaryDirectory(prefix="corridors-tracking-bench-") as tmp:
        fixes = herd(args.individuals, args.fixes_each)
        path = Path(tmp) / "herd.csv"
        from corridors import tracking as tr

        tr.write_movebank(fixes, path)
        fixes = tr.read_movebank(path, timezone="UTC")
        res, serial_s = bbmm_section(fixes, args.cell_size, max(1, args.repeats))
        peer_section(fixes, res, args.peer_fixes)
        if not args.no_cluster:
            cluster_section(fixes, args.cell_size, serial_s)
        if args.million_individuals:
            million_section(args.million_individuals, args.fixes_each, args.cell_size)


if __name__ == "__main__":
    main()
