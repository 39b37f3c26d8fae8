"""corridors: ecological connectivity toolkit.

A georeferenced catalogue of connectivity case studies, spatial queries against
borders, roads and protected areas, and layered interactive Leaflet maps, at the top
level; corridor modelling in subpackages: :mod:`corridors.circuit` (circuit theory),
:mod:`corridors.leastcost` (least-cost corridors, pinch points, networks),
:mod:`corridors.omniscape` (moving-window connectivity) and :mod:`corridors.tracking`
(migration corridors from GPS collars)::

    import corridors
    cases = corridors.load_cases()
    corridors.crossing(cases, "TKM-UZB")

    from corridors import leastcost
    net = leastcost.corridor_network("resistance.tif", "cores.geojson")

``import corridors`` is light: it loads the errors module only. Each public name loads
its module (and that module's libraries: geopandas for the catalogue and queries, folium
for maps) the first time it is used, so a script or a CLI command pays only for what it
touches. ``docs/api.md`` lists the public surface.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._compat import moved
from .errors import (
    BoundaryError,
    CorridorsError,
    CorridorsWarning,
    CRSError,
    DataFileError,
    InputError,
    OutputError,
    Problem,
    RasterError,
    UnknownCaseError,
    UnknownCountryError,
    UnsupportedOptionError,
    ValidationError,
)

if TYPE_CHECKING:  # what the lazy names below resolve to, for type checkers and IDEs
    from . import circuit as circuit
    from . import leastcost as leastcost
    from . import omniscape as omniscape
    from . import tracking as tracking
    from .boundaries import border, country, load_boundaries
    from .catalogue import (
        get_case,
        load_cases,
        load_features,
        resolve_case_id,
        save_catalogue,
        to_geojson,
        validate,
    )
    from .maps import (
        add_corridor_layers,
        add_current_layer,
        add_layer,
        add_omniscape_layers,
        add_raster_layer,
        build_map,
        map_html,
        plot_cases,
        save_figure,
        save_map,
    )
    from .query import (
        countries_of,
        crossing,
        intersecting,
        near,
        resolve_boundary,
        transboundary,
        within,
    )

__version__ = "0.1.0"

#: Public top-level names and the module each one lives in, loaded on first use.
_LAZY: dict[str, str] = {
    **dict.fromkeys(("border", "country", "load_boundaries"), "boundaries"),
    **dict.fromkeys(
        (
            "get_case",
            "load_cases",
            "load_features",
            "resolve_case_id",
            "save_catalogue",
            "to_geojson",
            "validate",
        ),
        "catalogue",
    ),
    **dict.fromkeys(
        (
            "countries_of",
            "crossing",
            "intersecting",
            "near",
            "resolve_boundary",
            "transboundary",
            "within",
        ),
        "query",
    ),
    **dict.fromkeys(
        (
            "add_corridor_layers",
            "add_current_layer",
            "add_layer",
            "add_omniscape_layers",
            "add_raster_layer",
            "build_map",
            "map_html",
            "plot_cases",
            "save_figure",
            "save_map",
        ),
        "maps",
    ),
}

#: Modelling subpackages, reachable as attributes (``corridors.leastcost``) once imported
#: or on first use.
_SUBPACKAGES = frozenset({"circuit", "leastcost", "omniscape", "tracking"})

#: Least-cost names that were top-level before 0.2; still importable from here for one
#: release, with a DeprecationWarning pointing at :mod:`corridors.leastcost`.
_MOVED_TO_LEASTCOST = frozenset(
    {
        "core_graph",
        "corridor_network",
        "cost_distance",
        "infrastructure_crossings",
        "integral_index",
        "least_cost_paths",
        "network_metrics",
        "probability_of_connectivity",
    }
)


def __getattr__(name: str) -> Any:
    """Load a public name's module on first use (PEP 562)."""
    if name in _LAZY:
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    elif name in _SUBPACKAGES:
        value = importlib.import_module(f".{name}", __name__)
    elif name in _MOVED_TO_LEASTCOST:
        return moved(
            f"corridors.{name}",
            f"corridors.leastcost.{name}",
            hint=" (from corridors import leastcost)",
        )
    else:
        raise AttributeError(f"module 'corridors' has no attribute {name!r}")
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__) | _SUBPACKAGES)


__all__ = [
    "BoundaryError",
    "CRSError",
    "CorridorsError",
    "CorridorsWarning",
    "DataFileError",
    "InputError",
    "OutputError",
    "Problem",
    "RasterError",
    "UnknownCaseError",
    "UnknownCountryError",
    "UnsupportedOptionError",
    "ValidationError",
    "__version__",
    # boundaries
    "border",
    "country",
    "load_boundaries",
    # catalogue
    "get_case",
    "load_cases",
    "load_features",
    "resolve_case_id",
    "save_catalogue",
    "to_geojson",
    "validate",
    # query
    "countries_of",
    "crossing",
    "intersecting",
    "near",
    "resolve_boundary",
    "transboundary",
    "within",
    # maps (modelling results drawn on maps included)
    "add_corridor_layers",
    "add_current_layer",
    "add_layer",
    "add_omniscape_layers",
    "add_raster_layer",
    "build_map",
    "map_html",
    "plot_cases",
    "save_figure",
    "save_map",
]
