"""Benchmark corridors.circuit on Circuitscape's BigTests against its peers, like for like.

Runs, each in its own subprocess so that peak memory is measured cleanly, and every peer
on the same number of BLAS/OpenMP threads (``--threads``, default all cores):

* the 1m job (1000 x 1000, one pair) as Circuitscape's verification job asks
  (gzip-compressed maps), checked against Circuitscape's published resistance;
* the 1m and 6m jobs (6m: 3000 x 2000, 8 neighbours) with uncompressed ASCII maps, beside
  landschaft (GPL; installed for the benchmark only, never imported by the package)
  running the same jobs: landschaft writes uncompressed ``.asc`` whatever the job says,
  so this is the run where both write the same maps (same format, no compression). Both
  tools' resistances and current and voltage maps are compared and the largest relative
  difference printed (landschaft writes 17 significant digits, corridors 8 decimals as
  Circuitscape does);
* ``scipy.sparse.linalg.spsolve`` and corridors' AMG solver on the same grounded 1m system;
* a synthetic single solve of at least 20 million cells, after printing its memory
  estimate.

Reference data are read from ``../shared/reference/circuitscape-bigtests`` beside the
repository (or ``$CORRIDORS_SHARED/reference/...``). Outputs go to a temporary folder that
is removed at the end. Usage::

    python benchmarks/circuit_bigtests.py [--skip-landschaft] [--skip-large] [--skip-6m]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def bigtests_dir() -> Path:
    env = os.environ.get("CORRIDORS_SHARED")
    shared = Path(env) if env else ROOT / ".." / "shared"
    return (shared / "reference" / "circuitscape-bigtests").resolve()


# Each task runs in a fresh interpreter and prints one JSON line with its results.
_PRELUDE = """
import json, resource, sys, time, warnings
warnings.simplefilter("ignore")
def _done(**kw):
    kw["peak_gib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print("RESULT " + json.dumps(kw), flush=True)
"""

# The grounded system of the 1m job, exactly as corridors.circuit poses it: the
# Laplacian of the connected component holding both focal points, with the first
# point grounded and a unit current injected at the second.
_SYSTEM = """
import numpy as np
from corridors.circuit._inputs import load_habitat, load_points
from corridors.circuit._modes import Scene, Settings
t0 = time.perf_counter()
g, meta = load_habitat(BASE / "1m" / "cellmap.asc.gz", is_resistance=True)
pts = load_points(BASE / "1m" / "points.txt", meta)
scene = Scene(g, [None], Settings(four_neighbors=True, avg_resistances=True))
nodes = scene.node_of(pts.rows, pts.cols)
members = scene.component_nodes(int(scene.graph.components[nodes[0]]))
local = np.full(scene.n, -1)
local[members] = np.arange(members.size)
ground, src = int(local[nodes[0]]), int(local[nodes[1]])
keep = np.ones(members.size, bool)
keep[ground] = False
a = scene.component_matrix(members)[keep][:, keep].tocsr()
src -= int(src > ground)
b = np.zeros(a.shape[0])
b[src] = 1.0
"""

TASKS = {
    "corridors": """
from corridors.circuit import run
from threadpoolctl import threadpool_info
t = time.perf_counter()
res = run(INI, base_dir=BASE, output_dir=OUT, progress=False)
_done(seconds=time.perf_counter() - t, resistance=float(res.resistances[0, 1]),
      threads=max(i["num_threads"] for i in threadpool_info()))
""",
    "spsolve": _SYSTEM
    + """
import scipy.sparse.linalg as spla
t1 = time.perf_counter()
x = spla.spsolve(a.tocsc(), b)
t2 = time.perf_counter()
_done(seconds=t2 - t0, solve_seconds=t2 - t1, resistance=float(x[src]), unknowns=a.shape[0])
""",
    "amg": _SYSTEM
    + """
from corridors.circuit._solver import GroundedSolver
t1 = time.perf_counter()
solver = GroundedSolver(a, [], method="amg")
x = solver.solve(b)
t2 = time.perf_counter()
_done(seconds=t2 - t0, solve_seconds=t2 - t1, resistance=float(x[src]), unknowns=a.shape[0],
      iterations=solver.iterations[0])
""",
    "landschaft": """
import os
from landschaft import circuit
from threadpoolctl import threadpool_info
os.chdir(BASE)
t = time.perf_counter()
res = circuit.circuitscape_ini(str(INI), write_outputs=True)
r = None
for name in ("resistances", "resistance_matrix", "R"):
    val = getattr(res, name, None)
    if val is not None:
        try:
            import numpy as np
            arr = np.asarray(val, dtype=float)
            r = float(arr[-1, -2]) if arr.ndim == 2 and arr.shape[0] == 3 else float(arr.ravel()[1])
        except Exception:
            r = None
        break
_done(seconds=time.perf_counter() - t, resistance=r,
      threads=max(i["num_threads"] for i in threadpool_info()))
""",
    "large": """
import numpy as np
from corridors.circuit import estimate_memory, pairwise
from corridors.circuit._solver import available_memory
side = SIDE
rng = np.random.default_rng(42)
hab = rng.lognormal(mean=1.0, sigma=1.0, size=(side, side))
est = estimate_memory(side * side, side * side, four_neighbors=True, nmaps=2)
print(f"large solve: {side}x{side} = {side*side/1e6:.1f} M cells, estimated peak "
      f"{est / 2**30:.1f} GiB of {available_memory() / 2**30:.1f} GiB available", flush=True)
t = time.perf_counter()
res = pairwise(hab, {1: (10, 10), 2: (side - 10, side - 10)}, four_neighbors=True,
               keep_maps=False, solver="amg")
_done(seconds=time.perf_counter() - t, resistance=float(res.resistances[0, 1]),
      cells=side * side)
""",
}


#: Thread-count variables of the BLAS and OpenMP libraries both tools load.
_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")
THREADS = os.cpu_count() or 1


def run_task(kind: str, timeout: float, **params: object) -> dict[str, object]:
    """Run one task in a subprocess; returns its JSON result (or an error)."""
    assigns = "\n".join(f"{k} = {v!r}" for k, v in params.items())
    code = (
        _PRELUDE
        + "from pathlib import Path\n"
        + assigns.replace("PosixPath(", "Path(")
        + "\n"
        + textwrap.dedent(TASKS[kind])
    )
    start = time.perf_counter()
    try:
        proc = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=ROOT,
            env={**os.environ, **dict.fromkeys(_THREAD_VARS, str(THREADS))},
        )
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    for line in proc.stdout.splitlines():
        if not line.startswith("RESULT "):
            print("   ", line)
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            out: dict[str, object] = json.loads(line[7:])
            out["wall"] = time.perf_counter() - start
            return out
    tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
    return {"error": " | ".join(tail) or f"exit code {proc.returncode}"}


def job_copy(src: Path, base: Path, out: Path, **options: str) -> Path:
    """A copy of a job with absolute input paths, outputs in ``out`` and ``options`` set."""
    lines = []
    for line in src.read_text().splitlines():
        key, sep, value = line.partition("=")
        k = key.strip()
        if sep and k in {"habitat_file", "point_file"}:
            line = f"{k} = {(base / value.strip()).resolve()}"
        elif sep and k == "output_file":
            line = f"output_file = {out / Path(value.strip()).name}"
        elif sep and k in options:
            line = f"{k} = {options.pop(k)}"
        lines.append(line)
    lines += [f"{k} = {v}" for k, v in options.items()]
    path = out / src.name
    path.write_text("\n".join(lines) + "\n")
    return path


def read_grid(path: Path) -> Any:
    """An ASCII grid's values (nodata as NaN), plain or gzip-compressed."""
    import numpy as np

    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt") as f:
        header = [next(f) for _ in range(6)]
        values = np.loadtxt(f, dtype=np.float64, ndmin=2)
    nodata = float(header[5].split()[1])
    values[values == nodata] = np.nan
    return values


def compare_maps(ours: Path, theirs: Path) -> str:
    """Largest relative difference between the two tools' maps of the same kind."""
    import numpy as np

    worst: list[str] = []
    for kind in ("voltmap", "curmap", "cum_curmap"):
        mine = sorted(ours.glob(f"*_{kind}*.asc*"))
        other = sorted(theirs.glob(f"*_{kind}*.asc*"))
        mine = [p for p in mine if kind != "curmap" or "_cum_" not in p.name]
        other = [p for p in other if kind != "curmap" or "_cum_" not in p.name]
        if not mine or not other:
            worst.append(f"{kind}: missing ({len(mine)} vs {len(other)} files)")
            continue
        a, b = read_grid(mine[0]), read_grid(other[0])
        if a.shape != b.shape or not np.array_equal(np.isnan(a), np.isnan(b)):
            worst.append(f"{kind}: different cells")
            continue
        scale = np.nanmax(np.abs(b))
        rel = float(np.nanmax(np.abs(a - b)) / scale) if scale > 0 else 0.0
        worst.append(f"{kind} {rel:.1e}")
    return ", ".join(worst)


def fmt(res: dict[str, object]) -> str:
    if "error" in res:
        return f"FAILED ({res['error']})"
    r = res.get("resistance")
    rtxt = f"{r:.10g}" if isinstance(r, float) else "n/a"
    extra = f", solve {res['solve_seconds']:.2f} s" if "solve_seconds" in res else ""
    return f"{res['seconds']:7.1f} s{extra}, peak {res['peak_gib']:.2f} GiB, R = {rtxt}"


def main() -> None:
    global THREADS
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--skip-landschaft", action="store_true", help="no landschaft runs")
    parser.add_argument("--skip-6m", action="store_true", help="only the 1m jobs")
    parser.add_argument("--skip-large", action="store_true", help="no 20M-cell solve")
    parser.add_argument("--large-side", type=int, default=4500, help="side of the square grid")
    parser.add_argument("--threads", type=int, default=THREADS, help="BLAS/OpenMP threads")
    parser.add_argument("--timeout", type=float, default=1800.0, help="per run, seconds")
    args = parser.parse_args()
    THREADS = args.threads

    base = bigtests_dir()
    if not base.is_dir():
        sys.exit(f"BigTests data not found at {base}; set CORRIDORS_SHARED")
    baseline_1m = 399.3840726280275
    print(f"corridors.circuit BigTests benchmark ({os.cpu_count()} cores, {THREADS} threads each)")
    print(
        "targets: 1m resistance within 1e-6 of Circuitscape's; the whole job (read, solve,\n"
        "write the maps) faster than landschaft on 1m and 6m when both write the same maps"
    )
    results: dict[str, dict[str, object]] = {}
    jobs = {
        "1m": (base / "verify" / "config_files" / "1m.ini", base),
        "6m": (base / "6m" / "6m-1solve.ini", base / "6m"),
    }
    if args.skip_6m:
        del jobs["6m"]
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        out = scratch / "corridors_1m_gz"
        out.mkdir()
        print("- corridors 1m as the job asks (gzip-compressed maps) ...", flush=True)
        ini, jbase = jobs["1m"]
        results["corridors 1m gz"] = run_task(
            "corridors", args.timeout, INI=ini, BASE=jbase, OUT=out
        )
        print(f"  {fmt(results['corridors 1m gz'])}", flush=True)
        for kind in ("spsolve", "amg"):
            print(f"- {kind} 1m system ...", flush=True)
            results[f"{kind} 1m"] = run_task(kind, args.timeout, BASE=base)
            print(f"  {kind} 1m: {fmt(results[f'{kind} 1m'])}", flush=True)
        for name, (ini, jbase) in jobs.items():
            ours = scratch / f"corridors_{name}"
            ours.mkdir()
            job = job_copy(ini, jbase, ours, compress_grids="False")
            print(f"- corridors {name}, uncompressed ASCII maps ...", flush=True)
            results[f"corridors {name}"] = run_task(
                "corridors", args.timeout, INI=job, BASE=jbase, OUT=ours
            )
            print(f"  {fmt(results[f'corridors {name}'])}", flush=True)
            if args.skip_landschaft:
                continue
            theirs = scratch / f"landschaft_{name}"
            theirs.mkdir()
            job = job_copy(ini, jbase, theirs, compress_grids="False")
            print(f"- landschaft {name}, uncompressed ASCII maps ...", flush=True)
            results[f"landschaft {name}"] = run_task(
                "landschaft", args.timeout, INI=job, BASE=jbase
            )
            print(f"  {fmt(results[f'landschaft {name}'])}", flush=True)
            if "error" not in results[f"landschaft {name}"]:
                results[f"landschaft {name}"]["maps"] = compare_maps(ours, theirs)
        if not args.skip_large:
            print("- large single solve ...", flush=True)
            results["large"] = run_task("large", args.timeout * 2, SIDE=args.large_side)
            print(f"  large: {fmt(results['large'])}", flush=True)

    print("\nSummary")
    for name, res in results.items():
        print(f"  {name:18s} {fmt(res)}")
    ours = results["corridors 1m gz"]
    if "error" not in ours:
        r = float(ours["resistance"])  # type: ignore[arg-type]
        print(
            f"  1m resistance vs Circuitscape's: relative error "
            f"{abs(r - baseline_1m) / baseline_1m:.2e} (target <= 1e-6)"
        )
        sp = results["spsolve 1m"]
        amg = results["amg 1m"]
        if "error" not in sp and "error" not in amg:
            print(f"  1m system: {amg['unknowns']} unknowns, AMG-CG {amg['iterations']} iterations")
            speed = float(sp["solve_seconds"]) / float(amg["solve_seconds"])  # type: ignore[arg-type]
            print(f"  1m speed-up over spsolve, same system, solve only: {speed:.1f}x")
    for name in jobs:
        mine = results.get(f"corridors {name}", {})
        other = results.get(f"landschaft {name}")
        if not other or "error" in mine or "error" in other:
            continue
        r_mine, r_other = mine.get("resistance"), other.get("resistance")
        agree = (
            f"resistances differ by {abs(r_mine - r_other) / abs(r_other):.1e} relative"
            if isinstance(r_mine, float) and isinstance(r_other, float)
            else "resistance not comparable"
        )
        speed = float(other["seconds"]) / float(mine["seconds"])  # type: ignore[arg-type]
        print(
            f"  {name}, same maps (uncompressed ASCII), {mine.get('threads')} vs "
            f"{other.get('threads')} threads: corridors {speed:.2f}x as fast as landschaft "
            f"(target > 1); {agree}; maps differ by {other.get('maps')}"
        )
    print("  Circuitscape.jl (16 processes): 1m 106 s, 6m 1218 s; Circuitscape 4: 538 s, 4711 s")


if __name__ == "__main__":
    main()
