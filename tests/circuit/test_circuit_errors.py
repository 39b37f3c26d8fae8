"""Bad inputs fail with a CorridorsError that names the file and the fix."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from corridors.circuit import (
    FocalPointError,
    FocalPointWarning,
    JobFileError,
    JobTooLargeError,
    pairwise,
    run,
)
from corridors.errors import (
    CorridorsError,
    DataFileError,
    OutputError,
    RasterError,
    UnsupportedOptionError,
)


def write_asc(path: Path, values: np.ndarray, *, xll: float = 0.0, cellsize: float = 1.0) -> Path:
    nrows, ncols = values.shape
    lines = [
        f"ncols {ncols}",
        f"nrows {nrows}",
        f"xllcorner {xll}",
        "yllcorner 0",
        f"cellsize {cellsize}",
        "NODATA_value -9999",
    ]
    lines += [" ".join(f"{v:g}" for v in row) for row in values]
    path.write_text("\n".join(lines) + "\n")
    return path


def write_job(tmp: Path, **options: str) -> Path:
    base = {
        "data_type": "raster",
        "scenario": "pairwise",
        "habitat_file": "habitat.asc",
        "habitat_map_is_resistances": "True",
        "point_file": "points.txt",
        "output_file": "out/job.out",
        "write_cur_maps": "True",
    }
    base.update(options)
    ini = tmp / "job.ini"
    body = "[Job]\n" + "".join(f"{k} = {v}\n" for k, v in base.items())
    ini.write_text(body)
    return ini


@pytest.fixture
def job_dir(tmp_path: Path) -> Path:
    write_asc(tmp_path / "habitat.asc", np.ones((6, 8)))
    (tmp_path / "points.txt").write_text("1 0.5 5.5\n2 7.5 0.5\n")
    return tmp_path


def test_valid_job_runs_relative_to_base_dir(job_dir: Path, tmp_path_factory) -> None:
    elsewhere = tmp_path_factory.mktemp("cwd")
    result = run(write_job(job_dir), base_dir=job_dir, quiet=True)
    assert result.resistances is not None and result.resistances[0, 1] > 0
    assert (job_dir / "out" / "job_resistances.out").exists()
    assert (job_dir / "out" / "job_cum_curmap.asc").exists()
    result2 = run(write_job(job_dir), base_dir=job_dir, output_dir=elsewhere, quiet=True)
    assert (elsewhere / "job_resistances.out").exists()
    assert result2.resistances[0, 1] == pytest.approx(result.resistances[0, 1])


def test_misaligned_grids_name_both_files(job_dir: Path) -> None:
    write_asc(job_dir / "poly.asc", np.zeros((6, 7)), xll=3.0)
    ini = write_job(job_dir, use_polygons="True", polygon_file="poly.asc")
    with pytest.raises(RasterError, match=r"poly\.asc.*6x7.*habitat\.asc.*6x8") as info:
        run(ini, base_dir=job_dir, quiet=True)
    assert "extent" in str(info.value) and "resample" in str(info.value)


@pytest.mark.parametrize("bad", [0.0, -2.0])
def test_zero_or_negative_resistance(job_dir: Path, bad: float) -> None:
    values = np.ones((6, 8))
    values[2, 3] = bad
    write_asc(job_dir / "habitat.asc", values)
    with pytest.raises(RasterError, match=r"habitat\.asc.*zero or negative resistance"):
        run(write_job(job_dir), base_dir=job_dir, quiet=True)


def test_negative_conductance(job_dir: Path) -> None:
    values = np.ones((6, 8))
    values[0, 0] = -1
    write_asc(job_dir / "habitat.asc", values)
    ini = write_job(job_dir, habitat_map_is_resistances="False")
    with pytest.raises(RasterError, match="negative conductance"):
        run(ini, base_dir=job_dir, quiet=True)


def test_all_nodata(job_dir: Path) -> None:
    write_asc(job_dir / "habitat.asc", np.full((6, 8), -9999.0))
    with pytest.raises(RasterError, match=r"habitat\.asc: every cell is nodata"):
        run(write_job(job_dir), base_dir=job_dir, quiet=True)


def test_point_outside_grid(job_dir: Path) -> None:
    (job_dir / "points.txt").write_text("1 0.5 5.5\n2 50 0.5\n")
    with pytest.raises(FocalPointError, match=r"points\.txt.*outside.*id 2"):
        run(write_job(job_dir), base_dir=job_dir, quiet=True)


def test_point_on_nodata_is_reported_disconnected(job_dir: Path) -> None:
    values = np.ones((6, 8))
    values[0, 0] = -9999
    write_asc(job_dir / "habitat.asc", values)
    (job_dir / "points.txt").write_text("1 0.5 5.5\n2 7.5 0.5\n3 4.5 3.5\n")
    with pytest.warns(FocalPointWarning, match="node.*1 lie on cells without habitat"):
        result = run(write_job(job_dir), base_dir=job_dir, quiet=True)
    assert result.resistances[0, 1] == -1 and result.resistances[1, 2] > 0
    assert result.notes


def test_all_points_on_nodata(job_dir: Path) -> None:
    values = np.ones((6, 8))
    values[0, 0] = values[5, 7] = -9999
    write_asc(job_dir / "habitat.asc", values)
    with (
        pytest.warns(FocalPointWarning),
        pytest.raises(FocalPointError, match="no focal node lies on habitat"),
    ):
        run(write_job(job_dir), base_dir=job_dir, quiet=True)


def test_unsupported_option_is_named(job_dir: Path) -> None:
    ini = write_job(job_dir, use_reclass_table="True", reclass_file="r.txt")
    with pytest.raises(UnsupportedOptionError, match="use_reclass_table"):
        run(ini, base_dir=job_dir, quiet=True)
    ini = write_job(job_dir, frobnicate_grid="yes")
    with pytest.raises(UnsupportedOptionError, match=r"job\.ini.*frobnicate_grid.*remove"):
        run(ini, base_dir=job_dir, quiet=True)


def test_malformed_ini(job_dir: Path) -> None:
    ini = job_dir / "bad.ini"
    ini.write_text("[Circuitscape mode]\nscenario pairwise\n")
    with pytest.raises(JobFileError, match=r"bad\.ini, line 2.*name = value"):
        run(ini, base_dir=job_dir)
    ini.write_text("[Circuitscape mode\nscenario = pairwise\n")
    with pytest.raises(JobFileError, match="not closed"):
        run(ini, base_dir=job_dir)


@pytest.mark.parametrize(
    ("option", "value", "pattern"),
    [
        ("scenario", "sideways", "scenario = 'sideways' is not valid"),
        ("write_cur_maps", "perhaps", "not a boolean"),
        ("remove_src_or_gnd", "rmvboth", "remove_src_or_gnd"),
    ],
)
def test_invalid_values(job_dir: Path, option: str, value: str, pattern: str) -> None:
    with pytest.raises(JobFileError, match=pattern):
        run(write_job(job_dir, **{option: value}), base_dir=job_dir, quiet=True)


def test_missing_input_file(job_dir: Path) -> None:
    ini = write_job(job_dir, habitat_file="nope.asc")
    with pytest.raises(DataFileError, match=r"habitat file .*nope\.asc does not exist"):
        run(ini, base_dir=job_dir, quiet=True)


def test_job_too_large_fails_cleanly(job_dir: Path) -> None:
    with pytest.raises(JobTooLargeError, match=r"GiB.*coarser grid"):
        run(write_job(job_dir), base_dir=job_dir, memory_limit=1000, quiet=True)


def test_memory_estimate_is_printed(job_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(write_job(job_dir), base_dir=job_dir)
    assert "estimated peak memory" in capsys.readouterr().err


def test_errors_share_the_root_class() -> None:
    for cls in (FocalPointError, JobFileError, JobTooLargeError):
        assert issubclass(cls, CorridorsError)


def test_array_api_rejects_bad_points() -> None:
    with pytest.raises(FocalPointError, match="outside"):
        pairwise(np.ones((3, 3)), {1: (0, 0), 2: (5, 5)})


#: Longest file name most file systems take (NAME_MAX).
_NAME_MAX = 255


def test_a_map_that_cannot_be_written_fails_the_job(job_dir: Path) -> None:
    """Maps are written in background threads; their errors still reach the caller.

    The write fails in the file system: each file is first written under a temporary
    name 14 characters longer than its own, and with long focal ids the map names
    are the longest, so a prefix is chosen that leaves every final name legal (the
    tables are written) but the maps' temporary names too long.
    """
    ids = (1_000_000_001, 1_000_000_002)
    (job_dir / "points.txt").write_text(f"{ids[0]} 0.5 5.5\n{ids[1]} 7.5 0.5\n")
    map_name = f"_voltmap_{ids[0]}_{ids[1]}.asc"
    prefix = "p" * (_NAME_MAX - len(map_name) - 5)
    assert len(prefix + "_resistances_3columns.out") + 14 <= _NAME_MAX
    ini = write_job(job_dir, write_volt_maps="True", output_file=f"out/{prefix}.out")
    with pytest.raises(OutputError, match=r"cannot write .*_voltmap_.*File name too long"):
        run(ini, base_dir=job_dir, progress=False, quiet=True)


def test_every_map_is_written_and_listed_in_order(job_dir: Path) -> None:
    """Three points, three pairs: each pair's maps, then the cumulative map."""
    (job_dir / "points.txt").write_text("1 0.5 5.5\n2 7.5 0.5\n3 7.5 5.5\n")
    result = run(write_job(job_dir, write_volt_maps="True"), base_dir=job_dir, progress=False)
    names = [p.name for p in result.files if p.suffix == ".asc"]
    assert names == [
        "job_voltmap_1_2.asc", "job_curmap_1_2.asc", "job_voltmap_1_3.asc",
        "job_curmap_1_3.asc", "job_voltmap_2_3.asc", "job_curmap_2_3.asc",
        "job_cum_curmap.asc",
    ]  # fmt: skip
    assert all(p.stat().st_size > 0 for p in result.files)
