"""Band traversals followed along a line in a local planar frame (metres)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from corridors.query._band import planar_traversals

R = 1000.0  # band half-width (m)


def _count(line: str, net: str, r_m: float = R) -> int:
    lines = np.array([shapely.from_wkt(line)], dtype=object)
    nets = np.array([shapely.from_wkt(net)], dtype=object)
    return int(planar_traversals(lines, nets, r_m)[0])


ROAD = "LINESTRING (-50000 0, 50000 0)"


@pytest.mark.parametrize(
    ("line", "net", "want"),
    [
        # Straight across: one traversal.
        ("LINESTRING (0 -5000, 0 5000)", ROAD, 1),
        # Across and back again, leaving the band between: two.
        ("LINESTRING (0 -5000, 0 5000, 10000 -5000)", ROAD, 2),
        # Across and back while still inside the band: in and out on one side, none.
        ("LINESTRING (0 -5000, 0 500, 300 -5000)", ROAD, 0),
        # Into the band and out on the same side without touching the road: none.
        ("LINESTRING (0 -5000, 0 -500, 300 -5000)", ROAD, 0),
        # Along the road for 20 km, then off to the other side: one.
        ("LINESTRING (-20000 -5000, -10000 0, 10000 0, 20000 5000)", ROAD, 1),
        # Along the road and back off on the side it came from: none.
        ("LINESTRING (-20000 -5000, -10000 0, 10000 0, 20000 -5000)", ROAD, 0),
        # The line ends inside the band: it never leaves, so it never crosses.
        ("LINESTRING (0 -5000, 0 500)", ROAD, 0),
        ("LINESTRING (0 -5000, 0 -999)", ROAD, 0),
        # Round the end of a dead-end road, through its rounded cap: no crossing.
        ("LINESTRING (49000 -5000, 50500 0, 49000 5000)", ROAD, 0),
        # Across a dead-end road near its end, but clear of the cap: one.
        ("LINESTRING (47000 -5000, 47000 5000)", ROAD, 1),
        # No road at all, or a road far away.
        ("LINESTRING (0 -5000, 0 5000)", "MULTILINESTRING EMPTY", 0),
        ("LINESTRING (0 -5000, 0 5000)", "LINESTRING (0 20000, 10000 20000)", 0),
        # Two parts of a case: each part is followed on its own.
        ("MULTILINESTRING ((0 -5000, 0 5000), (5000 -5000, 5000 5000))", ROAD, 2),
        # A line that loops over itself inside the band is one traversal, not cut.
        ("LINESTRING (0 -5000, 0 600, 400 200, -400 200, 0 700, 0 5000)", ROAD, 1),
        # Two features of one road joined end to end: the joint is no dead end.
        (
            "LINESTRING (0 -5000, 0 5000)",
            "MULTILINESTRING ((-50000 0, 0 0), (0 0, 50000 0))",
            1,
        ),
        # A T junction 3 km from the line changes nothing (the arm's end at the
        # junction counts as a dead end, once, by the mod-2 rule, but it is far).
        (
            "LINESTRING (-3000 -5000, -3000 5000)",
            "MULTILINESTRING ((-50000 0, 50000 0), (0 0, 0 40000))",
            1,
        ),
    ],
)
def test_traversal_table(line: str, net: str, want: int) -> None:
    assert _count(line, net) == want


def test_hairpin_vertex_side() -> None:
    """Beyond the tip of a hairpin a point is outside it (right of the road taken as a
    whole), although it lies left of the first arm's line: the side at a shared vertex
    follows the turn there, not whichever arm is listed first."""
    road = "LINESTRING (-40000 0, 0 0, -40000 12000)"
    # From inside the hairpin, out across its second arm near the tip, leaving the
    # band beyond the tip: one crossing, either way along the line.
    assert _count("LINESTRING (-20000 3000, 5000 0)", road) == 1
    assert _count("LINESTRING (5000 0, -20000 3000)", road) == 1
    # Round the tip from below the first arm to above the second, outside all along.
    assert _count("LINESTRING (-10000 -3000, 700 0, -10000 7000)", road) == 0


def test_each_case_in_its_own_frame() -> None:
    lines = np.array([shapely.from_wkt("LINESTRING (0 -5000, 0 5000)")] * 3, dtype=object)
    nets = np.array(
        [
            shapely.from_wkt(ROAD),
            shapely.from_wkt("MULTILINESTRING EMPTY"),
            shapely.from_wkt("LINESTRING (-50000 2000, 50000 -2000)"),
        ],
        dtype=object,
    )
    assert planar_traversals(lines, nets, R).tolist() == [1, 0, 1]
    assert planar_traversals(lines[:0], nets[:0], R).tolist() == []


_ys = st.lists(
    st.floats(min_value=1.05, max_value=6.0).flatmap(lambda a: st.sampled_from([a, -a])),
    min_size=2,
    max_size=8,
)


@settings(max_examples=150, deadline=None)
@given(
    ys=_ys,
    angle=st.floats(min_value=0.0, max_value=2 * math.pi),
    shift=st.tuples(st.floats(-1e5, 1e5), st.floats(-1e5, 1e5)),
    reverse_line=st.booleans(),
    reverse_road=st.booleans(),
)
def test_vertices_clear_of_a_long_road(
    ys: list[float],
    angle: float,
    shift: tuple[float, float],
    reverse_line: bool,
    reverse_road: bool,
) -> None:
    """With every vertex of the line clear of the band of a long straight road, each
    stretch inside the band lies within one segment, so the traversals are exactly the
    segments whose ends lie on opposite sides: in any frame, either way along either."""
    xs = np.arange(len(ys)) * 7000.0
    coords = np.column_stack([xs - xs.mean(), np.asarray(ys) * R])
    road = np.array([[-1e6, 0.0], [1e6, 0.0]])
    if reverse_line:
        coords = coords[::-1]
    if reverse_road:
        road = road[::-1]
    c, s = math.cos(angle), math.sin(angle)
    rot = np.array([[c, -s], [s, c]])
    move = np.asarray(shift)
    line = shapely.linestrings(coords @ rot.T + move)
    net = shapely.linestrings(road @ rot.T + move)
    want = int(np.sum(np.sign(ys[1:]) != np.sign(ys[:-1])))
    got = planar_traversals(np.array([line], dtype=object), np.array([net], dtype=object), R)
    assert got.tolist() == [want]
