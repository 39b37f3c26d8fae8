"""Benchmark: validating and loading the catalogue, against the plain geography check.

Run with ``python benchmarks/catalogue.py [--repeat N]``. Not a timed test: it prints

1. ``corridors.validate()`` of the bundled catalogue, first call in this process (it reads
   the boundaries and builds the country unions) and again once they are cached (target:
   well under 1 s);
2. the geography check alone (every feature inside its declared countries within its
   uncertainty), against the same question answered plainly: ``shapely.distance`` from
   every point of the feature (segmentized) to the declared countries, in a local
   azimuthal equidistant projection, as the check was first written. Both answer the same
   question on the same features; the script counts the features whose verdict differs
   (must be 0);
3. ``load_cases()`` and ``corridors cases`` in fresh processes (what a user waits for).

It writes nothing and leaves nothing behind.
"""

from __future__ import annotations

import argparse
import math
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import geopandas as gpd
import shapely
from shapely.geometry.base import BaseGeometry

import corridors
from corridors import catalogue
from corridors.crs import local_crs

TARGET_CACHED_S = 1.0


def plain_outside_km(geometry: BaseGeometry, codes: tuple[str, ...], allow_km: float) -> float:
    """How far ``geometry`` reaches outside the countries ``codes``, in km, plainly.

    ``shapely.distance`` at every point of the segmentized feature, to the union of the
    countries clipped around it, in a local azimuthal equidistant projection. Slow and
    plainly right: the reference the package's check must agree with.
    """
    union = catalogue._countries_union(codes)
    if union.contains(geometry):
        return 0.0
    centre = geometry.centroid
    pad = allow_km / 100.0 + 1.0
    minx, miny, maxx, maxy = geometry.bounds
    lat_scale = max(math.cos(math.radians(min(abs(miny), abs(maxy), 89.0))), 0.05)
    clipped = shapely.clip_by_rect(
        union, minx - pad / lat_scale, miny - pad, maxx + pad / lat_scale, maxy + pad
    )
    frame = gpd.GeoSeries([geometry, clipped], crs=4326).to_crs(local_crs(centre.x, centre.y))
    if frame.iloc[1].is_empty:
        return math.inf
    step = max(min(allow_km * 500.0, 5000.0), 250.0)
    points = shapely.points(shapely.get_coordinates(shapely.segmentize(frame.iloc[0], step)))
    return float(shapely.distance(points, frame.iloc[1]).max()) / 1000.0


def _best(repeat: int, func: Callable[[], Any]) -> tuple[float, Any]:
    best, out = math.inf, None
    for _ in range(repeat):
        start = time.perf_counter()
        out = func()
        best = min(best, time.perf_counter() - start)
    return best, out


def _fresh(code: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="best of N runs (default 3)")
    args = parser.parse_args(argv)

    start = time.perf_counter()
    problems = corridors.validate()
    first = time.perf_counter() - start
    cached, again = _best(args.repeat, corridors.validate)
    assert problems == again == [], problems
    print("validate() of the bundled catalogue")
    print(f"  first call (reads boundaries, builds unions)   {first:8.2f} s")
    print(f"  again, boundaries cached (best of {args.repeat})          {cached:8.2f} s")
    verdict = "met" if cached < TARGET_CACHED_S else "MISSED"
    print(f"  -> target < {TARGET_CACHED_S:g} s: {verdict}")

    features = corridors.load_features()
    jobs = [
        (row["geometry"], tuple(row["countries"]), catalogue._allowance_km(row))
        for _, row in features.iterrows()
    ]
    t_ours, ours = _best(
        args.repeat, lambda: [catalogue._max_outside_km(g, c, a) for g, c, a in jobs]
    )
    t_plain, plain = _best(1, lambda: [plain_outside_km(g, c, a) for g, c, a in jobs])
    differ = sum((o > a) != (p > a) for o, p, (_, _, a) in zip(ours, plain, jobs, strict=True))
    print(f"\ngeography check of {len(jobs)} features (same question, same features)")
    print(f"  corridors (vertex tree, prepared land, edges)  {t_ours:8.2f} s")
    print(f"  plain shapely.distance at every point          {t_plain:8.2f} s")
    print(f"  -> {t_ours / t_plain:.3f}x the plain time; verdicts that differ: {differ}")

    print("\nin a fresh process (import included)")
    print(f"  load_cases()                                   {_fresh(_LOAD):8.2f} s")
    print(f"  corridors cases                                {_fresh(_CASES):8.2f} s")
    print(f"  import corridors                               {_fresh('import corridors'):8.2f} s")


_LOAD = "import corridors; corridors.load_cases()"
_CASES = "import sys; from corridors.cli import main; sys.argv = ['corridors', 'cases']; main()"


if __name__ == "__main__":
    main()
