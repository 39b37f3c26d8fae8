"""The catalogue commands of the CLI: cases, show, validate."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from catalogue_factory import make_feature, make_site
from typer.testing import CliRunner

import corridors
from corridors.cli import app
from corridors.query import DEFAULT_TOLERANCE_KM

runner = CliRunner()


def test_cases_lists_every_case() -> None:
    result = runner.invoke(app, ["cases", "--format", "csv"])
    assert result.exit_code == 0, result.output
    ids = {line.split(",")[0] for line in result.stdout.splitlines()[1:]}
    assert ids == set(corridors.load_cases().index)


def test_cases_table_and_filters() -> None:
    result = runner.invoke(app, ["cases", "--realm", "marine"])
    assert result.exit_code == 0, result.output
    assert "marine" in result.stdout and "terrestrial" not in result.stdout
    result = runner.invoke(app, ["cases", "--country", "tkm", "--format", "geojson"])
    doc = json.loads(result.stdout)
    assert doc["features"] and all("TKM" in f["properties"]["countries"] for f in doc["features"])


def test_cases_unknown_realm_is_a_clean_error() -> None:
    result = runner.invoke(app, ["cases", "--realm", "aerial"])
    assert result.exit_code == 2
    assert "unknown realm 'aerial'" in result.stderr
    assert "Traceback" not in result.output


def test_cases_writes_file_atomically(tmp_path: Path) -> None:
    out = tmp_path / "cases.geojson"
    result = runner.invoke(app, ["cases", "--format", "geojson", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["type"] == "FeatureCollection"
    assert [p.name for p in tmp_path.iterdir()] == ["cases.geojson"]


def test_show_case() -> None:
    case_id = corridors.load_cases().index[0]
    result = runner.invoke(app, ["show", case_id])
    assert result.exit_code == 0, result.output
    assert corridors.load_cases().loc[case_id, "name"][:20] in " ".join(result.stdout.split())


def test_show_unknown_case() -> None:
    result = runner.invoke(app, ["show", "no-such-case"])
    assert result.exit_code == 2
    assert "no case with id 'no-such-case'" in result.stderr


def test_validate_good_file(good_catalogue: Path) -> None:
    result = runner.invoke(app, ["validate", str(good_catalogue)])
    assert result.exit_code == 0, result.output
    assert "valid" in result.stdout


def test_validate_bad_file_lists_every_problem(write_catalogue) -> None:
    path = write_catalogue([make_feature(realm="aerial"), make_site(role="tunnel")])
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 1
    assert "unknown realm 'aerial'" in result.stderr
    assert "unknown role 'tunnel'" in result.stderr
    assert "feature 0" in result.stderr and "feature 1" in result.stderr


@pytest.mark.parametrize("content", [b"\xff\xfe not utf8", b"{not json"])
def test_validate_unreadable_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.geojson"
    path.write_bytes(content)
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2  # unreadable is bad input, not "problems found"
    assert "bad.geojson" in result.stderr
    assert "Traceback" not in result.output


def test_cases_with_user_catalogue(good_catalogue: Path) -> None:
    result = runner.invoke(app, ["cases", "--cases", str(good_catalogue), "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[1].startswith("test-case,")


def test_help_defaults_match_the_library() -> None:
    # The CLI repeats the library's defaults so that --help needs no library import.
    root = typer.main.get_command(app)
    query = root.commands["query"]  # type: ignore[attr-defined]
    for name in ("crossing", "within", "transboundary", "countries"):
        params = {p.name: p.default for p in query.commands[name].params}
        assert params["tolerance_km"] == DEFAULT_TOLERANCE_KM, name
