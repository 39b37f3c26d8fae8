"""The edges of areal boundary features cut into short indexed pieces, once.

A connected case that lies both inside and outside a feature must meet its edge, and
an index over short pieces of edge finds the few cases that do without testing the
many that lie wholly inside or outside a large, detailed polygon. The reference route
uses the pieces as geometries; the areal speed route reads the same cut as ranges of
segments (piece ``p`` holds segments ``seg_start[p] : seg_start[p] + seg_count[p]`` of
the concatenated rings), so the two can never disagree on it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from .._typing import FloatArray, GeomArray, IntArray
from ._segments import ranges
from .boundary import Boundary, caches

__all__ = ["PIECE_SEGMENTS", "EdgePieces", "edge_pieces"]

#: Segments per piece: short enough that a piece's box hugs its stretch of edge (few
#: cases meet a box that does not meet the edge), long enough to keep the index small.
PIECE_SEGMENTS = 16


@dataclass(frozen=True)
class EdgePieces:
    """The rings of every feature of an areal boundary, cut into short pieces.

    Coordinates are lon/lat degrees. Segment ``i`` runs from coordinate ``i`` to
    ``i + 1`` of ``xy``; the last coordinate of a ring starts no segment.
    """

    geoms: GeomArray  # one LineString per piece
    owner: IntArray  # the feature each piece belongs to
    tree: shapely.STRtree  # over ``geoms``
    xy: FloatArray  # (n, 2) coordinates of every ring, concatenated
    ring_of: IntArray  # ring of each coordinate
    ring_start: IntArray  # first coordinate of each ring (n_rings + 1 entries)
    ring_part: IntArray  # polygon part (of ``shapely.get_parts``) of each ring
    seg_start: IntArray  # first segment of each piece
    seg_count: IntArray  # segments of each piece


def edge_pieces(boundary: Boundary) -> EdgePieces:
    """The edge of each feature of an areal boundary as short pieces (cached)."""
    cache = caches(boundary)
    if cache.edges is not None:
        return cache.edges
    parts, part_owner = shapely.get_parts(boundary.geoms, return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    xy, ring_of = shapely.get_coordinates(rings, return_index=True)
    ring_start = np.searchsorted(ring_of, np.arange(len(rings) + 1)).astype(np.intp)
    n_seg = np.diff(ring_start) - 1
    # Every ring gives at least one piece, even a degenerate one.
    n_pieces = np.maximum(-(-n_seg // PIECE_SEGMENTS), 1)
    ring, k = ranges(n_pieces)
    seg_start = ring_start[:-1][ring] + k * PIECE_SEGMENTS
    seg_end = np.minimum(seg_start + PIECE_SEGMENTS, ring_start[:-1][ring] + n_seg[ring])
    seg_count = (seg_end - seg_start).astype(np.intp)
    # A piece of c segments has c + 1 coordinates.
    row, j = ranges(seg_count + 1)
    geoms = np.asarray(shapely.linestrings(xy[seg_start[row] + j], indices=row), dtype=object)
    owner = np.asarray(part_owner[ring_part[ring]], dtype=np.intp)
    edges = EdgePieces(
        geoms,
        owner,
        shapely.STRtree(geoms),
        xy,
        ring_of.astype(np.intp),
        ring_start,
        ring_part.astype(np.intp),
        seg_start.astype(np.intp),
        seg_count,
    )
    cache.edges = edges
    return edges
