"""Imports flow one way (docs/architecture.md): the layers, checked on the source."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "corridors"

#: Each top-level unit of the package and its layer; a unit imports only lower layers,
#: except the same-layer imports listed in SIDEWAYS.
LAYER = {
    **dict.fromkeys(
        (
            "errors",
            "_typing",
            "_io",
            "_resources",
            "_geodesy",
            "crs",
            "schema",
            "_compat",
            "_threads",
        ),
        0,
    ),
    **dict.fromkeys(("boundaries", "catalogue"), 1),
    **dict.fromkeys(("query", "circuit", "leastcost", "omniscape", "tracking"), 2),
    "maps": 3,
    "cli": 4,
    "__init__": 5,
}
#: Same-layer imports that are allowed: the foundation among itself, the catalogue on
#: the boundaries, and modelling on the queries and on circuit theory (never the other
#: way: queries know nothing of modelling).
SIDEWAYS = {
    ("crs", "_geodesy"),
    ("_geodesy", "errors"),
    ("_io", "errors"),
    ("_resources", "errors"),
    ("crs", "errors"),
    ("crs", "_threads"),
    ("_threads", "errors"),
    ("_threads", "_typing"),
    ("_geodesy", "_typing"),
    ("catalogue", "boundaries"),
    ("leastcost", "query"),
    ("tracking", "query"),
    ("leastcost", "circuit"),
    ("omniscape", "circuit"),
}
#: Presentation libraries only the maps may import.
PRESENTATION = ("folium", "branca", "matplotlib")


def _unit(path: Path) -> str:
    rel = path.relative_to(SRC)
    return (
        rel.parts[0].removesuffix(".py")
        if len(rel.parts) > 1 or rel.stem != "__init__"
        else "__init__"
    )


def _imports(path: Path) -> list[tuple[str, int]]:
    """(imported module, line) for every import in the file, relative ones resolved."""
    package = ["corridors", *path.relative_to(SRC).parent.parts]
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
                if node.module is None:  # from . import x
                    out += [(f"{module}.{alias.name}", node.lineno) for alias in node.names]
                    continue
            else:
                module = node.module or ""
            out.append((module, node.lineno))
    return out


def _violations() -> list[str]:
    found = []
    for path in sorted(SRC.rglob("*.py")):
        here = _unit(path)
        for module, line in _imports(path):
            parts = module.split(".")
            where = f"{path.relative_to(SRC.parent)}:{line}"
            if parts[0] in PRESENTATION and here not in ("maps",):
                found.append(f"{where}: {here} imports {module} (only maps may)")
            if parts[0] != "corridors" or len(parts) < 2:
                continue
            there = parts[1]
            if there == here or there not in LAYER or here not in LAYER:
                continue
            if LAYER[there] > LAYER[here] or (
                LAYER[there] == LAYER[here] and (here, there) not in SIDEWAYS
            ):
                found.append(f"{where}: {here} (layer {LAYER[here]}) imports {module}")
    return found


def test_every_unit_has_a_layer() -> None:
    units = {_unit(p) for p in SRC.rglob("*.py")}
    assert units <= set(LAYER), sorted(units - set(LAYER))


def test_imports_flow_one_way() -> None:
    assert _violations() == []


@pytest.mark.parametrize("package", ["circuit", "leastcost", "omniscape", "tracking", "query"])
def test_modelling_and_queries_never_import_maps_or_folium(package: str) -> None:
    for path in (SRC / package).rglob("*.py"):
        for module, line in _imports(path):
            assert not module.startswith(("corridors.maps", "corridors.cli", *PRESENTATION)), (
                f"{path}:{line} imports {module}"
            )
