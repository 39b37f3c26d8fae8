"""corridors: ecological connectivity toolkit.

A georeferenced catalogue of connectivity case studies, spatial queries against
borders, roads and protected areas, layered interactive Leaflet maps, and corridor
modelling (circuit theory, least-cost corridors, pinch points).

Everything public is importable from the top level::

    import corridors
    cases = corridors.load_cases()
"""

from __future__ import annotations

# --- boundaries -----------------------------------------------------------------------
from .boundaries import border, country, load_boundaries

# --- catalogue ------------------------------------------------------------------------
from .catalogue import (
    get_case,
    load_cases,
    load_features,
    resolve_case_id,
    save_catalogue,
    to_geojson,
    validate,
)

# --- errors ---------------------------------------------------------------------------
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

# --- leastcost and network ------------------------------------------------------------
from .leastcost import (
    add_corridor_layers,
    core_graph,
    corridor_network,
    cost_distance,
    infrastructure_crossings,
    integral_index,
    least_cost_paths,
    network_metrics,
    probability_of_connectivity,
)

# --- maps -----------------------------------------------------------------------------
from .maps import (
    add_layer,
    add_omniscape_layers,
    add_raster_layer,
    build_map,
    map_html,
    save_map,
)

# --- query ----------------------------------------------------------------------------
from .query import (
    countries_of,
    crossing,
    intersecting,
    near,
    resolve_boundary,
    transboundary,
    within,
)

# (circuit theory lives in the subpackage: ``corridors.circuit``)

__version__ = "0.1.0"

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
    # maps
    "add_layer",
    "add_omniscape_layers",
    "add_raster_layer",
    "build_map",
    "map_html",
    "save_map",
    # leastcost and network
    "add_corridor_layers",
    "core_graph",
    "corridor_network",
    "cost_distance",
    "infrastructure_crossings",
    "integral_index",
    "least_cost_paths",
    "network_metrics",
    "probability_of_connectivity",
]
