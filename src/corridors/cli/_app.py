"""The root ``corridors`` app: every command module is registered here, one way.

Each command module holds its commands on a ``typer.Typer`` of its own named ``app``:
a group (``query``, ``infra``, ``tracks``) names itself, and the commands of a nameless
one (``cases``, ``map``, ``circuit``, ...) join the root directly. :func:`register`
adds them all, in the order ``corridors --help`` lists them.
"""

from __future__ import annotations

import typer

from . import _catalogue, _circuit, _infra, _map, _omniscape, _query, _tracks

__all__ = ["COMMAND_APPS", "app", "main", "register"]

#: Every command module's app, in the order ``corridors --help`` lists them.
COMMAND_APPS: tuple[typer.Typer, ...] = (
    _catalogue.app,
    _map.app,
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
