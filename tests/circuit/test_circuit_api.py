"""Physics, array API, solver choices, GeoTIFF output, CLI and atlas layer."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from corridors.circuit import advanced, all_to_one, one_to_all, pairwise, run
from corridors.cli import register


def test_chain_is_series_resistance() -> None:
    # A 1 x 5 strip of unit resistors: 4 links of resistance 1 in series.
    r = pairwise(np.ones((1, 5)), {1: (0, 0), 2: (0, 4)}, four_neighbors=True)
    assert r.resistance(1, 2) == pytest.approx(4.0)
    # Averaging resistances: a link between cells of resistance 1 and 3 has 2.
    r = pairwise(np.array([[1.0, 3.0]]), {1: (0, 0), 2: (0, 1)}, four_neighbors=True)
    assert r.resistance(1, 2) == pytest.approx(2.0)
    r = pairwise(
        np.array([[1.0, 3.0]]),
        {1: (0, 0), 2: (0, 1)},
        four_neighbors=True,
        avg_resistances=False,
    )
    assert r.resistance(1, 2) == pytest.approx(1 / ((1 + 1 / 3) / 2))


def test_parallel_strips_and_diagonals() -> None:
    # Two parallel rows of 3 cells, ends joined by short-circuit columns.
    poly = np.array([[1, 0, 2], [1, 0, 2]])
    r = pairwise(np.ones((2, 3)), {1: (0, 0), 2: (0, 2)}, polygons=poly, four_neighbors=True)
    assert r.resistance(1, 2) == pytest.approx(1.0)  # two 2-ohm paths in parallel
    r8 = pairwise(np.ones((2, 2)), {1: (0, 0), 2: (1, 1)})
    # Diagonal link sqrt(2) in parallel with two 2-ohm paths (1 ohm).
    assert r8.resistance(1, 2) == pytest.approx(1 / (1 / np.sqrt(2) + 1))


def test_current_conservation_and_maps() -> None:
    rng = np.random.default_rng(1)
    hab = rng.uniform(1, 10, (12, 15))
    res = pairwise(hab, {1: (0, 0), 2: (11, 14), 3: (5, 7)})
    r = res.resistances
    assert np.allclose(r, r.T) and np.all(np.diag(r) == 0)
    # Effective resistance is a metric.
    assert r[0, 1] <= r[0, 2] + r[2, 1] + 1e-12
    cur = res.pair_currents["1_2"]
    volt = res.pair_voltages["1_2"]
    assert cur[0, 0] == pytest.approx(1.0) and cur[11, 14] == pytest.approx(1.0)
    assert volt[0, 0] == pytest.approx(0.0) and volt[11, 14] == pytest.approx(r[0, 1])
    assert res.cum_current == pytest.approx(sum(res.pair_currents.values()))
    assert res.max_current == pytest.approx(np.maximum.reduce(list(res.pair_currents.values())))


def test_disconnected_pairs_are_minus_one() -> None:
    hab = np.ones((3, 5))
    hab[:, 2] = np.nan
    res = pairwise(hab, {1: (0, 0), 2: (2, 1), 3: (1, 4)})
    assert res.resistance(1, 3) == -1 and res.resistance(1, 2) > 0


def test_solvers_agree_and_order_does_not_matter() -> None:
    rng = np.random.default_rng(7)
    hab = rng.uniform(0.5, 5, (40, 50))
    pts = {1: (3, 4), 2: (30, 40), 3: (20, 10), 4: (39, 0)}
    direct = pairwise(hab, pts, solver="direct", keep_maps=False)
    amg = pairwise(hab, pts, solver="amg", keep_maps=False)
    # CG stops at Circuitscape's relative residual of 1e-6; resistances land well
    # inside the conformance tolerance (1e-6) of the direct answer.
    np.testing.assert_allclose(amg.resistances, direct.resistances, rtol=1e-7)
    # Fewer pairs than focal nodes: each pair is solved directly, not by superposition.
    one = pairwise(hab, pts, included_pairs=[(2, 4)], keep_maps=False)
    assert one.resistance(2, 4) == pytest.approx(direct.resistance(2, 4), rel=1e-10)
    shuffled = pairwise(hab, {k: pts[k] for k in (4, 2, 3, 1)}, keep_maps=False)
    np.testing.assert_allclose(shuffled.resistances, direct.resistances, rtol=1e-12)


def test_one_to_all_and_all_to_one() -> None:
    hab = np.ones((5, 5))
    pts = {1: (0, 0), 2: (4, 4), 3: (0, 4)}
    o2a = one_to_all(hab, pts, strengths={1: 2.0})
    assert o2a.resistances.shape == (3,) and np.all(o2a.resistances > 0)
    assert o2a.pair_currents["1"][0, 0] == pytest.approx(2.0)
    a2o = all_to_one(hab, pts)
    assert np.all(a2o.resistances == 0)
    assert a2o.pair_currents["1"][0, 0] == pytest.approx(2.0)


def test_advanced_mode_and_policies() -> None:
    hab = np.ones((1, 3))
    src = np.array([[1.0, 0, 0]])
    gnd = np.array([[0, 0, 1.0]])
    res = advanced(hab, src, gnd, direct_grounds=True, four_neighbors=True)
    assert res.voltage[0, 0] == pytest.approx(2.0) and res.voltage[0, 2] == 0
    assert res.current[0, 1] == pytest.approx(1.0)
    both = np.array([[1.0, 0, 1.0]])
    kept = advanced(hab, both, both, four_neighbors=True, policy="rmvsrc")
    assert kept.voltage[0, 0] == 0 and kept.voltage[0, 1] == 0


def test_rasterio_dataset_and_geotiff_output(tmp_path: Path) -> None:
    import rasterio
    from rasterio.transform import from_origin

    hab_path = tmp_path / "hab.tif"
    transform = from_origin(500000, 4200000, 100, 100)
    with rasterio.open(
        hab_path,
        "w",
        driver="GTiff",
        height=8,
        width=10,
        count=1,
        dtype="float64",
        crs="EPSG:32633",
        transform=transform,
        nodata=-9999,
    ) as ds:
        ds.write(np.ones((1, 8, 10)))
    with rasterio.open(hab_path) as ds:
        res = pairwise(ds, {1: (0, 0), 2: (7, 9)})
    assert res.meta is not None and res.meta.crs.to_epsg() == 32633
    (tmp_path / "pts.txt").write_text("1 500050 4199950\n2 500950 4199250\n")
    ini = tmp_path / "job.ini"
    ini.write_text(
        "scenario = pairwise\nhabitat_file = hab.tif\npoint_file = pts.txt\n"
        "output_file = out/job.out\nwrite_cur_maps = True\nwrite_volt_maps = True\n"
    )
    result = run(ini, base_dir=tmp_path, geotiff=True, quiet=True)
    assert result.resistance(1, 2) == pytest.approx(res.resistance(1, 2))
    tif = tmp_path / "out" / "job_cum_curmap.tif"
    assert (tmp_path / "out" / "job_cum_curmap.asc").exists()
    with rasterio.open(tif) as ds:
        assert ds.crs.to_epsg() == 32633 and ds.transform == transform
        np.testing.assert_allclose(ds.read(1), result.cum_current)


def test_cli_runs_a_job(tmp_path: Path) -> None:
    app = typer.Typer()
    register(app)

    @app.command()
    def _other() -> None:  # a second command keeps "circuit" as a subcommand
        pass

    np.savetxt(
        tmp_path / "hab.asc",
        np.ones((4, 4)),
        header=("ncols 4\nnrows 4\nxllcorner 0\nyllcorner 0\ncellsize 1\nNODATA_value -9999"),
        comments="",
    )
    (tmp_path / "pts.txt").write_text("1 0.5 3.5\n2 3.5 0.5\n")
    (tmp_path / "job.ini").write_text(
        "scenario = pairwise\nhabitat_file = hab.asc\npoint_file = pts.txt\noutput_file = job.out\n"
    )
    out = tmp_path / "results"
    out.mkdir()
    runner = CliRunner()
    ok = runner.invoke(
        app,
        [
            "circuit",
            str(tmp_path / "job.ini"),
            "--base-dir",
            str(tmp_path),
            "--output-dir",
            str(out),
            "--no-progress",
        ],
    )
    assert ok.exit_code == 0, ok.output
    assert "R(1, 2)" in ok.output and (out / "job_resistances.out").exists()
    bad = runner.invoke(app, ["circuit", str(tmp_path / "missing.ini")])
    assert bad.exit_code == 2 and "does not exist" in bad.output
