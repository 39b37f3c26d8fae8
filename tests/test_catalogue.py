"""Loading and validating catalogues: the bundled one and users' own files."""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from pathlib import Path
from types import ModuleType

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from benchmark_scripts import load
from catalogue_factory import make_feature, make_site
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from shapely.geometry.base import BaseGeometry

import corridors
from corridors import catalogue, schema
from corridors.errors import (
    CorridorsError,
    DataFileError,
    InputError,
    UnknownCaseError,
    ValidationError,
)


def problems_text(path: Path) -> str:
    return "\n".join(str(p) for p in corridors.validate(path))


# ------------------------------------------------------------------ good catalogues


def test_user_catalogue_loads(good_catalogue: Path) -> None:
    cases = corridors.load_cases(good_catalogue)
    assert list(cases.index) == ["test-case"]
    assert cases.index.name == "id"
    assert cases.crs.to_epsg() == 4326
    row = cases.loc["test-case"]
    assert row["n_features"] == 2
    assert row["roles"] == ["area", "site"]
    assert row["uncertainty_km"] == 5.0
    assert row["countries"] == ["TKM", "UZB"]
    assert row.geometry.geom_type == "GeometryCollection"
    features = corridors.load_features(good_catalogue)
    assert list(features["feature_id"]) == ["test-case/area", "test-case/site"]
    assert set(features["role"]) == {"area", "site"}


def test_loading_never_modifies_the_file(good_catalogue: Path) -> None:
    before = hashlib.sha256(good_catalogue.read_bytes()).hexdigest()
    corridors.load_cases(good_catalogue)
    corridors.validate(good_catalogue)
    assert hashlib.sha256(good_catalogue.read_bytes()).hexdigest() == before


def test_csv_catalogue_with_lon_lat(tmp_path: Path) -> None:
    props = make_site()["properties"]
    row = {k: v for k, v in props.items() if k not in ("species", "countries")}
    row.update(
        {
            "lon": 66.5,
            "lat": 37.8,
            "species": "Markhor (Capra falconeri); Urial (Ovis vignei)",
            "countries": "TKM",
            "interventions": "capacity building",
            "threats": "overgrazing; hunting",
            "organisations": "Test organisation",
        }
    )
    path = tmp_path / "cat.csv"
    pd.DataFrame([row]).to_csv(path, index=False)
    features = corridors.load_features(path)
    assert features.loc[0, "species"][1] == {"common": "Urial", "scientific": "Ovis vignei"}
    assert features.loc[0, "threats"] == ["overgrazing", "hunting"]
    assert features.geometry[0].equals(shapely.Point(66.5, 37.8))


def test_geopackage_catalogue(tmp_path: Path) -> None:
    features = corridors.load_features(
        _write(tmp_path, [make_feature(), make_site()], "cat.geojson")
    )
    out = features.copy()
    for col in schema.LIST_FIELDS:
        out[col] = out[col].map(json.dumps)
    path = tmp_path / "cat.gpkg"
    out.to_file(path, driver="GPKG")
    again = corridors.load_features(path)
    assert again["species"].tolist() == features["species"].tolist()
    assert again["countries"].tolist() == features["countries"].tolist()


def test_round_trip_through_to_geojson(good_catalogue: Path, tmp_path: Path) -> None:
    features = corridors.load_features(good_catalogue)
    text = corridors.to_geojson(features)
    assert text == corridors.to_geojson(features.iloc[::-1])  # order-independent
    target = corridors.save_catalogue(features, tmp_path / "out.geojson")
    again = corridors.load_features(target)
    assert again.drop(columns="geometry").equals(features.drop(columns="geometry"))
    assert again.geometry.geom_equals_exact(features.geometry, tolerance=1e-6).all()
    with pytest.raises(CorridorsError, match="overwrite=True"):
        corridors.save_catalogue(features, target)


def _write(tmp_path: Path, features: list[dict], name: str) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


# ------------------------------------------------------------------ bad catalogues

BAD_RECORDS = [
    pytest.param({"realm": "aerial"}, r"unknown realm 'aerial'", id="unknown-realm"),
    pytest.param({"role": "corridor"}, r"unknown role 'corridor'", id="unknown-role"),
    pytest.param({"scale": "global"}, r"unknown scale 'global'", id="unknown-scale"),
    pytest.param({"taxon": "mammal"}, r"did you mean 'mammals'", id="near-miss-taxon"),
    pytest.param({"realms": "marine"}, r"unknown field 'realms'.*'realm'", id="unknown-field"),
    pytest.param({"countries": ["TM"]}, r"'TM' is not ISO 3166-1 alpha-3", id="iso-format"),
    pytest.param({"countries": ["TKM", "XYZ"]}, r"'XYZ' is not in the bundled", id="iso-unknown"),
    pytest.param({"uncertainty_km": -1}, r"uncertainty_km.*>= 0", id="negative-uncertainty"),
    pytest.param({"uncertainty_km": "far"}, r"uncertainty_km.*number", id="text-uncertainty"),
    pytest.param({"source_url": "javascript:alert(1)"}, r"http:// or https://", id="bad-url"),
    pytest.param({"case_id": "Test Case"}, r"not a slug", id="case-id-slug"),
    pytest.param({"feature_id": "other/area"}, r"must start with its case_id", id="fid-prefix"),
    pytest.param({"summary": "word " * 120}, r"120 words", id="long-summary"),
    pytest.param({"species": ["Markhor"]}, r"species\[0\]", id="species-shape"),
    pytest.param(
        {"source": "wikipedia", "source_url": None},
        r"unknown source 'wikipedia' has no source_url: .*http\(s\) source_url",
        id="own-source-without-url",
    ),
    pytest.param(
        {"source": "panorama-cms-cop41"},
        r"unknown source 'panorama-cms-cop41': did you mean 'panorama-cms-cop14'",
        id="misspelt-seed-source",
    ),
    pytest.param(
        {"geometry": {"type": "Point", "coordinates": [66.5, 37.8]}},
        r"'area' must be a Polygon or MultiPolygon, not a Point",
        id="role-geometry",
    ),
    pytest.param({"geometry": None}, r"geometry is missing", id="null-geometry"),
    pytest.param(
        {"geometry": {"type": "Polygon", "coordinates": []}}, r"geometry is empty", id="empty"
    ),
    pytest.param(
        {
            "geometry": {
                "type": "Polygon",
                "coordinates": [
                    [[66.3, 37.7], [66.9, 38.1], [66.9, 37.7], [66.3, 38.1], [66.3, 37.7]]
                ],
            }
        },
        r"invalid Polygon: Self-intersection",
        id="bowtie",
    ),
    pytest.param(
        {
            "geometry": {
                "type": "Polygon",
                "coordinates": [[[66.3, 37.7], [66.9, 37.7], [66.9, 1e9], [66.3, 37.7]]],
            }
        },
        r"outside longitude .* latitude",
        id="out-of-range",
    ),
    pytest.param(
        {
            "geometry": {
                "type": "Polygon",
                "coordinates": [[[7.4e6, 4.5e6], [7.5e6, 4.5e6], [7.5e6, 4.6e6], [7.4e6, 4.5e6]]],
            }
        },
        r"projected metres: reproject the file to EPSG:4326",
        id="projected-coordinates",
    ),
]


@pytest.mark.parametrize(("override", "message"), BAD_RECORDS)
def test_bad_record_is_reported_with_location(
    write_catalogue, override: dict, message: str
) -> None:
    path = write_catalogue([make_site(), make_feature(**override)])
    text = problems_text(path)
    assert "feature 1" in text, text
    assert str(path) in text
    import re

    assert re.search(message, text), text
    with pytest.raises(ValidationError, match=message) as info:
        corridors.load_cases(path)
    assert isinstance(info.value, ValueError)


def test_nan_coordinates_are_reported(tmp_path: Path) -> None:
    text = json.dumps(
        {
            "type": "FeatureCollection",
            "features": [make_site(geometry={"type": "Point", "coordinates": [0, 0]})],
        }
    ).replace("[0, 0]", "[NaN, 37.8]")
    path = tmp_path / "nan.geojson"
    path.write_text(text)
    assert "NaN" in problems_text(path)


def test_missing_field(write_catalogue) -> None:
    feature = make_feature()
    del feature["properties"]["realm"]
    path = write_catalogue([feature])
    assert "missing field 'realm'" in problems_text(path)


def test_swapped_lon_lat_is_detected(write_catalogue) -> None:
    path = write_catalogue([make_site(geometry={"type": "Point", "coordinates": [37.8, 66.5]})])
    text = problems_text(path)
    assert "outside its declared countries" in text
    assert "swapped" in text


def test_swapped_coordinates_reported_alongside_other_problems(write_catalogue) -> None:
    path = write_catalogue(
        [make_site(realm="aerial", geometry={"type": "Point", "coordinates": [37.8, 66.5]})]
    )
    text = problems_text(path)
    assert "unknown realm 'aerial'" in text
    assert "swapped" in text


def test_geography_skips_records_it_cannot_place(write_catalogue) -> None:
    # Unknown country and negative uncertainty: reported, but no geography guesswork.
    path = write_catalogue([make_site(countries=["XYZ"], uncertainty_km=-1)])
    text = problems_text(path)
    assert "'XYZ' is not in the bundled" in text
    assert "outside its declared countries" not in text


def test_feature_in_undeclared_country_names_it(write_catalogue) -> None:
    # A point in Afghanistan, declared as Turkmenistan/Uzbekistan.
    path = write_catalogue([make_site(geometry={"type": "Point", "coordinates": [67.5, 36.0]})])
    text = problems_text(path)
    assert "AFG" in text and "add the missing country code" in text


def _load_benchmark() -> ModuleType:
    return load("catalogue")


# The geography check as first written (shapely.distance at every point): slow and
# plainly right, the peer of benchmarks/catalogue.py and the reference the fast check
# (vertex KD-tree, prepared land, edge STRtree) must agree with.
_reference_outside_km = _load_benchmark().plain_outside_km


# Inland borders (TKM/UZB, AFG) and a coast with islands (CRI).
PLACES = [("TKM", "UZB"), ("TKM",), ("AFG",), ("CRI",)]


@st.composite
def _placed(draw: st.DrawFn) -> tuple[BaseGeometry, tuple[str, ...], float]:
    codes = draw(st.sampled_from(PLACES))
    minx, miny, maxx, maxy = catalogue._countries_union(codes).bounds
    x, y = draw(st.floats(minx - 1, maxx + 1)), draw(st.floats(miny - 1, maxy + 1))
    dx, dy = draw(st.floats(-1, 1)), draw(st.floats(-1, 1))
    kind = draw(st.sampled_from(["point", "line", "box"]))
    if kind == "point":
        geometry: BaseGeometry = shapely.Point(x, y)
    elif kind == "line":
        geometry = shapely.LineString([(x, y), (x + dx, y + dy), (x + dx, y)])
    else:
        geometry = shapely.box(x, y, x + abs(dx) + 1e-3, y + abs(dy) + 1e-3)
    assume(geometry.is_valid)  # as the validator, which places valid geometries only
    return geometry, codes, draw(st.sampled_from([0.1, 1.0, 5.0, 50.0, 370.4]))


def test_vertices_that_coincide_in_metres_are_measured(write_catalogue) -> None:
    # Valid in degrees (distinct vertices), degenerate once projected: GEOS's segmentize
    # refused it and the error escaped validate. In Afghanistan near Turkmenistan, so
    # that it is measured.
    x = 66.8
    line = [[x, 36.9], [float(np.nextafter(x, 90)), 36.9]]
    path = write_catalogue(
        [
            make_feature(),
            make_site(role="barrier", geometry={"type": "LineString", "coordinates": line}),
        ]
    )
    text = problems_text(path)
    assert "outside its declared countries TKM, UZB" in text and "AFG" in text, text


@settings(max_examples=80, deadline=None)
@given(case=_placed())
def test_geography_check_agrees_with_the_plain_distance(
    case: tuple[BaseGeometry, tuple[str, ...], float],
) -> None:
    geometry, codes, allow = case
    fast = catalogue._max_outside_km(geometry, codes, allow)
    try:
        reference = _reference_outside_km(geometry, codes, allow)
    except shapely.errors.GEOSException:
        # Vertices that coincide once projected: see test_vertices_that_coincide_...
        assume(False)
    # The same verdict, and the same figure whenever it is reported (over the allowance).
    assert (fast > allow) == (reference > allow), (fast, reference)
    if reference > allow:
        assert fast == reference


def test_case_must_touch_every_declared_country(write_catalogue) -> None:
    path = write_catalogue([make_site(countries=["KAZ", "TKM", "UZB"])])
    text = problems_text(path)
    assert "declares KAZ" in text


def test_duplicate_ids_and_inconsistent_case_fields(write_catalogue) -> None:
    path = write_catalogue([make_feature(), make_feature(name="Another name")])
    text = problems_text(path)
    assert "duplicate feature_id 'test-case/area' (also feature 0)" in text
    assert "case field 'name' differs from feature 0" in text


def test_every_problem_is_reported_at_once(write_catalogue) -> None:
    path = write_catalogue(
        [make_feature(realm="aerial"), make_site(role="tunnel", uncertainty_km=-3)]
    )
    problems = corridors.validate(path)
    assert len(problems) >= 3
    with pytest.raises(ValidationError) as info:
        corridors.load_features(path)
    assert len(info.value.problems) == len(problems)


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.geojson"
    text = json.dumps(
        {"type": "FeatureCollection", "features": [make_site(name="Kopetdağ")]}, ensure_ascii=False
    )
    path.write_bytes(text.encode("latin-1", errors="replace").replace(b"?", b"\xe7"))
    with pytest.raises(DataFileError, match=r"not UTF-8 .*re-save it with UTF-8"):
        corridors.validate(path)


def test_not_json(tmp_path: Path) -> None:
    path = tmp_path / "broken.geojson"
    path.write_text('{"type": "FeatureCollection", "features": [')
    with pytest.raises(DataFileError, match=r"broken.geojson is not valid JSON \(line 1"):
        corridors.load_cases(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataFileError, match="does not exist"):
        corridors.load_cases(tmp_path / "nope.geojson")


def test_geojson_in_another_crs(write_catalogue) -> None:
    path = write_catalogue(
        [make_site()], crs={"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3857"}}
    )
    with pytest.raises(DataFileError, match=r"declares CRS .*3857.*reproject"):
        corridors.load_cases(path)


def test_geopackage_in_another_crs(tmp_path: Path) -> None:
    features = corridors.load_features(
        _write(tmp_path, [make_site(countries=["TKM"])], "a.geojson")
    )
    for col in schema.LIST_FIELDS:
        features[col] = features[col].map(json.dumps)
    path = tmp_path / "utm.gpkg"
    features.to_crs("EPSG:32641").to_file(path, driver="GPKG")
    with pytest.raises(DataFileError, match=r"utm.gpkg is in EPSG:32641.*reproject"):
        corridors.load_cases(path)


def test_unknown_case_id_suggests() -> None:
    some_id = corridors.load_cases().index[0]
    with pytest.raises(UnknownCaseError, match=rf"did you mean .*{some_id}"):
        corridors.get_case(some_id + "x")
    with pytest.raises(LookupError):
        corridors.get_case("no-such-case-at-all-zzz")


def test_get_case_returns_one_row() -> None:
    cases = corridors.load_cases()
    one = corridors.get_case(cases.index[0])
    assert isinstance(one, gpd.GeoDataFrame) and len(one) == 1


# ------------------------------------------------------------------ resolving case ids


@pytest.mark.parametrize(
    ("typed", "case_id"),
    [
        ("fremont-lake-mule-deer", "fremont-lake-mule-deer"),  # exact
        ("Yellowstone-To-Yukon", "yellowstone-to-yukon"),  # any letter case
        ("koytendag", "koytendag-turkmenistan-uzbekistan"),  # a unique start of the id
        ("KOYT", "koytendag-turkmenistan-uzbekistan"),
        ("fremont", "fremont-lake-mule-deer"),  # a unique word
        ("barrier reef", "great-barrier-reef-connectivity"),  # a run of words
        ("tiger", "wildlifeconnect-central-india"),  # a word of the name only
        ("y2y", "yellowstone-to-yukon"),
    ],
)
def test_get_case_resolves_ids_as_typed(typed: str, case_id: str) -> None:
    assert corridors.resolve_case_id(typed) == case_id
    one = corridors.get_case(typed)
    assert list(one.index) == [case_id]
    assert one.loc[case_id, "name"] == corridors.load_cases().loc[case_id, "name"]


@pytest.mark.parametrize(
    ("typed", "candidates"),
    [
        (
            "wildlifeconnect",
            [
                "wildlifeconnect-carpathians",
                "wildlifeconnect-central-india",
                "wildlifeconnect-kenya-tanzania",
                "wildlifeconnect-pantanal-chaco",
            ],
        ),
        # The start of one id and a word of another: neither is guessed.
        ("central", ["central-kopet-dag-wild-cats", "wildlifeconnect-central-india"]),
    ],
)
def test_ambiguous_case_id_lists_every_candidate(typed: str, candidates: list[str]) -> None:
    with pytest.raises(UnknownCaseError, match=rf"{typed!r} is ambiguous") as info:
        corridors.get_case(typed)
    listed = re.findall(r"'([a-z0-9-]+)'", str(info.value).split("(", 1)[1])
    assert listed == candidates


@pytest.mark.parametrize(
    ("typed", "suggested"),
    [
        # A feature's id, not a case's: only the case it belongs to is offered.
        ("fremont-lake-bottleneck", ["fremont-lake-mule-deer"]),
        # A feature's name word (not in the case's name): suggested, not resolved.
        ("Kugitang", ["koytendag-turkmenistan-uzbekistan"]),
        ("Köpetdag", ["central-kopet-dag-wild-cats"]),  # accents and case ignored
        ("yellowstone-to-yukonn", ["yellowstone-to-yukon"]),  # a typo
    ],
)
def test_unknown_case_id_suggests_only_related_cases(typed: str, suggested: list[str]) -> None:
    with pytest.raises(UnknownCaseError, match=rf"no case with id {typed!r}") as info:
        corridors.get_case(typed)
    offered = re.findall(r"'([a-z0-9-]+)'", str(info.value).split("did you mean", 1)[1])
    assert offered == suggested


def test_unrelated_case_id_suggests_listing_the_cases() -> None:
    with pytest.raises(UnknownCaseError, match=r"'zzz-qqq'; run `corridors cases`"):
        corridors.get_case("zzz-qqq")


@pytest.mark.parametrize("typed", ["", "   ", None, 3])
def test_blank_or_non_text_case_id(typed: object) -> None:
    with pytest.raises(InputError, match=r"case id"):
        corridors.get_case(typed)  # type: ignore[arg-type]


def test_get_case_in_a_user_catalogue(write_catalogue) -> None:
    other = [
        make_feature(case_id="other-case", name="Another case", feature_id="other-case/area"),
        make_site(case_id="other-case", name="Another case", feature_id="other-case/site"),
    ]
    path = write_catalogue([make_feature(), make_site(), *other])
    assert corridors.resolve_case_id("another", path=path) == "other-case"
    assert list(corridors.get_case("TEST", path=path).index) == ["test-case"]
    with pytest.raises(UnknownCaseError, match=r"'case' is ambiguous.*'other-case'"):
        corridors.get_case("case", path=path)


def _fold(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text)
    return "".join(c for c in plain if not unicodedata.combining(c)).casefold()


def _fold_words(text: str) -> set[str]:
    return set(re.findall(r"[^\W_]+", _fold(text)))


@settings(max_examples=100, deadline=None)
@given(typed=st.text(max_size=30) | st.sampled_from(["koyt", "Fremont Lake", "rica", "reef"]))
def test_resolving_any_text_names_a_matching_case_or_says_why(typed: str) -> None:
    cases = corridors.load_cases()
    try:
        resolved = corridors.resolve_case_id(typed)
    except (UnknownCaseError, InputError):
        return
    # What was typed is the id (any case, accents aside) or its start, or whole words of
    # the id or the name.
    words = _fold_words(typed)
    assert (
        resolved.startswith(_fold(typed.strip()))
        or (words and words <= _fold_words(resolved))
        or (words and words <= _fold_words(cases.loc[resolved, "name"]))
    ), (typed, resolved)


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_every_id_resolves_to_itself_in_any_case(data: st.DataObject) -> None:
    case_id = data.draw(st.sampled_from(sorted(corridors.load_cases().index)))
    typed = "".join(c.upper() if data.draw(st.booleans()) else c for c in case_id)
    assert corridors.resolve_case_id(typed) == case_id


# ------------------------------------------------------------------ sources


def test_own_source_with_title_and_url_is_valid(write_catalogue) -> None:
    own = {
        "source": "smith-2021-field-report",
        "source_title": "Smith (2021), a field report",
        "source_url": "https://example.org/report.pdf",
    }
    path = write_catalogue([make_feature(**own), make_site(**own)])
    assert corridors.validate(path) == []
    assert corridors.load_cases(path).loc["test-case", "source"] == own["source"]


def test_seed_source_may_have_no_url(write_catalogue) -> None:
    path = write_catalogue([make_feature(source_url=None), make_site(source_url=None)])
    assert corridors.validate(path) == []


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"source_url": "ftp://example.org/x"}, r"'source_url' must be an http:// or https://"),
        ({"source_title": None}, r"field 'source_title' is empty"),
    ],
    ids=["ftp-url", "no-title"],
)
def test_own_source_needs_title_and_http_url(write_catalogue, override: dict, message: str) -> None:
    own = {"source": "my-survey", "source_title": "My survey", **override}
    path = write_catalogue([make_feature(**own), make_site(**own)])
    text = problems_text(path)
    assert re.search(message, text), text
    # One problem per feature: the URL check speaks, the source check does not repeat it.
    assert "unknown source" not in text
