"""Every Python and shell example in the README runs as written.

The examples use the sample inputs shipped under ``examples/`` (a small user catalogue,
a planned road, a resistance raster with cores and a Circuitscape job, all synthetic; see
``scripts/make_examples.py``). Each block runs in a fresh folder holding a copy of
``examples/``, so the README cannot drift from what the package does, and the sample
files must come out byte-identical (nothing a README command does may change an input).
"""

from __future__ import annotations

import hashlib
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
EXAMPLES = ROOT / "examples"

# The two set-up commands build a venv and install the package: CI runs the test one
# itself (test_static checks .ci/run holds it); they are not re-run here.
SETUP_MARKERS = ("<!-- main-command -->", "<!-- test-command -->")
FENCE = re.compile(r"^```(\w+)\n(.*?)^```", re.MULTILINE | re.DOTALL)
# Generous: a README example that needs more than this is not an example.
TIMEOUT_S = 300


def readme_blocks(language: str) -> list[tuple[int, str]]:
    """The README's fenced code blocks in ``language``, with their first line number."""
    text = README.read_text(encoding="utf-8")
    blocks = []
    for match in FENCE.finditer(text):
        if match.group(1) != language:
            continue
        before = text[: match.start()].rstrip().splitlines()
        if before and before[-1].strip() in SETUP_MARKERS:
            continue
        blocks.append((text.count("\n", 0, match.start()) + 2, match.group(2)))
    return blocks


def shell_commands() -> list[tuple[int, str]]:
    """Every command line of the README's bash blocks, with its line number."""
    commands = []
    for first_line, block in readme_blocks("bash"):
        for offset, line in enumerate(block.splitlines()):
            if line.strip() and not line.lstrip().startswith("#"):
                commands.append((first_line + offset, line))
    return commands


def _digests(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    shutil.copytree(EXAMPLES, tmp_path / "examples")
    return tmp_path


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env["MPLBACKEND"] = "Agg"
    env["COLUMNS"] = "100"
    return env


def test_readme_has_examples_to_run() -> None:
    assert len(readme_blocks("python")) >= 1
    assert len(shell_commands()) >= 10


@pytest.mark.parametrize(
    ("line", "code"),
    readme_blocks("python"),
    ids=lambda v: f"line{v}" if isinstance(v, int) else "",
)
def test_readme_python_example_runs(workdir: Path, line: int, code: str) -> None:
    before = _digests(workdir / "examples")
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=workdir,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
    )
    assert done.returncode == 0, f"README line {line}:\n{done.stdout}\n{done.stderr}"
    assert "Traceback" not in done.stderr
    assert _digests(workdir / "examples") == before, "a README example changed an input"


def test_readme_shell_examples_run(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI tour, line by line in one folder, each exiting 0 with no traceback.

    ``corridors ...`` lines run in this process through the CLI's own entry point (the
    same code the console script calls, without paying the import time per line); any
    other line runs in bash.
    """
    from typer.testing import CliRunner

    from corridors.cli import app

    monkeypatch.chdir(workdir)
    runner = CliRunner()
    before = _digests(workdir / "examples")
    for line, command in shell_commands():
        words = shlex.split(command, comments=True)
        if words[0] == "corridors" and not set("|;&<>$`") & set(command.split("#")[0]):
            result = runner.invoke(app, words[1:], env={"COLUMNS": "100"})
            code, out, err = result.exit_code, result.stdout, result.stderr
            if result.exception is not None and not isinstance(result.exception, SystemExit):
                code, err = -1, f"{err}\n{result.exception!r}"
        else:
            done = subprocess.run(
                ["bash", "-c", command],
                cwd=workdir,
                env=_env(),
                capture_output=True,
                text=True,
                timeout=TIMEOUT_S,
            )
            code, out, err = done.returncode, done.stdout, done.stderr
        where = f"README line {line}: {command}\n{out[-2000:]}\n{err[-2000:]}"
        assert code == 0, where
        assert "Traceback" not in err, where
    assert _digests(workdir / "examples") == before, "a README command changed an input"


def test_examples_are_what_the_script_writes(tmp_path: Path) -> None:
    """``examples/`` is reproducible: the script writes the same text files again."""
    spec_script = ROOT / "scripts" / "make_examples.py"
    copy = tmp_path / "repo"
    (copy / "scripts").mkdir(parents=True)
    shutil.copy(spec_script, copy / "scripts")
    done = subprocess.run(
        [sys.executable, str(copy / "scripts" / "make_examples.py")],
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
    )
    assert done.returncode == 0, done.stderr
    written = _digests(copy / "examples")
    shipped = _digests(EXAMPLES)
    # GeoTIFF bytes depend on the GDAL build; compare the text files exactly.
    text = {k for k in shipped if not k.endswith(".tif")}
    assert set(written) == set(shipped)
    assert {k: written[k] for k in text} == {k: shipped[k] for k in text}
