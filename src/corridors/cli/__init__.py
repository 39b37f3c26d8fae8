"""The ``corridors`` command-line interface.

``corridors cases`` lists the catalogue, ``corridors show ID`` prints one case,
``corridors validate PATH`` checks a catalogue file; ``map``, ``circuit``,
``omniscape``, ``query``, ``infra`` and ``tracks`` each live in a module of their own,
registered in one place (:mod:`corridors.cli._app`).

Exit status, for every command:

- 0: success;
- 1: the command ran and found problems (``validate`` on a catalogue with problems);
- 2: bad input or usage, a file that cannot be read or written, any
  :class:`~corridors.errors.CorridorsError`, or a bug (reported as one, never as a
  traceback);
- 130: interrupted (Ctrl-C).

Command modules import typer and rich only; everything else (the catalogue, pandas,
geopandas, the modelling packages) is imported by the command that uses it, so
``corridors --help`` starts at once.
"""

from __future__ import annotations

from ._app import app, main, register
from ._common import EXIT_BAD_INPUT, EXIT_INTERRUPTED, EXIT_OK, EXIT_PROBLEMS

__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_PROBLEMS",
    "app",
    "main",
    "register",
]
