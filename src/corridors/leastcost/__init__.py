"""Least-cost modelling: cost distance, least-cost paths, corridors, pinch points, networks.

The Linkage Mapper workflow without ArcGIS: cost-weighted distance from habitat cores
over a resistance raster (:func:`cost_distance`), least-cost paths between them
(:func:`least_cost_paths`), which cores to link and their normalised least-cost
corridors with pinch points (:func:`corridor_network`), the network's connectivity
indices and the importance of each core (:func:`network_metrics`, as Conefor and
Graphab), and where a planned road or fence cuts a corridor
(:func:`infrastructure_crossings`). :func:`corridors.maps.add_corridor_layers` draws
the result on an atlas.

Conventions: rasters are (rows, cols) arrays with an affine transform and a projected CRS
in metres; costs are resistance x metres; lengths are km; tables are GeoDataFrames in the
raster CRS.
"""

from __future__ import annotations

from .._compat import moved_names
from ._corridors import CorridorNetwork, corridor_network
from ._cost import CostDistance, cost_distance, trace_path
from ._crossings import infrastructure_crossings
from ._errors import CoreError, ResistanceError, UnreachableCoresWarning
from ._network import (
    NetworkMetrics,
    core_graph,
    integral_index,
    network_metrics,
    probability_of_connectivity,
)
from ._paths import least_cost_paths
from ._raster import Cores, ResistanceSurface, rasterize_cores, read_resistance
from ._write import write_network

__all__ = [
    "CoreError",
    "Cores",
    "CorridorNetwork",
    "CostDistance",
    "NetworkMetrics",
    "ResistanceError",
    "ResistanceSurface",
    "UnreachableCoresWarning",
    "core_graph",
    "corridor_network",
    "cost_distance",
    "infrastructure_crossings",
    "integral_index",
    "least_cost_paths",
    "network_metrics",
    "probability_of_connectivity",
    "rasterize_cores",
    "read_resistance",
    "trace_path",
    "write_network",
]


#: Moved to :mod:`corridors.maps` (maps draw modelling results); importable for one release.
__getattr__ = moved_names(__name__, {"add_corridor_layers": "corridors.maps.add_corridor_layers"})
