"""Corridors, pinch points and links on synthetic landscapes with known answers."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
import shapely
from leastcost_grids import CRS, cell_centre, disc, transform_for

import corridors.leastcost as lc


def _network(r, cores, **kw):
    return lc.corridor_network(r, cores, transform=transform_for(), crs=CRS, **kw)


def test_corridor_passes_the_gaps_and_top_pinch_point_is_in_a_gap(gap_landscape) -> None:
    r, cores = gap_landscape
    net = _network(r, cores, cutoff=2000.0)
    assert len(net.links) == 1
    link = net.links.iloc[0]
    assert (link["core_a"], link["core_b"]) == ("east", "west")
    path = link.geometry
    for row, col in [(12, 30), (12, 31), (47, 58), (47, 59)]:
        assert path.distance(shapely.Point(*cell_centre(row, col))) < 1.0
    # All of the current squeezes through the 1-cell gaps: 1 A in each gap cell.
    top = net.pinch_points.iloc[0]
    gap_cells = [
        shapely.Point(*cell_centre(rr, cc)) for rr, cc in [(12, 30), (12, 31), (47, 58), (47, 59)]
    ]
    assert min(top.geometry.distance(p) for p in gap_cells) < 1.0
    assert top["score"] == pytest.approx(1.0, rel=1e-6)
    assert net.pinch[12, 30] == pytest.approx(1.0, rel=1e-6)
    assert net.pinch[30, 45] < 0.5  # open ground between the walls
    # The corridor mosaic is 0 along the path and the corridor polygon holds the gaps.
    assert net.mosaic[12, 30] == pytest.approx(0.0, abs=1e-3)
    poly = net.corridors.geometry.iloc[0]
    assert all(poly.contains(p) for p in gap_cells)
    assert np.isinf(net.mosaic[~np.isfinite(r)]).all()


def test_results_do_not_depend_on_core_order(three_cores) -> None:
    r, cores = three_cores
    r = r.copy()
    r[5:35, 28:32] = 8.0  # something to route around
    a = _network(r, cores, adjacency="all", drop_through_cores=False)
    shuffled = cores.iloc[[2, 0, 1]]
    b = _network(r, shuffled, adjacency="all", drop_through_cores=False)
    pd.testing.assert_frame_equal(
        a.links.drop(columns="geometry"), b.links.drop(columns="geometry")
    )
    assert all(a.links.geometry.geom_equals_exact(b.links.geometry, 1e-9))
    np.testing.assert_array_equal(a.mosaic, b.mosaic)
    np.testing.assert_allclose(a.pinch, b.pinch, atol=1e-12)
    pd.testing.assert_frame_equal(
        a.pinch_points.drop(columns="geometry"), b.pinch_points.drop(columns="geometry")
    )


def test_link_through_an_intermediate_core_is_dropped(three_cores) -> None:
    r, cores = three_cores
    net = _network(r, cores, adjacency="all")
    pairs = list(zip(net.links["core_a"], net.links["core_b"], strict=True))
    assert pairs == [("A", "B"), ("B", "C")]
    dropped = net.candidates.set_index(["core_a", "core_b"]).loc[("A", "C")]
    assert dropped["status"] == "through_core"
    assert dropped["via"] == "B"
    kept = _network(r, cores, adjacency="all", drop_through_cores=False)
    assert len(kept.links) == 3


def test_cost_adjacency_and_k_nearest(three_cores) -> None:
    r, cores = three_cores
    net = _network(r, cores, adjacency="cost", pinch_points=False)
    # Allocation zones of A and C do not touch: only the neighbours are candidates.
    assert sorted(zip(net.candidates["core_a"], net.candidates["core_b"], strict=True)) == [
        ("A", "B"),
        ("B", "C"),
    ]
    assert net.pinch is None and net.pinch_points.empty
    eu = _network(r, cores, adjacency="euclidean", pinch_points=False)
    assert len(eu.candidates) == 2
    # B is slightly nearer A than C: with k=1, each core keeps its nearest link only.
    moved = cores.copy()
    moved.loc["C", "geometry"] = disc(20, 93, 4)
    knn = _network(r, moved, adjacency="all", k_nearest=1, drop_through_cores=False)
    status = knn.candidates.set_index(["core_a", "core_b"])["status"]
    assert status[("A", "B")] == "kept"
    assert status[("B", "C")] == "kept"  # C's nearest is B
    assert status[("A", "C")] == "pruned"


def test_width_cutoff_controls_corridor_area(three_cores) -> None:
    r, cores = three_cores
    narrow = _network(r, cores, cutoff=200.0, pinch_points=False)
    wide = _network(r, cores, cutoff=2000.0, pinch_points=False)
    assert (narrow.corridors["area_km2"] < wide.corridors["area_km2"]).all()
    assert narrow.corridors.geometry.iloc[0].geom_type in ("Polygon", "MultiPolygon")
    assert (narrow.links["cutoff"] == 200.0).all()
    assert np.nanmax(narrow.truncated) <= 200.0


def test_unreachable_cores_are_reported_not_raised() -> None:
    r = np.full((30, 60), 1.0)
    r[:, 28:31] = np.inf  # an unbroken wall
    cores = [disc(15, 10, 3), disc(15, 50, 3), disc(5, 10, 2)]
    with pytest.warns(lc.UnreachableCoresWarning, match=r"cannot reach each other"):
        net = lc.corridor_network(
            r, cores, transform=transform_for(), crs=CRS, adjacency="all", pinch_points=False
        )
    assert set(net.candidates["status"]) == {"kept", "unreachable"}
    assert net.cores.set_index("core_id").loc[1, "n_links"] == 0
    paths = lc.least_cost_paths(r, cores, transform=transform_for(), crs=CRS)
    assert (~paths["reachable"]).sum() == 2
    assert paths.loc[~paths["reachable"], "geometry"].is_empty.all()


def test_write_network(tmp_path, gap_landscape) -> None:
    r, cores = gap_landscape
    net = _network(r, cores)
    metrics = lc.network_metrics(net)
    written = lc.write_network(net, tmp_path, metrics=metrics)
    links = json.loads(written["links"].read_text())
    props = links["features"][0]["properties"]
    assert {"cost", "length_km", "euclidean_km", "cost_to_euclidean"} <= set(props)
    assert links["features"][0]["geometry"]["type"] == "LineString"
    import rasterio

    with rasterio.open(written["pinch"]) as src:
        assert src.crs.to_epsg() == 32633
        assert src.read(1).max() == pytest.approx(1.0, rel=1e-5)
    cores_json = json.loads(written["cores"].read_text())
    assert "dPC" in cores_json["features"][0]["properties"]


def test_label_raster_cores_and_point_cores() -> None:
    r = np.full((20, 40), 1.0)
    labels = np.zeros(r.shape, dtype=np.int32)
    labels[8:12, 2:6] = 7
    labels[8:12, 34:38] = 3
    with warnings.catch_warnings():
        warnings.simplefilter("error", lc.UnreachableCoresWarning)
        net = lc.corridor_network(r, labels, transform=transform_for(), crs=CRS)
    assert list(net.cores["core_id"]) == [3, 7]
    assert net.cores["n_cells"].tolist() == [16, 16]
    pts = [shapely.Point(*cell_centre(10, 3)), shapely.Point(*cell_centre(10, 36))]
    table = lc.least_cost_paths(r, pts, transform=transform_for(), crs=CRS)
    assert table["cost"].iloc[0] == pytest.approx(33 * 100.0)
