"""The bundled catalogue: every record valid, every case of the sources present, the
geography consistent with the declared countries, the file in canonical form."""

from __future__ import annotations

import re
import subprocess
import sys

import geopandas as gpd
import pytest
import shapely
from catalogue_factory import BUNDLED_DATA

import corridors
from corridors import schema

# Every case the source documents describe, found by a pattern on the case's name or id.
REQUIRED_CASES = {
    "Yellowstone to Yukon": r"yellowstone",
    "Costa Rica land-use planning": r"costa.?rica",
    "Elephants Alive corridors": r"elephant.*(corridor|alive)|alive",
    "Great Barrier Reef": r"barrier.?reef",
    "Central Kopet Dag": r"kopet.?dag",
    "Pontal do Paranapanema": r"pontal|paranapanema|corridors.?for.?life",
    "Pacific salmon": r"salmon",
    "Salween river reserves": r"salween",
    "Jaguar Corridor Initiative": r"jaguar",
    "Qinling G108 pandas": r"qinling|panda",
    "Fremont Lake bottleneck": r"fremont",
    "COREHABS to BearConnect": r"corehabs|bearconnect",
    "Koytendag": r"koytendag",
    "WildlifeConnect Kenya-Tanzania": r"kenya",
    "WildlifeConnect Central India": r"india",
    "WildlifeConnect Pantanal-Chaco": r"pantanal|chaco",
    "WildlifeConnect Carpathians": r"wildlifeconnect.*carpath|carpath.*wildlifeconnect",
    "LISA": r"\blisa\b|linear.?infrastructure.?safeguards",
    "FOCUS-BRI": r"focus.?bri|belt.?and.?road",
    "Asian elephant range states": r"asian.?elephant",
}


@pytest.fixture(scope="module")
def cases() -> gpd.GeoDataFrame:
    return corridors.load_cases()


@pytest.fixture(scope="module")
def features() -> gpd.GeoDataFrame:
    return corridors.load_features()


def _find(cases: gpd.GeoDataFrame, pattern: str) -> list[str]:
    rx = re.compile(pattern, re.IGNORECASE)
    return [
        i
        for i, name in zip(cases.index, cases["name"], strict=True)
        if rx.search(i) or rx.search(name)
    ]


@pytest.mark.parametrize(("label", "pattern"), REQUIRED_CASES.items(), ids=list(REQUIRED_CASES))
def test_required_case_present(cases: gpd.GeoDataFrame, label: str, pattern: str) -> None:
    assert _find(cases, pattern), f"no case for {label} (pattern {pattern!r})"


def test_bundled_catalogue_is_valid_including_geography() -> None:
    problems = corridors.validate()
    assert not problems, "\n".join(map(str, problems))


def test_loading_the_bundled_catalogue_does_not_read_the_boundaries() -> None:
    # The bundled file is checked in full here; `corridors cases` and a notebook's first
    # load_cases() need not wait for 11 MB of country polygons.
    code = (
        "import corridors\n"
        "from corridors import boundaries\n"
        "corridors.load_cases(); corridors.load_features(); corridors.get_case('fremont')\n"
        "print(boundaries._load_cached.cache_info().currsize)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "0", done.stdout + done.stderr


def test_file_is_canonical(features: gpd.GeoDataFrame) -> None:
    text = (BUNDLED_DATA / "cases.geojson").read_text(encoding="utf-8")
    assert text == corridors.to_geojson(features, precision=6), (
        "data/geo/cases.geojson is not in canonical form; rewrite it with "
        "corridors.to_geojson(corridors.load_features())"
    )


def test_every_feature_has_provenance(features: gpd.GeoDataFrame) -> None:
    assert features["georef_method"].isin(list(schema.GEOREF_METHODS)).all()
    assert (features["georef_note"].str.len() > 20).all()
    assert (features["uncertainty_km"] > 0).all()
    # Honest uncertainty: nothing drawn by hand claims better than 100 m.
    assert features["uncertainty_km"].min() >= 0.1


def test_regions_are_outlines_not_points(features: gpd.GeoDataFrame) -> None:
    regional = features[features["scale"].isin(["landscape", "transboundary", "range-wide"])]
    for case_id, group in regional.groupby("case_id"):
        assert not group.geom_type.isin(["Point", "MultiPoint"]).all(), case_id
    wide = features[features["scale"].isin(["transboundary", "range-wide"])]
    for case_id, group in wide.groupby("case_id"):
        assert group.geom_type.isin(["Polygon", "MultiPolygon"]).any(), case_id


def test_summaries_are_short(cases: gpd.GeoDataFrame) -> None:
    words = cases["summary"].str.split().map(len)
    assert (words <= schema.MAX_SUMMARY_WORDS).all(), words[words > schema.MAX_SUMMARY_WORDS]


def test_case_ids_are_unique_slugs(cases: gpd.GeoDataFrame) -> None:
    assert cases.index.is_unique
    assert all(schema.SLUG_RE.match(i) for i in cases.index)


def test_sources_and_urls(cases: gpd.GeoDataFrame) -> None:
    assert set(cases["source"]) == set(schema.SOURCES)
    panorama = cases[cases["source"] == "panorama-cms-cop14"]
    assert panorama["source_url"].str.startswith("https://panorama.solutions/en/solution/").all()


def test_koytendag_spans_both_countries(cases: gpd.GeoDataFrame) -> None:
    (case_id,) = _find(cases, r"koytendag")
    row = cases.loc[case_id]
    assert row["countries"] == ["TKM", "UZB"]
    countries = corridors.boundaries.load_boundaries().set_index("iso_a3")
    for code in ("TKM", "UZB"):
        inside = row.geometry.intersection(countries.loc[code].geometry)
        assert corridors.crs.geodesic_area_km2(inside) > 50, code
    assert row.geometry.intersects(shapely.Point(66.5, 37.8))


def test_every_case_touches_each_declared_country(cases: gpd.GeoDataFrame) -> None:
    countries = corridors.boundaries.load_boundaries().set_index("iso_a3")
    for case_id, row in cases.iterrows():
        for code in row["countries"]:
            d = corridors.crs.geodesic_distance_km(row.geometry, countries.loc[code].geometry)
            allowed = max(row["uncertainty_km"], 1.0)
            if row["realm"] == "marine":
                allowed = max(allowed, 370.4)
            assert d <= allowed, f"{case_id} is {d:.1f} km from {code}"


def test_fremont_lake_has_bottleneck_route_and_fence(features: gpd.GeoDataFrame) -> None:
    (case_id,) = {c for c in features["case_id"] if "fremont" in c}
    roles = set(features.loc[features["case_id"] == case_id, "role"])
    assert {"site", "route", "barrier"} <= roles


def test_qinling_has_tunnel_road_and_reserve(features: gpd.GeoDataFrame) -> None:
    (case_id,) = {c for c in features["case_id"] if "qinling" in c or "panda" in c}
    roles = set(features.loc[features["case_id"] == case_id, "role"])
    assert {"site", "infrastructure", "area"} <= roles


def test_costa_rica_has_five_parks(features: gpd.GeoDataFrame) -> None:
    (case_id,) = {c for c in features["case_id"] if "costa-rica" in c}
    parks = features[(features["case_id"] == case_id) & (features["role"] == "area")]
    names = " ".join(parks["feature_name"])
    for park in ("Corcovado", "Piedras Blancas", "Ballena", "Juan Castro Blanco", "Carara"):
        assert park in names
