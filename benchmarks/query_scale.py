#!/usr/bin/env python
"""Scale benchmark for corridors.query.crossing, against its peers, in one run.

Builds 1,000,000 synthetic case features (points, lines and polygons mixed) and answers
``crossing`` against every country of the bundled boundaries, then against a synthetic
network of 100,000 road segments. In the same run it times

* the fastest plain-shapely approach written here: an STRtree plus DE-9IM relate
  patterns, with the tree on either side (both timed, the faster one kept), and for
  areas also a tree over short pieces of their edges, so that only the cases that meet
  an edge get the relate test (the fastest of the three is the reference);
* the reference route of ``crossing`` alone (its speed routes switched off with
  ``corridors.query.speed_routes(False)``), so each speed route is shown against the
  reference route on its scenario: a speed route is kept only where it is at least 2x
  faster than the reference there;
* a plain peer again, then the columns ``crossing`` returns to say by how
  much each case crosses (length across and crossing points for roads; share, size and
  parts inside for areas; planar where ``crossing`` is geodesic, and without
  ``severs``, so a lower bound). This fair peer answers what ``crossing`` answers and is
  the target's reference: ``crossing`` at most 1.3x its time at tolerance 1 km;
* ``geopandas.sjoin(predicate="intersects")``, which only finds candidate contacts
  (a lower bound for an sjoin-based answer: the crossing test would come on top);

Where the plain peer's rows differ from ``crossing``'s at tolerance 0 (the peers' own
question), the report says so and counts them: DE-9IM counts a line that touches a road
at a vertex and turns back as crossing it, ``crossing`` does not.

``crossing`` runs chunks of cases in threads (one per core by default: both routes
against lines, the speed route against areas) while the plain peers run in one: the
report gives ``crossing`` in one thread too.

Finally the peak memory of ``crossing`` above its input (RSS sampled every 5 ms), compared
with the memory the input itself takes. Ours and the plain-shapely peers are each run
``--repeat`` times and the best time is kept (sjoin, minutes long on the countries, runs
once); the first call of ours is reported too, since it also builds the caches of the
boundary it is given (edge pieces, tiles) and warms the allocator. Finally the same
function runs on a ``dask_geopandas.GeoDataFrame`` of 10,000,000 points, partition by
partition.

Run: ``python benchmarks/query_scale.py [--n 1000000] [--roads 100000] [--repeat 3]``
"""

from __future__ import annotations

import argparse
import gc
import os
import threading
import time
from collections.abc import Callable
from typing import Any

import geopandas as gpd
import numpy as np
import pyproj
import shapely

import corridors
from corridors import query
from corridors._threads import thread_count

REGION = (-20.0, -35.0, 140.0, 70.0)  # Africa and Eurasia: many borders
BEST = " *"  # marks the best-of-N figures in the report
GEOD = pyproj.Geod(ellps="WGS84")
THREADS = thread_count()


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


class PeakRSS:
    """Sample RSS in a thread; ``peak`` is the highest value seen during the block."""

    def __enter__(self) -> PeakRSS:
        self.start = rss_mb()
        self.peak = self.start
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_mb())
            time.sleep(0.005)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_mb())


def timed(func: Callable[[], Any], repeat: int = 1) -> tuple[float, Any]:
    """Best wall time of ``repeat`` runs (the usual ``timeit`` rule: the least disturbed
    run), and the last run's result."""
    best = float("inf")
    out = None
    for _ in range(repeat):
        out = None
        gc.collect()
        t0 = time.perf_counter()
        out = func()
        best = min(best, time.perf_counter() - t0)
    return best, out


def synthetic_cases(
    n: int, rng: np.random.Generator, region: tuple[float, float, float, float] = REGION
) -> gpd.GeoDataFrame:
    """n features: 50 % points, 25 % lines (2-5 vertices, 5-30 km steps), 25 % polygons
    (octagons 2-20 km across), centred uniformly over ``region`` (Africa and Eurasia)."""
    x0, y0, x1, y1 = region
    cx = rng.uniform(x0, x1, n)
    cy = rng.uniform(y0, y1, n)
    kind = rng.choice(3, size=n, p=[0.5, 0.25, 0.25])
    geoms = np.empty(n, dtype=object)
    pts = kind == 0
    geoms[pts] = shapely.points(cx[pts], cy[pts])
    ln = np.flatnonzero(kind == 1)
    nv = rng.integers(2, 6, len(ln))
    idx = np.repeat(np.arange(len(ln)), nv)
    steps = rng.normal(0, 0.15, (len(idx), 2))
    starts = np.repeat(np.column_stack([cx[ln], cy[ln]]), nv, axis=0)
    first = np.r_[0, np.cumsum(nv)[:-1]]
    steps[first] = 0
    cum = np.cumsum(steps, axis=0)
    cum -= np.repeat(cum[first], nv, axis=0)
    coords = np.clip(starts + cum, [-180, -89], [180, 89])
    geoms[ln] = shapely.linestrings(coords, indices=idx)
    pg = kind == 2
    geoms[pg] = shapely.buffer(
        shapely.points(cx[pg], cy[pg]), rng.uniform(0.01, 0.1, pg.sum()), quad_segs=2
    )
    return gpd.GeoDataFrame({"kind": kind}, geometry=geoms, crs="EPSG:4326")


def synthetic_roads(
    n: int, rng: np.random.Generator, region: tuple[float, float, float, float] = REGION
) -> gpd.GeoDataFrame:
    """n road segments of 2-4 vertices, 10-60 km long, over ``region``."""
    x0, y0, x1, y1 = region
    nv = rng.integers(2, 5, n)
    idx = np.repeat(np.arange(n), nv)
    start = np.column_stack([rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)])
    heading = rng.uniform(0, 2 * np.pi, n)
    step = rng.uniform(0.1, 0.2, len(idx))
    ang = np.repeat(heading, nv) + rng.normal(0, 0.3, len(idx))
    d = np.column_stack([np.cos(ang) * step, np.sin(ang) * step])
    first = np.r_[0, np.cumsum(nv)[:-1]]
    d[first] = 0
    cum = np.cumsum(d, axis=0)
    cum -= np.repeat(cum[first], nv, axis=0)
    coords = np.repeat(start, nv, axis=0) + cum
    return gpd.GeoDataFrame(
        {"road": np.arange(n)}, geometry=shapely.linestrings(coords, indices=idx), crs="EPSG:4326"
    )


# ----------------------------------------------------------------------------- peers


def plain_areal(cases: np.ndarray, areas: np.ndarray, *, tree_on: str) -> int:
    """STRtree + relate pattern: case interior meets area interior and exterior."""
    keep = np.flatnonzero(shapely.get_type_id(cases) != 0)  # single points never cross
    sub = cases[keep]
    shapely.prepare(areas)
    if tree_on == "cases":
        ai, ci = shapely.STRtree(sub).query(areas, predicate="intersects")
    else:
        ci, ai = shapely.STRtree(areas).query(sub)
    ok = shapely.relate_pattern(areas[ai], sub[ci], "T*****T**")
    return int(ok.sum())


def _edge_hits(cases: np.ndarray, areas: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(case, area) pairs where the case lies on both sides, found through a tree over
    short pieces of the areas' edges (``cases`` without single points)."""
    parts, part_owner = shapely.get_parts(areas, return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    coords, cidx = shapely.get_coordinates(rings, return_index=True)
    start = np.r_[0, np.flatnonzero(np.diff(cidx)) + 1]
    count = np.diff(np.r_[start, len(cidx)])
    n_chunks = np.maximum(-(-(count - 1) // 16), 1)
    ring = np.repeat(np.arange(len(start)), n_chunks)
    k = np.arange(len(ring)) - np.repeat(np.cumsum(n_chunks) - n_chunks, n_chunks)
    s0 = start[ring] + k * 16
    size = np.minimum(s0 + 16, start[ring] + count[ring] - 1) - s0 + 1
    at = np.repeat(s0, size) + np.arange(size.sum()) - np.repeat(np.cumsum(size) - size, size)
    pieces = shapely.linestrings(coords[at], indices=np.repeat(np.arange(len(size)), size))
    owner = part_owner[ring_part[cidx[start]]][ring]
    ci, pi = shapely.STRtree(pieces).query(cases)
    ok = shapely.intersects(pieces[pi], cases[ci])
    key = np.unique(ci[ok].astype(np.int64) * len(areas) + owner[pi[ok]])
    ci, ai = key // len(areas), key % len(areas)
    shapely.prepare(areas)
    hit = shapely.relate_pattern(areas[ai], cases[ci], "T*****T**")
    return ci[hit], ai[hit]


def plain_areal_edges(cases: np.ndarray, areas: np.ndarray) -> int:
    """STRtree over short pieces of the areas' edges + relate pattern.

    A connected case (line, polygon) lies on both sides of an area only if it meets
    the area's edge, so only cases meeting a piece of edge get the relate test;
    multi-part cases (none here) would need the plain route.
    """
    sub = cases[shapely.get_type_id(cases) != 0]
    return len(_edge_hits(sub, areas)[0])


def plain_areal_columns(cases: np.ndarray, areas: np.ndarray) -> int:
    """:func:`plain_areal_edges`, then the columns ``crossing`` returns for each pair:
    the part inside (each area clipped to the case's box first, which spares the
    overlay most of a country), its share and size, and the parts of a line inside.

    Sizes are planar in degrees scaled by the cosine of the latitude: cheaper than the
    geodesic figures ``crossing`` gives, so this stays a lower bound for the peer.
    """
    sub = cases[shapely.get_type_id(cases) != 0]
    ci, ai = _edge_hits(sub, areas)
    b = shapely.bounds(sub[ci])
    near = np.array(
        [shapely.clip_by_rect(a, *box) for a, box in zip(areas[ai], b.tolist(), strict=True)],
        dtype=object,
    )
    inside = shapely.intersection(near, sub[ci])
    km2 = (111.32**2) * np.cos(np.radians((b[:, 1] + b[:, 3]) / 2))
    poly = shapely.get_dimensions(sub[ci]) == 2
    whole = np.where(poly, shapely.area(sub[ci]), shapely.length(sub[ci]))
    part = np.where(poly, shapely.area(inside), shapely.length(inside))
    with np.errstate(invalid="ignore", divide="ignore"):
        share = part / whole
    area_km2 = np.where(poly, part * km2, np.nan)
    length_km = np.where(poly, np.nan, part * np.sqrt(km2))
    n_parts = np.where(poly, 0, shapely.get_num_geometries(inside))
    # Computed as crossing computes its columns; the report only counts the rows.
    del share, area_km2, length_km, n_parts
    return len(ci)


def _linear_hits(
    cases: np.ndarray, roads: np.ndarray, *, tree_on: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(case, road) pairs where the road passes through a polygon's interior
    (T********) or crosses a line's interior (0********), and whether the case is a
    polygon (``cases`` without single points)."""
    if tree_on == "cases":
        ri, ci = shapely.STRtree(cases).query(roads)
    else:
        ci, ri = shapely.STRtree(roads).query(cases)
    poly = shapely.get_dimensions(cases[ci]) == 2
    ok = np.zeros(len(ci), dtype=bool)
    ok[poly] = shapely.relate_pattern(roads[ri[poly]], cases[ci[poly]], "T********")
    ok[~poly] = shapely.relate_pattern(roads[ri[~poly]], cases[ci[~poly]], "0********")
    return ci[ok], ri[ok], poly[ok]


def plain_areal_rows(cases: np.ndarray, areas: np.ndarray) -> set[tuple[int, int]]:
    """The (case, area) pairs :func:`plain_areal_edges` finds, by position."""
    keep = np.flatnonzero(shapely.get_type_id(cases) != 0)
    ci, ai = _edge_hits(cases[keep], areas)
    return set(zip(keep[ci].tolist(), ai.tolist(), strict=True))


def plain_linear_rows(cases: np.ndarray, roads: np.ndarray) -> set[tuple[int, int]]:
    """The cases :func:`plain_linear` finds, by position (as pairs with 0, like the
    areal rows, so that both compare the same way)."""
    keep = np.flatnonzero(shapely.get_type_id(cases) != 0)
    ci, _, _ = _linear_hits(cases[keep], roads, tree_on="boundary")
    return {(int(c), 0) for c in np.unique(keep[ci])}


def crossing_rows(res: gpd.GeoDataFrame, boundary: gpd.GeoDataFrame) -> set[tuple[int, int]]:
    """``crossing``'s rows as (case position, area position), or (case position, 0)
    against roads (``cases`` carry a RangeIndex, so the index is the position)."""
    if "iso_a3" not in boundary.columns:
        return {(int(i), 0) for i in res.index}
    at = {code: k for k, code in enumerate(boundary["iso_a3"])}
    return {(int(i), at[b]) for i, b in zip(res.index, res["boundary"], strict=True)}


def plain_linear(cases: np.ndarray, roads: np.ndarray, *, tree_on: str) -> int:
    """STRtree + relate patterns (:func:`_linear_hits`), the tree on either side."""
    sub = cases[shapely.get_type_id(cases) != 0]
    return len(np.unique(_linear_hits(sub, roads, tree_on=tree_on)[0]))


def plain_linear_columns(cases: np.ndarray, roads: np.ndarray) -> int:
    """:func:`plain_linear` (tree on the roads), then the columns ``crossing`` returns,
    except ``severs``: for polygons the length of road across them (geodesic, per
    segment), for lines the number of crossing points. Leaving out ``severs`` (which
    needs the road's band) keeps this a lower bound for the peer."""
    sub = cases[shapely.get_type_id(cases) != 0]
    ci, ri, poly = _linear_hits(sub, roads, tree_on="boundary")
    inside = shapely.intersection(roads[ri], sub[ci])
    stretches, owner = shapely.get_parts(inside[poly], return_index=True)
    xy, at = shapely.get_coordinates(stretches, return_index=True)
    same = at[1:] == at[:-1]
    _, _, metres = GEOD.inv(xy[:-1, 0][same], xy[:-1, 1][same], xy[1:, 0][same], xy[1:, 1][same])
    per_stretch = np.bincount(at[1:][same], weights=metres, minlength=len(stretches))
    across_km = np.bincount(ci[poly][owner], weights=per_stretch, minlength=len(sub)) / 1000
    n_points = np.bincount(
        ci[~poly], weights=shapely.get_num_geometries(inside[~poly]), minlength=len(sub)
    )
    # Computed as crossing computes its columns; the report only counts the rows.
    del across_km, n_points
    return len(np.unique(ci))


def report(label: str, seconds: float, rows: int) -> None:
    print(f"  {label:<46} {seconds:8.2f} s  {rows:>9,} rows")


def bench(
    name: str,
    cases: gpd.GeoDataFrame,
    boundary: gpd.GeoDataFrame,
    plain: Callable[..., int],
    input_mb: float,
    repeat: int,
) -> None:
    geoms = np.asarray(cases.geometry.values)
    targets = np.asarray(boundary.geometry.values)
    print(f"\ncrossing against {name} ({len(boundary):,} features)")
    with PeakRSS() as mem:
        t_first, res = timed(lambda: query.crossing(cases, boundary))
    report("corridors.query.crossing (1 km), first call", t_first, len(res))
    del res
    t_ours, res = timed(lambda: query.crossing(cases, boundary), repeat)
    report(f"corridors.query.crossing (tolerance 1 km){BEST}", t_ours, len(res))
    del res
    t0, res0 = timed(lambda: query.crossing(cases, boundary, tolerance_km=0), repeat)
    report(f"corridors.query.crossing (tolerance 0){BEST}", t0, len(res0))
    with query.threads(1):
        t_one, res1 = timed(lambda: query.crossing(cases, boundary), repeat)
    report(f"corridors.query.crossing (1 km), one thread{BEST}", t_one, len(res1))
    del res1
    ours0 = crossing_rows(res0, boundary)
    del res0
    with query.speed_routes(False):
        t_ref, res_ref = timed(lambda: query.crossing(cases, boundary), repeat)
        report(f"reference route alone (speed routes off, 1 km){BEST}", t_ref, len(res_ref))
        del res_ref
        t_ref0, res_ref0 = timed(lambda: query.crossing(cases, boundary, tolerance_km=0), repeat)
        report(f"reference route alone (speed routes off, 0){BEST}", t_ref0, len(res_ref0))
        del res_ref0
    times = {}
    for side in ("cases", "boundary"):
        t, k = timed(lambda side=side: plain(geoms, targets, tree_on=side), repeat)
        times[side] = t
        report(f"plain shapely, tree on {side}", t, k)
    if plain is plain_areal:
        t, k = timed(lambda: plain_areal_edges(geoms, targets), repeat)
        times["edges"] = t
        report("plain shapely, tree on pieces of the edges", t, k)
    # The fair peer, the target's reference: the plain peers above answer only which
    # cases cross, while crossing also returns the columns that say by how much.
    columns = plain_areal_columns if plain is plain_areal else plain_linear_columns
    t_cols, k = timed(lambda: columns(geoms, targets), repeat)
    report("plain shapely, then crossing's columns", t_cols, k)
    t_sj = None
    if not SKIP_SJOIN:
        t_sj, sj = timed(lambda: gpd.sjoin(cases, boundary, predicate="intersects", how="inner"))
        report("geopandas.sjoin(predicate='intersects')", t_sj, len(sj))
        del sj
    best = min(times.values())
    peer = (plain_areal_rows if plain is plain_areal else plain_linear_rows)(geoms, targets)
    only_peer, only_ours = len(peer - ours0), len(ours0 - peer)
    kind = "(case, country) pairs" if plain is plain_areal else "cases"
    if only_peer or only_ours:
        print(
            f"  -> rows differ from the plain peer at tolerance 0: {only_peer:,} {kind} only "
            f"the peer finds (DE-9IM counts a touch at a vertex, a dead end or a turn back "
            f"as crossing), {only_ours:,} only crossing finds; {len(peer & ours0):,} in both"
        )
    else:
        print(f"  -> same rows as the plain peer at tolerance 0 ({len(peer):,} {kind})")
    print(
        f"  -> speed routes / reference route alone: {t_ours / t_ref:.2f}x (1 km), "
        f"{t0 / t_ref0:.2f}x (0); speed route kept where <= 0.5x"
    )
    print(f"  -> crossing / fastest plain shapely (which returns no columns): {t_ours / best:.2f}x")
    print(f"  -> same, tolerance 0 (the peers' own question): {t0 / best:.2f}x")
    if "edges" in times:
        classic = min(times["cases"], times["boundary"])
        print(f"  -> crossing / plain shapely, tree on cases or boundary: {t_ours / classic:.2f}x")
    if t_sj is not None:
        print(f"  -> crossing / sjoin:                 {t_ours / t_sj:.2f}x (target < 1x)")
    print(
        f"  -> the fastest plain peer, then crossing's columns: {t_cols / best:.2f}x its own "
        f"time; crossing / that peer (the fair peer): {t_ours / t_cols:.2f}x (1 km, target "
        f"<= 1.3x), {t0 / t_cols:.2f}x (0)"
    )
    print(
        f"  -> same, crossing in one thread as the peer runs: {t_one / t_cols:.2f}x (1 km)"
        + ("" if THREADS > 1 else " (one thread is all this machine gives)")
    )
    extra = mem.peak - mem.start
    # A tiny run's input can fit in pages the process already had: no ratio then.
    ratio = f"{extra / input_mb:.2f}x" if input_mb > 0 else "n/a (input too small to see)"
    print(
        f"  -> peak memory above start {extra:,.0f} MB; input {input_mb:,.0f} MB: "
        f"{ratio} (target <= 2x)"
    )


def bench_dask(n: int, nparts: int) -> None:
    import dask
    import dask.dataframe as dd
    import dask_geopandas

    print(f"\ndask_geopandas: {n:,} points in {nparts} partitions, 2 threads")

    @dask.delayed
    def part(seed: int, size: int) -> gpd.GeoDataFrame:
        rng = np.random.default_rng(seed)
        x0, y0, x1, y1 = REGION
        pts = shapely.points(rng.uniform(x0, x1, size), rng.uniform(y0, y1, size))
        return gpd.GeoDataFrame({"seed": np.full(size, seed)}, geometry=pts, crs="EPSG:4326")

    size = n // nparts
    meta = gpd.GeoDataFrame({"seed": np.zeros(0, dtype=int)}, geometry=[], crs="EPSG:4326")
    ddf = dd.from_delayed([part(i, size) for i in range(nparts)], meta=meta, verify_meta=False)
    if not isinstance(ddf, dask_geopandas.GeoDataFrame):
        ddf = dask_geopandas.from_dask_dataframe(ddf, geometry="geometry")
    with dask.config.set(scheduler="threads", num_workers=2):
        t, res = timed(lambda: query.within(ddf, "CHN").compute())
        report("within(points, 'CHN')", t, len(res))
        t, res = timed(
            lambda: query.near(
                ddf, shapely.Point(104.0, 30.0), distance_km=100, crs="EPSG:4326"
            ).compute()
        )
        report("near(points, (104 E, 30 N), distance_km=100)", t, len(res))
        t, res = timed(lambda: query.crossing(ddf, "TKM").compute())
        report("crossing(points, 'TKM') (points never cross)", t, len(res))


#: Set by --skip-sjoin.
SKIP_SJOIN = False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--roads", type=int, default=100_000)
    parser.add_argument("--dask-n", type=int, default=10_000_000)
    parser.add_argument("--dask-partitions", type=int, default=40)
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="Runs of ours and of the plain-shapely peers; the best is reported (sjoin: 1).",
    )
    parser.add_argument(
        "--skip-sjoin",
        action="store_true",
        help="Leave out geopandas.sjoin (minutes long on the countries).",
    )
    parser.add_argument(
        "--only",
        choices=["countries", "roads", "dask"],
        action="append",
        help="Run only these parts (repeatable; default: all).",
    )
    args = parser.parse_args()
    global SKIP_SJOIN
    SKIP_SJOIN = args.skip_sjoin
    rng = np.random.default_rng(args.seed)

    countries = corridors.load_boundaries()
    query.crossing(countries.iloc[:0], "TKM")  # warm the caches (bundled boundaries)
    before = rss_mb()
    cases = synthetic_cases(args.n, rng)
    input_mb = rss_mb() - before
    kinds = np.bincount(cases["kind"], minlength=3)
    print(
        f"figures marked{BEST} are the best of {args.repeat} runs (ours and the plain "
        "peers alike); the first call also builds the caches of the boundary it is given"
    )
    print(
        f"{len(cases):,} synthetic cases: {kinds[0]:,} points, {kinds[1]:,} lines, "
        f"{kinds[2]:,} polygons ({input_mb:,.0f} MB); shapely {shapely.__version__}, "
        f"GEOS {'.'.join(map(str, shapely.geos_version))}, {os.cpu_count()} cores; "
        f"crossing uses {THREADS} thread{'s' * (THREADS > 1)} "
        "(corridors.query.threads), the plain peers one"
    )
    parts = set(args.only or ["countries", "roads", "dask"])
    if "countries" in parts:
        bench("every country", cases, countries, plain_areal, input_mb, args.repeat)
    roads = synthetic_roads(args.roads, rng)
    if "roads" in parts:
        bench("a road network", cases, roads, plain_linear, input_mb, args.repeat)
    del cases, roads
    gc.collect()
    if args.dask_n and "dask" in parts:
        bench_dask(args.dask_n, args.dask_partitions)


if __name__ == "__main__":
    main()
