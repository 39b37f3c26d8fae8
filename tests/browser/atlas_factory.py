"""Synthetic feature frames in the catalogue schema, for the map tests.

``features()`` gives a small catalogue with every role and several realms, taxa and
countries; ``hostile_features()`` puts script-injection payloads into every text field.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
from shapely.geometry import LineString, Point, Polygon, box

PAYLOADS = (
    "<img src=x onerror=\"document.title='pwned';alert(1)\">",
    "\"><script>document.title='pwned';alert(2)</script>",
    "</script><script>alert(3)</script>",
    "<svg onload=alert(4)>",
    "' onmouseover='alert(5)",
    "{{7*7}}<b>bold</b>&amp;",
)
BAD_URLS = (
    "javascript:alert(1)",
    "JaVaScRiPt:document.title='pwned'",
    "data:text/html,<script>alert(1)</script>",
    " javascript:alert(1)",
    "vbscript:msgbox(1)",
)

COLUMNS = [
    "feature_id", "case_id", "feature_name", "role", "georef_method", "georef_note",
    "uncertainty_km", "name", "summary", "species", "taxon", "realm", "countries", "region",
    "scale", "interventions", "threats", "organisations", "source", "source_title",
    "source_url",
]  # fmt: skip


def _case(i: int, **over: Any) -> dict[str, Any]:
    realms = ["terrestrial", "freshwater", "marine"]
    taxa = ["mammals", "birds", "fish", "multi-taxa"]
    countries = [["KEN", "TZA"], ["UZB", "TKM"], ["USA", "CAN"], ["FRA"]]
    base = {
        "case_id": f"case-{i:02d}",
        "name": f"Case {i:02d} corridor",
        "summary": f"Summary of synthetic case {i}.",
        "species": [{"common": "Markhor", "scientific": "Capra falconeri"}],
        "taxon": taxa[i % len(taxa)],
        "realm": realms[i % len(realms)],
        "countries": countries[i % len(countries)],
        "region": "Somewhere",
        "scale": "transboundary" if i % 2 else "landscape",
        "interventions": ["wildlife crossing", "easement"],
        "threats": ["roads"],
        "organisations": ["Test org"],
        "source": "test-source",
        "source_title": "Test source",
        "source_url": f"https://example.org/case/{i}",
    }
    base.update(over)
    return base


def _feature(case: dict[str, Any], j: int, role: str, geom: Any, **over: Any) -> dict[str, Any]:
    row = dict(case)
    row.update(
        feature_id=f"{case['case_id']}/{role}-{j}",
        feature_name=f"{case['name']} {role}",
        role=role,
        georef_method="approximate-envelope",
        georef_note="synthetic",
        uncertainty_km=2.0,
        geometry=geom,
    )
    row.update(over)
    return row


def features(n_cases: int = 6) -> gpd.GeoDataFrame:
    """A catalogue of ``n_cases`` cases; case 0 has one feature of every role."""
    rows = []
    for i in range(n_cases):
        case = _case(i)
        x, y = -60.0 + i * 22.0, -20.0 + (i % 3) * 18.0
        rows.append(_feature(case, 0, "area", box(x, y, x + 4, y + 3)))
        if i == 0:
            rows.append(_feature(case, 1, "route", LineString([(x, y - 1), (x + 6, y + 4)])))
            rows.append(_feature(case, 2, "barrier", LineString([(x + 1, y - 2), (x + 1, y + 5)])))
            rows.append(
                _feature(
                    case, 3, "infrastructure", Polygon([(x + 2, y), (x + 3, y), (x + 3, y + 1)])
                )
            )
            rows.append(_feature(case, 4, "site", Point(x + 2, y + 1.5)))
    return gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")


def hostile_features() -> gpd.GeoDataFrame:
    """A catalogue whose every text field holds an injection payload."""
    rows = []
    for i, payload in enumerate(PAYLOADS):
        case = _case(
            i,
            case_id=f"evil-{i}",
            name=f"{payload} name {i}",
            summary=f"{payload} summary",
            species=[{"common": f"{payload} common", "scientific": f"{payload} sci"}],
            taxon=f"{payload} taxon",
            realm=f"{payload} realm" if i < 2 else "terrestrial",
            countries=[f"{payload}", "KEN"],
            region=payload,
            scale=payload,
            interventions=[payload],
            threats=[payload],
            organisations=[payload],
            source=payload,
            source_title=f"{payload} source",
            source_url=BAD_URLS[i % len(BAD_URLS)],
        )
        x = -20.0 + 8 * i
        rows.append(
            _feature(
                case,
                0,
                "area",
                box(x, 0, x + 5, 5),
                feature_name=f"{payload} feature",
                georef_method=payload,
                georef_note=payload,
            )
        )
        rows.append(_feature(case, 1, "site", Point(x + 2, 7), feature_name=payload))
    return gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")
