"""Compact, safe encoding of map data for the atlas runtime (``_static/atlas.js``).

Geometries are quantised to a number of decimals that the data's precision warrants and
delta-encoded as integers, which makes the page about a third of the size of plain
GeoJSON. Text from data is never turned into HTML here: it travels as JSON strings and
the runtime puts it into the page with ``textContent``. The JSON itself is escaped so
that no string can close the ``<script>`` element it sits in.
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
    "KM_PER_DEGREE",
    "MAX_DIGITS",
    "digits_for_uncertainty",
    "encode_geometry",
    "js_json",
    "safe_url",
    "simplify",
    "text",
]

# One degree of latitude; a degree of longitude is shorter (times cos(latitude)), so a
# tolerance or quantum derived from this is never coarser than asked in any direction.
KM_PER_DEGREE = 111.32
# Six decimals of a degree are 11 cm: finer than any catalogue feature is known to.
MAX_DIGITS = 6
# Five decimals (about a metre) for data that does not say how well it is known.
DEFAULT_DIGITS = 5

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


def encode_geometry(geom: BaseGeometry | None, digits: int) -> list[Any]:
    """Encode a geometry as ``[[kind, ...], ...]`` groups of delta-encoded integers.

    Points become ``[0, [dx, dy, dx, dy, ...]]``; lines ``[1, [..], [..]]`` (one array
    per line); polygons ``[2, [[ring], [ring]], ...]`` (one list of rings per polygon).
    Integers are coordinates times ``10 ** digits``, each relative to the previous
    vertex of the same feature. The runtime decodes with the same rule.
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
        out.append([POINTS, points])
    if lines:
        out.append([LINES, *lines])
    if polygons:
        out.append([POLYGONS, *polygons])
    return out


def simplify(geom: BaseGeometry | None, tolerance_km: float | None) -> BaseGeometry | None:
    """Simplify lines and polygons to ``tolerance_km`` (points are left alone).

    The tolerance is converted to degrees of latitude, which is conservative in
    longitude; topology is preserved so polygons stay valid and holes stay inside.
    """
    if geom is None or geom.is_empty or not tolerance_km or tolerance_km <= 0:
        return geom
    if geom.geom_type in ("Point", "MultiPoint"):
        return geom
    out = shapely.simplify(geom, tolerance_km / KM_PER_DEGREE, preserve_topology=True)
    return geom if out.is_empty else out
