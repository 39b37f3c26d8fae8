"""The ``corridors circuit`` command: run a Circuitscape INI job."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ._cli_common import handle_errors


@handle_errors
def circuit(
    job: Annotated[Path, typer.Argument(help="Circuitscape INI job file.")],
    base_dir: Annotated[
        Path | None,
        typer.Option("--base-dir", help="Resolve relative paths in the job against DIR."),
    ] = None,
    output_dir: Annotated[
        Path | None,
        typer.Option("--output-dir", help="Write outputs into DIR (Circuitscape's names)."),
    ] = None,
    geotiff: Annotated[
        bool, typer.Option("--geotiff", help="Also write every map as a GeoTIFF.")
    ] = False,
    progress: Annotated[bool, typer.Option("--progress/--no-progress")] = True,
) -> None:
    """Run a Circuitscape INI job file (circuit-theory connectivity)."""
    from .circuit import run

    result = run(job, base_dir=base_dir, output_dir=output_dir, geotiff=geotiff, progress=progress)
    for note in result.notes:
        typer.echo(f"warning: {note}", err=True)
    typer.echo(
        f"{result.scenario} ({result.data_type}): {result.solves} solve(s), "
        f"{len(result.files)} file(s) written"
    )
    if result.resistances is not None and result.resistances.ndim == 2:
        k = result.resistances.shape[0]
        if k <= 10:
            for i in range(k):
                for j in range(i + 1, k):
                    typer.echo(
                        f"  R({result.ids[i]}, {result.ids[j]}) = {result.resistances[i, j]:.10g}"
                    )


def register(app: typer.Typer) -> None:
    """Add the ``circuit`` command to the main ``corridors`` app."""
    app.command("circuit")(circuit)
