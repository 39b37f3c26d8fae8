"""The ``corridors`` command-line interface.

``corridors cases`` lists the catalogue, ``corridors show ID`` prints one case,
``corridors validate PATH`` checks a catalogue file; further command groups (``map``,
``query``, ``circuit``, ``infra``) are registered from their own modules.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Annotated

import typer
from rich.console import Console
from rich.panel import Panel

from . import catalogue
from ._cli_common import CasesOpt, FormatOpt, OutputOpt, emit, err_console, handle_errors

app = typer.Typer(
    name="corridors",
    help="Ecological connectivity toolkit: case-study catalogue, queries, atlas maps, "
    "corridor modelling.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


CASE_TABLE_COLUMNS = ("name", "realm", "scale", "countries")


@app.command("cases")
@handle_errors
def cases_command(
    realm: Annotated[
        str | None, typer.Option(help="Only cases of this realm (terrestrial, ...).")
    ] = None,
    country: Annotated[
        str | None, typer.Option(help="Only cases that involve this ISO alpha-3 country.")
    ] = None,
    fmt: FormatOpt = "table",
    output: OutputOpt = None,
    cases_file: CasesOpt = None,
) -> None:
    """List the case studies of the catalogue."""
    from .schema import REALMS

    frame = catalogue.load_cases(cases_file)
    if realm is not None:
        if realm not in REALMS:
            from ._cli_common import fail

            fail(f"unknown realm {realm!r}; use one of {', '.join(REALMS)}")
        frame = frame[frame["realm"] == realm]
    if country is not None:
        code = country.upper()
        frame = frame[frame["countries"].map(lambda cs: code in cs)]
    emit(frame, fmt=fmt, output=output, columns=CASE_TABLE_COLUMNS, title="Case studies")


@app.command("show")
@handle_errors
def show_command(
    case_id: Annotated[str, typer.Argument(help="The case id, e.g. fremont-lake-bottleneck.")],
    fmt: FormatOpt = "table",
    cases_file: CasesOpt = None,
) -> None:
    """Show one case study: its summary, species, countries, features and source."""
    case = catalogue.get_case(case_id, path=cases_file)
    if fmt != "table":
        emit(case, fmt=fmt, output=None, columns=())
        return
    features = catalogue.load_features(cases_file)
    features = features[features["case_id"] == case_id]
    row = case.iloc[0]
    species = "; ".join(f"{s['common']} ({s['scientific']})" for s in row["species"]) or "-"
    lines = [
        f"[bold]{_esc(row['name'])}[/bold]  [dim]({case_id})[/dim]",
        "",
        _esc(row["summary"]),
        "",
        f"[bold]Species[/]: {_esc(species)}",
        f"[bold]Realm[/]: {row['realm']}   [bold]Taxon[/]: {row['taxon']}   "
        f"[bold]Scale[/]: {row['scale']}",
        f"[bold]Countries[/]: {', '.join(row['countries'])}   [bold]Region[/]: "
        f"{_esc(row['region'])}",
        f"[bold]Interventions[/]: {_esc('; '.join(row['interventions']))}",
        f"[bold]Threats[/]: {_esc('; '.join(row['threats']))}",
        f"[bold]Organisations[/]: {_esc('; '.join(row['organisations']))}",
        f"[bold]Source[/]: {_esc(row['source_title'])} {_esc(row['source_url'] or '')}",
        "",
        "[bold]Features[/]:",
    ]
    for _, feat in features.iterrows():
        lines.append(
            f"  - {_esc(feat['feature_name'])} [dim]({feat['role']}, "
            f"{feat.geometry.geom_type}; {feat['georef_method']}, "
            f"± {feat['uncertainty_km']:g} km)[/dim]"
        )
    Console().print(Panel("\n".join(lines), expand=False))


def _esc(text: str) -> str:
    from rich.markup import escape

    return escape(str(text))


@app.command("validate")
def validate_command(
    path: Annotated[Path, typer.Argument(help="The catalogue file to check.")],
) -> None:
    """Check a catalogue file; exit 0 when valid, 1 with every problem listed otherwise."""
    from .errors import CorridorsError

    try:
        problems = catalogue.validate(path)
    except CorridorsError as exc:
        err_console.print(f"[bold red]error:[/] {_esc(str(exc))}")
        raise typer.Exit(1) from None
    if not problems:
        Console().print(f"[green]valid[/]: {_esc(str(path))}")
        return
    err_console.print(
        f"[bold red]{len(problems)} problem{'s' if len(problems) != 1 else ''}[/] in "
        f"{_esc(str(path))}:"
    )
    for problem in problems:
        err_console.print(f"  - {problem.location}: {problem.message}", markup=False)
    raise typer.Exit(1)


def _register_subcommands() -> None:
    # Each concern registers its own command group from its own module.
    from . import _cli_circuit, _cli_infra, _cli_map, _cli_query

    modules: tuple[ModuleType, ...] = (_cli_map, _cli_query, _cli_circuit, _cli_infra)
    for module in modules:
        module.register(app)


_register_subcommands()


def main() -> None:
    """Entry point of the ``corridors`` console script."""
    app()
