"""Benchmark: HTML size and time to draw of the atlas against GeoDataFrame.explore().

For the bundled catalogue and for 10,000 synthetic polygons, builds the same data with
``corridors.build_map`` and with ``GeoDataFrame.explore()`` in the same run, and measures
the file size and the time from navigation until the map has drawn (the load event plus
two animation frames) in headless Chromium, median of several runs. Both pages get
Leaflet (and the atlas Leaflet.markercluster) from the installed XStatic packages
through request interception, every other network request is answered empty, so the
network plays no part. explore()'s page also asks for jQuery, Bootstrap, Font Awesome
and Leaflet.awesome-markers, which it then never gets: the script counts those files,
and explore()'s times are lower bounds of what its page costs with them.

It then measures time to interactive for the atlas of the bundled catalogue (20 cases)
and of 10,000 synthetic cases, beside explore()'s page of the same data: from navigation
until a click on a feature is answered (explore()'s tooltip; the atlas's tooltip, popup
or opened case), which needs the map built, the feature drawn and the page free to
answer; median of several runs.

For scale, not as peers: a page where Leaflet alone draws the same shapes at full detail
(no folium, popups, legend, search or clusters), and Leaflet's bare map with no shapes.
The atlas draws simplified shapes, so its own floor lies between the two.

Targets: at most half the bytes and at most 0.7x the time of explore(), in drawing and in
time to interactive.

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
from typing import Any

import geopandas as gpd
import numpy as np
from shapely.geometry import Polygon

import corridors
from corridors import maps
from corridors.maps._assets import inline_asset, leaflet_links

RUNS = 5
DRAWN = """async () => {
  if (document.readyState !== 'complete') await new Promise(r => addEventListener('load', r));
  await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  return performance.now();
}"""


#: Polls each animation frame until the map's features are drawn and a Leaflet map is
#: reachable (the atlas's corridorsAtlas.map, or explore()'s global map variable), then
#: returns the on-page position of a lon/lat, to rest the pointer on.
MAP_READY = """async ([lon, lat]) => {
  const until = performance.now() + 120000;
  const find = () => (window.corridorsAtlas && window.corridorsAtlas.map) ||
    Object.values(window).find(v => window.L && v instanceof window.L.Map);
  let map;
  while (!(map = find()) || !document.querySelector('.leaflet-overlay-pane > *')) {
    if (performance.now() > until) throw new Error('the map never drew');
    await new Promise(r => requestAnimationFrame(r));
  }
  const p = map.latLngToContainerPoint([lat, lon]);
  const box = map.getContainer().getBoundingClientRect();
  return [box.left + p.x, box.top + p.y];
}"""
#: Waits until the page answers a click on a feature (explore()'s tooltip, the atlas's
#: tooltip, popup or opened case) and returns the time.
ANSWERED = """async () => {
  const until = performance.now() + 60000;
  const answered = () => document.querySelector('.leaflet-tooltip, .leaflet-popup') ||
    (window.corridorsAtlas && window.corridorsAtlas.selectedKey);
  while (!answered()) {
    if (performance.now() > until) throw new Error('no answer to a click on a feature');
    await new Promise(r => requestAnimationFrame(r));
  }
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


def _median_over_loads(browser: object, path: Path, measure: Any) -> float:
    """Median of ``measure(page)`` over :data:`RUNS` fresh loads of ``path``."""
    times = []
    for _ in range(RUNS):
        context = browser.new_context(viewport={"width": 1280, "height": 800})  # type: ignore[attr-defined]
        page = context.new_page()
        _serve_offline(page, path.name)
        page.goto(path.as_uri(), wait_until="commit", timeout=120_000)
        times.append(measure(page))
        context.close()
    return statistics.median(times)


def time_to_draw(browser: object, path: Path) -> float:
    """Median seconds from navigation until the page has loaded and painted."""
    return _median_over_loads(browser, path, lambda page: page.evaluate(DRAWN) / 1000.0)


def time_to_interactive(browser: object, path: Path, at: tuple[float, float]) -> float:
    """Median seconds from navigation until a click on the feature at ``at`` is answered."""

    def measure(page: Any) -> float:
        x, y = page.evaluate(MAP_READY, list(at))
        page.mouse.click(x, y)
        return float(page.evaluate(ANSWERED)) / 1000.0

    return _median_over_loads(browser, path, measure)


#: Per page (file name): the scripts and style sheets it asked for that were answered
#: empty, because no installed package holds them.
NOT_SERVED: dict[str, set[str]] = {}


def _serve_offline(page: object, name: str) -> None:
    """Answer Leaflet's files from the installed package and every other request empty;
    the scripts and style sheets answered empty go to :data:`NOT_SERVED` under ``name``."""

    def route(r: object) -> None:
        url = r.request.url  # type: ignore[attr-defined]
        body = inline_asset(url)
        if body is not None:
            kind = "text/css" if url.endswith(".css") else "application/javascript"
            r.fulfill(status=200, body=body, content_type=kind)  # type: ignore[attr-defined]
        else:
            if r.request.resource_type in ("script", "stylesheet"):  # type: ignore[attr-defined]
                NOT_SERVED.setdefault(name, set()).add(url.rsplit("/", 1)[-1])
            r.fulfill(status=200, body="")  # type: ignore[attr-defined]

    page.route("http://**/*", route)  # type: ignore[attr-defined]
    page.route("https://**/*", route)  # type: ignore[attr-defined]


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
    interactive: list[tuple[str, float, float]] = []
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
                if "boundaries" in kw:
                    # For scale: Leaflet alone drawing the same shapes at full detail,
                    # nothing else on the page (no popups, legend, search or clusters),
                    # and Leaflet's bare map with no shapes at all.
                    for what, shapes in (("same shapes", frame), ("no shapes", None)):
                        floor_path = leaflet_alone(shapes, out / "leaflet.html")
                        draw_f = time_to_draw(browser, floor_path)
                        size_f = floor_path.stat().st_size
                        rows.append(
                            (label, f"Leaflet alone ({what})", size_f, size_f / size_e,
                             draw_f, draw_f / draw_e, 0.0)
                        )  # fmt: skip
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
        # Time to interactive: each atlas as `corridors map` writes it (no country layer
        # asked for), against explore()'s page of the same rows, pointer on one feature.
        ready = {
            "20 cases (bundled catalogue)": datasets["atlas (bundled catalogue)"],
            "10,000 synthetic cases": datasets["10,000 synthetic polygons"],
        }
        for label, frame in ready.items():
            at = resting_point(frame)
            explore_path = out / "explore.html"
            frame.explore().save(str(explore_path))
            t_explore = time_to_interactive(browser, explore_path, at)
            path = maps.save_map(
                maps.build_map(frame, boundaries=None), out / "atlas.html", overwrite=True
            )
            interactive.append((label, t_explore, time_to_interactive(browser, path, at)))
        browser.close()

    print(f"{'data':28} {'map':32} {'bytes':>11} {'x size':>7} {'draw s':>7} {'x time':>7} "
          f"{'build s':>7}")  # fmt: skip
    for label, name, size, rs, draw, rt, build in rows:
        print(f"{label:28} {name:32} {size:11,d} {rs:7.2f} {draw:7.2f} {rt:7.2f} {build:7.2f}")
    for name, files in sorted(NOT_SERVED.items()):
        print(f"note: {name} asked for {len(files)} files no installed package holds, answered "
              f"empty (its times leave their cost out): {', '.join(sorted(files))}")  # fmt: skip
    print()
    print("time to interactive (navigation to a click on a feature answered), "
          "target x time <= 0.70")  # fmt: skip
    print(f"{'data':32} {'explore() s':>11} {'corridors s':>11} {'x time':>7}")
    for label, t_explore, t_atlas in interactive:
        print(f"{label:32} {t_explore:11.2f} {t_atlas:11.2f} {t_atlas / t_explore:7.2f}")
    return 0


def leaflet_alone(frame: gpd.GeoDataFrame | None, path: Path) -> Path:
    """A page with only Leaflet drawing the frame's shapes (GeoJSON) at full detail,
    fitted to them; with ``frame`` None, Leaflet's map alone at zoom 2."""
    ((_, js),), ((_, css),) = leaflet_links()
    if frame is None:
        draw = "m.setView([20, 10], 2);"
    else:
        shapes = frame.geometry.to_crs(4326).to_json()
        draw = f"var g = L.geoJSON({shapes}).addTo(m); m.fitBounds(g.getBounds());"
    path.write_text(
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f'<link rel="stylesheet" href="{css}"/><script src="{js}"></script>'
        "<style>html,body,#m{width:100%;height:100%;margin:0}</style></head><body>"
        '<div id="m"></div><script>var m = L.map("m");'
        f"{draw}</script>"
        "</body></html>",
        encoding="utf-8",
    )
    return path


def resting_point(frame: gpd.GeoDataFrame) -> tuple[float, float]:
    """A lon/lat inside the polygon with the most vertices (likely the largest on screen)."""
    polygons = frame[frame.geometry.geom_type.isin(["Polygon", "MultiPolygon"])]
    most = polygons.geometry.count_coordinates().to_numpy().argmax()
    point = polygons.geometry.iloc[most].representative_point()
    return (point.x, point.y)


if __name__ == "__main__":
    sys.exit(main())
