"""docs/api.md lists the public surface as it is."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _generator():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(
        "make_api_doc", ROOT / "scripts" / "make_api_doc.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_api_doc_is_current() -> None:
    expected = _generator().render()
    assert (ROOT / "docs" / "api.md").read_text(encoding="utf-8") == expected, (
        "docs/api.md is out of date: run python scripts/make_api_doc.py"
    )


def test_every_public_module_has_all() -> None:
    for name in _generator().MODULES:
        module = importlib.import_module(name)
        assert isinstance(getattr(module, "__all__", None), list), name
        for attr in module.__all__:
            assert hasattr(module, attr), f"{name}.{attr} in __all__ but missing"
