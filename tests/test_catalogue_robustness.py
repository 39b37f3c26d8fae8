"""Whatever a catalogue file holds, reading it ends in a result or a ``CorridorsError``.

Arbitrary bytes, arbitrary JSON and FeatureCollections with arbitrary properties and
geometries go to :func:`corridors.validate` and :func:`corridors.load_cases`: nothing but
a ``CorridorsError`` may escape, and the two must agree (a file that validates clean
loads; a file with problems raises a ``ValidationError`` listing the same problems).
The named tests after the property tests pin the hostile inputs found while writing
them: deep nesting, string ``crs`` members, huge integers, deep WKT.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest
import shapely
from catalogue_factory import make_feature, make_site
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import corridors
from corridors import schema
from corridors.errors import CorridorsError, DataFileError, Problem, ValidationError

# Enough examples to reach the odd corners, few enough for a minute on a shared machine.
SETTINGS = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
FEW = settings(SETTINGS, max_examples=60)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("robust")


def _outcome(path: Path) -> list[Problem] | None:
    """Validate and load ``path``; fail on anything but a CorridorsError or agreement.

    Returns the problems, or None when the file could not be read at all.
    """
    try:
        problems = corridors.validate(path)
    except CorridorsError as exc:
        with pytest.raises(CorridorsError) as again:
            corridors.load_cases(path)
        assert type(again.value) is type(exc), (exc, again.value)
        return None
    assert all(isinstance(p, Problem) and p.source == str(path) for p in problems)
    if problems:
        with pytest.raises(ValidationError) as info:
            corridors.load_cases(path)
        assert info.value.problems == problems
    else:
        cases = corridors.load_cases(path)
        assert isinstance(cases, gpd.GeoDataFrame) and len(cases) >= 1
    return problems


# ------------------------------------------------------------------------ strategies

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()  # NaN and infinities too: Python's json reads and writes them
    | st.text(max_size=12)
)
JSON = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=16,
)
FIELDS = [*schema.SPECS, "lon", "lat", "crs", "type", "geometry"]
LON = st.floats(-180, 180)
LAT = st.floats(-90, 90)
POINT = st.tuples(LON, LAT).map(list)
GEOMETRY_TYPES = [
    "Point",
    "MultiPoint",
    "LineString",
    "MultiLineString",
    "Polygon",
    "MultiPolygon",
    "GeometryCollection",
    "Feature",
    "",
]


def _nest(depth: int) -> st.SearchStrategy[Any]:
    """Coordinates nested ``depth`` levels deep (0: one position), loosely shaped."""
    if depth == 0:
        return POINT | st.lists(st.floats(), max_size=3) | JSON
    return st.lists(_nest(depth - 1), max_size=4)


COORDINATES = st.integers(0, 4).flatmap(_nest)
# Geometries: GeoJSON-shaped with any type and any nesting, in range or not; plainly
# valid ones (a point or a box somewhere on Earth) that reach the geography check;
# collections of those; and arbitrary JSON.
SHAPED = st.fixed_dictionaries(
    {"type": st.sampled_from(GEOMETRY_TYPES), "coordinates": COORDINATES}
)


@st.composite
def _box(draw: st.DrawFn) -> dict[str, Any]:
    x, y = draw(st.floats(-180, 179)), draw(st.floats(-90, 89))
    w, h = draw(st.floats(1e-3, 1)), draw(st.floats(1e-3, 1))
    return shapely.geometry.mapping(shapely.box(x, y, x + w, y + h))


def _hair_line(xy: list[float]) -> dict[str, Any]:
    """A line whose vertices are distinct in degrees but coincide once projected."""
    return {"type": "LineString", "coordinates": [xy, [math.nextafter(xy[0], 180), xy[1]]]}


PLACED = POINT.map(lambda xy: {"type": "Point", "coordinates": xy}) | _box() | POINT.map(_hair_line)
COLLECTION = st.lists(PLACED | SHAPED, max_size=3).map(
    lambda gs: {"type": "GeometryCollection", "geometries": gs}
)
GEOMETRY = SHAPED | PLACED | COLLECTION | JSON
# The factory's valid properties with some fields replaced by anything, so that records
# get past some checks and into the next (case consistency, geography).
PROPERTIES = st.dictionaries(st.sampled_from(FIELDS), JSON, max_size=4).map(
    lambda over: {**make_feature()["properties"], **over}
) | st.dictionaries(st.text(max_size=10), JSON, max_size=6)
COUNTRIES = st.sampled_from([["TKM", "UZB"], ["TKM"], ["AFG"], ["CRI"], ["KAZ", "TKM"]])


@st.composite
def _feature(draw: st.DrawFn) -> Any:
    kind = draw(st.integers(0, 9))
    if kind == 0:
        return draw(JSON)
    props = draw(PROPERTIES)
    if kind >= 5:  # valid properties in countries the geography check knows
        props = {
            **make_feature()["properties"],
            "countries": draw(COUNTRIES),
            "uncertainty_km": draw(st.sampled_from([0, 0.5, 5, 50, 1e6])),
            "role": draw(st.sampled_from(schema.ROLES)),
            "realm": draw(st.sampled_from(schema.REALMS)),
        }
    feature: dict[str, Any] = {"type": "Feature", "properties": props}
    feature["geometry"] = draw(GEOMETRY | st.none())
    return feature


ANY_COLLECTION = st.builds(
    lambda features, extra: {"type": "FeatureCollection", "features": features, **extra},
    st.lists(_feature(), max_size=4),
    st.dictionaries(st.sampled_from(["crs", "bbox", "name"]), JSON | st.text(), max_size=1),
)


@st.composite
def _nearly_valid(draw: st.DrawFn) -> dict[str, Any]:
    """The factory's valid case plus sites around it, now and then one field off."""
    features = [make_feature()]
    for i in range(draw(st.integers(1, 3))):
        lon, lat = draw(st.floats(65.5, 67.5)), draw(st.floats(37.0, 38.6))
        site = make_site(
            feature_id=f"test-case/site-{i}",
            geometry={"type": "Point", "coordinates": [lon, lat]},
            uncertainty_km=draw(st.sampled_from([0.1, 2, 20, 100])),
        )
        if draw(st.integers(0, 4)) == 0:
            site["properties"].update(draw(st.dictionaries(st.sampled_from(FIELDS), JSON)))
        features.append(site)
    return {"type": "FeatureCollection", "features": features}


COLLECTIONS = ANY_COLLECTION | _nearly_valid()


# ----------------------------------------------------------------- property tests


@SETTINGS
@given(doc=COLLECTIONS)
def test_any_feature_collection(folder: Path, doc: dict[str, Any]) -> None:
    path = folder / "collection.geojson"
    path.write_text(json.dumps(doc), encoding="utf-8")
    _outcome(path)


@SETTINGS
@given(doc=JSON)
def test_any_json(folder: Path, doc: Any) -> None:
    path = folder / "any.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    assert _outcome(path) is None or isinstance(doc, dict)


@SETTINGS
@given(raw=st.binary(max_size=600), suffix=st.sampled_from([".geojson", ".gpkg", ".csv"]))
def test_any_bytes(folder: Path, raw: bytes, suffix: str) -> None:
    path = folder / f"bytes{suffix}"
    path.write_bytes(raw)
    _outcome(path)


CELL = st.text(max_size=12) | st.sampled_from(["[", "[[1]]", "a; b", "NaN", "1e999", "-"])


@FEW
@given(
    columns=st.lists(st.sampled_from([*FIELDS, "wkt", "x", "y"]), min_size=1, max_size=6),
    rows=st.lists(st.lists(CELL, min_size=6, max_size=6), max_size=3),
    base=st.booleans(),
)
def test_any_csv(folder: Path, columns: list[str], rows: list[list[str]], base: bool) -> None:
    # Optionally start from a valid row, so that garbage cells meet the later checks.
    props = make_site()["properties"] if base else {}
    header = [*props, "lon", "lat", *columns]
    lines = [",".join(json.dumps(h) for h in header)]
    for row in rows or [[""] * 6]:
        values = [json.dumps(v) if not isinstance(v, str) else v for v in props.values()]
        cells = [*values, "66.5", "37.8", *row[: len(columns)]]
        lines.append(",".join(json.dumps(str(c)) for c in cells))
    path = folder / "table.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    _outcome(path)


@FEW
@given(values=st.dictionaries(st.sampled_from(list(schema.SPECS)), CELL, max_size=5))
def test_geopackage_with_garbage_values(folder: Path, values: dict[str, str]) -> None:
    props = {**make_site()["properties"], **values}
    row = {k: json.dumps(v) if not isinstance(v, str) else v for k, v in props.items()}
    frame = gpd.GeoDataFrame([row], geometry=[shapely.Point(66.5, 37.8)], crs="EPSG:4326")
    path = folder / "garbage_values.gpkg"
    frame.to_file(path, driver="GPKG")
    _outcome(path)


# ------------------------------------------------------------ hostile inputs, named


def _write(path: Path, doc: Any) -> Path:
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_deep_nesting_is_a_data_file_error(tmp_path: Path) -> None:
    path = tmp_path / "deep.geojson"
    path.write_text("[" * 200_000 + "]" * 200_000)
    for read in (corridors.validate, corridors.load_cases, corridors.load_features):
        with pytest.raises(DataFileError, match=r"deep\.geojson nests JSON .* too deeply"):
            read(path)


@pytest.mark.parametrize(
    ("crs", "message"),
    [
        ("EPSG:3857", r"string\.geojson declares CRS 'EPSG:3857'.*reproject"),
        (3857, r"string\.geojson has a 'crs' member 3857 that names no CRS"),
        ({"type": "link", "properties": {"href": "x"}}, r"'crs' member .* names no CRS"),
        ({"type": "name", "properties": "EPSG:4326"}, r"'crs' member .* names no CRS"),
        ([], r"'crs' member \[\] that names no CRS"),
    ],
    ids=["string", "number", "link", "properties-not-object", "list"],
)
def test_crs_member_that_is_not_lonlat(tmp_path: Path, crs: Any, message: str) -> None:
    doc = {"type": "FeatureCollection", "features": [make_site()], "crs": crs}
    path = _write(tmp_path / "string.geojson", doc)
    for read in (corridors.validate, corridors.load_cases, corridors.load_features):
        with pytest.raises(DataFileError, match=message):
            read(path)


@pytest.mark.parametrize(
    "crs",
    [
        "EPSG:4326",
        "urn:ogc:def:crs:OGC:1.3:CRS84",
        {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4326"}},
    ],
)
def test_crs_member_naming_lonlat_is_accepted(tmp_path: Path, crs: Any) -> None:
    doc = {"type": "FeatureCollection", "features": [make_feature(), make_site()], "crs": crs}
    path = _write(tmp_path / "lonlat.geojson", doc)
    assert corridors.validate(path) == []
    assert list(corridors.load_cases(path).index) == ["test-case"]


def test_huge_integer_is_a_data_file_error(tmp_path: Path) -> None:
    path = tmp_path / "big.geojson"
    path.write_text('{"type": "FeatureCollection", "features": [' + "9" * 5000 + "]}")
    with pytest.raises(DataFileError, match=r"big\.geojson holds a JSON value"):
        corridors.validate(path)


def test_deeply_nested_property_is_a_problem(tmp_path: Path) -> None:
    deep: Any = "x"
    for _ in range(500):
        deep = [deep]
    path = _write(
        tmp_path / "deep_props.geojson",
        {"type": "FeatureCollection", "features": [make_site(threats=deep)]},
    )
    text = "\n".join(map(str, corridors.validate(path)))
    assert "feature 0 (id 'test-case/site', case 'test-case'): field 'threats' nests over" in text


def test_deeply_nested_collection_is_a_problem(tmp_path: Path) -> None:
    geometry: dict[str, Any] = {"type": "Point", "coordinates": [66.5, 37.8]}
    for _ in range(200):
        geometry = {"type": "GeometryCollection", "geometries": [geometry]}
    path = _write(
        tmp_path / "deep_geom.geojson",
        {"type": "FeatureCollection", "features": [make_site(geometry=geometry)]},
    )
    problems = corridors.validate(path)
    assert any("GeometryCollection nested over" in p.message for p in problems), problems


def test_deep_wkt_in_csv_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    # GEOS parses WKT recursively in C: this much nesting killed the interpreter.
    wkt = "GEOMETRYCOLLECTION (" * 100_000 + "POINT (66.5 37.8)" + ")" * 100_000
    props = {k: v for k, v in make_site()["properties"].items() if k != "species"}
    path = tmp_path / "deep.csv"
    gpd.pd.DataFrame([{**props, "wkt": wkt}]).to_csv(path, index=False)
    problems = corridors.validate(path)
    assert any("WKT nested over" in p.message for p in problems), problems


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", r"empty\.csv is empty; a CSV catalogue needs a header row"),
        ('a,b\n"1,2\n', r"cannot read .*empty\.csv as CSV \(.*EOF inside string"),
        ("name,summary\nx,y\n", r"empty\.csv has no 'lon' and 'lat' columns"),
    ],
    ids=["empty", "unclosed-quote", "no-coordinates"],
)
def test_unreadable_csv(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "empty.csv"
    path.write_text(text)
    with pytest.raises(DataFileError, match=message):
        corridors.load_cases(path)


def test_plain_table_without_geometry(tmp_path: Path) -> None:
    import pyogrio

    path = tmp_path / "plain.gpkg"
    pyogrio.write_dataframe(gpd.pd.DataFrame({"case_id": ["x"], "name": ["y"]}), path)
    with pytest.raises(DataFileError, match=r"plain\.gpkg has no geometry column"):
        corridors.validate(path)


@pytest.mark.parametrize("read", [corridors.validate, corridors.load_cases])
def test_missing_file_directory_and_empty_path(tmp_path: Path, read: Any) -> None:
    with pytest.raises(DataFileError, match=r"nope\.geojson does not exist"):
        read(tmp_path / "nope.geojson")
    (tmp_path / "mine.geojson").write_text("{}")
    with pytest.raises(DataFileError, match=r"is a directory; .*\(e\.g\. mine\.geojson\)"):
        read(tmp_path)
    with pytest.raises(DataFileError, match="the catalogue path is empty"):
        read("")


def test_problem_values_are_shown_briefly(tmp_path: Path) -> None:
    # A huge value is named, not dumped whole into the message.
    path = _write(
        tmp_path / "long.geojson",
        {"type": "FeatureCollection", "features": [make_site(taxon=["x" * 10] * 10_000)]},
    )
    (problem,) = [p for p in corridors.validate(path) if "taxon" in p.message]
    assert len(problem.message) < 400


def test_point_the_local_projection_cannot_place_is_far_from_land() -> None:
    # cKDTree refuses non-finite points with a ValueError; such a point is far instead.
    import numpy as np

    from corridors import catalogue

    land = catalogue._land_near(("TKM", "UZB"), (66.5, 37.8), (60.0, 35.0, 70.0, 40.0))
    assert land is not None
    assert land.max_distance_km(np.array([[0.0, 0.0]]), 1.0) == 0.0  # the centre: on land
    assert land.max_distance_km(np.array([[0.0, 0.0], [np.inf, 0.0]]), 1.0) == math.inf
