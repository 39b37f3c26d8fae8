"""The atlas in a real browser: layers, drawing, popups, safety, offline, controls."""

from __future__ import annotations

import csv
import io
import json
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from atlas_factory import PAYLOADS, features, hostile_features

from corridors import maps

pytestmark = [pytest.mark.browser, pytest.mark.filterwarnings("ignore::UserWarning")]

# Per group: [name shown, features drawn now (as shapes or as the marker of a case too
# small to see), features in total, on the map?]
STATE = """() => {
  const A = window.corridorsAtlas, map = A.map;
  return A.groups.map(g => {
    let drawn = 0;
    g._ca.items.forEach(it => {
      if (!map.hasLayer(g)) return;
      // A case too small to see at this zoom is drawn as its marker.
      if (it.small) {
        if (it.marker && g._ca.small.hasLayer(it.marker)) drawn += it.layers.length;
        return;
      }
      it.layers.forEach(l => {
        const c = g._ca.cluster;
        if (g.hasLayer(l) || (c && c.hasLayer(l))) drawn++;
      });
    });
    return {kind: g._ca.data.kind, items: g._ca.items.length, drawn: drawn, on: map.hasLayer(g),
            layers: g._ca.items.reduce((n, it) => n + it.layers.length, 0)};
  });
}"""

# Centre the view on a feature and give the pixel to click, with whether that pixel
# really shows the feature: a zoom animation still running from page load can move the
# view again after setView, and a click then lands on a neighbour.
CLICK_POINT = """([gi, ii]) => {
  const A = window.corridorsAtlas, g = A.groups[gi], item = g._ca.items[ii], l = item.layers[0];
  if (!A.map._animatingZoom) {
    A.map.setView(l.getLatLng ? l.getLatLng() : l.getBounds().getCenter(), 6, {animate: false});
  }
  const r = l._path.getBoundingClientRect();
  const x = r.left + r.width / 2, y = r.top + r.height / 2;
  return [x, y, !A.map._animatingZoom && document.elementFromPoint(x, y) === l._path];
}"""


def _click_feature(opened: Any, gi: int, ii: int, popup: Any) -> tuple[float, float]:
    """Click feature ``ii`` of group ``gi`` once the view holds still, until ``popup`` shows.

    ``popup`` is what the click should open: the case's details panel for a case.
    """
    page = opened.page
    for _ in range(20):
        x, y, hit = opened.js(CLICK_POINT, [gi, ii])
        if not hit:
            page.wait_for_timeout(250)
            continue
        page.mouse.click(x, y)
        try:
            popup.wait_for(timeout=2000)
            return x, y
        except Exception:  # a click during Leaflet's fade-in of the view can be lost
            page.wait_for_timeout(300)
    raise AssertionError(f"feature {ii} of group {gi} never showed a popup when clicked")


def _html(frame: Any, **kw: Any) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return maps.map_html(maps.build_map(frame, **kw))


@pytest.fixture(scope="module")
def atlas() -> str:
    return _html(features(), boundaries=None)


@pytest.fixture(scope="module")
def hostile() -> str:
    return _html(hostile_features(), boundaries=None)


def test_every_case_is_drawn(open_map: Callable[..., Any], atlas: str) -> None:
    opened = open_map(atlas)
    groups = opened.js(STATE)
    case_groups = [g for g in groups if g["kind"] == "case"]
    assert sum(g["items"] for g in case_groups) == len(features())
    assert all(g["on"] and g["drawn"] == g["layers"] for g in case_groups)
    # every feature is an SVG element in the page
    n_paths = opened.page.locator("path.leaflet-interactive").count()
    assert n_paths >= len(features())
    assert not opened.errors, opened.errors


def test_every_layer_in_the_layer_control_switches(
    open_map: Callable[..., Any], atlas: str
) -> None:
    opened = open_map(atlas)
    page = opened.page
    page.hover(".leaflet-control-layers")
    boxes = page.locator(".leaflet-control-layers-overlays input[type=checkbox]")
    assert boxes.count() >= 3
    for i in range(boxes.count()):
        before = page.locator("path.leaflet-interactive").count()
        boxes.nth(i).click()
        after = page.locator("path.leaflet-interactive").count()
        assert after < before, f"overlay {i} did not hide its features"
        boxes.nth(i).click()
        assert page.locator("path.leaflet-interactive").count() == before
    # base layers are radio buttons that switch too
    radios = page.locator(".leaflet-control-layers-base input[type=radio]")
    assert radios.count() == 4
    radios.nth(1).click()
    assert radios.nth(1).is_checked()


def test_popup_opens_with_the_right_escaped_content(
    open_map: Callable[..., Any], hostile: str
) -> None:
    opened = open_map(hostile)
    page = opened.page
    groups = opened.js(STATE)
    gi = next(i for i, g in enumerate(groups) if g["kind"] == "case")
    popup = page.locator(".ca-details .ca-case")
    x, y = _click_feature(opened, gi, 0, popup)
    # The popup at the pointer is one or two lines: the case's name.
    assert page.locator(".leaflet-popup-content .ca-chooser").count() == 1
    text = popup.inner_text()
    record = opened.js(
        "([gi]) => { const g = window.corridorsAtlas.groups[gi];"
        " return g._ca.data.records[g._ca.items[0].rec]; }",
        [gi],
    )
    assert record["name"] in text  # the payload shows as text ...
    assert popup.locator("img, script, svg, b").count() == 0  # ... and never as markup
    for label in ("Species", "Countries", "Realm", "Interventions", "Location uncertainty"):
        assert label in text
    hrefs = popup.locator("a").evaluate_all("as => as.map(a => a.href)")
    here = page.url.split("#")[0]
    # Sources are http(s); the "link to this case" is this page with a #case= address
    # whose id is percent-encoded, so it holds no markup.
    assert all(
        h.startswith(("http://", "https://")) or h.startswith(here + "#case=") for h in hrefs
    )
    assert not any("<" in h or '"' in h for h in hrefs)
    page.mouse.move(x, y + 1)
    page.wait_for_timeout(100)
    assert page.title() != "pwned" and not opened.dialogs


def test_injection_payloads_never_run(open_map: Callable[..., Any], hostile: str) -> None:
    opened = open_map(hostile)
    page = opened.page
    # open every popup and tooltip, the layer control, the search list and the facets
    opened.js(
        """() => { const A = window.corridorsAtlas;
          A.groups.forEach(g => g._ca.items.forEach(it => {
            A.openItem(A.map, g, it);
            it.layers.forEach(l => l.fire('mouseover', {latlng: A.map.getCenter()}));
          })); }"""
    )
    # the chooser listing every case at once, each choice opening its details
    opened.js(
        """() => { const A = window.corridorsAtlas, hits = [];
          A.groups.forEach(g => g._ca.items.forEach(it => {
            if (g._ca.data.kind === 'case') hits.push([g, it]); }));
          A.chooser(A.map, A.map.getCenter(), hits, A.map.getBounds()); }"""
    )
    choices = page.locator(".leaflet-popup .ca-choice")
    assert choices.count() >= len(PAYLOADS)
    for i in range(choices.count()):
        choices.nth(i).click()
        assert page.locator(".ca-details .ca-case").count() == 1
    page.hover(".leaflet-control-layers")
    page.click(".ca-finder summary")
    for select in page.locator("select.ca-facet").all():
        for value in select.locator("option").evaluate_all("os => os.map(o => o.value)"):
            select.select_option(value)
    page.fill("input.ca-search", PAYLOADS[0])
    page.keyboard.press("Enter")
    page.wait_for_timeout(200)
    assert page.title() == "corridors atlas"
    assert not opened.dialogs, opened.dialogs
    assert not [c for c in opened.console if "pwned" in c or "alert" in c]
    assert page.locator("img[src='x'], svg[onload], script:not([src])").count() <= 1 + 4
    # no element created from data has an event-handler attribute
    handlers = page.evaluate(
        """() => Array.from(document.querySelectorAll('body *')).filter(
             e => Array.from(e.attributes).some(a => a.name.startsWith('on'))).length"""
    )
    assert handlers == 0
    assert page.locator("img[src='x']").count() == 0
    assert not opened.errors, opened.errors


def test_offline_map_makes_no_request(open_map: Callable[..., Any]) -> None:
    html = _html(features(), offline=True)
    opened = open_map(html, network=False, wait_ms=300)
    outside = [u for u in opened.requests if not u.startswith(("file:", "data:"))]
    assert outside == []
    groups = opened.js(STATE)
    assert sum(g["items"] for g in groups if g["kind"] == "case") == len(features())
    # the offline basemap (country outlines) is the base layer and is drawn
    container = opened.page.locator(".leaflet-container")
    assert "ca-offline-sea" in (container.get_attribute("class") or "")
    assert not opened.errors, opened.errors


def test_legend_search_and_facet_filter(open_map: Callable[..., Any], atlas: str) -> None:
    opened = open_map(atlas)
    page = opened.page
    legend = page.locator(".ca-legend-item")
    assert legend.count() == 3
    first = legend.nth(0)
    assert first.get_attribute("aria-pressed") == "true"
    before = page.locator("path.leaflet-interactive").count()
    first.click()
    assert first.get_attribute("aria-pressed") == "false"
    assert page.locator("path.leaflet-interactive").count() < before
    first.click()
    assert page.locator("path.leaflet-interactive").count() == before

    page.click(".ca-finder summary")
    count = page.locator(".ca-count-line")
    assert count.inner_text() == "Showing 6 of 6 cases"
    page.select_option("select[data-facet=realm]", "marine")
    assert count.inner_text() == "Showing 2 of 6 cases"
    shown = opened.js(
        """() => { const out = [];
          window.corridorsAtlas.groups.forEach(g => g._ca.items.forEach(it => {
            if (it.visible) out.push(g._ca.data.records[it.rec].realm); }));
          return out; }"""
    )
    assert set(shown) == {"marine"}
    page.select_option("select[data-facet=country]", "FRA")
    assert count.inner_text() == "Showing 0 of 6 cases"
    page.click(".ca-reset")
    assert count.inner_text() == "Showing 6 of 6 cases"

    # The name suggestions are written when the box is first used, then hold every case.
    suggestions = (
        "() => [...document.querySelectorAll('.ca-finder datalist option')].map(o => o.value)"
    )
    assert opened.js(suggestions) == []
    page.focus("input.ca-search")
    assert opened.js(suggestions) == [f"Case {i:02d} corridor" for i in range(6)]
    page.fill("input.ca-search", "Case 04 corridor")
    page.keyboard.press("Enter")
    page.locator(".ca-details .ca-title").wait_for()
    assert page.locator(".ca-details .ca-title").inner_text() == "Case 04 corridor"
    page.fill("input.ca-search", "")
    assert len(opened.js(suggestions)) == 6  # written once


def test_controls_are_reachable_by_keyboard(open_map: Callable[..., Any], atlas: str) -> None:
    opened = open_map(atlas)
    page = opened.page
    seen = set()
    for _ in range(40):
        page.keyboard.press("Tab")
        seen.add(
            page.evaluate(
                "() => { const e = document.activeElement;"
                " return e.getAttribute('aria-label') || e.getAttribute('class') || e.tagName; }"
            )
        )
    joined = " | ".join(sorted(str(s) for s in seen))
    for wanted in (
        "Zoom in",
        "Full screen",
        "Measure distance",
        "leaflet-control-layers-toggle",
        "ca-legend-item",
    ):
        assert wanted in joined, joined
    # the search panel opens from the keyboard
    page.focus(".ca-finder summary")
    page.keyboard.press("Enter")
    assert page.locator(".ca-finder details").get_attribute("open") is not None


def test_measure_and_fullscreen_tools(open_map: Callable[..., Any], atlas: str) -> None:
    opened = open_map(atlas)
    page = opened.page
    page.click("button[aria-label^='Measure distance']")
    box = page.locator(".leaflet-container").bounding_box()
    page.mouse.click(box["x"] + 300, box["y"] + 400)
    page.mouse.click(box["x"] + 700, box["y"] + 400)
    out = page.locator(".ca-measure-out").inner_text()
    assert out.endswith(" km") and float(out.split()[0]) > 100
    page.keyboard.press("Escape")
    assert page.locator(".ca-measure-out").is_hidden()
    page.click("button[aria-label='Full screen']")
    page.wait_for_timeout(300)
    assert opened.js(
        "() => !!document.fullscreenElement ||"
        " document.querySelector('.leaflet-container').classList.contains('ca-fullscreen')"
    )


def test_raster_overlay_loads_with_its_legend_and_switches(
    open_map: Callable[..., Any],
) -> None:
    import numpy as np
    from affine import Affine

    # a current-like grid over Kenya (UTM 37S), with a hole of NoData
    values = np.random.default_rng(5).lognormal(size=(40, 60))
    values[10:20, 10:20] = np.nan
    transform = Affine(2000.0, 0.0, 200_000.0, 0.0, -2000.0, 9_900_000.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = maps.build_map(features(), boundaries=None, offline=True)
    name = PAYLOADS[0]
    maps.add_raster_layer(
        m, values, transform=transform, crs="EPSG:32737", name=name, caption=PAYLOADS[2], log=True
    )
    opened = open_map(maps.map_html(m), network=False)
    page = opened.page
    page.wait_for_function(
        "() => { const i = document.querySelector('img.leaflet-image-layer');"
        " return i && i.complete && i.naturalWidth > 0; }"
    )
    assert opened.js(
        "() => document.querySelector('img.leaflet-image-layer').parentElement.classList"
        ".contains('leaflet-corridorsRaster-pane')"
    )
    legend = page.locator(".corridors-raster-legend")
    assert legend.is_visible()
    assert PAYLOADS[2] in legend.inner_text()
    page.hover(".leaflet-control-layers")
    label = page.locator(".leaflet-control-layers-overlays label", has_text=name)
    assert label.count() == 1
    label.locator("input").click()
    assert page.locator("img.leaflet-image-layer").count() == 0
    assert legend.count() == 0
    label.locator("input").click()
    assert page.locator("img.leaflet-image-layer").count() == 1
    assert page.locator(".corridors-raster-legend").is_visible()
    assert not opened.errors, opened.errors
    assert not opened.dialogs, opened.dialogs
    assert page.title() != "pwned"


def test_offline_map_stops_at_an_honest_zoom(open_map: Callable[..., Any]) -> None:
    OFFLINE_MAX_ZOOM = maps.OFFLINE_MAX_ZOOM
    opened = open_map(_html(features(), offline=True), network=False)
    assert opened.js("() => corridorsAtlas.map.getMaxZoom()") == OFFLINE_MAX_ZOOM
    opened.js("() => corridorsAtlas.map.setZoom(16, {animate: false})")
    assert opened.js("() => corridorsAtlas.map.getZoom()") <= OFFLINE_MAX_ZOOM
    online = open_map(_html(features(), boundaries=None))
    assert online.js("() => corridorsAtlas.map.getMaxZoom()") > OFFLINE_MAX_ZOOM


def test_a_barrier_at_a_point_is_not_drawn_as_a_site(open_map: Callable[..., Any]) -> None:
    frame = features(1)
    site = frame[frame["role"] == "site"].iloc[0]
    dam = site.copy()
    dam["role"], dam["feature_id"] = "barrier", "dam"
    frame = gpd.GeoDataFrame(
        [*frame.to_dict("records"), dict(dam)], geometry="geometry", crs="EPSG:4326"
    )
    opened = open_map(_html(frame, boundaries=None))
    styles = opened.js(
        """() => {
          const out = {};
          corridorsAtlas.groups.forEach(g => g.eachLayer(l => {
            if (l instanceof L.CircleMarker && l._caItem) {
              out[l._caItem.role] = {dash: l.options.dashArray || null, fill: l.options.fillColor};
            }
          }));
          return out;
        }"""
    )
    assert styles["barrier"]["dash"] and styles["barrier"]["fill"] == "#fff"
    assert styles["site"]["dash"] is None and styles["site"]["fill"] != "#fff"


def _download(page: Any, button: str) -> str:
    with page.expect_download() as info:
        page.click(f".ca-export button:has-text('{button}')")
    return Path(info.value.path()).read_text(encoding="utf-8")


def test_export_downloads_what_is_shown(open_map: Callable[..., Any]) -> None:
    frame = features()
    frame.loc[frame.index[-1], "name"] = '=HYPERLINK("http://evil") "quoted", name'
    opened = open_map(_html(frame, boundaries=None))
    page = opened.page
    page.click(".ca-finder summary")
    every = json.loads(_download(page, "Download GeoJSON"))
    assert every["type"] == "FeatureCollection"
    assert len(every["features"]) == len(frame)  # one shape per feature here
    assert {f["properties"]["role"] for f in every["features"]} == set(frame["role"])
    # coordinates are longitude/latitude, as the frame's
    shapes = shapely.from_geojson([json.dumps(f["geometry"]) for f in every["features"]])
    # Longitude/latitude, where the frame's features are (to the page's rounding).
    assert shapely.total_bounds(shapes) == pytest.approx(frame.total_bounds, abs=1e-4)

    page.select_option("select[data-facet=realm]", "marine")
    marine = json.loads(_download(page, "Download GeoJSON"))
    realms = {f["properties"]["realm"] for f in marine["features"]}
    assert realms == {"marine"} and 0 < len(marine["features"]) < len(frame)
    page.click(".ca-reset")

    rows = list(csv.reader(io.StringIO(_download(page, "Download CSV"))))
    header, body = rows[0], rows[1:]
    assert len(body) == frame["case_id"].nunique()  # one row per case
    names = [r[header.index("name")] for r in body]
    # a formula is written as text, quotes survive the round trip
    assert '\'=HYPERLINK("http://evil") "quoted", name' in names
    assert not opened.errors, opened.errors


def _reload_at(page: Any, fragment: str) -> None:
    """Open the same file afresh with ``fragment`` as its #address."""
    url = page.url.split("#")[0]
    page.goto("about:blank")
    page.goto(url + fragment)
    page.wait_for_function("window.corridorsAtlas && window.corridorsAtlas.groups.length > 0")
    # The address is read once the page has loaded and its first view has settled.
    page.wait_for_function("window.corridorsAtlas.restoring === false")


def test_the_address_holds_view_case_and_filters(open_map: Callable[..., Any], atlas: str) -> None:
    frame = features()
    opened = open_map(atlas)
    page = opened.page
    # A fresh page writes its view into the address.
    page.wait_for_function("location.hash.startsWith('#map=')")

    _reload_at(page, "#map=7/10.0000/20.0000&realm=marine")
    centre = opened.js("() => corridorsAtlas.map.getCenter()")
    assert opened.js("() => corridorsAtlas.map.getZoom()") == 7
    assert centre["lat"] == pytest.approx(10.0, abs=1e-3)
    assert centre["lng"] == pytest.approx(20.0, abs=1e-3)
    page.click(".ca-finder summary")
    assert page.locator("select[data-facet=realm]").input_value() == "marine"
    assert page.locator(".ca-count-line").inner_text() == "Showing 2 of 6 cases"

    # A case: its details open; the link in them names it; closing it leaves the address.
    case = frame[frame["realm"] == "terrestrial"].iloc[0]
    _reload_at(page, f"#case={case['case_id']}")
    title = page.locator(".ca-details .ca-title")
    title.wait_for()
    assert title.inner_text() == case["name"]
    link = page.locator(".ca-details .ca-share a")
    assert link.get_attribute("href") == f"#case={case['case_id']}"
    assert f"case={case['case_id']}" in opened.js("() => location.hash")
    page.click(".ca-details .ca-close")
    assert "case=" not in opened.js("() => location.hash")

    # An address that is not ours is ignored, never run.
    _reload_at(page, "#case=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E&map=99/999/x&realm=nope")
    assert not opened.dialogs and not opened.errors, (opened.dialogs, opened.errors)
    assert page.locator(".leaflet-popup-content").count() == 0
    assert page.locator(".ca-details .ca-case").count() == 0


# Whether every shape of the selected case is in the view.
SELECTED_IN_VIEW = """() => {
  const A = corridorsAtlas, b = A.map.getBounds();
  let n = 0, all = true;
  A.groups.forEach(g => g._ca.items.forEach(it => {
    if (g._ca.data.kind !== 'case' || g._ca.data.records[it.rec].id !== A.selected) return;
    it.layers.forEach(l => {
      n++;
      all = all && b.contains(l.getBounds ? l.getBounds() : l.getLatLng());
    });
  }));
  return n > 0 && all; }"""


def test_search_finds_cases_by_what_users_type(open_map: Callable[..., Any]) -> None:
    frame = features()
    frame.loc[frame["case_id"] == "case-03", "species"] = pd.Series(
        [[{"common": "Snow leopard", "scientific": "Panthera uncia"}]]
        * int((frame["case_id"] == "case-03").sum()),
        index=frame.index[frame["case_id"] == "case-03"],
    )
    opened = open_map(_html(frame, boundaries=None))
    page = opened.page
    page.click(".ca-finder summary")
    title = page.locator(".ca-details .ca-title")
    status = page.locator(".ca-status")

    def search(text: str) -> None:
        page.fill("input.ca-search", text)
        page.keyboard.press("Enter")

    for query, case in [
        ("Panthera uncia", "Case 03 corridor"),  # a scientific name
        ("snow leopard", "Case 03 corridor"),  # a common name, any letter case
        ("case-05", "Case 05 corridor"),  # an id
        ("case-0", "Case 00 corridor"),  # an id prefix: the first of several
        ("Case 04 corridor", "Case 04 corridor"),  # a name, as before
    ]:
        search(query)
        title.wait_for()
        assert title.inner_text() == case, query
        # the chosen case is in view
        assert opened.js(SELECTED_IN_VIEW), query
    search("case-0")
    assert "more cases match" in status.inner_text()

    # An ISO code finds the cases in that country; a filter that hides them says so.
    search("FRA")
    assert title.inner_text() in {"Case 03 corridor"}
    page.select_option("select[data-facet=realm]", "freshwater")
    search("FRA")
    assert "filters or switched-off layers hide" in status.inner_text()
    search("no such thing")
    assert "No case matches" in status.inner_text()
    assert not opened.errors, opened.errors


def test_filters_tell_the_truth(open_map: Callable[..., Any], atlas: str) -> None:
    opened = open_map(atlas)
    page = opened.page
    page.click(".ca-finder summary")
    count = page.locator(".ca-count-line")
    why = page.locator(".ca-why")
    assert count.inner_text() == "Showing 6 of 6 cases"
    # Facets for scale, interventions and threats too.
    for facet in ("realm", "taxon", "country", "scale", "intervention", "threat"):
        assert page.locator(f"select[data-facet={facet}]").count() == 1, facet
    # A layer switched off in the legend is not "shown".
    first = page.locator(".ca-legend-item").nth(0)
    first.click()
    assert count.inner_text() == "Showing 4 of 6 cases"
    first.click()
    assert count.inner_text() == "Showing 6 of 6 cases"
    # An empty result says which filter emptied it.
    page.select_option("select[data-facet=country]", "FRA")
    page.select_option("select[data-facet=realm]", "marine")
    assert count.inner_text() == "Showing 0 of 6 cases"
    assert "country" in why.inner_text() or "together" in why.inner_text()
    page.click(".ca-reset")
    assert why.inner_text() == ""
    # Zoom to results fits the cases a filter leaves.
    page.select_option("select[data-facet=realm]", "marine")
    page.click(".ca-fit-results")
    page.wait_for_timeout(400)
    inside = opened.js(
        """() => { const m = corridorsAtlas.map, b = m.getBounds(); let all = true;
          corridorsAtlas.groups.forEach(g => g._ca.items.forEach(it => {
            if (it.visible && m.hasLayer(g) && g._ca.data.kind === 'case')
              it.layers.forEach(l => {
                const c = l.getBounds ? l.getBounds().getCenter() : l.getLatLng();
                all = all && b.contains(c); }); }));
          return all; }"""
    )
    assert inside
    assert not opened.errors, opened.errors


# Per layer of cases: the zoom from which its markers stop clustering, and whether at the
# zoom before it every case is a shape and two zooms before it some case still a marker.
CLUSTER_STOPS = """() => {
  const A = window.corridorsAtlas, map = A.map, out = {};
  const small = (it, z) => {
    const sw = map.project(it.bounds.getSouthWest(), z);
    const ne = map.project(it.bounds.getNorthEast(), z);
    return Math.max(Math.abs(ne.x - sw.x), Math.abs(ne.y - sw.y)) < 8;
  };
  A.groups.forEach(g => {
    if (!g._ca.small || !g._ca.small.options) return;
    const d = g._ca.small.options.disableClusteringAtZoom;
    const items = g._ca.items.filter(it => it.shrinks);
    out[g._ca.data.records[0].realm] = {
      stop: d,
      shapesBefore: items.every(it => !small(it, d - 1)),
      markerEarlier: d < 2 || items.some(it => small(it, d - 2)),
    };
  });
  return out;
}"""


def test_clusters_stop_where_every_case_of_the_layer_is_a_shape(
    open_map: Callable[..., Any],
) -> None:
    frame = features(4)
    # Case 03 (terrestrial, like case 00) becomes a 50 m square: a marker up to zoom 14.
    tiny = frame["case_id"] == "case-03"
    frame.loc[tiny, "geometry"] = shapely.box(10.0, 5.0, 10.0005, 5.0005)
    page = maps.map_html(maps.build_map(frame, boundaries=None, offline=True))
    opened = open_map(page, network=False)
    stops = opened.js(CLUSTER_STOPS)
    assert stops["terrestrial"]["stop"] == 10  # the tiny case keeps the whole range
    for realm in ("freshwater", "marine"):  # 4 x 3 degree boxes: shapes from zoom 2
        assert stops[realm] == {"stop": 3, "shapesBefore": True, "markerEarlier": True}


# At the opening view: whether any tiny case has shapes made yet, whether every cluster
# icon is placed without a 3D transform, and how many cluster icons there are.
TINY_STATE = """() => {
  const A = window.corridorsAtlas;
  const tiny = A.groups.flatMap(g => g._ca.items.filter(it => it.small));
  const icons = [...document.querySelectorAll('.leaflet-marker-pane .leaflet-marker-icon')];
  return {tiny: tiny.length, made: tiny.filter(it => it._caMade().length).length,
          icons: icons.length, flat: icons.every(i => !/translate3d/.test(i.style.transform))};
}"""
# Zooms in on one tiny case: its shape is made, drawn and on the page.
ZOOM_TO_TINY = """() => {
  const A = window.corridorsAtlas;
  const g = A.groups.find(g => g._ca.items.some(it => it.small));
  const it = g._ca.items.find(it => it.small);
  A.map.setView(it.bounds.getCenter(), A.map.getMaxZoom(), {animate: false});
  A.resize(A.map);
  return {small: it.small, made: it._caMade().length,
          drawn: it._caMade().some(l => l._path && document.contains(l._path))};
}"""


def test_cases_too_small_to_see_start_as_markers_without_shapes(
    open_map: Callable[..., Any],
) -> None:
    frame = features(4)
    # Thirty 2 km squares 5 km apart: markers (clustered) at the opening view, shapes at
    # the offline basemap's deepest zoom.
    like = frame[frame["case_id"] == "case-03"].iloc[0]
    rows = [
        {**like.drop("geometry").to_dict(), "case_id": f"tiny-{i:02d}", "name": f"Tiny {i:02d}"}
        for i in range(30)
    ]
    tiny = gpd.GeoDataFrame(
        rows,
        geometry=[shapely.box(10 + i * 0.05, 5.0, 10.02 + i * 0.05, 5.02) for i in range(30)],
        crs=frame.crs,
    )
    page = maps.map_html(
        maps.build_map(pd.concat([frame, tiny], ignore_index=True), boundaries=None, offline=True)
    )
    opened = open_map(page, network=False)
    state = opened.js(TINY_STATE)
    assert state["tiny"] >= 30 and state["made"] == 0
    assert state["icons"] >= 1 and state["flat"]
    assert opened.js(ZOOM_TO_TINY) == {"small": False, "made": 1, "drawn": True}
    assert not opened.errors
