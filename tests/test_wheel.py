"""The built wheel carries the data: installed elsewhere, it loads the catalogue."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import textwrap
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(out),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (whl,) = out.glob("corridors-*.whl")
    return whl


def test_wheel_contains_data_and_marker(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "corridors/data/geo/cases.geojson" in names
    assert "corridors/data/geo/countries.geojson" in names
    assert "corridors/py.typed" in names
    size_mb = wheel.stat().st_size / 1e6
    assert size_mb < 15, f"wheel is {size_mb:.1f} MB"


def test_installed_wheel_loads_catalogue_outside_checkout(wheel: Path, tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "--no-deps", "--no-index", "-q", str(wheel)],
        check=True,
        capture_output=True,
    )
    # Dependencies come from this environment's site-packages (appended after the new
    # environment's own), so the fresh environment's corridors is the wheel's.
    site = env_dir / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}"
    (site / "site-packages" / "zz_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    work = tmp_path / "elsewhere"
    work.mkdir()
    code = textwrap.dedent(
        """
        import corridors, pathlib
        cases = corridors.load_cases()
        assert len(cases) > 10, len(cases)
        here = pathlib.Path(corridors.__file__).resolve()
        assert "site-packages" in str(here), here
        print(len(cases), here)
        """
    )
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH",)}
    result = subprocess.run(
        [str(python), "-c", code], cwd=work, capture_output=True, text=True, env=env
    )
    assert result.returncode == 0, result.stderr
    assert str(env_dir) in result.stdout
