"""Running independent tasks (sequences, individuals) here, in processes, or on dask."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any, TypeVar

from ..errors import InputError

__all__ = ["run_tasks"]

T = TypeVar("T")
R = TypeVar("R")


def run_tasks(
    func: Callable[[T, Any], R],
    tasks: Sequence[T],
    shared: Any,
    *,
    scheduler: Any = None,
    progress: bool = False,
    desc: str = "tasks",
) -> Iterator[R]:
    """Yield ``func(task, shared)`` for every task, as each finishes.

    ``scheduler``: None runs the tasks here one after another; ``"processes"`` uses a
    local process pool (one worker per core); a ``dask.distributed.Client``, or the
    address of a running scheduler (``"tcp://host:8786"``), sends them to its workers
    (``shared`` is scattered once). Results are yielded as they arrive, so the caller
    can fold them into its totals and free them.
    """
    bar = _bar(len(tasks), desc, progress)
    try:
        if scheduler is None or scheduler == "synchronous":
            for task in tasks:
                yield func(task, shared)
                bar.update(1)
        elif scheduler == "processes":
            yield from _processes(func, tasks, shared, bar)
        else:
            yield from _distributed(func, tasks, shared, scheduler, bar)
    finally:
        bar.close()


def _bar(total: int, desc: str, enabled: bool) -> Any:
    from tqdm.auto import tqdm  # deferred: tqdm (tqdm.auto probes IPython)

    return tqdm(total=total, desc=desc, unit="task", disable=not enabled, leave=False)


def _processes(
    func: Callable[[T, Any], R], tasks: Sequence[T], shared: Any, bar: Any
) -> Iterator[R]:
    workers = max(1, min(len(tasks), os.cpu_count() or 1))
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(func, task, shared) for task in tasks]
        for fut in as_completed(futures):
            yield fut.result()
            bar.update(1)


def _distributed(
    func: Callable[[T, Any], R], tasks: Sequence[T], shared: Any, scheduler: Any, bar: Any
) -> Iterator[R]:
    try:
        from distributed import Client, as_completed  # deferred: dask.distributed, optional
    except ImportError:
        raise InputError(
            "scheduler= needs dask.distributed, which is not installed; install it "
            "(pip install distributed) or leave scheduler=None"
        ) from None
    own = None
    if isinstance(scheduler, Client):
        client = scheduler
    elif isinstance(scheduler, str):
        try:
            own = client = Client(scheduler, timeout="10s")
        except OSError as exc:
            raise InputError(
                f"cannot reach the dask scheduler at {scheduler!r}: {exc}; start one "
                "(dask scheduler / dask worker) or pass scheduler=None"
            ) from None
    else:
        raise InputError(
            f"scheduler must be None, 'processes', a dask.distributed Client or a scheduler "
            f"address such as 'tcp://127.0.0.1:8786', not {scheduler!r}"
        )
    try:
        [shared_f] = client.scatter([shared], broadcast=True)
        futures = client.map(func, tasks, [shared_f] * len(tasks), pure=False)
        for fut in as_completed(futures):
            result = fut.result()
            fut.release()
            yield result
            bar.update(1)
    finally:
        if own is not None:
            own.close()
