"""``corridors tracks``: summary, corridors and crossings from a Movebank file."""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
import typer
from tracking_tracks import LAT0, LON0, fixes_from_xy
from typer.testing import CliRunner

from corridors import tracking as tr
from corridors.cli import register
from corridors.crs import local_crs

FRAME = local_crs(LON0, LAT0)


@pytest.fixture
def app() -> typer.Typer:
    main = typer.Typer()

    @main.callback()
    def _root() -> None:
        """Test root."""

    register(main)
    return main


@pytest.fixture
def herd_csv(tmp_path: Path) -> Path:
    route = gpd.GeoSeries([shapely.LineString([(-15000, 0), (15000, 0)])], crs=FRAME)
    fixes = tr.simulate_migration(
        route.to_crs(4326),
        n_individuals=4,
        fix_interval_h=2,
        motion_variance=300.0,
        location_error_m=20.0,
        seed=4,
        residence_days=(1.0, 1.0),
        spread_m=30.0,
        tether_h=1.0,
    )
    return tr.write_movebank(fixes, tmp_path / "herd.csv")


@pytest.mark.parametrize(
    ("command", "option", "constant"),
    [
        ("summary", "--max-speed-kmh", "DEFAULT_MAX_SPEED_KMH"),
        ("summary", "--max-lag-h", "DEFAULT_MAX_LAG_H"),
        ("corridors", "--cell-size", "DEFAULT_CELL_SIZE_M"),
        ("corridors", "--location-error", "DEFAULT_LOCATION_ERROR_M"),
        ("corridors", "--time-step", "DEFAULT_TIME_STEP_MIN"),
        ("corridors", "--max-speed-kmh", "DEFAULT_MAX_SPEED_KMH"),
        ("crossings", "--tolerance-km", "DEFAULT_TRACK_TOLERANCE_KM"),
        ("crossings", "--max-lag-h", "DEFAULT_MAX_LAG_H"),
    ],
)
def test_cli_defaults_are_the_librarys(
    app: typer.Typer, command: str, option: str, constant: str
) -> None:
    res = CliRunner().invoke(app, ["tracks", command, "--help"], env={"COLUMNS": "250"})
    assert res.exit_code == 0
    (line,) = [ln for ln in res.output.splitlines() if f" {option} " in ln]
    shown = re.search(r"\[default: ([0-9.]+)\]", line)
    assert shown is not None, line
    assert float(shown.group(1)) == getattr(tr, constant)


def test_summary(app: typer.Typer, herd_csv: Path) -> None:
    res = CliRunner().invoke(app, ["tracks", "summary", str(herd_csv), "-f", "csv"])
    assert res.exit_code == 0, res.output
    lines = res.stdout.strip().splitlines()
    assert lines[0].startswith("individual,n_fixes,n_dropped")
    assert len(lines) == 5


def test_corridors_writes_outputs_and_keeps_them(
    app: typer.Typer, herd_csv: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    args = [
        "tracks",
        "corridors",
        str(herd_csv),
        "-o",
        str(out),
        "--cell-size",
        "100",
        "--no-progress",
        "--season",
        "spring:03-01:06-30",
    ]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    assert "4 individual(s)" in res.stdout
    assert (out / "classes.tif").exists() and (out / "corridors.gpkg").exists()
    again = CliRunner().invoke(app, args)
    assert again.exit_code == 2 and "already exists" in again.output
    bad = CliRunner().invoke(app, [*args[:-2], "--season", "spring", "--force"])
    assert bad.exit_code == 2 and "NAME:MM-DD:MM-DD" in bad.output


def test_crossings(app: typer.Typer, tmp_path: Path) -> None:
    xs = np.where(np.arange(7) % 2 == 0, -1000.0, 1000.0)
    fixes = fixes_from_xy(np.column_stack([xs, np.arange(7) * 300.0]), np.arange(7) * 2.0)
    csv = tr.write_movebank(fixes.assign(event_id=[str(i) for i in range(7)]), tmp_path / "f.csv")
    fence = gpd.GeoDataFrame(
        {"name": ["fence"]}, geometry=[shapely.LineString([(0, -5000), (0, 9000)])], crs=FRAME
    )
    fence_path = tmp_path / "fence.geojson"
    fence.to_crs(4326).to_file(fence_path)
    res = CliRunner().invoke(
        app,
        [
            "tracks",
            "crossings",
            str(csv),
            "--boundary",
            str(fence_path),
            "-f",
            "csv",
            "--no-progress",
        ],
    )
    assert res.exit_code == 0, res.output
    rows = res.stdout.strip().splitlines()
    assert len(rows) == 1 + 6
    assert "left -> right" in rows[1]
    # The input is never the output.
    same = CliRunner().invoke(
        app,
        ["tracks", "crossings", str(csv), "--boundary", str(fence_path), "-o", str(csv), "--force"],
    )
    assert same.exit_code == 2 and "is the input" in same.output


def test_not_movebank_is_a_clean_error(app: typer.Typer, tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    res = CliRunner().invoke(app, ["tracks", "summary", str(path)])
    assert res.exit_code == 2
    assert "not a Movebank export" in res.output and "Traceback" not in res.output
