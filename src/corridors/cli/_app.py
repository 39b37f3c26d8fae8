"""The root ``corridors`` app: every command module is registered here, one way.

Each command module holds its commands on an ``app`` of its own: a
:func:`~corridors.cli._common.command_group` (``query``, ``infra``, ``tracks``:
``corridors query near ...``) or :func:`~corridors.cli._common.top_level_commands`
(``cases``, ``show``, ``validate``, ``map``, ``circuit``, ``omniscape``: their
commands join the root). :func:`register` adds them all, in the order ``corridors
--help`` lists them; a new command module is one more line in :data:`COMMAND_APPS`.
"""

from __future__ import annotations

import typer

from . import _catalogue, _circuit, _figure, _infra, _map, _omniscape, _query, _tracks

__all__ = ["COMMAND_APPS", "app", "main", "register"]

#: Every command module's app, in the order ``corridors --help`` lists them.
COMMAND_APPS: tuple[typer.Typer, ...] = (
    _catalogue.app,
    _map.app,
    _figure.app,
    _circuit.app,
    _omniscape.app,
    _query.app,
    _infra.app,
    _tracks.app,
)


def register(app: typer.Typer) -> None:
    """Add every ``corridors`` command and command group to ``app``.

    Parameters
    ----------
    app : typer.Typer
        The root app, or an app of a test's own.
    """
    for commands in COMMAND_APPS:
        app.add_typer(commands)


app = typer.Typer(
    name="corridors",
    help="Ecological connectivity toolkit: case-study catalogue, queries, atlas maps, "
    "corridor modelling.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
register(app)


def main() -> None:
    """Entry point of the ``corridors`` console script."""
    app()
