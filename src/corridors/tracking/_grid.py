"""The grid that occurrence distributions live on, and sparse tiled rasters over it."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from affine import Affine
from numpy.typing import NDArray
from pyproj import CRS, Transformer

from .._typing import FloatArray
from ..crs import as_crs
from ..errors import CRSError, InputError

__all__ = ["Grid", "TiledRaster", "grid_crs", "make_grid"]


#: Side (cells) of the square tiles a sequence's distribution is stored in: a corridor
#: a few kilometres wide touches a strip of tiles, not the whole extent. 64 cells keep
#: a migration's tiles within about twice the cells its bridges reach (256 took four
#: times as many, which a process pool then has to copy back), at a few hundred tiles
#: per sequence for the loops over tiles.
TILE = 64
#: Tiles are allocated, and pickled, in stacks of at most this many (2 MiB of float64
#: at TILE = 64): numpy asks Linux for transparent huge pages for arrays of 4 MiB or
#: more, and where the kernel compacts memory to supply them a fresh array faults in
#: about four times slower per byte (1.2 s against 0.29 s for 625 MiB of tiles here).
STACK_TILES = 64
#: Share of the machine's memory a grid's rasters may take before it is refused.
MEMORY_SHARE = 0.5
#: Bytes per cell of the dense rasters a population run holds at once (the mean UD,
#: per-cell counts of individuals and of stopovers, classes, a working copy).
BYTES_PER_CELL = 8 + 4 + 4 + 1 + 8


def available_memory_bytes() -> int:
    """Physical memory of this machine (bytes); 8 GiB where the OS does not say."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return 8 * 2**30


@dataclass(frozen=True)
class Grid:
    """A north-up grid of square cells in a projected CRS (metres).

    Attributes
    ----------
    crs : pyproj.CRS
        Projected, in metres.
    left, top : float
        Coordinates of the grid's upper-left corner (m).
    cell_size_m : float
        Cell side (m).
    nrows, ncols : int
        Shape.
    """

    crs: CRS
    left: float
    top: float
    cell_size_m: float
    nrows: int
    ncols: int

    @property
    def shape(self) -> tuple[int, int]:
        return (self.nrows, self.ncols)

    @property
    def transform(self) -> Any:
        """The affine transform (rasterio's) from (col, row) to (x, y)."""
        return Affine(self.cell_size_m, 0.0, self.left, 0.0, -self.cell_size_m, self.top)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        c = self.cell_size_m
        return (self.left, self.top - self.nrows * c, self.left + self.ncols * c, self.top)

    def window_transform(self, row0: int, col0: int) -> Any:
        """Transform of a window whose upper-left cell is (row0, col0)."""
        c = self.cell_size_m
        return Affine(c, 0.0, self.left + col0 * c, 0.0, -c, self.top - row0 * c)


def grid_crs(crs: Any, lon: FloatArray, lat: FloatArray) -> CRS:
    """The projected CRS for a grid: ``crs`` checked, or a Lambert azimuthal equal-area
    projection centred on the fixes (areas true, shapes close within a few hundred km).

    Raises
    ------
    CRSError
        ``crs`` is geographic (degrees) or not in metres.
    """
    if crs is None:
        lon0 = float(
            np.degrees(
                np.arctan2(np.mean(np.sin(np.radians(lon))), np.mean(np.cos(np.radians(lon))))
            )
        )
        lat0 = float(np.mean(lat))
        return CRS.from_proj4(
            f"+proj=laea +lat_0={lat0:.6f} +lon_0={lon0:.6f} +x_0=0 +y_0=0 +datum=WGS84 "
            "+units=m +no_defs"
        )
    out = as_crs(crs)
    if out.is_geographic:
        raise CRSError(
            f"crs={crs!r} is in degrees; a grid of cells in metres needs a projected CRS, "
            "e.g. the local UTM zone ('EPSG:32612' for western Wyoming), or leave crs=None "
            "for an equal-area projection centred on the fixes"
        )
    units = {ax.unit_name.lower() for ax in out.axis_info}
    if not units <= {"metre", "meter", "m"}:
        raise CRSError(
            f"crs={crs!r} has axis units {sorted(units)}; pass a projected CRS in metres"
        )
    return out


def make_grid(
    x: FloatArray,
    y: FloatArray,
    *,
    crs: CRS,
    cell_size_m: float,
    margin_m: float,
    extent: tuple[float, float, float, float] | None,
    bytes_per_cell: float = BYTES_PER_CELL,
    what: str = "grid",
) -> Grid:
    """A grid covering the points plus ``margin_m`` (or ``extent``), snapped to cells.

    Raises
    ------
    InputError
        A bad cell size or extent, or a grid whose rasters would need more memory than
        this machine can spare (the message gives the estimate and what to change).
    """
    if not (
        isinstance(cell_size_m, int | float) and math.isfinite(cell_size_m) and cell_size_m > 0
    ):
        raise InputError(f"cell_size_m must be a positive number of metres, not {cell_size_m!r}")
    c = float(cell_size_m)
    if extent is not None:
        try:
            xmin, ymin, xmax, ymax = (float(v) for v in extent)
        except (TypeError, ValueError):
            raise InputError(
                f"extent must be (xmin, ymin, xmax, ymax) in the grid's CRS (m), not {extent!r}"
            ) from None
        if not (xmin < xmax and ymin < ymax) or not all(
            math.isfinite(v) for v in (xmin, ymin, xmax, ymax)
        ):
            raise InputError(
                f"extent {extent!r} is empty or not finite; pass xmin < xmax, ymin < ymax"
            )
    else:
        xmin, xmax = float(np.min(x)) - margin_m, float(np.max(x)) + margin_m
        ymin, ymax = float(np.min(y)) - margin_m, float(np.max(y)) + margin_m
    left = math.floor(xmin / c) * c
    bottom = math.floor(ymin / c) * c
    ncols = max(1, math.ceil((xmax - left) / c))
    nrows = max(1, math.ceil((ymax - bottom) / c))
    cells = nrows * ncols
    need = cells * bytes_per_cell
    limit = MEMORY_SHARE * available_memory_bytes()
    if need > limit:
        coarser = c * math.ceil(math.sqrt(need / limit) + 0.5)
        raise InputError(
            f"the {what} would need {nrows:,} x {ncols:,} = {cells:,} cells of {c:g} m "
            f"(about {need / 2**30:.1f} GiB), more than the {limit / 2**30:.1f} GiB this "
            f"machine can spare; use cell_size_m={coarser:g} or more, or a smaller extent"
        )
    return Grid(crs, left, bottom + nrows * c, c, nrows, ncols)


def to_grid_xy(grid_crs_: CRS, lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Longitude/latitude to the grid's CRS (metres)."""
    tr = Transformer.from_crs("EPSG:4326", grid_crs_, always_xy=True)
    x, y = tr.transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return np.asarray(x, dtype=float), np.asarray(y, dtype=float)


@dataclass
class TiledRaster:
    """A sparse float64 raster on a :class:`Grid`: square tiles, only where set."""

    tiles: dict[tuple[int, int], FloatArray] = field(default_factory=dict)
    tile: int = TILE
    #: The stacks the tiles are views of (from_stacks), reused when pickling; add()
    #: drops them when it makes a tile of its own.
    _stacks: list[tuple[NDArray[np.intp], FloatArray]] | None = field(
        default=None, repr=False, compare=False
    )

    @classmethod
    def from_stacks(
        cls, stacks: list[tuple[NDArray[np.intp], FloatArray]], tile: int
    ) -> TiledRaster:
        """Tiles ``data[i]`` (n, tile, tile) at tile row and column ``keys[i]`` (n, 2),
        for every (keys, data) in ``stacks``; the tiles are views of the stacks."""
        tiles: dict[tuple[int, int], FloatArray] = {}
        for keys, data in stacks:
            pairs = np.asarray(keys).tolist()
            tiles.update({(r, c): d for (r, c), d in zip(pairs, data, strict=True)})
        return cls(tiles, tile, stacks)

    def __getstate__(self) -> dict[str, Any]:
        # A few stacks rather than hundreds of arrays: a worker's result pickles (and a
        # process pool copies it back) at memory speed.
        stacks = self._stacks
        if stacks is not None and sum(len(k) for k, _ in stacks) == len(self.tiles):
            return {"tile": self.tile, "stacks": stacks}
        keys = list(self.tiles)
        values = list(self.tiles.values())
        stacks = [
            (
                np.asarray(keys[i : i + STACK_TILES], dtype=np.intp).reshape(-1, 2),
                np.stack(values[i : i + STACK_TILES]),
            )
            for i in range(0, len(keys), STACK_TILES)
        ]
        return {"tile": self.tile, "stacks": stacks}

    def __setstate__(self, state: dict[str, Any]) -> None:
        rebuilt = TiledRaster.from_stacks(state["stacks"], state["tile"])
        self.tiles, self.tile, self._stacks = rebuilt.tiles, rebuilt.tile, rebuilt._stacks

    def add(self, row0: int, col0: int, window: FloatArray) -> None:
        """Add ``window`` with its upper-left cell at (row0, col0) (may be negative)."""
        t = self.tile
        nr, nc = window.shape
        for tr in range(row0 // t, (row0 + nr - 1) // t + 1):
            r_a = max(row0, tr * t)
            r_b = min(row0 + nr, (tr + 1) * t)
            for tc in range(col0 // t, (col0 + nc - 1) // t + 1):
                c_a = max(col0, tc * t)
                c_b = min(col0 + nc, (tc + 1) * t)
                block = self.tiles.get((tr, tc))
                if block is None:
                    block = self.tiles[(tr, tc)] = np.zeros((t, t))
                    self._stacks = None
                block[r_a - tr * t : r_b - tr * t, c_a - tc * t : c_b - tc * t] += window[
                    r_a - row0 : r_b - row0, c_a - col0 : c_b - col0
                ]

    def total(self) -> float:
        return float(sum(float(b.sum()) for b in self.tiles.values()))

    def scale(self, factor: float) -> None:
        for b in self.tiles.values():
            b *= factor

    def values(self) -> FloatArray:
        if not self.tiles:
            return np.zeros(0)
        return np.concatenate([b.ravel() for b in self.tiles.values()])

    def tile_bounds(self) -> tuple[int, int, int, int]:
        """(row0, row1, col0, col1) in cells of the tiles that are set."""
        keys = np.asarray(list(self.tiles), dtype=np.int64).reshape(-1, 2)
        t = self.tile
        return (
            int(keys[:, 0].min()) * t,
            (int(keys[:, 0].max()) + 1) * t,
            int(keys[:, 1].min()) * t,
            (int(keys[:, 1].max()) + 1) * t,
        )

    def dense(self, row0: int, row1: int, col0: int, col1: int) -> FloatArray:
        """The raster over rows [row0, row1) and columns [col0, col1), zeros where unset."""
        out = np.zeros((row1 - row0, col1 - col0))
        t = self.tile
        for (tr, tc), b in self.tiles.items():
            r_a, r_b = max(row0, tr * t), min(row1, (tr + 1) * t)
            c_a, c_b = max(col0, tc * t), min(col1, (tc + 1) * t)
            if r_a < r_b and c_a < c_b:
                out[r_a - row0 : r_b - row0, c_a - col0 : c_b - col0] = b[
                    r_a - tr * t : r_b - tr * t, c_a - tc * t : c_b - tc * t
                ]
        return out

    def nbytes(self) -> int:
        return sum(b.nbytes for b in self.tiles.values())
