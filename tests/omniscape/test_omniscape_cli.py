"""The ``corridors omniscape`` command, on an app of its own (wired into cli.py separately)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from corridors.cli import register


@pytest.fixture
def app() -> typer.Typer:
    app = typer.Typer()
    register(app)

    @app.command("version")  # a second command keeps typer's multi-command layout
    def version() -> None:  # pragma: no cover - never run
        typer.echo("test")

    return app


def _omniscape(app: typer.Typer, reference: Path, ini: str, out: Path, *extra: str) -> Any:
    """``corridors omniscape`` on one of the reference jobs, writing into ``out``."""
    args = ["omniscape", str(reference / "input" / ini), "--base-dir", str(reference)]
    return CliRunner().invoke(app, [*args, "--output-dir", str(out), *extra])


def test_runs_a_job_with_estimate_and_files(
    app: typer.Typer, os_reference: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    args = [
        "omniscape",
        str(os_reference / "input" / "config2.ini"),
        "--base-dir",
        str(os_reference),
    ]
    result = CliRunner().invoke(app, [*args, "--output-dir", str(out), "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert "estimated peak memory" in result.output
    assert "100 targets in" in result.output
    assert "2 file(s) written" in result.output
    assert (out / "cum_currmap.asc").is_file() and (out / "config.ini").is_file()
    again = CliRunner().invoke(app, [*args, "--output-dir", str(out)])
    assert again.exit_code == 2
    assert "already holds cum_currmap.asc" in again.output and "--force" in again.output
    forced = CliRunner().invoke(app, [*args, "--output-dir", str(out), "--force", "--no-resume"])
    assert forced.exit_code == 0, forced.output


@pytest.mark.parametrize(
    "ini", ["config7.ini", "bad_config.ini", "no_source_provided.ini", "bad_n_conditions.ini"]
)
def test_bad_jobs_exit_2_without_traceback(
    app: typer.Typer, os_reference: Path, tmp_path: Path, ini: str
) -> None:
    result = _omniscape(app, os_reference, ini, tmp_path / "out")
    assert result.exit_code == 2
    assert "error:" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_warnings_are_shown_once(app: typer.Typer, os_reference: Path, tmp_path: Path) -> None:
    result = _omniscape(app, os_reference, "config3.ini", tmp_path / "o", "--no-progress")
    assert result.exit_code == 0, result.output
    assert result.output.count("warning: ") >= 2
    assert result.output.count("unknown options ignored: 'foo'") == 1


def test_unreachable_scheduler_is_a_clear_error(
    app: typer.Typer, os_reference: Path, tmp_path: Path
) -> None:
    pytest.importorskip("distributed")
    import dask

    # dask's own connect timeout, which the run honours, shortened for the test.
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        result = _omniscape(
            app, os_reference, "config2.ini", tmp_path / "o", "--scheduler", "tcp://127.0.0.1:9"
        )
    assert result.exit_code == 2
    assert "cannot reach the dask scheduler" in result.output
