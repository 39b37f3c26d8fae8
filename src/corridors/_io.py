"""File helpers: output checks and atomic writes that never lose or clobber a file."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from .errors import OutputError

__all__ = ["atomic_write_bytes", "atomic_write_text", "check_output", "same_file"]

PathLike = str | os.PathLike[str]


def same_file(a: PathLike, b: PathLike) -> bool:
    """Whether ``a`` and ``b`` name the same file (same path, a symlink or a hard link).

    Paths that do not exist are compared after resolving them, so an output that does
    not exist yet never equals an existing input unless it is spelled as its path.
    """
    pa, pb = Path(a), Path(b)
    try:
        return os.path.samefile(pa, pb)
    except OSError:
        return pa.expanduser().resolve() == pb.expanduser().resolve()


def check_output(
    path: PathLike,
    *,
    inputs: Iterable[PathLike | None] = (),
    overwrite: bool = False,
    what: str = "output",
) -> Path:
    """Refuse an output path before any work is done; return it as a ``Path``.

    Parameters
    ----------
    path : path-like
        The file about to be written.
    inputs : iterable of path-like or None
        Every file the same command or call reads; ``None`` entries are skipped.
    overwrite : bool, keyword-only
        Replace an existing file (CLI ``--force``); inputs are never replaced.
    what : str, keyword-only
        What the file is, for the message ("output", "atlas", ...).

    Raises
    ------
    OutputError
        If ``path`` is a directory, its directory does not exist or is not writable, it
        is one of ``inputs`` (same path, symlink or hard link), or it exists and
        ``overwrite`` is false.
    """
    target = Path(path)
    if target.is_dir():
        raise OutputError(
            f"cannot write {what} {target}: it is a directory; give a file name inside it, "
            f"e.g. {target / 'out'}"
        )
    for source in inputs:
        if source is not None and same_file(target, source):
            raise OutputError(
                f"refusing to write {what} {target}: it is the input {source}; writing it "
                "would destroy the input. Choose another output name"
            )
    directory = target.parent if str(target.parent) else Path(".")
    _check_folder(target, directory, what)
    if not os.access(directory, os.W_OK | os.X_OK):
        raise OutputError(
            f"cannot write {what} {target}: directory {directory} is not writable; choose "
            "a folder you can write to"
        )
    if target.exists() and not overwrite:
        raise OutputError(
            f"{what} {target} already exists; pass --force (overwrite=True in Python) to "
            "replace it, or choose another name"
        )
    return target


def _check_folder(target: Path, directory: Path, what: str) -> None:
    """Refuse an output whose folder is missing, or is a file (``existing.csv/out.csv``)."""
    if directory.is_dir():
        return
    for parent in (directory, *directory.parents):
        if parent.exists() and not parent.is_dir():
            raise OutputError(
                f"cannot write {what} {target}: {parent} is a file, not a folder; choose "
                "an output path inside a folder"
            )
    raise OutputError(
        f"cannot write {what} {target}: directory {directory} does not exist; create it first"
    )


def atomic_write_bytes(path: PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically.

    The bytes go to a temporary file in the same directory, which is flushed, synced
    and then renamed over the target, so readers see either the old file or the new
    one, never a partial file. Whether an existing file may be replaced is decided by
    the caller (see :func:`check_output`).
    """
    target = Path(path)
    if target.is_dir():
        raise OutputError(f"cannot write {target}: it is a directory; give a file name")
    directory = target.parent if str(target.parent) else Path(".")
    _check_folder(target, directory, "output")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise OutputError(
            f"cannot write {target}: {exc.strerror or exc} in {directory}; choose a folder "
            "you can write to"
        ) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        # mkstemp creates 0600 files; give the result the usual permissions.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise OutputError(f"cannot write {target}: {exc.strerror or exc}") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def atomic_write_text(path: PathLike, text: str) -> Path:
    """Write UTF-8 ``text`` to ``path`` atomically (see :func:`atomic_write_bytes`)."""
    return atomic_write_bytes(path, text.encode("utf-8"))
