"""Reading, cleaning and sequencing fixes; bad input refused with clear messages."""

from __future__ import annotations

import hashlib
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from tracking_tracks import brownian_xy, fixes_from_xy

from corridors import tracking as tr
from corridors.errors import CorridorsError, CRSError, DataFileError, InputError

HEADER = (
    "event-id,visible,timestamp,location-long,location-lat,gps:hdop,sensor-type,"
    "individual-taxon-canonical-name,tag-local-identifier,individual-local-identifier,study-name"
)


def _csv(tmp_path: Path, rows: list[str], header: str = HEADER, name: str = "mb.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def _row(
    eid: int, ts: str, lon: str, lat: str, ind: str = "F01", hdop: str = "1.2", sensor: str = "gps"
) -> str:
    return f"{eid},true,{ts},{lon},{lat},{hdop},{sensor},Odocoileus hemionus,T{ind},{ind},Study"


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_read_movebank_hyphens(tmp_path: Path) -> None:
    path = _csv(
        tmp_path,
        [
            _row(1, "2024-04-01 00:00:00.000", "-109.8", "42.9"),
            _row(2, "2024-04-01 02:00:00.000", "-109.79", "42.91"),
            _row(3, "2024-04-01 04:00:00.000", "", ""),
        ],
    )
    before = _digest(path)
    with pytest.warns(tr.NaiveTimestampWarning, match="no time zone; read as UTC"):
        fixes = tr.read_movebank(path)
    assert _digest(path) == before  # the user's file is never changed
    assert fixes.crs.to_epsg() == 4326
    assert str(fixes["timestamp"].dt.tz) == "UTC"
    assert list(fixes["individual"]) == ["F01"] * 3
    assert fixes.geometry.iloc[2] is None  # kept, for clean_fixes to report
    assert fixes["hdop"].iloc[0] == pytest.approx(1.2)
    assert list(fixes["row"]) == [2, 3, 4]
    assert "study-name" in fixes.columns


def test_read_movebank_underscores_and_explicit_zone(tmp_path: Path) -> None:
    header = "event_id,timestamp,location_long,location_lat,individual_local_identifier"
    path = _csv(tmp_path, ["7,2024-04-01 06:00:00,-109.8,42.9,E1"], header=header)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fixes = tr.read_movebank(path, timezone="America/Denver")
    assert fixes["timestamp"].iloc[0] == pd.Timestamp("2024-04-01 12:00", tz="UTC")
    assert fixes["event_id"].iloc[0] == "7"


def test_offsets_are_converted_without_warning(tmp_path: Path) -> None:
    header = "timestamp,location-long,location-lat,individual-local-identifier"
    path = _csv(tmp_path, ["2024-04-01T06:00:00+02:00,-109.8,42.9,E1"], header=header)
    fixes = tr.read_movebank(path)
    assert fixes["timestamp"].iloc[0] == pd.Timestamp("2024-04-01 04:00", tz="UTC")


def test_not_movebank_lists_found_and_expected_columns(tmp_path: Path) -> None:
    path = _csv(tmp_path, ["1,2,3"], header="id,lon,lat")
    with pytest.raises(
        DataFileError,
        match=r"not a Movebank export.*Columns found: 'id', 'lon', "
        r"'lat'.*'location-long'",
    ) as info:
        tr.read_movebank(path)
    assert str(path) in str(info.value)


def test_bad_timestamps_and_coordinates_listed_by_row(tmp_path: Path) -> None:
    path = _csv(
        tmp_path,
        [
            _row(1, "2024-04-01 00:00:00", "-109.8", "42.9"),
            _row(2, "yesterday", "-109.8", "42.9"),
        ],
    )
    with pytest.raises(DataFileError, match=r"row 3: 'yesterday'"):
        tr.read_movebank(path, timezone="UTC")
    path = _csv(
        tmp_path, [_row(1, "2024-04-01 00:00:00", "-209.8", "42.9", ind="Z9")], name="b.csv"
    )
    with pytest.raises(DataFileError, match=r"row 2 \(individual 'Z9'\).*-209.8"):
        tr.read_movebank(path, timezone="UTC")


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(DataFileError, match="does not exist"):
        tr.read_movebank(tmp_path / "none.csv")
    with pytest.raises(DataFileError, match="is a directory"):
        tr.read_movebank(tmp_path)


def test_geodataframe_input_any_crs_and_columns() -> None:
    pts = gpd.GeoSeries(shapely.points([[500000, 4750000], [500100, 4750100]]), crs=32612)
    frame = gpd.GeoDataFrame(
        {"animal_id": ["x", "x"], "time": ["2024-01-01 00:00", "2024-01-01 01:00"]},
        geometry=pts.values,
        crs=32612,
    )
    with pytest.warns(tr.NaiveTimestampWarning):
        fixes = tr.as_fixes(frame)
    assert fixes.crs.to_epsg() == 4326
    assert list(fixes["individual"]) == ["x", "x"]
    assert fixes.geometry.x.iloc[0] == pytest.approx(-111.0, abs=0.01)
    with pytest.raises(InputError, match=r"no time column.*Columns found"):
        tr.as_fixes(frame.drop(columns="time"))
    with pytest.raises(CRSError, match="no CRS"):
        tr.as_fixes(gpd.GeoDataFrame(frame.drop(columns="geometry"), geometry=list(pts)))


def test_trajectory_collection_when_movingpandas_is_installed() -> None:
    mpd = pytest.importorskip("movingpandas")
    rng = np.random.default_rng(0)
    fixes = fixes_from_xy(brownian_xy(10, 60, 100.0, 0.0, rng), np.arange(10) * 1.0)
    frame = fixes.set_index("timestamp")
    tc = mpd.TrajectoryCollection(frame, "individual")
    back = tr.as_fixes(tc)
    assert len(back) == 10 and set(back["individual"]) == {"a"}


def test_clean_fixes_reports_every_drop() -> None:
    rng = np.random.default_rng(1)
    xy = brownian_xy(30, 120, 500.0, 10.0, rng)
    fixes = fixes_from_xy(xy, np.arange(30) * 2.0)
    fixes["event_id"] = pd.array([str(i) for i in range(30)], dtype="string")
    fixes["row"] = np.arange(30) + 2
    bad = pd.concat(
        [
            fixes,
            fixes.iloc[[5]],  # exact duplicate
            fixes.iloc[[8]].assign(geometry=shapely.Point(-109.7, 42.9), event_id="dup-time"),
        ]
    )
    bad.loc[bad["event_id"] == "12", "geometry"] = shapely.Point(-109.0, 43.5)  # a spike
    bad.loc[bad["event_id"] == "20", "geometry"] = None
    bad = gpd.GeoDataFrame(bad.iloc[::-1], geometry="geometry", crs=4326)  # unsorted
    res = tr.clean_fixes(bad)
    reasons = dict(zip(res.report["event_id"], res.report["reason"], strict=True))
    assert reasons["20"] == "missing location"
    assert reasons["12"] == "impossible speed"
    assert sorted(res.report["reason"]) == sorted(
        ["missing location", "impossible speed", "duplicate fix", "duplicate timestamp"]
    )
    assert len(res.fixes) == 30 - 2
    assert res.fixes["timestamp"].is_monotonic_increasing
    assert res.n_reordered > 0
    s = res.summary.loc["a"]
    assert s["n_fixes"] == 28 and s["n_dropped"] == 4
    assert s["median_interval_h"] == pytest.approx(2.0)
    fixes_, report, summary = res  # unpacks as a 3-tuple
    assert len(report) == 4 and len(summary) == 1
    assert len(fixes_) == 28


def test_gaps_counted_and_sequences_split() -> None:
    rng = np.random.default_rng(2)
    t = np.r_[np.arange(10) * 2.0, 40 + np.arange(10) * 2.0]
    fixes = fixes_from_xy(brownian_xy(20, 120, 500.0, 10.0, rng), t)
    res = tr.clean_fixes(fixes)
    assert res.summary.loc["a", "n_gaps"] == 1
    assert res.summary.loc["a", "longest_gap_h"] == pytest.approx(22.0)
    seq = tr.sequences(res.fixes, method="gaps")
    assert seq["sequence"].nunique() == 2


def test_date_windows_and_short_pieces_warned() -> None:
    t = np.arange(0, 24 * 60, 6.0)  # 60 days of 6-hourly fixes from April 1
    rng = np.random.default_rng(3)
    fixes = fixes_from_xy(brownian_xy(len(t), 360, 200.0, 10.0, rng), t)
    seq = tr.sequences(fixes, seasons={"spring": ("04-10", "04-20")})
    inside = seq["sequence"].notna()
    days = seq.loc[inside, "timestamp"].dt.day
    assert days.min() == 10 and days.max() == 20
    assert set(seq.loc[inside, "sequence"]) == {"a_2024_spring"}
    gap = fixes.drop(index=list(range(44, 60)) + list(range(62, 80)))
    with pytest.warns(tr.ShortSequenceWarning, match="fewer than 4 fixes"):
        tr.sequences(gap.reset_index(drop=True), method="gaps")
    with pytest.raises(InputError, match="month-days"):
        tr.sequences(fixes, seasons={"spring": ("April", "06-15")})


def test_nsd_finds_the_migration(fremont_route: shapely.LineString) -> None:
    fixes = tr.simulate_migration(
        fremont_route,
        n_individuals=2,
        fix_interval_h=4,
        motion_variance=500.0,
        location_error_m=20.0,
        seed=3,
        residence_days=(10, 10),
        crs=4326,
    )
    seq = tr.sequences(fixes)
    for name, group in seq.groupby("individual"):
        lab = group["sequence"].dropna()
        assert set(lab) == {f"{name}_2024_out"}
        # Resident fixes on both ranges are left out (about 10 days of 4-hourly fixes).
        assert (group["sequence"].isna()).sum() > 80


def test_unsorted_duplicate_and_short_sequences_refused() -> None:
    rng = np.random.default_rng(4)
    fixes = fixes_from_xy(brownian_xy(10, 120, 500.0, 10.0, rng), np.arange(10) * 2.0)
    fixes["event_id"] = [str(i) for i in range(10)]
    swapped = fixes.iloc[[0, 2, 1, *range(3, 10)]]
    with pytest.raises(
        InputError,
        match=r"(?s)individual 'a'.*earlier than the fix before.*"
        r"clean_fixes",
    ):
        tr.bbmm(swapped)
    dup = pd.concat([fixes.iloc[:3], fixes.iloc[[2]], fixes.iloc[3:]])
    with pytest.raises(CorridorsError, match=r"same time as the fix before"):
        tr.bbmm(dup)
    fixes["sequence"] = ["s1"] * 3 + ["s2"] * 7
    with pytest.raises(InputError, match=r"sequence 's1': 3 fix\(es\), from individual 'a'"):
        tr.bbmm(fixes)


def test_grid_in_degrees_and_too_large_refused() -> None:
    rng = np.random.default_rng(5)
    fixes = fixes_from_xy(brownian_xy(10, 120, 500.0, 10.0, rng), np.arange(10) * 2.0)
    with pytest.raises(CRSError, match=r"in degrees.*projected CRS"):
        tr.bbmm(fixes, crs=4326)
    with pytest.raises(InputError, match=r"would need .* cells .*GiB.*cell_size_m="):
        tr.bbmm(fixes, crs=32612, cell_size_m=1.0, extent=(0, 0, 4e6, 4e6))
