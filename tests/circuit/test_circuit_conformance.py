"""Every Circuitscape reference job reproduces its verified outputs.

Tolerances are Circuitscape.jl's own: resistances within 1e-3 (absolute), ASCII
grids and node/branch current files with a sum of squared differences under 1e-6.
Only the files a job writes are compared; a few verified files come from options the
INI leaves switched off (or from pairs sharing a node, which Circuitscape.jl skips).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
from reference_files import read_grid, read_table, shared_dir, sorted_rows

from corridors.circuit import run

_JOBS_DIR = shared_dir() / "reference" / "circuitscape" / "input"
_JOBS = sorted(p.relative_to(_JOBS_DIR).as_posix() for p in _JOBS_DIR.glob("**/*.ini"))


def _compare_outputs(out: Path, verify: Path) -> int:
    compared = 0
    for produced in sorted(out.iterdir()):
        name = produced.name.removesuffix(".gz")
        expected = verify / name
        if not expected.exists():
            continue
        compared += 1
        if name.endswith(".asc"):
            a, b = read_grid(produced), read_grid(expected)
            assert a.shape == b.shape, name
            assert ((a - b) ** 2).sum() < 1e-6, name
        elif "resistances" in name:
            a, b = read_table(produced), read_table(expected)
            assert a.shape == b.shape, name
            np.testing.assert_allclose(a, b, atol=1e-3, rtol=0, err_msg=name)
        else:
            a, b = read_table(produced), read_table(expected)
            assert a.shape == b.shape, name
            assert ((sorted_rows(a) - sorted_rows(b)) ** 2).sum() < 1e-6, name
    return compared


@pytest.mark.parametrize("job", _JOBS or ["<no reference data>"])
def test_reference_job(job: str, cs_reference: Path, tmp_path: Path) -> None:
    ini = cs_reference / "input" / job
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = run(ini, base_dir=cs_reference, output_dir=tmp_path, quiet=True, progress=False)
    assert result.files, "the job wrote nothing"
    compared = _compare_outputs(tmp_path, cs_reference / "output_verify")
    assert compared > 0, "no output had a verified counterpart"


def test_all_reference_jobs_collected(cs_reference: Path) -> None:
    assert len(_JOBS) == len(list((cs_reference / "input").glob("**/*.ini")))
    assert len(_JOBS) >= 40


def test_returned_resistances_match_file(cs_reference: Path, tmp_path: Path) -> None:
    ini = cs_reference / "input/raster/pairwise/1/sgVerify1.ini"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = run(ini, base_dir=cs_reference, output_dir=tmp_path, quiet=True)
    table = read_table(cs_reference / "output_verify/sgVerify1_resistances.out")
    np.testing.assert_array_equal(result.ids, table[0, 1:])
    np.testing.assert_allclose(result.resistances, table[1:, 1:], atol=1e-3)
    assert result.resistance(1, 2) == pytest.approx(10.06879701, abs=1e-6)
