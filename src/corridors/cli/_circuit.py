"""The ``corridors circuit`` command: run a Circuitscape INI job."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Annotated

import typer

from ..errors import CorridorsWarning
from ._common import ForceOpt, check_output_dir, handle_errors, top_level_commands

__all__ = ["app"]

# Imported by the command, so that --help loads none: corridors.circuit (scipy).

app = top_level_commands()

# Pairwise resistances are listed on the console for up to this many focal nodes.
MAX_NODES_LISTED = 10


@app.command("circuit")
@handle_errors
def circuit_command(
    job: Annotated[Path, typer.Argument(help="Circuitscape INI job file.")],
    base_dir: Annotated[
        Path | None,
        typer.Option("--base-dir", help="Resolve relative paths in the job against DIR."),
    ] = None,
    output_dir: Annotated[
        Path | None,
        typer.Option(
            "--output-dir",
            help="Write outputs into DIR (Circuitscape's names); existing output files are "
            "kept unless --force is given, and an input is never overwritten.",
        ),
    ] = None,
    geotiff: Annotated[
        bool, typer.Option("--geotiff", help="Also write every map as a GeoTIFF.")
    ] = False,
    progress: Annotated[bool, typer.Option("--progress/--no-progress")] = True,
    force: ForceOpt = False,
) -> None:
    """Run a Circuitscape INI job file (circuit-theory connectivity)."""
    from ..circuit import run

    check_output_dir(output_dir)
    # run() refuses outputs that are inputs and keeps existing ones unless overwrite.
    result = run(
        job,
        base_dir=base_dir,
        output_dir=output_dir,
        geotiff=geotiff,
        progress=progress,
        overwrite=force,
    )
    for note in result.notes:
        # Through the warnings machinery, so a note that run() also warned about is
        # printed once (handle_errors shows each message once).
        warnings.warn(note, CorridorsWarning, stacklevel=1)
    typer.echo(
        f"{result.scenario} ({result.data_type}): {result.solves} solve(s), "
        f"{len(result.files)} file(s) written"
    )
    if result.resistances is not None and result.resistances.ndim == 2:
        k = result.resistances.shape[0]
        if k <= MAX_NODES_LISTED:
            for i in range(k):
                for j in range(i + 1, k):
                    typer.echo(
                        f"  R({result.ids[i]}, {result.ids[j]}) = {result.resistances[i, j]:.10g}"
                    )
