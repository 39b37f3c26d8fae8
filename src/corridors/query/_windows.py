"""Neighbourhoods of cases: candidate pairs, windows around cases, cached tiles.

The reference route works on each case in its own frame, together with the piece of
boundary around it. These helpers find which boundary features may meet which cases
(bounding boxes through an STRtree), draw a lon/lat window around each case wide
enough for its tolerance band, and clip the features to it cheaply: a country of
100,000 vertices is clipped once to a grid cell (kept among the boundary's cached
tiles) and the small piece clipped again for each case.
"""

from __future__ import annotations

import math

import numpy as np
import shapely

from .. import _geodesy as geo
from .._typing import FloatArray, GeomArray, IntArray
from .boundary import Boundary, caches

__all__ = [
    "TILE_DEG",
    "TILE_LEVELS",
    "candidate_pairs",
    "case_windows",
    "clip_near",
    "clip_to_windows",
    "target_tree",
    "tiles_around",
    "window_margin_km",
]


def candidate_pairs(
    cases: GeomArray, targets: GeomArray, tree: shapely.STRtree | None = None
) -> tuple[IntArray, IntArray]:
    """Bounding-box candidate pairs ``(case_pos, target_pos)``.

    The tree goes on the side with more geometries (fewer, larger queries), unless a
    cached tree over ``targets`` is given. No predicate is evaluated here: the exact
    tests run afterwards with the boundary geometry prepared, which is what makes the
    side of the tree matter little.
    """
    if len(cases) == 0 or len(targets) == 0:
        empty = np.zeros(0, dtype=np.intp)
        return empty, empty
    if tree is not None or len(targets) >= len(cases):
        tree = tree or shapely.STRtree(targets)
        ci, ti = tree.query(cases)
    else:
        ti, ci = shapely.STRtree(cases).query(targets)
    order = np.lexsort((ti, ci))
    return ci[order].astype(np.intp), ti[order].astype(np.intp)


def target_tree(boundary: Boundary) -> shapely.STRtree:
    """An index over ``boundary.geoms``: the cached one, or one built once and kept."""
    if boundary.tree is not None:
        return boundary.tree
    cache = caches(boundary)
    if cache.tree is None:
        cache.tree = shapely.STRtree(boundary.geoms)
    return cache.tree


def case_windows(cases: GeomArray, margin_km: float) -> GeomArray:
    """A lon/lat box around each case, ``margin_km`` wider on every side."""
    b = shapely.bounds(cases)
    if len(b) == 0:
        return np.empty(0, dtype=object)
    dlon, dlat = geo.degree_margin(margin_km, np.nanmax(np.abs(b[:, [1, 3]]), axis=1))
    # Near a pole, or a case cut at the antimeridian: take whole parallels.
    whole = (dlon >= 360.0) | (b[:, 2] - b[:, 0] > 180.0)
    minx = np.where(whole, -180.0, np.maximum(b[:, 0] - dlon, -180.0))
    maxx = np.where(whole, 180.0, np.minimum(b[:, 2] + dlon, 180.0))
    miny = np.maximum(b[:, 1] - dlat, -90.0)
    maxy = np.minimum(b[:, 3] + dlat, 90.0)
    return np.asarray(shapely.box(minx, miny, maxx, maxy), dtype=object)


#: Grid cell (degrees) for the clipped pieces of boundary features kept between cases.
TILE_DEG = 5.0


def clip_to_windows(boundary: Boundary, ti: IntArray, windows: GeomArray) -> GeomArray:
    """Each ``boundary.geoms[ti[k]]`` clipped to ``windows[k]``.

    Clipping a country of 100,000 vertices costs the same for every case near it, so
    when a window falls inside one cell of a 5-degree grid, the feature is clipped to
    that cell once (kept in ``boundary.tiles``) and the small piece is clipped again.
    """
    n = len(ti)
    out = np.empty(n, dtype=object)
    if n == 0:
        return out
    b = shapely.bounds(windows)
    cx0 = np.floor(b[:, 0] / TILE_DEG).astype(int)
    cy0 = np.floor(b[:, 1] / TILE_DEG).astype(int)
    cx1 = np.floor(b[:, 2] / TILE_DEG).astype(int)
    cy1 = np.floor(b[:, 3] / TILE_DEG).astype(int)
    same = (cx0 == cx1) & (cy0 == cy1)
    src = np.empty(n, dtype=object)
    tiles = caches(boundary).tiles
    for k in np.flatnonzero(same):
        key = (int(ti[k]), int(cx0[k]), int(cy0[k]))
        piece = tiles.get(key)
        if piece is None:
            x, y = key[1] * TILE_DEG, key[2] * TILE_DEG
            piece = shapely.clip_by_rect(boundary.geoms[key[0]], x, y, x + TILE_DEG, y + TILE_DEG)
            tiles[key] = piece
        src[k] = piece
    src[~same] = boundary.geoms[ti[~same]]
    out[:] = shapely.intersection(src, windows)
    return out


def window_margin_km(tol_km: float) -> float:
    """Margin (km) of the window around a case in which a band of half-width ``tol_km``
    is built: three bands, so a band's whole width and the stretch beyond it where
    its ends are judged lie inside, plus 1 km so that even a 0-km band has room."""
    return 3.0 * tol_km + 1.0


#: Finest grid cells (degrees) of the tiles kept per feature; each level's cells
#: overlap by half, so a box up to half a cell wide fits in one.
TILE_LEVELS = (5.0, 1.0)


def _tile(boundary: Boundary, t: int, level: int, ix: int, iy: int) -> shapely.Geometry:
    """Feature ``t`` clipped to cell ``(ix, iy)`` of a level (cached; level -1: whole)."""
    if level < 0:
        return boundary.geoms[t]
    key = (t, level, ix, iy)
    tiles = caches(boundary).tiles
    piece = tiles.get(key)
    if piece is None:
        size = TILE_LEVELS[level]
        x0, y0 = ix * size / 2, iy * size / 2
        parent: tuple[int, int, int] = (-1, 0, 0)
        if level > 0:
            up = TILE_LEVELS[level - 1]
            px, py = math.floor(x0 / (up / 2)), math.floor(y0 / (up / 2))
            if x0 + size <= px * up / 2 + up and y0 + size <= py * up / 2 + up:
                parent = (level - 1, px, py)
        src = _tile(boundary, t, *parent)
        piece = shapely.clip_by_rect(src, x0, y0, x0 + size, y0 + size)
        tiles[key] = piece
    return piece


def tiles_around(
    boundary: Boundary, ti: IntArray, bounds: FloatArray, *, whole_ok: bool = True
) -> GeomArray:
    """For each pair, the smallest cached tile of ``boundary.geoms[ti]`` that holds the
    box ``bounds`` (with a small margin): the feature itself near the case, cheaply.
    Where no tile holds the box, the whole feature, or None unless ``whole_ok``."""
    out = np.empty(len(ti), dtype=object)
    eps = 1e-7
    b = np.column_stack([bounds[:, :2] - eps, bounds[:, 2:] + eps]) if len(ti) else bounds
    for k, (t, (x0, y0, x1, y1)) in enumerate(zip(ti.tolist(), b.tolist(), strict=True)):
        chosen: tuple[int, int, int] = (-1, 0, 0)
        for level in range(len(TILE_LEVELS) - 1, -1, -1):
            half = TILE_LEVELS[level] / 2
            ix, iy = math.floor(x0 / half), math.floor(y0 / half)
            if x1 <= ix * half + 2 * half and y1 <= iy * half + 2 * half:
                chosen = (level, ix, iy)
                break
        if chosen[0] >= 0 or not whole_ok:
            out[k] = _tile(boundary, t, *chosen) if chosen[0] >= 0 else None
        else:
            out[k] = boundary.geoms[t]
    return out


def clip_near(boundary: Boundary, ti: IntArray, windows: GeomArray) -> GeomArray:
    """Each ``boundary.geoms[ti[k]]`` clipped to the box of ``windows[k]``: from a small
    cached tile that holds the box when there is one, else as :func:`clip_to_windows`."""
    b = shapely.bounds(windows)
    out = tiles_around(boundary, ti, b, whole_ok=False)
    for k in range(len(out)):
        if out[k] is not None:
            out[k] = shapely.clip_by_rect(out[k], *b[k].tolist())
    missing = np.flatnonzero(np.array([g is None for g in out], dtype=bool))
    if len(missing):
        out[missing] = clip_to_windows(boundary, ti[missing], windows[missing])
    return out
