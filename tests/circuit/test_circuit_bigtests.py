"""The 250k and 1m BigTests reproduce their baseline resistances and maps."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from reference_files import read_grid

from corridors.circuit import run


@pytest.mark.slow
@pytest.mark.parametrize("name", ["250k", "1m"])
def test_bigtest_baseline(name: str, cs_bigtests: Path, tmp_path: Path) -> None:
    ini = cs_bigtests / "verify" / "config_files" / f"{name}.ini"
    result = run(ini, base_dir=cs_bigtests, output_dir=tmp_path, quiet=True, progress=False)
    baseline = cs_bigtests / "verify" / "baseline_results"
    ref = np.loadtxt(baseline / f"{name}_resistances.txt")
    assert result.resistances is not None
    np.testing.assert_allclose(result.resistances, ref[1:, 1:], rtol=1e-6)
    # The baselines are rounded to 6 decimals and came from an iterative solve, so maps
    # are compared relative to their scale rather than with the 1e-6 sum of squares.
    for stem, mine in [
        ("curmap_1_2", "curmap_1_2"),
        ("voltmap_1_2", "voltmap_1_2"),
        ("curmap", "cum_curmap"),
    ]:
        expected = read_grid(baseline / f"{name}_{stem}.asc.gz")
        produced = read_grid(tmp_path / f"{name}_{mine}.asc.gz")
        assert produced.shape == expected.shape
        scale = np.abs(expected).max()
        assert np.abs(produced - expected).max() <= 1e-6 * scale + 2e-6, stem
