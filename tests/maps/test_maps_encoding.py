"""Encoding of map data for the atlas runtime, read back out of the page.

Each test draws through the public API (``maps.add_layer`` on a plain folium map, or
``maps.build_map``) and reads the layer's data back from the page with the Python twins
of the runtime's decoders (``atlas_decode``): geometry round trip, precision, escaping,
links and the packed coordinate text.
"""

from __future__ import annotations

import math
import re
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import shapely
from atlas_decode import decode, layer_payloads, unpack
from browser.atlas_factory import BAD_URLS, features
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, Point, box

from corridors import maps


def _drawn(data: Any, **options: Any) -> tuple[str, dict[str, Any]]:
    """A page with ``data`` drawn on a plain folium map, and that layer's data."""
    m = folium.Map()
    maps.add_layer(m, data, **options)
    page = maps.map_html(m)
    (payload,) = layer_payloads(page)
    return page, payload


def test_encoding_round_trips_within_the_quantum() -> None:
    poly = box(10.123456789, -5.5, 11.987654321, -4.25).difference(box(10.5, -5, 11, -4.5))
    geom = shapely.GeometryCollection([poly, Point(3.3333333, 4.4444444)])
    _, payload = _drawn(geom, precision=4, simplify_km=None)
    (feature,) = payload["features"]
    assert feature[2] == 4
    decoded = decode(feature[3], 4)
    assert decoded["points"] == [(3.3333, 4.4444)]
    outer, hole = decoded["polygons"][0]
    assert len(outer) == 4 and len(hole) == 4  # closing vertex dropped
    original = shapely.get_coordinates(poly.exterior)[:-1]
    assert np.allclose(sorted(outer), sorted(map(tuple, original)), atol=0.5e-4)


def test_precision_follows_uncertainty() -> None:
    # Decimals of a degree enough for a tenth of the uncertainty (5 when unknown).
    expected = {1.0: 4, 10.0: 3, 0.05: 5, 1e-6: 6, math.nan: 5}
    frame = features(len(expected))
    frame = frame[frame["role"] == "area"].reset_index(drop=True)
    frame["uncertainty_km"] = list(expected)
    page = maps.map_html(maps.build_map(frame, boundaries=None, simplify_km=None))
    digits = {
        p["records"][f[0]]["id"]: f[2]
        for p in layer_payloads(page)
        if p["kind"] == "case"
        for f in p["features"]
    }
    assert digits == {f"case-{i:02d}": d for i, d in enumerate(expected.values())}


def test_text_cannot_close_the_script_it_travels_in() -> None:
    hostile = "</script><script>alert(1)</script>"
    frame = gpd.GeoDataFrame(
        {"note": [hostile, "\u2028&"]}, geometry=[Point(1, 1), Point(2, 2)], crs=4326
    )
    page, payload = _drawn(frame)
    assert hostile not in page and "\u2028" not in page
    raw = page.split("corridorsAtlas.layer(", 1)[1].split(", map_", 1)[0]
    assert not re.search("[<>&\u2028]", raw)
    assert [r[payload["fields"].index("note")] for r in payload["records"]] == [
        hostile,
        "\u2028&",
    ]


def test_only_http_links_reach_the_page() -> None:
    urls = [*BAD_URLS, "", "//evil.example", "https://", "ftp://x.org/"]
    good = ["https://example.org/a?b=1#c", "http://example.org"]
    frame = features(len(urls) + len(good))
    frame = frame[frame["role"] == "area"].reset_index(drop=True)
    frame["source_url"] = urls + good
    page = maps.map_html(maps.build_map(frame, boundaries=None))
    got = {
        r["id"]: r.get("url")
        for p in layer_payloads(page)
        if p["kind"] == "case"
        for r in p["records"]
    }
    assert got == {f"case-{i:02d}": u if u in good else None for i, u in enumerate(urls + good)}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.floats(min_value=-180, max_value=180, allow_nan=False),
            st.floats(min_value=-85, max_value=85, allow_nan=False),
        ),
        min_size=2,
        max_size=40,
        unique=True,
    ),
    st.integers(min_value=0, max_value=6),
)
def test_packed_coordinates_round_trip(xy: list[tuple[float, float]], digits: int) -> None:
    line = LineString(xy)
    if line.length == 0:
        return
    _, payload = _drawn(line, precision=digits, simplify_km=None)
    q = 10.0**-digits
    xy_a = np.asarray(xy)
    if not payload["features"]:  # the whole line rounds to one point: nothing drawn
        assert np.ptp(xy_a, axis=0).max() <= q
        return
    (feature,) = payload["features"]
    packed = [part for group in feature[3] for part in group[1:]]
    # only characters that need no escaping in JSON, HTML or an address
    assert all(re.fullmatch(r"[A-Za-z0-9_-]*", text) for text in packed)
    (got,) = decode(feature[3], digits)["lines"]
    # Every vertex drawn is an input vertex rounded, every input vertex is drawn
    # (those that round to one are drawn once), in order.
    gap = np.abs(np.asarray(got)[:, None, :] - xy_a[None, :, :]).max(axis=2)
    assert (gap.min(axis=1) <= q / 2 + 1e-9).all()
    assert (gap.min(axis=0) <= q / 2 + 1e-9).all()


def test_small_steps_take_one_or_two_characters() -> None:
    # After the first vertex (10, 0), steps of 0, -1, 1, 15 and -16 quanta take a
    # character each; 16, -17 and up to 511, two.
    steps = [(10.0, 0.0), (0.0, -1e-4), (1e-4, 15e-4), (-16e-4, 16e-4), (-17e-4, 511e-4)]
    _, payload = _drawn(LineString(np.cumsum(steps, axis=0)), precision=4, simplify_km=None)
    (group,) = payload["features"][0][3]
    assert unpack(group[1]) == [100000, 0, 0, -1, 1, 15, -16, 16, -17, 511]
    assert len(group[1]) == 4 + 1 + 5 * 1 + 3 * 2
