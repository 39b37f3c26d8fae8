"""The tracking benchmark script: --help, and a small run end to end."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "tracking.py"


def test_help() -> None:
    out = subprocess.run(
        [sys.executable, str(SCRIPT), "--help"], capture_output=True, text=True, check=True
    )
    assert "--million-individuals" in out.stdout and "--quick" in out.stdout


@pytest.mark.slow
def test_small_run_prints_every_section() -> None:
    args = [
        "--individuals",
        "2",
        "--fixes-each",
        "300",
        "--peer-fixes",
        "1",
        "--million-individuals",
        "0",
        "--no-cluster",
        "--cell-size",
        "60",
    ]
    out = subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    assert "1. bbmm on a local process pool" in out.stdout
    assert "largest difference" in out.stdout
    diff = float(out.stdout.split("largest difference ")[1].split(" ")[0])
    assert diff < 1e-9
