"""``corridors tracks``: GPS tracks to summaries, population corridors and crossings.

Examples::

    corridors tracks summary fixes.csv
    corridors tracks corridors fixes.csv -o out/ --cell-size 50 --season spring:03-15:06-15
    corridors tracks crossings fixes.csv --boundary TKM-UZB
    corridors tracks crossings fixes.csv --boundary fence.gpkg -f csv -o crossings.csv
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any

import typer

from ..errors import InputError
from ._common import (
    ForceOpt,
    FormatOpt,
    OutputOpt,
    check_output_dir,
    command_group,
    err_console,
    file_input,
    handle_errors,
    prepare_output,
)

__all__ = ["app"]

# Imported by the commands, so that --help loads none: corridors.tracking, geopandas.

app = command_group(
    "tracks",
    "Animal tracks (Movebank CSV): summary, population corridors, crossing events.",
)

FixesArg = Annotated[Path, typer.Argument(help="A Movebank CSV export of GPS fixes.")]
MaxSpeedOpt = Annotated[
    float,
    typer.Option("--max-speed-kmh", help="Fixes only reachable faster than this are dropped."),
]
MaxLagOpt = Annotated[
    float, typer.Option("--max-lag-h", help="Longer gaps split a sequence (hours).")
]
ProgressOpt = Annotated[bool, typer.Option("--progress/--no-progress", help="Progress bars.")]

_SEASON = re.compile(r"^([^:]+):(\d\d-\d\d):(\d\d-\d\d)$")

CROSSING_COLUMNS = ("individual", "time", "boundary", "direction")


def _clean(fixes_file: Path, max_speed_kmh: float, max_lag_h: float) -> Any:
    from ..tracking import clean_fixes, read_movebank

    return clean_fixes(read_movebank(fixes_file), max_speed_kmh=max_speed_kmh, max_lag_h=max_lag_h)


def _defaults() -> dict[str, float]:
    from ..tracking import (
        DEFAULT_CELL_SIZE_M,
        DEFAULT_LOCATION_ERROR_M,
        DEFAULT_MAX_LAG_H,
        DEFAULT_MAX_SPEED_KMH,
        DEFAULT_TIME_STEP_MIN,
        DEFAULT_TRACK_TOLERANCE_KM,
    )

    return {
        "cell": DEFAULT_CELL_SIZE_M,
        "error": DEFAULT_LOCATION_ERROR_M,
        "lag": DEFAULT_MAX_LAG_H,
        "speed": DEFAULT_MAX_SPEED_KMH,
        "step": DEFAULT_TIME_STEP_MIN,
        "tol": DEFAULT_TRACK_TOLERANCE_KM,
    }


# Defaults are repeated here so that ``--help`` shows them without importing the
# modelling subpackage; a test checks that they match.
CLI_DEFAULTS = {"cell": 50.0, "error": 20.0, "lag": 8.0, "speed": 10.8, "step": 5.0, "tol": 0.1}


@app.command("summary")
@handle_errors
def summary_command(
    fixes_file: FixesArg,
    max_speed_kmh: MaxSpeedOpt = CLI_DEFAULTS["speed"],
    max_lag_h: MaxLagOpt = CLI_DEFAULTS["lag"],
    fmt: FormatOpt = "table",
    output: OutputOpt = None,
    force: ForceOpt = False,
) -> None:
    """Per individual: fixes kept and dropped, span, median fix interval and gaps."""
    if fmt == "geojson":
        raise InputError("the summary is a table; use -f table or -f csv")
    from ._output import emit

    prepare_output(output, inputs=(fixes_file,), force=force, fmt=fmt)
    cleaned = _clean(fixes_file, max_speed_kmh, max_lag_h)
    frame = cleaned.summary.copy()
    for col in ("first", "last"):
        frame[col] = frame[col].dt.strftime("%Y-%m-%d %H:%M")
    frame.index.name = "individual"
    emit(
        frame,
        fmt=fmt,
        output=output,
        columns=tuple(frame.columns),  # the library's summary columns, in its order
        title=f"{fixes_file.name}: {len(cleaned.fixes)} fixes kept",
        empty_note="no fixes",
    )
    if len(cleaned.report):
        counts = cleaned.report["reason"].value_counts()
        listed = ", ".join(f"{n} {reason}" for reason, n in counts.items())
        err_console.print(f"dropped {len(cleaned.report)} fix(es): {listed}", soft_wrap=True)
    if cleaned.n_reordered:
        err_console.print(f"{cleaned.n_reordered} fix(es) were out of time order (sorted)")


def _seasons(values: list[str] | None) -> dict[str, tuple[str, str]] | None:
    if not values:
        return None
    out = {}
    for value in values:
        m = _SEASON.match(value.strip())
        if not m:
            raise InputError(
                f"--season {value!r} is not NAME:MM-DD:MM-DD, e.g. --season spring:03-15:06-15"
            )
        out[m.group(1)] = (m.group(2), m.group(3))
    return out


@app.command("corridors")
@handle_errors
def corridors_command(
    fixes_file: FixesArg,
    output_dir: Annotated[
        Path,
        typer.Option(
            "--output-dir",
            "-o",
            help="Folder for the GeoTIFFs and corridors.gpkg (created if missing; existing "
            "files are kept unless --force).",
        ),
    ],
    cell_size: Annotated[
        float, typer.Option("--cell-size", help="Cell side of the grid (m).")
    ] = CLI_DEFAULTS["cell"],
    location_error: Annotated[
        float, typer.Option("--location-error", help="GPS location error (m, sd per axis).")
    ] = CLI_DEFAULTS["error"],
    season: Annotated[
        list[str] | None,
        typer.Option(
            "--season",
            help="A migration window NAME:MM-DD:MM-DD (repeatable); default: found from "
            "net displacement.",
        ),
    ] = None,
    time_step: Annotated[
        float, typer.Option("--time-step", help="Bridge integration step (min).")
    ] = CLI_DEFAULTS["step"],
    motion_variance: Annotated[
        float | None,
        typer.Option("--motion-variance", help="Fixed Brownian motion variance (m²/min) for all."),
    ] = None,
    max_speed_kmh: MaxSpeedOpt = CLI_DEFAULTS["speed"],
    max_lag_h: MaxLagOpt = CLI_DEFAULTS["lag"],
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            help="Run on a dask.distributed scheduler at ADDRESS (tcp://host:8786), or "
            "'processes' for a local process pool.",
        ),
    ] = None,
    progress: ProgressOpt = True,
    force: ForceOpt = False,
) -> None:
    """Population migration corridors and stopovers (Migration Mapper's method)."""
    from ..tracking import population_corridors, sequences

    check_output_dir(output_dir)
    names = (
        "individuals.tif",
        "classes.tif",
        "stopover_individuals.tif",
        "population_ud.tif",
        "corridors.gpkg",
    )
    if output_dir.is_dir():
        for name in names:
            prepare_output(output_dir / name, inputs=(fixes_file,), force=force)
    cleaned = _clean(fixes_file, max_speed_kmh, max_lag_h)
    seq = sequences(cleaned.fixes, seasons=_seasons(season), max_lag_h=max_lag_h)
    result = population_corridors(
        seq,
        location_error_m=location_error,
        cell_size_m=cell_size,
        time_step_min=time_step,
        max_lag_h=max_lag_h,
        motion_variance=motion_variance,
        scheduler=scheduler,
        progress=progress,
    )
    files = result.write(output_dir, overwrite=force, inputs=(fixes_file,))
    typer.echo(
        f"{result.n_individuals} individual(s), {len(result.sequences)} sequence(s); "
        f"{len(result.stopovers)} stopover patch(es); {len(files)} file(s) written to "
        f"{output_dir}"
    )
    for row in result.corridors.itertuples():
        typer.echo(
            f"  {row.use} use (>= {row.min_individuals} individual(s)): {row.area_km2:,.1f} km²"
        )


@app.command("crossings")
@handle_errors
def crossings_command(
    fixes_file: FixesArg,
    boundary: Annotated[
        str,
        typer.Option(
            "--boundary",
            "-b",
            help="A border (TKM-UZB), ISO codes (USA: its edge) or a vector file (roads, "
            "fences, protected areas).",
        ),
    ],
    tolerance_km: Annotated[
        float,
        typer.Option("--tolerance-km", help="Half-width of the band where sides are not judged."),
    ] = CLI_DEFAULTS["tol"],
    max_speed_kmh: MaxSpeedOpt = CLI_DEFAULTS["speed"],
    max_lag_h: MaxLagOpt = CLI_DEFAULTS["lag"],
    progress: ProgressOpt = True,
    fmt: FormatOpt = "table",
    output: OutputOpt = None,
    force: ForceOpt = False,
) -> None:
    """Every time a track crosses a border, road, fence or protected-area edge."""
    import geopandas as gpd
    import pandas as pd
    from tqdm.auto import tqdm

    from ..query import resolve_boundary
    from ..tracking import crossing_events
    from ._output import emit

    prepare_output(output, inputs=(fixes_file, file_input(boundary)), force=force, fmt=fmt)
    cleaned = _clean(fixes_file, max_speed_kmh, max_lag_h)
    resolved = resolve_boundary(boundary)
    frames = []
    groups = list(cleaned.fixes.groupby("individual", sort=False))
    for _, group in tqdm(groups, desc="individuals", disable=not progress, leave=False):
        frames.append(
            crossing_events(group, resolved, tolerance_km=tolerance_km, max_lag_h=max_lag_h)
        )
    events = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=4326)
    events["time"] = events["time"].dt.strftime("%Y-%m-%d %H:%M:%S")
    for col in ("fix_before", "fix_after"):
        events[col] = events[col].dt.strftime("%Y-%m-%d %H:%M:%S")
    emit(
        events,
        fmt=fmt,
        output=output,
        columns=CROSSING_COLUMNS,
        title=f"Crossings of {boundary}",
        geojson_members={
            "name": f"corridors tracks crossings: {boundary}",
            "description": "One point per crossing event (individual, time UTC, direction).",
        },
        empty_note="no crossing",
    )
