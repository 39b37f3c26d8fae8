"""``corridors query``: spatial queries from the command line.

Examples::

    corridors query crossing --boundary TKM-UZB
    corridors query crossing --boundary roads.gpkg --cases my_cases.geojson -f geojson
    corridors query within --boundary USA -f csv -o usa.csv
    corridors query near --lon -109.797 --lat 42.925 --km 10
    corridors query transboundary --countries CAN,USA
    corridors query countries
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ..errors import InputError
from ._common import (
    CasesOpt,
    ForceOpt,
    FormatOpt,
    OutputOpt,
    command_group,
    file_input,
    handle_errors,
    prepare_output,
)

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = ["app"]

# Imported by the commands, so that --help loads none: the queries, shapely, geopandas.

app = command_group(
    "query",
    "Spatial queries: crossing, within, intersecting, near, transboundary, countries.",
)

BoundaryOpt = Annotated[
    str,
    typer.Option(
        "--boundary",
        "-b",
        help="A vector file (any format pyogrio reads), an ISO alpha-3 code (TKM), "
        "several codes as one region (TKM,UZB) or a border between two countries (TKM-UZB).",
    ),
]
ToleranceOpt = Annotated[
    float,
    typer.Option(
        "--tolerance-km", help="Parts of a case closer than this to the boundary do not count."
    ),
]
# corridors.query.DEFAULT_TOLERANCE_KM, repeated so that --help shows it without
# loading the queries; a test checks that they match.
DEFAULT_TOLERANCE_KM = 1.0


def _cases(path: Path | None) -> gpd.GeoDataFrame:
    from ..catalogue import load_cases

    return load_cases(path)


def _show(
    frame: gpd.GeoDataFrame, columns: tuple[str, ...], fmt: str, output: Path | None, title: str
) -> None:
    shown = tuple(dict.fromkeys(c for c in ("name", *columns) if c in frame.columns))
    if fmt == "table":
        # Columns of the other kind of boundary (areal or linear) are empty; a console
        # table has no room for them.
        shown = tuple(c for c in shown if frame[c].notna().any()) if len(frame) else shown
    from ._output import emit

    members = {
        "name": f"corridors query: {title}",
        "description": "One feature per case with the query's columns: a case-level "
        "summary, not a catalogue that corridors can load or validate.",
    }
    emit(frame, fmt=fmt, output=output, columns=shown, title=title, geojson_members=members)


_AREAL = ("boundary", "share_inside", "area_inside_km2", "length_inside_km", "n_crossings")
_LINEAR = ("boundary", "length_across_km", "n_crossings", "severs", "crosses")


@app.command("crossing")
@handle_errors
def crossing_command(
    boundary: BoundaryOpt,
    tolerance_km: ToleranceOpt = DEFAULT_TOLERANCE_KM,
    fmt: FormatOpt = "table",
    output: OutputOpt = None,
    force: ForceOpt = False,
    cases_file: CasesOpt = None,
) -> None:
    """Cases that cross a boundary: parts on both sides of an area's edge, or a line
    passing through them."""
    from ..query import crossing

    prepare_output(output, inputs=(cases_file, file_input(boundary)), force=force, fmt=fmt)
    result = crossing(_cases(cases_file), boundary, tolerance_km=tolerance_km)
    _show(result, (*_AREAL, *_LINEAR, "matched_by"), fmt, output, f"Cases crossing {boundary}")


@app.command("within")
@handle_errors
def within_command(
    boundary: BoundaryOpt,
    tolerance_km: ToleranceOpt = DEFAULT_TOLERANCE_KM,
    fmt: FormatOpt = "table",
    output: OutputOpt = None,
    force: ForceOpt = False,
    cases_file: CasesOpt = None,
) -> None:
    """Cases that lie within an area (a country, a reserve, a polygon file)."""
    from ..query import within

    prepare_output(output, inputs=(cases_file, file_input(boundary)), force=force, fmt=fmt)
    result = within(_cases(cases_file), boundary, tolerance_km=tolerance_km)
    _show(result, _AREAL, fmt, output, f"Cases within {boundary}")


@app.command("intersecting")
@handle_errors
def intersecting_command(
    boundary: BoundaryOpt,
    fmt: FormatOpt = "table",
    output: OutputOpt = None,
    force: ForceOpt = False,
    cases_file: CasesOpt = None,
) -> None:
    """Cases that share any point with a boundary (touching included)."""
    from ..query import intersecting

    prepare_output(output, inputs=(cases_file, file_input(boundary)), force=force, fmt=fmt)
    result = intersecting(_cases(cases_file), boundary)
    _show(result, _AREAL + _LINEAR, fmt, output, f"Cases intersecting {boundary}")


@app.command("near")
@handle_errors
def near_command(
    lon: Annotated[float, typer.Option("--lon", help="Longitude, degrees (WGS84).")],
    lat: Annotated[float, typer.Option("--lat", help="Latitude, degrees (WGS84).")],
    km: Annotated[float, typer.Option("--km", help="Distance, km (geodesic).")],
    fmt: FormatOpt = "table",
    output: OutputOpt = None,
    force: ForceOpt = False,
    cases_file: CasesOpt = None,
) -> None:
    """Cases within KM kilometres of the point LON, LAT, nearest first."""
    import shapely

    from ..query import near

    if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
        raise InputError(
            f"--lon {lon} --lat {lat} is not a longitude/latitude; longitude must lie in "
            "[-180, 180] and latitude in [-90, 90] degrees"
        )
    prepare_output(output, inputs=(cases_file,), force=force, fmt=fmt)
    result = near(_cases(cases_file), shapely.Point(lon, lat), distance_km=km, crs="EPSG:4326")
    _show(result, ("distance_km",), fmt, output, f"Cases within {km:g} km of ({lon}, {lat})")


@app.command("transboundary")
@handle_errors
def transboundary_command(
    countries: Annotated[
        str | None,
        typer.Option(help="Only cases spanning all of these ISO alpha-3 codes, e.g. CAN,USA."),
    ] = None,
    tolerance_km: ToleranceOpt = DEFAULT_TOLERANCE_KM,
    fmt: FormatOpt = "table",
    output: OutputOpt = None,
    force: ForceOpt = False,
    cases_file: CasesOpt = None,
) -> None:
    """Cases whose interior meets two or more countries (coastlines are not borders)."""
    from ..query import transboundary

    codes: Any = [c.strip() for c in countries.split(",") if c.strip()] if countries else None
    prepare_output(output, inputs=(cases_file,), force=force, fmt=fmt)
    result = transboundary(_cases(cases_file), codes, tolerance_km=tolerance_km)
    _show(result, ("countries", "n_countries"), fmt, output, "Transboundary cases")


@app.command("countries")
@handle_errors
def countries_command(
    tolerance_km: ToleranceOpt = DEFAULT_TOLERANCE_KM,
    fmt: FormatOpt = "table",
    output: OutputOpt = None,
    force: ForceOpt = False,
    cases_file: CasesOpt = None,
) -> None:
    """The countries each case lies in."""
    from ..query import countries_of

    prepare_output(output, inputs=(cases_file,), force=force, fmt=fmt)
    result = countries_of(_cases(cases_file), tolerance_km=tolerance_km)
    _show(result, ("countries", "n_countries"), fmt, output, "Countries of each case")
