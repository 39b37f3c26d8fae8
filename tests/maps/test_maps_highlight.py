"""The highlighted query result, its boundary and the crossing marks."""

from __future__ import annotations

import re

import geopandas as gpd
import pytest
import shapely
from browser.atlas_factory import features

import corridors
from corridors import maps

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


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
    assert "boundary: TEST" in page  # the query's explanation column reaches the popup


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


def _marked(**kw: object) -> set[str]:
    page = maps.map_html(
        maps.build_map(
            CASES,
            layer_by="name",
            boundaries=None,
            highlight=CASES,
            highlight_boundary=BORDER,
            **kw,
        )
    )
    return set(re.findall(r'"Crossing: (\w+)"', page))


def test_only_cases_that_crossing_matches_are_marked() -> None:
    crossed = set(corridors.crossing(CASES, BORDER)["name"])
    assert crossed == {"Across"}
    assert _marked() == crossed  # touching the line is not crossing it


def test_the_marks_follow_the_crossing_tolerance() -> None:
    exact = set(corridors.crossing(CASES, BORDER, tolerance_km=0)["name"])
    assert exact == {"Across", "Shallow"}
    assert _marked(highlight_tolerance_km=0) == exact


def test_catalogue_columns_are_not_shown_as_the_querys_explanation() -> None:
    cases = corridors.load_cases()
    hits = corridors.crossing(cases, "TKM-UZB")
    page = maps.map_html(
        maps.build_map(boundaries=None, highlight=hits, highlight_boundary="TKM-UZB")
    )
    assert "matched_by: " in page
    for column in ("n_features", "roles", "region", "threats", "uncertainty_km"):
        assert f"{column}: " not in page, column
