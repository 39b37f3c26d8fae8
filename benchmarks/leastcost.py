"""Benchmark: least-cost modelling against scikit-image and landschaft, like for like.

Run with ``python benchmarks/leastcost.py [--quick]`` (``--help`` for options). Not a
timed test: it prints wall times, peak traced memory and, for every line that sets
corridors beside a peer, the question both answer and whether the answers agree:

1. cost distance on a 16-million-cell raster (4000 x 4000) of integer resistances:
   corridors' :func:`cost_distance` against scikit-image's ``MCP_Geometric`` (same cost
   model; the costs must be bit-identical; target: within 1.2x) and landschaft's
   ``cost_distance`` (same cost model on integer resistances, which is why the raster
   holds integers: landschaft truncates resistances to integers; target: within 1.5x);
2. the least-cost path between two cores on 4 million cells, against landschaft's
   ``least_cost_path``: both paths priced with one cost model, and the cost distance
   from core A at core B from both tools;
3. a 50-core corridor network on 4 million cells (2000 x 2000): cost-weighted adjacency,
   paths, corridors, pinch points and network metrics (no peer does all of it).

landschaft is GPL-licensed: only this script calls it, the package never imports it.
Nothing is written to disk.
"""

from __future__ import annotations

import argparse
import gc
import time
import tracemalloc
import warnings
from collections.abc import Callable
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from rasterio.transform import from_origin
from scipy.ndimage import gaussian_filter
from skimage.graph import MCP_Geometric

import corridors.leastcost as lc

CRS = "EPSG:32633"
CELL = 30.0


def smooth_resistance(n: int, seed: int) -> np.ndarray:
    """A patchy landscape: smoothed noise mapped to resistances 1..100."""
    rng = np.random.default_rng(seed)
    field = gaussian_filter(rng.standard_normal((n, n)).astype(np.float32), sigma=n / 200)
    field = (field - field.min()) / (field.max() - field.min())
    return np.asarray(1.0 + 99.0 * field**2, dtype=np.float64)


def best_of(repeats: int, func: Callable[[], Any]) -> tuple[float, Any]:
    best = np.inf
    out = None
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter()
        out = func()
        best = min(best, time.perf_counter() - start)
    return best, out


def traced(func: Callable[[], Any]) -> tuple[float, float, Any]:
    gc.collect()
    tracemalloc.start()
    start = time.perf_counter()
    out = func()
    elapsed = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return elapsed, peak / 2**20, out


def bench_cost_distance(n: int, repeats: int) -> None:
    print(f"== cost distance, {n} x {n} = {n * n / 1e6:.1f} M cells, 8 neighbours ==")
    print(
        "question: accumulated cost from one cell, a step costing the mean of its two cells'\n"
        "resistances times its length. Integer resistances 1-100, because landschaft\n"
        "truncates resistances to integers (1.9 counts as 1): on integer rasters all three\n"
        "answer with the same cost model."
    )
    r = np.floor(smooth_resistance(n, 1))
    transform = from_origin(500_000, 4_600_000, CELL, CELL)
    centre = (n // 2, n // 3)
    x, y = 500_000 + (centre[1] + 0.5) * CELL, 4_600_000 - (centre[0] + 0.5) * CELL
    source = [shapely.Point(x, y)]
    # Compile (or load numba's cache) outside the timing, as a second call would.
    lc.cost_distance(r[:8, :8], [shapely.Point(500_000 + 15, 4_600_000 - 15)],
                     transform=transform, crs=CRS)  # fmt: skip

    def skimage_run() -> np.ndarray:
        costs, _ = MCP_Geometric(r, fully_connected=True, sampling=(CELL, CELL)).find_costs(
            [centre]
        )
        return costs

    def corridors_run() -> lc.CostDistance:
        return lc.cost_distance(r, source, transform=transform, crs=CRS)

    landschaft = _landschaft()
    mask = np.zeros(r.shape, dtype=bool)
    mask[centre] = True

    def landschaft_run() -> np.ndarray:
        assert landschaft is not None
        out = landschaft.cost_distance(r, mask)
        # landschaft counts steps of length 1; corridors and skimage count metres.
        return np.asarray(getattr(out, "values", out), dtype=np.float64) * CELL

    # Interleave so that none gets a warmer cache or a quieter machine.
    t_sk = t_co = t_ls = np.inf
    ref = ours = theirs = None
    for _ in range(repeats):
        t, ref = best_of(1, skimage_run)
        t_sk = min(t_sk, t)
        t, ours = best_of(1, corridors_run)
        t_co = min(t_co, t)
        if landschaft is not None:
            t, theirs = best_of(1, landschaft_run)
            t_ls = min(t_ls, t)
    assert ref is not None and ours is not None
    same = np.array_equal(ours.cost, ref)
    print(f"skimage MCP_Geometric      {t_sk:8.2f} s")
    print(
        f"corridors.cost_distance    {t_co:8.2f} s   corridors/skimage {t_co / t_sk:.2f}x "
        f"(target <= 1.2x); costs {'bit-identical' if same else 'DIFFER'} "
        f"(max |difference| {float(np.max(np.abs(ours.cost - ref))):.3g})"
    )
    if theirs is None:
        print("landschaft                 not installed (pip install landschaft to compare)")
        return
    rel = float(np.nanmax(np.abs(theirs - ref) / np.maximum(ref, 1.0)))
    print(
        f"landschaft.cost_distance   {t_ls:8.2f} s   corridors/landschaft {t_co / t_ls:.2f}x "
        f"(target <= 1.5x); costs agree to {rel:.1g} relative (landschaft returns float32)"
    )
    del ref, ours, theirs
    gc.collect()


def _landschaft() -> Any:
    """landschaft (GPL) if installed: only this script imports it, never the package."""
    try:
        import landschaft
    except ImportError:
        return None
    return landschaft


def path_cost(r: np.ndarray, cells: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    """corridors' cost of the cheapest route from A to B that stays on ``cells`` (a mask).

    Prices any path, whoever found it, with one cost model: the route is free to use
    the path's cells only (and the cores' own cells), so its cost is the path's cost.
    """
    allowed = np.where(cells | a | b, r, np.inf)
    cd = lc.cost_distance(allowed, a, transform=from_origin(0, 0, CELL, CELL), crs=CRS)
    return float(cd.cost[b].min())


def scatter_cores(n: int, count: int, radius: int, seed: int) -> list[tuple[int, int]]:
    """Core centres at least 4 radii apart, away from the edges."""
    rng = np.random.default_rng(seed)
    out: list[tuple[int, int]] = []
    while len(out) < count:
        r, c = (int(v) for v in rng.integers(2 * radius, n - 2 * radius, 2))
        if all((r - a) ** 2 + (c - b) ** 2 > (4 * radius) ** 2 for a, b in out):
            out.append((r, c))
    return out


def core_frame(centres: list[tuple[int, int]], radius: int) -> gpd.GeoDataFrame:
    geoms = [
        shapely.Point(500_000 + (c + 0.5) * CELL, 4_600_000 - (r + 0.5) * CELL).buffer(
            radius * CELL
        )
        for r, c in centres
    ]
    return gpd.GeoDataFrame({"core_id": range(1, len(geoms) + 1)}, geometry=geoms, crs=CRS)


def bench_pair(n: int, repeats: int) -> None:
    print(f"\n== least-cost path between two cores, {n} x {n} = {n * n / 1e6:.1f} M cells ==")
    print(
        "question: the cells of the cheapest path between core A and core B (integer\n"
        "resistances, same cost model); each path is priced by corridors' cost model, so\n"
        "the two tools' paths are compared on one scale."
    )
    r = np.floor(smooth_resistance(n, 2))
    transform = from_origin(500_000, 4_600_000, CELL, CELL)
    cores = core_frame([(n // 4, n // 5), (3 * n // 4, 4 * n // 5)], 15)
    t_co, table = best_of(
        repeats, lambda: lc.least_cost_paths(r, cores, transform=transform, crs=CRS)
    )
    ours_cost = float(table["cost"].iloc[0])
    print(
        f"corridors.least_cost_paths {t_co:8.2f} s   cost {ours_cost:.6g}, "
        f"{table['length_km'].iloc[0]:.2f} km"
    )
    t_net, net = best_of(
        1,
        lambda: lc.corridor_network(
            r, cores, transform=transform, crs=CRS, adjacency="all", pinch_points=True
        ),
    )
    print(
        f"corridors.corridor_network {t_net:8.2f} s   (2 cost distances, corridor, "
        f"pinch points on {net.corridors['area_km2'].iloc[0]:.1f} km²)"
    )
    landschaft = _landschaft()
    if landschaft is None:
        print("landschaft                 not installed")
        return
    labels = lc.rasterize_cores(cores, lc.read_resistance(r, transform=transform, crs=CRS))
    a = labels.labels == 1
    b = labels.labels == 2
    t_ls, res = best_of(repeats, lambda: landschaft.least_cost_path(r, a, b))
    theirs_mask = np.asarray(getattr(res.lcp_mask, "values", res.lcp_mask)) > 0
    theirs_cost = path_cost(r, theirs_mask, a, b)
    cd_a = landschaft.cost_distance(r, a)
    ls_at_b = float(np.asarray(getattr(cd_a, "values", cd_a))[b].min()) * CELL
    cd_ours = lc.cost_distance(r, a, transform=transform, crs=CRS)
    ours_at_b = float(cd_ours.cost[b].min())
    # corridors' own path, priced the same way as landschaft's (checks the pricing).
    end = np.unravel_index(np.argmin(np.where(b, cd_ours.cost, np.inf)), r.shape)
    ours_mask = np.zeros(r.shape, dtype=bool)
    ours_mask[tuple(lc.trace_path(cd_ours, (int(end[0]), int(end[1]))).T)] = True
    ours_priced = path_cost(r, ours_mask, a, b)
    print(f"landschaft.least_cost_path {t_ls:8.2f} s   corridors/landschaft {t_co / t_ls:.2f}x")
    print(
        f"  path cost, corridors' model: corridors' path {ours_priced:.6g} (reported "
        f"{ours_cost:.6g}), landschaft's path {theirs_cost:.6g} "
        f"({100 * (theirs_cost / ours_priced - 1):+.3f} %: its path cells are "
        f"{int(theirs_mask.sum())}, corridors' {int(ours_mask.sum())})"
    )
    print(
        f"  cost distance from A at B: corridors {ours_at_b:.6g}, landschaft {ls_at_b:.6g} "
        f"({100 * (ls_at_b / ours_at_b - 1):+.4f} %; landschaft's 'expense' "
        f"{res.expense:.6g} is the sum of the path's resistances, another quantity)"
    )


def bench_network(n: int, ncores: int) -> None:
    print(f"\n== {ncores}-core corridor network, {n} x {n} = {n * n / 1e6:.1f} M cells ==")
    r = smooth_resistance(n, 3)
    transform = from_origin(500_000, 4_600_000, CELL, CELL)
    radius = max(3, n // 200)
    cores = core_frame(scatter_cores(n, ncores, radius, 4), radius)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", lc.UnreachableCoresWarning)
        elapsed, peak, net = traced(
            lambda: lc.corridor_network(
                r, cores, transform=transform, crs=CRS, adjacency="cost", pinch_points=True
            )
        )
    status = net.candidates["status"].value_counts().to_dict()
    print(
        f"corridor_network           {elapsed:8.2f} s   peak traced memory {peak:,.0f} MiB "
        f"(resistance raster itself {r.nbytes / 2**20:,.0f} MiB)"
    )
    print(
        f"  {len(net.cores)} cores, {len(net.candidates)} candidate pairs {status}, "
        f"{len(net.links)} corridors, {len(net.pinch_points)} pinch points"
    )
    t_m, metrics = best_of(1, lambda: lc.network_metrics(net))
    print(f"network_metrics            {t_m:8.2f} s   IIC {metrics.iic:.4g}  PC {metrics.pc:.4g}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small rasters (smoke test)")
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    big, mid, ncores = (800, 400, 12) if args.quick else (4000, 2000, 50)
    print(
        "targets: cost distance <= 1.2x skimage MCP_Geometric and <= 1.5x landschaft "
        "with the same costs; paths of equal cost"
    )
    bench_cost_distance(big, args.repeats)
    bench_pair(mid, args.repeats)
    bench_network(mid, ncores)


if __name__ == "__main__":
    main()
