"""Input rasters of an Omniscape job: opening, alignment, windowed reads, preparation.

Nothing here reads a whole raster at once unless asked: jobs are checked and their
targets counted strip by strip, and each tile reads its own window plus halo, so a
raster never has to fit in one process. NoData becomes NaN on reading (as does NaN
itself, which Omniscape.jl also treats as NoData).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .._typing import FloatArray
from ..errors import DataFileError, RasterError
from ._config import OmniscapeJob, OmniscapeWarning

#: Input rasters besides the resistance, by role.
ROLES = ("source", "condition1", "condition1_future", "condition2", "condition2_future")
#: Rows read at once when a whole raster is scanned: bounded memory on any raster.
SCAN_ROWS_CELLS = 4_000_000


@dataclass(frozen=True)
class RasterInfo:
    """Shape and georeferencing of an input raster, for checks and windowed reads.

    Attributes
    ----------
    path : str
        The file (what rasterio opens).
    option : str
        The INI option that names it, for messages.
    shape : (int, int)
        Rows, columns.
    transform : affine.Affine
        Maps (column, row) to (x, y); rows run north to south.
    crs : rasterio.crs.CRS or None
    nodata : float or None
    """

    path: str
    option: str
    shape: tuple[int, int]
    transform: Any
    crs: Any
    nodata: float | None


def _gdal_path(path: Path) -> str:
    return f"/vsigzip/{path}" if path.suffix.lower() == ".gz" else str(path)


def open_info(path: Path, option: str) -> RasterInfo:
    """Read a raster's header (no cells) or raise :class:`DataFileError` naming ``option``."""
    import rasterio  # deferred: rasterio
    from rasterio.errors import RasterioIOError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with rasterio.open(_gdal_path(path)) as ds:
                if ds.count < 1:
                    raise DataFileError(f"{option} {path} has no band; give a single-band raster")
                return RasterInfo(
                    path=_gdal_path(path),
                    option=option,
                    shape=(ds.height, ds.width),
                    transform=ds.transform,
                    crs=ds.crs,
                    nodata=ds.nodata,
                )
    except RasterioIOError as exc:
        raise DataFileError(
            f"cannot read {option} {path}: {exc}; it must be a GeoTIFF or an ESRI ASCII "
            "grid (.asc, with its .prj beside it for the projection)"
        ) from exc


def read_window(
    info: RasterInfo, rows: tuple[int, int] | None = None, cols: tuple[int, int] | None = None
) -> FloatArray:
    """Cells ``[r0, r1) x [c0, c1)`` of band 1 as float64, NoData and NaN as NaN."""
    import rasterio  # deferred: rasterio
    from rasterio.windows import Window

    r0, r1 = rows if rows is not None else (0, info.shape[0])
    c0, c1 = cols if cols is not None else (0, info.shape[1])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with rasterio.open(info.path) as ds:
                data = ds.read(1, window=Window(c0, r0, c1 - c0, r1 - r0), masked=False)
    except Exception as exc:  # a file changed or broken after the job was checked
        raise DataFileError(f"cannot read {info.option} {info.path}: {exc}") from exc
    out = data.astype(np.float64, copy=True)
    if info.nodata is not None and not math.isnan(info.nodata):
        out[out == info.nodata] = np.nan
    return out


def check_alignment(
    ref: RasterInfo, other: RasterInfo, *, allow_different_projections: bool
) -> None:
    """Refuse a raster of another shape; warn about another CRS or transform.

    As Omniscape.jl does: different sizes are an error, a different projection or
    geotransform a warning unless ``allow_different_projections``.
    """
    if other.shape != ref.shape:
        raise RasterError(
            f"{other.option} {other.path} has {other.shape[0]} rows x {other.shape[1]} columns "
            f"but resistance_file {ref.path} has {ref.shape[0]} x {ref.shape[1]}; resample or "
            f"clip {other.option} onto the resistance grid (same rows, columns and cell size)"
        )
    if allow_different_projections:
        return
    same_crs = (ref.crs is None and other.crs is None) or (
        ref.crs is not None and other.crs is not None and ref.crs == other.crs
    )
    same_transform = ref.transform.almost_equals(other.transform, precision=1e-9)
    if not (same_crs and same_transform):
        what = []
        if not same_crs:
            what.append(f"CRS {_crs_name(other.crs)} against {_crs_name(ref.crs)}")
        if not same_transform:
            mine, theirs = tuple(other.transform)[:6], tuple(ref.transform)[:6]
            what.append(f"transform {mine} against {theirs}")
        warnings.warn(
            f"{other.option} {other.path} and resistance_file {ref.path} differ in "
            f"{' and '.join(what)}; they may not line up. The cells are matched by row and "
            "column; set allow_different_projections = true to silence this",
            OmniscapeWarning,
            stacklevel=3,
        )


def _crs_name(crs: Any) -> str:
    if crs is None:
        return "none"
    try:
        epsg = crs.to_epsg()
    except Exception:  # pragma: no cover - an unusual CRS rasterio cannot match
        epsg = None
    return f"EPSG:{epsg}" if epsg else "(custom)"


def read_reclass_table(path: Path) -> tuple[tuple[float, float], ...]:
    """Two columns, old value and new value; ``missing`` (quoted or not) means NoData."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise DataFileError(f"cannot read reclass_table {path}: {exc}") from exc
    pairs: list[tuple[float, float]] = []
    problems: list[str] = []
    for lineno, line in enumerate(text.splitlines(), 1):
        parts = line.replace(",", " ").split()
        if not parts:
            continue
        if len(parts) != 2:
            problems.append(f"line {lineno} ({line.strip()!r}) has {len(parts)} columns, not 2")
            continue
        try:
            old = float(parts[0])
            new_text = parts[1].strip("\"'")
            new = math.nan if new_text.lower() == "missing" else float(new_text)
        except ValueError:
            problems.append(
                f"line {lineno} ({line.strip()!r}) is not two numbers (the second may be missing)"
            )
            continue
        pairs.append((old, new))
    if problems:
        raise DataFileError(
            f"reclass_table {path}: " + "; ".join(problems) + "; write one `old<TAB>new` pair "
            "per line, with `missing` for NoData"
        )
    if not pairs:
        raise DataFileError(f"reclass_table {path} has no rows; give old and new value pairs")
    return tuple(pairs)


@dataclass(frozen=True)
class Prep:
    """How raw input values become conductances and source strengths (cell by cell).

    Attributes
    ----------
    resistance_is_conductance : bool
    source_from_resistance : bool
    r_cutoff : float
        Largest resistance of a source cell when sources come from the resistance.
    source_threshold : float
        Source strengths below it are 0 (applies to a source raster only, as in
        Omniscape.jl).
    reclass : tuple of (old, new) pairs
        Applied to the resistance (or conductance) values first; NaN is NoData.
    """

    resistance_is_conductance: bool = False
    source_from_resistance: bool = False
    r_cutoff: float = math.inf
    source_threshold: float = 0.0
    reclass: tuple[tuple[float, float], ...] = ()

    def reclassify(self, values: FloatArray) -> FloatArray:
        """``values`` with the reclass table applied (each pair on the original values)."""
        if not self.reclass:
            return values
        out = values.copy()
        for old, new in self.reclass:
            out[values == old] = new
        return out

    def conductance(self, resistance: FloatArray) -> FloatArray:
        """Conductance of each cell (NaN for NoData) from reclassified values."""
        if self.resistance_is_conductance:
            return resistance
        with np.errstate(divide="ignore"):
            return 1.0 / resistance

    def sources(self, resistance: FloatArray, sources: FloatArray | None) -> FloatArray:
        """Source strength of each cell (0 for none) from reclassified values or the raster."""
        if self.source_from_resistance:
            s = self.conductance(resistance).copy()
            # As Julia's 1 / 0.0: a cutoff of 0 leaves no source.
            limit = math.inf if self.r_cutoff == 0 else 1.0 / self.r_cutoff
            with np.errstate(invalid="ignore"):
                cut = ~(s >= limit)  # NaN (NoData) fails too
            s[cut] = 0.0
            return s
        assert sources is not None
        s = np.nan_to_num(sources, nan=0.0)
        s[s < self.source_threshold] = 0.0
        return s


def prep_from_job(job: OmniscapeJob) -> Prep:
    """The :class:`Prep` of a job (reads the reclass table)."""
    return Prep(
        resistance_is_conductance=job.resistance_is_conductance,
        source_from_resistance=job.source_from_resistance,
        r_cutoff=job.r_cutoff,
        source_threshold=job.source_threshold,
        reclass=read_reclass_table(job.reclass_table)
        if job.reclassify_resistance and job.reclass_table is not None
        else (),
    )


@dataclass(frozen=True)
class FileInputs:
    """The job's rasters by file, read window by window (picklable: paths only).

    Attributes
    ----------
    resistance : RasterInfo
    source : RasterInfo or None
        None when sources come from the resistance.
    condition1, condition1_future, condition2, condition2_future : RasterInfo or None
    """

    resistance: RasterInfo
    source: RasterInfo | None = None
    condition1: RasterInfo | None = None
    condition1_future: RasterInfo | None = None
    condition2: RasterInfo | None = None
    condition2_future: RasterInfo | None = None

    @property
    def shape(self) -> tuple[int, int]:
        """Rows and columns of every input."""
        return self.resistance.shape

    def layers(self) -> dict[str, RasterInfo]:
        """The rasters in use, by role."""
        out: dict[str, RasterInfo] = {}
        for name in ROLES:
            info = getattr(self, name)
            if info is not None:
                out[name] = info
        return out


def open_inputs(job: OmniscapeJob) -> FileInputs:
    """Open every raster of ``job`` and check that they line up with the resistance.

    Raises
    ------
    DataFileError
        A raster that cannot be read.
    RasterError
        A raster whose shape differs from the resistance's.
    """
    res = open_info(job.resistance_file, "resistance_file")
    named: dict[str, tuple[str, Path | None]] = {
        "source": ("source_file", job.source_file),
        "condition1": ("condition1_file", job.condition1_file),
        "condition1_future": ("condition1_future_file", job.condition1_future_file),
        "condition2": ("condition2_file", job.condition2_file),
        "condition2_future": ("condition2_future_file", job.condition2_future_file),
    }
    infos: dict[str, RasterInfo] = {}
    problems: list[str] = []
    for role, (option, path) in named.items():
        if path is None:
            continue
        info = open_info(path, option)
        try:
            check_alignment(res, info, allow_different_projections=job.allow_different_projections)
        except RasterError as exc:
            problems.append(str(exc))
        infos[role] = info
    if problems:
        raise RasterError("; ".join(problems))
    return FileInputs(resistance=res, **infos)


@dataclass
class ScanResult:
    """What a pass over the whole job found before any solve.

    Attributes
    ----------
    block_strengths : float array
        Strength of each block (rows and columns of blocks); targets are the positive ones.
    valid_cells : int
        Cells with a resistance.
    """

    block_strengths: FloatArray
    valid_cells: int = 0

    @property
    def n_targets(self) -> int:
        """Targets of the whole job."""
        return int(np.count_nonzero(self.block_strengths > 0))


def strips(nrows: int, ncols: int, step: int) -> Iterator[tuple[int, int]]:
    """Row ranges of whole multiples of ``step`` rows, about SCAN_ROWS_CELLS cells each."""
    per = max(step, (SCAN_ROWS_CELLS // max(ncols, 1)) // step * step)
    for r0 in range(0, nrows, per):
        yield r0, min(nrows, r0 + per)


@dataclass
class ValueCheck:
    """Zero, negative or infinite values found in a raster, strip by strip."""

    where: str
    conductance: bool
    bad: int = 0
    infinite: int = 0
    first: tuple[int, int, float] | None = None
    valid: int = 0

    def add(self, values: FloatArray, row0: int) -> None:
        """Check rows ``row0 ..`` of the raster."""
        finite = ~np.isnan(values)
        self.valid += int(finite.sum())
        with np.errstate(invalid="ignore"):
            bad = finite & (values <= 0)
        inf = np.isinf(values)
        self.bad += int(bad.sum())
        self.infinite += int(inf.sum())
        if self.first is None and (bad.any() or inf.any()):
            r, c = np.argwhere(bad | inf)[0]
            self.first = (row0 + int(r), int(c), float(values[r, c]))

    def raise_if_bad(self) -> None:
        """Raise :class:`RasterError` naming the count, the first cell and the fix."""
        if self.first is None:
            return
        kind = "conductance" if self.conductance else "resistance"
        what = []
        if self.bad:
            what.append(f"{self.bad} cell(s) of zero or negative {kind}")
        if self.infinite:
            what.append(f"{self.infinite} infinite cell(s)")
        r, c, v = self.first
        raise RasterError(
            f"{self.where}: {' and '.join(what)} (the first at row {r}, column {c}, "
            f"counted from 0 at the top left: {v:g}); Omniscape needs a positive, finite "
            f"{kind} in every cell: mark barriers as NoData instead"
        )


def check_resistance(values: FloatArray, *, where: str, row0: int, conductance: bool) -> int:
    """Raise :class:`RasterError` on zero, negative or infinite values; return valid cells."""
    check = ValueCheck(where, conductance)
    check.add(values, row0)
    check.raise_if_bad()
    return check.valid


def scan(inputs: FileInputs, prep: Prep, *, block_size: int) -> ScanResult:
    """Check the resistance and add up block strengths, strip by strip.

    Raises
    ------
    RasterError
        Zero, negative or infinite resistance (before or after reclassification), or
        a resistance raster that is NoData everywhere.
    """
    nrows, ncols = inputs.shape
    nb_r, nb_c = nrows // block_size, ncols // block_size
    blocks = np.zeros((nb_r, nb_c))
    valid = 0
    res = inputs.resistance
    where = f"resistance_file {res.path}"
    raw_check = ValueCheck(where, prep.resistance_is_conductance)
    new_check = ValueCheck(f"{where} after reclass_table", prep.resistance_is_conductance)
    for r0, r1 in strips(nrows, ncols, block_size):
        raw = read_window(res, (r0, r1))
        raw_check.add(raw, r0)
        values = prep.reclassify(raw)
        new_check.add(values, r0)
        valid += int(np.count_nonzero(~np.isnan(values)))
        src_raw = read_window(inputs.source, (r0, r1)) if inputs.source is not None else None
        s = prep.sources(values, src_raw)
        k0 = r0 // block_size
        k1 = min(nb_r, r1 // block_size)
        if k1 > k0:
            part = s[: (k1 - k0) * block_size, : nb_c * block_size]
            blocks[k0:k1] = part.reshape(k1 - k0, block_size, nb_c, block_size).sum(axis=(1, 3))
    raw_check.raise_if_bad()
    new_check.raise_if_bad()
    if valid == 0:
        raise RasterError(
            f"resistance_file {res.path}: every cell is NoData; give a resistance raster "
            "with values (NoData marks barriers only)"
        )
    return ScanResult(block_strengths=blocks, valid_cells=valid)
