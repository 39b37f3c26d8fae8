"""Reading GPS fixes: Movebank exports, GeoDataFrames of points, movingpandas collections.

Every reader returns the same *fixes* frame: a GeoDataFrame of points in EPSG:4326 with
an ``individual`` column (str) and a tz-aware UTC ``timestamp`` column, plus the
Movebank columns that were present (``event_id``, ``tag``, ``sensor_type``, ``hdop``)
and ``row``, the line of the file (or the position in the input frame) each fix came
from, so that every message can point at the fix. ``fixes.attrs["source"]`` names the
file (or ``"<GeoDataFrame>"``).
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..crs import as_crs
from ..errors import CRSError, DataFileError, InputError
from ._errors import NaiveTimestampWarning

__all__ = ["as_fixes", "read_movebank"]

#: Movebank's attribute names (CSV export, hyphenated) and the API's spellings
#: (underscores), mapped to the column names of a fixes frame.
MOVEBANK_COLUMNS: dict[str, tuple[str, ...]] = {
    "event_id": ("event-id", "event_id"),
    "timestamp": ("timestamp",),
    "lon": ("location-long", "location_long"),
    "lat": ("location-lat", "location_lat"),
    "individual": ("individual-local-identifier", "individual_local_identifier"),
    "tag": ("tag-local-identifier", "tag_local_identifier"),
    "sensor_type": ("sensor-type", "sensor_type"),
    "hdop": ("gps:hdop", "gps_hdop"),
}
#: Without these a file is not a Movebank export of locations.
REQUIRED = ("timestamp", "lon", "lat")

#: Names tried, in order, for the time and id columns of a GeoDataFrame of points.
TIME_CANDIDATES = ("timestamp", "time", "datetime", "date_time", "t")
ID_CANDIDATES = (
    "individual",
    "individual-local-identifier",
    "individual_local_identifier",
    "id",
    "animal_id",
    "track_id",
    "traj_id",
    "tag",
)

#: Problems listed one by one in a message before the rest are counted.
MAX_LISTED = 10

FIX_COLUMNS = ("individual", "timestamp", "event_id", "tag", "sensor_type", "hdop", "row")


def source_of(fixes: pd.DataFrame) -> str:
    """The file a fixes frame was read from, for messages (``"<GeoDataFrame>"`` if none)."""
    return str(fixes.attrs.get("source", "<GeoDataFrame>"))


def describe_fix(fixes: pd.DataFrame, pos: int) -> str:
    """``individual 'F01', fix at 2024-04-01 06:00 UTC (event-id 7, row 12)`` for messages."""
    row = fixes.iloc[pos]
    parts = []
    if "event_id" in fixes.columns and pd.notna(row["event_id"]):
        parts.append(f"event-id {row['event_id']}")
    if "row" in fixes.columns and pd.notna(row["row"]):
        parts.append(f"row {int(row['row'])}")
    where = f" ({', '.join(parts)})" if parts else ""
    ts = row["timestamp"] if "timestamp" in fixes.columns else None
    when = "at an unknown time" if ts is None or pd.isna(ts) else f"at {_fmt_time(ts)}"
    return f"individual {row['individual']!r}, fix {when}{where}"


def _fmt_time(ts: Any) -> str:
    ts = pd.Timestamp(ts)
    return ts.strftime("%Y-%m-%d %H:%M:%S") + (" UTC" if ts.tzinfo is not None else "")


def listed(items: list[str], *, limit: int = MAX_LISTED) -> str:
    """Items one per line (indented), the rest counted."""
    shown = [f"  - {it}" for it in items[:limit]]
    if len(items) > limit:
        shown.append(f"  ... and {len(items) - limit} more")
    return "\n".join(shown)


# ----------------------------------------------------------------------------- Movebank


def read_movebank(
    path: str | os.PathLike[str],
    *,
    timezone: str | None = None,
) -> gpd.GeoDataFrame:
    """Read a Movebank CSV export into a GeoDataFrame of fixes.

    Parameters
    ----------
    path : path-like
        A Movebank CSV export (``event-id``, ``timestamp``, ``location-long``,
        ``location-lat``, ``individual-local-identifier``, ``tag-local-identifier``,
        ``sensor-type``, optional ``gps:hdop``), with the hyphenated names of the
        website's export or the underscores of the REST API. The file is only read.
    timezone : str, optional, keyword-only
        Time zone of timestamps written without one. Movebank writes UTC without a
        zone; such timestamps are read as UTC with a :class:`NaiveTimestampWarning`
        unless ``timezone`` says what they are (``"UTC"`` silences it). Timestamps with
        an offset are converted to UTC.

    Returns
    -------
    GeoDataFrame
        One row per record, in file order, EPSG:4326 points (None where the record has
        no location: those are reported and dropped by :func:`clean_fixes`, never
        silently), columns ``individual`` (falling back to the tag where the file has
        no individual), ``timestamp`` (UTC), ``event_id``, ``tag``, ``sensor_type``,
        ``hdop`` when present, ``row`` (the line in the file) and every other column of
        the file unchanged.

    Raises
    ------
    DataFileError
        The file is missing, unreadable, not Movebank-shaped (the message lists the
        columns found and those expected), or has timestamps that cannot be read or
        coordinates outside longitude/latitude ranges (every such row listed).
    """
    src = Path(path)
    if src.is_dir():
        raise DataFileError(f"Movebank file {str(src)!r} is a directory; pass the CSV export")
    if not src.exists():
        raise DataFileError(f"Movebank file {str(src)!r} does not exist; check the path")
    try:
        raw = pd.read_csv(src, dtype=str, keep_default_na=False, na_values=[""])
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DataFileError(
            f"cannot read Movebank file {str(src)!r} as CSV: {exc}; export the study from "
            "Movebank as CSV (Download > Download data > CSV)"
        ) from None
    found = {
        name: next((c for c in spellings if c in raw.columns), None)
        for name, spellings in MOVEBANK_COLUMNS.items()
    }
    missing = [k for k in REQUIRED if found[k] is None]
    if found["individual"] is None and found["tag"] is None:
        missing.append("individual")
    if missing:
        expected = [MOVEBANK_COLUMNS[k][0] for k in (*REQUIRED, "individual")]
        raise DataFileError(
            f"{str(src)!r} is not a Movebank export of locations: it lacks "
            f"{', '.join(repr(MOVEBANK_COLUMNS[k][0]) for k in missing)}. Columns found: "
            f"{', '.join(repr(str(c)) for c in raw.columns) or 'none'}. Expected at least: "
            f"{', '.join(repr(c) for c in expected)} (or 'tag-local-identifier'; the API's "
            "underscore spellings such as 'location_long' work too)"
        )
    frame = pd.DataFrame(index=raw.index)
    # Line numbers in the file: the header is line 1.
    frame["row"] = np.arange(len(raw), dtype=np.int64) + 2
    ident_col = found["individual"] or found["tag"]
    ident = raw[ident_col]
    if found["individual"] is not None and found["tag"] is not None:
        # Records without an individual (tags before deployment) keep their tag's name.
        ident = ident.fillna(raw[found["tag"]].map(lambda v: f"tag {v}", na_action="ignore"))
    frame["individual"] = ident.astype("string")
    what = f"Movebank file {str(src)!r}"
    frame["timestamp"] = parse_timestamps(
        raw[found["timestamp"]], what=what, rows=frame["row"], timezone=timezone
    )
    for name in ("event_id", "tag", "sensor_type"):
        if found[name] is not None:
            frame[name] = raw[found[name]].astype("string")
    if found["hdop"] is not None:
        frame["hdop"] = pd.to_numeric(raw[found["hdop"]], errors="coerce")
    lon, lat = _coordinates(raw[found["lon"]], raw[found["lat"]], frame, what=what)
    used = {c for c in found.values() if c is not None}
    for col in raw.columns:
        if col not in used and col not in frame.columns:
            frame[col] = raw[col]
    no_id = frame["individual"].isna()
    if no_id.any():
        rows = frame.loc[no_id, "row"].tolist()
        raise DataFileError(
            f"{what}: {int(no_id.sum())} record(s) name no individual and no tag (rows "
            f"{', '.join(map(str, rows[:MAX_LISTED]))}{' ...' if len(rows) > MAX_LISTED else ''}"
            "); fill in 'individual-local-identifier' or delete those rows from a copy"
        )
    ok = np.isfinite(lon) & np.isfinite(lat)
    geoms = np.full(len(frame), None, dtype=object)
    geoms[ok] = shapely.points(lon[ok], lat[ok])
    out = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, index=frame.index), crs=4326)
    out.attrs["source"] = str(src)
    return out.reset_index(drop=True)


def _coordinates(
    lon_text: pd.Series, lat_text: pd.Series, frame: pd.DataFrame, *, what: str
) -> tuple[np.ndarray, np.ndarray]:
    lon = pd.to_numeric(lon_text, errors="coerce").to_numpy(dtype=float)
    lat = pd.to_numeric(lat_text, errors="coerce").to_numpy(dtype=float)
    bad_text = (lon_text.notna() & np.isnan(lon)) | (lat_text.notna() & np.isnan(lat))
    out_of_range = (np.abs(lon) > 180) | (np.abs(lat) > 90)
    bad = np.flatnonzero(bad_text.to_numpy() | out_of_range)
    if len(bad):
        items = [
            f"row {frame['row'].iat[i]} (individual {frame['individual'].iat[i]!r}): "
            f"location-long {lon_text.iat[i]!r}, location-lat {lat_text.iat[i]!r}"
            for i in bad.tolist()
        ]
        raise DataFileError(
            f"{what}: {len(bad)} record(s) have coordinates that are not longitude/latitude "
            f"degrees (longitude in [-180, 180], latitude in [-90, 90]):\n{listed(items)}\n"
            "Fix or delete them in a copy of the file (an empty cell marks a failed fix)"
        )
    return lon, lat


def parse_timestamps(
    values: pd.Series,
    *,
    what: str,
    rows: pd.Series | None = None,
    timezone: str | None = None,
) -> pd.Series:
    """Timestamps as tz-aware UTC; naive ones read in ``timezone`` (UTC with a warning).

    Raises
    ------
    DataFileError
        If any value cannot be read as a date and time (every such row listed).
    """
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return values.dt.tz_convert("UTC")
    if pd.api.types.is_datetime64_dtype(values.dtype):
        parsed = values
        naive = values.notna()
    else:
        text = values.astype("string")
        parsed = pd.to_datetime(text, errors="coerce", utc=True, format="mixed")
        bad = text.notna() & parsed.isna()
        if bad.any():
            pos = np.flatnonzero(bad.to_numpy())
            where = rows.to_numpy() if rows is not None else pos
            items = [f"row {where[i]}: {text.iat[i]!r}" for i in pos.tolist()]
            raise DataFileError(
                f"{what}: {len(pos)} timestamp(s) cannot be read as a date and time:\n"
                f"{listed(items)}\nWrite them as 'YYYY-MM-DD HH:MM:SS' (UTC, as Movebank does)"
            )
        has_zone = text.str.contains(r"(?:Z|[+-]\d\d:?\d\d)\s*$", regex=True, na=False)
        naive = text.notna() & ~has_zone
        if not naive.any():
            return parsed
        # Re-read the naive ones as wall-clock times, then place them in their zone.
        parsed = parsed.astype("datetime64[ns, UTC]")
        plain = pd.to_datetime(text[naive], errors="coerce", format="mixed")
        zone = timezone or "UTC"
        try:
            parsed[naive] = plain.dt.tz_localize(zone).dt.tz_convert("UTC")
        except Exception as exc:  # unknown zone names, nonexistent local times
            raise InputError(
                f"{what}: cannot read the timestamps in time zone {zone!r}: {exc}; pass an "
                "IANA zone name such as 'UTC' or 'America/Denver'"
            ) from None
        if timezone is None:
            warnings.warn(
                f"{what}: {int(naive.sum())} timestamp(s) have no time zone; read as UTC "
                "(as Movebank writes them). Pass timezone='UTC' to confirm, or the zone "
                "they were recorded in",
                NaiveTimestampWarning,
                stacklevel=3,
            )
        return parsed
    zone = timezone or "UTC"
    if naive.any() and timezone is None:
        warnings.warn(
            f"{what}: timestamps have no time zone; read as UTC. Pass timezone='UTC' to "
            "confirm, or the zone they were recorded in",
            NaiveTimestampWarning,
            stacklevel=3,
        )
    return parsed.dt.tz_localize(zone).dt.tz_convert("UTC")


# ----------------------------------------------------------------------------- frames


def as_fixes(
    data: Any,
    *,
    time: str | None = None,
    individual: str | None = None,
    timezone: str | None = None,
) -> gpd.GeoDataFrame:
    """Any supported input as a fixes frame (see the module docstring).

    Parameters
    ----------
    data
        A path to a Movebank CSV (:func:`read_movebank`), a GeoDataFrame of points with
        a time and an id column (any CRS), a fixes frame (returned as is), or a
        movingpandas ``TrajectoryCollection`` (needs movingpandas, optional).
    time, individual : str, optional, keyword-only
        The time and id columns of a GeoDataFrame (found by common names otherwise:
        ``timestamp``, ``time``, ``datetime``; ``individual``, ``id``, ``track_id``).
    timezone : str, optional, keyword-only
        Time zone of naive timestamps (see :func:`read_movebank`).

    Raises
    ------
    InputError
        Missing time or id column, geometries that are not points, or an unsupported
        type. CRSError for a frame without a CRS.
    """
    if isinstance(data, str | os.PathLike):
        return read_movebank(data, timezone=timezone)
    if _is_trajectory_collection(data):
        frame = data.to_point_gdf()
        if frame.index.name is not None and frame.index.name not in frame.columns:
            frame = frame.reset_index()
        traj_col = data.get_traj_id_col() if hasattr(data, "get_traj_id_col") else None
        return as_fixes(
            frame,
            time=time or _first(frame, TIME_CANDIDATES),
            individual=individual or traj_col,
            timezone=timezone,
        )
    if not isinstance(data, gpd.GeoDataFrame):
        raise InputError(
            f"cannot read fixes from a {type(data).__name__}; pass a Movebank CSV path, a "
            "GeoDataFrame of points with a time and an id column, or a movingpandas "
            "TrajectoryCollection"
        )
    if _is_fixes(data):
        if "row" in data.columns:
            return data
        # Positions in the frame point at the fix in messages.
        out = data.copy()
        out.attrs = dict(data.attrs)
        out["row"] = np.arange(len(out), dtype=np.int64)
        return out
    what = source_of(data)
    if data.crs is None:
        raise CRSError(
            f"{what}: the GeoDataFrame of fixes has no CRS; set it first, e.g. "
            "frame.set_crs('EPSG:4326') for longitude/latitude"
        )
    time_col = time or _first(data, TIME_CANDIDATES)
    if time_col is None and isinstance(data.index, pd.DatetimeIndex):
        data = data.reset_index()
        time_col = data.columns[0]
    id_col = individual or _first(data, ID_CANDIDATES)
    problems = []
    if time_col is None or time_col not in data.columns:
        problems.append(
            f"no time column{f' {time!r}' if time else ''} (tried {', '.join(TIME_CANDIDATES)}; "
            "pass time='...')"
        )
    if id_col is None or id_col not in data.columns:
        problems.append(
            f"no individual id column{f' {individual!r}' if individual else ''} (tried "
            f"{', '.join(ID_CANDIDATES)}; pass individual='...')"
        )
    if problems:
        raise InputError(
            f"{what}: cannot read fixes: {'; '.join(problems)}. Columns found: "
            f"{', '.join(repr(str(c)) for c in data.columns)}"
        )
    if data.crs is None:
        raise CRSError(
            f"{what}: the GeoDataFrame of fixes has no CRS; set it first, e.g. "
            "frame.set_crs('EPSG:4326') for longitude/latitude"
        )
    geoms = np.asarray(data.geometry.values, dtype=object)
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    not_point = present & (shapely.get_type_id(geoms) != 0)
    if not_point.any():
        pos = np.flatnonzero(not_point)
        raise InputError(
            f"{what}: fixes must be points; {len(pos)} geometr"
            f"{'y is' if len(pos) == 1 else 'ies are'} not (first at position {pos[0]}: "
            f"{geoms[pos[0]].geom_type}). Take their "
            "vertices with frame.get_coordinates() or frame.explode()"
        )
    frame = pd.DataFrame(data.drop(columns=data.geometry.name)).copy()
    frame = frame.rename(columns={id_col: "individual"})
    frame["individual"] = frame["individual"].astype("string")
    if time_col != "timestamp" and "timestamp" in frame.columns:
        frame = frame.drop(columns="timestamp")
    frame = frame.rename(columns={time_col: "timestamp"})
    frame["timestamp"] = parse_timestamps(frame["timestamp"], what=what, timezone=timezone)
    if "row" not in frame.columns:
        frame["row"] = np.arange(len(frame), dtype=np.int64)
    geo = gpd.GeoSeries(geoms, crs=data.crs, index=frame.index)
    if not as_crs(data.crs).equals(as_crs(4326)):
        geo = geo.to_crs(4326)
    out = gpd.GeoDataFrame(frame, geometry=geo.rename("geometry"), crs=4326)
    out.attrs["source"] = what
    return out.reset_index(drop=True)


def _first(frame: pd.DataFrame, names: tuple[str, ...]) -> str | None:
    lower = {str(c).lower(): c for c in frame.columns}
    for name in names:
        if name in lower:
            return str(lower[name])
    return None


def _is_trajectory_collection(data: Any) -> bool:
    return type(data).__name__ == "TrajectoryCollection" and hasattr(data, "to_point_gdf")


def _is_fixes(frame: gpd.GeoDataFrame) -> bool:
    return (
        {"individual", "timestamp"} <= set(frame.columns)
        and isinstance(frame["timestamp"].dtype, pd.DatetimeTZDtype)
        and frame.crs is not None
        and frame.crs.to_epsg() == 4326
    )


# ----------------------------------------------------------------------------- checks


def lonlat(fixes: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Longitude and latitude arrays of the fixes (NaN where a fix has no location)."""
    geoms = np.asarray(fixes.geometry.values, dtype=object)
    xy = np.full((len(geoms), 2), np.nan)
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if ok.any():
        xy[ok] = shapely.get_coordinates(geoms[ok])
    return xy[:, 0], xy[:, 1]


def minutes(timestamps: pd.Series) -> np.ndarray:
    """Minutes since 1970-01-01 UTC as float64 (NaN for missing times)."""
    ns = timestamps.dt.as_unit("ns")
    out = ns.astype("int64").to_numpy().astype(np.float64) / 6e10
    out[timestamps.isna().to_numpy()] = np.nan
    return out


def check_ordered(fixes: gpd.GeoDataFrame, *, what: str) -> None:
    """Refuse fixes that are missing, unsorted or duplicated in time within an individual.

    Raises
    ------
    InputError
        Naming the file, each individual and fix at fault, and the fix (``clean_fixes``).
    """
    src = source_of(fixes)
    problems: list[str] = []
    lon, _ = lonlat(fixes)
    t = minutes(fixes["timestamp"])
    for pos in np.flatnonzero(np.isnan(lon) | np.isnan(t)):
        problems.append(f"{describe_fix(fixes, int(pos))}: no location or no time")
    ind = fixes["individual"].to_numpy()
    same = ind[1:] == ind[:-1]
    dt = np.diff(t)
    for pos in np.flatnonzero(same & (dt < 0)) + 1:
        problems.append(f"{describe_fix(fixes, int(pos))}: earlier than the fix before it")
    for pos in np.flatnonzero(same & (dt == 0)) + 1:
        problems.append(f"{describe_fix(fixes, int(pos))}: same time as the fix before it")
    seen: dict[str, int] = {}
    first_of = np.r_[True, ~same]
    for pos in np.flatnonzero(first_of):
        name = str(ind[pos])
        if name in seen:
            problems.append(
                f"individual {name!r}: its fixes are not together (again at position {pos})"
            )
        seen[name] = int(pos)
    if problems:
        raise InputError(
            f"{src}: {what} needs each individual's fixes in time order, with locations and "
            f"distinct times; {len(problems)} problem(s):\n{listed(problems)}\n"
            "Run corridors.tracking.clean_fixes first (it sorts, drops and reports them)"
        )
