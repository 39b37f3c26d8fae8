"""Factories for small synthetic catalogue features (valid unless overridden)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

#: The bundled geodata of this checkout (``data/geo``), which the editable install the
#: test command makes (``pip install -e``) reads.
BUNDLED_DATA = Path(__file__).resolve().parents[1] / "data" / "geo"


def make_feature(**overrides: Any) -> dict[str, Any]:
    """A valid GeoJSON feature of a synthetic case around the Koytendag border area."""
    props: dict[str, Any] = {
        "case_id": "test-case",
        "name": "Test case",
        "summary": "A synthetic case used by the tests.",
        "species": [{"common": "Markhor", "scientific": "Capra falconeri"}],
        "taxon": "mammals",
        "realm": "terrestrial",
        "countries": ["TKM", "UZB"],
        "region": "Central Asia",
        "scale": "transboundary",
        "interventions": ["capacity building"],
        "threats": ["overgrazing"],
        "organisations": ["Test organisation"],
        "source": "icp-programme-page",
        "source_title": "International Connectivity",
        "source_url": "https://example.org/case",
        "feature_id": "test-case/area",
        "feature_name": "Test area",
        "role": "area",
        "georef_method": "approximate-envelope",
        "georef_note": "Synthetic.",
        "uncertainty_km": 5.0,
    }
    geometry: Any = {
        "type": "Polygon",
        "coordinates": [[[66.3, 37.7], [66.9, 37.7], [66.9, 38.1], [66.3, 38.1], [66.3, 37.7]]],
    }
    geometry = overrides.pop("geometry", geometry)
    props.update(overrides)
    return {
        "type": "Feature",
        "id": props.get("feature_id"),
        "geometry": geometry,
        "properties": props,
    }


def make_site(**overrides: Any) -> dict[str, Any]:
    """A valid point feature (a site inside Turkmenistan) of the synthetic case."""
    base = {
        "feature_id": "test-case/site",
        "feature_name": "Test site",
        "role": "site",
        "geometry": {"type": "Point", "coordinates": [66.5, 37.8]},
        "georef_method": "named-place",
        "uncertainty_km": 2.0,
    }
    base.update(overrides)
    return make_feature(**base)
