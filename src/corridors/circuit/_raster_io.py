"""Reading and writing the rasters and text lists of a circuit job.

Rasters are read through rasterio (GDAL), which covers ESRI ASCII grids, their
gzip-compressed form (through ``/vsigzip/``) and GeoTIFF. Grids are written in
Circuitscape's ASCII layout, or as GeoTIFF carrying the input's CRS and transform.
"""

from __future__ import annotations

import gzip
import io
import math
import threading
import warnings
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from affine import Affine

from .._io import atomic_write_bytes
from .._typing import FloatArray
from ..errors import DataFileError, RasterError
from ._ascii import check_ascii_file, is_gzip

#: Circuitscape's own nodata value, used in every map it writes.
NODATA = -9999.0


@dataclass(frozen=True)
class GridMeta:
    """Shape and georeferencing of a raster grid.

    Attributes
    ----------
    nrows, ncols : int
        Grid shape.
    xllcorner, yllcorner : float
        Lower-left corner of the grid.
    cellsize : float
        Cell width (cells are square, as in Circuitscape).
    nodata : float
        Nodata value written to output grids.
    crs : Any
        A ``rasterio.crs.CRS`` or None.
    transform : Any
        An ``affine.Affine`` mapping (col, row) to (x, y).
    path : str
        The file the grid came from (for messages).
    """

    nrows: int
    ncols: int
    xllcorner: float
    yllcorner: float
    cellsize: float
    nodata: float = NODATA
    crs: Any = None
    transform: Any = None
    path: str = "<array>"

    @property
    def shape(self) -> tuple[int, int]:
        """``(nrows, ncols)``."""
        return (self.nrows, self.ncols)

    @property
    def extent(self) -> tuple[float, float, float, float]:
        """``(xmin, ymin, xmax, ymax)``."""
        return (
            self.xllcorner,
            self.yllcorner,
            self.xllcorner + self.ncols * self.cellsize,
            self.yllcorner + self.nrows * self.cellsize,
        )

    def describe(self) -> str:
        """One-line description with the file, shape and extent, for messages."""
        xmin, ymin, xmax, ymax = self.extent
        return (
            f"{self.path} (shape {self.nrows}x{self.ncols}, cellsize {self.cellsize:g}, "
            f"extent x {xmin:g}..{xmax:g}, y {ymin:g}..{ymax:g})"
        )


def meta_from_transform(
    nrows: int,
    ncols: int,
    transform: Any,
    *,
    crs: Any = None,
    nodata: float = NODATA,
    path: str = "<array>",
) -> GridMeta:
    """Build a :class:`GridMeta` from an affine transform (north-up grids only)."""
    if transform is None:
        transform = Affine(1.0, 0.0, 0.0, 0.0, -1.0, float(nrows))
    if transform.b != 0 or transform.d != 0:
        raise RasterError(
            f"{path}: the grid is rotated or sheared ({transform!r}); circuit models need "
            "north-up grids: warp it first, e.g. with `gdalwarp`"
        )
    cellsize = float(transform.a)
    if not (cellsize > 0 and transform.e < 0):
        raise RasterError(
            f"{path}: the cell size is {transform.a:g} by {-transform.e:g}; circuit models "
            "need north-up grids with positive cell sizes (columns run west to east, rows "
            "north to south): flip or warp it first, e.g. with `gdalwarp`"
        )
    if not math.isclose(abs(transform.e), cellsize, rel_tol=1e-6):
        raise RasterError(
            f"{path}: cells are not square ({transform.a:g} by {-transform.e:g}); "
            "Circuitscape grids need square cells: resample it first"
        )
    xll = float(transform.c)
    yll = float(transform.f) + nrows * float(transform.e)
    return GridMeta(nrows, ncols, xll, yll, cellsize, nodata, crs, transform, path)


def _gdal_path(path: Path) -> str:
    if is_gzip(path):
        return f"/vsigzip/{path}"
    return str(path)


def check_input_file(path: Path, *, role: str) -> None:
    """Raise :class:`DataFileError` unless ``path`` is an existing file (not a directory)."""
    problem = input_file_problem(path, role=role)
    if problem:
        raise DataFileError(problem)


def input_file_problem(path: Path, *, role: str) -> str | None:
    """Why ``path`` cannot be read as the job's ``role`` file, or None if it can."""
    if path.is_dir():
        return (
            f"{role} file {path} is a directory, not a file; give the path of the "
            f"{role} file itself (in the job file, or the argument)"
        )
    if not path.is_file():
        return (
            f"{role} file {path} does not exist; check the path in the job file "
            "(relative paths are resolved against the working directory or --base-dir)"
        )
    return None


def read_raster(path: str | Path, *, role: str = "raster") -> tuple[FloatArray, GridMeta]:
    """Read a single-band raster as float64 with nodata cells set to NaN.

    ESRI ASCII grids (``.asc``, ``.asc.gz``, or any file that starts with an ASCII grid
    header) are checked against their header first (see :func:`~._ascii.check_ascii_grid`).

    Parameters
    ----------
    path : str or Path
        ``.asc``, ``.asc.gz``, ``.tif``, ``.tif.gz`` or anything GDAL reads.
    role : str
        What the file is for (``"habitat"``, ``"polygon"`` ...), used in messages.

    Returns
    -------
    values, meta

    Raises
    ------
    DataFileError
        A missing file, a directory, or a file GDAL cannot read.
    RasterError
        An ASCII grid that disagrees with its header or holds non-numbers, a rotated,
        south-up or non-square grid.
    """
    from rasterio.errors import RasterioIOError  # deferred: rasterio

    p = Path(path)
    check_input_file(p, role=role)
    checked = check_ascii_file(p, source=f"{role} file {p}")
    text = checked[1] if checked is not None else None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with _open(p, text) as ds:
                data = ds.read(1, masked=False).astype(np.float64, copy=False)
                nodata = ds.nodata
                transform = ds.transform
                crs = ds.crs
    except RasterioIOError as exc:
        raise DataFileError(
            f"cannot read {role} file {p}: {exc}; it must be an ESRI ASCII grid "
            "(.asc, .asc.gz) or a GeoTIFF"
        ) from exc
    if nodata is not None and not math.isnan(nodata):
        data[data == nodata] = np.nan
    meta = meta_from_transform(
        data.shape[0], data.shape[1], transform, crs=crs, nodata=NODATA, path=str(p)
    )
    return data, meta


@contextmanager
def _open(path: Path, text: bytes | None) -> Iterator[Any]:
    """Open ``path`` with rasterio; a gzip'd ASCII grid already read is not unpacked twice."""
    import rasterio  # deferred: rasterio
    from rasterio.io import MemoryFile

    if text is not None and is_gzip(path):
        # /vsigzip/ would decompress the file a second time; GDAL finds no .prj beside
        # a gzip'd grid either way.
        with MemoryFile(text, ext=".asc") as mem, mem.open() as ds:
            yield ds
        return
    with rasterio.open(_gdal_path(path)) as ds:
        yield ds


def check_aligned(meta: GridMeta, ref: GridMeta) -> None:
    """Raise :class:`RasterError` unless ``meta`` lies on the same grid as ``ref``."""
    tol = 1e-6 * max(ref.cellsize, 1e-12)
    same = (
        meta.shape == ref.shape
        and math.isclose(meta.cellsize, ref.cellsize, rel_tol=1e-6)
        and abs(meta.xllcorner - ref.xllcorner) <= max(tol, 1e-6 * abs(ref.xllcorner))
        and abs(meta.yllcorner - ref.yllcorner) <= max(tol, 1e-6 * abs(ref.yllcorner))
    )
    if not same:
        raise RasterError(
            f"grids do not line up: {meta.describe()} versus the habitat grid "
            f"{ref.describe()}; resample or clip {meta.path} onto the habitat grid "
            "(same shape, cell size and corner)"
        )


def read_table(path: str | Path, *, role: str, ncols: int | None = None) -> FloatArray:
    """Read a whitespace-separated numeric table (point lists, graphs, strengths).

    Lines that are blank are skipped. The result is two-dimensional.
    """
    p = Path(path)
    check_input_file(p, role=role)
    try:
        raw = p.read_bytes()
        if is_gzip(p):
            raw = gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as exc:
        raise DataFileError(f"cannot read {role} file {p}: {exc}; check the file") from None
    rows: list[list[float]] = []
    for lineno, line in enumerate(raw.decode("utf-8", errors="replace").splitlines(), 1):
        parts = line.replace(",", " ").split()
        if not parts:
            continue
        try:
            rows.append([float(x) for x in parts])
        except ValueError:
            raise DataFileError(
                f"{role} file {p}, line {lineno}: {line.strip()!r} is not a row of numbers; "
                "fix or remove that line"
            ) from None
    if not rows:
        raise DataFileError(f"{role} file {p} has no rows; give at least one")
    width = ncols if ncols is not None else len(rows[0])
    for lineno, row in enumerate(rows, 1):
        if len(row) < width:
            raise DataFileError(
                f"{role} file {p}: row {lineno} has {len(row)} values, expected {width}; "
                "fix that row"
            )
    return np.array([r[:width] for r in rows], dtype=np.float64)


def format_number(x: float) -> str:
    """Format like Circuitscape.jl's writer: integers without a fraction, else shortest repr."""
    if x == int(x) and abs(x) < 1e15:
        return str(int(x))
    return repr(float(x))


def _grid_text(values: FloatArray, meta: GridMeta) -> bytes:
    buf = io.StringIO()
    buf.write(f"ncols         {meta.ncols}\n")
    buf.write(f"nrows         {meta.nrows}\n")
    buf.write(f"xllcorner     {float(meta.xllcorner)!r}\n")
    buf.write(f"yllcorner     {float(meta.yllcorner)!r}\n")
    buf.write(f"cellsize      {float(meta.cellsize)!r}\n")
    buf.write(f"NODATA_value  {float(meta.nodata)!r}\n")
    rounded = np.round(np.asarray(values, dtype=np.float64), 8)
    # Writing -0.0 would differ from Circuitscape's output for no reason.
    rounded[rounded == 0] = 0.0
    # The compiled writer gives repr's bytes ~10x faster; numba loads on first use.
    from ._text_kernel import encode_rows

    body, length = encode_rows(np.ascontiguousarray(rounded))
    if length >= 0:
        return buf.getvalue().encode("ascii") + body[:length].tobytes()
    for row in rounded.tolist():  # some value it does not write (huge, NaN, inf)
        buf.write(" ".join(map(repr, row)))
        buf.write("\n")
    return buf.getvalue().encode("ascii")


def preload_text_writer() -> threading.Thread:
    """Load the compiled grid writer in a background thread, while a job solves.

    Importing numba and loading the writer from numba's cache takes about half a second,
    a fifth of a 1-million-cell job; started when the job starts, it is ready by the time
    the first map is written. Returns the (daemon) thread.
    """

    def load() -> None:
        from ._text_kernel import encode_rows

        encode_rows(np.zeros((1, 1)))

    thread = threading.Thread(target=load, name="corridors-grid-writer", daemon=True)
    thread.start()
    return thread


def write_ascii_grid(
    path: str | Path, values: FloatArray, meta: GridMeta, *, compress: bool = False
) -> Path:
    """Write an ESRI ASCII grid the way Circuitscape does (values rounded to 8 decimals).

    With ``compress`` the file is gzip-compressed (and should be named ``.asc.gz``).
    """
    return atomic_write_bytes(path, encode_ascii_grid(values, meta, compress=compress))


def encode_ascii_grid(values: FloatArray, meta: GridMeta, *, compress: bool = False) -> bytes:
    """The bytes :func:`write_ascii_grid` writes (gzip-compressed with ``compress``)."""
    data = _grid_text(values, meta)
    if compress:
        # Level 1 is about four times faster than level 6 on these grids for files
        # about a quarter larger; mtime=0 keeps reruns byte-identical.
        data = gzip.compress(data, compresslevel=1, mtime=0)
    return data


def write_geotiff(path: str | Path, values: FloatArray, meta: GridMeta) -> Path:
    """Write a float64 GeoTIFF with the grid's CRS and transform (nodata -9999)."""
    import rasterio  # deferred: rasterio
    from rasterio.io import MemoryFile

    transform = meta.transform
    if transform is None:
        transform = Affine(
            meta.cellsize,
            0.0,
            meta.xllcorner,
            0.0,
            -meta.cellsize,
            meta.yllcorner + meta.nrows * meta.cellsize,
        )
    profile = {
        "driver": "GTiff",
        "height": meta.nrows,
        "width": meta.ncols,
        "count": 1,
        "dtype": "float64",
        "crs": meta.crs,
        "transform": transform,
        "nodata": meta.nodata,
        "compress": "deflate",
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rasterio.errors.NotGeoreferencedWarning)
        with MemoryFile() as mem:
            with mem.open(**profile) as ds:
                ds.write(np.asarray(values, dtype=np.float64), 1)
            data = mem.read()
    return atomic_write_bytes(path, data)


def xy_to_rowcol(
    x: npt.NDArray[np.float64], y: npt.NDArray[np.float64], meta: GridMeta
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Map coordinates to 0-based (row, col) exactly as Circuitscape does (ceil rule)."""
    rows = np.ceil(meta.nrows - (y - meta.yllcorner) / meta.cellsize).astype(np.int64) - 1
    cols = np.ceil((x - meta.xllcorner) / meta.cellsize).astype(np.int64) - 1
    return rows, cols
