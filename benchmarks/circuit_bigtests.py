"""Benchmark corridors.circuit on Circuitscape's BigTests against two peers.

Runs, each in its own subprocess so that peak memory is measured cleanly:

* the 1m job (1000 x 1000, one pair, current and voltage maps written);
* the 6m one-solve job (3000 x 2000, 8 neighbours, maps written);
* ``scipy.sparse.linalg.spsolve`` on the same grounded 1m system;
* landschaft (GPL; installed for the benchmark only, never imported by the package)
  on the 1m and 6m jobs;
* a synthetic single solve of at least 20 million cells, after printing its memory
  estimate.

Reference data are read from ``../shared/reference/circuitscape-bigtests`` beside the
repository (or ``$CORRIDORS_SHARED/reference/...``). Usage::

    python benchmarks/circuit_bigtests.py [--skip-landschaft] [--skip-large] [--large-side N]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

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
t = time.perf_counter()
res = run(INI, base_dir=BASE, output_dir=OUT, progress=False)
_done(seconds=time.perf_counter() - t, resistance=float(res.resistances[0, 1]))
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
_done(seconds=time.perf_counter() - t, resistance=r)
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


def landschaft_ini(src: Path, base: Path, out: Path) -> Path:
    """A copy of a job with absolute input paths and outputs in a scratch folder."""
    lines = []
    for line in src.read_text().splitlines():
        key, sep, value = line.partition("=")
        k = key.strip()
        if sep and k in {"habitat_file", "point_file"}:
            line = f"{k} = {(base / value.strip()).resolve()}"
        elif sep and k == "output_file":
            line = f"output_file = {out / Path(value.strip()).name}"
        lines.append(line)
    path = out / src.name
    path.write_text("\n".join(lines) + "\n")
    return path


def fmt(res: dict[str, object]) -> str:
    if "error" in res:
        return f"FAILED ({res['error']})"
    r = res.get("resistance")
    rtxt = f"{r:.10g}" if isinstance(r, float) else "n/a"
    extra = f", solve {res['solve_seconds']:.2f} s" if "solve_seconds" in res else ""
    return f"{res['seconds']:7.1f} s{extra}, peak {res['peak_gib']:.2f} GiB, R = {rtxt}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--skip-landschaft", action="store_true")
    parser.add_argument("--skip-large", action="store_true")
    parser.add_argument("--large-side", type=int, default=4500, help="side of the square grid")
    parser.add_argument("--timeout", type=float, default=1800.0)
    args = parser.parse_args()

    base = bigtests_dir()
    if not base.is_dir():
        sys.exit(f"BigTests data not found at {base}; set CORRIDORS_SHARED")
    baseline_1m = 399.3840726280275
    print(f"corridors.circuit BigTests benchmark ({os.cpu_count()} cores)")
    results: dict[str, dict[str, object]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        jobs = {
            "1m": (base / "verify" / "config_files" / "1m.ini", base),
            "6m": (base / "6m" / "6m-1solve.ini", base / "6m"),
        }
        for name, (ini, jbase) in jobs.items():
            out = scratch / f"corridors_{name}"
            out.mkdir()
            print(f"- corridors {name} ...", flush=True)
            results[f"corridors {name}"] = run_task(
                "corridors", args.timeout, INI=ini, BASE=jbase, OUT=out
            )
            print(f"  corridors {name}: {fmt(results[f'corridors {name}'])}", flush=True)
        for kind in ("spsolve", "amg"):
            print(f"- {kind} 1m system ...", flush=True)
            results[f"{kind} 1m"] = run_task(kind, args.timeout, BASE=base)
            print(f"  {kind} 1m: {fmt(results[f'{kind} 1m'])}", flush=True)
        if not args.skip_landschaft:
            for name, (ini, jbase) in jobs.items():
                out = scratch / f"landschaft_{name}"
                out.mkdir()
                job = landschaft_ini(ini, jbase, out)
                print(f"- landschaft {name} ...", flush=True)
                results[f"landschaft {name}"] = run_task(
                    "landschaft", args.timeout, INI=job, BASE=jbase
                )
                print(f"  landschaft {name}: {fmt(results[f'landschaft {name}'])}", flush=True)
        if not args.skip_large:
            print("- large single solve ...", flush=True)
            results["large"] = run_task("large", args.timeout * 2, SIDE=args.large_side)
            print(f"  large: {fmt(results['large'])}", flush=True)

    print("\nSummary")
    for name, res in results.items():
        print(f"  {name:16s} {fmt(res)}")
    ours = results["corridors 1m"]
    if "error" not in ours:
        r = float(ours["resistance"])  # type: ignore[arg-type]
        print(
            f"  1m resistance vs baseline: relative error {abs(r - baseline_1m) / baseline_1m:.2e}"
        )
        sp = results["spsolve 1m"]
        amg = results["amg 1m"]
        if "error" not in sp and "error" not in amg:
            print(f"  1m system: {amg['unknowns']} unknowns, AMG-CG {amg['iterations']} iterations")
            speed = float(sp["solve_seconds"]) / float(amg["solve_seconds"])  # type: ignore[arg-type]
            print(f"  1m speed-up over spsolve, same system, solve only: {speed:.1f}x")
            speed = float(sp["seconds"]) / float(ours["seconds"])  # type: ignore[arg-type]
            print(
                "  1m speed-up over spsolve, whole job (read, build, solve, write maps)"
                f" vs read, build, solve: {speed:.1f}x"
            )
        ls = results.get("landschaft 1m")
        if ls and "error" not in ls:
            speed = float(ls["seconds"]) / float(ours["seconds"])  # type: ignore[arg-type]
            print(f"  1m speed-up over landschaft: {speed:.2f}x")
    six = results["corridors 6m"]
    ls6 = results.get("landschaft 6m")
    if "error" not in six and ls6 and "error" not in ls6:
        speed = float(ls6["seconds"]) / float(six["seconds"])  # type: ignore[arg-type]
        print(f"  6m speed-up over landschaft: {speed:.2f}x")
    print("  Circuitscape.jl (16 processes): 1m 106 s, 6m 1218 s; Circuitscape 4: 538 s, 4711 s")


if __name__ == "__main__":
    main()
