"""Names kept importable for one release after they move, with a DeprecationWarning."""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["moved", "moved_names"]


def moved(old: str, new: str, *, hint: str = "") -> Any:
    """Warn that ``old`` (``"package.name"``) moved to ``new``, and return the new object.

    The new module is imported here, on use only: a modelling package can keep a name
    that moved to :mod:`corridors.maps` without importing maps (or folium) itself.
    """
    warnings.warn(
        f"{old} moved to {new}; the old name goes in the next release{hint}",
        DeprecationWarning,
        stacklevel=3,  # the caller of the module's __getattr__
    )
    module, _, name = new.rpartition(".")
    return getattr(importlib.import_module(module), name)


def moved_names(module: str, targets: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` (PEP 562) that serves names which moved to ``targets``.

    ``targets`` maps each old name to its new dotted path; any other name is an
    AttributeError, as without the hook.
    """

    def __getattr__(name: str) -> Any:
        if name in targets:
            return moved(f"{module}.{name}", targets[name])
        raise AttributeError(f"module {module!r} has no attribute {name!r}")

    return __getattr__
