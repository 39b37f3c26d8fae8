"""Loading and checking the inputs of a raster job: habitat, polygons, mask, points, pairs."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from .._typing import FloatArray, Int64Array
from ..errors import CorridorsWarning, DataFileError, RasterError, warn
from ._errors import FocalPointError
from ._raster_io import (
    GridMeta,
    check_aligned,
    check_input_file,
    read_raster,
    read_table,
    xy_to_rowcol,
)

#: A current needs a source and a ground: fewer focal points leave nothing to solve.
MIN_FOCAL_POINTS = 2


class FocalPointWarning(CorridorsWarning):
    """Focal points on cells without habitat; Circuitscape reports them as disconnected (-1)."""


@dataclass
class Points:
    """Focal nodes: one entry per cell, sorted by id (a region has several cells)."""

    ids: Int64Array
    rows: Int64Array
    cols: Int64Array

    @property
    def unique_ids(self) -> Int64Array:
        """Distinct ids in increasing order."""
        return np.unique(self.ids)

    @property
    def has_regions(self) -> bool:
        """True when some id covers more than one cell (focal regions)."""
        return bool(self.ids.size != np.unique(self.ids).size)

    def subset(self, keep_ids: Int64Array) -> Points:
        """Only the entries whose id is in ``keep_ids``."""
        m = np.isin(self.ids, keep_ids)
        return Points(self.ids[m], self.rows[m], self.cols[m])


@dataclass
class PairSelection:
    """Which pairs of focal nodes to solve (from an included-pairs file)."""

    point_ids: Int64Array
    mode: str  # "include" or "exclude"
    listed: set[tuple[int, int]] = field(default_factory=set)

    def included(self, a: int, b: int) -> bool:
        """True when the pair ``(a, b)`` is to be solved."""
        hit = (a, b) in self.listed or (b, a) in self.listed
        return hit if self.mode == "include" else not hit


def conductance_from_habitat(values: FloatArray, *, is_resistance: bool, source: str) -> FloatArray:
    """Convert habitat values (NaN = nodata) to conductances, rejecting bad values."""
    finite = np.isfinite(values)
    if not finite.any():
        raise RasterError(
            f"{source}: every cell is nodata; give a habitat raster with at least two "
            "cells of habitat"
        )
    vals = values[finite]
    if is_resistance:
        bad = vals <= 0
        if bad.any():
            worst = float(vals[bad].min())
            raise RasterError(
                f"{source}: {int(bad.sum())} cells have zero or negative resistance "
                f"(e.g. {worst:g}; {_first_cell(finite & (values <= 0), values)}); "
                "resistances must be positive: mark barriers as nodata and use a "
                "short-circuit region (polygon_file) for zero resistance"
            )
        g = np.zeros_like(values)
        g[finite] = 1.0 / vals
    else:
        bad = vals < 0
        if bad.any():
            raise RasterError(
                f"{source}: {int(bad.sum())} cells have negative conductance "
                f"(e.g. {float(vals[bad].min()):g}; {_first_cell(finite & (values < 0), values)}"
                "); conductances must be zero (no movement) or positive"
            )
        g = np.where(finite, values, 0.0)
    return g


def _first_cell(mask: npt.NDArray[np.bool_], values: FloatArray) -> str:
    """Where the first ``True`` cell of ``mask`` is, for messages (rows and columns from 0)."""
    row, col = (int(i[0]) for i in np.nonzero(mask))
    return f"first {values[row, col]:g} at row {row}, column {col}, counting from 0"


def load_habitat(path: Path, *, is_resistance: bool) -> tuple[FloatArray, GridMeta]:
    """Read the habitat raster and return cell conductances and the grid."""
    values, meta = read_raster(path, role="habitat")
    return conductance_from_habitat(values, is_resistance=is_resistance, source=str(path)), meta


def load_aligned(path: Path, ref: GridMeta, *, role: str) -> FloatArray:
    """Read a raster that must lie on the habitat grid; NaN marks nodata."""
    values, meta = read_raster(path, role=role)
    check_aligned(meta, ref)
    return values


def load_polygons(path: Path, ref: GridMeta) -> Int64Array:
    """Short-circuit regions as integer labels (0 = none)."""
    values = load_aligned(path, ref, role="polygon")
    return np.where(np.isfinite(values), values, 0).astype(np.int64)


def apply_mask(g: FloatArray, path: Path, ref: GridMeta) -> FloatArray:
    """Remove habitat where the mask is nodata or not positive."""
    values = load_aligned(path, ref, role="mask")
    keep = np.isfinite(values) & (values > 0)
    out = np.where(keep, g, 0.0)
    if not (out > 0).any():
        raise RasterError(
            f"mask {path} removes every habitat cell; check that it covers the habitat "
            "raster and marks kept cells with positive values"
        )
    return out


def load_points(path: Path, ref: GridMeta) -> Points:
    """Read focal points from a text list (``id x y``) or a raster of ids."""
    if path.suffix.lower() == ".txt":
        table = read_table(path, role="point", ncols=3)
        ids = table[:, 0]
        rows, cols = xy_to_rowcol(table[:, 1], table[:, 2], ref)
        outside = (rows < 0) | (rows >= ref.nrows) | (cols < 0) | (cols >= ref.ncols)
        if outside.any():
            k = int(np.flatnonzero(outside)[0])
            raise FocalPointError(
                f"point file {path}: {int(outside.sum())} focal point(s) lie outside the "
                f"habitat grid, e.g. id {ids[k]:g} at x={table[k, 1]:g}, y={table[k, 2]:g}; "
                f"the grid is {ref.describe()}: fix their coordinates or remove them"
            )
    else:
        values = load_aligned(path, ref, role="point")
        values = np.where(np.isfinite(values), values, 0)
        rr, cc = np.nonzero(values.T)  # column-major, as Circuitscape scans grids
        cols, rows = rr.astype(np.int64), cc.astype(np.int64)
        ids = values[rows, cols]
    keep = ids >= 0
    ids = ids[keep]
    if ids.size and np.any(ids != np.round(ids)):
        raise FocalPointError(
            f"point file {path}: focal point ids must be whole numbers, got e.g. "
            f"{ids[ids != np.round(ids)][0]:g}; renumber them"
        )
    ids_i = np.round(ids).astype(np.int64)
    order = np.argsort(ids_i, kind="stable")
    pts = Points(ids_i[order], np.asarray(rows)[keep][order], np.asarray(cols)[keep][order])
    if pts.unique_ids.size < MIN_FOCAL_POINTS:
        found = (
            f"only focal point {pts.unique_ids[0]}" if pts.unique_ids.size else "no focal points"
        )
        raise FocalPointError(
            f"point file {path} holds {found}; pairwise, one-to-all and all-to-one jobs "
            f"need at least {MIN_FOCAL_POINTS} (cells with an id > 0 in a raster, lines "
            "`id x y` in a text list): add the missing points"
        )
    return pts


def check_points_on_habitat(points: Points, g: FloatArray, *, source: str) -> list[str]:
    """Warn about focal points on cells without habitat; fail if fewer than two remain."""
    on = g[points.rows, points.cols] > 0
    notes: list[str] = []
    bad_ids = sorted({int(i) for i in points.ids[~on]} - {int(i) for i in points.ids[on]})
    if bad_ids:
        msg = (
            f"{source}: focal node(s) {', '.join(map(str, bad_ids))} lie on cells without "
            "habitat (nodata or zero conductance); they are reported as disconnected (-1), "
            "as Circuitscape does: move them onto habitat if that is not intended"
        )
        warn(msg, FocalPointWarning)
        notes.append(msg)
    if np.unique(points.ids[on]).size < 1:
        raise FocalPointError(
            f"{source}: no focal node lies on habitat; every point is on nodata or "
            "zero-conductance cells: check that the points and the habitat raster match"
        )
    return notes


def load_included_pairs(path: Path) -> PairSelection:
    """Read an included-pairs file in either of Circuitscape's two formats."""
    check_input_file(path, role="included pairs")
    lines = [ln.split() for ln in path.read_text(errors="replace").splitlines() if ln.strip()]
    if not lines:
        raise DataFileError(f"included pairs file {path} is empty")
    head = lines[0][0].lower()
    try:
        if head == "min":
            minval = float(lines[0][1])
            maxval = float(lines[1][1])
            header = [float(x) for x in lines[2]]
            ids = np.array(header[1:], dtype=np.int64)
            listed: set[tuple[int, int]] = set()
            for row in lines[3:]:
                a = int(float(row[0]))
                for b, val in zip(ids, row[1:], strict=False):
                    v = float(val)
                    v = 0.0 if v > maxval else v
                    if v >= minval:
                        listed.add((a, int(b)))
            return PairSelection(ids, "include", listed)
        if head == "mode":
            mode = lines[0][1].lower()
            if mode not in {"include", "exclude"}:
                raise DataFileError(
                    f"included pairs file {path}: mode {lines[0][1]!r} is not valid; "
                    "write `mode include` or `mode exclude`"
                )
            pairs = [(int(float(r[0])), int(float(r[1]))) for r in lines[1:]]
            ids = np.array(sorted({i for p in pairs for i in p} - {0}), dtype=np.int64)
            return PairSelection(ids, mode, set(pairs))
    except (IndexError, ValueError):
        raise DataFileError(
            f"included pairs file {path} is malformed; it must start with `min`/`max` "
            "lines and a matrix, or with a `mode include|exclude` line and id pairs"
        ) from None
    raise DataFileError(
        f"included pairs file {path} starts with {lines[0][0]!r}; it must start with "
        "`min` (matrix format) or `mode` (list format)"
    )


def load_strengths(path: Path) -> dict[int, float]:
    """Read variable source strengths (``id strength`` per line)."""
    table = read_table(path, role="variable source strength", ncols=2)
    return {round(a): float(b) for a, b in table}


def load_source_or_ground(path: Path, ref: GridMeta, *, role: str) -> FloatArray:
    """Read an advanced-mode source or ground file: a raster, or ``value x y`` lines.

    Returns a grid with NaN where nothing is given.
    """
    if path.suffix.lower() == ".txt":
        table = read_table(path, role=role, ncols=3)
        rows, cols = xy_to_rowcol(table[:, 1], table[:, 2], ref)
        outside = (rows < 0) | (rows >= ref.nrows) | (cols < 0) | (cols >= ref.ncols)
        if outside.any():
            raise FocalPointError(
                f"{role} file {path}: {int(outside.sum())} location(s) lie outside the "
                f"habitat grid {ref.describe()}; fix their coordinates"
            )
        grid = np.full(ref.shape, np.nan)
        grid[rows, cols] = table[:, 0]
        return grid
    return load_aligned(path, ref, role=role)
