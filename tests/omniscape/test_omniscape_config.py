"""INI jobs: parsing as Omniscape.jl does, every problem reported, safe outputs."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pytest
import rasterio
from omniscape_files import write_asc, write_ini

from corridors.circuit import JobFileError
from corridors.errors import DataFileError, OutputError, RasterError
from corridors.omniscape import OmniscapeWarning, load_job, run


@pytest.fixture
def job_dir(tmp_path: Path, landscape: np.ndarray) -> Path:
    write_asc(tmp_path / "res.asc", landscape)
    write_asc(tmp_path / "src.asc", np.nan_to_num(1.0 / landscape))
    return tmp_path


def _ini(job_dir: Path, **options: object) -> Path:
    base = {"resistance_file": "res.asc", "source_file": "src.asc", "radius": 4}
    base.update({"project_name": str(job_dir / "out"), "block_size": 3})
    base.update(options)
    return write_ini(job_dir / "job.ini", **{k: v for k, v in base.items() if v is not None})


def _run(ini: Path, **kw: object):  # type: ignore[no-untyped-def]
    return run(ini, base_dir=ini.parent, quiet=True, progress=False, workers=1, **kw)


def test_defaults_and_sections_are_read_as_omniscape_does(job_dir: Path) -> None:
    ini = job_dir / "job.ini"
    ini.write_text(
        "[Required]\nresistance_file = res.asc\nradius = 4.4\nproject_name = p\n"
        "[General options]\nsource_from_resistance = TRUE\nr_cutoff = Inf\nradius = 5\n",
        encoding="utf-8",
    )
    job = load_job(ini, base_dir=job_dir)
    assert job.radius == 5  # the later line wins
    assert job.source_from_resistance and job.r_cutoff == np.inf
    assert job.block_size == 1 and job.buffer == 0 and job.correct_artifacts
    assert job.write_as_tif and job.mask_nodata and job.write_raw_currmap
    assert job.resistance_file == job_dir / "res.asc"


def test_every_problem_is_reported_at_once(job_dir: Path) -> None:
    ini = _ini(job_dir, radius="abc", block_size=0, calc_flow_potential="yes", buffer=-2)
    with pytest.raises(JobFileError) as info:
        load_job(ini, base_dir=job_dir)
    text = str(info.value)
    assert "4 problems" in text and "job.ini" in text
    assert "radius = 'abc' is not a number" in text
    assert "block_size = '0' must be at least 1" in text
    assert "calc_flow_potential = 'yes' is not a boolean: write true or false" in text
    assert "buffer = '-2' must be at least 0" in text


def test_a_typo_in_a_key_warns_and_names_the_missing_option(job_dir: Path) -> None:
    ini = _ini(job_dir, radius=None, radious=4)
    with (
        pytest.warns(OmniscapeWarning, match=r"'radious' \(line \d+\), did you mean 'radius'"),
        pytest.raises(JobFileError, match=r"radius is missing.*'radious' a misspelling"),
    ):
        load_job(ini, base_dir=job_dir)


def test_missing_input_files_are_named(job_dir: Path) -> None:
    ini = _ini(job_dir, source_file="nowhere.asc")
    with pytest.raises(
        DataFileError, match=r"source_file: source file .*nowhere\.asc does not exist"
    ):
        _run(ini)
    with pytest.raises(JobFileError, match="does not exist"):
        load_job(job_dir / "absent.ini")


def test_conditional_options_are_checked_together(job_dir: Path) -> None:
    ini = _ini(
        job_dir,
        conditional="true",
        n_conditions=2,
        compare_to_future="both",
        condition1_file="res.asc",
        condition1_lower=1,
        condition1_upper=-1,
    )
    with pytest.raises(JobFileError) as info:
        load_job(ini, base_dir=job_dir)
    text = str(info.value)
    assert "condition1_lower = 1 is above condition1_upper = -1" in text
    assert "n_conditions = 2 but condition2_file is not set" in text
    assert "compare_to_future = both but condition1_future_file is not set" in text


def test_source_grid_of_another_shape_is_refused(job_dir: Path, landscape: np.ndarray) -> None:
    write_asc(job_dir / "small.asc", landscape[:30])
    with pytest.raises(RasterError, match=r"source_file .*small\.asc has 30 rows x 44.*40 x 44"):
        _run(_ini(job_dir, source_file="small.asc"))
    assert not (job_dir / "out").exists()


def test_source_grid_in_another_crs_warns(job_dir: Path, landscape: np.ndarray) -> None:
    profile = dict(
        driver="GTiff",
        height=40,
        width=44,
        count=1,
        dtype="float64",
        crs="EPSG:4326",
        transform=rasterio.Affine(1, 0, 0, 0, -1, 40),
    )
    with rasterio.open(job_dir / "src.tif", "w", **profile) as ds:
        ds.write(np.nan_to_num(1.0 / landscape), 1)
    with pytest.warns(OmniscapeWarning, match="differ in CRS EPSG:4326 against none"):
        _run(_ini(job_dir, source_file="src.tif"))
    with warnings.catch_warnings():
        warnings.simplefilter("error", OmniscapeWarning)
        _run(
            _ini(job_dir, source_file="src.tif", allow_different_projections="true"), overwrite=True
        )


def test_zero_resistance_and_all_nodata_are_refused(job_dir: Path, landscape: np.ndarray) -> None:
    bad = landscape.copy()
    bad[3, 4] = 0.0
    bad[5, 6] = -2.0
    write_asc(job_dir / "res.asc", bad)
    with pytest.raises(
        RasterError,
        match=r"2 cell\(s\) of zero or negative resistance \(the first at row 3, column 4",
    ):
        _run(_ini(job_dir))
    write_asc(job_dir / "res.asc", np.full((10, 10), np.nan))
    with pytest.raises(RasterError, match="every cell is NoData"):
        _run(_ini(job_dir, source_from_resistance="true", source_file=None))


def test_existing_outputs_are_kept_unless_overwrite(job_dir: Path) -> None:
    ini = _ini(job_dir)
    first = _run(ini)
    assert [p.name for p in first.files] == ["cum_currmap.tif", "config.ini"]
    with pytest.raises(OutputError, match=r"already holds cum_currmap\.tif, config\.ini.*--force"):
        _run(ini)
    again = _run(ini, overwrite=True)
    assert np.array_equal(again.cum_currmap, first.cum_currmap, equal_nan=True)


def test_an_input_is_never_an_output(job_dir: Path) -> None:
    (job_dir / "out").mkdir()
    write_asc(job_dir / "out" / "cum_currmap.asc", np.ones((40, 44)))
    ini = _ini(job_dir, source_file="out/cum_currmap.asc", write_as_tif="false")
    with pytest.raises(OutputError, match="it is the input"):
        _run(ini, overwrite=True)


def test_reclass_table_errors_name_the_line(job_dir: Path) -> None:
    (job_dir / "table.txt").write_text("1\t2\n3 x\n", encoding="utf-8")
    ini = _ini(job_dir, reclassify_resistance="true", reclass_table="table.txt")
    with pytest.raises(DataFileError, match=r"reclass_table .*line 2 \('3 x'\)"):
        _run(ini)


def test_estimate_is_printed_and_a_job_too_large_is_refused_before_solving(
    job_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from corridors.circuit import JobTooLargeError

    with pytest.raises(JobTooLargeError, match=r"only 1 MiB is available; use .*radius"):
        run(_ini(job_dir), base_dir=job_dir, workers=1, progress=True, memory_limit=2**20)
    err = capsys.readouterr().err
    assert "estimated peak memory" in err and "targets in" in err
    # Solving never started: its progress bar, drawn as the first window is handed
    # out, never appeared.
    assert not re.search(r"omniscape:\s+\d+%\|", err)
    assert not (job_dir / "out").exists()


def test_a_job_that_fits_shows_its_progress_bar(
    job_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The other side of the test above: a run that solves draws the bar it looks for.
    run(_ini(job_dir), base_dir=job_dir, workers=1, progress=True)
    assert re.search(r"omniscape:\s+\d+%\|", capsys.readouterr().err)


def test_relative_base_dir_gives_absolute_input_paths(
    job_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(job_dir.parent)
    job = load_job(_ini(job_dir), base_dir=job_dir.name)
    assert job.resistance_file.is_absolute()
    assert job.resistance_file == job_dir / "res.asc"
