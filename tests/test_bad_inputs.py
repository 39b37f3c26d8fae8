"""Hostile and malformed input, through the CLI and the library, in one table.

Each row is one input and what it must give: a clear error (a ``CorridorsError`` in
Python, exit status 2 on the command line, 1 only for ``validate`` when the file was read
and problems were found), with a message that names the value and the fix, or a correct
acceptance. No row may end in a traceback, answer "nothing found" for input that cannot
mean what was asked, or change any file it read (every input is hashed before and after).

``test_outcome_table`` prints the table of rows and outcomes (``pytest -s``).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest
import shapely
from catalogue_factory import make_feature, make_site
from typer.testing import CliRunner

import corridors
from corridors.cli import app
from corridors.errors import (
    BoundaryError,
    CorridorsError,
    DataFileError,
    InputError,
    OutputError,
    RasterError,
    UnknownCaseError,
    UnknownCountryError,
    ValidationError,
)

runner = CliRunner()

# --------------------------------------------------------------------------- inputs


def _collection(*features: dict[str, Any], **extra: Any) -> str:
    return json.dumps({"type": "FeatureCollection", "features": list(features), **extra})


def _line_feature(coords: list[list[float]], **props: Any) -> dict[str, Any]:
    return {
        "type": "Feature",
        "properties": {"name": "road", **props},
        "geometry": {"type": "LineString", "coordinates": coords},
    }


# A road through the Koytendag area across the Turkmen-Uzbek border, and a valid
# catalogue of one case there (the factory's synthetic case).
ROAD = [[66.0, 37.9], [67.2, 37.9]]
GOOD_CATALOGUE = _collection(make_feature(), make_site())


def _feature_with(**overrides: Any) -> str:
    """The valid catalogue with ``overrides`` in its area (case fields: in both features)."""
    case_fields = {k: v for k, v in overrides.items() if k in _CASE_FIELDS}
    return _collection(make_feature(**overrides), make_site(**case_fields))


_CASE_FIELDS = ("source", "source_title", "source_url", "realm", "taxon", "species")


def _grid(header: dict[str, float], rows: list[str]) -> str:
    head = "".join(f"{k} {v}\n" for k, v in header.items())
    return head + "\n".join(rows) + "\n"


_HEADER_5x5 = {
    "ncols": 5,
    "nrows": 5,
    "xllcorner": 0,
    "yllcorner": 0,
    "cellsize": 100,
    "NODATA_value": -9999,
}
_ROWS_5x5 = ["1 1 1 1 1"] * 5
_NODATA_ROW = "-9999 -9999 -9999 -9999 -9999"
_POINTS_5x5 = ["1 -9999 -9999 -9999 -9999", *[_NODATA_ROW] * 3, "-9999 -9999 -9999 -9999 2"]


def _job(habitat: str = "habitat.asc", points: str = "points.asc", **extra: str) -> str:
    options = {
        "data_type": "raster",
        "scenario": "pairwise",
        "habitat_file": habitat,
        "habitat_map_is_resistances": "True",
        "point_file": points,
        "output_file": "out/job.out",
        "write_cur_maps": "False",
        "write_volt_maps": "False",
        **extra,
    }
    return "[Options]\n" + "".join(f"{k} = {v}\n" for k, v in options.items())


FILES: dict[str, str | bytes] = {
    # catalogues
    "good.geojson": GOOD_CATALOGUE,
    "empty.geojson": b"",
    "garbage.geojson": bytes(range(256)) * 4,
    "not_json.geojson": "this is not json {",
    "array.geojson": "[]",
    "number.geojson": "42",
    "deep.geojson": "[" * 200_000 + "]" * 200_000,
    "crs_string.geojson": _collection(make_feature(), make_site(), crs="EPSG:3857"),
    "crs_legacy_wgs84.geojson": _collection(
        make_feature(),
        make_site(),
        crs={"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}},
    ),
    "no_features.geojson": _collection(),
    "null_geometry.geojson": _feature_with(geometry=None),
    "nan_coordinate.geojson": _collection(
        make_feature(), make_site(geometry={"type": "Point", "coordinates": [math.nan, 37.8]})
    ),
    "nan_in_line.geojson": _collection(
        make_feature(),
        make_site(
            role="route",
            geometry={"type": "LineString", "coordinates": [[66.0, 37.8], [math.nan, 37.9]]},
        ),
    ),
    "lon_500.geojson": _collection(
        make_feature(), make_site(geometry={"type": "Point", "coordinates": [500.0, 37.8]})
    ),
    "swapped.geojson": _collection(
        make_feature(), make_site(geometry={"type": "Point", "coordinates": [37.8, 66.5]})
    ),
    "bad_realm.geojson": _feature_with(realm="aerial"),
    "bad_taxon.geojson": _feature_with(taxon="robots"),
    "bad_role.geojson": _feature_with(role="highway"),
    "area_as_point.geojson": _feature_with(geometry={"type": "Point", "coordinates": [66.5, 37.9]}),
    "missing_name.geojson": _collection(
        {
            **make_feature(),
            "properties": {k: v for k, v in make_feature()["properties"].items() if k != "name"},
        },
    ),
    "bad_country.geojson": _feature_with(countries=["XXX"]),
    "negative_uncertainty.geojson": _feature_with(uncertainty_km=-5),
    "text_uncertainty.geojson": _feature_with(uncertainty_km="five"),
    "ftp_url.geojson": _feature_with(source_url="ftp://example.org/case"),
    "duplicate_ids.geojson": _collection(make_feature(), make_feature()),
    "inconsistent_case.geojson": _collection(make_feature(), make_site(realm="marine")),
    "bowtie.geojson": _feature_with(
        geometry={
            "type": "Polygon",
            "coordinates": [[[66.3, 37.7], [66.9, 38.1], [66.9, 37.7], [66.3, 38.1], [66.3, 37.7]]],
        }
    ),
    "empty_polygon.geojson": _feature_with(geometry={"type": "Polygon", "coordinates": []}),
    "bad_species.geojson": _feature_with(species="Markhor"),
    "utf16.geojson": GOOD_CATALOGUE.encode("utf-16"),
    "own_source.geojson": _feature_with(
        source="my-field-notes",
        source_title="Field notes 2025",
        source_url="https://example.org/notes",
    ),
    "own_source_no_url.geojson": _feature_with(
        source="my-field-notes", source_title="Field notes 2025", source_url=None
    ),
    "no_lonlat.csv": "case_id,name\nx,y\n",
    "text_lonlat.csv": "case_id,name,lon,lat\nx,y,east,north\n",
    "garbage.gpkg": b"SQLite format 3\x00" + bytes(200),
    "catalogue.txt": "case_id name\n",
    # boundaries and roads
    "road.geojson": _collection(_line_feature(ROAD)),
    "road_nan.geojson": _collection(_line_feature([[66.0, 37.9], [math.nan, 37.9]])),
    "road_lon_500.geojson": _collection(_line_feature([[66.0, 37.9], [500.0, 37.9]])),
    "road_points.geojson": _collection(
        {
            "type": "Feature",
            "properties": {},
            "geometry": {"type": "Point", "coordinates": [66, 37]},
        }
    ),
    "road_null.geojson": _collection({"type": "Feature", "properties": {}, "geometry": None}),
    "road_empty_collection.geojson": _collection(),
    "road_crs_string.geojson": _collection(_line_feature(ROAD), crs="EPSG:3857"),
    "road_garbage.gpkg": bytes(range(256)) * 8,
    # grids and jobs (Circuitscape ASCII grids, 5 x 5 unless the name says otherwise)
    "habitat.asc": _grid(_HEADER_5x5, _ROWS_5x5),
    "points.asc": _grid(_HEADER_5x5, _POINTS_5x5),
    "header_4x4.asc": _grid({**_HEADER_5x5, "ncols": 4, "nrows": 4}, _ROWS_5x5),
    "header_3x7.asc": _grid({**_HEADER_5x5, "ncols": 7, "nrows": 3}, _ROWS_5x5),
    "text_cells.asc": _grid(_HEADER_5x5, ["1 1 abc 1 1", *_ROWS_5x5[1:]]),
    "nan_cells.asc": _grid(_HEADER_5x5, ["1 1 nan 1 1", "1 nan 1 1 1", *_ROWS_5x5[2:]]),
    "truncated.asc": _grid(_HEADER_5x5, _ROWS_5x5[:3]),
    "negative_cellsize.asc": _grid({**_HEADER_5x5, "cellsize": -100}, _ROWS_5x5),
    "all_nodata.asc": _grid(_HEADER_5x5, [_NODATA_ROW] * 5),
    "zero_cells.asc": _grid(_HEADER_5x5, ["1 1 0 1 1", *_ROWS_5x5[1:]]),
    "negative_cells.asc": _grid(_HEADER_5x5, ["1 1 -3 1 1", *_ROWS_5x5[1:]]),
    "no_header.asc": "\n".join(_ROWS_5x5) + "\n",
    "one_point.asc": _grid(_HEADER_5x5, ["1 -9999 -9999 -9999 -9999", *[_NODATA_ROW] * 4]),
    "job.ini": _job(),
    "job_header_4x4.ini": _job(habitat="header_4x4.asc"),
    "job_header_3x7.ini": _job(habitat="header_3x7.asc"),
    "job_text_cells.ini": _job(habitat="text_cells.asc"),
    "job_nan_cells.ini": _job(habitat="nan_cells.asc"),
    "job_truncated.ini": _job(habitat="truncated.asc"),
    "job_negative_cellsize.ini": _job(habitat="negative_cellsize.asc"),
    "job_all_nodata.ini": _job(habitat="all_nodata.asc"),
    "job_negative_cells.ini": _job(habitat="negative_cells.asc"),
    "job_no_header.ini": _job(habitat="no_header.asc"),
    "job_missing_habitat.ini": _job(habitat="nowhere.asc"),
    "job_habitat_dir.ini": _job(habitat="a_directory"),
    "job_one_point.ini": _job(points="one_point.asc"),
    "job_unknown_scenario.ini": _job(scenario="sideways"),
    "job_unknown_data_type.ini": _job(data_type="vector"),
    "job_output_is_habitat.ini": _job(output_file="habitat.asc"),
    "not_an_ini.ini": "this is not an ini file\n",
    "job_bad_bool.ini": _job(habitat_map_is_resistances="maybe"),
}
DIRECTORIES = ("a_directory",)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding every input file of the table (the tests run inside it)."""
    folder = tmp_path_factory.mktemp("bad_inputs")
    for name, content in FILES.items():
        path = folder / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    for name in DIRECTORIES:
        (folder / name).mkdir()
    (folder / "out").mkdir()
    return folder


def _digests(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.iterdir())
        if p.is_file()
    }


# ----------------------------------------------------------------------------- CLI


@dataclass(frozen=True)
class Cli:
    """One command line: its arguments, the exit status and a pattern its message has."""

    name: str
    argv: tuple[str, ...]
    exit_code: int
    match: str = ""
    outcome: str = "refused"  # refused | accepted | problems


def _c(name: str, argv: str, exit_code: int = 2, match: str = "", outcome: str = "") -> Cli:
    kind = outcome or {0: "accepted", 1: "problems"}.get(exit_code, "refused")
    return Cli(name, tuple(argv.split()), exit_code, match, kind)


CLI_ROWS: list[Cli] = [
    # validate: 2 when the file cannot be read as a catalogue, 1 when it was read and
    # problems were found, 0 when valid
    _c("validate good", "validate good.geojson", 0, r"valid"),
    _c("validate missing", "validate nowhere.geojson", 2, r"nowhere\.geojson.*does not exist"),
    _c("validate directory", "validate a_directory", 2, r"a_directory.*directory"),
    _c("validate empty", "validate empty.geojson", 2, r"empty\.geojson"),
    _c("validate garbage", "validate garbage.geojson", 2, r"garbage\.geojson"),
    _c("validate not json", "validate not_json.geojson", 2, r"not_json\.geojson"),
    _c("validate array", "validate array.geojson", 2, r"array\.geojson.*FeatureCollection"),
    _c("validate number", "validate number.geojson", 2, r"number\.geojson.*FeatureCollection"),
    _c("validate deep", "validate deep.geojson", 2, r"deep\.geojson.*(nest|deep)"),
    _c("validate crs string", "validate crs_string.geojson", 2, r"crs.*EPSG:3857"),
    _c("validate crs84 object", "validate crs_legacy_wgs84.geojson", 0, r"valid"),
    _c("validate no features", "validate no_features.geojson", 1, r"no features"),
    _c("validate null geometry", "validate null_geometry.geojson", 1, r"geometry"),
    _c("validate nan coordinate", "validate nan_coordinate.geojson", 1, r"(?i)nan|finite"),
    _c("validate lon 500", "validate lon_500.geojson", 1, r"500"),
    _c("validate swapped", "validate swapped.geojson", 1, r"(?i)swap"),
    _c("validate bad realm", "validate bad_realm.geojson", 1, r"aerial"),
    _c("validate bad taxon", "validate bad_taxon.geojson", 1, r"robots"),
    _c("validate bad role", "validate bad_role.geojson", 1, r"highway"),
    _c("validate area as point", "validate area_as_point.geojson", 1, r"(?i)polygon"),
    _c("validate missing name", "validate missing_name.geojson", 1, r"name"),
    _c("validate bad country", "validate bad_country.geojson", 1, r"XXX"),
    _c("validate negative uncertainty", "validate negative_uncertainty.geojson", 1, r"-5"),
    _c("validate text uncertainty", "validate text_uncertainty.geojson", 1, r"five"),
    _c("validate ftp url", "validate ftp_url.geojson", 1, r"ftp://"),
    _c("validate duplicate ids", "validate duplicate_ids.geojson", 1, r"(?i)duplicate"),
    _c("validate inconsistent case", "validate inconsistent_case.geojson", 1, r"realm"),
    _c("validate bowtie", "validate bowtie.geojson", 1, r"(?i)invalid|self-intersection"),
    _c("validate empty polygon", "validate empty_polygon.geojson", 1, r"(?i)empty"),
    _c("validate bad species", "validate bad_species.geojson", 1, r"species"),
    _c("validate utf16", "validate utf16.geojson", 2, r"utf16\.geojson.*(?i:utf-8|encod)"),
    _c("validate own source", "validate own_source.geojson", 0, r"valid"),
    _c("validate own source no url", "validate own_source_no_url.geojson", 1, r"source_url"),
    _c("validate csv no lon/lat", "validate no_lonlat.csv", 2, r"(?i)lon"),
    _c("validate csv text lon/lat", "validate text_lonlat.csv", 1, r"east"),
    _c("validate garbage gpkg", "validate garbage.gpkg", 2, r"garbage\.gpkg"),
    _c("validate txt", "validate catalogue.txt", 2, r"\.txt"),
    # cases and show
    _c("cases bad file", "cases --cases garbage.geojson", 2, r"garbage\.geojson"),
    _c("cases problems", "cases --cases bad_realm.geojson", 2, r"aerial"),
    _c("cases crs string", "cases --cases crs_string.geojson", 2, r"EPSG:3857"),
    _c("cases deep", "cases --cases deep.geojson", 2, r"deep\.geojson"),
    _c("cases unknown realm", "cases --realm aerial", 2, r"unknown realm 'aerial'"),
    _c("cases unknown country", "cases --country XXX", 2, r"XXX"),
    _c("cases unknown format", "cases --format xml", 2, r"xml"),
    _c("cases user catalogue", "cases --cases good.geojson", 0, r""),
    _c("show unknown", "show no-such-case", 2, r"no-such-case"),
    _c("show prefix", "show koytendag", 0, r""),
    _c("show word", "show fremont", 0, r""),
    _c("show ambiguous", "show wildlifeconnect", 2, r"wildlifeconnect-carpathians"),
    _c("show empty id", "show ''", 2, r""),
    # query
    _c("query unknown code", "query crossing --boundary XXX", 2, r"XXX"),
    _c("query no border", "query crossing --boundary TKM-USA", 2, r"TKM.*USA"),
    _c("query same country border", "query crossing --boundary TKM-TKM", 2, r"TKM"),
    _c("query missing file", "query crossing --boundary nowhere.geojson", 2, r"nowhere\.geojson"),
    _c("query directory", "query crossing --boundary a_directory", 2, r"a_directory.*directory"),
    _c("query garbage file", "query crossing --boundary road_garbage.gpkg", 2, r"road_garbage"),
    _c("query nan road", "query crossing --boundary road_nan.geojson", 2, r"(?i)nan|finite"),
    _c("query lon 500 road", "query crossing --boundary road_lon_500.geojson", 2, r"500"),
    _c("query null road", "query crossing --boundary road_null.geojson", 2, r"(?i)geometr"),
    _c("query no features", "query crossing --boundary road_empty_collection.geojson", 2, r""),
    # GDAL ignores a bare-string crs member and reads RFC 7946 lon/lat, which these
    # in-range coordinates are; metre coordinates would be refused as out of range.
    _c("query crs string road", "query crossing --boundary road_crs_string.geojson", 0),
    _c("query road crosses", "query crossing --boundary road.geojson --cases good.geojson", 0),
    _c("query negative tolerance", "query crossing --boundary TKM --tolerance-km -1", 2, r"-1"),
    _c("query nan tolerance", "query crossing --boundary TKM --tolerance-km nan", 2, r"nan"),
    _c("query within unknown", "query within --boundary XXX", 2, r"XXX"),
    _c("query within border", "query within --boundary TKM-UZB", 2, r"TKM-UZB"),
    _c("query intersecting nan", "query intersecting --boundary road_nan.geojson", 2, r""),
    _c("query near lon 200", "query near --lon 200 --lat 10 --km 5", 2, r"200"),
    _c("query near lat 100", "query near --lon 10 --lat 100 --km 5", 2, r"100"),
    _c("query near swapped", "query near --lon 42.9 --lat -109.8 --km 5", 2, r"-109\.8"),
    _c("query near nan", "query near --lon nan --lat 10 --km 5", 2, r"nan"),
    _c("query near negative km", "query near --lon 10 --lat 10 --km -5", 2, r"-5"),
    _c("query near fremont", "query near --lon -109.797 --lat 42.925 --km 10", 0),
    _c("query transboundary unknown", "query transboundary --countries XXX", 2, r"XXX"),
    _c("query bad format", "query countries --format xml", 2, r"xml"),
    # map
    _c("map bad layer-by", "map -o out/m1.html --layer-by colour", 2, r"colour"),
    _c("map unknown highlight", "map -o out/m2.html --highlight-crossing XXX", 2, r"XXX"),
    _c("map bad catalogue", "map -o out/m3.html --cases bad_realm.geojson", 2, r"aerial"),
    _c("map nan in a line", "map -o out/m4.html --cases nan_in_line.geojson", 2, r"(?i)nan|finite"),
    _c("map output directory", "map -o a_directory", 2, r"a_directory.*directory"),
    _c("map output missing dir", "map -o nowhere/atlas.html", 2, r"nowhere.*does not exist"),
    _c("map output under a file", "map -o good.geojson/atlas.html", 2, r"good\.geojson"),
    # output is an input, or exists
    _c("cases output is input", "cases --cases good.geojson -o good.geojson", 2, r"input"),
    _c(
        "cases output is input, geojson",
        "cases --cases good.geojson -f geojson -o good.geojson",
        2,
        r"input",
    ),
    _c("map output is input", "map --cases good.geojson -o good.geojson", 2, r"input"),
    _c(
        "query output is input",
        "query crossing --boundary road.geojson -o road.geojson",
        2,
        r"input",
    ),
    _c(
        "query output is cases",
        "query within --boundary TKM --cases good.geojson -f geojson -o good.geojson",
        2,
        r"input",
    ),
    _c("infra output is input", "infra crossings --line road.geojson -o road.geojson", 2, r"input"),
    _c("cases output exists", "cases -f csv -o habitat.asc", 2, r"(?i)exists.*--force"),
    # infra
    _c("infra points as line", "infra crossings --line road_points.geojson", 2, r"(?i)line"),
    _c("infra null lines", "infra crossings --line road_null.geojson", 2, r"(?i)geometr"),
    _c("infra directory line", "infra crossings --line a_directory", 2, r"directory"),
    _c("infra missing line", "infra crossings --line nowhere.geojson", 2, r"nowhere"),
    _c("infra garbage line", "infra crossings --line road_garbage.gpkg", 2, r"road_garbage"),
    _c("infra nan line", "infra crossings --line road_nan.geojson", 2, r"(?i)nan|finite"),
    _c("infra directory corridors", "infra crossings --corridors a_directory", 2, r"directory"),
    _c("infra road", "infra crossings --line road.geojson --cases good.geojson", 0),
    # circuit jobs
    _c("circuit good job", "circuit job.ini --output-dir out --force", 0),
    _c("circuit missing job", "circuit nowhere.ini", 2, r"nowhere\.ini"),
    _c("circuit directory job", "circuit a_directory", 2, r"a_directory.*directory"),
    _c("circuit not an ini", "circuit not_an_ini.ini", 2, r"not_an_ini\.ini"),
    _c("circuit header 4x4", "circuit job_header_4x4.ini", 2, r"header_4x4\.asc.*(?s:.*)5"),
    _c("circuit header 3x7", "circuit job_header_3x7.ini", 2, r"header_3x7\.asc"),
    _c("circuit text cells", "circuit job_text_cells.ini", 2, r"abc"),
    _c("circuit nan cells", "circuit job_nan_cells.ini", 2, r"(?i)nan"),
    _c("circuit truncated", "circuit job_truncated.ini", 2, r"truncated\.asc"),
    _c("circuit negative cellsize", "circuit job_negative_cellsize.ini", 2, r"cellsize"),
    _c("circuit all nodata", "circuit job_all_nodata.ini", 2, r"all_nodata\.asc"),
    _c("circuit negative cells", "circuit job_negative_cells.ini", 2, r"-3"),
    _c("circuit no header", "circuit job_no_header.ini", 2, r"no_header\.asc"),
    _c("circuit missing habitat", "circuit job_missing_habitat.ini", 2, r"nowhere\.asc"),
    _c("circuit habitat directory", "circuit job_habitat_dir.ini", 2, r"a_directory.*directory"),
    _c("circuit one point", "circuit job_one_point.ini", 2, r"one_point\.asc"),
    _c("circuit unknown scenario", "circuit job_unknown_scenario.ini", 2, r"sideways"),
    _c("circuit unknown data type", "circuit job_unknown_data_type.ini", 2, r"vector"),
    _c("circuit output is input", "circuit job_output_is_habitat.ini", 2, r"habitat\.asc"),
    _c("circuit bad boolean", "circuit job_bad_bool.ini", 2, r"maybe"),
    _c("circuit output dir is a file", "circuit job.ini --output-dir good.geojson", 2, r"good"),
]


@pytest.mark.parametrize("row", CLI_ROWS, ids=lambda r: r.name)
def test_cli_row(inputs: Path, row: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(inputs)
    before = _digests(inputs)
    argv = [a.strip("'") for a in row.argv]
    result = runner.invoke(app, argv, env={"COLUMNS": "120"})
    message = result.stderr
    assert result.exit_code == row.exit_code, f"{row.argv}: exit {result.exit_code}\n{message}"
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{row.argv}: {result.exception!r}"
    )
    assert "Traceback" not in result.output
    # numpy's own floating-point warnings (NaN read from a file) never reach the user.
    assert "encountered in" not in result.output, f"{row.argv}: {result.output}"
    if row.match:
        assert _search(row.match, message + result.stdout), f"{row.argv}: {message}"
    if row.exit_code == 2:
        assert "error:" in message, message
        assert "no matching cases" not in message
    assert _digests(inputs) == before, f"{row.argv} changed an input"


def _search(pattern: str, text: str) -> bool:
    import re

    return re.search(pattern, " ".join(text.split())) is not None


# ------------------------------------------------------------------------- library


@dataclass(frozen=True)
class Lib:
    """One library call, the exception it must raise (None: accepted) and a pattern."""

    name: str
    call: Callable[[Path], Any]
    raises: type[BaseException] | None
    match: str = ""
    builtin: type[BaseException] | None = None


def _cases() -> gpd.GeoDataFrame:
    return corridors.load_cases()


def _line(coords: list[tuple[float, float]]) -> gpd.GeoDataFrame:
    with warnings.catch_warnings():
        # shapely itself warns when it builds a line with NaN: that is the test's input,
        # not something corridors let through.
        warnings.simplefilter("ignore", RuntimeWarning)
        return gpd.GeoDataFrame(geometry=[shapely.LineString(coords)], crs="EPSG:4326")


LIB_ROWS: list[Lib] = [
    Lib(
        "load missing",
        lambda d: corridors.load_cases(d / "nowhere.geojson"),
        DataFileError,
        r"nowhere\.geojson",
        OSError,
    ),
    Lib(
        "load directory",
        lambda d: corridors.load_cases(d / "a_directory"),
        DataFileError,
        r"directory",
    ),
    Lib(
        "load garbage",
        lambda d: corridors.load_cases(d / "garbage.geojson"),
        CorridorsError,
        r"garbage\.geojson",
    ),
    Lib(
        "load deep",
        lambda d: corridors.load_cases(d / "deep.geojson"),
        CorridorsError,
        r"deep\.geojson",
    ),
    Lib(
        "load crs string",
        lambda d: corridors.load_cases(d / "crs_string.geojson"),
        CorridorsError,
        r"EPSG:3857",
    ),
    Lib(
        "load problems",
        lambda d: corridors.load_cases(d / "bad_realm.geojson"),
        ValidationError,
        r"aerial",
        ValueError,
    ),
    Lib(
        "validate crs string",
        lambda d: corridors.validate(d / "crs_string.geojson"),
        CorridorsError,
        r"EPSG:3857",
    ),
    Lib(
        "validate deep",
        lambda d: corridors.validate(d / "deep.geojson"),
        CorridorsError,
        r"deep\.geojson",
    ),
    Lib(
        "validate own source",
        lambda d: _expect_empty(corridors.validate(d / "own_source.geojson")),
        None,
    ),
    Lib(
        "load unsupported suffix",
        lambda d: corridors.load_cases(d / "catalogue.txt"),
        DataFileError,
        r"catalogue\.txt",
    ),
    Lib(
        "get_case unknown",
        lambda d: corridors.get_case("no-such-case"),
        UnknownCaseError,
        r"no-such-case",
        LookupError,
    ),
    Lib(
        "get_case old id",
        lambda d: corridors.get_case("fremont-lake-bottleneck"),
        UnknownCaseError,
        r"fremont-lake-mule-deer",
    ),
    Lib(
        "get_case prefix",
        lambda d: _expect_id(corridors.get_case("koytendag"), "koytendag-turkmenistan-uzbekistan"),
        None,
    ),
    Lib(
        "get_case word",
        lambda d: _expect_id(corridors.get_case("fremont"), "fremont-lake-mule-deer"),
        None,
    ),
    Lib(
        "get_case ambiguous",
        lambda d: corridors.get_case("wildlifeconnect"),
        UnknownCaseError,
        r"wildlifeconnect-central-india",
    ),
    Lib(
        "crossing unknown code",
        lambda d: corridors.crossing(_cases(), "XXX"),
        UnknownCountryError,
        r"XXX",
        LookupError,
    ),
    Lib(
        "crossing no shared border",
        lambda d: corridors.crossing(_cases(), "TKM-USA"),
        CorridorsError,
        r"TKM.*USA",
    ),
    Lib(
        "crossing nan road",
        lambda d: corridors.crossing(_cases(), _line([(66, 37.9), (math.nan, 37.9)])),
        BoundaryError,
        r"(?i)nan|finite",
        ValueError,
    ),
    Lib(
        "crossing nan road file",
        lambda d: corridors.crossing(_cases(), d / "road_nan.geojson"),
        BoundaryError,
        r"road_nan\.geojson",
    ),
    Lib(
        "crossing inf road",
        lambda d: corridors.crossing(_cases(), _line([(66, 37.9), (math.inf, 37.9)])),
        BoundaryError,
        r"(?i)inf|finite",
    ),
    Lib(
        "crossing lon 500 road",
        lambda d: corridors.crossing(_cases(), _line([(66, 37.9), (500, 37.9)])),
        CorridorsError,
        r"500",
    ),
    Lib(
        "crossing null boundary",
        lambda d: corridors.crossing(_cases(), d / "road_null.geojson"),
        CorridorsError,
        r"(?i)geometr",
    ),
    Lib(
        "crossing directory",
        lambda d: corridors.crossing(_cases(), d / "a_directory"),
        CorridorsError,
        r"directory",
    ),
    Lib(
        "crossing negative tolerance",
        lambda d: corridors.crossing(_cases(), "TKM", tolerance_km=-1),
        InputError,
        r"-1",
    ),
    Lib(
        "crossing nan tolerance",
        lambda d: corridors.crossing(_cases(), "TKM", tolerance_km=math.nan),
        InputError,
        r"nan",
    ),
    Lib(
        "crossing road",
        lambda d: _expect_rows(
            corridors.crossing(corridors.load_cases(d / "good.geojson"), d / "road.geojson")
        ),
        None,
    ),
    Lib(
        "near lon 200",
        lambda d: corridors.near(_cases(), shapely.Point(200, 10), crs="EPSG:4326", distance_km=5),
        CorridorsError,
        r"200",
    ),
    Lib(
        "near lat 100",
        lambda d: corridors.near(_cases(), shapely.Point(10, 100), crs="EPSG:4326", distance_km=5),
        CorridorsError,
        r"100",
    ),
    Lib(
        "near swapped",
        lambda d: corridors.near(
            _cases(), shapely.Point(42.925, -109.797), crs="EPSG:4326", distance_km=5
        ),
        CorridorsError,
        r"(?i)swap",
    ),
    Lib(
        "near nan",
        lambda d: corridors.near(
            _cases(), shapely.Point(math.nan, math.nan), crs="EPSG:4326", distance_km=5
        ),
        CorridorsError,
        r"(?i)nan|finite",
    ),
    Lib(
        "near empty point",
        lambda d: corridors.near(_cases(), shapely.Point(), crs="EPSG:4326", distance_km=5),
        CorridorsError,
        r"(?i)empty",
    ),
    Lib(
        "near negative km",
        lambda d: corridors.near(_cases(), shapely.Point(10, 10), crs="EPSG:4326", distance_km=-5),
        InputError,
        r"-5",
    ),
    Lib(
        "near no crs",
        lambda d: corridors.near(_cases(), shapely.Point(10, 10), distance_km=5),
        CorridorsError,
        r"(?i)crs",
    ),
    Lib(
        "near fremont",
        lambda d: _expect_rows(
            corridors.near(
                _cases(), shapely.Point(-109.797, 42.925), crs="EPSG:4326", distance_km=10
            )
        ),
        None,
    ),
    Lib(
        "within a border",
        lambda d: corridors.within(_cases(), "TKM-UZB"),
        CorridorsError,
        r"TKM-UZB",
    ),
    Lib(
        "transboundary unknown",
        lambda d: corridors.transboundary(countries=["XXX"]),
        UnknownCountryError,
        r"XXX",
    ),
    Lib(
        "infra points as lines",
        lambda d: _infra(d, gpd.read_file(d / "road_points.geojson")),
        InputError,
        r"(?i)line",
    ),
    Lib(
        "infra nan line",
        lambda d: _infra(d, _line([(66, 37.9), (math.nan, 37.9)])),
        CorridorsError,
        r"(?i)nan|finite",
    ),
    Lib("infra bare line", lambda d: _expect_rows(_infra(d, shapely.LineString(ROAD))), None),
    Lib(
        "cost distance header 4x4",
        lambda d: _cost(d / "header_4x4.asc"),
        RasterError,
        r"header_4x4\.asc",
        ValueError,
    ),
    Lib(
        "cost distance header 3x7",
        lambda d: _cost(d / "header_3x7.asc"),
        RasterError,
        r"header_3x7\.asc",
    ),
    Lib("cost distance text cells", lambda d: _cost(d / "text_cells.asc"), RasterError, r"abc"),
    Lib("cost distance nan cells", lambda d: _cost(d / "nan_cells.asc"), RasterError, r"(?i)nan"),
    Lib(
        "cost distance truncated",
        lambda d: _cost(d / "truncated.asc"),
        RasterError,
        r"truncated\.asc",
    ),
    Lib(
        "cost distance directory", lambda d: _cost(d / "a_directory"), CorridorsError, r"directory"
    ),
    Lib(
        "cost distance zero cells", lambda d: _cost(d / "zero_cells.asc"), RasterError, r"(?i)zero"
    ),
    Lib(
        "circuit run header 4x4",
        lambda d: corridors.circuit.run(d / "job_header_4x4.ini", base_dir=d),
        RasterError,
        r"header_4x4\.asc",
    ),
    Lib(
        "circuit run output is input",
        lambda d: corridors.circuit.run(d / "job_output_is_habitat.ini", base_dir=d),
        OutputError,
        r"habitat\.asc",
    ),
    Lib(
        "save_map over an input",
        lambda d: corridors.save_map(corridors.build_map(offline=True), d / "good.geojson"),
        OutputError,
        r"exists",
    ),
    Lib(
        "save_map into a directory",
        lambda d: corridors.save_map(corridors.build_map(offline=True), d / "a_directory"),
        OutputError,
        r"directory",
    ),
    Lib(
        "build_map bad layer_by",
        lambda d: corridors.build_map(layer_by="colour"),
        CorridorsError,
        r"colour",
    ),
]


def _expect_empty(value: list[Any]) -> None:
    assert value == [], value


def _expect_id(frame: gpd.GeoDataFrame, case_id: str) -> None:
    assert list(frame.index) == [case_id]


def _expect_rows(frame: gpd.GeoDataFrame) -> None:
    assert len(frame) > 0


def _infra(folder: Path, lines: Any) -> gpd.GeoDataFrame:
    cases = corridors.load_features(folder / "good.geojson")
    return corridors.leastcost.infrastructure_crossings(cases[cases["role"] == "area"], lines)


def _cost(path: Path) -> Any:
    from corridors.leastcost import cost_distance

    return cost_distance(path, [shapely.Point(50, 450)], crs="EPSG:32642")


@pytest.mark.parametrize("row", LIB_ROWS, ids=lambda r: r.name)
def test_library_row(inputs: Path, row: Lib) -> None:
    before = _digests(inputs)
    with warnings.catch_warnings():
        # numpy and shapely warnings about NaN would mean the input got past the checks.
        warnings.simplefilter("error", RuntimeWarning)
        if row.raises is None:
            row.call(inputs)
        else:
            with pytest.raises(row.raises) as info:
                row.call(inputs)
            assert isinstance(info.value, CorridorsError)
            if row.builtin is not None:
                assert isinstance(info.value, row.builtin)
            assert _search(row.match, str(info.value)), str(info.value)
    assert _digests(inputs) == before


# ------------------------------------------------------------------------- summary


@dataclass
class _Tally:
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, outcome: str) -> None:
        self.counts[outcome] = self.counts.get(outcome, 0) + 1


def test_outcome_table(capsys: pytest.CaptureFixture[str]) -> None:
    """Print every row with its expected outcome; the table is the note's evidence."""
    tally = _Tally()
    lines = []
    for row in CLI_ROWS:
        outcome = {0: "accepted", 1: "problems listed"}.get(row.exit_code, "clear error")
        tally.add(outcome)
        lines.append(
            f"cli  | {row.name:<34} | corridors {' '.join(row.argv)} | exit {row.exit_code}"
        )
    for lib in LIB_ROWS:
        outcome = "accepted" if lib.raises is None else "clear error"
        tally.add(outcome)
        raised = lib.raises.__name__ if lib.raises else "-"
        lines.append(f"lib  | {lib.name:<34} | {raised}")
    with capsys.disabled():
        if os.environ.get("CORRIDORS_PRINT_TABLE"):
            print("\n" + "\n".join(lines))
            print(tally.counts, "total", len(CLI_ROWS) + len(LIB_ROWS))
    assert len(CLI_ROWS) + len(LIB_ROWS) >= 149
    assert set(tally.counts) == {"accepted", "problems listed", "clear error"}
