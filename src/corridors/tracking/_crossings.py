"""Where and when tracks cross borders, roads, fences and protected-area edges.

Crossing means what it means in :func:`corridors.crossing` (see the table in
:mod:`corridors.query`): a track crosses a line where a stretch of it inside the band
of half-width t (``tolerance_km``, at least 1 m) around the line enters on one side and
leaves on the other, however long it runs along the line in between; touching the
line, running along it and turning back, or passing round a dead end is not crossing.
Sides are those of the nearest segment of the line (the query's band kernels, in a
local azimuthal equidistant frame per individual, in metres). An area's edge is
crossed where the track passes from inside to outside or back.
"""

from __future__ import annotations

import math
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .. import _geodesy as geo
from ..errors import InputError
from ..query import _band as band
from ..query import _segments as sg
from ..query.boundary import Boundary, resolve_boundary
from ._clean import DEFAULT_MAX_LAG_H
from ._fixes import as_fixes, check_ordered, lonlat, minutes

__all__ = ["DEFAULT_TRACK_TOLERANCE_KM", "crossing_events", "passages"]

#: Band half-width (km) for tracks: a few GPS location errors, so that an animal
#: walking along a fence is not read as crossing it at every fix, while a crossing
#: followed by a turn back a few hundred metres on is still seen. The bundled 1:10m
#: borders are only accurate to about 1 km (pass ``tolerance_km=1`` for them, as the
#: queries do, when sides matter more than the exact place).
DEFAULT_TRACK_TOLERANCE_KM = 0.1

_EVENT_COLUMNS = (
    "individual",
    "sequence",
    "time",
    "boundary",
    "from_side",
    "to_side",
    "direction",
    "fix_before",
    "fix_after",
)


def crossing_events(
    fixes: Any,
    boundary: Any,
    *,
    tolerance_km: float = DEFAULT_TRACK_TOLERANCE_KM,
    max_lag_h: float | None = None,
    crs: Any = None,
    label: str | None = None,
) -> gpd.GeoDataFrame:
    """Every time an individual's track crosses a border, road, fence or area's edge.

    Parameters
    ----------
    fixes
        Cleaned fixes (:func:`clean_fixes`), in time order within each individual.
        The track is the straight line between consecutive fixes.
    boundary
        Anything :func:`corridors.resolve_boundary` accepts: a border ``"TKM-UZB"``, an
        ISO code or several (``"USA"``: its edge), a file, a GeoDataFrame, a shapely
        geometry with ``crs=``. Lines are one network; each polygon is its own area.
    tolerance_km : float, keyword-only
        Half-width of the band around the line within which sides are not judged
        (see the module docstring); 0 judges them 1 m from the line.
    max_lag_h : float, optional, keyword-only
        Fixes further apart than this are not joined (the track has a gap there and
        no crossing is found in it); default: every pair of fixes is joined.
    crs : optional, keyword-only
        CRS of a bare shapely ``boundary``.
    label : str, optional, keyword-only
        Column of a boundary frame that names its features.

    Returns
    -------
    GeoDataFrame
        One row per crossing, by individual and time: ``individual``, ``sequence``
        (when the fixes have one), ``time`` (UTC, interpolated along the segment where
        the track meets the line), ``boundary`` (the feature's label), ``from_side``
        and ``to_side`` (the countries for a border, ``left``/``right`` of the line as
        drawn, ``outside``/``inside`` for an area), ``direction`` (``"TKM -> UZB"``,
        ``"left -> right"``, ``"in"``, ``"out"``), ``fix_before`` and ``fix_after``
        (times of the fixes either side), and the crossing point (EPSG:4326).
    """
    if not (isinstance(tolerance_km, int | float) and math.isfinite(tolerance_km)):
        raise InputError(f"tolerance_km must be a number of km >= 0, not {tolerance_km!r}")
    if tolerance_km < 0:
        raise InputError(f"tolerance_km must be >= 0, not {tolerance_km!r}")
    data = as_fixes(fixes)
    check_ordered(data, what="crossing_events()")
    bnd = resolve_boundary(boundary, crs=crs, label=label)
    r_m = max(float(tolerance_km), band.SIDE_EPS_KM) * 1000.0
    max_lag_min = math.inf if max_lag_h is None else float(max_lag_h) * 60.0
    lon, lat = lonlat(data)
    t = minutes(data["timestamp"])
    ind = data["individual"].to_numpy()
    starts = np.flatnonzero(np.r_[True, ind[1:] != ind[:-1]])
    ends = np.r_[starts[1:], len(ind)]
    rows: list[dict[str, Any]] = []
    for a, b in zip(starts.tolist(), ends.tolist(), strict=True):
        if b - a < 2:
            continue
        rows += _track_events(data, a, b, lon[a:b], lat[a:b], t[a:b], bnd, r_m, max_lag_min)
    return _frame(rows, "sequence" in data.columns)


def _at(t_min: float) -> pd.Timestamp:
    """A time in minutes since 1970 as a UTC timestamp, to the millisecond."""
    return pd.Timestamp(round(t_min * 60_000), unit="ms", tz="UTC")


def _frame(rows: list[dict[str, Any]], with_sequence: bool) -> gpd.GeoDataFrame:
    cols = [c for c in _EVENT_COLUMNS if with_sequence or c != "sequence"]
    if not rows:
        empty = {c: pd.Series(dtype=object) for c in cols}
        for c in ("time", "fix_before", "fix_after"):
            empty[c] = pd.Series(dtype="datetime64[ns, UTC]")
        return gpd.GeoDataFrame(empty, geometry=gpd.GeoSeries([], crs=4326))
    frame = pd.DataFrame(rows)
    geom = gpd.GeoSeries(shapely.points(frame.pop("lon"), frame.pop("lat")), crs=4326)
    out = gpd.GeoDataFrame(frame[cols], geometry=geom.values, crs=4326)
    return out.sort_values(["individual", "time"], kind="stable").reset_index(drop=True)


def _track_events(
    data: gpd.GeoDataFrame,
    a: int,
    b: int,
    lon: np.ndarray,
    lat: np.ndarray,
    t: np.ndarray,
    bnd: Boundary,
    r_m: float,
    max_lag_min: float,
) -> list[dict[str, Any]]:
    """Crossings of one individual's track (rows a:b of ``data``)."""
    lon0, lat0 = geo.centres(np.asarray([shapely.multipoints(np.column_stack([lon, lat]))]))
    x, y = geo.aeqd_forward(lon, lat, np.full(len(lon), lon0[0]), np.full(len(lon), lat0[0]))
    dlon, dlat = geo.degree_margin(3.0 * r_m / 1000.0 + 1.0, float(np.max(np.abs(lat))))
    window = shapely.box(
        float(lon.min() - dlon),
        float(lat.min() - dlat),
        float(lon.max() + dlon),
        float(lat.max() + dlat),
    )
    targets = np.flatnonzero(shapely.intersects(bnd.geoms, window))
    if len(targets) == 0:
        return []
    joined = np.diff(t) <= max_lag_min
    out: list[dict[str, Any]] = []
    if bnd.kind == "linear":
        net = shapely.clip_by_rect(shapely.union_all(bnd.geoms[targets]), *window.bounds)
        groups = [(net, None, _label_of(bnd, targets))]
    else:
        groups = [
            (
                shapely.clip_by_rect(shapely.boundary(bnd.geoms[k]), *window.bounds),
                bnd.geoms[k],
                bnd.labels[k],
            )
            for k in targets.tolist()
        ]
    for edge, area, lab in groups:
        if edge is None or edge.is_empty:
            continue
        edge_l = geo.to_local(np.asarray([edge]), lon0, lat0)[0]
        area_l = geo.to_local(np.asarray([area]), lon0, lat0)[0] if area is not None else None
        for pos, side0, side1 in _traversals(x, y, joined, edge_l, area_l, r_m):
            k = math.floor(pos)
            k = min(k, len(x) - 2)
            f = pos - k
            tm = t[k] + f * (t[k + 1] - t[k])
            plon, plat = geo.aeqd_inverse(
                np.array([x[k] + f * (x[k + 1] - x[k])]),
                np.array([y[k] + f * (y[k + 1] - y[k])]),
                lon0,
                lat0,
            )
            names = _side_names(bnd, area is not None, side0, side1, lon, lat, k, f)
            row = {
                "individual": data["individual"].iat[a],
                "time": _at(tm),
                "boundary": lab if isinstance(lab, str) else bnd.name,
                "from_side": names[0],
                "to_side": names[1],
                "direction": names[2],
                "fix_before": data["timestamp"].iat[a + k],
                "fix_after": data["timestamp"].iat[a + k + 1],
                "lon": float(plon[0]),
                "lat": float(plat[0]),
            }
            if "sequence" in data.columns:
                row["sequence"] = data["sequence"].iat[a + k]
            out.append(row)
    return out


def _label_of(bnd: Boundary, targets: np.ndarray) -> str:
    labels = list(dict.fromkeys(bnd.labels[i] for i in targets.tolist()))
    return bnd.name if len(set(bnd.labels)) == 1 or len(labels) != 1 else labels[0]


def _traversals(
    x: np.ndarray,
    y: np.ndarray,
    joined: np.ndarray,
    edge_l: Any,
    area_l: Any,
    r_m: float,
) -> list[tuple[float, int, int]]:
    """(position along the track, side before, side after) of each traversal of the band
    around ``edge_l``; positions are fix index + fraction of the segment."""
    ns = sg.segments(np.asarray([edge_l], dtype=object))
    if len(ns) == 0:
        return []
    seg = np.flatnonzero(joined)
    if len(seg) == 0:
        return []
    # Track segments against boundary segments within the band, by an index on boxes.
    tracks = shapely.linestrings(
        np.stack(
            [np.column_stack([x[seg], y[seg]]), np.column_stack([x[seg + 1], y[seg + 1]])], axis=1
        )
    )
    edges = shapely.linestrings(
        np.stack([np.column_stack([ns.x0, ns.y0]), np.column_stack([ns.x1, ns.y1])], axis=1)
    )
    tree = shapely.STRtree(np.asarray(edges, dtype=object))
    qi, ej = tree.query(tracks, predicate="dwithin", distance=r_m)
    if len(qi) == 0:
        return []
    i = seg[qi]
    ex, ey = x[i], y[i]
    fx, fy = x[i + 1], y[i + 1]
    lo, hi = band.edge_cover(ex, ey, fx, fy, ns.x0[ej], ns.y0[ej], ns.x1[ej], ns.y1[ej], r_m)
    # Runs of joined segments are separate lines: a gap cuts the track.
    run_of_seg = np.cumsum(np.r_[True, ~joined[:-1]])
    run = run_of_seg[i]
    comp_g, comp_a, comp_b = band.merge_intervals(run, i + lo, i + hi)
    c_lo, c_hi = band.edge_cover(
        ex, ey, fx, fy, ns.x0[ej], ns.y0[ej], ns.x1[ej], ns.y1[ej], band.CONTACT_M
    )
    touch = ~np.isnan(c_lo)
    contact_pos = np.concatenate([(i + c_lo)[touch], (i + c_hi)[touch]])
    contact_run = np.concatenate([run[touch], run[touch]])
    # The first and last fix of each run of joined segments: the track's own ends.
    run_first: dict[int, int] = {}
    run_last: dict[int, int] = {}
    for s_idx, r_id in zip(seg.tolist(), run_of_seg[seg].tolist(), strict=True):
        run_first.setdefault(r_id, s_idx)
        run_last[r_id] = s_idx + 1
    ends = band.dangling_ends(ns) if area_l is None else None
    first_case = np.zeros(1, dtype=np.intp)
    out = []
    for g, pa, pb in zip(comp_g.tolist(), comp_a.tolist(), comp_b.tolist(), strict=True):
        if pa <= run_first[g] + 1e-9 or pb >= run_last[g] - 1e-9:
            continue  # a stretch that begins or ends at the track's end has no side there
        inside = (contact_run == g) & (contact_pos >= pa - 1e-9) & (contact_pos <= pb + 1e-9)
        if not inside.any():
            continue  # wound round the line's end inside the band without meeting it
        sides = []
        for p in (pa, pb):
            k = min(math.floor(p), len(x) - 2)
            f = p - k
            px = np.array([x[k] + f * (x[k + 1] - x[k])])
            py = np.array([y[k] + f * (y[k + 1] - y[k])])
            if area_l is not None:
                sides.append(1 if shapely.contains_xy(area_l, px[0], py[0]) else -1)
                continue
            # The dead-end rule, as the queries apply it: an end on a cap has no side.
            capped = ends is not None and bool(
                band.on_cap(band.nearest_distance(px, py, first_case, ends), r_m)[0]
            )
            sides.append(0 if capped else int(band.side_of(px, py, first_case, ns)[0]))
        if not band.traversal(np.array(sides[:1]), np.array(sides[1:]), True)[0]:
            continue
        cp = contact_pos[inside]
        out.append((0.5 * (float(cp.min()) + float(cp.max())), sides[0], sides[1]))
    return out


def _side_names(
    bnd: Boundary,
    areal: bool,
    s0: int,
    s1: int,
    lon: np.ndarray,
    lat: np.ndarray,
    k: int,
    f: float,
) -> tuple[str, str, str]:
    if areal:
        return ("outside", "inside", "in") if s1 == 1 else ("inside", "outside", "out")
    if bnd.sides is not None:
        codes = bnd.name.split("-")
        if len(codes) == 2:
            # Which country the track comes from: the side it is in just before.
            before = shapely.Point(lon[k], lat[k])
            in_first = shapely.distance(bnd.sides[0], before) <= shapely.distance(
                bnd.sides[1], before
            )
            a, b = (codes[0], codes[1]) if in_first else (codes[1], codes[0])
            return a, b, f"{a} -> {b}"
    names = {1: "left", -1: "right"}
    return names[s0], names[s1], f"{names[s0]} -> {names[s1]}"


# ----------------------------------------------------------------------------- passages


def passages(
    fixes: Any,
    site: Any,
    *,
    max_lag_h: float = DEFAULT_MAX_LAG_H,
    crs: Any = None,
) -> gpd.GeoDataFrame:
    """Passages of individuals (and their migrations) through a site, e.g. a bottleneck.

    A passage is a run of consecutive track segments (fixes no more than ``max_lag_h``
    apart, joined by straight lines) that meet the site; a track that passes through
    between two fixes counts, one that only has fixes near it does not.

    Parameters
    ----------
    fixes
        Cleaned fixes, in time order within each individual.
    site
        A polygon (anything :func:`corridors.resolve_boundary` accepts that is an area:
        a file, a GeoDataFrame, a shapely polygon with ``crs=``).
    max_lag_h : float, keyword-only
        Fixes further apart are not joined (Migration Mapper's 8 h).

    Returns
    -------
    GeoDataFrame
        One row per passage: ``individual``, ``sequence`` (when the fixes have one),
        ``entered`` and ``left`` (UTC times, interpolated where the track meets the
        site's edge, or the time of the fix inside), ``n_fixes_inside``, and the track
        of the passage (EPSG:4326). ``attrs["n_individuals"]`` and
        ``attrs["n_sequences"]`` count the distinct individuals and sequences: each
        counts once however many times it passed.
    """
    data = as_fixes(fixes)
    check_ordered(data, what="passages()")
    bnd = resolve_boundary(site, crs=crs)
    if bnd.kind != "areal":
        raise InputError(
            f"passages() needs an area (a polygon such as a bottleneck), not the line "
            f"{bnd.name}; use crossing_events() for lines"
        )
    poly = shapely.union_all(bnd.geoms)
    shapely.prepare(poly)
    lon, lat = lonlat(data)
    t = minutes(data["timestamp"])
    ind = data["individual"].to_numpy()
    same = ind[1:] == ind[:-1]
    joined = same & (np.diff(t) <= max_lag_h * 60.0)
    seg = np.flatnonzero(joined)
    lines = (
        shapely.linestrings(
            np.stack(
                [
                    np.column_stack([lon[seg], lat[seg]]),
                    np.column_stack([lon[seg + 1], lat[seg + 1]]),
                ],
                axis=1,
            )
        )
        if len(seg)
        else np.zeros(0, dtype=object)
    )
    hit = np.zeros(len(ind) - 1 if len(ind) else 0, dtype=bool)
    if len(seg):
        hit[seg] = shapely.intersects(lines, poly)
    has_seq = "sequence" in data.columns
    rows = []
    k = 0
    n_seg = len(hit)
    while k < n_seg:
        if not hit[k]:
            k += 1
            continue
        j = k
        while j + 1 < n_seg and hit[j + 1]:
            j += 1
        # Segments k..j: fixes k..j+1.
        entered = _first_contact(lon, lat, t, k, poly, forward=True)
        left = _first_contact(lon, lat, t, j, poly, forward=False)
        inside = shapely.contains_xy(poly, lon[k : j + 2], lat[k : j + 2])
        row = {
            "individual": ind[k],
            "entered": _at(entered),
            "left": _at(left),
            "n_fixes_inside": int(inside.sum()),
            "geometry": shapely.linestrings(np.column_stack([lon[k : j + 2], lat[k : j + 2]])),
        }
        if has_seq:
            row["sequence"] = data["sequence"].iat[k]
        rows.append(row)
        k = j + 1
    cols = ["individual", *(["sequence"] if has_seq else []), "entered", "left", "n_fixes_inside"]
    if rows:
        out = gpd.GeoDataFrame(
            pd.DataFrame(rows)[[*cols, "geometry"]], geometry="geometry", crs=4326
        )
    else:
        out = gpd.GeoDataFrame({c: [] for c in cols}, geometry=gpd.GeoSeries([], crs=4326))
    out.attrs["n_individuals"] = int(out["individual"].nunique()) if len(out) else 0
    out.attrs["n_sequences"] = (
        int(out["sequence"].dropna().nunique()) if has_seq and len(out) else 0
    )
    return out


def _first_contact(
    lon: np.ndarray, lat: np.ndarray, t: np.ndarray, k: int, poly: Any, *, forward: bool
) -> float:
    """Time (min) the segment k (fix k to k+1) first meets ``poly`` going forward, or
    last meets it (going backward)."""
    a, b = (k, k + 1) if forward else (k + 1, k)
    if shapely.contains_xy(poly, lon[a], lat[a]):
        return float(t[a])
    seg = shapely.LineString([(lon[a], lat[a]), (lon[b], lat[b])])
    part = shapely.intersection(seg, poly)
    if part.is_empty:
        return float(t[b])
    # The point of the segment inside the site nearest to fix a (lon/lat fractions:
    # the segment is short against the curvature of the Earth).
    pts = shapely.points(shapely.get_coordinates(part))
    frac = float(np.min(shapely.line_locate_point(seg, pts, normalized=True)))
    return float(t[a] + frac * (t[b] - t[a]))
