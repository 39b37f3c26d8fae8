"""Checkpoints: every finished tile on disk, so that a killed run resumes.

Each tile's partial maps are written (atomically: a killed writer leaves no half
file) as ``tile_NNNNNN.npz`` in a ``.omniscape_checkpoint`` folder inside the output
folder, next to a manifest that fingerprints the job (options, tiling, input files'
sizes and modification times). A run that finds a checkpoint with the same
fingerprint skips the tiles already there; one that finds another job's checkpoint
starts afresh. The folder is removed once the maps are written.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from .._io import atomic_write_bytes, atomic_write_text
from ._config import OmniscapeWarning
from ._core import TileResult

#: Folder, inside a run's output folder, that holds the finished tiles of a run that may
#: be resumed; removed when the run completes.
CHECKPOINT_DIR = ".omniscape_checkpoint"
MANIFEST = "manifest.json"
#: Bumped whenever a change to the algorithm makes old tiles wrong.
FORMAT_VERSION = 1


def file_identity(path: str | Path) -> dict[str, Any]:
    """What identifies an input file's contents cheaply: resolved path, size, mtime."""
    p = Path(str(path).removeprefix("/vsigzip/")).resolve()
    st = p.stat()
    return {"path": str(p), "size": st.st_size, "mtime_ns": st.st_mtime_ns}


def fingerprint(description: dict[str, Any]) -> str:
    """A stable hash of a JSON-able job description."""
    text = json.dumps(description, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Checkpoint:
    """The checkpoint folder of one job.

    Parameters
    ----------
    folder : Path
        The output folder; the checkpoint lives in ``folder / CHECKPOINT_DIR``.
    description : dict
        JSON-able description of the job (see :func:`fingerprint`).
    """

    def __init__(self, folder: Path, description: dict[str, Any]) -> None:
        self.dir = Path(folder) / CHECKPOINT_DIR
        self.description = description
        self.key = fingerprint(description)

    def _tile_path(self, index: int) -> Path:
        return self.dir / f"tile_{index:06d}.npz"

    def exists(self) -> bool:
        """Whether a checkpoint folder with a manifest is there."""
        return (self.dir / MANIFEST).is_file()

    def matches(self) -> bool:
        """Whether the checkpoint there was made by this same job."""
        try:
            manifest = json.loads((self.dir / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        return bool(manifest.get("key") == self.key and manifest.get("format") == FORMAT_VERSION)

    def start(self, *, resume: bool) -> set[int]:
        """Prepare the folder; return the tiles already finished (empty unless resuming)."""
        if self.dir.exists():
            if resume and self.matches():
                return set(self.finished())
            if resume:
                warnings.warn(
                    f"{self.dir} holds the checkpoint of a different job (options or input "
                    "files changed); starting afresh",
                    OmniscapeWarning,
                    stacklevel=3,
                )
            self.clear()
        self.dir.mkdir(parents=True, exist_ok=True)
        manifest = {"format": FORMAT_VERSION, "key": self.key, "job": self.description}
        atomic_write_text(self.dir / MANIFEST, json.dumps(manifest, indent=1, default=str))
        return set()

    def finished(self) -> Iterator[int]:
        """Indices of the tiles on disk."""
        for p in sorted(self.dir.glob("tile_*.npz")):
            try:
                yield int(p.stem.split("_", 1)[1])
            except ValueError:
                continue

    def save(self, index: int, result: TileResult) -> None:
        """Write one tile's partial maps (atomically)."""
        buf = io.BytesIO()
        arrays: dict[str, Any] = {
            "origin": np.array(
                [result.row0, result.col0, result.targets, result.peak_rss], dtype=np.int64
            ),
            "cpu": np.array([result.cpu_seconds]),
            "current": result.current,
        }
        if result.flow_potential is not None:
            arrays["flow_potential"] = result.flow_potential
        np.savez(buf, **arrays)
        atomic_write_bytes(self._tile_path(index), buf.getvalue())

    def load(self, index: int) -> TileResult:
        """Read one tile's partial maps."""
        with np.load(self._tile_path(index)) as data:
            row0, col0, targets, peak = (int(x) for x in data["origin"])
            fp = data["flow_potential"] if "flow_potential" in data.files else None
            cpu = float(data["cpu"][0])
            return TileResult(row0, col0, data["current"], fp, targets, cpu, peak)

    def clear(self) -> None:
        """Remove the checkpoint folder."""
        shutil.rmtree(self.dir, ignore_errors=True)
