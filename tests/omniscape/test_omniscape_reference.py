"""Omniscape.jl's own test jobs: the maps it verified, and the jobs it refuses."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
import rasterio

from corridors.circuit import JobFileError
from corridors.errors import CorridorsError, RasterError
from corridors.omniscape import OmniscapeWarning, _window, run

# job -> folder of verified outputs
JOBS = {
    "config.ini": "test1",
    "config2.ini": "test2",
    "config3.ini": "test3",
    "config5.ini": "test5",
    "config_reclass.ini": "test_reclass",
}
#: Omniscape.jl's criterion: NoData set to -9999 in both, then isapprox(rtol=1e-6).
RTOL = 1e-6


def _read(path: Path) -> np.ndarray:
    with rasterio.open(path) as ds:
        return ds.read(1).astype(np.float64)


def _relative_error(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a), np.linalg.norm(b)))


def _run(os_reference: Path, ini: str, out: Path, **kw: object):  # type: ignore[no-untyped-def]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OmniscapeWarning)
        return run(
            os_reference / "input" / ini,
            base_dir=os_reference,
            output_dir=out,
            quiet=True,
            progress=False,
            **kw,
        )


@pytest.mark.parametrize("ini", sorted(JOBS))
def test_reference_job_reproduces_verified_outputs(
    os_reference: Path, tmp_path: Path, ini: str
) -> None:
    result = _run(os_reference, ini, tmp_path / "out")
    expected_dir = os_reference / "output_verify" / JOBS[ini]
    expected = sorted(p for p in expected_dir.iterdir() if p.suffix in {".tif", ".asc"})
    assert expected
    maps = result.maps()
    for path in expected:
        ours = np.where(np.isnan(maps[path.stem]), -9999.0, maps[path.stem])
        assert _relative_error(ours, _read(path)) <= RTOL, path.name
        written = tmp_path / "out" / path.name
        if written.exists():  # write_raw_currmap = false still returns cum_currmap
            assert _relative_error(_read(written), _read(path)) <= RTOL, written
    assert (tmp_path / "out" / "config.ini").read_text() == (
        os_reference / "input" / ini
    ).read_text()


def test_outputs_carry_format_crs_and_transform(os_reference: Path, tmp_path: Path) -> None:
    _run(os_reference, "config.ini", tmp_path / "tif")
    _run(os_reference, "config2.ini", tmp_path / "asc")
    names = {p.name for p in (tmp_path / "tif").iterdir()}
    assert names == {
        "cum_currmap.tif",
        "flow_potential.tif",
        "normalized_cum_currmap.tif",
        "config.ini",
    }
    assert {p.name for p in (tmp_path / "asc").iterdir()} == {"cum_currmap.asc", "config.ini"}
    with rasterio.open(os_reference / "input" / "resistance.asc") as src:
        for path in [tmp_path / "tif" / "cum_currmap.tif", tmp_path / "asc" / "cum_currmap.asc"]:
            with rasterio.open(path) as ds:
                assert ds.transform == src.transform
                assert ds.crs == src.crs
                assert ds.nodata == -9999
                # NoData resistance cells are masked (mask_nodata = true)
                assert np.array_equal(ds.read(1) == -9999, src.read(1) == -9999)


def test_single_precision_agrees_with_double(os_reference: Path, tmp_path: Path) -> None:
    text = (os_reference / "input" / "config.ini").read_text()
    single = tmp_path / "single.ini"
    single.write_text(text + "\nprecision = single\n")
    double = _run(os_reference, "config.ini", tmp_path / "d")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OmniscapeWarning)
        one = run(
            single, base_dir=os_reference, output_dir=tmp_path / "s", quiet=True, progress=False
        )
    for name, arr in one.maps().items():
        assert arr.dtype == np.float32
        ref = double.maps()[name]
        assert np.array_equal(np.isnan(arr), np.isnan(ref))
        ok = ~np.isnan(ref)
        # float32 rounding of the double result (the solves run in double)
        assert np.allclose(arr[ok], ref[ok], rtol=2 * np.finfo(np.float32).eps, atol=0)
    with rasterio.open(tmp_path / "s" / "cum_currmap.tif") as ds:
        assert ds.dtypes[0] == "float32"


REFUSED = {
    "config7.ini": (RasterError, r"(?s)resistance2\.asc.*zero or negative resistance.*NoData"),
    "no_source_provided.ini": (
        JobFileError,
        r"(?s)no_source_provided\.ini.*source_file is not set",
    ),
    "bad_compare_to_future.ini": (JobFileError, r"(?s)compare_to_future = 'foo'.*none, 1, 2, both"),
    "bad_comparison1.ini": (JobFileError, r"(?s)comparison1 = 'foo'.*equal, within"),
    "bad_comparison2.ini": (JobFileError, r"(?s)comparison2 = 'bar'.*equal, within"),
    "bad_config.ini": (
        JobFileError,
        r"(?s)bad_config.ini.*radius is missing.*project_name is missing",
    ),
    "bad_n_conditions.ini": (JobFileError, r"(?s)n_conditions = '3'.*1 or 2"),
}


@pytest.mark.parametrize("ini", sorted(REFUSED))
def test_bad_jobs_are_refused_before_any_solve(
    os_reference: Path, tmp_path: Path, ini: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_solve(*args: object, **kwargs: object) -> None:
        raise AssertionError("a window was solved")

    monkeypatch.setattr(_window.WindowSolver, "current", no_solve)
    error, pattern = REFUSED[ini]
    with pytest.raises(error, match=pattern) as info:
        _run(os_reference, ini, tmp_path / "out")
    assert isinstance(info.value, CorridorsError)
    assert ini in str(info.value) or "resistance2" in str(info.value)
    assert not (tmp_path / "out").exists()


def test_reference_quirks_warn(os_reference: Path, tmp_path: Path) -> None:
    with pytest.warns(OmniscapeWarning) as record:
        run(
            os_reference / "input" / "config.ini",
            base_dir=os_reference,
            output_dir=tmp_path / "a",
            quiet=True,
            progress=False,
        )
    text = " ".join(str(w.message) for w in record)
    assert "block_size = 2 is even" in text and "block_size = 3" in text
    assert "solver = 'wrong_solver_name'" in text
    with pytest.warns(OmniscapeWarning) as record:
        run(
            os_reference / "input" / "config3.ini",
            base_dir=os_reference,
            output_dir=tmp_path / "b",
            quiet=True,
            progress=False,
        )
    text = " ".join(str(w.message) for w in record)
    assert "unknown options ignored: 'foo' (line 24); 'bar' (line 25)" in text
    assert "source_threshold = 0.2 has no effect with source_from_resistance" in text
