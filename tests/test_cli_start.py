"""``corridors --help`` starts at once: no command's heavy dependencies are loaded.

Run in a fresh interpreter, since this test session has long imported them all.
"""

from __future__ import annotations

import json
import subprocess
import sys

#: Libraries only commands need; building the app or printing help must load none.
HEAVY = (
    "folium",
    "geopandas",
    "matplotlib",
    "networkx",
    "pandas",
    "pyproj",
    "rasterio",
    "scipy",
    "shapely",
)

#: Help pages printed in one interpreter: the root, a merged command and each group.
HELP_PAGES = (
    ("--help",),
    ("cases", "--help"),
    ("map", "--help"),
    ("circuit", "--help"),
    ("query", "--help"),
    ("query", "near", "--help"),
    ("infra", "crossings", "--help"),
    ("tracks", "corridors", "--help"),
)

_SCRIPT = """
import json, sys
from corridors.cli import main

pages, heavy = json.loads(sys.argv[1]), json.loads(sys.argv[2])
statuses = []
for page in pages:
    sys.argv = ["corridors", *page]
    try:
        main()
    except SystemExit as exc:
        statuses.append(exc.code)
print(json.dumps({"statuses": statuses, "loaded": [m for m in heavy if m in sys.modules]}),
      file=sys.stderr)
"""


def _run(pages: tuple[tuple[str, ...], ...]) -> dict[str, list[object]]:
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT, json.dumps(pages), json.dumps(HEAVY)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    result: dict[str, list[object]] = json.loads(done.stderr.strip().splitlines()[-1])
    return result


def test_help_loads_no_heavy_library() -> None:
    result = _run(HELP_PAGES)
    assert result["statuses"] == [0] * len(HELP_PAGES)
    assert result["loaded"] == []


def test_building_the_app_loads_no_heavy_library() -> None:
    code = (
        "import json, sys, typer, corridors.cli as cli\n"
        "typer.main.get_command(cli.app)\n"
        f"print(json.dumps([m for m in {list(HEAVY)!r} if m in sys.modules]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert json.loads(done.stdout) == []
