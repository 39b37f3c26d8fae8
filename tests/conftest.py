"""Shared fixtures: small synthetic catalogues written to temporary files."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from catalogue_factory import make_feature, make_site


@pytest.fixture
def write_catalogue(tmp_path: Path) -> Callable[..., Path]:
    """Write a FeatureCollection of the given features and return its path."""

    def write(features: list[dict[str, Any]], name: str = "cat.geojson", **extra: Any) -> Path:
        doc = {"type": "FeatureCollection", "features": copy.deepcopy(features), **extra}
        path = tmp_path / name
        path.write_text(json.dumps(doc, indent=1), encoding="utf-8")
        return path

    return write


@pytest.fixture
def good_catalogue(write_catalogue: Callable[..., Path]) -> Path:
    return write_catalogue([make_feature(), make_site()])
