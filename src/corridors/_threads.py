"""Threads for array work: independent chunks evaluated side by side.

GEOS (through shapely 2) and numpy release the GIL for their array operations, so
chunks of geometries run in threads use every core without copying shared data. The
query routes (:mod:`corridors.query`) run chunks of cases this way, and the coordinate
check (:func:`corridors.crs.check_coordinates`) its chunks of coordinates. Only work
that reads shared geometries through non-predicate operations, or that owns its
geometries outright (chunks are disjoint), is handed to threads: a GEOS prepared
geometry builds its index lazily on first use, which is not thread-safe, so predicates
on shared geometries stay in the calling thread.

The setting is one per process, like :func:`corridors.query.speed_routes`. Calls made
outside the main thread (dask partitions in a threaded scheduler, a caller's own
thread pool) run their chunks one after another: whoever made those threads already
decided how the cores are shared. Answers do not depend on the number of threads:
chunks are the same and joined in order.
"""

from __future__ import annotations

import contextvars
import itertools
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import TypeVar

import numpy as np

from ._typing import IntArray
from .errors import InputError

__all__ = ["THREADS_ENV", "map_chunks", "runs", "thread_count", "threads"]

#: Environment variable setting the number of threads (a positive integer).
THREADS_ENV = "CORRIDORS_THREADS"
#: Default ceiling: the chunks are memory-bound array work, and beyond a handful of
#: threads they contend for memory bandwidth more than they gain.
MAX_DEFAULT_THREADS = 8

_T = TypeVar("_T")
_R = TypeVar("_R")

_setting: int | None = None


def _usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on every platform
        return os.cpu_count() or 1


def thread_count() -> int:
    """Threads the chunked work uses: :func:`threads`, else ``CORRIDORS_THREADS``,
    else the usable cores up to :data:`MAX_DEFAULT_THREADS`."""
    if _setting is not None:
        return _setting
    raw = os.environ.get(THREADS_ENV, "").strip()
    if not raw:
        return min(_usable_cores(), MAX_DEFAULT_THREADS)
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise InputError(
            f"{THREADS_ENV}={raw!r} is not a number of threads: set it to a positive "
            "integer (1 runs every query in one thread) or unset it"
        )
    return value


@contextmanager
def threads(n: int) -> Iterator[None]:
    """Use ``n`` threads for ``crossing`` and the coordinate checks within a ``with`` block.

    By default they use the usable cores (at most 8). The answers are the same
    for any number; ``threads(1)`` runs everything in the calling thread. The setting
    is process-wide.

    Examples
    --------
    >>> import corridors
    >>> from corridors.query import threads
    >>> with threads(1):
    ...     hits = corridors.crossing(corridors.load_cases(), "TKM-UZB")
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise InputError(f"threads({n!r}): give a positive integer (1 for a single thread)")
    global _setting
    before = _setting
    _setting = n
    try:
        yield
    finally:
        _setting = before


def map_chunks(func: Callable[[_T], _R], chunks: Sequence[_T]) -> list[_R]:
    """``[func(c) for c in chunks]``, the chunks run in threads where that is allowed.

    Each chunk runs in a copy of the caller's context, so numpy's error state and the
    query's context variables hold in the threads as they do in the caller.
    """
    n = min(thread_count(), len(chunks))
    if n <= 1 or threading.current_thread() is not threading.main_thread():
        return [func(c) for c in chunks]
    contexts = [contextvars.copy_context() for _ in chunks]
    with ThreadPoolExecutor(max_workers=n, thread_name_prefix="corridors-query") as pool:
        futures = [pool.submit(ctx.run, func, c) for ctx, c in zip(contexts, chunks, strict=True)]
        return [f.result() for f in futures]


def runs(keys: IntArray, *, at_least: int, at_most: int | None = None) -> list[slice]:
    """Slices of the sorted ``keys``: about one per thread, each at least ``at_least``
    long and (for distinct keys) at most ``at_most``, never splitting a run of equal
    keys (one case's pairs)."""
    n = len(keys)
    count = max(1, min(thread_count(), n // max(at_least, 1)))
    if at_most is not None:
        count = max(count, -(-n // at_most))
    bounds = [0]
    for k in range(1, count):
        at = int(np.searchsorted(keys, keys[n * k // count]))
        if at > bounds[-1]:
            bounds.append(at)
    bounds.append(n)
    return [slice(a, b) for a, b in itertools.pairwise(bounds) if b > a]
