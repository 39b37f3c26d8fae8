"""Encoding of map data for the atlas runtime: geometry round trip, precision, escaping, links.

These test the private encoder directly (corridors.maps._encoding): its output is only
observable through the page otherwise, where a round-trip check cannot reach it.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
import shapely
from atlas_decode import decode, unpack
from browser.atlas_factory import BAD_URLS
from hypothesis import given
from hypothesis import strategies as st
from shapely.geometry import Point, box

from corridors.maps._encoding import (
    digits_for_uncertainty,
    encode_geometry,
    js_json,
    pack_ints,
    safe_url,
    unpack_ints,
)


def test_encoding_round_trips_within_the_quantum() -> None:
    poly = box(10.123456789, -5.5, 11.987654321, -4.25).difference(box(10.5, -5, 11, -4.5))
    geom = shapely.GeometryCollection([poly, Point(3.3333333, 4.4444444)])
    decoded = decode(encode_geometry(geom, 4), 4)
    assert decoded["points"] == [(3.3333, 4.4444)]
    outer, hole = decoded["polygons"][0]
    assert len(outer) == 4 and len(hole) == 4  # closing vertex dropped
    original = shapely.get_coordinates(poly.exterior)[:-1]
    assert np.allclose(sorted(outer), sorted(map(tuple, original)), atol=0.5e-4)


@pytest.mark.parametrize(
    ("uncertainty", "digits"), [(1.0, 4), (10.0, 3), (0.05, 5), (1e-6, 6), (None, 5), (-1, 5)]
)
def test_precision_follows_uncertainty(uncertainty: float | None, digits: int) -> None:
    assert digits_for_uncertainty(uncertainty) == digits


def test_js_json_cannot_close_a_script() -> None:
    out = js_json({"a": "</script><script>alert(1)</script>", "b": "\u2028&"})
    assert "<" not in out and ">" not in out and "&" not in out and "\u2028" not in out
    assert json.loads(out) == {"a": "</script><script>alert(1)</script>", "b": "\u2028&"}


@pytest.mark.parametrize("url", [*BAD_URLS, "", "//evil.example", "https://", "ftp://x.org/"])
def test_only_http_links_pass(url: str) -> None:
    assert safe_url(url) is None


def test_http_links_pass() -> None:
    assert safe_url("https://example.org/a?b=1#c") == "https://example.org/a?b=1#c"
    assert safe_url("http://example.org") == "http://example.org"


@given(st.lists(st.integers(min_value=-(2**52), max_value=2**52), max_size=200))
def test_packed_integers_round_trip(values: list[int]) -> None:
    packed = pack_ints(values)
    assert unpack(packed) == values  # the runtime's rule, written again here
    assert unpack_ints(packed) == values
    # only characters that need no escaping in JSON, HTML or an address
    assert re.fullmatch(r"[A-Za-z0-9_-]*", packed)


def test_small_deltas_take_one_or_two_characters() -> None:
    assert len(pack_ints([0, -1, 1, 15, -16])) == 5
    assert len(pack_ints([16, -17, 511, -512])) == 8
