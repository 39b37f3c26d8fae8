"""The README's generated parts agree with the data."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_provenance_table_matches_catalogue() -> None:
    spec = importlib.util.spec_from_file_location(
        "provenance_table", ROOT / "scripts" / "provenance_table.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("<!-- provenance -->\n", 1)[1].split("<!-- /provenance -->", 1)[0]
    assert block == module.provenance_table(), (
        "README provenance table is stale: run python scripts/provenance_table.py"
    )
