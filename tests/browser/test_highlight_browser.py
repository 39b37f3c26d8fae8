"""The crossing highlight in a real browser: it opens on the crossing, and each case's
crossing line is the boundary inside that case only (Koytendag's above LISA's)."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import pyproj
import pytest
import shapely

import corridors
from corridors import maps

pytestmark = [pytest.mark.browser, pytest.mark.filterwarnings("ignore::UserWarning")]

KOYTENDAG = "koytendag-turkmenistan-uzbekistan"
# A drawn vertex is rounded to 4 decimals of a degree (docs/maps.md): it may lie this
# far (in degrees) outside the case it is inside of.
ROUNDING_DEG = 1e-4
# The popup field naming the case a crossing part belongs to.
CASE_LABEL = "Case"
# The view opens on Koytendag's own crossing (70 km, with 25 km round it), a small
# share of the 1,596 km border that a view fitted to LISA's part would span.
MAX_VIEW_TO_BORDER = 0.5

# Every drawn crossing part: its case's name, its vertices [lat, lon], its bounds,
# and whether the browser shows it (not under another part or the legend) at a vertex.
PARTS = """(caseField) => {
  const A = window.corridorsAtlas, map = A.map, out = [];
  A.groups.forEach(g => g._ca.items.forEach(it => {
    if (it.role !== 'crossing') return;
    const rec = g._ca.data.records[it.rec], name = rec[g._ca.data.fields.indexOf(caseField)];
    it.layers.forEach(l => {
      const pts = (l.getLatLngs ? l.getLatLngs().flat(3) : [l.getLatLng()]);
      const mid = pts[Math.floor(pts.length / 2)], p = map.latLngToContainerPoint(mid);
      const b = l.getBounds ? l.getBounds() : L.latLngBounds([mid, mid]);
      out.push({name: name, pts: pts.map(q => [q.lat, q.lng]),
                bounds: [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()],
                shown: document.elementFromPoint(p.x, p.y) === (l._path || null),
                regional: (l.options.opacity || 1) < 1,
                at: [p.x, p.y]});
    });
  }));
  const v = map.getBounds();
  return {parts: out, view: [v.getWest(), v.getSouth(), v.getEast(), v.getNorth()]};
}"""


@pytest.fixture(scope="module")
def hits() -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return corridors.crossing(corridors.load_cases(), "TKM-UZB")


@pytest.fixture(scope="module")
def atlas(hits: Any) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = maps.build_map(
            offline=True,
            highlight=hits,
            highlight_boundary="TKM-UZB",
            highlight_name="Cases crossing TKM-UZB",
        )
        return maps.map_html(m)


def _state(opened: Any) -> dict[str, Any]:
    # The first fit may still be animating: read the view once it holds still.
    opened.page.wait_for_function("() => !window.corridorsAtlas.map._animatingZoom")
    state: dict[str, Any] = opened.js(PARTS, CASE_LABEL)
    return state


def test_the_map_opens_fitted_to_the_crossing(atlas: str, open_map: Callable[..., Any]) -> None:
    opened = open_map(atlas, network=False)
    state = _state(opened)
    # The local cases' crossings (a range-wide case's part may be the whole border).
    parts = [p for p in state["parts"] if not p["regional"]]
    assert parts, "no crossing part drawn"
    assert any(p["regional"] for p in state["parts"])  # LISA's, drawn thin
    west = min(p["bounds"][0] for p in parts)
    south = min(p["bounds"][1] for p in parts)
    east = max(p["bounds"][2] for p in parts)
    north = max(p["bounds"][3] for p in parts)
    vw, vs, ve, vn = state["view"]
    assert vw <= west and vs <= south and ve >= east and vn >= north, (state["view"], parts)
    # Koytendag's crossing with FIT_MARGIN_KM round it, not the whole border.
    bw, bs, be, bn = corridors.resolve_boundary("TKM-UZB").geoms[0].bounds
    assert ve - vw < MAX_VIEW_TO_BORDER * (be - bw)
    assert vn - vs < MAX_VIEW_TO_BORDER * (bn - bs)
    assert not opened.errors, opened.errors


def test_koytendag_crossing_line_lies_inside_the_case_only(
    atlas: str, hits: Any, open_map: Callable[..., Any]
) -> None:
    opened = open_map(atlas, network=False)
    state = _state(opened)
    name = hits.loc[KOYTENDAG, "name"]
    mine = [p for p in state["parts"] if p["name"] == name]
    assert len(mine) == 1, [p["name"] for p in state["parts"]]
    (part,) = mine
    case = hits.loc[KOYTENDAG, "geometry"].buffer(ROUNDING_DEG * 2)
    pts = shapely.points([[lon, lat] for lat, lon in part["pts"]])
    assert shapely.within(pts, case).all()
    # The boundary inside the case, not the whole border: its length is crossing's
    # length_across_km (70 km of the border's 1,596).
    line = shapely.LineString([[lon, lat] for lat, lon in part["pts"]])
    km = pyproj.Geod(ellps="WGS84").geometry_length(line) / 1000
    assert km == pytest.approx(hits.loc[KOYTENDAG, "length_across_km"], rel=0.02)
    # Drawn above LISA's part (the whole border) and clear of the legend: the browser
    # shows Koytendag's own line at its middle vertex.
    assert part["shown"], part["at"]


def test_crossing_parts_are_named_and_measured_in_words(
    atlas: str, hits: Any, open_map: Callable[..., Any]
) -> None:
    opened = open_map(atlas, network=False)
    page = opened.page
    state = _state(opened)
    name = hits.loc[KOYTENDAG, "name"]
    (part,) = [p for p in state["parts"] if p["name"] == name]
    x, y = part["at"]
    page.mouse.move(x, y)
    tip = page.locator(".leaflet-tooltip")
    tip.wait_for(timeout=3000)
    assert tip.inner_text().strip() == name
    page.mouse.click(x, y)
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for(timeout=3000)
    text = popup.inner_text()
    assert "Length of boundary inside the case" in text and "69.8 km" in text
    assert "Severs the case" in text and "yes" in text
    legend = page.locator(".ca-legend").inner_text()
    assert "TKM-UZB boundary (dashed line)" in legend
    assert "TKM-UZB inside a crossing case (red)" in legend
