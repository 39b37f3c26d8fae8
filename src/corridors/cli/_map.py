"""The ``corridors map`` command: build the atlas as one HTML file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..errors import InputError
from ._common import (
    ForceOpt,
    HighlightCrossingOpt,
    err_console,
    file_input,
    handle_errors,
    prepare_output,
    top_level_commands,
)

__all__ = ["app"]

# Imported by the command, so that --help loads none: corridors.maps (folium), queries.

app = top_level_commands()

LAYER_BY = ("realm", "taxon", "scale", "role")


def check_layer_by(layer_by: str) -> None:
    """Refuse a --layer-by that is not one of :data:`LAYER_BY`."""
    if layer_by not in LAYER_BY:
        raise InputError(f"--layer-by must be one of {', '.join(LAYER_BY)}, not {layer_by!r}")


@app.command("map")
@handle_errors
def map_command(
    output: Annotated[
        Path, typer.Option("--output", "-o", help="HTML file to write, e.g. atlas.html.")
    ] = Path("atlas.html"),
    layer_by: Annotated[
        str, typer.Option("--layer-by", help="One layer per: realm, taxon, scale or role.")
    ] = "realm",
    offline: Annotated[
        bool,
        typer.Option(
            "--offline",
            help="One self-contained file: no CDN, no tiles, drawn on bundled outlines.",
        ),
    ] = False,
    cases_file: Annotated[
        Path | None,
        typer.Option("--cases", help="A catalogue file of your own (GeoJSON, GPKG, CSV)."),
    ] = None,
    highlight_crossing: HighlightCrossingOpt = None,
    title: Annotated[str, typer.Option(help="Page title.")] = "corridors atlas",
    force: ForceOpt = False,
) -> None:
    """Build the interactive atlas of connectivity cases as one HTML file.

    An existing file (atlas.html by default) is kept unless --force is given.
    """
    from .. import catalogue, maps

    check_layer_by(layer_by)
    prepare_output(
        output,
        inputs=(cases_file, file_input(highlight_crossing)),
        force=force,
        what="atlas",
    )
    features = catalogue.load_features(cases_file)
    highlight = None
    name = "Query result"
    if highlight_crossing:
        from ..query import crossing

        # The cases corridors.crossing returns; the atlas draws, measures and explains
        # their crossings from the same query (maps._highlight), not a geometry of its own.
        highlight = crossing(catalogue.load_cases(cases_file), highlight_crossing)
        name = f"Cases crossing {highlight_crossing}"
    m = maps.build_map(
        features,
        layer_by=layer_by,
        offline=offline,
        highlight=highlight,
        highlight_boundary=highlight_crossing,
        highlight_name=name,
        title=title,
    )
    path = maps.save_map(m, output, overwrite=force)
    size = path.stat().st_size / 1e6
    n_cases = features["case_id"].nunique() if "case_id" in features else len(features)
    extra = f", {len(highlight)} highlighted" if highlight is not None else ""
    err_console.print(
        f"wrote {path} ({size:.1f} MB): {n_cases} cases, {len(features)} features{extra}"
        + (", offline" if offline else ""),
        markup=False,
    )
