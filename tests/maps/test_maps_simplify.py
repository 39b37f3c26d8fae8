"""Display outlines stay where their cases are: the atlas's simplification and rounding.

Outlines reach the page simplified and rounded; these tests read them back out of the
page (the Python twin of atlas.js ``decode``) and hold them to the promise of issue #18:
no outline drawn stands off its true outline by more than a few screen pixels at the
atlas's deepest zoom, measured on the map's own Web Mercator plane.
"""

from __future__ import annotations

import math
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
import shapely
from atlas_decode import decode, layer_payloads
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import Point, Polygon, box

import corridors
from corridors import maps

#: "A few screen pixels" (issue #18): the most an outline drawn may stand off its true
#: outline at the atlas's deepest offline zoom, simplification and rounding together.
FEW_PIXELS = 2.0
#: The sphere of Web Mercator (EPSG:3857), the plane Leaflet draws on (metres).
RADIUS_M = 6378137.0
#: Its equator over a 256-pixel tile: a pixel's length at zoom 0 (metres).
PIXEL_AT_ZOOM_0_M = 2 * math.pi * RADIUS_M / 256
#: Slack for floating point in the checks below (metres on the plane).
SLACK_M = 0.01
#: Points in the open Caspian Sea, which the LISA study region goes round.
CASPIAN = [(50.0, 37.75), (50.5, 44.25), (51.0, 42.0), (52.0, 40.0), (49.5, 38.0)]
LISA = "lisa-linear-infrastructure-safeguards-asia"


def bound_m() -> float:
    """The display bound on the plane, in metres, at the offline atlas's deepest zoom."""
    return FEW_PIXELS * PIXEL_AT_ZOOM_0_M / 2**maps.OFFLINE_MAX_ZOOM


def as_geometry(groups: list[Any], digits: int) -> shapely.Geometry:
    """A decoded feature as one shapely geometry (a collection of what it holds)."""
    parts = decode(groups, digits)
    geoms: list[shapely.Geometry] = [Point(p) for p in parts["points"]]
    geoms += [shapely.LineString(line) for line in parts["lines"]]
    geoms += [Polygon(rings[0], rings[1:]) for rings in parts["polygons"]]
    return shapely.GeometryCollection(geoms)


def drawn(page: str) -> dict[tuple[str, str | None], shapely.Geometry]:
    """Each case feature drawn on a page, by (case id, feature name), in lon/lat."""
    out = {}
    for payload in layer_payloads(page):
        if payload.get("kind") != "case":
            continue
        for feature in payload["features"]:
            rec, _, digits, groups, extra = feature[:5]
            name = extra.get("f") if isinstance(extra, dict) else None
            out[(payload["records"][rec]["id"], name)] = as_geometry(groups, digits)
    return out


def on_plane(geom: shapely.Geometry) -> shapely.Geometry:
    """A lon/lat geometry on Web Mercator, the plane Leaflet draws on (metres).

    Spherical Mercator's definition rather than pyproj's EPSG:3857, which would wrap
    longitudes past 180 (a shape running on over the antimeridian, as Leaflet draws it).
    """

    def forward(xy: np.ndarray) -> np.ndarray:
        lon, lat = np.radians(xy[:, 0]), np.radians(xy[:, 1])
        return np.column_stack([RADIUS_M * lon, RADIUS_M * np.log(np.tan(np.pi / 4 + lat / 2))])

    return shapely.transform(geom, forward)


def outline(geom: shapely.Geometry) -> shapely.Geometry:
    """The lines of a geometry: its lines and the rings of its polygons (no points)."""
    parts = shapely.get_parts(shapely.get_parts(geom))
    lines = [p.boundary if p.geom_type == "Polygon" else p for p in parts]
    return shapely.GeometryCollection([g for g in lines if "Line" in g.geom_type])


def within_bound(shown: shapely.Geometry, true: shapely.Geometry) -> bool:
    """Whether two geometries are within the display bound of each other on the plane.

    That is, their Hausdorff distance is at most the bound: checked both ways, between
    the geometries and between their outlines, so an outline that keeps the area but
    wanders (or fills a hole) counts too. (Buffers' round ends are inscribed polygons,
    so the check is if anything stricter than the bound.)
    """
    # Rounding may make a ring touch itself (two spikes' tips on one point), which
    # Leaflet draws as it is but GEOS's area operations refuse; the outlines are as drawn.
    a, b = shapely.make_valid(on_plane(shown)), on_plane(true)
    reach = bound_m() + SLACK_M
    pairs = [(a, b)]
    lines = outline(on_plane(shown)), outline(b)
    if not (lines[0].is_empty and lines[1].is_empty):  # points have no outline
        pairs.append(lines)
    return all(p.buffer(reach).covers(q) and q.buffer(reach).covers(p) for p, q in pairs)


@pytest.fixture(scope="module")
def catalogue_drawn() -> dict[tuple[str, str | None], shapely.Geometry]:
    return drawn(maps.map_html(maps.build_map(boundaries=None)))


def test_every_catalogue_outline_stays_within_a_few_pixels(
    catalogue_drawn: dict[tuple[str, str | None], shapely.Geometry],
) -> None:
    features = corridors.load_features()
    assert len(catalogue_drawn) == len(features)  # every feature is drawn
    assert {c for c, _ in catalogue_drawn} == set(corridors.load_cases().index)
    off = [
        (case, name)
        for case, name, geom in zip(
            features["case_id"], features["feature_name"], features.geometry, strict=True
        )
        if not within_bound(catalogue_drawn[(case, name)], geom)
    ]
    assert not off


def test_lisa_does_not_cross_the_caspian(
    catalogue_drawn: dict[tuple[str, str | None], shapely.Geometry],
) -> None:
    features = corridors.load_features()
    (true,) = features.loc[features["case_id"] == LISA, "geometry"]
    (shown,) = [g for (case, _), g in catalogue_drawn.items() if case == LISA]
    for lon, lat in CASPIAN:
        assert not true.covers(Point(lon, lat))  # the sea is outside the true region
        assert not shown.covers(Point(lon, lat)), (lon, lat)
    # Over the whole sea, what is drawn and not true is no wider than the bound.
    sea = on_plane(box(46.5, 36.5, 54.5, 47.5))
    extra = on_plane(shown).intersection(sea).difference(on_plane(true).buffer(bound_m()))
    assert extra.area < 1.0  # square metres: floating-point dust at most


def test_roughly_known_outlines_are_not_rounded_off_their_place() -> None:
    """A region known to +-500 km used to be rounded to 0.1 degree (11 km) and cut
    corners by 125 km; now its rounding and simplification both stay inside the bound."""
    region = box(60.1234567, 30.1234567, 75.7654321, 45.7654321)
    region = region.difference(box(65.55555, 35.55555, 70.44444, 40.44444))
    frame = gpd.GeoDataFrame(
        {"name": ["R"], "summary": ["s"], "realm": ["terrestrial"], "uncertainty_km": [500.0]},
        geometry=[region],
        crs="EPSG:4326",
    )
    ((_, shown),) = drawn(maps.map_html(maps.build_map(frame, boundaries=None))).items()
    assert within_bound(shown, region)
    assert len(shown.geoms[0].interiors) == 1  # the hole is kept


@st.composite
def star_polygons(draw: st.DrawFn) -> tuple[Polygon, float | None]:
    """A star-shaped polygon (always valid) somewhere on Earth, and its uncertainty."""
    lon = draw(st.floats(-170, 170))
    lat = draw(st.floats(-80, 80))
    radius_km = draw(st.floats(0.05, 2000))
    n = draw(st.integers(3, 120))
    jitter = draw(st.lists(st.floats(0.3, 1.0), min_size=n, max_size=n))
    uncertainty = draw(st.none() | st.floats(0.01, 1000))
    angles = np.linspace(0, 2 * np.pi, n, endpoint=False)
    r_lat = np.asarray(jitter) * radius_km / 111.32
    # Keep the star within the plane's latitudes and a degree of longitude its length.
    r_lat = np.minimum(r_lat, 84.0 - abs(lat))
    r_lon = r_lat / math.cos(math.radians(lat))
    poly = Polygon(np.c_[lon + r_lon * np.cos(angles), lat + r_lat * np.sin(angles)])
    return poly, uncertainty


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(star_polygons())
def test_any_outline_stays_within_a_few_pixels(case: tuple[Polygon, float | None]) -> None:
    poly, uncertainty = case
    frame = gpd.GeoDataFrame(
        {
            "name": ["P"],
            "summary": ["s"],
            "realm": ["terrestrial"],
            "uncertainty_km": [np.nan if uncertainty is None else uncertainty],
        },
        geometry=[poly],
        crs="EPSG:4326",
    )
    shown = drawn(maps.map_html(maps.build_map(frame, boundaries=None)))
    assert len(shown) == 1  # the polygon is drawn, however small
    (geom,) = shown.values()
    assert not geom.is_empty
    assert within_bound(geom, poly)
