"""The areal speed route, with the reference route behind it, gives the reference's answers.

:func:`corridors.query._fast.areal.settle_areal` settles most pairs from segments in
numpy and :func:`corridors.query._dispatch.crossing_areal` sends the unclear ones to
:func:`corridors.query._reference.crossing_areal`; both must
return the same pairs, traversals and (to 1e-9) measures. The cases here are random
lines, polygons and multi-part geometries around real countries, plus the awkward ones:
cases built on a country's own vertices (touching, running along the edge), polygons
with holes, cases across the antimeridian and above 80° of latitude.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import shapely

import corridors
from corridors.query import _dispatch as dispatch
from corridors.query import _reference as eng
from corridors.query._antimeridian import split_antimeridian
from corridors.query.boundary import Boundary, resolve_boundary


@pytest.fixture(scope="module")
def countries() -> Any:
    return corridors.load_boundaries()


def _boundary(countries: Any, codes: list[str]) -> Boundary:
    return resolve_boundary(countries[countries["iso_a3"].isin(codes)])


def _walks(rng: np.random.Generator, n: int, box: tuple[float, ...], step: float) -> np.ndarray:
    """Random-walk lines of 2-6 vertices starting in ``box``."""
    x0, y0, x1, y1 = box
    nv = rng.integers(2, 7, n)
    idx = np.repeat(np.arange(n), nv)
    start = np.column_stack([rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)])
    steps = rng.normal(0, step, (len(idx), 2))
    first = np.r_[0, np.cumsum(nv)[:-1]]
    steps[first] = 0
    cum = np.cumsum(steps, axis=0)
    cum -= np.repeat(cum[first], nv, axis=0)
    xy = np.repeat(start, nv, axis=0) + cum
    xy[:, 1] = np.clip(xy[:, 1], -89.0, 89.0)
    return np.asarray(shapely.linestrings(xy, indices=idx), dtype=object)


def _blobs(rng: np.random.Generator, n: int, box: tuple[float, ...], size: float) -> np.ndarray:
    x0, y0, x1, y1 = box
    pts = shapely.points(rng.uniform(x0, x1, n), rng.uniform(y0, y1, n))
    quad = int(rng.integers(1, 4))
    return np.asarray(shapely.buffer(pts, rng.uniform(size / 10, size, n), quad_segs=quad))


def _random_cases(rng: np.random.Generator, box: tuple[float, ...], n: int) -> np.ndarray:
    lines = _walks(rng, n, box, 0.15)
    polys = _blobs(rng, n, box, 0.2)
    big = _blobs(rng, n // 10, box, 1.0)
    # Multi-part cases: two blobs, two walks, a blob and a walk.
    a, b = _blobs(rng, n // 10, box, 0.1), _blobs(rng, n // 10, box, 0.1)
    multi_p = shapely.multipolygons(
        np.column_stack([a, b]).ravel(), indices=np.repeat(np.arange(len(a)), 2)
    )
    wa, wb = _walks(rng, n // 10, box, 0.1), _walks(rng, n // 10, box, 0.1)
    multi_l = shapely.multilinestrings(
        np.column_stack([wa, wb]).ravel(), indices=np.repeat(np.arange(len(wa)), 2)
    )
    mixed = shapely.geometrycollections(
        np.column_stack([a, wa]).ravel(), indices=np.repeat(np.arange(len(a)), 2)
    )
    # Polygons with holes.
    holed = shapely.difference(
        big[: n // 20], shapely.buffer(shapely.centroid(big[: n // 20]), 0.1)
    )
    return np.concatenate([lines, polys, big, multi_p, multi_l, mixed, holed]).astype(object)


def _on_vertices(rng: np.random.Generator, boundary: Boundary, n: int) -> np.ndarray:
    """Cases that touch a feature's edge or run along it, built on its own vertices."""
    xy = shapely.get_coordinates(shapely.get_exterior_ring(shapely.get_parts(boundary.geoms)))
    out = []
    for _ in range(n):
        i = int(rng.integers(0, len(xy) - 6))
        k = int(rng.integers(2, 5))
        along = xy[i : i + k]
        away = along[-1] + rng.normal(0, 0.05, 2)
        kind = rng.integers(0, 5)
        if kind == 0:  # runs along the edge, then leaves it
            out.append(shapely.LineString(np.vstack([along, away])))
        elif kind == 1:  # ends on a vertex of the edge
            out.append(shapely.LineString([away, xy[i]]))
        elif kind == 2:  # passes through a vertex of the edge
            out.append(shapely.LineString([away, xy[i], 2 * xy[i] - away]))
        elif kind == 3:  # a triangle on an edge segment
            out.append(shapely.Polygon([xy[i], xy[i + 1], away]))
        else:  # a polygon with a corner on a vertex of the edge
            c = xy[i] + rng.normal(0, 0.05, 2)
            out.append(
                shapely.Polygon([xy[i], c + np.array([0.05, 0.0]), c + np.array([0.0, 0.05])])
            )
    return np.asarray(out, dtype=object)


def _lonlat(geoms: np.ndarray) -> np.ndarray:
    geoms = split_antimeridian(np.asarray(geoms, dtype=object))
    keep = ~shapely.is_empty(geoms) & (shapely.get_type_id(geoms) != 0)
    return np.asarray(geoms[keep], dtype=object)


def _same(geoms: np.ndarray, boundary: Boundary, tol: float) -> int:
    """Assert both routes agree; return the number of crossing pairs."""
    p0, m0, t0, h0 = eng.crossing_areal(geoms, boundary, tol)
    p1, m1, t1, h1 = dispatch.crossing_areal(geoms, boundary, tol)
    s0 = p0.deep_in & p0.deep_out
    s1 = p1.deep_in & p1.deep_out
    np.testing.assert_array_equal(p1.case[s1], p0.case[s0])
    np.testing.assert_array_equal(p1.target[s1], p0.target[s0])
    for name in m0:
        np.testing.assert_allclose(m1[name], m0[name], rtol=1e-9, atol=1e-12, err_msg=name)
    np.testing.assert_array_equal(t1, t0)
    np.testing.assert_array_equal(h1, h0)
    return int(s0.sum())


@pytest.mark.parametrize("tol", [0.0, 1.0])
def test_random_cases_uzb_tkm(countries: Any, tol: float) -> None:
    rng = np.random.default_rng(11)
    bnd = _boundary(countries, ["UZB", "TKM"])
    box = tuple(shapely.bounds(shapely.union_all(bnd.geoms)))
    geoms = _lonlat(_random_cases(rng, box, 1500))
    assert _same(geoms, bnd, tol) > 100


@pytest.mark.parametrize("tol", [0.0, 1.0])
def test_random_cases_islands(countries: Any, tol: float) -> None:
    rng = np.random.default_rng(12)
    bnd = _boundary(countries, ["GRC", "TUR"])
    geoms = _lonlat(_random_cases(rng, (22.0, 35.0, 29.0, 41.0), 1500))
    assert _same(geoms, bnd, tol) > 100


@pytest.mark.parametrize("tol", [0.0, 1.0])
def test_cases_on_country_vertices(countries: Any, tol: float) -> None:
    rng = np.random.default_rng(13)
    bnd = _boundary(countries, ["UZB", "TKM", "GRC"])
    geoms = _lonlat(_on_vertices(rng, bnd, 600))
    assert _same(geoms, bnd, tol) > 10


@pytest.mark.parametrize("tol", [0.0, 1.0])
def test_antimeridian_and_far_north(countries: Any, tol: float) -> None:
    rng = np.random.default_rng(14)
    bnd = _boundary(countries, ["RUS", "FJI"])
    east = _random_cases(rng, (177.0, 60.0, 180.5, 72.0), 300)
    fiji = _random_cases(rng, (177.0, -19.5, 181.0, -15.5), 300)
    north = _random_cases(rng, (44.0, 79.0, 66.0, 82.0), 300)
    geoms = _lonlat(np.concatenate([east, fiji, north]))
    assert _same(geoms, bnd, tol) > 50


def test_most_pairs_take_the_fast_route(countries: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Plain random lines and polygons are settled in numpy, not by the exact route."""
    rng = np.random.default_rng(15)
    bnd = _boundary(countries, ["UZB", "TKM"])
    box = tuple(shapely.bounds(shapely.union_all(bnd.geoms)))
    geoms = _lonlat(np.concatenate([_walks(rng, 1000, box, 0.15), _blobs(rng, 1000, box, 0.1)]))
    sent: list[int] = []
    exact = eng.crossing_areal

    def spy(cases: np.ndarray, boundary: Boundary, tol: float) -> Any:
        sent.append(len(cases))
        return exact(cases, boundary, tol)

    monkeypatch.setattr(eng, "crossing_areal", spy)
    pairs, *_ = dispatch.crossing_areal(geoms, bnd, 1.0)
    assert len(pairs.case) > 100
    assert sum(sent) < 0.25 * len(np.unique(pairs.case))


def test_query_uses_the_fast_route(countries: Any) -> None:
    cases = corridors.load_cases()
    for tol in (0.0, 1.0):
        got = corridors.crossing(cases, "UZB", tolerance_km=tol)
        geoms = _lonlat(np.asarray(cases.geometry.values))
        bnd = resolve_boundary("UZB")
        pairs, *_ = eng.crossing_areal(geoms, bnd, tol)
        assert len(got) == int((pairs.deep_in & pairs.deep_out).sum())


def test_reference_edge_piece_route_matches_general_route() -> None:
    """The reference's edge-piece route of crossing() finds the same pairs, sides and measures as
    the general DE-9IM route, on random lines and polygons around a real border."""
    rng = np.random.default_rng(7)
    bnd = resolve_boundary("UZB")
    x0, y0, x1, y1 = shapely.bounds(bnd.geoms[0])
    n = 400
    cx, cy = rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)
    lines = shapely.linestrings(
        np.stack([cx, cy, cx + rng.normal(0, 0.2, n), cy + rng.normal(0, 0.2, n)], 1).reshape(
            n, 2, 2
        )
    )
    polys = shapely.buffer(shapely.points(cx, cy), rng.uniform(0.005, 0.1, n), quad_segs=2)
    cases = np.concatenate([lines, polys])
    pairs, m, trav, has_line = eng.crossing_areal(cases, bnd, 1.0)
    ci, ti = eng.exact_areal(cases, bnd, eng.P_II_EI)
    assert ci.tolist() == pairs.case.tolist() and ti.tolist() == pairs.target.tolist()
    ref = eng.refine_areal(cases, bnd, ci, ti, 1.0)
    assert ref.deep_in.tolist() == pairs.deep_in.tolist()
    assert ref.deep_out.tolist() == pairs.deep_out.tolist()
    sel = ref.deep_in & ref.deep_out
    assert sel.sum() > 20
    expected = eng.areal_measures(cases, bnd, ref, sel)
    for key, values in expected.items():
        np.testing.assert_allclose(m[key], values, rtol=1e-9, atol=1e-9)
    # Each matching line passes the edge at least once.
    assert (trav[has_line] >= 1).all()
