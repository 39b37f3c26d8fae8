"""Cost-weighted distance over a resistance raster.

The engine is a compiled Dijkstra (:mod:`._dijkstra`) that gives the same costs, bit for
bit, as scikit-image's :class:`skimage.graph.MCP_Geometric` in less time. A step between
neighbouring cells costs the mean of their two resistances times the step length in
metres (the cell height, width or diagonal), which is how ArcGIS Cost Distance, Linkage
Mapper and GRASS r.cost cost it: each cell contributes half of its resistance at each end
of a step. Source cells cost 0. ``docs/leastcost.md`` compares the cost models of those
tools and landschaft.

With 8 neighbours a diagonal step may pass between two barrier cells that touch only at a
corner, as in those tools; draw barriers at least two cells thick, or 4-connected, when
that matters.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from affine import Affine
from pyproj import CRS

from .._typing import FloatArray, Int64Array
from ..errors import InputError
from ._dijkstra import grid_costs, grid_offsets
from ._raster import Cores, ResistanceSurface, rasterize_cores, read_resistance

__all__ = ["CostDistance", "cost_distance", "trace_path"]


@dataclass(frozen=True)
class CostDistance:
    """Cost-weighted distance from a set of sources.

    Attributes
    ----------
    cost : ndarray of float64, shape (rows, cols)
        Accumulated cost in resistance x metres; 0 on sources, ``inf`` on barriers, on
        cells that cannot be reached and on cells beyond ``max_cost``.
    traceback : ndarray of int16, shape (rows, cols)
        Index into ``offsets`` of the step that reached each cell; -1 on sources and
        unreached cells. :func:`trace_path` follows it back to a source.
    offsets : ndarray of int64, shape (k, 2)
        The (row, col) neighbour steps.
    transform : affine.Affine
    crs : pyproj.CRS
    neighbors : int
        4 or 8.
    """

    cost: FloatArray
    traceback: npt.NDArray[np.int16]
    offsets: Int64Array
    transform: Affine
    crs: CRS
    neighbors: int


class _Engine:
    """The cost-distance search over one raster, reused for every source set."""

    def __init__(self, surface: ResistanceSurface, neighbors: int) -> None:
        if neighbors not in (4, 8):
            raise InputError(f"neighbors must be 4 or 8, got {neighbors!r}")
        self.surface = surface
        self.neighbors = neighbors
        self.offsets = grid_offsets(neighbors)

    def run(self, flat_starts: Int64Array, *, max_cost: float | None = None) -> CostDistance:
        cost, traceback = grid_costs(
            self.surface.values,
            np.asarray(flat_starts, dtype=np.int64),
            cell_size=self.surface.cell_size,
            offsets=self.offsets,
        )
        if max_cost is not None:
            # Cut afterwards: the search itself has no limit (as MCP_Geometric's, whose
            # cumulative-cost limit is deprecated), so costs below the cut are unchanged.
            beyond = cost > max_cost
            cost[beyond] = np.inf
            traceback[beyond] = -1
        return CostDistance(
            cost=cost,
            traceback=traceback,
            offsets=self.offsets,
            transform=self.surface.transform,
            crs=self.surface.crs,
            neighbors=self.neighbors,
        )


def cost_distance(
    resistance: Any,
    sources: Any,
    *,
    neighbors: int = 8,
    transform: Affine | None = None,
    crs: Any = None,
    nodata: float | None = None,
    max_cost: float | None = None,
) -> CostDistance:
    """Cost-weighted distance from point or polygon sources over a resistance raster.

    Parameters
    ----------
    resistance : ndarray, raster path or ResistanceSurface
        Resistance per cell (> 0), rows x cols, in a projected CRS; nodata, NaN and
        ``inf`` cells are barriers. See :func:`read_resistance`.
    sources : GeoDataFrame, GeoSeries, geometries, or ndarray
        Points, lines or polygons (reprojected to the raster CRS if they carry another),
        or a boolean / integer mask of the raster's shape (cells > 0 are sources). All
        sources together form one origin: each cell gets the cost from the cheapest one.
    neighbors : {8, 4}
        Cell connectivity. Orthogonal steps cost ``(r1 + r2) / 2 * cell size``,
        diagonal steps ``(r1 + r2) / 2 * cell diagonal`` (metres).
    transform, crs, nodata
        Georeferencing for arrays; see :func:`read_resistance`.
    max_cost : float, optional
        Cells whose cost exceeds this (resistance x metres) are set to ``inf``.

    Returns
    -------
    CostDistance
        Costs in resistance x metres, identical (bit for bit) to
        ``MCP_Geometric(resistance, sampling=cell_size).find_costs(...)``.

    Raises
    ------
    ResistanceError, CRSError, InputError
        Bad resistance raster (see :func:`read_resistance`).
    CoreError
        Sources outside the raster or on barrier cells.
    """
    surface = read_resistance(resistance, transform=transform, crs=crs, nodata=nodata)
    if max_cost is not None and not max_cost > 0:
        raise InputError(f"max_cost must be > 0, got {max_cost!r}")
    cores = rasterize_cores(sources, surface)
    return _Engine(surface, neighbors).run(_all_cells(cores), max_cost=max_cost)


def _all_cells(cores: Cores) -> Int64Array:
    return np.concatenate(cores.cells)


def trace_path(result: CostDistance, end: tuple[int, int]) -> Int64Array:
    """Follow the least-cost path from cell ``end`` back to its source.

    Parameters
    ----------
    result : CostDistance
    end : (row, col)

    Returns
    -------
    ndarray of int64, shape (n, 2)
        (row, col) of every cell from the source to ``end``; empty if ``end`` was not
        reached.
    """
    r, c = int(end[0]), int(end[1])
    if not np.isfinite(result.cost[r, c]):
        return np.empty((0, 2), dtype=np.int64)
    tb = result.traceback
    off = result.offsets
    out = [(r, c)]
    step = int(tb[r, c])
    # Each step moves to the predecessor; a source has traceback -1.
    while step >= 0:
        r -= int(off[step, 0])
        c -= int(off[step, 1])
        out.append((r, c))
        step = int(tb[r, c])
    return np.asarray(out[::-1], dtype=np.int64)


def allocate(result: CostDistance, labels: npt.NDArray[np.int32]) -> npt.NDArray[np.int32]:
    """Label each reached cell with the source it is cheapest to reach from.

    Follows the traceback by pointer doubling (a few vectorised passes over the raster)
    instead of walking each path.
    """
    rows, cols = labels.shape
    tb = result.traceback.ravel()
    idx = np.arange(rows * cols, dtype=np.int64)
    parent = idx.copy()
    moved = tb >= 0
    step = result.offsets[tb[moved]]
    parent[moved] = idx[moved] - step[:, 0] * cols - step[:, 1]
    while True:
        nxt = parent[parent]
        if np.array_equal(nxt, parent):
            break
        parent = nxt
    out = labels.ravel()[parent].reshape(rows, cols).astype(np.int32)
    out[~np.isfinite(result.cost)] = 0
    return out
