"""Where the shared Circuitscape reference data lives, and readers for its files."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np


def shared_dir() -> Path:
    """The ``shared`` folder beside the repository (``CORRIDORS_SHARED`` overrides)."""
    env = os.environ.get("CORRIDORS_SHARED")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / ".." / "shared"


def read_grid(path: Path) -> np.ndarray:
    """Values of an ASCII grid (``.asc`` or ``.asc.gz``), header skipped."""
    raw = gzip.decompress(path.read_bytes()).decode() if path.suffix == ".gz" else path.read_text()
    body = raw.split("\n", 6)[6]
    lines = [ln.split() for ln in body.splitlines() if ln.strip()]
    return np.array(lines, dtype=float)


def read_table(path: Path) -> np.ndarray:
    """A whitespace-separated numeric table (resistances, node or branch currents)."""
    lines = [ln.split() for ln in path.read_text().splitlines() if ln.strip()]
    return np.array(lines, dtype=float)


def sorted_rows(a: np.ndarray) -> np.ndarray:
    """Rows sorted lexicographically, so tables compare regardless of row order."""
    return a[np.lexsort(a.T[::-1])]
