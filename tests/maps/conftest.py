"""Fixtures shared by the map tests."""

from __future__ import annotations

import pytest
from browser.atlas_factory import features

from corridors import maps


@pytest.fixture(scope="module")
def atlas_html() -> str:
    """The page of an atlas of the test features, without the country layer."""
    return maps.map_html(maps.build_map(features(), boundaries=None))
