"""Animal tracking: from GPS collars to migration corridors, stopovers and crossings.

The Migration Mapper workflow (Wyoming Migration Initiative) in Python, implemented
from the published equations: read a Movebank export (:func:`read_movebank`), clean it
with a report of every fix dropped (:func:`clean_fixes`), split the tracks into
migration sequences (:func:`sequences`), estimate each sequence's Brownian motion
variance (:func:`motion_variance`, Horne et al. 2007) and its Brownian bridge
occurrence distribution (:func:`bbmm`), merge them into population corridors and
stopovers (:func:`population_corridors`), and find where and when animals cross
borders, roads and fences (:func:`crossing_events`) or pass through a bottleneck
(:func:`passages`). :func:`simulate_migration` makes herds with known truth.

Conventions: fixes are GeoDataFrames of EPSG:4326 points with ``individual`` and a
tz-aware UTC ``timestamp``; grids are in a projected CRS in metres (by default a
Lambert azimuthal equal-area projection centred on the data); motion variances are in
m² per minute; distances in km or m as the names say.
"""

from __future__ import annotations

from ._bbmm import (
    DEFAULT_CELL_SIZE_M,
    DEFAULT_LEVELS,
    DEFAULT_LOCATION_ERROR_M,
    DEFAULT_TIME_STEP_MIN,
    BBMMResult,
    bbmm,
    motion_variance,
)
from ._clean import DEFAULT_MAX_LAG_H, DEFAULT_MAX_SPEED_KMH, CleanedFixes, clean_fixes
from ._crossings import DEFAULT_TRACK_TOLERANCE_KM, crossing_events, passages
from ._errors import NaiveTimestampWarning, ShortSequenceWarning, TrackingWarning
from ._fixes import as_fixes, read_movebank
from ._grid import Grid
from ._kernel import MotionVariance
from ._population import (
    CLASS_NAMES,
    DEFAULT_CLASS_SHARES,
    DEFAULT_FOOTPRINT_LEVEL,
    DEFAULT_STOPOVER_LEVEL,
    PopulationCorridors,
    population_corridors,
)
from ._sequences import MIN_FIXES, sequences
from ._simulate import simulate_migration, write_movebank

__all__ = [
    "CLASS_NAMES",
    "DEFAULT_CELL_SIZE_M",
    "DEFAULT_CLASS_SHARES",
    "DEFAULT_FOOTPRINT_LEVEL",
    "DEFAULT_LEVELS",
    "DEFAULT_LOCATION_ERROR_M",
    "DEFAULT_MAX_LAG_H",
    "DEFAULT_MAX_SPEED_KMH",
    "DEFAULT_STOPOVER_LEVEL",
    "DEFAULT_TIME_STEP_MIN",
    "DEFAULT_TRACK_TOLERANCE_KM",
    "MIN_FIXES",
    "BBMMResult",
    "CleanedFixes",
    "Grid",
    "MotionVariance",
    "NaiveTimestampWarning",
    "PopulationCorridors",
    "ShortSequenceWarning",
    "TrackingWarning",
    "as_fixes",
    "bbmm",
    "clean_fixes",
    "crossing_events",
    "motion_variance",
    "passages",
    "population_corridors",
    "read_movebank",
    "sequences",
    "simulate_migration",
    "write_movebank",
]
