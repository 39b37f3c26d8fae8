"""Benchmark: HTML size and time to draw of the atlas against GeoDataFrame.explore().

For the bundled catalogue and for 10,000 synthetic polygons, builds the same data with
``corridors.build_map`` and with ``GeoDataFrame.explore()`` in the same run, and measures
the file size and the time from navigation until the map has drawn (the load event plus
two animation frames) in headless Chromium, median of several runs. Both pages get
Leaflet from the installed XStatic package through request interception, every other
network request is answered empty, so the network plays no part.

Targets: at most half the bytes and at most 0.7x the time of explore().

Both maps answer one question: draw these features (and, for the second atlas row, the
country boundaries) on an interactive Leaflet map. The script checks that explore()'s
page holds every feature it was given; corridors' pages are built from the same frame.

Run: ``python benchmarks/map_size.py [--runs N]`` (needs /usr/bin/chromium, playwright,
mapclassify and matplotlib, which explore() imports). The pages are written to a
temporary folder that is removed at the end.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
from shapely.geometry import Polygon

import corridors
from corridors import maps
from corridors.maps._assets import inline_asset

RUNS = 3
DRAWN = """async () => {
  if (document.readyState !== 'complete') await new Promise(r => addEventListener('load', r));
  await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  return performance.now();
}"""


def synthetic(n: int = 10_000, seed: int = 1) -> gpd.GeoDataFrame:
    """``n`` random 24-vertex blobs (about 20 km across) in the catalogue schema."""
    rng = np.random.default_rng(seed)
    cx, cy = rng.uniform(-170, 170, n), rng.uniform(-60, 70, n)
    angles = np.linspace(0, 2 * np.pi, 24, endpoint=False)
    polys = []
    for x, y in zip(cx, cy, strict=True):
        r = 0.1 * (1 + 0.3 * rng.standard_normal(24).clip(-2, 2))
        polys.append(Polygon(np.c_[x + r * np.cos(angles), y + r * np.sin(angles)]))
    realms = np.array(["terrestrial", "freshwater", "marine"])
    taxa = np.array(["mammals", "birds", "fish", "amphibians"])
    return gpd.GeoDataFrame(
        {
            "case_id": [f"syn-{i}" for i in range(n)],
            "name": [f"Synthetic case {i}" for i in range(n)],
            "summary": ["A synthetic polygon for the benchmark."] * n,
            "realm": realms[rng.integers(0, 3, n)],
            "taxon": taxa[rng.integers(0, 4, n)],
            "countries": [["KEN"]] * n,
            "role": ["area"] * n,
            "uncertainty_km": [1.0] * n,
        },
        geometry=polys,
        crs="EPSG:4326",
    )


def time_to_draw(browser: object, path: Path) -> float:
    times = []
    for _ in range(RUNS):
        context = browser.new_context(viewport={"width": 1280, "height": 800})  # type: ignore[attr-defined]
        page = context.new_page()

        def route(r: object) -> None:
            url = r.request.url  # type: ignore[attr-defined]
            body = inline_asset(url)
            if body is not None:
                kind = "text/css" if url.endswith(".css") else "application/javascript"
                r.fulfill(status=200, body=body, content_type=kind)  # type: ignore[attr-defined]
            else:
                r.fulfill(status=200, body="")  # type: ignore[attr-defined]

        page.route("http://**/*", route)
        page.route("https://**/*", route)
        page.goto(path.as_uri(), wait_until="commit", timeout=120_000)
        times.append(page.evaluate(DRAWN) / 1000.0)
        context.close()
    return statistics.median(times)


def main() -> int:
    global RUNS
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=RUNS, help="page loads per map (median)")
    RUNS = parser.parse_args().runs
    print("targets: x size <= 0.50 and x time <= 0.70 against explore() on the same data")
    with tempfile.TemporaryDirectory(prefix="corridors-bench-") as tmp:
        return run(Path(tmp))


#: explore() writes each feature as a GeoJSON object of this type.
_FEATURE = re.compile(r'"type": ?"Feature"[,}]')


def run(out: Path) -> int:
    """Build and time every map in ``out``; print the table."""
    from playwright.sync_api import sync_playwright

    warnings.simplefilter("ignore")
    datasets = {
        "atlas (bundled catalogue)": corridors.load_features(),
        "10,000 synthetic polygons": synthetic(),
    }
    rows = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update"],
        )  # fmt: skip
        for label, frame in datasets.items():
            # Each corridors variant is compared with explore() drawing the same content:
            # the data alone, or the data plus the country-boundary layer.
            variants = {"data layers": {"boundaries": None}}
            if label.startswith("atlas"):
                variants["+ country layer"] = {}
            for name, kw in variants.items():
                t0 = time.perf_counter()
                explore_path = out / "explore.html"
                peer = frame.explore()
                if "boundaries" not in kw:
                    corridors.load_boundaries().explore(m=peer, name="Countries", show=False)
                peer.save(str(explore_path))
                t_explore_build = time.perf_counter() - t0
                size_e = explore_path.stat().st_size
                drawn = len(_FEATURE.findall(explore_path.read_text()))
                expected = len(frame) + (
                    0 if "boundaries" in kw else len(corridors.load_boundaries())
                )
                if drawn != expected:
                    print(f"note: explore() page holds {drawn:,} features of {expected:,} given")
                draw_e = time_to_draw(browser, explore_path)
                rows.append(
                    (label, f"explore() ({name})", size_e, 1.0, draw_e, 1.0, t_explore_build)
                )
                t0 = time.perf_counter()
                path = maps.save_map(
                    maps.build_map(frame, **kw), out / "atlas.html", overwrite=True
                )
                t_build = time.perf_counter() - t0
                size = path.stat().st_size
                draw = time_to_draw(browser, path)
                rows.append(
                    (
                        label,
                        f"corridors ({name})",
                        size,
                        size / size_e,
                        draw,
                        draw / draw_e,
                        t_build,
                    )
                )
        browser.close()

    print(f"{'data':28} {'map':32} {'bytes':>11} {'x size':>7} {'draw s':>7} {'x time':>7} "
          f"{'build s':>7}")  # fmt: skip
    for label, name, size, rs, draw, rt, build in rows:
        print(f"{label:28} {name:32} {size:11,d} {rs:7.2f} {draw:7.2f} {rt:7.2f} {build:7.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
