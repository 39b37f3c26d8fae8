"""Bundled country boundaries: load them, pick countries, find shared borders.

The data are Natural Earth 1:10m Admin 0 – Countries (v5.1.1, public domain), converted by
``scripts/build_boundaries.py`` into ``data/geo/countries.geojson``; see
``data/geo/countries.SOURCE.md`` for the source, the ISO-code rules and the units left out.
All geometries are in EPSG:4326 (WGS 84 longitude/latitude, degrees). Distances and
lengths reported here are geodesic, on the WGS 84 ellipsoid, in kilometres.

The file is parsed once per process and cached together with a spatial index, so repeated
calls return at once. Public functions hand out copies, so callers cannot corrupt the
cache.
"""

from __future__ import annotations

import difflib
import functools
import math
from collections.abc import Sequence
from importlib import resources

import geopandas as gpd
import pandas as pd
import pyproj
import shapely
from shapely.geometry.base import BaseGeometry

from ._resources import data_file
from .errors import BoundaryError, DataFileError, InputError, UnknownCountryError

__all__ = ["border", "country", "country_names", "load_boundaries"]

#: Bundled boundary layers: name -> file in ``data/geo``.
_DATASETS: dict[str, str] = {"countries": "countries.geojson"}

#: Columns of the countries layer (besides ``geometry``), in file order.
COUNTRY_COLUMNS: tuple[str, ...] = (
    "iso_a3",
    "iso_a2",
    "iso_n3",
    "name",
    "name_long",
    "sovereign",
    "continent",
    "region_un",
    "subregion",
    "wikidata",
)

_GEOD = pyproj.Geod(ellps="WGS84")
#: Kilometres per degree of latitude (mean); used to turn a tolerance in km into degrees.
_KM_PER_DEGREE = 111.32
_MAX_SUGGESTIONS = 5


# --------------------------------------------------------------------------- loading


def load_boundaries(name: str = "countries") -> gpd.GeoDataFrame:
    """Load a bundled boundary layer.

    Parameters
    ----------
    name : str, default ``"countries"``
        The layer. Only ``"countries"`` exists: one row per country or territory with an
        ISO 3166-1 alpha-3 code (Natural Earth 1:10m Admin 0).

    Returns
    -------
    geopandas.GeoDataFrame
        A fresh copy, CRS EPSG:4326 (longitude/latitude in degrees), sorted by
        ``iso_a3``, with a RangeIndex and the columns ``iso_a3`` (ISO 3166-1 alpha-3, upper
        case, unique), ``iso_a2``, ``iso_n3`` (numeric code as a zero-padded string, or
        missing), ``name``, ``name_long``, ``sovereign``, ``continent``, ``region_un``,
        ``subregion``, ``wikidata`` and ``geometry`` (valid Polygon or MultiPolygon).

    Raises
    ------
    InputError
        If ``name`` is not a bundled layer; the message lists the available names.
    DataFileError
        If the bundled file is missing or cannot be read.

    Notes
    -----
    The file is read once per process; later calls copy the cached frame (a few
    milliseconds).
    """
    return _load_cached(_check_layer(name)).copy()


def _check_layer(name: object) -> str:
    if not isinstance(name, str) or name.strip().lower() not in _DATASETS:
        available = ", ".join(repr(n) for n in sorted(_DATASETS))
        raise InputError(f"unknown boundary layer {name!r}; available: {available}")
    return name.strip().lower()


@functools.cache
def _load_cached(name: str) -> gpd.GeoDataFrame:
    """Parse a bundled layer once. The returned frame is shared: never mutate it."""
    filename = _DATASETS[name]
    resource = data_file(filename)
    try:
        with resources.as_file(resource) as path:
            frame = gpd.read_file(path, engine="pyogrio")
    except Exception as exc:  # pyogrio raises its own DataSourceError, OSError, ...
        raise DataFileError(
            f"cannot read the bundled boundaries {filename!r} ({exc}); "
            "reinstall corridors or rebuild it with scripts/build_boundaries.py"
        ) from exc
    missing = [c for c in COUNTRY_COLUMNS if c not in frame.columns]
    if missing:
        raise DataFileError(
            f"the bundled boundaries {filename!r} lack the columns {missing}; "
            "rebuild it with scripts/build_boundaries.py"
        )
    if frame.crs is None:
        frame = frame.set_crs("EPSG:4326")
    elif frame.crs.to_epsg() != 4326:
        frame = frame.to_crs("EPSG:4326")
    frame = frame[[*COUNTRY_COLUMNS, "geometry"]]
    return frame.sort_values("iso_a3", kind="stable").reset_index(drop=True)


@functools.lru_cache(maxsize=1)
def countries_index() -> tuple[shapely.STRtree, gpd.GeoDataFrame]:
    """Cached spatial index over the bundled countries (for the query package).

    Returns
    -------
    tree : shapely.STRtree
        Built over ``frame.geometry.values``; the integer indices it returns are
        positions in ``frame`` (``frame.iloc``). Geometries are prepared, so predicate
        queries (``tree.query(points, predicate="within")`` etc.) are fast.
    frame : geopandas.GeoDataFrame
        The cached countries frame itself (EPSG:4326), **shared: do not mutate it**;
        copy what you hand to users.
    """
    frame = _load_cached("countries")
    geoms = frame.geometry.values
    shapely.prepare(geoms)
    return shapely.STRtree(geoms), frame


@functools.cache
def country_names() -> dict[str, str]:
    """Short names of the bundled countries by ISO 3166-1 alpha-3 code.

    Returns
    -------
    dict of str to str
        ``{"KEN": "Kenya", ...}``, one entry per row of :func:`load_boundaries` (the
        file is read once per process). Do not modify it: it is shared.
    """
    frame = _load_cached("countries")
    return {str(c): str(n) for c, n in zip(frame["iso_a3"], frame["name"], strict=True)}


@functools.lru_cache(maxsize=1)
def _code_positions() -> dict[str, int]:
    frame = _load_cached("countries")
    return {str(code): i for i, code in enumerate(frame["iso_a3"])}


# --------------------------------------------------------------------------- countries


def country(codes: str | Sequence[str]) -> gpd.GeoDataFrame:
    """Rows of the bundled countries for the given ISO 3166-1 alpha-3 codes.

    Parameters
    ----------
    codes : str or sequence of str
        One code (``"TKM"``) or several (``["TKM", "UZB"]``), case-insensitive.
        Repeated codes are returned once.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per code in the order given, same columns as :func:`load_boundaries`,
        CRS EPSG:4326, a fresh copy with a RangeIndex.

    Raises
    ------
    UnknownCountryError
        If a code is not in the bundled boundaries; the message names every unknown
        code with close matches among codes and country names (a country *name* passed
        by mistake, e.g. ``"Turkmenistan"``, suggests ``TKM``).
    InputError
        If ``codes`` is empty or holds something that is not a string.
    """
    wanted = _normalise_codes(codes)
    positions = _code_positions()
    unknown = [c for c in wanted if c not in positions]
    if unknown:
        given = [codes] if isinstance(codes, str) else list(codes)
        originals = {str(g).strip().upper(): str(g).strip() for g in given}
        unknown = [originals.get(c, c) for c in unknown]
    if unknown:
        raise UnknownCountryError(_unknown_message(unknown))
    frame = _load_cached("countries")
    return frame.iloc[[positions[c] for c in wanted]].reset_index(drop=True)


def _normalise_codes(codes: str | Sequence[str]) -> list[str]:
    items: list[object] = [codes] if isinstance(codes, str) else list(codes)
    if not items:
        raise InputError("no country code given; pass e.g. 'TKM' or ['TKM', 'UZB']")
    out: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise InputError(
                f"country codes must be strings (ISO 3166-1 alpha-3 such as 'TKM'), got {item!r}"
            )
        code = item.strip().upper()
        if code not in out:
            out.append(code)
    return out


def _unknown_message(unknown: Sequence[str]) -> str:
    parts = []
    for code in unknown:
        suggestions = _suggest(code)
        hint = f"did you mean {', '.join(suggestions)}?" if suggestions else "no close match"
        parts.append(f"unknown country code {code!r} ({hint})")
    return (
        "; ".join(parts) + ". Countries are named by ISO 3166-1 alpha-3 codes; "
        "corridors.load_boundaries()['iso_a3'] lists them all."
    )


def _suggest(query: str) -> list[str]:
    """Close matches for ``query`` as ``"TKM (Turkmenistan)"``, best first.

    An exact match on another identifier (country name, long name, ISO alpha-2 or
    numeric code) is returned alone. Otherwise: codes that look alike (only for queries
    of up to four characters), then names starting with the query, then names that look
    alike.
    """
    frame = _load_cached("countries")
    names = country_names()
    codes = list(names)
    q_code = query.strip().upper()
    q_text = query.strip().casefold()

    found: list[str] = []

    def add(code: str) -> None:
        if code not in found:
            found.append(code)

    for column in ("name", "name_long", "iso_a2", "iso_n3"):
        values = frame[column].astype("string").str.casefold()
        for code in frame.loc[(values == q_text).fillna(False).to_numpy(bool), "iso_a3"]:
            add(str(code))
    if found:
        return [f"{code} ({names[code]})" for code in found[:_MAX_SUGGESTIONS]]

    if len(q_code) <= 4:
        scored = []
        for code in codes:
            ratio = difflib.SequenceMatcher(None, q_code, code).ratio()
            if ratio >= 0.6:
                prefix = len(_common_prefix(q_code, code))
                scored.append((-ratio, -prefix, code))
        for _, _, code in sorted(scored):
            add(code)
    if len(q_text) >= 3:
        lowered = {code: names[code].casefold() for code in codes}
        for code, name in lowered.items():
            if name.startswith(q_text):
                add(code)
        inverse = {v: k for k, v in lowered.items()}
        for name in difflib.get_close_matches(q_text, list(inverse), n=5, cutoff=0.7):
            add(inverse[name])
    return [f"{code} ({names[code]})" for code in found[:_MAX_SUGGESTIONS]]


def _common_prefix(a: str, b: str) -> str:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return a[:n]


# --------------------------------------------------------------------------- borders


def border(a: str, b: str, *, tolerance_km: float = 0.01) -> gpd.GeoDataFrame:
    """The land border shared by two countries, as a line.

    Parameters
    ----------
    a, b : str
        ISO 3166-1 alpha-3 codes of two different countries (case-insensitive).
    tolerance_km : float, default 0.01
        Countries farther apart than this share no border. If the exact intersection of
        the two boundaries holds no line although the countries are this close, the
        vertices of ``a``'s boundary within this distance of ``b``'s boundary are
        snapped onto it and the intersection is repeated, so a border that is not noded
        in the data is still found. In kilometres, converted to degrees at 111.32 km per
        degree (exact north-south; east-west the effective tolerance is smaller, never
        larger). The bundled data share vertices along every border, so the default
        (10 m: ten times the 1 m coordinate rounding, far below the ~100 m accuracy of
        a 1:10m source) changes nothing there; ``0`` intersects exactly.

    Returns
    -------
    geopandas.GeoDataFrame
        One row, CRS EPSG:4326, columns ``a`` and ``b`` (the codes, upper case),
        ``length_km`` (geodesic length on the WGS 84 ellipsoid, km) and ``geometry``
        (a LineString, or a MultiLineString when the border has several pieces, e.g.
        Canada-United States with Alaska). Segments are merged with
        ``shapely.line_merge``.

    Raises
    ------
    UnknownCountryError
        If a code is unknown (with close matches).
    InputError
        If ``a`` and ``b`` are the same country or ``tolerance_km`` is negative or not
        finite.
    BoundaryError
        If the two countries share no border line: they are apart (the message gives
        their approximate geodesic distance in km) or touch at single points only.

    Notes
    -----
    Lengths of borders measured on 1:10m data are shorter than published figures, which
    follow every bend: Turkmenistan-Uzbekistan measures about 1,596 km here (1,793 km in
    the CIA World Factbook), Canada-United States about 7,936 km (8,891 km).
    """
    code_a, code_b = _normalise_codes([a])[0], _normalise_codes([b])[0]
    if code_a == code_b:
        raise InputError(f"border() needs two different countries, got {code_a!r} twice")
    if not isinstance(tolerance_km, int | float) or not math.isfinite(tolerance_km):
        raise InputError(f"tolerance_km must be a finite number of km, got {tolerance_km!r}")
    if tolerance_km < 0:
        raise InputError(f"tolerance_km must be >= 0 km, got {tolerance_km!r}")

    rows = country([code_a, code_b])
    geom_a, geom_b = rows.geometry.iloc[0], rows.geometry.iloc[1]
    name_a, name_b = str(rows["name"].iloc[0]), str(rows["name"].iloc[1])
    label = f"{name_a} ({code_a}) and {name_b} ({code_b})"
    tol_deg = float(tolerance_km) / _KM_PER_DEGREE

    if not shapely.dwithin(geom_a, geom_b, tol_deg):
        km = _approx_distance_km(geom_a, geom_b)
        raise BoundaryError(
            f"{label} do not share a border: they are about {km:,.1f} km apart at their "
            "closest points"
        )
    line = _shared_line(geom_a, geom_b, tol_deg)
    if line.is_empty:
        raise BoundaryError(
            f"{label} do not share a border line: in the bundled 1:10m boundaries they "
            "touch at single points only"
        )
    length_km = _GEOD.geometry_length(line) / 1000.0
    return gpd.GeoDataFrame(
        pd.DataFrame({"a": [code_a], "b": [code_b], "length_km": [length_km]}),
        geometry=gpd.GeoSeries([line], crs="EPSG:4326").values,
        crs="EPSG:4326",
    )


def _shared_line(geom_a: BaseGeometry, geom_b: BaseGeometry, tol_deg: float) -> BaseGeometry:
    """Merged line parts shared by both boundaries (empty if none).

    The boundaries are intersected exactly first: the bundled data share vertices along
    borders (``scripts/build_boundaries.py`` checks this for every pair of neighbours),
    so this finds the whole border in milliseconds. Only if that finds no line although
    the countries lie within ``tol_deg`` of each other are ``a``'s vertices snapped onto
    ``b``'s boundary (slow for long borders) and the intersection repeated.
    """
    ax0, ay0, ax1, ay1 = geom_a.bounds
    bx0, by0, bx1, by1 = geom_b.bounds
    margin = tol_deg + 1e-6
    rect = (
        max(ax0, bx0) - margin,
        max(ay0, by0) - margin,
        min(ax1, bx1) + margin,
        min(ay1, by1) + margin,
    )
    if rect[0] > rect[2] or rect[1] > rect[3]:
        return shapely.LineString()  # the bounding boxes are farther apart than tol_deg
    # Clip both boundaries to where they can meet: less work for the overlay.
    line_a = shapely.clip_by_rect(geom_a.boundary, *rect)
    line_b = shapely.clip_by_rect(geom_b.boundary, *rect)
    shared = _merged_lines(shapely.intersection(line_a, line_b))
    if shared.is_empty and tol_deg > 0:
        # Snap whole boundaries: the ends that clipping makes would be snapped too.
        snapped = shapely.snap(geom_a.boundary, geom_b.boundary, tol_deg)
        shared = _merged_lines(shapely.intersection(snapped, geom_b.boundary))
    return shared


def _merged_lines(geom: BaseGeometry) -> BaseGeometry:
    """The non-degenerate linear parts of ``geom``, merged (empty LineString if none)."""
    lines = [
        part for part in shapely.get_parts(shapely.line_merge(_lines_only(geom))) if part.length > 0
    ]
    if not lines:
        return shapely.LineString()
    return shapely.line_merge(shapely.MultiLineString(lines))


def _lines_only(geom: BaseGeometry) -> shapely.MultiLineString:
    """The linear parts of any geometry, as a MultiLineString."""
    out: list[shapely.LineString] = []
    stack = [geom]
    while stack:
        g = stack.pop()
        if isinstance(g, shapely.LineString):
            if not g.is_empty:
                out.append(g)
        elif isinstance(g, shapely.MultiLineString | shapely.GeometryCollection):
            stack.extend(g.geoms)
    return shapely.MultiLineString(out)


def _approx_distance_km(geom_a: BaseGeometry, geom_b: BaseGeometry) -> float:
    """Geodesic length of the shortest line between two lon/lat geometries (km).

    The line is the shortest in degree space, so this is an approximation of the true
    geodesic distance (good to a few per cent away from the poles).
    """
    line = shapely.shortest_line(geom_a, geom_b)
    (x0, y0), (x1, y1) = line.coords
    return float(_GEOD.line_length([x0, x1], [y0, y1])) / 1000.0
