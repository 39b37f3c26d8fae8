"""Compact, safe encoding of map data for the atlas runtime (``_static/atlas.js``).

Geometries are simplified and quantised no further than the atlas can show (an outline
stays within :data:`DISPLAY_TOLERANCE_PX` screen pixels of the true one at zoom
:data:`DISPLAY_ZOOM`) nor than the data's precision warrants, and delta-encoded as
integers packed five bits to a character, which makes the page a fraction of the size
of plain GeoJSON. Text from
data is never turned into HTML here: it travels as JSON strings and the runtime puts it
into the page with ``textContent``. The JSON itself is escaped so that no string can
close the ``<script>`` element it sits in.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from typing import Any, cast
from urllib.parse import urlsplit

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from .._typing import FloatArray

__all__ = [
    "DEFAULT_DIGITS",
    "DISPLAY_TOLERANCE_PX",
    "DISPLAY_ZOOM",
    "KM_PER_DEGREE",
    "MAX_DIGITS",
    "MERCATOR_MAX_LAT",
    "PACK_ALPHABET",
    "digits_for_display",
    "digits_for_uncertainty",
    "display_tolerance_m",
    "encode_geometry",
    "js_json",
    "metres_per_pixel",
    "pack_ints",
    "rounding_error_m",
    "safe_url",
    "simplify",
    "text",
    "unpack_ints",
]

# One degree of latitude; a degree of longitude is shorter (times cos(latitude)), so a
# tolerance or quantum derived from this is never coarser than asked in any direction.
KM_PER_DEGREE = 111.32
# Six decimals of a degree are 11 cm: finer than any catalogue feature is known to.
MAX_DIGITS = 6
# Five decimals (about a metre) for data that does not say how well it is known.
DEFAULT_DIGITS = 5

# Leaflet draws on a Web Mercator plane (EPSG:3857) of a sphere of this radius, made of
# 256-pixel tiles, and clamps latitudes to +-85.0511 degrees (where the plane is square).
# Display tolerances are lengths on that plane: there a screen pixel at a given zoom is
# the same length everywhere, so a bound in pixels is one number, while its length on
# the ground shrinks with the cosine of the latitude.
MERCATOR_RADIUS_M = 6378137.0
TILE_PX = 256
MERCATOR_MAX_LAT = 85.0511287798
#: The deepest zoom at which display outlines are guaranteed to stay within
#: :data:`DISPLAY_TOLERANCE_PX` of the true ones: the offline atlas's deepest zoom
#: (``maps.OFFLINE_MAX_ZOOM``), where a pixel is about 75 m. Online basemaps zoom to 19,
#: but the catalogue's outlines are drawn at country-map scales (their locations are
#: known to 1.5 km at best), so past zoom 11 the bound's 150 m is far inside how well
#: any outline is known, while keeping every vertex to 0.3 m pixels would double the
#: page. At shallower zooms the bound shrinks by half per zoom level.
DISPLAY_ZOOM = 11
#: Screen pixels a display outline may stand off its true outline at
#: :data:`DISPLAY_ZOOM`: "a few pixels" of the issue (#18). Leaflet simplifies what it is
#: given by at most one more pixel at the zoom it draws (its default smoothFactor).
DISPLAY_TOLERANCE_PX = 2.0
#: Share of :data:`DISPLAY_TOLERANCE_PX` that rounding coordinates may use; the rest is
#: left to simplification. Rounding costs bytes on every vertex kept, and few vertices of
#: outlines drawn at country-map scales can go at 2 px of zoom 11, so rounding gets most.
ROUNDING_SHARE = 0.75

#: GEOS gives Douglas-Peucker half the tolerance asked: after simplifying a ring it also
#: drops the ring's first vertex when that lies within the tolerance of its neighbours'
#: chord, and vertices dropped before then lie within the tolerance of a chord that
#: now lies within the tolerance of the new one, so the outline can stand off twice as
#: far (a 1 km circle simplified at 152 m came out 168 m off).
GEOS_SAFETY = 2.0

# Codes of the geometry kinds in the encoded payload (see atlas.js: decode).
POINTS, LINES, POLYGONS = 0, 1, 2


def js_json(value: Any) -> str:
    """Serialise ``value`` as JSON that is safe to place inside an HTML ``<script>``.

    ``<``, ``>`` and ``&`` are written as ``\\u`` escapes so that no string can end the
    script element or open a comment; U+2028 and U+2029 are escaped because older
    JavaScript engines treat them as line ends inside string literals. Keys are sorted so
    the same value always gives the same text.
    """
    out = json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return (
        out.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def text(value: Any) -> str | None:
    """Turn a data value into display text, or None when it is missing."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    if isinstance(value, list | tuple | np.ndarray):
        parts = [text(v) for v in value]
        return "; ".join(p for p in parts if p)
    try:
        if value != value:  # NaN-like values of other types (pd.NA raises here)
            return None
    except (TypeError, ValueError):
        return None
    return str(value)


def safe_url(value: Any) -> str | None:
    """Return ``value`` if it is an absolute http(s) URL with a host, else None.

    Links from data end up in ``href`` attributes, where ``javascript:``, ``data:`` and
    similar schemes would run code or hide content; only the web's own schemes pass.
    """
    if not isinstance(value, str):
        return None
    candidate = value.strip()
    if not candidate or any(ord(ch) < 0x20 or ch in "\x7f<>\"'` " for ch in candidate):
        return None
    try:
        parts = urlsplit(candidate)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return candidate


def digits_for_uncertainty(uncertainty_km: Any) -> int:
    """Decimals of a degree worth keeping for a feature known to ``uncertainty_km``.

    The quantum (one unit of the last decimal) is kept at or below a tenth of the
    uncertainty, so rounding never adds a visible error; at most six decimals (11 cm)
    and at least one. Unknown uncertainty keeps five decimals (about a metre).
    """
    try:
        u = float(uncertainty_km)
    except (TypeError, ValueError):
        return DEFAULT_DIGITS
    if not math.isfinite(u) or u <= 0:
        return DEFAULT_DIGITS
    digits = math.ceil(math.log10(KM_PER_DEGREE * 10.0 / u))
    return int(min(MAX_DIGITS, max(1, digits)))


def metres_per_pixel(zoom: float) -> float:
    """Length of a screen pixel at ``zoom`` on Leaflet's Web Mercator plane, in metres."""
    return 2.0 * math.pi * MERCATOR_RADIUS_M / TILE_PX / 2.0**zoom


def display_tolerance_m() -> float:
    """The display bound, :data:`DISPLAY_TOLERANCE_PX` at :data:`DISPLAY_ZOOM`, in metres."""
    return DISPLAY_TOLERANCE_PX * metres_per_pixel(DISPLAY_ZOOM)


def _stretch(abs_lat: float) -> float:
    """How much Web Mercator stretches north-south lengths at ``abs_lat`` (clamped)."""
    return 1.0 / math.cos(math.radians(min(abs_lat, MERCATOR_MAX_LAT)))


def rounding_error_m(digits: int, abs_lat: float) -> float:
    """Furthest that rounding to ``digits`` decimals moves a vertex, in Mercator metres.

    Rounding moves each coordinate by at most half a unit of the last decimal; a degree
    of longitude is the same length everywhere on the plane, one of latitude longer by
    :func:`_stretch` at the vertex's latitude (up to ``abs_lat``).
    """
    half = 0.5 * 10.0**-digits * math.radians(1.0) * MERCATOR_RADIUS_M
    return half * math.hypot(1.0, _stretch(abs_lat))


def digits_for_display(abs_lat: float) -> int:
    """Fewest decimals whose rounding keeps a share of the display bound, up to ``abs_lat``.

    The share is :data:`ROUNDING_SHARE` of :func:`display_tolerance_m`; at most
    :data:`MAX_DIGITS`.
    """
    budget = ROUNDING_SHARE * display_tolerance_m()
    for digits in range(MAX_DIGITS + 1):
        if rounding_error_m(digits, abs_lat) <= budget:
            return digits
    return MAX_DIGITS


def _to_mercator(xy: FloatArray) -> FloatArray:
    """Lon/lat degrees to Web Mercator metres (Leaflet's projection, on its sphere)."""
    lon, lat = np.radians(xy[:, 0]), np.radians(xy[:, 1])
    return np.column_stack(
        [MERCATOR_RADIUS_M * lon, MERCATOR_RADIUS_M * np.log(np.tan(math.pi / 4 + lat / 2))]
    )


def _from_mercator(xy: FloatArray) -> FloatArray:
    """Web Mercator metres back to lon/lat degrees."""
    lon = xy[:, 0] / MERCATOR_RADIUS_M
    lat = 2.0 * np.arctan(np.exp(xy[:, 1] / MERCATOR_RADIUS_M)) - math.pi / 2
    return np.column_stack([np.degrees(lon), np.degrees(lat)])


def _parts(geom: Any) -> Iterable[Any]:
    """Yield the non-empty single-type parts of ``geom`` (collections are flattened)."""
    if geom is None or geom.is_empty:
        return
    kind = geom.geom_type
    if kind == "GeometryCollection":
        for sub in geom.geoms:
            yield from _parts(sub)
    elif kind.startswith("Multi"):
        for sub in geom.geoms:
            if not sub.is_empty:
                yield sub
    else:
        yield geom


class _Cursor:
    """Running position of the delta encoding inside one feature."""

    __slots__ = ("x", "y")

    def __init__(self) -> None:
        self.x = 0
        self.y = 0

    def deltas(self, coords: FloatArray, scale: float, minimum: int = 1) -> list[int]:
        """Encode ``coords``; return [] without moving if fewer than ``minimum`` remain."""
        q = np.rint(coords[:, :2] * scale).astype(np.int64)
        if len(q) == 0:
            return []
        # Consecutive duplicates (often created by rounding) carry no information.
        keep = np.ones(len(q), dtype=bool)
        keep[1:] = np.any(q[1:] != q[:-1], axis=1)
        q = q[keep]
        if len(q) < minimum:
            return []
        start = np.array([[self.x, self.y]], dtype=np.int64)
        d = np.diff(np.vstack([start, q]), axis=0)
        self.x, self.y = int(q[-1, 0]), int(q[-1, 1])
        return cast(list[int], d.ravel().tolist())


# Digits of the packed integers: 64 characters that need no escaping in JSON, HTML or a
# URL. A character below 32 in this alphabet ends a number (its five low bits are the
# number's last); one from 32 carries five bits and says more follow.
PACK_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
PACK_BITS = 5
_PACK_CHARS = np.frombuffer(PACK_ALPHABET.encode("ascii"), dtype=np.uint8)
_PACK_VALUES = {ch: i for i, ch in enumerate(PACK_ALPHABET)}


def pack_ints(values: Any) -> str:
    """Write integers as text: zigzag (0, -1, 1, -2 ... to 0, 1, 2, 3 ...), then five bits
    per character, low bits first.

    Vertex deltas are mostly small: a delta under 16 in magnitude takes one character,
    under 512 two, under 16,384 three, where JSON takes the digits, a sign and a comma.
    """
    d = np.asarray(values, dtype=np.int64).ravel()
    if d.size == 0:
        return ""
    z = np.where(d >= 0, 2 * d, -2 * d - 1).astype(np.uint64)
    n = np.ones(z.size, dtype=np.int64)
    rest = z >> np.uint64(PACK_BITS)
    while rest.any():
        n += rest > 0
        rest >>= np.uint64(PACK_BITS)
    j = np.arange(int(n.max()))
    chunks = (z[:, None] >> (np.uint64(PACK_BITS) * j.astype(np.uint64))) & np.uint64(31)
    more = j[None, :] < (n[:, None] - 1)
    digits = chunks.astype(np.int64) + 32 * more
    return _PACK_CHARS[digits[j[None, :] < n[:, None]]].tobytes().decode("ascii")


def unpack_ints(text: str) -> list[int]:
    """The integers :func:`pack_ints` wrote (the runtime's decoder does the same)."""
    out: list[int] = []
    value, shift = 0, 0
    for ch in text:
        c = _PACK_VALUES[ch]
        value += (c & 31) << shift
        if c < 32:
            out.append(value // 2 if value % 2 == 0 else -(value + 1) // 2)
            value, shift = 0, 0
        else:
            shift += PACK_BITS
    if shift:
        raise ValueError(f"packed integers end inside a number: {text[-8:]!r}")
    return out


def encode_geometry(geom: BaseGeometry | None, digits: int) -> list[Any]:
    """Encode a geometry as ``[[kind, ...], ...]`` groups of delta-encoded integers.

    Points become ``[0, "..."]``; lines ``[1, "..", ".."]`` (one string per line);
    polygons ``[2, ["ring", "ring"], ...]`` (one list of rings per polygon). Each string
    holds the integers ``dx, dy, dx, dy, ...`` packed by :func:`pack_ints`: coordinates
    times ``10 ** digits``, each relative to the previous vertex of the same feature.
    The runtime decodes with the same rule.
    """
    scale = 10.0**digits
    cursor = _Cursor()
    parts: list[Any] = list(_parts(geom))
    # Encode in the order the groups are written (points, lines, polygons): the deltas
    # run on from one group to the next, and the runtime decodes in that order.
    points: list[int] = []
    for part in parts:
        if part.geom_type == "Point":
            points.extend(cursor.deltas(shapely.get_coordinates(part), scale))
    lines: list[list[int]] = []
    for part in parts:
        if part.geom_type in ("LineString", "LinearRing"):
            line = cursor.deltas(shapely.get_coordinates(part), scale, minimum=2)
            if line:
                lines.append(line)
    polygons: list[list[list[int]]] = []
    for part in parts:
        if part.geom_type == "Polygon":
            rings = [part.exterior, *part.interiors]
            # Leaflet closes rings itself, so the repeated closing vertex is dropped.
            encoded = [
                cursor.deltas(shapely.get_coordinates(r)[:-1], scale, minimum=3) for r in rings
            ]
            encoded = [r for r in encoded if r]
            if encoded:
                polygons.append(encoded)
    out: list[Any] = []
    if points:
        out.append([POINTS, pack_ints(points)])
    if lines:
        out.append([LINES, *(pack_ints(line) for line in lines)])
    if polygons:
        out.append([POLYGONS, *([pack_ints(r) for r in rings] for rings in polygons)])
    return out


def simplify(geoms: Any, tolerance_m: Any) -> Any:
    """Simplify lines and polygons on the map's plane, each by its own tolerance.

    Parameters
    ----------
    geoms : array of shapely geometries (lon/lat degrees)
        Missing and empty geometries, points and geometries reaching past Leaflet's
        latitude limit (where the plane has no room for them) are returned as they are.
    tolerance_m : array of float
        Per geometry, the furthest (in Web Mercator metres, that is in screen pixels at
        a given zoom) the simplified outline may stand off the given one; NaN or 0 keeps
        every vertex.

    Returns
    -------
    numpy.ndarray of shapely geometries
        Lines are straight on the map's plane, as Leaflet draws them, so the bound holds
        on screen. Topology is preserved: polygons stay valid, rings do not cross and
        holes stay inside, so no outline cuts across what its true outline goes round.
    """
    geoms = np.asarray(geoms, dtype=object)
    tol = np.nan_to_num(np.asarray(tolerance_m, dtype=float), nan=0.0)
    out = geoms.copy()
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    kinds = np.full(len(geoms), -1)
    kinds[present] = shapely.get_type_id(geoms[present])
    lat_max = np.zeros(len(geoms))
    if present.any():
        bounds = shapely.bounds(geoms[present])
        lat_max[present] = np.maximum(np.abs(bounds[:, 1]), np.abs(bounds[:, 3]))
    # Type ids 0 and 4: Point and MultiPoint, which have nothing to simplify.
    todo = present & ~np.isin(kinds, (0, 4)) & (tol > 0) & (lat_max <= MERCATOR_MAX_LAT)
    if not todo.any():
        return out
    plane = shapely.transform(geoms[todo], _to_mercator)
    simpler = shapely.simplify(plane, tol[todo] / GEOS_SAFETY, preserve_topology=True)
    back = shapely.transform(simpler, _from_mercator)
    keep = shapely.is_empty(back)
    back[keep] = geoms[todo][keep]
    out[todo] = back
    return out
