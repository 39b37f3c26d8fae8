"""ruff (lint and format) and mypy run as part of the test suite."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _tool(name: str) -> list[str]:
    exe = Path(sys.executable).parent / name
    if exe.exists():
        return [str(exe)]
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed; install the test extras: pip install -e '.[test]'")
    return [found]


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["ruff", "check", "src", "tests", "benchmarks", "scripts"], id="ruff-check"),
        pytest.param(
            ["ruff", "format", "--check", "src", "tests", "benchmarks", "scripts"], id="ruff-format"
        ),
        pytest.param(["mypy", "src/corridors"], id="mypy"),
    ],
)
def test_static_checks(args: list[str]) -> None:
    cmd = _tool(args[0]) + args[1:]
    result = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    marker = "<!-- test-command -->"
    assert marker in readme
    command = readme.split(marker, 1)[1].split("```bash", 1)[1].split("```", 1)[0].strip()
    assert command in ci, f"{command!r} not in .ci/run"
