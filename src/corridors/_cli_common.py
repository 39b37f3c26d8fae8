"""Shared pieces of the command-line interface: output formats and error reporting."""

from __future__ import annotations

import functools
import io
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import geopandas as gpd
import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from ._io import atomic_write_text
from .errors import CorridorsError, ValidationError

OutputFormat = Literal["table", "geojson", "csv"]

# Options shared by every command that prints or reads catalogues.
FormatOpt = Annotated[
    str, typer.Option("--format", "-f", help="Output format: table, geojson or csv.")
]
OutputOpt = Annotated[
    Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")
]
CasesOpt = Annotated[
    Path | None,
    typer.Option(
        "--cases",
        help="A catalogue file of your own (GeoJSON, GeoPackage, CSV); default: the bundled one.",
    ),
]
F = TypeVar("F", bound=Callable[..., Any])

err_console = Console(stderr=True, highlight=False)
EXIT_BAD_INPUT = 2


def fail(message: str, *, code: int = EXIT_BAD_INPUT) -> None:
    """Print ``message`` in red on stderr and exit with ``code``."""
    err_console.print(f"[bold red]error:[/] {message}", markup=True, soft_wrap=True)
    raise typer.Exit(code)


def handle_errors(func: F) -> F:
    """Turn CorridorsError into a red one-paragraph message and exit status 2."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ValidationError as exc:
            err_console.print(f"[bold red]error:[/] {exc.args[0].splitlines()[0]}")
            for problem in exc.problems:
                err_console.print(f"  - {problem.location}: {problem.message}", markup=False)
            raise typer.Exit(EXIT_BAD_INPUT) from None
        except CorridorsError as exc:
            fail(str(exc).replace("[", "\\["))

    return wrapper  # type: ignore[return-value]


def _cell(value: Any, *, max_items: int = 0) -> str:
    if isinstance(value, list | tuple):
        items = [_cell(v) for v in value]
        if max_items and len(items) > max_items:
            return ", ".join(items[: max_items - 1]) + f", … (+{len(items) - max_items + 1})"
        return ", ".join(items)
    if isinstance(value, dict) and set(value) == {"common", "scientific"}:
        return f"{value['common']} ({value['scientific']})"
    if isinstance(value, float):
        return f"{value:,.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return str(value)


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
            out[col] = out[col].map(
                lambda v: "; ".join(_cell(x) for x in v) if isinstance(v, list | tuple) else v
            )
    buffer = io.StringIO()
    out.to_csv(buffer, index=False, lineterminator="\n")
    return buffer.getvalue()


def frame_to_geojson(frame: gpd.GeoDataFrame) -> str:
    """GeoJSON text in EPSG:4326 (RFC 7946) with the index kept as a property."""
    out = frame.to_crs("EPSG:4326") if frame.crs is not None else frame
    if out.index.name:
        out = out.reset_index()
    text = out.to_json(drop_id=True, na="null", show_bbox=False)
    return json.dumps(json.loads(text), indent=2, ensure_ascii=False) + "\n"


def emit(
    frame: gpd.GeoDataFrame,
    *,
    fmt: str,
    output: Path | None,
    columns: Sequence[str],
    title: str = "",
) -> None:
    """Write ``frame`` as a rich table, GeoJSON or CSV to stdout or a file (atomically)."""
    if fmt not in ("table", "geojson", "csv"):
        fail(f"unknown format {fmt!r}; use table, geojson or csv")
    if fmt == "table":
        shown = [c for c in columns if c in frame.columns]
        table = Table(title=title or None, show_lines=False)
        table.add_column(frame.index.name or "#", style="bold cyan", overflow="fold")
        for col in shown:
            # Free text wraps; short values (codes, numbers, vocabularies) stay whole.
            wraps = frame[col].map(lambda v: isinstance(v, str) and len(v) > 24).any()
            table.add_column(col, no_wrap=not wraps, min_width=20 if wraps else None)
        for idx, row in frame[shown].iterrows():
            table.add_row(str(idx), *(_cell(row[c], max_items=3) for c in shown))
        if output is not None:
            console = Console(file=io.StringIO(), width=200, record=True)
            console.print(table)
            atomic_write_text(output, console.export_text())
        else:
            Console(soft_wrap=False).print(table)
            if frame.empty:
                err_console.print("no matching cases")
        return
    text = frame_to_geojson(frame) if fmt == "geojson" else frame_to_csv(frame)
    if output is not None:
        atomic_write_text(output, text)
    else:
        sys.stdout.write(text)
