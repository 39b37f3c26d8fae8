"""Migration sequences: the stretches of each track that a Brownian bridge models together."""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from .._geodesy import GEOD
from ..errors import InputError
from ._clean import DEFAULT_MAX_LAG_H
from ._errors import ShortSequenceWarning
from ._fixes import as_fixes, check_ordered, listed, lonlat, minutes, source_of

__all__ = [
    "DEFAULT_MIN_DISPLACEMENT_KM",
    "MIN_FIXES",
    "sequences",
    "split_at_gaps",
]

#: Fewest fixes a sequence needs: the leave-one-out estimate of the motion variance
#: takes fixes in threes, and two bridges are the least that says anything.
MIN_FIXES = 4
#: Net displacement (km) below which an individual-year is resident, not migratory,
#: for ``method="nsd"``: well beyond a mule deer's or elk's seasonal range size.
DEFAULT_MIN_DISPLACEMENT_KM = 15.0
#: Share of the year's largest net displacement that marks leaving a seasonal range
#: (below it) and arriving on the other (above 1 minus it), for ``method="nsd"``.
NSD_RANGE_SHARE = 0.1

_MMDD = re.compile(r"^(\d\d)-(\d\d)$")


def sequences(
    fixes: Any,
    *,
    seasons: Mapping[str, tuple[str, str]] | None = None,
    method: str = "nsd",
    max_lag_h: float = DEFAULT_MAX_LAG_H,
    min_fixes: int = MIN_FIXES,
    min_displacement_km: float = DEFAULT_MIN_DISPLACEMENT_KM,
) -> gpd.GeoDataFrame:
    """Split each individual's track into migration sequences.

    Parameters
    ----------
    fixes
        Cleaned fixes (:func:`clean_fixes`), sorted in time within each individual.
    seasons : mapping of name to (start, end), optional, keyword-only
        Date windows ``{"spring": ("03-15", "06-15")}`` (month-day, inclusive, in UTC;
        a window may run across the new year, ``("11-15", "02-15")``), applied to
        every year of the data. When given, ``method`` is not used.
    method : {"nsd", "gaps"}, keyword-only
        Without ``seasons``: ``"nsd"`` finds each individual-year's migrations from its
        net displacement from the first fix of the year: a migration runs from the last
        fix within 10 % of the largest displacement of the year before the first fix
        beyond 90 % of it, and back (individual-years whose largest displacement is
        below ``min_displacement_km`` are resident and get no sequence). ``"gaps"``
        takes each individual's whole track, split at gaps.
    max_lag_h : float, keyword-only
        A gap longer than this splits a sequence (Migration Mapper's default: 8 h).
    min_fixes : int, keyword-only
        Pieces with fewer fixes are left out of the sequences, with a
        :class:`ShortSequenceWarning` listing them.
    min_displacement_km : float, keyword-only
        See ``method``.

    Returns
    -------
    GeoDataFrame
        The fixes with a ``sequence`` column (``"<individual>_<year>_<season>"``, with
        ``_2``, ``_3`` for pieces split at gaps) and ``year``; fixes in no sequence
        keep ``<NA>`` there (nothing is dropped), and are ignored by :func:`bbmm`.
    """
    data = as_fixes(fixes)
    check_ordered(data, what="sequences()")
    if not (isinstance(max_lag_h, int | float) and max_lag_h > 0):
        raise InputError(f"max_lag_h must be a positive number of hours, not {max_lag_h!r}")
    if int(min_fixes) < 2:
        raise InputError(f"min_fixes must be at least 2, not {min_fixes!r}")
    out = data.copy()
    out.attrs = dict(data.attrs)
    years = out["timestamp"].dt.year.to_numpy()
    out["year"] = years
    labels = np.full(len(out), None, dtype=object)
    if seasons is not None:
        windows = _parse_seasons(seasons)
        md = out["timestamp"].dt.month.to_numpy() * 100 + out["timestamp"].dt.day.to_numpy()
        for name, (a, b) in windows.items():
            inside = (md >= a) & (md <= b) if a <= b else (md >= a) | (md <= b)
            # A window across the new year belongs to the year it starts in.
            year = years - ((md <= b) & (a > b)).astype(int)
            for pos in np.flatnonzero(inside & (labels == None)):  # noqa: E711
                labels[pos] = f"{out['individual'].iat[pos]}_{year[pos]}_{name}"
    elif method == "nsd":
        labels = _nsd_labels(out, min_displacement_km)
    elif method == "gaps":
        labels = np.asarray([f"{i}_all" for i in out["individual"]], dtype=object)
    else:
        raise InputError(f"method must be 'nsd' or 'gaps', not {method!r} (or pass seasons=)")
    out["sequence"] = pd.array(
        split_at_gaps(labels, minutes(out["timestamp"]), max_lag_h, min_fixes, out),
        dtype="string",
    )
    return out


def _parse_seasons(seasons: Mapping[str, tuple[str, str]]) -> dict[str, tuple[int, int]]:
    out = {}
    problems = []
    for name, window in seasons.items():
        try:
            a, b = window
            ma, mb = _MMDD.match(str(a)), _MMDD.match(str(b))
            if not (ma and mb):
                raise ValueError
            va = int(ma.group(1)) * 100 + int(ma.group(2))
            vb = int(mb.group(1)) * 100 + int(mb.group(2))
            pd.Timestamp(f"2000-{a}"), pd.Timestamp(f"2000-{b}")
        except (ValueError, TypeError):
            problems.append(f"{name!r}: {window!r}")
            continue
        out[str(name)] = (va, vb)
    if problems:
        raise InputError(
            "seasons must map names to (start, end) month-days such as "
            f"{{'spring': ('03-15', '06-15')}}; cannot read {', '.join(problems)}"
        )
    return out


def _nsd_labels(fixes: gpd.GeoDataFrame, min_km: float) -> np.ndarray:
    lon, lat = lonlat(fixes)
    ind = fixes["individual"].to_numpy()
    year = fixes["year"].to_numpy()
    labels = np.full(len(fixes), None, dtype=object)
    key = pd.Series(list(zip(ind, year, strict=True)))
    groups: dict[Any, Any] = key.groupby(key).indices if len(key) else {}
    for (name, yr), idx in groups.items():
        idx = np.sort(np.asarray(idx))
        if len(idx) < 2:
            continue
        _, _, d = GEOD.inv(
            np.full(len(idx), lon[idx[0]]), np.full(len(idx), lat[idx[0]]), lon[idx], lat[idx]
        )
        d_km = np.asarray(d) / 1000.0
        top = float(d_km.max())
        if top < min_km:
            continue
        near, far = d_km <= NSD_RANGE_SHARE * top, d_km >= (1 - NSD_RANGE_SHARE) * top
        pos = 0
        # Alternate: away (near -> far), then back (far -> near).
        for n, away in enumerate((True, False, True, False), start=1):
            src_mask, dst_mask = (near, far) if away else (far, near)
            arrive = np.flatnonzero(dst_mask[pos:])
            if len(arrive) == 0:
                break
            end = pos + int(arrive[0])
            leave = np.flatnonzero(src_mask[pos : end + 1])
            if len(leave) == 0:
                break
            start = pos + int(leave[-1])
            tag = "out" if away else "back"
            for p in idx[start : end + 1]:
                labels[p] = f"{name}_{yr}_{tag}{'' if n <= 2 else n}"
            pos = end
    return labels


def split_at_gaps(
    labels: np.ndarray,
    t_min: np.ndarray,
    max_lag_h: float,
    min_fixes: int,
    fixes: gpd.GeoDataFrame,
) -> np.ndarray:
    """Split each labelled run at gaps longer than ``max_lag_h``; pieces shorter than
    ``min_fixes`` lose their label (listed in a :class:`ShortSequenceWarning`)."""
    n = len(labels)
    out = np.full(n, None, dtype=object)
    if n == 0:
        return out
    lab = np.asarray(labels, dtype=object)
    has = np.asarray([v is not None and not (isinstance(v, float) and np.isnan(v)) for v in lab])
    same = np.r_[False, has[1:] & has[:-1] & (lab[1:] == lab[:-1])]
    gap = np.r_[False, np.diff(t_min) > max_lag_h * 60.0]
    piece = np.cumsum(~same | gap)
    short: list[str] = []
    count: dict[str, int] = {}
    for p in np.unique(piece[has]):
        idx = np.flatnonzero((piece == p) & has)
        name = str(lab[idx[0]])
        if len(idx) < min_fixes:
            short.append(
                f"{name}: {len(idx)} fix(es) from {fixes['timestamp'].iat[idx[0]]} "
                f"(individual {fixes['individual'].iat[idx[0]]!r})"
            )
            continue
        count[name] = count.get(name, 0) + 1
        out[idx] = name if count[name] == 1 else f"{name}_{count[name]}"
    if short:
        warnings.warn(
            f"{source_of(fixes)}: {len(short)} piece(s) of track between gaps longer than "
            f"{max_lag_h:g} h have fewer than {min_fixes} fixes and are in no sequence:\n"
            f"{listed(short)}",
            ShortSequenceWarning,
            stacklevel=3,
        )
    return out
