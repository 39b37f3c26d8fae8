"""Running tile tasks: in this process, on a pool of processes, or on a dask cluster.

Each runner yields ``(tile index, partial maps)`` as tiles finish, in whatever order
they finish; callers add the partial maps up in tile order afterwards, so the maps
do not depend on the runner.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager
from typing import Any

from ..errors import InputError
from ._core import TileResult
from ._tiles import TileTask, release_solvers, solve_task

#: Tasks kept queued per worker: enough to keep every worker busy, few enough that
#: the partial maps waiting to be collected stay a handful.
QUEUED_PER_WORKER = 2


def cpu_count() -> int:
    """Cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def resolve_workers(workers: int | None) -> int:
    """``workers`` checked, or every core when None."""
    if workers is None:
        return cpu_count()
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise InputError(f"workers = {workers!r} is not valid; give a whole number of at least 1")
    return workers


def run_serial(tasks: Sequence[TileTask]) -> Iterator[tuple[int, TileResult]]:
    """Solve the tasks one after the other in this process."""
    try:
        for task in tasks:
            yield solve_task(task)
    finally:
        # The caller's process lives on (a notebook): its memory is not the plans'.
        release_solvers()


def _context() -> multiprocessing.context.BaseContext:
    # forkserver: workers start from a clean interpreter (no inherited threads or
    # locks from the caller, e.g. a notebook), yet start faster than with spawn.
    methods = multiprocessing.get_all_start_methods()
    if "forkserver" not in methods:  # pragma: no cover - Windows
        return multiprocessing.get_context("spawn")
    ctx = multiprocessing.get_context("forkserver")
    # The server imports the solver (and compiles its kernels) once; every worker
    # forked from it starts warm.
    ctx.set_forkserver_preload(["corridors.omniscape._tiles", "corridors.omniscape._warm"])
    return ctx


@contextmanager
def _workers_skip_main() -> Iterator[None]:
    """Start workers without re-running the caller's main script.

    Spawned (and forkserver) workers normally re-import ``__main__`` from its path or
    module name. The tasks need only corridors itself, so the main module is hidden
    while the pool starts: a script without an ``if __name__ == "__main__"`` guard then
    still works, and so does one read from stdin, which has no path to re-import.
    """
    main = sys.modules.get("__main__")
    saved = {k: getattr(main, k) for k in ("__file__", "__spec__") if hasattr(main, k)}
    for key in saved:
        if key == "__file__":
            delattr(main, key)
        else:
            setattr(main, key, None)
    try:
        yield
    finally:
        for key, value in saved.items():
            setattr(main, key, value)


def run_processes(tasks: Sequence[TileTask], workers: int) -> Iterator[tuple[int, TileResult]]:
    """Solve the tasks on a pool of ``workers`` processes."""
    pending: set[Future[tuple[int, TileResult]]] = set()
    queue = list(tasks)
    queue.reverse()
    limit = workers * QUEUED_PER_WORKER
    with (
        _workers_skip_main(),
        ProcessPoolExecutor(max_workers=workers, mp_context=_context()) as pool,
    ):
        try:
            while queue or pending:
                while queue and len(pending) < limit:
                    pending.add(pool.submit(solve_task, queue.pop()))
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    yield future.result()
        except BaseException:
            for future in pending:
                future.cancel()
            raise


def run_dask(tasks: Sequence[TileTask], scheduler: Any) -> Iterator[tuple[int, TileResult]]:
    """Solve the tasks on a dask.distributed cluster.

    ``scheduler`` is the scheduler's address (``tcp://host:port``) or a
    ``distributed.Client``. A worker lost mid-task (killed, out of memory) has its
    tasks run again elsewhere by dask itself.
    """
    try:
        from distributed import Client, as_completed
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise InputError(
            "scheduler= needs dask.distributed; install it with `pip install distributed`"
        ) from exc
    own = not isinstance(scheduler, Client)
    try:
        # How long to keep trying is dask's own setting,
        # ``distributed.comm.timeouts.connect`` (30 s unless configured).
        client = Client(scheduler, set_as_default=False) if own else scheduler
    except (OSError, TimeoutError) as exc:
        raise InputError(
            f"cannot reach the dask scheduler at {scheduler!r}: {exc}; start one with "
            "`dask scheduler` and give its address (tcp://host:port)"
        ) from exc
    try:
        futures = [client.submit(solve_task, task, pure=False) for task in tasks]
        for future in as_completed(futures, loop=client.loop):
            yield future.result()
            future.release()
    finally:
        if own:
            client.close()
