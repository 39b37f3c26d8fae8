"""Checking ESRI ASCII grids against their own header before GDAL reads them.

GDAL reads the values of an ASCII grid as one stream of numbers and trusts the header:
a 4 x 4 header over 5 x 5 values silently gives the first 16 values, a 3 x 7 header
gives 21 values reshuffled into other rows, non-numeric cells (``abc``, ``nan``) read as
0, and a short file fails with "Read failed". :func:`check_ascii_grid` reads the text
first and refuses such a grid with a :class:`~corridors.errors.RasterError` that names
the file, what the header says, what the data holds and the fix.

The check is a few vectorised passes over the text (a separator mask, token starts,
newline positions) in chunks, a fraction of GDAL's own parsing time; the slow,
per-token work only runs on lines that hold something other than numbers.
"""

from __future__ import annotations

import gzip
import io
import math
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
import numpy.typing as npt

from ..errors import DataFileError, RasterError

__all__ = ["AsciiHeader", "check_ascii_file", "check_ascii_grid", "is_gzip"]

#: Header keywords GDAL's AAIGrid driver understands (compared in lower case).
HEADER_KEYS = frozenset(
    {
        "ncols",
        "nrows",
        "xllcorner",
        "xllcenter",
        "yllcorner",
        "yllcenter",
        "cellsize",
        "dx",
        "dy",
        "nodata_value",
        "nodata",
    }
)
#: Bytes read to decide whether a file is an ASCII grid, and to parse its header.
_SNIFF_BYTES = 65536
#: The text is read and scanned in pieces of this size (cut at line ends): the
#: temporary masks stay small and in cache however large the grid is (4 MiB pieces
#: are about twice as fast as reading the whole file at once).
_CHUNK_BYTES = 4 * 2**20
#: Bytes that may appear in a number as GDAL reads it (a comma is a decimal comma).
_NUMBER_BYTES = b"0123456789.+-eE,"
#: Whitespace: every byte up to and including the space separates values.
_SPACE = 32
_NEWLINE = 10
#: Bad cells looked at one by one; beyond this many only their count is reported.
_MAX_INSPECTED = 100_000
#: Rows quoted in a message about rows of the wrong length.
_MAX_ROWS_QUOTED = 3

_IS_BAD_BYTE = np.ones(256, dtype=bool)
_IS_BAD_BYTE[: _SPACE + 1] = False
_IS_BAD_BYTE[list(_NUMBER_BYTES)] = False
_DELETE_GOOD = bytes(range(_SPACE + 1)) + _NUMBER_BYTES
_TOKEN = re.compile(rb"[^\x00-\x20]+")
_WHOLE = re.compile(r"\+?([0-9]+)(?:\.0*)?")
_NAN_WORDS = frozenset({b"nan", b"-nan", b"+nan"})
_INF_WORDS = frozenset(
    {b"inf", b"-inf", b"+inf", b"infinity", b"-infinity", b"+infinity", b"1.#inf", b"-1.#inf"}
)


@dataclass(frozen=True)
class AsciiHeader:
    """What the header of an ESRI ASCII grid says.

    Attributes
    ----------
    ncols, nrows : int
        Grid shape.
    nodata : float or None
        The ``NODATA_value``, or None when the header has none.
    """

    ncols: int
    nrows: int
    nodata: float | None


def is_gzip(path: Path) -> bool:
    """Whether ``path`` is named as a gzip-compressed file (``.gz``)."""
    return path.suffix.lower() == ".gz"


def _first_word(head: bytes) -> bytes:
    match = _TOKEN.search(head)
    return match.group(0).lower() if match else b""


def check_ascii_file(path: Path, *, source: str) -> tuple[AsciiHeader, bytes | None] | None:
    """Check ``path`` against its header if it is an ESRI ASCII grid; None if it is not one.

    A file is taken for an ASCII grid when its first word is a header keyword
    (``ncols``, ``nrows`` ...). Files named ``.asc`` or ``.asc.gz`` that do not start
    with one are refused; anything else (a GeoTIFF, say) gives None.

    Parameters
    ----------
    path : Path
        The file; ``.gz`` files are decompressed.
    source : str
        What the file is, with its path, for messages (``"habitat file a.asc"``).

    Returns
    -------
    (AsciiHeader, bytes or None) or None
        The header, and for a gzip'd grid its decompressed text, so that it need not be
        unpacked a second time.

    Raises
    ------
    RasterError
        A ``.asc`` file without a header, or any problem :func:`check_ascii_grid` finds.
    DataFileError
        A file that cannot be read or decompressed.
    """
    gz = is_gzip(path)
    named_asc = (path.with_suffix("") if gz else path).suffix.lower() == ".asc"
    try:
        if gz:
            with gzip.open(path, "rb") as packed:
                head = packed.read(_SNIFF_BYTES)
        else:
            with open(path, "rb") as plain:
                head = plain.read(_SNIFF_BYTES)
    except (OSError, EOFError, zlib.error) as exc:
        raise DataFileError(f"cannot read {source}: {_read_failure(exc, gz)}") from None
    if _first_word(head).decode("ascii", "replace") not in HEADER_KEYS:
        # A binary file named .asc (a GeoTIFF, say) is left to GDAL, as before.
        if not named_asc or b"\x00" in head:
            return None
        first = head.split(b"\n", 1)[0].strip()[:60].decode("utf-8", "replace")
        raise RasterError(
            f"{source} has no ESRI ASCII grid header: it starts with {first!r}; an ASCII "
            "grid starts with the lines ncols, nrows, xllcorner, yllcorner, cellsize and "
            "NODATA_value: add them (or export the grid again)"
        )
    try:
        if gz:
            text = gzip.decompress(path.read_bytes())
            return check_ascii_grid(text, source=source), text
        with open(path, "rb") as plain:
            return _check(plain, source), None
    except (OSError, EOFError, zlib.error) as exc:
        raise DataFileError(f"cannot read {source}: {_read_failure(exc, gz)}") from None


def _read_failure(exc: BaseException, gz: bool) -> str:
    if gz:
        return f"it is not a complete gzip file ({exc}); compress the grid again"
    return f"{exc}; check the file"


def check_ascii_grid(text: bytes, *, source: str) -> AsciiHeader:
    """Refuse an ESRI ASCII grid whose header and data disagree, or that holds non-numbers.

    Parameters
    ----------
    text : bytes
        The whole (decompressed) file.
    source : str
        What the file is, with its path, for messages (``"habitat file a.asc"``).

    Returns
    -------
    AsciiHeader

    Raises
    ------
    RasterError
        Listing every problem found: header values that are missing or invalid
        (``ncols``, ``nrows`` not positive whole numbers, a cell size that is not
        positive), a data block whose rows or values do not match ``nrows`` x ``ncols``
        (too few: truncated; too many or rows of other lengths: wrong header), and cells
        holding text, NaN or infinity.
    """
    return _check(io.BytesIO(text), source)


def _check(handle: BinaryIO, source: str) -> AsciiHeader:
    head = handle.read(_SNIFF_BYTES)
    fields, data_start, header_lines, problems = _parse_header(head)
    ncols = _whole(fields, "ncols", problems)
    nrows = _whole(fields, "nrows", problems)
    nodata = _number(fields, ("nodata_value", "nodata"), problems, required=False)
    _check_geometry(fields, problems)
    handle.seek(data_start - 1 if data_start > 0 else 0)
    scan = _scan(
        handle,
        has_data=data_start < len(head),
        nodata_is_nan=nodata is not None and math.isnan(nodata),
    )
    rows = scan.counts[scan.counts > 0]
    row_lines = np.flatnonzero(scan.counts > 0) + header_lines + 1
    if ncols is not None and nrows is not None:
        layout = _layout_problem(rows, row_lines, ncols, nrows)
        if layout:
            problems.append(layout)
    if scan.bad_total:
        problems.append(_bad_cells_problem(scan, scan.counts, header_lines, nodata))
    if problems:
        head_line = f"{source} is not a valid ESRI ASCII grid"
        if len(problems) == 1:
            raise RasterError(f"{head_line}: {problems[0]}")
        raise RasterError(head_line + ":\n" + "\n".join(f"  - {p}" for p in problems))
    assert ncols is not None and nrows is not None
    return AsciiHeader(ncols, nrows, nodata)


def _parse_header(head: bytes) -> tuple[dict[str, tuple[str, int]], int, int, list[str]]:
    """Header fields (value and line), where the data starts, header line count, problems.

    The data starts just after a newline, or at the end of ``head`` when there is none.
    """
    fields: dict[str, tuple[str, int]] = {}
    problems: list[str] = []
    pos = 0
    lineno = 0
    while pos < len(head):
        end = head.find(b"\n", pos)
        stop = len(head) if end < 0 else end
        parts = head[pos:stop].split()
        if parts:
            key = parts[0].lower().decode("ascii", "replace")
            if key not in HEADER_KEYS:
                break
            if len(parts) != 2:
                shown = b" ".join(parts).decode("utf-8", "replace")[:60]
                problems.append(
                    f"header line {lineno + 1} {shown!r} must be a keyword and one value"
                )
            else:
                fields[key] = (parts[1].decode("utf-8", "replace"), lineno + 1)
        lineno += 1
        pos = stop + 1
    return fields, min(pos, len(head)), lineno, problems


def _whole(fields: dict[str, tuple[str, int]], key: str, problems: list[str]) -> int | None:
    if key not in fields:
        problems.append(f"the header has no {key} line; add `{key} N` with the grid's size")
        return None
    raw, line = fields[key]
    # Digits only (GDAL reads "1e3" as 1 and "5.5" as 5); a ".0" tail is harmless.
    match = _WHOLE.fullmatch(raw)
    if match is None or int(match.group(1)) == 0:
        problems.append(
            f"header line {line}: {key} {raw} is not a positive whole number; set it to the "
            f"number of {'columns' if key == 'ncols' else 'rows'} of the grid"
        )
        return None
    return int(match.group(1))


def _number(
    fields: dict[str, tuple[str, int]],
    keys: tuple[str, ...],
    problems: list[str],
    *,
    required: bool,
) -> float | None:
    present = [k for k in keys if k in fields]
    if not present:
        if required:
            problems.append(f"the header has no {' or '.join(keys)} line; add it")
        return None
    raw, line = fields[present[0]]
    try:
        return float(raw.replace(",", "."))
    except ValueError:
        problems.append(f"header line {line}: {present[0]} {raw!r} is not a number; fix it")
        return None


def _check_geometry(fields: dict[str, tuple[str, int]], problems: list[str]) -> None:
    """Corner and cell size: present, numbers, and cell sizes positive."""
    _number(fields, ("xllcorner", "xllcenter"), problems, required=True)
    _number(fields, ("yllcorner", "yllcenter"), problems, required=True)
    keys = ("cellsize",) if "cellsize" in fields or "dx" not in fields else ("dx", "dy")
    for key in keys:
        value = _number(fields, (key,), problems, required=True)
        if value is not None and not (math.isfinite(value) and value > 0):
            raw, line = fields[key]
            problems.append(
                f"header line {line}: {key} {raw} is not a positive size; the cell size is "
                "the width of one cell in map units: fix it (rows run north to south in "
                "an ASCII grid, so it is never negative)"
            )


@dataclass
class _Scan:
    """What the data block holds: values per line and the cells that are not numbers."""

    counts: npt.NDArray[np.int64]
    bad_total: int
    # (kind, line index from the start of the data, value index in the line, text)
    examples: list[tuple[str, int, int, str]]
    kinds: dict[str, int]


def _pieces(handle: BinaryIO) -> Iterator[tuple[bytes, int]]:
    """Pieces of the data block: ``(data, end)`` with ``data[:end]`` whole lines.

    Every piece starts with the newline that ends the line before it, so that a value
    always starts just after a separator; ``data[end:]`` is carried into the next piece.
    """
    pending = b""
    while True:
        block = handle.read(_CHUNK_BYTES)
        if not block:
            if pending:
                yield pending, len(pending)
            return
        data = pending + block
        cut = data.rfind(b"\n")
        if cut <= 0:
            pending = data
            continue
        yield data, cut
        pending = data[cut:]


def _scan(handle: BinaryIO, *, has_data: bool, nodata_is_nan: bool) -> _Scan:
    counts: list[npt.NDArray[np.int64]] = []
    scan = _Scan(np.zeros(0, dtype=np.int64), 0, [], {"text": 0, "nan": 0, "inf": 0})
    line_offset = 0
    for data, end in _pieces(handle) if has_data else ():
        arr = np.frombuffer(data, dtype=np.uint8, count=end)
        sep = arr <= _SPACE
        starts = np.flatnonzero(np.less(sep[1:], sep[:-1]))  # token k starts at starts[k]+1
        newlines = np.flatnonzero(arr == _NEWLINE)
        bounds = np.append(newlines, arr.size)
        firsts = np.searchsorted(starts, bounds)
        counts.append(np.diff(firsts).astype(np.int64))
        # Looking at the carried tail too is harmless: it is looked at again next time.
        if data.translate(None, _DELETE_GOOD):
            _inspect_bad(data, arr, starts, newlines, firsts, line_offset, scan, nodata_is_nan)
        line_offset += newlines.size
    scan.counts = np.concatenate(counts) if counts else np.zeros(0, dtype=np.int64)
    return scan


def _inspect_bad(
    chunk: bytes,
    arr: npt.NDArray[np.uint8],
    starts: npt.NDArray[np.intp],
    newlines: npt.NDArray[np.intp],
    firsts: npt.NDArray[np.intp],
    line_offset: int,
    scan: _Scan,
    nodata_is_nan: bool,
) -> None:
    """Classify the tokens of ``chunk`` that hold bytes no number has."""
    positions = np.flatnonzero(_IS_BAD_BYTE[arr])
    tokens = np.unique(np.searchsorted(starts, positions) - 1)
    for k in tokens.tolist():
        begin = int(starts[k]) + 1
        if scan.bad_total >= _MAX_INSPECTED:
            scan.bad_total += 1
            continue
        match = _TOKEN.match(chunk, begin)
        word = match.group(0) if match else b""
        lower = word.lower()
        kind = "nan" if lower in _NAN_WORDS else "inf" if lower in _INF_WORDS else "text"
        if kind == "nan" and nodata_is_nan:
            continue
        scan.bad_total += 1
        scan.kinds[kind] += 1
        if not any(e[0] == kind for e in scan.examples):
            line = int(np.searchsorted(newlines, begin, side="right")) - 1
            column = k - int(firsts[line])
            scan.examples.append(
                (kind, line_offset + line, column, word[:40].decode("utf-8", "replace"))
            )


def _layout_problem(
    rows: npt.NDArray[np.int64], row_lines: npt.NDArray[np.intp], ncols: int, nrows: int
) -> str | None:
    expected = nrows * ncols
    found = int(rows.size)
    total = int(rows.sum())
    if found == nrows and bool(np.all(rows == ncols)):
        return None
    header = f"the header says ncols {ncols} and nrows {nrows} ({expected} values)"
    full = rows == ncols
    short_end = found == 0 or (bool(np.all(full[:-1])) and int(rows[-1]) <= ncols)
    if total < expected and short_end and found <= nrows:
        whole = int(full.sum())
        partial = f" and a row of {int(rows[-1])}" if found and not full[-1] else ""
        return (
            f"the file ends after {total} values ({whole} full row{'s' if whole != 1 else ''}"
            f"{partial}), but the header promises nrows {nrows} x ncols {ncols} = {expected} "
            "values: the file is truncated (copy or export it again), or the header is "
            "wrong (set nrows and ncols to the grid's size)"
        )
    if found and bool(np.all(rows == rows[0])):
        width = int(rows[0])
        return (
            f"{header}, but the data holds {found} rows of {width} values ({total} values): "
            f"if the data is right, set ncols {width} and nrows {found} in the header; "
            "otherwise export the grid again"
        )
    wrong = np.flatnonzero(rows != ncols)
    quoted = ", ".join(
        f"row {int(i)} (line {int(row_lines[i])}) has {int(rows[i])}"
        for i in wrong[:_MAX_ROWS_QUOTED]
    )
    more = f" and {wrong.size - _MAX_ROWS_QUOTED} more" if wrong.size > _MAX_ROWS_QUOTED else ""
    return (
        f"{header}, but the data holds {found} rows of different lengths ({total} values): "
        f"{quoted}{more}, counting rows from 0; every row must hold ncols values: fix "
        "those rows, or export the grid again"
    )


def _bad_cells_problem(
    scan: _Scan, counts: npt.NDArray[np.int64], header_lines: int, nodata: float | None
) -> str:
    # Grid rows skip blank lines; lines are counted from the top of the file.
    row_of_line = np.cumsum(counts > 0) - 1
    parts = []
    labels = {
        "text": "non-numeric text",
        "nan": "NaN",
        "inf": "infinity",
    }
    for kind, line, column, word in scan.examples:
        n = scan.kinds[kind]
        where = (
            f"{word!r} at row {int(row_of_line[line])}, column {column}, line "
            f"{header_lines + line + 1} of the file"
        )
        if n == 1:
            parts.append(f"1 cell holds {labels[kind]}: {where}")
        else:
            parts.append(f"{n} cells hold {labels[kind]}, the first {where}")
    rest = scan.bad_total - sum(scan.kinds.values())
    if rest > 0:
        parts.append(f"{rest} more cells are not numbers either")
    if nodata is None:
        fix = "add a NODATA_value line to the header and write that value in cells without data"
    else:
        fix = f"write the NODATA_value {nodata:g} in cells without data"
    return (
        "; ".join(parts) + " (rows and columns count from 0); every cell must be a number: "
        f"correct those cells, or {fix}"
    )
