"""Exit statuses of every command: 0 success, 1 problems found, 2 bad input, 130 Ctrl-C.

Each command is run with the first library function it calls replaced by one that
fails in a given way; the status and the message must be the same for every command.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from catalogue_factory import make_feature
from typer.testing import CliRunner

from corridors.cli import EXIT_BAD_INPUT, EXIT_INTERRUPTED, EXIT_OK, EXIT_PROBLEMS, app
from corridors.errors import InputError

runner = CliRunner()


@dataclass(frozen=True)
class Command:
    """A command line (``{tmp}`` is the test's folder) and the library call it makes."""

    args: tuple[str, ...]
    calls: str  # "module:function", the first library function the command calls


COMMANDS = {
    "cases": Command(("cases",), "corridors.catalogue:load_cases"),
    "show": Command(("show", "koytendag"), "corridors.catalogue:get_case"),
    "validate": Command(("validate", "{tmp}/cat.geojson"), "corridors.catalogue:validate"),
    "map": Command(("map", "-o", "{tmp}/atlas.html"), "corridors.catalogue:load_features"),
    "circuit": Command(("circuit", "{tmp}/job.ini"), "corridors.circuit:run"),
    "omniscape": Command(("omniscape", "{tmp}/job.ini"), "corridors.omniscape:run"),
    "query crossing": Command(
        ("query", "crossing", "--boundary", "TKM-UZB"), "corridors.catalogue:load_cases"
    ),
    "query within": Command(
        ("query", "within", "--boundary", "USA"), "corridors.catalogue:load_cases"
    ),
    "query intersecting": Command(
        ("query", "intersecting", "--boundary", "USA"), "corridors.catalogue:load_cases"
    ),
    "query near": Command(
        ("query", "near", "--lon", "0", "--lat", "0", "--km", "1"), "corridors.catalogue:load_cases"
    ),
    "query transboundary": Command(("query", "transboundary"), "corridors.catalogue:load_cases"),
    "query countries": Command(("query", "countries"), "corridors.catalogue:load_cases"),
    "infra crossings": Command(("infra", "crossings"), "corridors.catalogue:load_features"),
    "tracks summary": Command(
        ("tracks", "summary", "{tmp}/fixes.csv"), "corridors.tracking:read_movebank"
    ),
    "tracks corridors": Command(
        ("tracks", "corridors", "{tmp}/fixes.csv", "-o", "{tmp}/out"),
        "corridors.tracking:read_movebank",
    ),
    "tracks crossings": Command(
        ("tracks", "crossings", "{tmp}/fixes.csv", "-b", "TKM-UZB"),
        "corridors.tracking:read_movebank",
    ),
}


def _raises(exc: BaseException) -> Callable[..., object]:
    def fail(*args: object, **kwargs: object) -> object:
        raise exc

    return fail


@dataclass(frozen=True)
class Failure:
    """What the library call does, and the status and message the user must get."""

    raised: BaseException
    status: int
    message: str


FAILURES = {
    "corridors error": Failure(InputError("no such thing here"), EXIT_BAD_INPUT, "no such thing"),
    "os error": Failure(PermissionError(13, "Permission denied", "x.tif"), EXIT_BAD_INPUT, "x.tif"),
    "bug": Failure(RuntimeError("boom"), EXIT_BAD_INPUT, "please report it"),
    "ctrl-c": Failure(KeyboardInterrupt(), EXIT_INTERRUPTED, "interrupted"),
}


def _argv(command: Command, tmp_path: Path) -> list[str]:
    return [a.replace("{tmp}", str(tmp_path)) for a in command.args]


def _no_traceback(output: str) -> None:
    assert "Traceback" not in output, output


@pytest.mark.parametrize("failure", FAILURES.values(), ids=list(FAILURES))
@pytest.mark.parametrize("name", list(COMMANDS))
def test_status_when_the_library_fails(
    name: str, failure: Failure, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    command = COMMANDS[name]
    module, function = command.calls.split(":")
    monkeypatch.setattr(f"{module}.{function}", _raises(failure.raised))
    result = runner.invoke(app, _argv(command, tmp_path))
    assert result.exit_code == failure.status, result.output
    assert failure.message in result.stderr
    _no_traceback(result.output)


@pytest.mark.parametrize("name", list(COMMANDS))
def test_usage_error_is_status_2(name: str, tmp_path: Path) -> None:
    result = runner.invoke(app, [*_argv(COMMANDS[name], tmp_path), "--no-such-option"])
    assert result.exit_code == EXIT_BAD_INPUT
    assert "No such option" in result.output
    _no_traceback(result.output)


# Commands that write files of their own, or nothing, take no -f.
WITHOUT_FORMAT = {"validate", "map", "circuit", "omniscape", "tracks corridors"}


@pytest.mark.parametrize("name", [n for n in COMMANDS if n not in WITHOUT_FORMAT])
def test_unknown_format_is_status_2_before_any_work(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    command = COMMANDS[name]
    module, function = command.calls.split(":")
    monkeypatch.setattr(f"{module}.{function}", _raises(AssertionError("work was done")))
    result = runner.invoke(app, [*_argv(command, tmp_path), "-f", "xlsx"])
    assert result.exit_code == EXIT_BAD_INPUT
    assert "unknown format 'xlsx'" in result.stderr
    _no_traceback(result.output)


@pytest.mark.parametrize("group", ["query", "infra", "tracks"])
def test_group_without_a_command_shows_its_help(group: str) -> None:
    result = runner.invoke(app, [group])
    assert result.exit_code == EXIT_BAD_INPUT  # click: a group needs a command
    assert "Usage" in result.output


def test_unknown_command_is_status_2() -> None:
    result = runner.invoke(app, ["no-such-command"])
    assert result.exit_code == EXIT_BAD_INPUT
    _no_traceback(result.output)


def test_validate_statuses(write_catalogue: Callable[..., Path], tmp_path: Path) -> None:
    good = write_catalogue([make_feature()], name="good.geojson")
    bad = write_catalogue([make_feature(realm="aerial")], name="bad.geojson")
    unreadable = tmp_path / "unreadable.geojson"
    unreadable.write_text("{not json", encoding="utf-8")
    expected = {
        good: EXIT_OK,
        bad: EXIT_PROBLEMS,
        unreadable: EXIT_BAD_INPUT,
        tmp_path / "missing.geojson": EXIT_BAD_INPUT,
        tmp_path: EXIT_BAD_INPUT,
    }
    for path, status in expected.items():
        result = runner.invoke(app, ["validate", str(path)])
        assert result.exit_code == status, (path, result.output)
        _no_traceback(result.output)


@pytest.mark.parametrize(
    "args",
    [
        ["cases", "-f", "csv"],
        ["show", "koytendag"],
        ["query", "near", "--lon", "-109.797", "--lat", "42.925", "--km", "10"],
    ],
)
def test_success_is_status_0(args: list[str]) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == EXIT_OK, result.output


def test_statuses_are_the_documented_numbers() -> None:
    assert (EXIT_OK, EXIT_PROBLEMS, EXIT_BAD_INPUT, EXIT_INTERRUPTED) == (0, 1, 2, 130)
