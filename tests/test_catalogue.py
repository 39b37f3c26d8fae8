"""Loading and validating catalogues: the bundled one and users' own files."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from catalogue_factory import make_feature, make_site

import corridors
from corridors import schema
from corridors.errors import (
    CorridorsError,
    DataFileError,
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
