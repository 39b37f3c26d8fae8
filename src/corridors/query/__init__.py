"""Spatial queries: which cases cross a border, a road or a reserve, lie within a country,
lie near a proposed dam, or span several countries.

Every function takes a GeoDataFrame of cases (the catalogue's cases or features, or any
frame of your own, in any CRS) first and returns the matching rows **in the input's CRS,
with the input's index and columns**, plus columns that explain the match. Results are
GeoDataFrames, empty when nothing matches, never None. A ``dask_geopandas.GeoDataFrame``
is accepted too and is processed partition by partition (the result is lazy).

Semantics
---------
``shapely.crosses`` does not mean what a planner means (it is False for polygon against
polygon, False for a route that runs along a border and then crosses, True for a
dead-end road), so the operations are defined here from DE-9IM relations. *I*, *B* and
*E* are the interior, boundary and exterior of a geometry; "a part lies more than t
inside" means that after removing everything within ``tolerance_km`` (t) of the
boundary's edge, something of the case is left inside.

=============  ==========  ==============================================================
Operation      Boundary    A case matches when (DE-9IM core with the case first;
                           t = ``tolerance_km``)
=============  ==========  ==============================================================
crossing       areal       its parts lie both inside and outside: I(case) meets I(area)
               (country,   and E(area), ``T*T******``; each side reached more than t
               reserve,    beyond the edge. A single point never crosses; a multi-site
               polygon,    case with sites on both sides does; touching the edge is not
               bbox)       crossing.
crossing       linear      polygon case: the line passes through its interior,
               (border,    ``T********`` (line in case), reaching more than t in from the
               road, rail, case's edge, or cutting it into pieces more than t apart
               canal,      (``severs``). Line case: it passes from one side of the line
               fence,      to the other, also after running along it; touching, ending
               river)      on the line or passing round a dead end is not crossing; sides
                           are judged on the edge of a band of half-width max(t, 1 m),
                           by the nearest segment of the lines. Points never.
crossing       border      as linear, and also when the case has parts more than t deep
               "TKM-UZB"   in both countries (sites on both sides).
within         areal       no part lies more than t outside and some part inside:
                           ``T*F**F***`` (covered, meeting the interior) when t = 0.
intersecting   any         it shares any point with the boundary: not ``FF*FF****``;
                           exact, touching included.
near           any         its geodesic distance to the geometry is at most
                           ``distance_km`` (0 when they intersect).
transboundary  countries   its interior meets the interiors of two or more countries,
                           ``T********`` each, counting a country when the case lies
                           wholly in it or reaches more than t into it. The sea is no
                           country: coastlines are not borders.
countries_of   countries   every case, with the countries counted as for transboundary
                           (or, when none counts, every country its interior meets).
=============  ==========  ==============================================================

Tolerance
---------
Boundary data are imprecise: the bundled Natural Earth 1:10m borders are generalised
for maps at 1:10,000,000, where a line 0.1 mm wide covers 1 km, and they depart from
surveyed borders by up to about that much. Crossings smaller than that are slivers of
data mismatch, not crossings, so the default :data:`DEFAULT_TOLERANCE_KM` is 1 km. Pass
``tolerance_km=0`` for exact DE-9IM answers (sides of line crossings are then judged 1 m
from the line), or more for data as coarse as the catalogue's own georeferencing (see
the ``uncertainty_km`` column).

Measures
--------
Distances, lengths and areas are geodesic on the WGS84 ellipsoid (:class:`pyproj.Geod`),
tolerance bands are metric buffers in a local azimuthal equidistant projection centred
on each case; nothing is measured in degrees. Geometries that cross the antimeridian are
split along it first (RFC 7946, section 3.1.9), so a case spanning 180° is not read as
wrapping the world, and windows around cases near the poles take whole parallels.
Edges are straight in longitude/latitude, as RFC 7946 specifies.

Routes
------
Every answer comes from the reference route (:mod:`corridors.query._reference`), which
implements the definitions above on shapely/GEOS. For ``crossing``, speed routes
(:mod:`corridors.query._fast`) first settle what they surely can from the segments of
cases and boundary with numpy, and the reference route answers the rest
(:mod:`corridors.query._dispatch`); the answers are the same, measures to about 1e-12.
:func:`speed_routes` turns them off within a ``with`` block, and the environment
variable ``CORRIDORS_QUERY_SPEED=0`` (:data:`SPEED_ENV`) at import, process-wide.

Against a line (roads, rails, rivers), both routes work through independent chunks of
cases in threads, since GEOS and numpy release the GIL; against areas, the speed route
does: by default one thread per usable core, at most 8. :func:`threads` sets the number
within a ``with`` block, as does the environment variable ``CORRIDORS_THREADS``
(:data:`THREADS_ENV`); the answers do not depend on it. The check of every input's
coordinates runs its chunks the same way. Calls from threads other than the main one
(dask partitions) run their chunks one after another.

Result columns
--------------
``boundary``
    Label of the boundary feature matched (an ISO code, a file's feature label, ...).
``share_inside``
    Fraction of the case inside the area, by area for cases with polygons, by length
    for cases with lines, by number of points otherwise (0-1).
``area_inside_km2``, ``length_inside_km``
    Geodesic area and length of the case inside the area.
``length_across_km``
    Geodesic length of the boundary line inside the case's polygons (0 when the line
    does not enter them, or the case has none).
``n_crossings``
    Crossing points: times the case's lines pass through the edge of the area or from
    one side of the line to the other, plus, against a line, the separate stretches of
    the line inside the case's polygons (pandas ``Int64``). Against a line it is always
    a number (0 for a case matched only by lying deep in both countries of a border);
    against an area it is missing for a case without lines, whose ``share_inside`` and
    ``area_inside_km2`` say how it straddles the edge.
``severs``
    Whether the line cuts a polygon of the case into separate parts.
``matched_by``
    Why :func:`crossing` matched the case, in words: ``"parts inside and outside"``
    (an area), ``"line passes through"`` (a line through a polygon of the case),
    ``"crosses the line"`` (a line of the case from one side to the other), ``"deep in
    both countries"`` (a border); several reasons are joined with ``", "``.
``distance_km``
    Geodesic distance to the geometry.
``countries``, ``n_countries``, ``country_shares``
    ISO alpha-3 codes spanned (largest share first), their number, and the share of
    the case in each.
"""

from __future__ import annotations

import contextvars
import math
import numbers
import threading
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .. import _geodesy as geo
from .._threads import THREADS_ENV, threads
from ..crs import to_wgs84
from ..errors import BoundaryError, InputError
from . import _dispatch as dispatch
from . import _reference as eng
from ._antimeridian import split_antimeridian
from ._dispatch import SPEED_ENV, speed_routes
from ._windows import candidate_pairs
from .boundary import (
    Boundary,
    BoundaryRepairedWarning,
    CaseRepairedWarning,
    bundled_countries,
    resolve_boundary,
    single_geometry,
)

__all__ = [
    "DEFAULT_TOLERANCE_KM",
    "SPEED_ENV",
    "THREADS_ENV",
    "Boundary",
    "BoundaryRepairedWarning",
    "CaseRepairedWarning",
    "countries_of",
    "crossing",
    "intersecting",
    "near",
    "resolve_boundary",
    "speed_routes",
    "threads",
    "transboundary",
    "within",
]

#: Default tolerance (km): the positional accuracy of the bundled 1:10m boundaries.
DEFAULT_TOLERANCE_KM = 1.0

_AREAL_COLUMNS = ("boundary", "share_inside", "area_inside_km2", "length_inside_km")

#: ``matched_by`` of :func:`crossing`: why a case matched. An areal boundary: parts of
#: the case lie more than t inside and more than t outside the area.
MATCHED_INSIDE_AND_OUTSIDE = "parts inside and outside"
#: A linear boundary passes through a polygon of the case (or cuts it apart).
MATCHED_THROUGH = "line passes through"
#: A line of the case passes from one side of the linear boundary to the other.
MATCHED_ACROSS = "crosses the line"
#: A border "AAA-BBB": the case has parts more than t deep in both countries.
MATCHED_BOTH_COUNTRIES = "deep in both countries"


# ----------------------------------------------------------------------------- helpers


def _check_km(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InputError(f"{name} must be a number of kilometres, got {value!r}")
    v = float(value)
    if math.isnan(v) or math.isinf(v):
        raise InputError(f"{name} must be a finite number of kilometres, got {value!r}")
    if v < 0:
        raise InputError(f"{name} must be >= 0 km, got {value!r}; distances cannot be negative")
    return v


def _is_dask(obj: Any) -> bool:
    return type(obj).__module__.startswith("dask_geopandas") and hasattr(obj, "map_partitions")


def _frame(cases: Any) -> gpd.GeoDataFrame:
    if isinstance(cases, gpd.GeoSeries):
        return gpd.GeoDataFrame(geometry=cases)
    if not isinstance(cases, gpd.GeoDataFrame):
        raise InputError(
            f"cases must be a GeoDataFrame (e.g. corridors.load_cases()), got "
            f"{type(cases).__name__}"
        )
    return cases


#: Columns that name a row of cases in messages, by preference.
_CASE_ID_COLUMNS = ("feature_id", "case_id", "id", "name")


def _lonlat(frame: gpd.GeoDataFrame) -> np.ndarray:
    """The frame's geometries in lon/lat, split at the antimeridian; None for empties.

    Raises InputError naming every row with a coordinate that is not a position.
    """
    if len(frame) == 0:
        return np.empty(0, dtype=object)
    # Only the column that names the rows goes along: the check names them by it.
    named = [c for c in _CASE_ID_COLUMNS if c in frame.columns][:1]
    light = frame[[*named, frame.geometry.name]] if named else frame.geometry
    lonlat = to_wgs84(light, what="cases", check=InputError, noun="row")
    geoms = np.asarray(lonlat.geometry.values, dtype=object)
    geoms = geoms.copy()
    geoms[shapely.is_empty(geoms) | shapely.is_missing(geoms)] = None
    if _REPAIR.get():
        geoms = _repaired(frame, geoms)
    return split_antimeridian(geoms)


#: Set while a query runs again after GEOS failed on invalid case geometries.
_REPAIR: contextvars.ContextVar[bool] = contextvars.ContextVar("repair_cases", default=False)
#: Rows named in the warning about repaired cases.
_MAX_NAMED = 10


def _repaired(frame: gpd.GeoDataFrame, geoms: np.ndarray) -> np.ndarray:
    """The geometries with the invalid ones made valid, and a warning naming them."""
    present = ~shapely.is_missing(geoms)
    invalid = np.zeros(len(geoms), dtype=bool)
    invalid[present] = ~shapely.is_valid(geoms[present])
    bad = np.flatnonzero(invalid)
    if len(bad) == 0:
        return geoms
    reasons = shapely.is_valid_reason(geoms[bad[:_MAX_NAMED]])
    named = "; ".join(
        f"row {frame.index[i]!r}: {reason}" for i, reason in zip(bad, reasons, strict=False)
    )
    more = f" and {len(bad) - _MAX_NAMED} more" if len(bad) > _MAX_NAMED else ""
    warnings.warn(
        f"cases: {len(bad)} invalid geometr{'y' if len(bad) == 1 else 'ies'} repaired with "
        f"make_valid for the query ({named}{more}); fix them with shapely.make_valid to "
        "silence this",
        CaseRepairedWarning,
        stacklevel=5,
    )
    geoms = geoms.copy()
    geoms[bad] = shapely.make_valid(geoms[bad])
    return geoms


def _guarded(
    func: Callable[..., gpd.GeoDataFrame], frame: gpd.GeoDataFrame, *args: Any
) -> gpd.GeoDataFrame:
    """``func(frame, *args)``; if GEOS fails on it, again with invalid cases repaired.

    Checking every case's validity up front would cost more than many queries; GEOS
    only fails on invalid or degenerate input, so the repair is paid for when it is
    needed. Floating-point errors (GEOS computing NaN from a polygon collapsed to a
    line in a case's local frame) count as failures instead of leaking a
    RuntimeWarning next to a doubtful answer.
    """
    failures = (shapely.errors.GEOSException, FloatingPointError)
    with np.errstate(divide="raise", over="raise", invalid="raise"):
        if _REPAIR.get():
            return func(frame, *args)
        try:
            return func(frame, *args)
        except failures:
            pass
        token = _REPAIR.set(True)
        try:
            return func(frame, *args)
        except failures as exc:
            raise InputError(
                f"GEOS cannot evaluate these cases against the boundary ({exc}), even with "
                "invalid cases repaired: a case collapses to a line or a point when "
                "measured around its centre (it spans half the globe, or its vertices "
                "nearly coincide); check the cases with shapely.is_valid_reason and "
                "split very large ones"
            ) from exc
        finally:
            _REPAIR.reset(token)


def _rows(frame: gpd.GeoDataFrame, pos: np.ndarray, columns: dict[str, Any]) -> gpd.GeoDataFrame:
    out = frame.iloc[np.asarray(pos, dtype=np.intp)].copy()
    for name, values in columns.items():
        out[name] = (
            values
            if not isinstance(values, np.ndarray)
            else list(values)
            if (values.dtype == object)
            else values
        )
    return out


def _apply(func: Callable[..., gpd.GeoDataFrame], cases: Any, *args: Any) -> Any:
    """Run ``func(frame, *args)`` on the cases, or lazily on every partition of a
    dask GeoDataFrame."""
    if not _is_dask(cases):
        return _guarded(func, _frame(cases), *args)
    meta = func(cases._meta, *args)
    return cases.map_partitions(_in_partition, func, *args, meta=meta)


def _present(geoms: np.ndarray) -> np.ndarray:
    """Positions of the rows that have a geometry."""
    return np.flatnonzero(~shapely.is_missing(geoms))


def _in_partition(
    frame: gpd.GeoDataFrame, func: Callable[..., gpd.GeoDataFrame], *args: Any
) -> gpd.GeoDataFrame:
    # GEOS builds the indexes of a prepared geometry lazily on first use, which is not
    # thread-safe: partitions running in threads each work on their own copies.
    return _guarded(func, frame, *(_private(a) for a in args))


def _private(value: Any) -> Any:
    if isinstance(value, Boundary):
        sides = None
        if value.sides is not None:
            a, b = shapely.from_wkb(shapely.to_wkb(np.array(value.sides, dtype=object)))
            sides = (a, b)
        return Boundary(value.kind, _copy_geoms(value.geoms), value.labels, value.name, sides)
    if isinstance(value, shapely.Geometry):
        return shapely.from_wkb(shapely.to_wkb(value))
    return value


def _copy_geoms(geoms: np.ndarray) -> np.ndarray:
    return np.asarray(shapely.from_wkb(shapely.to_wkb(geoms)), dtype=object)


_THREAD = threading.local()


def _countries_here() -> Boundary:
    """The bundled countries; outside the main thread, this thread's own copy."""
    if threading.current_thread() is threading.main_thread():
        return bundled_countries()
    if not hasattr(_THREAD, "countries"):
        _THREAD.countries = _private(bundled_countries())
    countries: Boundary = _THREAD.countries
    return countries


# ----------------------------------------------------------------------------- crossing


def crossing(
    cases: gpd.GeoDataFrame,
    boundary: Any,
    *,
    tolerance_km: float = DEFAULT_TOLERANCE_KM,
    crs: Any = None,
) -> gpd.GeoDataFrame:
    """Cases that cross a boundary: an area's edge, a border, a road.

    Parameters
    ----------
    cases : GeoDataFrame or dask_geopandas.GeoDataFrame
        Cases or features, any CRS.
    boundary
        Anything :func:`resolve_boundary` accepts: a GeoDataFrame, a shapely geometry
        with ``crs=``, a file path, ISO alpha-3 codes, a border ``"TKM-UZB"``, a
        bounding box. A frame with several polygons is several boundaries (one result
        row per case and polygon crossed, like a spatial join); lines are one network.
    tolerance_km : float, default :data:`DEFAULT_TOLERANCE_KM` (1 km)
        Parts of a case closer than this to the boundary do not count (see the module
        docstring for the semantics table).
    crs : optional
        CRS of ``boundary`` when it is a bare shapely geometry or a bounding box.

    Returns
    -------
    GeoDataFrame
        Matching cases, in the input's CRS and index, with columns that say why each
        matched (see *Result columns* in :mod:`corridors.query`):

        * areal boundary: ``boundary``, ``share_inside`` (strictly between 0 and 1),
          ``area_inside_km2``, ``length_inside_km``, ``n_crossings`` (missing for a case
          without lines), ``matched_by`` (``"parts inside and outside"``);
        * linear boundary: ``boundary``, ``length_across_km`` (geodesic length of the
          line inside the case's polygons, 0 when it does not enter them),
          ``n_crossings``, ``severs``, ``matched_by`` (``"line passes through"``,
          ``"crosses the line"``);
        * a border ``"AAA-BBB"``: as a linear boundary, and ``matched_by`` also
          ``"deep in both countries"`` for a case with parts more than
          ``tolerance_km`` deep in each (alone when the line does not cross it: then
          ``n_crossings`` is 0 and ``length_across_km`` is the border's length inside
          it, often 0).

    Raises
    ------
    BoundaryError
        A boundary with no usable geometry, or with a coordinate that is not a number,
        infinite or outside longitude/latitude ranges (every such feature is named).
    InputError
        Cases with such a coordinate, or a bad ``tolerance_km``.

    Examples
    --------
    >>> import corridors
    >>> hits = corridors.crossing(corridors.load_cases(), "TKM-UZB")
    >>> "koytendag-turkmenistan-uzbekistan" in hits.index
    True
    """
    tol = _check_km(tolerance_km, "tolerance_km")
    bnd = resolve_boundary(boundary, crs=crs)
    return _apply(_crossing, cases, bnd, tol)


def _crossing(frame: gpd.GeoDataFrame, bnd: Boundary, tol: float) -> gpd.GeoDataFrame:
    geoms = _lonlat(frame)
    if bnd.kind == "linear":
        return _linear_rows(frame, geoms, bnd, tol, crossed_only=True)
    # A single point can never lie both inside and outside: skip them outright.
    pos = _present(geoms)
    pos = pos[shapely.get_type_id(geoms[pos]) != 0]
    pairs, m, trav, has_line = dispatch.crossing_areal(geoms[pos], bnd, tol)
    sel = pairs.deep_in & pairs.deep_out
    n_cross = pd.array(np.where(has_line, trav, 0), dtype="Int64")
    n_cross[~has_line] = pd.NA
    return _rows(
        frame,
        pos[pairs.case[sel]],
        {
            "boundary": [bnd.labels[t] for t in pairs.target[sel]],
            **m,
            "n_crossings": n_cross,
            "matched_by": [MATCHED_INSIDE_AND_OUTSIDE] * int(sel.sum()),
        },
    )


def _linear_rows(
    frame: gpd.GeoDataFrame,
    geoms: np.ndarray,
    bnd: Boundary,
    tol: float,
    *,
    crossed_only: bool,
) -> gpd.GeoDataFrame:
    usable = _present(geoms)
    res = dispatch.crossing_linear(geoms[usable], bnd, tol, touching=not crossed_only)
    keep = res.crossed if crossed_only else res.touches
    n_cross = pd.array(res.n_crossings[keep], dtype="Int64")
    kept = geoms[usable[keep]]
    polys, _ = eng.split_dims(kept)
    across = res.length_across_km[keep].copy()
    # A case the line never enters has no length measured: 0 km of the line lies in its
    # polygons (a border's sides can match it without the line, FOCUS-BRI by TKM-UZB).
    todo = np.flatnonzero(np.isnan(across) & (shapely.get_type_id(polys) >= 0))
    across[todo] = _length_inside_km(polys[todo], bnd)
    across[np.isnan(across)] = 0.0
    cols: dict[str, Any] = {
        "boundary": [lab or bnd.name for lab in np.asarray(res.labels, dtype=object)[keep]],
        "length_across_km": across,
        "n_crossings": n_cross,
        "severs": res.severs[keep],
    }
    if crossed_only:
        cols["matched_by"] = _linear_reasons(kept, res, keep, bnd, tol)
    else:
        cols["crosses"] = res.crossed[keep]
    if len(bnd.labels) and len(set(bnd.labels)) == 1:
        cols["boundary"] = [bnd.name] * int(keep.sum())
    return _rows(frame, usable[keep], cols)


def _length_inside_km(polys: np.ndarray, bnd: Boundary) -> np.ndarray:
    """Geodesic length (km) of the boundary's lines inside each lon/lat polygon."""
    out = np.zeros(len(polys))
    ci, ti = candidate_pairs(polys, bnd.geoms, bnd.tree)
    if len(ci):
        inside = shapely.intersection(bnd.geoms[ti], polys[ci])
        out += np.bincount(ci, geo.lengths_km(inside), minlength=len(polys))
    return out


def _linear_reasons(
    kept: np.ndarray, res: eng.LinearResult, keep: np.ndarray, bnd: Boundary, tol: float
) -> list[str]:
    """Why each crossed case matched: ``matched_by`` of :func:`crossing`."""
    polys, lines = eng.split_dims(kept)
    has_poly = shapely.get_type_id(polys) >= 0
    has_line = shapely.get_type_id(lines) >= 0
    by_line = res.by_line[keep] if res.by_line is not None else np.ones(len(kept), bool)
    deep = res.deep_both[keep] if res.deep_both is not None else np.zeros(len(kept), bool)
    through = by_line & has_poly & ~has_line
    across = by_line & has_line & ~has_poly
    mixed = np.flatnonzero(by_line & has_poly & has_line)
    if len(mixed):
        # Which of its parts the line crossed: ask again for each kind of part alone.
        plain = Boundary(bnd.kind, bnd.geoms, bnd.labels, bnd.name, tree=bnd.tree)
        p_hit = dispatch.crossing_linear(polys[mixed], plain, tol).crossed
        l_hit = dispatch.crossing_linear(lines[mixed], plain, tol).crossed
        through[mixed] = p_hit | ~l_hit
        across[mixed] = l_hit
    sizes = _side_sizes(kept, np.flatnonzero(deep), bnd)
    by_kind = np.array(
        ["", MATCHED_ACROSS, MATCHED_THROUGH, f"{MATCHED_THROUGH}, {MATCHED_ACROSS}"],
        dtype=object,
    )
    reasons = by_kind[2 * through.astype(np.intp) + across.astype(np.intp)]
    for i in np.flatnonzero(deep).tolist():
        both = f"{MATCHED_BOTH_COUNTRIES} ({sizes[i]})"
        reasons[i] = f"{reasons[i]}, {both}" if reasons[i] else both
    return list(reasons)


def _side_sizes(kept: np.ndarray, rows: np.ndarray, bnd: Boundary) -> dict[int, str]:
    """How much of each case lies in each country of a border, as readable text.

    Polygon parts give their area in each country (km², WGS84 ellipsoid); where a case
    has no polygon area in a country, the number of its parts (points, lines) there. So
    a row matched by lying in both countries says by how much (a coarse outline that
    spills a few kilometres over a border shows a few km², not a crossing).
    """
    if len(rows) == 0 or bnd.sides is None:
        return {}
    names = bnd.name.split("-", 1) if bnd.name.count("-") == 1 else ["side a", "side b"]
    polys, _ = eng.split_dims(kept[rows])
    has_poly = shapely.get_type_id(polys) >= 0
    text: dict[int, list[str]] = {int(r): [] for r in rows}
    for name, side in zip(names, bnd.sides, strict=True):
        areas = np.zeros(len(rows))
        if has_poly.any():
            areas[has_poly] = geo.areas_km2(shapely.intersection(polys[has_poly], side))
        parts, owner = geo.flat_parts(kept[rows])
        touching = np.bincount(owner[shapely.intersects(parts, side)], minlength=len(rows))
        for j, r in enumerate(rows.tolist()):
            n = int(touching[j])
            text[r].append(
                f"{name} {areas[j]:,.0f} km²"
                if areas[j] > 0
                else f"{name} {n} part{'s' if n != 1 else ''}"
            )
    return {r: ", ".join(v) for r, v in text.items()}


# ----------------------------------------------------------------------------- within


def within(
    cases: gpd.GeoDataFrame,
    area: Any,
    *,
    tolerance_km: float = DEFAULT_TOLERANCE_KM,
    crs: Any = None,
) -> gpd.GeoDataFrame:
    """Cases that lie within an area (a country, a reserve, a polygon, a bounding box).

    A case is within when no part of it lies more than ``tolerance_km`` outside the
    area and some part lies inside. Columns: ``boundary``, ``share_inside`` (below 1
    when a part lies outside within the tolerance), ``area_inside_km2``,
    ``length_inside_km``. See :func:`crossing` for the parameters.

    Raises
    ------
    BoundaryError
        If ``area`` is a line (nothing is within a line; use :func:`near`).
    """
    tol = _check_km(tolerance_km, "tolerance_km")
    bnd = resolve_boundary(area, crs=crs)
    if bnd.kind != "areal":
        raise BoundaryError(
            f"within() needs an area, but {bnd.name} is a line; use "
            "near(cases, line, distance_km=...) for cases close to a line"
        )
    return _apply(_within, cases, bnd, tol)


def _within(frame: gpd.GeoDataFrame, bnd: Boundary, tol: float) -> gpd.GeoDataFrame:
    geoms = _lonlat(frame)
    pos = _present(geoms)
    ci, ti = eng.exact_areal(geoms[pos], bnd, eng.P_II)
    pairs = eng.refine_areal(geoms, bnd, pos[ci], ti, tol, need=("out",))
    sel = pairs.covered | ~pairs.deep_out
    m = eng.areal_measures(geoms, bnd, pairs, sel)
    return _rows(
        frame, pairs.case[sel], {"boundary": [bnd.labels[t] for t in pairs.target[sel]], **m}
    )


# ----------------------------------------------------------------------------- intersecting


def intersecting(cases: gpd.GeoDataFrame, boundary: Any, *, crs: Any = None) -> gpd.GeoDataFrame:
    """Cases that share any point with a boundary (DE-9IM: not disjoint), exactly.

    Touching counts; there is no tolerance (use :func:`near` for slack). Areal
    boundary: columns ``boundary``, ``share_inside``, ``area_inside_km2``,
    ``length_inside_km``. Linear: ``boundary``, ``length_across_km``, ``n_crossings``,
    ``severs`` and ``crosses`` (whether it also counts as :func:`crossing` with the
    default tolerance).
    """
    bnd = resolve_boundary(boundary, crs=crs)
    return _apply(_intersecting, cases, bnd)


def _intersecting(frame: gpd.GeoDataFrame, bnd: Boundary) -> gpd.GeoDataFrame:
    geoms = _lonlat(frame)
    if bnd.kind == "linear":
        return _linear_rows(frame, geoms, bnd, DEFAULT_TOLERANCE_KM, crossed_only=False)
    pos = _present(geoms)
    ci, ti = candidate_pairs(geoms[pos], bnd.geoms, bnd.tree)
    shapely.prepare(bnd.geoms)
    ok = shapely.intersects(bnd.geoms[ti], geoms[pos[ci]]) if len(ci) else np.zeros(0, bool)
    pairs = eng.refine_areal(geoms, bnd, pos[ci[ok]], ti[ok], 0.0)
    sel = np.ones(len(pairs.case), dtype=bool)
    m = eng.areal_measures(geoms, bnd, pairs, sel)
    return _rows(frame, pairs.case, {"boundary": [bnd.labels[t] for t in pairs.target], **m})


# ----------------------------------------------------------------------------- near


def near(
    cases: gpd.GeoDataFrame,
    geometry: Any,
    *,
    distance_km: float,
    crs: Any = None,
) -> gpd.GeoDataFrame:
    """Cases within ``distance_km`` of a geometry (a proposed dam, a road, an area).

    Parameters
    ----------
    cases : GeoDataFrame or dask_geopandas.GeoDataFrame
    geometry
        A shapely geometry with ``crs=`` (``Point(lon, lat)`` with ``crs="EPSG:4326"``),
        a GeoDataFrame/GeoSeries (all its features together), a file path, ISO codes or
        a border (as :func:`resolve_boundary`).
    distance_km : float
        Maximum geodesic distance, km (>= 0).

    Returns
    -------
    GeoDataFrame
        Matching cases, nearest first, with ``distance_km`` (geodesic, WGS84
        ellipsoid; 0 for cases touching the geometry).

    Raises
    ------
    InputError
        ``distance_km`` negative or not a finite number; a geometry that is empty, or
        has a coordinate that is not a number, infinite or outside longitude/latitude
        ranges (longitude in [-180, 180], latitude in [-90, 90]; the message asks
        whether longitude and latitude were swapped when swapping them would do).
    CRSError
        A bare shapely geometry without ``crs=``.
    """
    dist = _check_km(distance_km, "distance_km")
    target = single_geometry(geometry, crs=crs, what="near() geometry")
    return _apply(_near, cases, target, dist)


def _near(frame: gpd.GeoDataFrame, target: Any, dist: float) -> gpd.GeoDataFrame:
    geoms = _lonlat(frame)
    pos = _present(geoms)
    idx, d = eng.distances_km(geoms[pos], target, dist)
    order = np.argsort(d, kind="stable")
    return _rows(frame, pos[idx[order]], {"distance_km": d[order]})


# ----------------------------------------------------------------------------- countries


_CountryRow = tuple[list[str], dict[str, float], int, list[str]]
#: Answers per (geometry WKB, tolerance): repeated queries on a catalogue answer at once.
_COUNTRY_MEMO: dict[tuple[bytes, float], _CountryRow] = {}
_MEMO_MAX = 20_000


def _country_table(
    geoms: np.ndarray, tol: float
) -> tuple[list[list[str]], list[dict[str, float]], np.ndarray, list[list[str]]]:
    """Per case: countries counted (share desc), shares, strict count, exact fallback.

    Small frames (a catalogue) are memoised per geometry, so that asking again, or
    asking transboundary() after countries_of(), costs nothing.
    """
    n = len(geoms)
    if n > _MEMO_MAX:
        return _country_table_now(geoms, tol)
    keys = [(shapely.to_wkb(g) if g is not None else b"", tol) for g in geoms]
    todo = [i for i, key in enumerate(keys) if key not in _COUNTRY_MEMO]
    if todo:
        sub = np.empty(len(todo), dtype=object)
        sub[:] = [geoms[i] for i in todo]
        found, shares, n_strict, fallback = _country_table_now(sub, tol)
        if len(_COUNTRY_MEMO) + len(todo) > _MEMO_MAX:
            _COUNTRY_MEMO.clear()
        for j, i in enumerate(todo):
            _COUNTRY_MEMO[keys[i]] = (found[j], shares[j], int(n_strict[j]), fallback[j])
    rows = [_COUNTRY_MEMO[key] for key in keys]
    return (
        [list(r[0]) for r in rows],
        [dict(r[1]) for r in rows],
        np.array([r[2] for r in rows], dtype=np.int64),
        [list(r[3]) for r in rows],
    )


def _country_table_now(
    geoms: np.ndarray, tol: float
) -> tuple[list[list[str]], list[dict[str, float]], np.ndarray, list[list[str]]]:
    n = len(geoms)
    bnd = _countries_here()
    pos = _present(geoms)
    ci, ti = eng.exact_areal(geoms[pos], bnd, eng.P_II)
    pairs = eng.refine_areal(geoms, bnd, pos[ci], ti, tol, need=("in",))
    sel = np.ones(len(pairs.case), dtype=bool)
    share = (
        eng.areal_measures(geoms, bnd, pairs, sel)["share_inside"]
        if len(pairs.case)
        else (np.zeros(0))
    )
    counted = pairs.covered | pairs.deep_in
    strict: list[list[tuple[float, str]]] = [[] for _ in range(n)]
    loose: list[list[tuple[float, str]]] = [[] for _ in range(n)]
    for c, t, s, ok in zip(pairs.case, pairs.target, share, counted, strict=True):
        item = (float(s) if np.isfinite(s) else 0.0, bnd.labels[t])
        loose[c].append(item)
        if ok:
            strict[c].append(item)

    def ordered(items: list[tuple[float, str]]) -> list[str]:
        return [code for _, code in sorted(items, key=lambda x: (-x[0], x[1]))]

    countries = [ordered(s) for s in strict]
    fallback = [ordered(s) for s in loose]
    shares = [
        {code: round(s, 6) for s, code in sorted(it, key=lambda x: (-x[0], x[1]))} for it in loose
    ]
    n_strict = np.array([len(s) for s in strict], dtype=np.int64)
    return countries, shares, n_strict, fallback


def transboundary(
    cases: gpd.GeoDataFrame | None = None,
    countries: str | Sequence[str] | None = None,
    *,
    tolerance_km: float = DEFAULT_TOLERANCE_KM,
) -> gpd.GeoDataFrame:
    """Cases whose interior meets the interiors of two or more countries.

    Parameters
    ----------
    cases : GeoDataFrame, optional
        Default: the bundled catalogue (:func:`corridors.load_cases`).
    countries : str or sequence of str, optional
        ISO alpha-3 codes: keep only cases that span all of them (``["TKM", "UZB"]``:
        cases shared by Turkmenistan and Uzbekistan; ``"USA"``: transboundary cases
        involving the United States).
    tolerance_km : float, default 1 km
        A country counts when the case lies wholly in it or reaches more than this
        into it; slivers along a border do not make a case transboundary.

    Returns
    -------
    GeoDataFrame
        Columns ``countries`` (ISO codes, largest share first), ``n_countries`` and
        ``country_shares`` ({code: share of the case}). The sea is not a country, so
        coastlines never make a case transboundary.
    """
    tol = _check_km(tolerance_km, "tolerance_km")
    wanted = _codes(countries)
    if cases is None:
        from ..catalogue import load_cases

        cases = load_cases()
    return _apply(_transboundary, cases, wanted, tol)


def _codes(countries: str | Sequence[str] | None) -> list[str]:
    if countries is None:
        return []
    from ..boundaries import country

    return [str(c) for c in country(countries)["iso_a3"]]


def _transboundary(frame: gpd.GeoDataFrame, wanted: list[str], tol: float) -> gpd.GeoDataFrame:
    geoms = _lonlat(frame)
    found, shares, n_strict, _ = _country_table(geoms, tol)
    keep = np.flatnonzero(
        (n_strict >= 2) & np.array([set(wanted) <= set(c) for c in found], dtype=bool)
    )
    return _rows(
        frame,
        keep,
        {
            "countries": [found[i] for i in keep],
            "n_countries": n_strict[keep],
            "country_shares": [shares[i] for i in keep],
        },
    )


def countries_of(
    cases: gpd.GeoDataFrame | None = None, *, tolerance_km: float = DEFAULT_TOLERANCE_KM
) -> gpd.GeoDataFrame:
    """The countries each case lies in, for every case.

    A country counts when the case lies wholly in it or reaches more than
    ``tolerance_km`` into it; a case that counts no country that way (a small case
    right on a border) gets every country its interior meets. Cases at sea get an
    empty list.

    Returns
    -------
    GeoDataFrame
        Every input row, with ``countries`` (ISO alpha-3 codes, largest share first),
        ``n_countries`` and ``country_shares`` ({code: share}).
    """
    tol = _check_km(tolerance_km, "tolerance_km")
    if cases is None:
        from ..catalogue import load_cases

        cases = load_cases()
    return _apply(_countries_of, cases, tol)


def _countries_of(frame: gpd.GeoDataFrame, tol: float) -> gpd.GeoDataFrame:
    geoms = _lonlat(frame)
    found, shares, _, fallback = _country_table(geoms, tol)
    result = [f if f else fb for f, fb in zip(found, fallback, strict=True)]
    return _rows(
        frame,
        np.arange(len(frame)),
        {
            "countries": result,
            "n_countries": np.array([len(r) for r in result], dtype=np.int64),
            "country_shares": shares,
        },
    )
