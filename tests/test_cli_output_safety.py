"""The CLI loses nothing and says nothing silently wrong (issue 16).

Outputs never replace an input or an existing file without --force; warnings are shown
once as ``warning: ...``; console tables keep ids whole at any width; the case summary
says what it is and the feature-level export loads back; bad input exits 2.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import pty
import re
import struct
import subprocess
import sys
import termios
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
import shapely
from catalogue_factory import BUNDLED_DATA, make_feature, make_site
from typer.testing import CliRunner

import corridors
from corridors import catalogue
from corridors.cli import app
from corridors.errors import CorridorsWarning

runner = CliRunner()

# A line across the synthetic case's area (66.3-66.9 E, 37.7-38.1 N).
ROAD = shapely.LineString([(66.0, 37.9), (67.2, 37.9)])


def _hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _flat(text: str) -> str:
    """Text with its line breaks and runs of spaces as single spaces."""
    return " ".join(text.split())


@pytest.fixture
def world(tmp_path: Path, write_catalogue: Callable[..., Path]) -> dict[str, Path]:
    """Small input files: a catalogue, a boundary, a line and corridor polygons."""
    barrier = make_feature(
        feature_id="test-case/road",
        feature_name="Test road",
        role="barrier",
        georef_method="named-place",
        geometry=shapely.geometry.mapping(ROAD),
    )
    cases = write_catalogue([make_feature(), make_site(), barrier], name="cat.geojson")
    boundary = tmp_path / "boundary.geojson"
    gpd.GeoDataFrame(
        {"name": ["east"]}, geometry=[shapely.box(66.6, 37.0, 67.5, 39.0)], crs="EPSG:4326"
    ).to_file(boundary)
    line = tmp_path / "road.geojson"
    gpd.GeoDataFrame({"name": ["new road"]}, geometry=[ROAD], crs="EPSG:4326").to_file(line)
    corridor_file = tmp_path / "corridor.geojson"
    gpd.GeoDataFrame(
        {"name": ["band"]}, geometry=[shapely.box(66.3, 37.7, 66.9, 38.1)], crs="EPSG:4326"
    ).to_file(corridor_file)
    return {"cases": cases, "boundary": boundary, "line": line, "corridors": corridor_file}


# Every command with -o: its arguments (with {placeholders} for the input files), the
# inputs it reads and the suffix of its output.
COMMANDS: dict[str, tuple[list[str], tuple[str, ...], str]] = {
    "cases": (["cases", "--cases", "{cases}", "-f", "csv"], ("cases",), ".csv"),
    "map": (
        ["map", "--cases", "{cases}", "--offline", "--highlight-crossing", "{boundary}"],
        ("cases", "boundary"),
        ".html",
    ),
    "query crossing": (
        ["query", "crossing", "-b", "{boundary}", "--cases", "{cases}", "-f", "csv"],
        ("cases", "boundary"),
        ".csv",
    ),
    "query within": (
        ["query", "within", "-b", "{boundary}", "--cases", "{cases}", "-f", "geojson"],
        ("cases", "boundary"),
        ".geojson",
    ),
    "query intersecting": (
        ["query", "intersecting", "-b", "{boundary}", "--cases", "{cases}", "-f", "csv"],
        ("cases", "boundary"),
        ".csv",
    ),
    "query near": (
        ["query", "near", "--lon", "66.5", "--lat", "37.8", "--km", "10", "--cases", "{cases}"],
        ("cases",),
        ".txt",
    ),
    "query transboundary": (
        ["query", "transboundary", "--cases", "{cases}", "-f", "csv"],
        ("cases",),
        ".csv",
    ),
    "query countries": (
        ["query", "countries", "--cases", "{cases}", "-f", "csv"],
        ("cases",),
        ".csv",
    ),
    "infra crossings": (
        ["infra", "crossings", "--line", "{line}", "--corridors", "{corridors}", "-f", "csv"],
        ("line", "corridors"),
        ".csv",
    ),
    "infra crossings --cases": (
        ["infra", "crossings", "--cases", "{cases}", "-f", "geojson"],
        ("cases",),
        ".geojson",
    ),
}
INPUT_CASES = [(name, which) for name, (_, inputs, _) in COMMANDS.items() for which in inputs]


def _args(name: str, world: dict[str, Path], output: Path, *extra: str) -> list[str]:
    template, _, _ = COMMANDS[name]
    return [a.format(**{k: str(v) for k, v in world.items()}) for a in template] + [
        "-o",
        str(output),
        *extra,
    ]


@pytest.fixture
def no_work(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any loading of inputs fail loudly: a refusal must come before the work."""

    def boom(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("work began before the output was checked")

    monkeypatch.setattr(catalogue, "load_cases", boom)
    monkeypatch.setattr(catalogue, "load_features", boom)
    monkeypatch.setattr("corridors.cli._infra._read", boom)


# --------------------------------------------------------------------------- output == input


@pytest.mark.parametrize("kind", ["same path", "symlink", "hard link"])
@pytest.mark.parametrize("name, which", INPUT_CASES, ids=[f"{n}-{w}" for n, w in INPUT_CASES])
def test_output_that_is_an_input_is_refused(
    name: str, which: str, kind: str, world: dict[str, Path], tmp_path: Path, no_work: None
) -> None:
    source = world[which]
    before = _hash(source)
    if kind == "same path":
        output = source
    elif kind == "symlink":
        output = tmp_path / f"link{source.suffix}"
        output.symlink_to(source)
    else:
        output = tmp_path / f"hard{source.suffix}"
        os.link(source, output)
    # --force replaces existing outputs, never an input.
    result = runner.invoke(app, _args(name, world, output, "--force"))
    assert result.exit_code == 2, result.output
    message = _flat(result.stderr)
    assert "refusing to write" in message
    assert str(output) in message and str(source) in message
    assert "Traceback" not in result.output
    assert _hash(source) == before


@pytest.mark.parametrize("name", ["cases.geojson", "countries.geojson"])
def test_bundled_data_is_never_an_output(name: str) -> None:
    bundled = BUNDLED_DATA / name
    before = _hash(bundled)
    for args in (["cases", "-f", "geojson"], ["query", "within", "-b", "TKM", "-f", "geojson"]):
        result = runner.invoke(app, [*args, "-o", str(bundled), "--force"])
        assert result.exit_code == 2
        assert "refusing to write" in result.stderr
    assert _hash(bundled) == before


# --------------------------------------------------------------------------- existing outputs


@pytest.mark.parametrize("name", list(COMMANDS))
def test_existing_output_is_kept_without_force_and_replaced_with_it(
    name: str, world: dict[str, Path], tmp_path: Path
) -> None:
    output = tmp_path / f"out{COMMANDS[name][2]}"
    output.write_text("precious\n")
    refused = runner.invoke(app, _args(name, world, output))
    assert refused.exit_code == 2, refused.output
    assert "already exists" in refused.stderr and "--force" in refused.stderr
    assert output.read_text() == "precious\n"

    replaced = runner.invoke(app, _args(name, world, output, "--force"))
    assert replaced.exit_code == 0, replaced.output
    text = output.read_text()
    assert text != "precious\n" and text.strip()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out")] == []


def test_map_default_output_is_not_overwritten(
    world: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "atlas.html").write_text("my own atlas")
    result = runner.invoke(app, ["map", "--cases", str(world["cases"]), "--offline"])
    assert result.exit_code == 2
    assert "atlas.html already exists" in _flat(result.stderr)
    assert (tmp_path / "atlas.html").read_text() == "my own atlas"


def test_save_map_refuses_an_existing_file(tmp_path: Path) -> None:
    path = tmp_path / "m.html"
    path.write_text("keep")
    m = corridors.build_map(catalogue.load_features().head(1), boundaries=None)
    with pytest.raises(corridors.errors.OutputError, match="already exists"):
        corridors.save_map(m, path)
    assert path.read_text() == "keep"
    corridors.save_map(m, path, overwrite=True)
    assert path.read_text().lstrip().lower().startswith("<!doctype html")


# --------------------------------------------------------------------------- unusable outputs


@pytest.mark.parametrize("name", list(COMMANDS))
def test_output_directory_is_refused(
    name: str, world: dict[str, Path], tmp_path: Path, no_work: None
) -> None:
    folder = tmp_path / "results"
    folder.mkdir()
    result = runner.invoke(app, _args(name, world, folder))
    assert result.exit_code == 2
    assert "is a directory" in result.stderr
    assert list(folder.iterdir()) == []


@pytest.mark.parametrize("name", list(COMMANDS))
def test_output_in_a_read_only_folder_is_refused(
    name: str,
    world: dict[str, Path],
    tmp_path: Path,
    no_work: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    real_access = os.access
    # Tests may run as root, for whom every folder is writable: fake the permission.
    monkeypatch.setattr(
        os,
        "access",
        lambda p, mode, **kw: False if Path(p) == folder else real_access(p, mode, **kw),
    )
    result = runner.invoke(app, _args(name, world, folder / "out.txt"))
    assert result.exit_code == 2
    assert "not writable" in result.stderr
    assert list(folder.iterdir()) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_output_in_a_really_read_only_folder_is_refused(
    world: dict[str, Path], tmp_path: Path
) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        result = runner.invoke(app, _args("cases", world, folder / "out.csv"))
    finally:
        folder.chmod(0o700)
    assert result.exit_code == 2
    assert "not writable" in result.stderr


@pytest.mark.parametrize("name", ["cases", "query near", "infra crossings"])
def test_output_under_a_file_or_missing_folder_is_refused(
    name: str, world: dict[str, Path], tmp_path: Path, no_work: None
) -> None:
    for output in (world["cases"] / "out.csv", tmp_path / "missing" / "out.csv"):
        result = runner.invoke(app, _args(name, world, output))
        assert result.exit_code == 2
        assert f"cannot write output {output}" in _flat(result.stderr)
        assert "Traceback" not in result.output


# --------------------------------------------------------------------------- circuit


def _circuit_job(tmp_path: Path, *, points: str = "1 0.5 3.5\n2 3.5 0.5\n") -> Path:
    nodata = np.ones((4, 4))
    nodata[0, 3] = -9999  # the cell at x 3.5, y 3.5
    np.savetxt(
        tmp_path / "hab.asc",
        nodata,
        header="ncols 4\nnrows 4\nxllcorner 0\nyllcorner 0\ncellsize 1\nNODATA_value -9999",
        comments="",
    )
    (tmp_path / "pts.txt").write_text(points)
    job = tmp_path / "job.ini"
    job.write_text(
        "scenario = pairwise\nhabitat_file = hab.asc\npoint_file = pts.txt\noutput_file = job.out\n"
    )
    return job


def _circuit(job: Path, out: Path, *extra: str) -> Any:
    args = ["circuit", str(job), "--base-dir", str(job.parent), "--output-dir", str(out)]
    return runner.invoke(app, [*args, "--no-progress", *extra])


def test_circuit_output_dir_that_is_a_file_is_refused(tmp_path: Path) -> None:
    job = _circuit_job(tmp_path)
    result = _circuit(job, job)
    assert result.exit_code == 2
    assert "is a file, not a folder" in result.stderr
    assert job.read_text().startswith("scenario = pairwise")


def test_circuit_keeps_existing_outputs_without_force(tmp_path: Path) -> None:
    job = _circuit_job(tmp_path)
    out = tmp_path / "results"
    assert _circuit(job, out).exit_code == 0
    written = out / "job_resistances.out"
    written.write_text("precious")
    again = _circuit(job, out)
    assert again.exit_code == 2
    assert "already exist" in again.stderr and "--force" in again.stderr
    assert written.read_text() == "precious"
    forced = _circuit(job, out, "--force")
    assert forced.exit_code == 0, forced.output
    assert written.read_text() != "precious"


def test_circuit_never_overwrites_an_input_even_with_force(tmp_path: Path) -> None:
    job = _circuit_job(tmp_path)
    out = tmp_path / "results"
    out.mkdir()
    # The point file sits where the job's resistances would be written.
    points = out / "job_resistances.out"
    points.write_text((tmp_path / "pts.txt").read_text())
    job.write_text(job.read_text().replace("pts.txt", "results/job_resistances.out"))
    before = _hash(points)
    result = _circuit(job, out, "--force")
    assert result.exit_code == 2
    assert str(points) in _flat(result.stderr)
    assert _hash(points) == before


def test_circuit_focal_point_warning_is_printed_once(tmp_path: Path) -> None:
    job = _circuit_job(tmp_path, points="1 0.5 3.5\n2 3.5 0.5\n3 3.5 3.5\n")
    result = _circuit(job, tmp_path / "results")
    assert result.exit_code == 0, result.output
    assert result.stderr.count("lie on cells without habitat") == 1
    assert "warning: " in result.stderr
    assert "warnings.warn" not in result.stderr and "run_job(" not in result.stderr


# --------------------------------------------------------------------------- warnings


def test_warnings_are_shown_once_each_in_the_cli_style(
    world: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    import corridors.query

    real_near = corridors.query.near

    def noisy_near(*args: Any, **kwargs: Any) -> Any:
        for _ in range(3):
            warnings.warn(
                "boundary repaired: ring self-intersection", CorridorsWarning, stacklevel=2
            )
        warnings.warn("invalid value encountered in intersection", RuntimeWarning, stacklevel=2)
        warnings.warn("something [odd] happened", UserWarning, stacklevel=2)
        return real_near(*args, **kwargs)

    monkeypatch.setattr(corridors.query, "near", noisy_near)
    args = ["query", "near", "--lon", "66.5", "--lat", "37.8", "--km", "10"]
    result = runner.invoke(app, [*args, "--cases", str(world["cases"])])
    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    assert lines.count("warning: boundary repaired: ring self-intersection") == 1
    assert lines.count("warning: invalid value encountered in intersection") == 1
    assert lines.count("warning: something [odd] happened") == 1
    assert "warnings.warn" not in result.stderr and ".py:" not in result.stderr
    assert "test-case" in result.stdout


def test_validate_shows_warnings_too(good_catalogue: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_validate = catalogue.validate

    def noisy(*args: Any, **kwargs: Any) -> Any:
        warnings.warn("a geometry was repaired", CorridorsWarning, stacklevel=2)
        return real_validate(*args, **kwargs)

    monkeypatch.setattr(catalogue, "validate", noisy)
    result = runner.invoke(app, ["validate", str(good_catalogue)])
    assert result.exit_code == 0
    assert result.stderr.splitlines() == ["warning: a geometry was repaired"]


def test_warnings_before_an_error_are_still_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    def failing(*args: Any, **kwargs: Any) -> Any:
        warnings.warn("first this", CorridorsWarning, stacklevel=2)
        raise corridors.errors.InputError("then this")

    monkeypatch.setattr(catalogue, "load_cases", failing)
    result = runner.invoke(app, ["cases"])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == ["warning: first this", "error: then this"]


# --------------------------------------------------------------------------- errors


def test_unexpected_failure_is_a_message_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise KeyError("geometry")

    monkeypatch.setattr(catalogue, "load_cases", broken)
    result = runner.invoke(app, ["cases"])
    assert result.exit_code == 2
    assert "unexpected KeyError" in result.stderr and "report it" in result.stderr
    assert "Traceback" not in result.output
    assert not isinstance(result.exception, KeyError)


def test_os_error_is_a_message(monkeypatch: pytest.MonkeyPatch) -> None:
    def denied(*args: Any, **kwargs: Any) -> Any:
        raise PermissionError(13, "Permission denied", "/data/cases.gpkg")

    monkeypatch.setattr(catalogue, "load_cases", denied)
    result = runner.invoke(app, ["cases"])
    assert result.exit_code == 2
    assert "cannot use /data/cases.gpkg: Permission denied" in _flat(result.stderr)


def test_validate_exit_status(
    tmp_path: Path, good_catalogue: Path, write_catalogue: Callable[..., Path]
) -> None:
    assert runner.invoke(app, ["validate", str(good_catalogue)]).exit_code == 0
    bad = write_catalogue([make_feature(realm="aerial")], name="bad.geojson")
    assert runner.invoke(app, ["validate", str(bad)]).exit_code == 1
    missing = runner.invoke(app, ["validate", str(tmp_path / "nope.geojson")])
    assert missing.exit_code == 2 and "does not exist" in missing.stderr
    folder = runner.invoke(app, ["validate", str(tmp_path)])
    assert folder.exit_code == 2 and "is a directory" in folder.stderr
    helptext = _flat(runner.invoke(app, ["validate", "--help"]).stdout)
    assert "Exit 1: the file was read and has problems" in helptext
    assert "Exit 2: the file cannot be read" in helptext


def test_cases_unknown_country_is_refused() -> None:
    result = runner.invoke(app, ["cases", "--country", "XXX"])
    assert result.exit_code == 2
    assert "unknown country code 'XXX'" in result.stderr
    named = runner.invoke(app, ["cases", "--country", "Turkmenistan"])
    assert named.exit_code == 2 and "TKM (Turkmenistan)" in named.stderr
    known = runner.invoke(app, ["cases", "--country", "tkm", "-f", "csv"])
    assert known.exit_code == 0 and "koytendag-turkmenistan-uzbekistan" in known.stdout


@pytest.mark.parametrize("option", ["--line", "--corridors"])
def test_infra_directory_input_is_named_as_such(
    option: str, world: dict[str, Path], tmp_path: Path
) -> None:
    folder = tmp_path / "inputs"
    folder.mkdir()
    (folder / "notes.txt").write_text("not a vector file")
    other = "--corridors" if option == "--line" else "--line"
    args = ["infra", "crossings", option, str(folder), other, str(world[other[2:]])]
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    message = _flat(result.stderr)
    assert f"{option} {folder} is a directory, not a vector file" in message
    assert "does not exist" not in message
    (folder / "roads.gpkg").write_bytes(b"")
    hinted = _flat(runner.invoke(app, args).stderr)
    assert str(folder / "roads.gpkg") in hinted


# --------------------------------------------------------------------------- show


def test_show_lists_the_features_of_the_resolved_case(monkeypatch: pytest.MonkeyPatch) -> None:
    real_get_case = catalogue.get_case
    full = "koytendag-turkmenistan-uzbekistan"

    # Stands in for the prefix resolution of get_case: the CLI must use the id it returns.
    monkeypatch.setattr(
        catalogue, "get_case", lambda case_id, path=None: real_get_case(full, path=path)
    )
    result = runner.invoke(app, ["show", "koytendag"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    features = catalogue.load_features()
    names = features.loc[features["case_id"] == full, "feature_name"]
    assert len(names) and all(n in result.stdout for n in names)
    assert f"({full})" in result.stdout


@pytest.mark.parametrize(
    "query, case_id",
    [
        ("koytendag", "koytendag-turkmenistan-uzbekistan"),
        ("fremont", "fremont-lake-mule-deer"),
        ("FREMONT-LAKE", "fremont-lake-mule-deer"),
    ],
)
def test_show_resolves_a_prefix_or_word(query: str, case_id: str) -> None:
    result = runner.invoke(app, ["show", query], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert f"({case_id})" in result.stdout
    features = catalogue.load_features()
    names = features.loc[features["case_id"] == case_id, "feature_name"]
    assert all(n in result.stdout for n in names)


def test_show_ambiguous_prefix_lists_candidates() -> None:
    result = runner.invoke(app, ["show", "wildlifeconnect"])
    assert result.exit_code == 2
    assert "wildlifeconnect-carpathians" in result.stderr
    assert "wildlifeconnect-kenya-tanzania" in result.stderr


# --------------------------------------------------------------------------- tables


def _csv_column(args: list[str], column: str) -> list[str]:
    import io

    import pandas as pd

    result = runner.invoke(app, [*args, "-f", "csv"])
    assert result.exit_code == 0, result.output
    return [str(v) for v in pd.read_csv(io.StringIO(result.stdout))[column].dropna()]


TABLE_COMMANDS = {
    "cases": (["cases"], "id"),
    "query crossing": (["query", "crossing", "--boundary", "TKM-UZB"], "id"),
    "query near": (["query", "near", "--lon", "-109.797", "--lat", "42.925", "--km", "50"], "id"),
    "infra crossings": (["infra", "crossings"], "case_id"),
}


@pytest.mark.parametrize("width", [80, 200])
@pytest.mark.parametrize("name", list(TABLE_COMMANDS))
def test_console_table_keeps_ids_whole_within_the_width(name: str, width: int) -> None:
    args, id_column = TABLE_COMMANDS[name]
    ids = _csv_column(args, id_column)
    assert ids
    result = runner.invoke(app, args, env={"COLUMNS": str(width)})
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= width
    words = {w for line in lines for w in re.split(r"[\s│┃]+", line)}
    assert set(ids) <= words


def test_narrow_console_shows_every_column_as_blocks() -> None:
    args = ["query", "crossing", "--boundary", "TKM-UZB"]
    result = runner.invoke(app, args, env={"COLUMNS": "80"})
    assert result.exit_code == 0
    assert "length_across_km" in result.stdout and "severs" in result.stdout
    assert "nan" not in result.stdout
    lengths = _csv_column(args, "length_across_km")
    assert len(lengths) == result.stdout.count("length_across_km")


def _widest_line(*, columns: str | None, tty_size: tuple[int, int] | None) -> int:
    """Widest line ``corridors cases`` prints, run as a user runs it: to a pipe, or to
    a terminal of ``tty_size`` (rows, columns); ``COLUMNS`` set or not."""
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    if columns is not None:
        env["COLUMNS"] = columns
    code = "from corridors.cli import main; main()"
    argv = [sys.executable, "-c", code, "cases"]
    if tty_size is None:
        out = subprocess.run(argv, env=env, capture_output=True, check=True, timeout=120).stdout
    else:
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", *tty_size, 0, 0))
        with subprocess.Popen(argv, env=env, stdout=slave, stderr=slave) as proc:
            os.close(slave)
            chunks = []
            while True:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # the terminal closes when the command exits
                    break
                if not chunk:
                    break
                chunks.append(chunk)
            assert proc.wait(timeout=120) == 0
        os.close(master)
        out = b"".join(chunks)
    # A terminal gets colour: its escape sequences take no columns.
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", out.decode("utf-8").replace("\r", ""))
    lines = text.splitlines()
    return max(len(line) for line in lines)


def test_piped_output_is_80_columns_and_a_tty_uses_its_width() -> None:
    assert _widest_line(columns=None, tty_size=None) == 80
    assert _widest_line(columns=None, tty_size=(40, 132)) == 132
    assert _widest_line(columns="100", tty_size=(40, 132)) == 100
    assert _widest_line(columns="100", tty_size=None) == 100


def test_csv_and_geojson_ignore_the_console_width() -> None:
    narrow = runner.invoke(app, ["cases", "-f", "csv"], env={"COLUMNS": "40"})
    wide = runner.invoke(app, ["cases", "-f", "csv"], env={"COLUMNS": "300"})
    assert narrow.stdout == wide.stdout
    assert "summary" in narrow.stdout.splitlines()[0]


# --------------------------------------------------------------------------- exports


def test_case_summary_geojson_says_what_it_is() -> None:
    result = runner.invoke(app, ["cases", "-f", "geojson"])
    doc = json.loads(result.stdout)
    assert doc["name"] == "corridors case summary"
    assert "not a catalogue" in doc["description"]
    assert "--features" in doc["description"]
    assert "case-level summary" in _flat(runner.invoke(app, ["cases", "--help"]).stdout)


@pytest.mark.parametrize("fmt, suffix", [("geojson", ".geojson"), ("csv", ".csv")])
def test_feature_export_round_trips(fmt: str, suffix: str, tmp_path: Path) -> None:
    out = tmp_path / f"mine{suffix}"
    result = runner.invoke(
        app, ["cases", "--features", "--country", "TKM", "-f", fmt, "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    checked = runner.invoke(app, ["validate", str(out)])
    assert checked.exit_code == 0, checked.output
    features = catalogue.load_features()
    expected = features[features["countries"].map(lambda cs: "TKM" in cs)]
    back = catalogue.load_features(out)
    assert list(back["feature_id"]) == list(expected["feature_id"])
    assert shapely.equals_exact(back.geometry.values, expected.geometry.values, 1e-6).all()
    assert list(back["species"]) == list(expected["species"])


def test_feature_export_to_stdout_is_the_catalogue_text() -> None:
    result = runner.invoke(app, ["cases", "--features", "--realm", "marine", "-f", "geojson"])
    assert result.exit_code == 0
    features = catalogue.load_features()
    assert result.stdout == catalogue.to_geojson(features[features["realm"] == "marine"])


def test_feature_export_with_no_match_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "none.geojson"
    result = runner.invoke(
        app, ["cases", "--features", "--country", "ATA", "-f", "geojson", "-o", str(out)]
    )
    assert result.exit_code == 2
    assert "no feature matches" in result.stderr
    assert not out.exists()


@pytest.mark.parametrize("name", ["cases", "query crossing", "infra crossings"])
def test_unknown_format_is_refused_before_any_work(
    name: str, world: dict[str, Path], tmp_path: Path, no_work: None
) -> None:
    output = tmp_path / "out.txt"
    result = runner.invoke(app, [*_args(name, world, output), "-f", "xlsx"])
    assert result.exit_code == 2
    assert "unknown format 'xlsx'; use table, geojson, csv" in result.stderr
    assert not output.exists()


def test_every_command_reports_errors_and_warnings_centrally() -> None:
    import typer

    def callbacks(group: typer.Typer, prefix: str = "") -> dict[str, Any]:
        found = {f"{prefix}{c.name}": c.callback for c in group.registered_commands}
        for sub in group.registered_groups:
            assert sub.typer_instance is not None
            # A group names itself; the commands of a nameless app join their parent.
            name = sub.typer_instance.info.name
            inner = f"{prefix}{name} " if isinstance(name, str) else prefix
            found.update(callbacks(sub.typer_instance, inner))
        return found

    commands = callbacks(app)
    assert {"cases", "show", "validate", "map", "circuit", "query near", "infra crossings"} <= set(
        commands
    )
    # handle_errors' wrapper runs the command: its code lives in cli/_common.py.
    unwrapped = [
        n for n, cb in commands.items() if Path(cb.__code__.co_filename).name != "_common.py"
    ]
    assert unwrapped == []
