"""Imported by the worker pool's forkserver: loads the compiled window kernels once.

numba compiles (or loads from its on-disk cache) each kernel at its first call, about
0.13 s of CPU in a fresh process. Solving one tiny window here, in the server every
worker is forked from, spares each worker that start-up. Without numba it does nothing.
"""

from __future__ import annotations

from . import _ldl


def warm() -> None:
    """Solve a 3 x 3 window (and its null model) to compile every kernel."""
    if not _ldl.AVAILABLE:
        return
    # Deferred: the forkserver imports this module; without numba it loads nothing more
    # (_window loads scipy).
    import numpy as np

    from ._window import WindowSolver

    solver = WindowSolver(four_neighbors=False)
    sources = np.zeros((3, 3))
    sources[0, 1] = 1.0  # inside the disk of reach 1
    solver.current(np.ones((3, 3)), sources, (1, 1), reach=1)
    solver.current(None, sources, (1, 1))


warm()
