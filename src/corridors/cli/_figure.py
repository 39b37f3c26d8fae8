"""The ``corridors figure`` command: a static map of the cases for a report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..errors import InputError
from ._common import (
    CasesOpt,
    ForceOpt,
    HighlightCrossingOpt,
    err_console,
    file_input,
    handle_errors,
    prepare_output,
    top_level_commands,
)
from ._map import check_layer_by

__all__ = ["app"]

# Imported by the command, so that --help loads none: corridors.maps, matplotlib.

app = top_level_commands()

#: Suffixes the figure can be written as.
FORMATS = (".png", ".svg", ".pdf")


@app.command("figure")
@handle_errors
def figure_command(
    output: Annotated[
        Path,
        typer.Option("--output", "-o", help="Figure to write: a .png, .svg or .pdf file."),
    ] = Path("atlas.png"),
    layer_by: Annotated[
        str, typer.Option("--layer-by", help="Colour by: realm, taxon, scale or role.")
    ] = "realm",
    cases_file: CasesOpt = None,
    case: Annotated[
        str | None,
        typer.Option("--case", help="Draw one case (an id, a prefix or a word of its name)."),
    ] = None,
    highlight_crossing: HighlightCrossingOpt = None,
    title: Annotated[str | None, typer.Option(help="Title above the map.")] = None,
    force: ForceOpt = False,
) -> None:
    """Draw the cases on the country outlines as a static figure (PNG, SVG or PDF).

    A regional view gets a scale bar and a north arrow; a world view is drawn in the
    Equal Earth projection. An existing file is kept unless --force is given.
    """
    if output.suffix.lower() not in FORMATS:
        raise InputError(
            f"--output {output}: name the figure .png, .svg or .pdf (the suffix sets the format)"
        )
    check_layer_by(layer_by)
    prepare_output(
        output,
        inputs=(cases_file, file_input(highlight_crossing)),
        force=force,
        what="figure",
    )
    from .. import catalogue
    from ..maps import plot_cases, save_figure

    features = catalogue.load_features(cases_file)
    if case is not None:
        case_id = catalogue.resolve_case_id(case, path=cases_file)
        features = features[features["case_id"] == case_id]
    highlight = None
    if highlight_crossing:
        from ..query import crossing

        highlight = crossing(catalogue.load_cases(cases_file), highlight_crossing)
    ax = plot_cases(
        features,
        layer_by=layer_by,
        highlight=highlight,
        highlight_name=f"Crossing {highlight_crossing}",
        title=title,
    )
    path = save_figure(ax, output, overwrite=force)
    err_console.print(
        f"wrote {path}: {features['case_id'].nunique()} cases, {len(features)} features",
        markup=False,
    )
