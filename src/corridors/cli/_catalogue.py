"""``corridors cases``, ``show`` and ``validate``: the catalogue from the command line.

``cases`` lists the case studies, ``show ID`` prints one, ``validate PATH`` checks a
catalogue file (exit 1 when it has problems, 2 when it cannot be read).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.panel import Panel

from .._io import atomic_write_text
from ._common import (
    EXIT_PROBLEMS,
    CasesOpt,
    ForceOpt,
    FormatOpt,
    OutputOpt,
    check_format,
    err_console,
    fail,
    handle_errors,
    prepare_output,
    top_level_commands,
)

__all__ = ["app"]

# Imported by the commands, so that --help loads none: the catalogue (geopandas).

app = top_level_commands()

CASE_TABLE_COLUMNS = ("name", "realm", "scale", "countries")
FEATURE_TABLE_COLUMNS = ("case_id", "feature_name", "role", "uncertainty_km")

# What a ``cases -f geojson`` file holds, said in the file itself.
CASE_SUMMARY_MEMBERS = {
    "name": "corridors case summary",
    "description": (
        "One feature per case study (all of its features together), for reading and "
        "mapping; not a catalogue that corridors can load or validate. Export the "
        "loadable feature-level catalogue with `corridors cases --features -f geojson`."
    ),
}


@app.command("cases")
@handle_errors
def cases_command(
    realm: Annotated[
        str | None, typer.Option(help="Only cases of this realm (terrestrial, ...).")
    ] = None,
    country: Annotated[
        str | None, typer.Option(help="Only cases that involve this ISO alpha-3 country.")
    ] = None,
    features: Annotated[
        bool,
        typer.Option(
            "--features",
            help="One row per feature instead of per case; with -f geojson the file is a "
            "catalogue that --cases, `corridors validate` and load_features read back.",
        ),
    ] = False,
    fmt: FormatOpt = "table",
    output: OutputOpt = None,
    force: ForceOpt = False,
    cases_file: CasesOpt = None,
) -> None:
    """List the case studies of the catalogue.

    With -f geojson each case is one feature holding all of its parts: a case-level
    summary (named so in the file) for reading and mapping, not a loadable catalogue.
    Add --features to export the feature-level catalogue, which loads and validates.
    """
    from .. import catalogue
    from ..schema import REALMS
    from ._output import emit

    if realm is not None and realm not in REALMS:
        fail(_esc(f"unknown realm {realm!r}; use one of {', '.join(REALMS)}"))
    code = None
    if country is not None:
        from ..boundaries import country as country_rows

        # The same check and suggestions as `corridors query` gives for a code.
        code = str(country_rows(country)["iso_a3"].iloc[0])
    prepare_output(output, inputs=(cases_file,), force=force, fmt=fmt)
    if features:
        _emit_features(realm, code, fmt=fmt, output=output, cases_file=cases_file)
        return
    frame = catalogue.load_cases(cases_file)
    if realm is not None:
        frame = frame[frame["realm"] == realm]
    if code is not None:
        frame = frame[frame["countries"].map(lambda cs: code in cs)]
    emit(
        frame,
        fmt=fmt,
        output=output,
        columns=CASE_TABLE_COLUMNS,
        title="Case studies",
        geojson_members=CASE_SUMMARY_MEMBERS,
    )


def _emit_features(
    realm: str | None, code: str | None, *, fmt: str, output: Path | None, cases_file: Path | None
) -> None:
    from .. import catalogue
    from ._output import emit

    frame = catalogue.load_features(cases_file)
    if realm is not None:
        frame = frame[frame["realm"] == realm]
    if code is not None:
        frame = frame[frame["countries"].map(lambda cs: code in cs)]
    if frame.empty and fmt != "table":
        # An empty catalogue would not load back; say so rather than write one.
        fail("no feature matches these filters; nothing to export")
    if fmt != "geojson":
        indexed = frame.set_index("feature_id")
        emit(indexed, fmt=fmt, output=output, columns=FEATURE_TABLE_COLUMNS, title="Features")
        return
    text = catalogue.to_geojson(frame)
    if output is None:
        typer.echo(text, nl=False)
    else:
        atomic_write_text(output, text)


@app.command("show")
@handle_errors
def show_command(
    case_id: Annotated[
        str,
        typer.Argument(
            help="The case id, e.g. fremont-lake-mule-deer, or a unique part of it or of "
            "its name (koytendag, fremont)."
        ),
    ],
    fmt: FormatOpt = "table",
    cases_file: CasesOpt = None,
) -> None:
    """Show one case study: its summary, species, countries, features and source."""
    from .. import catalogue
    from ._output import console_width, emit

    check_format(fmt)
    case = catalogue.get_case(case_id, path=cases_file)
    if fmt != "table":
        emit(case, fmt=fmt, output=None, columns=(), geojson_members=CASE_SUMMARY_MEMBERS)
        return
    # The argument may be a prefix or a word of the id; the case knows its full id.
    resolved = str(case.index[0])
    features = catalogue.load_features(cases_file)
    features = features[features["case_id"] == resolved]
    row = case.iloc[0]
    species = "; ".join(f"{s['common']} ({s['scientific']})" for s in row["species"]) or "-"
    lines = [
        f"[bold]{_esc(row['name'])}[/bold]  [dim]({_esc(resolved)})[/dim]",
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
    Console(width=console_width()).print(Panel("\n".join(lines), expand=False))


def _esc(text: str) -> str:
    return escape(str(text))


@app.command("validate")
@handle_errors
def validate_command(
    path: Annotated[Path, typer.Argument(help="The catalogue file to check.")],
) -> None:
    """Check a catalogue file and list every problem in it.

    Exit 0: the file is valid.
    Exit 1: the file was read and has problems (every one is listed).
    Exit 2: the file cannot be read at all (missing, a directory, not GeoJSON,
    GeoPackage or CSV).
    """
    from .. import catalogue

    problems = catalogue.validate(path)
    if not problems:
        Console().print(f"[green]valid[/]: {_esc(str(path))}")
        return
    err_console.print(
        f"[bold red]{len(problems)} problem{'s' if len(problems) != 1 else ''}[/] in "
        f"{_esc(str(path))}:",
        soft_wrap=True,
    )
    for problem in problems:
        err_console.print(
            f"  - {problem.location}: {problem.message}", markup=False, soft_wrap=True
        )
    raise typer.Exit(EXIT_PROBLEMS)
