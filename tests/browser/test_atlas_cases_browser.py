"""Every case of the bundled catalogue can be seen, clicked and opened in a real browser.

The offline atlas of the real catalogue at 1400x850: for every ``layer_by`` value, a
real mouse click at each case's representative point reaches that case's details
(directly, or through the chooser listing the cases there), at the opening world view
and at a view fitted to the case; a pixel sampler finds that every case owns clickable
pixels or a marker at zooms 2, 6 and 10.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import corridors
from corridors import maps

pytestmark = [pytest.mark.browser]

LAYER_BY = ("realm", "taxon", "scale", "role")
VIEWPORT = {"width": 1400, "height": 850}

# Each case of the page, with the point to click: a point of one of its features (its
# marker's place when it is too small to see), and the pixel it is at in the viewport.
CASE_POINTS = """() => {
  const A = window.corridorsAtlas, map = A.map, out = {};
  A.groups.forEach(g => {
    const d = g._ca.data;
    if (d.kind !== 'case' || d.noFilter || !map.hasLayer(g)) return;
    g._ca.items.forEach(it => {
      const rec = d.records[it.rec], id = rec.id;
      // The smallest feature: a click on a large outline's point may land in a smaller case.
      if (out[id] && out[id].area <= it.area) return;
      const ll = it.shrinks ? it.point : it.layers[0].getLatLng();
      // A regional outline is drawn as its line: the sampler looks at a vertex of it.
      let v = d.outline ? it.layers[0].getLatLngs() : null;
      while (Array.isArray(v)) v = v[0];
      const edge = v ? [v.lat, v.lng] : null;
      out[id] = {name: rec.name, area: it.area, lat: ll.lat, lng: ll.lng, edge: edge};
    });
  });
  return out;
}"""

TO_PIXEL = """([lat, lng]) => {
  const map = window.corridorsAtlas.map, p = map.latLngToContainerPoint([lat, lng]);
  const r = map.getContainer().getBoundingClientRect();
  return [r.left + p.x, r.top + p.y];
}"""

IDLE = (
    "() => !window.corridorsAtlas.map._animatingZoom"
    " && !window.corridorsAtlas.map._panAnim?._inProgress"
)


CLOSE = "() => { const A = window.corridorsAtlas; A.closeDetails(A.map); A.map.closePopup(); }"


def _atlas(layer_by: str) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = corridors.build_map(layer_by=layer_by, offline=True)
        return maps.map_html(m)


@pytest.fixture(scope="module")
def pages(browser: Any, tmp_path_factory: Any) -> Iterator[Callable[[str], Any]]:
    folder = tmp_path_factory.mktemp("atlases")
    contexts: list[Any] = []

    def open_page(layer_by: str) -> Any:
        path = folder / f"atlas-{layer_by}.html"
        if not path.exists():
            path.write_text(_atlas(layer_by), encoding="utf-8")
        context = browser.new_context(viewport=VIEWPORT)
        contexts.append(context)
        page = context.new_page()
        page.route("http://**/*", lambda r: r.abort())
        page.route("https://**/*", lambda r: r.abort())
        page.goto(path.as_uri())
        page.wait_for_function("window.corridorsAtlas && window.corridorsAtlas.map")
        page.wait_for_timeout(300)
        page.wait_for_function(IDLE)
        return page

    yield open_page
    for c in contexts:
        c.close()


def _opened_name(page: Any) -> str | None:
    panel = page.locator(".ca-details:not([hidden]) .ca-case h2")
    return panel.inner_text() if panel.count() else None


def _reach(page: Any, case: dict[str, Any]) -> str:
    """Click the case's point; return how it was reached ('direct', 'chooser') or ''."""
    # A fresh start: nothing open from the case before (a closing popup fades out for
    # 200 ms and takes clicks meanwhile).
    page.evaluate(CLOSE)
    page.wait_for_timeout(250)
    page.wait_for_function(IDLE)
    x, y = page.evaluate(TO_PIXEL, [case["lat"], case["lng"]])
    page.mouse.click(x, y)
    page.wait_for_timeout(60)
    if _opened_name(page) == case["name"]:
        return "direct"
    choices = page.locator(".leaflet-popup .ca-choice", has_text=case["name"])
    for i in range(choices.count()):
        if choices.nth(i).inner_text() == case["name"]:
            choices.nth(i).click()
            page.wait_for_timeout(30)
            if _opened_name(page) == case["name"]:
                return "chooser"
    return ""


@pytest.mark.parametrize("layer_by", LAYER_BY)
def test_every_case_is_reached_by_a_click_at_its_point(
    pages: Callable[[str], Any], layer_by: str
) -> None:
    page = pages(layer_by)
    cases = page.evaluate(CASE_POINTS)
    assert len(cases) == len(corridors.load_cases())
    world = page.evaluate(
        "() => [window.corridorsAtlas.map.getCenter(), window.corridorsAtlas.map.getZoom()]"
    )
    missed = []
    for case_id, case in sorted(cases.items()):
        page.evaluate(
            "([c, z]) => { window.corridorsAtlas.map.setView(c, z, {animate: false}); }", world
        )
        if not _reach(page, case):
            missed.append((case_id, "world view"))
        # fitted to the case: every feature of it in view
        page.evaluate(
            """(id) => { const A = window.corridorsAtlas;
              A.groups.some(g => g._ca.items.some(it => {
                const d = g._ca.data;
                if (d.kind !== 'case' || d.records[it.rec].id !== id) return false;
                A.openItem(A.map, g, it); return true; })); }""",
            case_id,
        )
        if not _reach(page, case):
            missed.append((case_id, "fitted view"))
    assert not missed, f"{layer_by}: cases not reached by a click at their point: {missed}"


# Which case a click at each point of a grid round the centre of the view would open
# first, and which markers show. A grid 4 px apart sees a case 8 px across (the size
# below which it becomes a marker); 120 px square holds the case the view centres on.
SAMPLE_STEP_PX = 4
SAMPLE_HALF_PX = 60
OWNERS = """([step, half]) => {
  const A = window.corridorsAtlas, map = A.map, size = map.getSize(), owned = {};
  const cx = size.x / 2, cy = size.y / 2;
  for (let y = cy - half; y <= cy + half; y += step) {
    for (let x = cx - half; x <= cx + half; x += step) {
      const hits = A.casesAt(map, map.containerPointToLatLng([x, y]));
      if (hits.length) {
        const h = hits[0], id = h[0]._ca.data.records[h[1].rec].id;
        owned[id] = (owned[id] || 0) + 1;
      }
    }
  }
  const markers = {};
  A.groups.forEach(g => g._ca.items.forEach(it => {
    if (it.small && it.visible && map.hasLayer(g)) markers[g._ca.data.records[it.rec].id] = true;
  }));
  return [owned, Object.keys(markers)];
}"""


@pytest.mark.parametrize("zoom", [2, 6, 10])
def test_every_case_owns_pixels_or_a_marker(pages: Callable[[str], Any], zoom: int) -> None:
    page = pages("realm")
    cases = page.evaluate(CASE_POINTS)
    lacking = []
    for case_id, case in sorted(cases.items()):
        page.evaluate(
            "([[lat, lng], z]) => {"
            " window.corridorsAtlas.map.setView([lat, lng], z, {animate: false}); }",
            [case["edge"] or [case["lat"], case["lng"]], zoom],
        )
        owned, markers = page.evaluate(OWNERS, [SAMPLE_STEP_PX, SAMPLE_HALF_PX])
        if not owned.get(case_id) and case_id not in markers:
            lacking.append(case_id)
    assert not lacking, f"zoom {zoom}: cases owning no clickable pixel and no marker: {lacking}"


# Every visible control box and every target a finger presses, in viewport pixels.
CONTROLS = """() => {
  const vis = e => { const r = e.getBoundingClientRect(), s = getComputedStyle(e);
    return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none'; };
  const box = e => { const r = e.getBoundingClientRect();
    return {left: r.left, top: r.top, right: r.right, bottom: r.bottom}; };
  const name = e => e.getAttribute('aria-label') || e.getAttribute('title') || e.textContent.trim()
    || e.getAttribute('class');
  const controls = Array.from(document.querySelectorAll('.leaflet-control')).filter(vis)
    .map(e => ({name: e.getAttribute('class'), box: box(e)}));
  // Links inside the attribution's sentence are exempt (WCAG 2.5.5, inline targets).
  const targets = Array.from(document.querySelectorAll(
      '.leaflet-control a, .leaflet-control button, .leaflet-control summary, ' +
      '.leaflet-control select, .leaflet-control input, .ca-details button'))
    .filter(e => vis(e) && !e.closest('.leaflet-control-attribution'))
    .map(e => ({name: name(e), w: e.getBoundingClientRect().width,
                            h: e.getBoundingClientRect().height}));
  const panel = document.querySelector('.ca-details');
  return {controls, targets, panel: panel && !panel.hidden ? box(panel) : null,
          zoom: window.corridorsAtlas.map.getZoom()};
}"""

# WCAG 2.5.5: a target a finger presses is at least 44 by 44 CSS pixels.
TOUCH_TARGET_PX = 44


def _overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return (
        a["left"] < b["right"]
        and b["left"] < a["right"]
        and a["top"] < b["bottom"]
        and b["top"] < a["bottom"]
    )


def test_a_phone_shows_the_atlas_with_the_details_as_a_bottom_sheet(
    browser: Any, tmp_path: Any
) -> None:
    path = tmp_path / "atlas.html"
    path.write_text(_atlas("realm"), encoding="utf-8")
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True
    )
    try:
        page = context.new_page()
        page.route("http://**/*", lambda r: r.abort())
        page.route("https://**/*", lambda r: r.abort())
        page.goto(path.as_uri())
        page.wait_for_function("window.corridorsAtlas && window.corridorsAtlas.ready")
        # Opens a step closer than the whole world at zoom 0, legend collapsed.
        first = page.evaluate(CONTROLS)
        assert first["zoom"] >= 1
        assert page.locator(".ca-legend-item:visible").count() == 0
        # A tap on a case opens its details as a sheet no control overlaps.
        case = page.evaluate(CASE_POINTS)["koytendag-turkmenistan-uzbekistan"]
        page.evaluate(
            """(id) => { const A = window.corridorsAtlas;
              A.groups.some(g => g._ca.items.some(it => {
                if (g._ca.data.records[it.rec].id !== id) return false;
                A.openItem(A.map, g, it); return true; })); }""",
            "koytendag-turkmenistan-uzbekistan",
        )
        page.evaluate(CLOSE)
        page.wait_for_timeout(300)
        x, y = page.evaluate(TO_PIXEL, [case["lat"], case["lng"]])
        page.touchscreen.tap(x, y)
        page.wait_for_timeout(300)
        assert _opened_name(page) == case["name"]
        state = page.evaluate(CONTROLS)
        panel = state["panel"]
        assert panel is not None
        assert panel["left"] >= 0 and panel["right"] <= 390 and panel["bottom"] <= 844
        over = [c["name"] for c in state["controls"] if _overlap(c["box"], panel)]
        assert not over, f"controls over the open details: {over}"
        small = [
            (t["name"], round(t["w"]), round(t["h"]))
            for t in state["targets"]
            if t["w"] < TOUCH_TARGET_PX or t["h"] < TOUCH_TARGET_PX
        ]
        assert not small, f"targets under {TOUCH_TARGET_PX} px: {small}"
        # The case stays in view above the sheet.
        cx, cy = page.evaluate(TO_PIXEL, [case["lat"], case["lng"]])
        assert 0 <= cx <= 390 and 0 <= cy < panel["top"]
    finally:
        context.close()


# The areas of the case shapes in the order the browser paints them (later on top).
PAINT_ORDER = """() => {
  const A = window.corridorsAtlas, area = new Map();
  A.groups.forEach(g => {
    if (g._ca.data.kind !== 'case' || g._ca.data.pane) return;
    g._ca.items.forEach(it => it.layers.forEach(l => { if (l._path) area.set(l._path, it.area); }));
  });
  return Array.from(document.querySelectorAll('.leaflet-overlay-pane path'))
    .filter(p => area.has(p)).map(p => area.get(p));
}"""


def test_a_layer_switched_back_on_goes_under_smaller_cases(pages: Callable[[str], Any]) -> None:
    page = pages("realm")
    page.evaluate("() => { window.corridorsAtlas.map.setView([20, 40], 3, {animate: false}); }")
    page.wait_for_timeout(200)
    before = page.evaluate(PAINT_ORDER)
    assert before == sorted(before, reverse=True)
    legend = page.locator(".ca-legend-item", has_text="Regional and range-wide outlines")
    legend.click()
    legend.click()
    after = page.evaluate(PAINT_ORDER)
    assert len(after) == len(before) and after == sorted(after, reverse=True)
