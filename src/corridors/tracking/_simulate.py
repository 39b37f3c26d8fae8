"""Simulated migrations with known truth, shaped like a Movebank export."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from .._io import atomic_write_text, check_output
from ..crs import as_crs, local_crs
from ..errors import InputError
from ._fixes import lonlat

__all__ = ["simulate_migration", "write_movebank"]

#: Relaxation time (h) that tethers a simulated animal to its travel line: over a fix
#: interval it moves as a Brownian motion of the given variance (the bridge model's
#: assumption), over days it stays within about sqrt(variance * tether / 2) of the line.
DEFAULT_TETHER_H = 24.0
#: Travel speed (km/h) while migrating between stopovers: 24 km a day of movement.
DEFAULT_SPEED_KMH = 1.0
#: Standard deviation (m) of each individual's own offset from the route: herds use a
#: corridor, not one line.
DEFAULT_SPREAD_M = 300.0


def simulate_migration(
    route: Any,
    *,
    n_individuals: int,
    fix_interval_h: float,
    motion_variance: float,
    location_error_m: float,
    stopovers: Sequence[tuple[float, float]] = (),
    seed: int | None = None,
    start: str = "2024-04-01",
    start_spread_days: float = 5.0,
    residence_days: tuple[float, float] = (7.0, 7.0),
    speed_kmh: float = DEFAULT_SPEED_KMH,
    spread_m: float = DEFAULT_SPREAD_M,
    tether_h: float = DEFAULT_TETHER_H,
    crs: Any = None,
) -> gpd.GeoDataFrame:
    """Simulate GPS fixes of a herd migrating along a route.

    Each individual waits on the start range, travels along ``route`` at
    ``speed_kmh`` with an offset of its own, pauses at each stopover, and stays on the
    end range. Around that travel line it moves with Brownian motion variance
    ``motion_variance`` (m² per minute per axis), tethered to the line with a
    relaxation time of ``tether_h`` (an Ornstein-Uhlenbeck process, simulated exactly
    at the fix times); each fix adds a normal location error.

    Parameters
    ----------
    route : LineString with ``crs``, GeoSeries or GeoDataFrame
        The migration route (its first line), start to end; lon/lat unless ``crs``.
    n_individuals : int
    fix_interval_h : float
        Hours between fixes (regular).
    motion_variance : float
        m² per minute.
    location_error_m : float
        Standard deviation per axis (m) of each fix's error.
    stopovers : sequence of (fraction, days)
        Where along the route (0-1 of its length) and how long each stopover lasts.
    seed : int, optional
        Seed of the random generator: the same seed gives the same fixes.
    start : str
        Earliest departure date (UTC); each individual leaves up to
        ``start_spread_days`` later.
    residence_days : (before, after)
        Days on the start range before leaving and on the end range after arriving.
    speed_kmh, spread_m, tether_h : float
        See above.
    crs : optional
        CRS of a bare shapely ``route``.

    Returns
    -------
    GeoDataFrame
        Fixes as :func:`read_movebank` returns them (``individual``, ``timestamp``,
        ``event_id``, ``tag``, ``sensor_type``, ``row``, EPSG:4326 points), one
        sequence per individual; ``attrs["truth"]`` holds the parameters.
        :func:`write_movebank` writes them as a Movebank CSV.
    """
    line = _route(route, crs)
    for name, value in (
        ("n_individuals", n_individuals),
        ("fix_interval_h", fix_interval_h),
        ("speed_kmh", speed_kmh),
        ("tether_h", tether_h),
    ):
        if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
            raise InputError(f"{name} must be a positive number, not {value!r}")
    for name, value in (
        ("motion_variance", motion_variance),
        ("location_error_m", location_error_m),
        ("spread_m", spread_m),
        ("start_spread_days", start_spread_days),
    ):
        if not (isinstance(value, int | float) and math.isfinite(value) and value >= 0):
            raise InputError(f"{name} must be a number >= 0, not {value!r}")
    stops = sorted((float(f), float(d)) for f, d in stopovers)
    if any(not (0 <= f <= 1) or d < 0 for f, d in stops):
        raise InputError(
            f"stopovers are (fraction of the route 0-1, days >= 0) pairs; got {list(stopovers)}"
        )
    rng = np.random.default_rng(seed)
    centre = line.centroid
    lcrs = local_crs(centre.x, centre.y)
    local = gpd.GeoSeries([line], crs=4326).to_crs(lcrs).iloc[0]
    length_m = local.length
    speed_m_min = speed_kmh * 1000.0 / 60.0
    dt = fix_interval_h * 60.0
    t0 = pd.Timestamp(start, tz="UTC")
    frames = []
    for k in range(int(n_individuals)):
        depart = residence_days[0] * 1440.0 + rng.uniform(0, start_spread_days) * 1440.0
        # Schedule: (time, distance along the route) knots of the travel line.
        knots_t = [0.0, depart]
        knots_s = [0.0, 0.0]
        for frac, days in stops:
            s = frac * length_m
            knots_t.append(knots_t[-1] + (s - knots_s[-1]) / speed_m_min)
            knots_s.append(s)
            knots_t.append(knots_t[-1] + days * 1440.0)
            knots_s.append(s)
        knots_t.append(knots_t[-1] + (length_m - knots_s[-1]) / speed_m_min)
        knots_s.append(length_m)
        end = knots_t[-1] + residence_days[1] * 1440.0
        # Start at a random minute of the first fix interval, so herds are not in step.
        t = np.arange(rng.uniform(0, dt), end, dt)
        s = np.interp(t, knots_t, knots_s)
        pts = shapely.line_interpolate_point(local, s)
        xy = shapely.get_coordinates(pts)
        # Heading of the route at each point, for the individual's sideways offset.
        ahead = shapely.get_coordinates(
            shapely.line_interpolate_point(local, np.minimum(s + 50, length_m))
        )
        behind = shapely.get_coordinates(
            shapely.line_interpolate_point(local, np.maximum(s - 50, 0))
        )
        d = ahead - behind
        norm = np.hypot(d[:, 0], d[:, 1])
        norm[norm == 0] = 1.0
        normal = np.column_stack([-d[:, 1], d[:, 0]]) / norm[:, None]
        offset = rng.normal(0.0, spread_m) if spread_m > 0 else 0.0
        mean = xy + offset * normal
        noise = _ou(len(t), dt, motion_variance, tether_h * 60.0, rng)
        obs = mean + noise + rng.normal(0.0, location_error_m, size=(len(t), 2))
        name = f"sim{k + 1:03d}"
        frames.append(
            pd.DataFrame(
                {
                    "individual": name,
                    "timestamp": t0 + pd.to_timedelta(np.round(t * 60.0), unit="s"),
                    "x": obs[:, 0],
                    "y": obs[:, 1],
                    "tag": f"tag{k + 1:03d}",
                }
            )
        )
    frame = pd.concat(frames, ignore_index=True)
    pts = gpd.GeoSeries(shapely.points(frame["x"], frame["y"]), crs=lcrs).to_crs(4326)
    frame = frame.drop(columns=["x", "y"])
    frame.insert(0, "event_id", np.arange(1, len(frame) + 1).astype(str))
    frame["event_id"] = frame["event_id"].astype("string")
    frame["individual"] = frame["individual"].astype("string")
    frame["tag"] = frame["tag"].astype("string")
    frame["sensor_type"] = pd.array(["gps"] * len(frame), dtype="string")
    frame["row"] = np.arange(len(frame), dtype=np.int64) + 2
    out = gpd.GeoDataFrame(frame, geometry=pts.values, crs=4326)
    out.attrs["source"] = "<simulated>"
    out.attrs["truth"] = {
        "motion_variance_m2_per_min": float(motion_variance),
        "location_error_m": float(location_error_m),
        "fix_interval_h": float(fix_interval_h),
        "tether_h": float(tether_h),
        "stopovers": stops,
        "route_length_km": length_m / 1000.0,
    }
    return out


def _ou(n: int, dt_min: float, var: float, tau_min: float, rng: np.random.Generator) -> np.ndarray:
    """An Ornstein-Uhlenbeck process in two axes at n regular times, started in its
    stationary distribution: increments of variance ``var * dt`` over short times."""
    if var == 0:
        return np.zeros((n, 2))
    decay = math.exp(-dt_min / tau_min)
    stationary = var * tau_min / 2.0
    step_sd = math.sqrt(stationary * (1 - decay**2))
    from scipy.signal import lfilter  # deferred: scipy

    z = rng.normal(0.0, 1.0, size=(n, 2))
    drive = z * step_sd
    drive[0] = z[0] * math.sqrt(stationary)
    # x_i = decay * x_(i-1) + drive_i, as a first-order recursive filter.
    return np.asarray(lfilter([1.0], [1.0, -decay], drive, axis=0))


def _route(route: Any, crs: Any) -> BaseGeometry:
    if isinstance(route, gpd.GeoDataFrame | gpd.GeoSeries):
        if route.crs is None:
            raise InputError("the route frame has no CRS; set it (e.g. EPSG:4326) first")
        geoms = (
            route.to_crs(4326).geometry
            if isinstance(route, gpd.GeoDataFrame)
            else route.to_crs(4326)
        )
        lines = [
            g for g in geoms if g is not None and g.geom_type in ("LineString", "MultiLineString")
        ]
        if not lines:
            raise InputError(
                "the route frame has no line; pass the migration route as a LineString"
            )
        geom = lines[0]
    elif isinstance(route, BaseGeometry):
        geom = route
        if crs is not None and not as_crs(crs).equals(as_crs(4326)):
            geom = gpd.GeoSeries([route], crs=crs).to_crs(4326).iloc[0]
    else:
        raise InputError(
            f"route must be a LineString (lon/lat, or with crs=) or a GeoDataFrame, not "
            f"{type(route).__name__}"
        )
    if geom.geom_type == "MultiLineString":
        merged = shapely.line_merge(geom)
        geom = (
            merged
            if merged.geom_type == "LineString"
            else max(merged.geoms, key=lambda g: g.length)
        )
    if geom.geom_type != "LineString" or geom.length == 0:
        raise InputError(f"route must be a LineString of positive length, not {geom.geom_type}")
    return geom


def write_movebank(fixes: gpd.GeoDataFrame, path: str | Path, *, overwrite: bool = False) -> Path:
    """Write fixes as a Movebank CSV export (hyphenated column names, UTC timestamps).

    Raises
    ------
    OutputError
        If ``path`` exists (unless ``overwrite``) or is the file the fixes came from.
    """
    src = fixes.attrs.get("source")
    inputs = (src,) if src and Path(str(src)).exists() else ()
    target = check_output(path, inputs=inputs, overwrite=overwrite, what="Movebank CSV")
    lon, lat = lonlat(fixes)
    n = len(fixes)
    col = fixes.get
    out = pd.DataFrame(
        {
            "event-id": col("event_id", pd.Series(np.arange(1, n + 1), index=fixes.index)),
            "timestamp": fixes["timestamp"].dt.strftime("%Y-%m-%d %H:%M:%S.000"),
            "location-long": np.round(lon, 7),
            "location-lat": np.round(lat, 7),
            "sensor-type": col("sensor_type", "gps"),
            "individual-local-identifier": fixes["individual"],
            "tag-local-identifier": col("tag", fixes["individual"]),
        }
    )
    if "hdop" in fixes.columns:
        out["gps:hdop"] = fixes["hdop"]
    return atomic_write_text(target, out.to_csv(index=False, lineterminator="\n"))
