"""Shared pieces of the command-line interface: options, exit statuses, errors, warnings.

Light on purpose (typer and rich only): every command module imports it, and
``corridors --help`` loads every command module.
"""

from __future__ import annotations

import functools
import os
import warnings
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, Literal, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from .._io import check_output
from .._resources import data_dir
from ..errors import CorridorsError, OutputError, ValidationError

__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_PROBLEMS",
    "OUTPUT_FORMATS",
    "CasesOpt",
    "ForceOpt",
    "FormatOpt",
    "HighlightCrossingOpt",
    "OutputOpt",
    "check_format",
    "command_group",
    "err_console",
    "fail",
    "file_input",
    "handle_errors",
    "prepare_output",
    "reported_warnings",
    "top_level_commands",
    "warn",
]

# Exit statuses, the same for every command.
EXIT_OK = 0
# The command ran and found problems in its input (only ``validate`` reports any).
EXIT_PROBLEMS = 1
# Bad input or usage, any CorridorsError, or a bug (reported as one); click uses 2 for
# usage errors, so every refusal shares its status.
EXIT_BAD_INPUT = 2
# Ctrl-C: 128 + SIGINT, what shells report for an interrupted program.
EXIT_INTERRUPTED = 130

OutputFormat = Literal["table", "geojson", "csv"]
OUTPUT_FORMATS: tuple[OutputFormat, ...] = ("table", "geojson", "csv")

# Options shared by every command that prints or reads catalogues.
FormatOpt = Annotated[
    str, typer.Option("--format", "-f", help="Output format: table, geojson or csv.")
]
OutputOpt = Annotated[
    Path | None,
    typer.Option(
        "--output",
        "-o",
        help="Write to this file instead of stdout (never one of the inputs; an existing "
        "file is kept unless --force is given).",
    ),
]
ForceOpt = Annotated[
    bool, typer.Option("--force", help="Replace the output file if it already exists.")
]
CasesOpt = Annotated[
    Path | None,
    typer.Option(
        "--cases",
        help="A catalogue file of your own (GeoJSON, GeoPackage, CSV); default: the bundled one.",
    ),
]
HighlightCrossingOpt = Annotated[
    str | None,
    typer.Option(
        "--highlight-crossing",
        metavar="BOUNDARY",
        help="Highlight the cases that cross a boundary: a border 'TKM-UZB', an "
        "ISO3 code or a vector file.",
    ),
]
F = TypeVar("F", bound=Callable[..., Any])

# typer's own exits and usage errors pass through handle_errors untouched.
_CLI_CONTROL = (typer.Exit, typer.Abort, typer.exceptions.TyperException)

err_console = Console(stderr=True, highlight=False)


def command_group(name: str, summary: str) -> typer.Typer:
    """The app of a command module whose commands form a group: ``corridors NAME ...``.

    Parameters
    ----------
    name : str
        The group's name on the command line.
    summary : str
        Its help text; ``corridors NAME`` alone prints it with the commands.
    """
    return typer.Typer(name=name, help=summary, no_args_is_help=True, add_completion=False)


def top_level_commands() -> typer.Typer:
    """The app of a command module whose commands join the root: ``corridors COMMAND``."""
    return typer.Typer(add_completion=False)


def fail(message: str, *, code: int = EXIT_BAD_INPUT) -> NoReturn:
    """Print ``message`` in red on stderr and exit with ``code``."""
    err_console.print(f"[bold red]error:[/] {message}", markup=True, soft_wrap=True)
    raise typer.Exit(code)


def warn(message: str) -> None:
    """Print ``message`` as a CLI warning on stderr (``warning: ...``)."""
    err_console.print(f"[bold yellow]warning:[/] {escape(message)}", soft_wrap=True)


@contextmanager
def reported_warnings() -> Iterator[None]:
    """Show every warning raised inside the block once, as ``warning: <message>``.

    Python's default display prints the source line that raised the warning and hides
    a repeat from the same place; a CLI user needs neither, but every distinct message.
    """
    seen: set[str] = set()

    def show(
        message: Warning | str,
        category: type[Warning],
        filename: str,
        lineno: int,
        file: Any = None,
        line: str | None = None,
    ) -> None:
        text = str(message).strip()
        if text and text not in seen:
            seen.add(text)
            warn(text)

    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.showwarning = show
        yield


def handle_errors(func: F) -> F:
    """Run a command with its warnings reported and its errors turned into messages.

    A CorridorsError (or any other failure) becomes a red one-paragraph message and exit
    status 2 (130 for Ctrl-C); warnings are printed once each as ``warning: <message>``.
    No traceback reaches the user.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with reported_warnings():
            try:
                return func(*args, **kwargs)
            except _CLI_CONTROL:
                raise
            except ValidationError as exc:
                err_console.print(
                    f"[bold red]error:[/] {escape(exc.args[0].splitlines()[0])}", soft_wrap=True
                )
                for problem in exc.problems:
                    err_console.print(
                        f"  - {problem.location}: {problem.message}", markup=False, soft_wrap=True
                    )
                raise typer.Exit(EXIT_BAD_INPUT) from None
            except CorridorsError as exc:
                fail(escape(str(exc)))
            except OSError as exc:
                # A file the toolkit did not check itself (permissions, a full disk, ...).
                where = f" {exc.filename}" if exc.filename else ""
                fail(escape(f"cannot use{where}: {exc.strerror or exc}"))
            except KeyboardInterrupt:
                fail("interrupted", code=EXIT_INTERRUPTED)
            except Exception as exc:  # the CLI never shows a traceback, even for a bug
                fail(
                    escape(
                        f"unexpected {type(exc).__name__}: {exc}. This is a bug in corridors; "
                        "please report it with the command you ran"
                    )
                )

    return wrapper  # type: ignore[return-value]


# --------------------------------------------------------------------------- inputs


def file_input(value: str | None) -> Path | None:
    """``value`` as a path when it names a file rather than a code such as ``TKM-UZB``."""
    if not value:
        return None
    path = Path(value)
    if path.exists() or path.suffix or os.sep in value or "/" in value:
        return path
    return None


def prepare_output(
    output: Path | None,
    *,
    inputs: Iterable[Path | None] = (),
    force: bool = False,
    fmt: str | None = None,
    what: str = "output",
) -> Path | None:
    """Refuse a bad ``-o`` or ``-f`` before any work (see :func:`corridors._io.check_output`).

    ``inputs`` are the files the command was given; the bundled data files are always
    inputs too. Returns ``output`` unchanged; ``None`` (stdout) needs no check.
    """
    if fmt is not None:
        check_format(fmt)
    if output is None:
        return None
    # Commands read the bundled catalogue and boundaries when no file is given.
    every_input = (*inputs, *_bundled_files())
    return check_output(output, inputs=every_input, overwrite=force, what=what)


def _bundled_files() -> list[Path]:
    try:
        folder = Path(str(data_dir()))
    except CorridorsError:
        return []  # a broken installation fails later, with its own message
    return [p for p in folder.iterdir() if p.is_file()] if folder.is_dir() else []


def check_format(fmt: str) -> None:
    """Refuse an output format other than table, geojson or csv."""
    if fmt not in OUTPUT_FORMATS:
        fail(escape(f"unknown format {fmt!r}; use {', '.join(OUTPUT_FORMATS)}"))


def check_output_dir(output_dir: Path | None) -> None:
    """Refuse an ``--output-dir`` that names a file (a missing folder is created later)."""
    if output_dir is not None and output_dir.exists() and not output_dir.is_dir():
        raise OutputError(
            f"--output-dir {output_dir} is a file, not a folder; give a folder (it is "
            "created if missing)"
        )
