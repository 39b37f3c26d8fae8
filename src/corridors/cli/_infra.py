"""``corridors infra``: where planned infrastructure cuts corridors and case areas.

Examples::

    corridors infra crossings --line road.geojson
    corridors infra crossings --line road.geojson --corridors out/corridors.geojson -f geojson
    corridors infra crossings -f csv -o crossings.csv   # the catalogue's own barriers
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ..errors import DataFileError, InputError
from ._common import (
    CasesOpt,
    ForceOpt,
    FormatOpt,
    OutputOpt,
    command_group,
    handle_errors,
    prepare_output,
)

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = ["app"]

# Imported by the command, so that --help loads none: geopandas, corridors.leastcost.

app = command_group(
    "infra",
    "Infrastructure and corridors: where roads, railways, canals and fences cut them.",
)

LineOpt = Annotated[
    Path | None,
    typer.Option(
        "--line",
        "-l",
        help="Lines of planned infrastructure (any vector file with a CRS). Default: the "
        "catalogue's own barrier and infrastructure features.",
    ),
]
CorridorsOpt = Annotated[
    Path | None,
    typer.Option(
        "--corridors",
        "-c",
        help="Corridor polygons (e.g. corridors.geojson written by write_network) or any "
        "polygons or route lines. Default: the catalogue's case areas and routes.",
    ),
]

_COLUMNS = (
    "rank",
    "line_name",
    "kind",
    "corridor_name",
    "case_id",
    "width_km",
    "crossing_length_km",
    "pinch_score",
)


# Vector files worth suggesting when a folder is given instead of a file.
_VECTOR_SUFFIXES = (".gpkg", ".geojson", ".json", ".shp", ".fgb", ".kml", ".gml", ".csv")
_MAX_SUGGESTED = 3


def _read(path: Path, what: str) -> gpd.GeoDataFrame:
    import geopandas as gpd

    if not path.exists():
        raise DataFileError(f"{what} file {path} does not exist")
    try:
        with warnings.catch_warnings():
            # shapely warns on NaN coordinates while decoding; the library refuses them
            # with the feature named, so the raw warning would only repeat it badly.
            warnings.simplefilter("ignore", RuntimeWarning)
            frame = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises several unrelated types
        if path.is_dir():
            # Some formats are folders (a FileGDB); any other folder is a mistake.
            raise DataFileError(_directory_message(path, what)) from None
        raise DataFileError(f"cannot read {what} file {path}: {exc}") from exc
    if frame.empty:
        raise InputError(f"{what} file {path} has no features")
    return frame


def _directory_message(path: Path, what: str) -> str:
    inside = sorted(p.name for p in path.iterdir() if p.suffix.lower() in _VECTOR_SUFFIXES)
    hint = (
        f"e.g. {', '.join(str(path / name) for name in inside[:_MAX_SUGGESTED])}"
        if inside
        else "it holds no vector file"
    )
    return f"--{what} {path} is a directory, not a vector file; give a file inside it ({hint})"


def _catalogue(cases: Path | None, roles: tuple[str, ...]) -> gpd.GeoDataFrame:
    from ..catalogue import load_features

    features = load_features(cases)
    selected = features[features["role"].isin(roles)]
    # Messages about single features then name them by catalogue id, not row number.
    return selected.set_axis(selected["feature_id"].rename(None).to_numpy(), axis=0)


@app.command("crossings")
@handle_errors
def crossings_command(
    line: LineOpt = None,
    corridors: CorridorsOpt = None,
    cases: CasesOpt = None,
    fmt: FormatOpt = "table",
    output: OutputOpt = None,
    force: ForceOpt = False,
) -> None:
    """Rank every place where a line crosses a corridor or case area as a crossing site.

    Each crossing gets the corridor's width there, the length of line inside it and,
    for modelled corridors, its pinch-point score. Rank 1 is the strongest candidate
    for a wildlife crossing structure.
    """
    from ..leastcost import infrastructure_crossings
    from ._output import emit

    prepare_output(output, inputs=(line, corridors, cases), force=force, fmt=fmt)
    lines = (
        _read(line, "line")
        if line is not None
        else _catalogue(cases, ("barrier", "infrastructure"))
    )
    targets = (
        _read(corridors, "corridors")
        if corridors is not None
        else _catalogue(cases, ("area", "route"))
    )
    # Given the path (checked above), the library names the file in its messages.
    found = infrastructure_crossings(targets, line if line is not None else lines)
    columns = list(_COLUMNS)
    if fmt == "table":
        found = found.set_index("rank")
        # A terminal table has no room for columns with nothing in them.
        columns = [c for c in columns if c in found and found[c].notna().any()]
    emit(
        found,
        fmt=fmt,
        output=output,
        columns=columns,
        title=f"{len(found)} crossing{'s' if len(found) != 1 else ''}",
    )
