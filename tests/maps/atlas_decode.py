"""Python twins of the atlas runtime's decoders (``_static/atlas.js``), for the tests.

They are written again here, not imported from the package, so that a test checks the
encoding against a second reading of the format.
"""

from __future__ import annotations

import json
import re
from typing import Any


def layer_payloads(page: str) -> list[dict[str, Any]]:
    """The data of every ``corridorsAtlas.layer(...)`` call in an atlas page."""
    decoder = json.JSONDecoder()
    return [
        decoder.raw_decode(page, m.end())[0]
        for m in re.finditer(r"corridorsAtlas\.layer\(\s*", page)
    ]


def unpack(text: str) -> list[int]:
    """Python twin of atlas.js unpack(): five bits a character, low first, zigzag signs."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    out, value, mul = [], 0, 1
    for ch in text:
        c = alphabet.index(ch)
        value += (c % 32) * mul
        if c < 32:
            out.append(value // 2 if value % 2 == 0 else -(value + 1) // 2)
            value, mul = 0, 1
        else:
            mul *= 32
    return out


def decode(groups: list[Any], digits: int) -> dict[str, list[Any]]:
    """Python twin of atlas.js ``decode``: points, lines and polygons in lon/lat."""
    k, x, y = 10.0**digits, 0, 0
    out: dict[str, list[Any]] = {"points": [], "lines": [], "polygons": []}

    def run(packed: str) -> list[tuple[float, float]]:
        nonlocal x, y
        flat = unpack(packed)
        pts = []
        for i in range(0, len(flat), 2):
            x += flat[i]
            y += flat[i + 1]
            pts.append((x / k, y / k))
        return pts

    for group in groups:
        kind = group[0]
        for part in group[1:]:
            if kind == 0:
                out["points"].extend(run(part))
            elif kind == 1:
                out["lines"].append(run(part))
            else:
                out["polygons"].append([run(r) for r in part])
    return out
