"""Cleaning fixes: missing, duplicate and impossible fixes dropped, each one reported."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from .._geodesy import GEOD
from ..errors import InputError
from ._fixes import as_fixes, lonlat, minutes, source_of

__all__ = ["DEFAULT_MAX_LAG_H", "DEFAULT_MAX_SPEED_KMH", "CleanedFixes", "clean_fixes"]

#: Fastest plausible travel between two fixes (km/h): 3 m/s sustained over a fix
#: interval, beyond what a mule deer, elk or elephant keeps up for an hour or more;
#: a speed above it is a location error. Pass a value that suits the species and the
#: fix interval (short intervals allow bursts).
DEFAULT_MAX_SPEED_KMH = 10.8
#: Longest interval (h) bridged between two fixes: Migration Mapper's default (8 h);
#: longer gaps split a sequence and are counted as gaps in the summary.
DEFAULT_MAX_LAG_H = 8.0

#: Reasons a fix is dropped, as written in the report's ``reason`` column.
MISSING_LOCATION = "missing location"
MISSING_TIME = "missing timestamp"
DUPLICATE_FIX = "duplicate fix"
DUPLICATE_TIME = "duplicate timestamp"
IMPOSSIBLE_SPEED = "impossible speed"
NOT_GPS = "not a location sensor"

#: Rounds of speed filtering before giving up on a pathological track.
_MAX_SPEED_ROUNDS = 1000


@dataclass(frozen=True)
class CleanedFixes:
    """What :func:`clean_fixes` returns.

    Attributes
    ----------
    fixes : GeoDataFrame
        The fixes kept, sorted by individual and time.
    report : pandas.DataFrame
        One row per fix dropped: ``individual``, ``timestamp``, ``event_id``, ``row``
        (line in the file), ``reason`` and ``detail`` (what was found and, for
        duplicates, which fix was kept).
    summary : pandas.DataFrame
        One row per individual (index): ``n_fixes`` kept, ``n_dropped``, ``first`` and
        ``last`` time, ``span_days``, ``median_interval_h``, ``n_gaps`` (intervals
        longer than ``max_lag_h``) and ``longest_gap_h``.
    n_reordered : int
        Fixes that were out of time order in the input (sorted, not dropped).
    """

    fixes: gpd.GeoDataFrame
    report: pd.DataFrame
    summary: pd.DataFrame
    n_reordered: int = 0

    def __iter__(self) -> Any:  # ``fixes, report, summary = clean_fixes(...)``
        return iter((self.fixes, self.report, self.summary))


#: Columns of the per-individual summary, in order (also the CLI's table columns).
SUMMARY_COLUMNS = (
    "n_fixes",
    "n_dropped",
    "first",
    "last",
    "span_days",
    "median_interval_h",
    "n_gaps",
    "longest_gap_h",
)


def clean_fixes(
    fixes: Any,
    *,
    max_speed_kmh: float = DEFAULT_MAX_SPEED_KMH,
    max_lag_h: float = DEFAULT_MAX_LAG_H,
    sensor_types: tuple[str, ...] | None = ("gps",),
) -> CleanedFixes:
    """Drop missing, duplicate and impossible fixes, and report each one.

    Parameters
    ----------
    fixes
        A fixes frame (:func:`read_movebank`), a Movebank CSV path or any input
        :func:`corridors.tracking.as_fixes` accepts. It is not changed.
    max_speed_kmh : float, keyword-only
        A fix that can only be reached from the previous kept fix, and left towards
        the next, faster than this (geodesic distance over elapsed time) is a location
        error. The worst such fix is dropped first and speeds are recomputed, so a
        single bad fix does not take its good neighbours with it.
    max_lag_h : float, keyword-only
        Intervals longer than this are counted as gaps in the summary (default: 8 h,
        Migration Mapper's).
    sensor_types : tuple of str or None, keyword-only
        Keep only records of these ``sensor_type`` values (case-insensitive) when the
        frame has that column; ``None`` keeps all.

    Returns
    -------
    CleanedFixes
        ``fixes``, ``report`` and ``summary`` (unpacks as a 3-tuple).

    Notes
    -----
    In order, per individual: records of other sensors, fixes without a location or a
    time, exact duplicates (same time and place; the first is kept), duplicate times
    with different places (the one with the lowest ``hdop`` is kept when the file has
    it, else the first), then impossible speeds.
    """
    if not (isinstance(max_speed_kmh, int | float) and max_speed_kmh > 0):
        raise InputError(f"max_speed_kmh must be a positive number of km/h, not {max_speed_kmh!r}")
    if not (isinstance(max_lag_h, int | float) and max_lag_h > 0):
        raise InputError(f"max_lag_h must be a positive number of hours, not {max_lag_h!r}")
    data = as_fixes(fixes)
    src = source_of(data)
    frame = data.copy()
    frame.attrs = dict(data.attrs)
    frame["_pos"] = np.arange(len(frame))
    dropped: list[pd.DataFrame] = []

    def drop(mask: np.ndarray, reason: str, detail: Any) -> None:
        nonlocal frame
        if not mask.any():
            return
        gone = frame.loc[mask].copy()
        gone["reason"] = reason
        gone["detail"] = detail[mask] if isinstance(detail, np.ndarray) else detail
        dropped.append(gone)
        frame = frame.loc[~mask]

    if sensor_types is not None and "sensor_type" in frame.columns:
        wanted = {s.lower() for s in sensor_types}
        sensor = frame["sensor_type"].astype("string").str.lower()
        other = sensor.notna() & ~sensor.isin(wanted)
        drop(
            other.to_numpy(dtype=bool),
            NOT_GPS,
            np.asarray([f"sensor-type {s!r}" for s in frame["sensor_type"]], dtype=object),
        )
    lon, lat = lonlat(frame)
    drop(np.isnan(lon) | np.isnan(lat), MISSING_LOCATION, "no longitude/latitude")
    drop(frame["timestamp"].isna().to_numpy(), MISSING_TIME, "no timestamp")

    # Sort by individual and time; ties keep file order (the first is kept below).
    before = frame["_pos"].to_numpy()
    frame = frame.sort_values(["individual", "timestamp", "_pos"], kind="stable")
    n_reordered = _count_out_of_order(frame, before)

    lon, lat = lonlat(frame)
    ind = frame["individual"].to_numpy()
    t = minutes(frame["timestamp"])
    same_time = np.r_[False, (ind[1:] == ind[:-1]) & (t[1:] == t[:-1])]
    # A run of equal times: compare with the first of the run, not only the previous.
    run_start = _run_starts(~same_time)
    exact = same_time & (lon == lon[run_start]) & (lat == lat[run_start])
    kept_ref = _refs(frame, run_start)
    drop(exact, DUPLICATE_FIX, np.asarray([f"same time and place as {r}" for r in kept_ref]))

    frame = _drop_duplicate_times(frame, drop)
    frame = _drop_speeds(frame, max_speed_kmh, drop)

    kept = gpd.GeoDataFrame(frame.drop(columns="_pos"), geometry=frame.geometry.name, crs=4326)
    kept = kept.reset_index(drop=True)
    kept.attrs = dict(data.attrs)
    report = _report(dropped, data)
    summary = summarise(kept, report, max_lag_h=max_lag_h)
    report.attrs["source"] = src
    return CleanedFixes(kept, report, summary, n_reordered)


def _run_starts(is_start: np.ndarray) -> np.ndarray:
    idx = np.where(is_start, np.arange(len(is_start)), 0)
    return np.maximum.accumulate(idx) if len(idx) else idx


def _refs(frame: pd.DataFrame, pos: np.ndarray) -> list[str]:
    out = []
    has_event = "event_id" in frame.columns
    for p in pos.tolist():
        row = frame.iloc[p]
        if has_event and pd.notna(row["event_id"]):
            out.append(f"event-id {row['event_id']}")
        else:
            out.append(f"row {row['row']}")
    return out


def _count_out_of_order(sorted_frame: pd.DataFrame, before: np.ndarray) -> int:
    """Fixes whose time is earlier than an earlier record of the same individual."""
    t = minutes(sorted_frame.sort_values("_pos")["timestamp"])
    ind = sorted_frame.sort_values("_pos")["individual"].to_numpy()
    n = 0
    for name in pd.unique(ind):
        ti = t[ind == name]
        if len(ti) > 1:
            n += int(np.count_nonzero(ti < np.maximum.accumulate(ti)))
    return n


def _drop_duplicate_times(frame: gpd.GeoDataFrame, drop: Any) -> gpd.GeoDataFrame:
    ind = frame["individual"].to_numpy()
    t = minutes(frame["timestamp"])
    dup = np.r_[False, (ind[1:] == ind[:-1]) & (t[1:] == t[:-1])]
    if not dup.any():
        return frame
    group = np.cumsum(~dup) - 1
    hdop = (
        frame["hdop"].to_numpy(dtype=float, na_value=np.inf)
        if "hdop" in frame.columns
        else np.zeros(len(frame))
    )
    order = np.lexsort((np.arange(len(frame)), hdop, group))
    first = np.r_[True, group[order][1:] != group[order][:-1]]
    keep_pos = np.empty(group.max() + 1, dtype=np.intp)
    keep_pos[group[order][first]] = order[first]
    loser = np.ones(len(frame), dtype=bool)
    loser[keep_pos] = False
    in_dup = np.bincount(group, minlength=group.max() + 1)[group] > 1
    loser &= in_dup
    refs = _refs(frame, keep_pos[group])
    how = "lower gps:hdop" if "hdop" in frame.columns else "first in the file"
    detail = np.asarray([f"same time as {r} (kept: {how})" for r in refs], dtype=object)
    drop(loser, DUPLICATE_TIME, detail)
    return frame.loc[~loser]


def _drop_speeds(frame: gpd.GeoDataFrame, max_kmh: float, drop: Any) -> gpd.GeoDataFrame:
    lon, lat = lonlat(frame)
    t = minutes(frame["timestamp"])
    ind = frame["individual"].to_numpy()
    alive = np.ones(len(frame), dtype=bool)
    detail = np.empty(len(frame), dtype=object)
    for name in pd.unique(ind):
        idx = np.flatnonzero(ind == name)
        for _ in range(_MAX_SPEED_ROUNDS):
            live = idx[alive[idx]]
            if len(live) < 2:
                break
            _, _, dist = GEOD.inv(lon[live[:-1]], lat[live[:-1]], lon[live[1:]], lat[live[1:]])
            speed = np.asarray(dist) / 1000.0 / ((t[live[1:]] - t[live[:-1]]) / 60.0)
            fast = speed > max_kmh
            if not fast.any():
                break
            s_in, s_out = np.r_[0.0, speed], np.r_[speed, 0.0]
            f_in, f_out = np.r_[False, fast], np.r_[fast, False]
            # A spike is reached and left too fast; the ends of a track have one side.
            score = np.where(f_in & f_out, np.minimum(s_in, s_out), 0.0)
            score[0] = s_out[0] if f_out[0] and len(live) > 2 and not f_out[1] else score[0]
            score[-1] = s_in[-1] if f_in[-1] and len(live) > 2 and not f_in[-2] else score[-1]
            if not (score > 0).any():
                # Fast steps between fixes that are each fine with their other
                # neighbour (two bad fixes in a row): drop the later end of the first.
                score[int(np.flatnonzero(fast)[0]) + 1] = 1.0
            # Every local maximum at once: neighbours of a spike are judged again.
            left = np.r_[-1.0, score[:-1]]
            right = np.r_[score[1:], -1.0]
            worst = np.flatnonzero((score > 0) & (score >= left) & (score > right))
            p = live[worst]
            alive[p] = False
            for w, q in zip(worst.tolist(), p.tolist(), strict=True):
                detail[q] = (
                    f"{s_in[w]:.1f} km/h from the previous fix and {s_out[w]:.1f} km/h to "
                    f"the next exceed max_speed_kmh={max_kmh:g}"
                )
    drop(~alive, IMPOSSIBLE_SPEED, detail)
    return frame.loc[alive]


def _report(dropped: list[pd.DataFrame], data: pd.DataFrame) -> pd.DataFrame:
    cols = ["individual", "timestamp", "event_id", "row", "reason", "detail"]
    if not dropped:
        out = pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
        out["timestamp"] = pd.Series(dtype="datetime64[ns, UTC]")
        return out
    frame = pd.concat([pd.DataFrame(d.drop(columns=d.geometry.name)) for d in dropped])
    frame = frame.sort_values("_pos", kind="stable")
    if "event_id" not in frame.columns:
        frame["event_id"] = pd.NA
    return frame[cols].reset_index(drop=True)


def summarise(
    fixes: gpd.GeoDataFrame, report: pd.DataFrame | None = None, *, max_lag_h: float
) -> pd.DataFrame:
    """One row per individual: fixes, dropped, span, median fix interval and gaps."""
    rows = []
    t = minutes(fixes["timestamp"])
    ind = fixes["individual"].to_numpy()
    names = list(pd.unique(ind))
    if report is not None and len(report):
        names += [n for n in pd.unique(report["individual"]) if n not in names]
    n_dropped: Any = (
        report["individual"].value_counts() if report is not None and len(report) else {}
    )
    for name in names:
        sel = ind == name
        ti = t[sel]
        dt_h = np.diff(ti) / 60.0
        gaps = dt_h[dt_h > max_lag_h]
        ts = fixes["timestamp"][sel]
        rows.append(
            {
                "individual": name,
                "n_fixes": int(sel.sum()),
                "n_dropped": int(n_dropped.get(name, 0)),
                "first": ts.min() if len(ts) else pd.NaT,
                "last": ts.max() if len(ts) else pd.NaT,
                "span_days": float((ti.max() - ti.min()) / 1440.0) if len(ti) else 0.0,
                "median_interval_h": float(np.median(dt_h)) if len(dt_h) else float("nan"),
                "n_gaps": len(gaps),
                "longest_gap_h": float(gaps.max()) if len(gaps) else 0.0,
            }
        )
    out = (
        pd.DataFrame(rows).set_index("individual")
        if rows
        else pd.DataFrame(columns=list(SUMMARY_COLUMNS))
    )
    return out
