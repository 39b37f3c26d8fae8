"""How commands print their results: console tables or blocks, GeoJSON and CSV.

Every function here works on (Geo)DataFrames, so this module imports pandas and
geopandas; commands import it when they run, never at start.
"""

from __future__ import annotations

import io
import json
import numbers
import os
import shutil
import sys
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
from rich.console import Console
from rich.table import Table
from rich.text import Text

from .._io import atomic_write_text
from ._common import check_format, err_console

__all__ = [
    "console_width",
    "emit",
    "frame_to_csv",
    "frame_to_geojson",
    "render_records",
]

# Width assumed for piped output and unknown terminals, as most tools do.
DEFAULT_WIDTH = 80
# Tables written to a file (-f table -o FILE) are read in editors, not terminals.
FILE_TABLE_WIDTH = 200
# Text longer than this with spaces in it may wrap inside its column.
WRAP_ABOVE_CHARS = 24
# The narrowest a wrapping column is squeezed to before the table gives way to blocks.
WRAP_MIN_WIDTH = 30
# Lists longer than this are abbreviated in table cells (blocks show them whole).
TABLE_LIST_ITEMS = 3
# Per column a table spends one border and two padding characters, plus one border.
TABLE_CHARS_PER_COLUMN = 3
# Labels in the one-record-per-block layout are indented by this much.
BLOCK_INDENT = 2


# --------------------------------------------------------------------------- cells


def _cell(value: Any, *, max_items: int = 0) -> str:
    if isinstance(value, list | tuple):
        items = [_cell(v) for v in value]
        if max_items and len(items) > max_items:
            return ", ".join(items[: max_items - 1]) + f", … (+{len(items) - max_items + 1})"
        return ", ".join(items)
    if isinstance(value, dict) and set(value) == {"common", "scientific"}:
        return f"{value['common']} ({value['scientific']})"
    # Missing numbers print as empty cells, not "nan".
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, float):
        return f"{value:,.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    if value is pd.NA or value is pd.NaT:
        return ""
    return str(value)


def _csv_list(value: Any) -> Any:
    if not isinstance(value, list | tuple):
        return value
    # An empty list is written "[]" so it reads back as empty, not as a missing value.
    return "; ".join(_cell(x) for x in value) if value else "[]"


def frame_to_csv(frame: gpd.GeoDataFrame | pd.DataFrame) -> str:
    """CSV text: list cells joined with '; ', geometry as WKT in a ``wkt`` column."""
    out = pd.DataFrame(frame).copy()
    if isinstance(frame, gpd.GeoDataFrame):
        geom_col = frame.geometry.name
        out["wkt"] = frame.geometry.to_wkt()
        out = out.drop(columns=[geom_col])
    if out.index.name:
        out = out.reset_index()
    for col in out.columns:
        if out[col].map(lambda v: isinstance(v, list | tuple)).any():
            out[col] = out[col].map(_csv_list)
    buffer = io.StringIO()
    out.to_csv(buffer, index=False, lineterminator="\n")
    return buffer.getvalue()


def frame_to_geojson(frame: gpd.GeoDataFrame, *, members: Mapping[str, str] | None = None) -> str:
    """GeoJSON text in EPSG:4326 (RFC 7946) with the index kept as a property.

    ``members`` are added to the FeatureCollection (e.g. ``name`` and ``description``,
    foreign members that RFC 7946 allows) to say what the file holds.
    """
    out = frame.to_crs("EPSG:4326") if frame.crs is not None else frame
    if out.index.name:
        out = out.reset_index()
    doc = json.loads(out.to_json(drop_id=True, na="null", show_bbox=False))
    if members:
        doc = {"type": doc.pop("type"), **members, **doc}
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


# --------------------------------------------------------------------------- console layout


def console_width() -> int:
    """Columns available on stdout: $COLUMNS, else the terminal's, else 80 (piped)."""
    columns = os.environ.get("COLUMNS", "").strip()
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    try:
        tty = sys.stdout.isatty()
    except (AttributeError, ValueError):
        tty = False
    if tty:
        return shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns
    return DEFAULT_WIDTH


@dataclass
class _Column:
    header: str
    cells: list[str]
    wraps: bool

    @property
    def natural(self) -> int:
        lines = [self.header, *(line for c in self.cells for line in c.splitlines())]
        return max(len(s) for s in lines)

    @property
    def minimum(self) -> int:
        if not self.wraps:
            return self.natural
        longest_word = max((len(w) for c in self.cells for w in c.split()), default=0)
        return min(self.natural, max(WRAP_MIN_WIDTH, len(self.header), longest_word))


def _table_widths(columns: Sequence[_Column], width: int) -> list[int] | None:
    """Content widths that fit ``width`` with no id or short value cut, or None."""
    room = width - TABLE_CHARS_PER_COLUMN * len(columns) - 1
    widths = [c.natural for c in columns]
    excess = sum(widths) - room
    if excess <= 0:
        return widths
    slack = {i: c.natural - c.minimum for i, c in enumerate(columns) if c.wraps}
    if sum(slack.values()) < excess:
        return None
    # Squeeze the wrapping columns in proportion to how much each can give.
    total = sum(slack.values())
    for i, give in slack.items():
        cut = -(-excess * give // total)  # ceiling, so the sum always fits
        widths[i] -= min(cut, give)
    while sum(widths) > room:  # rounding left a character or two
        i = max(slack, key=lambda k: widths[k] - columns[k].minimum)
        widths[i] -= 1
    return widths


def _columns(frame: pd.DataFrame, shown: Sequence[str], *, max_items: int) -> list[_Column]:
    index = _Column(str(frame.index.name or "#"), [str(i) for i in frame.index], wraps=False)
    out = [index]
    for col in shown:
        cells = [_cell(v, max_items=max_items) for v in frame[col]]
        # Free text wraps; codes, ids, numbers and vocabularies stay whole.
        wraps = any(len(c) > WRAP_ABOVE_CHARS and " " in c.strip() for c in cells)
        out.append(_Column(col, cells, wraps))
    return out


def _table(columns: Sequence[_Column], widths: Sequence[int], title: str) -> Table:
    table = Table(title=title or None, show_lines=False, expand=False)
    for i, (col, w) in enumerate(zip(columns, widths, strict=True)):
        table.add_column(
            col.header,
            width=w,
            no_wrap=not col.wraps,
            overflow="fold",
            style="bold cyan" if i == 0 else None,
        )
    for row in zip(*(c.cells for c in columns), strict=True):
        table.add_row(*row)
    return table


def _blocks(frame: pd.DataFrame, shown: Sequence[str], title: str, width: int) -> list[Text]:
    """One record per block: the record's id on its own line, then ``label  value``."""
    lines: list[Text] = []
    if title:
        lines += [Text(t, style="italic") for t in textwrap.wrap(title, width)] + [Text("")]
    label_w = max((len(c) for c in shown), default=0) + BLOCK_INDENT
    value_w = width - BLOCK_INDENT - label_w
    index_name = str(frame.index.name or "")
    records = frame[list(shown)].itertuples(index=False)
    for n, (idx, row) in enumerate(zip(frame.index, records, strict=True)):
        if n:
            lines.append(Text(""))
        # A number alone says little ("3"); an id says everything.
        numeric = isinstance(idx, numbers.Real) and not isinstance(idx, bool)
        head = f"{index_name} {idx}" if numeric and index_name else str(idx)
        lines.append(Text(head, style="bold cyan"))  # whole, however narrow
        for col, value in zip(shown, row, strict=True):
            text = _cell(value)
            if not text:
                continue  # a field that does not apply to this record
            lines += _block_field(col, text, label_w, value_w, width)
    return lines


def _block_field(label: str, text: str, label_w: int, value_w: int, width: int) -> list[Text]:
    pad = " " * BLOCK_INDENT
    one_token = " " not in text.strip()
    if value_w >= WRAP_MIN_WIDTH and (len(text) <= value_w or not one_token):
        wrapped = textwrap.wrap(text, value_w, break_on_hyphens=False) or [""]
        first = Text(pad) + Text(label.ljust(label_w), style="bold") + Text(wrapped[0])
        rest = [Text(pad + " " * label_w + w) for w in wrapped[1:]]
        return [first, *rest]
    # Too narrow for label and value side by side: the value goes under its label, and
    # an id-like value stays whole even if it is wider than the screen.
    inner = width - 2 * BLOCK_INDENT
    under = [text] if one_token else textwrap.wrap(text, max(inner, 1), break_on_hyphens=False)
    return [Text(pad) + Text(label, style="bold")] + [Text(pad * 2 + w) for w in under]


def render_records(
    frame: pd.DataFrame, columns: Sequence[str], *, title: str, width: int
) -> list[Any]:
    """Renderables for ``frame``: a table when it fits ``width``, else one block per record.

    Ids are never cut or wrapped, no line is wider than ``width`` (unless a single id
    is) and no column is silently cut off: when the columns do not fit side by side,
    every record is printed as a block of ``label  value`` lines instead.
    """
    shown = [c for c in columns if c in frame.columns]
    cols = _columns(frame, shown, max_items=TABLE_LIST_ITEMS)
    widths = _table_widths(cols, width)
    if widths is not None or frame.empty:
        return [_table(cols, widths or [c.natural for c in cols], title)]
    return _blocks(frame, shown, title, width)


def _print_records(
    console: Console, frame: pd.DataFrame, columns: Sequence[str], title: str, width: int
) -> None:
    for renderable in render_records(frame, columns, title=title, width=width):
        if isinstance(renderable, Text):
            console.print(renderable, soft_wrap=True)
        else:
            console.print(renderable)


def emit(
    frame: gpd.GeoDataFrame,
    *,
    fmt: str,
    output: Path | None,
    columns: Sequence[str],
    title: str = "",
    geojson_members: Mapping[str, str] | None = None,
    empty_note: str = "no matching cases",
) -> None:
    """Write ``frame`` as a console table, GeoJSON or CSV to stdout or a file (atomically).

    Check ``output`` with :func:`prepare_output` before the work that builds ``frame``.
    """
    check_format(fmt)
    if fmt == "table":
        if output is not None:
            console = Console(file=io.StringIO(), width=FILE_TABLE_WIDTH, record=True)
            _print_records(console, frame, columns, title, FILE_TABLE_WIDTH)
            atomic_write_text(output, console.export_text())
        else:
            width = console_width()
            _print_records(Console(width=width, soft_wrap=False), frame, columns, title, width)
            if frame.empty:
                err_console.print(empty_note)
        return
    if fmt == "geojson":
        text = frame_to_geojson(frame, members=geojson_members)
    else:
        text = frame_to_csv(frame)
    if output is not None:
        atomic_write_text(output, text)
    else:
        sys.stdout.write(text)
