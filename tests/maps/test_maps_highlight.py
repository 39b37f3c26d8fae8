"""The highlighted query result, its boundary and the crossing parts."""

from __future__ import annotations

from typing import Any

import folium
import geopandas as gpd
import pytest
import shapely
from atlas_decode import layer_payloads
from browser.atlas_factory import features

import corridors
from corridors import maps

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

KOYTENDAG = "koytendag-turkmenistan-uzbekistan"


#: The margin round the crossing parts the map opens on (``build_map``'s documentation).
FIT_MARGIN_KM = 25.0
#: The legend's symbols (docs/maps.md): the boundary as a dashed dark grey line, its
#: parts inside crossing cases as a thick red line.
BORDER_SWATCH = "repeating-linear-gradient(90deg,#222222 0 4px,transparent 4px 7px)"
CROSSING_SWATCH = "linear-gradient(#d62728,#d62728) 0 50%/100% 5px"


def _payloads(m: folium.Map) -> list[dict[str, Any]]:
    """The data of each layer drawn on the map's page."""
    return layer_payloads(maps.map_html(m))


def _fit(m: folium.Map) -> list[list[float]]:
    """The bounds the map opens on ([[south, west], [north, east]]): the last fit."""
    fits = [c for c in m._children.values() if type(c).__name__ == "FitBounds"]
    bounds: list[list[float]] = fits[-1].bounds
    return bounds


def test_highlight_and_boundary_layers() -> None:
    frame = features()
    hit = frame[frame["case_id"] == "case-01"].copy()
    hit["boundary"] = "TEST"
    line = gpd.GeoDataFrame(geometry=[shapely.LineString([(-40, -10), (-36, 10)])], crs=4326)
    page = maps.map_html(
        maps.build_map(
            frame,
            boundaries=None,
            highlight=hit,
            highlight_boundary=line,
            highlight_name="Crossing test",
        )
    )
    assert "Crossing test" in page and '"crossing"' in page and '"border"' in page
    # The query's explanation reaches the popup in words: crossing's own answer, which
    # replaces the result's copy of its columns ("boundary: TEST").
    assert "Boundary: " in page and "Length of boundary inside the case: " in page
    assert "boundary: TEST" not in page


# A north-south line at longitude 0 and three lines that meet it: one across (55 km on
# each side), one ending on it, one reaching 0.55 km past it (under the 1 km tolerance).
BORDER = gpd.GeoDataFrame(geometry=[shapely.LineString([(0, -1), (0, 1)])], crs=4326)
CASES = gpd.GeoDataFrame(
    {"name": ["Across", "Touch", "Shallow"]},
    geometry=[
        shapely.LineString([(-0.5, 0), (0.5, 0)]),
        shapely.LineString([(-0.5, 0.5), (0, 0.5)]),
        shapely.LineString([(-0.5, -0.5), (0.005, -0.5)]),
    ],
    crs=4326,
)


def _crossings_layers(m: folium.Map) -> list[dict[str, Any]]:
    """The layers of crossing parts, in drawing order (regional cases' parts first)."""
    return [p for p in _payloads(m) if p["roles"] == ["crossing"]]


def _crossing_rows(m: folium.Map) -> list[dict[str, Any]]:
    """Every crossing part's popup fields, in drawing order."""
    return [
        dict(zip(p["fields"], rec, strict=True))
        for p in _crossings_layers(m)
        for rec in p["records"]
    ]


def _marked(**kw: Any) -> set[str]:
    m = maps.build_map(
        CASES,
        layer_by="name",
        boundaries=None,
        highlight=CASES,
        highlight_boundary=BORDER,
        **kw,
    )
    return {row["Case"] for row in _crossing_rows(m)}


def test_only_cases_that_crossing_matches_are_marked() -> None:
    crossed = set(corridors.crossing(CASES, BORDER)["name"])
    assert crossed == {"Across"}
    assert _marked() == crossed  # touching the line is not crossing it


def test_the_marks_follow_the_crossing_tolerance() -> None:
    exact = set(corridors.crossing(CASES, BORDER, tolerance_km=0)["name"])
    assert exact == {"Across", "Shallow"}
    assert _marked(highlight_tolerance_km=0) == exact


def test_a_case_crossing_does_not_return_says_so() -> None:
    m = maps.build_map(
        CASES, layer_by="name", boundaries=None, highlight=CASES, highlight_boundary=BORDER
    )
    page = maps.map_html(m)
    assert page.count("Crosses the boundary: no") == 2  # Touch and Shallow
    # A line case's crossing is the point where it meets the boundary; the map opens
    # on it with FIT_MARGIN_KM around (and room for the legend to the east).
    (south, west), (north, east) = _fit(m)
    margin_deg = FIT_MARGIN_KM / 111.0
    assert south < 0 < north and west < 0 < east
    assert north - south == pytest.approx(2 * margin_deg, rel=0.05)
    assert east - west < 4 * margin_deg


def test_catalogue_columns_are_not_shown_as_the_querys_explanation() -> None:
    cases = corridors.load_cases()
    hits = corridors.crossing(cases, "TKM-UZB")
    page = maps.map_html(
        maps.build_map(boundaries=None, highlight=hits, highlight_boundary="TKM-UZB")
    )
    assert "Matched because: " in page
    for column in ("n_features", "roles", "region", "threats", "uncertainty_km"):
        assert f"{column}: " not in page, column
    # Measures in words with units, not "key: value".
    for raw in ("matched_by: ", "length_across_km: ", "n_crossings: ", "severs: "):
        assert raw not in page, raw


@pytest.fixture(scope="module")
def tkm_uzb() -> folium.Map:
    hits = corridors.crossing(corridors.load_cases(), "TKM-UZB")
    return maps.build_map(
        boundaries=None,
        highlight=hits,
        highlight_boundary="TKM-UZB",
        highlight_name="Cases crossing TKM-UZB",
    )


def test_crossing_parts_are_the_boundary_inside_each_case_large_cases_first(
    tkm_uzb: folium.Map,
) -> None:
    hits = corridors.crossing(corridors.load_cases(), "TKM-UZB")
    layers = _crossings_layers(tkm_uzb)
    rows = _crossing_rows(tkm_uzb)
    names = [r["Case"] for r in rows]
    # FOCUS-BRI matched for lying deep in both countries: the line is not inside it.
    assert names == [
        hits.loc["lisa-linear-infrastructure-safeguards-asia", "name"],
        hits.loc[KOYTENDAG, "name"],
    ]
    assert all(layer["tooltip"] == layer["fields"].index("Case") for layer in layers)
    # LISA's range-wide part is a thin half-transparent line, Koytendag's the red one.
    assert [bool(layer.get("style")) for layer in layers] == [True, False]
    lisa, koytendag = rows
    assert lisa["Length of boundary inside the case"] == "1,596 km"
    assert lisa["Severs the case"] == "no"
    assert koytendag["Length of boundary inside the case"] == "69.8 km"
    assert koytendag["Crossings"] == "1" and koytendag["Severs the case"] == "yes"


def test_popups_say_crossings_measures_in_words(tkm_uzb: folium.Map) -> None:
    page = maps.map_html(tkm_uzb)
    assert "Length of boundary inside the case: 1,596 km" in page
    assert "Crossings: 1" in page and "Severs the case: no" in page
    # FOCUS-BRI crosses by the package's definition (deep in both countries) and says why.
    assert "Crossings: 0" in page and "Matched because: deep in both countries" in page


def test_legend_explains_each_highlight_symbol(tkm_uzb: folium.Map) -> None:
    page = maps.map_html(tkm_uzb)
    assert "TKM-UZB boundary (dashed line)" in page
    assert "TKM-UZB inside a crossing case (red)" in page
    assert BORDER_SWATCH in page and CROSSING_SWATCH in page


def test_the_map_opens_on_the_crossing_parts(tkm_uzb: folium.Map) -> None:
    (south, west), (north, east) = _fit(tkm_uzb)
    # Koytendag's crossing, the one local case's: LISA's range-wide part is the whole
    # border and would open the map on all of it.
    x0, y0, x1, y1 = corridors.load_cases().loc[KOYTENDAG, "geometry"].bounds
    assert west < x1 and x0 < east and south < y1 and y0 < north
    border = corridors.resolve_boundary("TKM-UZB").geoms[0].bounds
    assert east - west < (border[2] - border[0]) / 4 and north - south < (border[3] - border[1]) / 2


def test_regional_cases_are_dashed_outlines_and_local_ones_filled(tkm_uzb: folium.Map) -> None:
    highlights = [p for p in _payloads(tkm_uzb) if p["roles"] == ["highlight"]]
    by_outline = {bool(p.get("outline")): p for p in highlights}
    assert set(by_outline) == {True, False}
    names = {flag: {r["name"] for r in p["records"]} for flag, p in by_outline.items()}
    assert "The LISA Project" in " ".join(names[True])
    assert any("Turkmenistan and Uzbekistan" in n for n in names[False])
    page = maps.map_html(tkm_uzb)
    assert "Cases crossing TKM-UZB: regional or range-wide (dashed)" in page
    assert "TKM-UZB inside a regional or range-wide case (thin red)" in page


def test_crossing_parts_names_and_boundary_labels_are_escaped() -> None:
    from browser.atlas_factory import PAYLOADS, hostile_features

    frame = hostile_features()
    line = gpd.GeoDataFrame(
        {"name": [PAYLOADS[0]]}, geometry=[shapely.LineString([(-18, -1), (-17, 6)])], crs=4326
    )
    m = maps.build_map(frame, boundaries=None, highlight=frame, highlight_boundary=line)
    assert _crossing_rows(m)  # a hostile name names a crossing part
    page = maps.map_html(m)
    # Markup never reaches the page as markup (quotes alone are inert inside JSON).
    for payload in (p for p in PAYLOADS if "<" in p):
        assert payload not in page, payload
