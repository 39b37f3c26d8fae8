"""Every notebook in notebooks/ runs from top to bottom (stored without outputs)."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs(path: Path, tmp_path: Path) -> None:
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    stored = [
        c
        for c in nb.cells
        if c.cell_type == "code" and (c.get("outputs") or c.get("execution_count"))
    ]
    assert not stored, f"{path.name} is stored with outputs; clear them before committing"
    client = NotebookClient(
        nb,
        timeout=int(os.environ.get("CORRIDORS_NB_TIMEOUT", "600")),
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()


def test_there_are_notebooks() -> None:
    assert any(p.name == "01_atlas.ipynb" for p in NOTEBOOKS)
