"""The ``corridors omniscape`` command: run an Omniscape.jl INI job."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ._common import ForceOpt, check_output_dir, handle_errors, top_level_commands

__all__ = ["app"]

# Imported by the command, so that --help loads none: corridors.omniscape (scipy).

app = top_level_commands()


@app.command("omniscape")
@handle_errors
def omniscape_command(
    job: Annotated[Path, typer.Argument(help="Omniscape.jl INI job file.")],
    output_dir: Annotated[
        Path | None,
        typer.Option(
            "--output-dir",
            help="Write outputs into DIR instead of the job's project_name (Omniscape.jl's "
            "names); existing outputs are kept unless --force is given.",
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option("--workers", min=1, help="Worker processes (default: every core)."),
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            help="Address of a dask.distributed scheduler (tcp://host:port) to solve the "
            "tiles on; its workers must see the input files at the same paths.",
        ),
    ] = None,
    base_dir: Annotated[
        Path | None,
        typer.Option("--base-dir", help="Resolve relative input paths in the job against DIR."),
    ] = None,
    resume: Annotated[
        bool,
        typer.Option(
            "--resume/--no-resume",
            help="Resume from the tiles an interrupted run checkpointed (default), or start "
            "afresh.",
        ),
    ] = True,
    progress: Annotated[bool, typer.Option("--progress/--no-progress")] = True,
    force: ForceOpt = False,
) -> None:
    """Run an Omniscape.jl INI job (moving-window omnidirectional connectivity).

    The memory estimate is printed before any solve; a job that cannot fit is refused
    with what to change. A killed run started again resumes from its checkpoint.
    """
    from ..omniscape import run

    check_output_dir(output_dir)
    result = run(
        job,
        base_dir=base_dir,
        output_dir=output_dir,
        workers=workers,
        scheduler=scheduler,
        resume=resume,
        overwrite=force,
        progress=progress,
    )
    typer.echo(
        f"omniscape: {result.n_targets} target(s), {len(result.files)} file(s) written to "
        f"{result.folder}"
    )
    for path in result.files:
        typer.echo(f"  {path}")
