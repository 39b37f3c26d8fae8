"""Grid helpers shared by the least-cost tests (CRS, cell size, cell centres, discs).

A module of its own, not conftest: ``from conftest import`` finds whichever folder's
conftest Python met first when several test folders have one.
"""

from __future__ import annotations

import shapely
from affine import Affine
from rasterio.transform import from_origin

CRS = "EPSG:32633"  # UTM 33N, metres
CELL = 100.0
ORIGIN = (500_000.0, 4_600_000.0)


def transform_for(cell: float = CELL) -> Affine:
    return from_origin(ORIGIN[0], ORIGIN[1], cell, cell)


def cell_centre(row: float, col: float, cell: float = CELL) -> tuple[float, float]:
    return (ORIGIN[0] + (col + 0.5) * cell, ORIGIN[1] - (row + 0.5) * cell)


def disc(row: float, col: float, radius_cells: float) -> shapely.Polygon:
    x, y = cell_centre(row, col)
    return shapely.Point(x, y).buffer(radius_cells * CELL)
