"""Bad input gives a clear CorridorsError subclass."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from leastcost_grids import CRS, cell_centre, disc, transform_for

import corridors
import corridors.leastcost as lc


def _pt(row: float, col: float) -> shapely.Point:
    return shapely.Point(*cell_centre(row, col))


@pytest.mark.parametrize("bad", [0.0, -2.0, -np.inf])
def test_zero_or_negative_resistance(bad: float) -> None:
    r = np.ones((5, 5))
    r[2, 3] = bad
    with pytest.raises(lc.ResistanceError, match=r"zero or negative .* \(row 2, col 3\)"):
        lc.cost_distance(r, [_pt(0, 0)], transform=transform_for(), crs=CRS)
    assert issubclass(lc.ResistanceError, corridors.RasterError)


def test_all_barrier_and_bad_shape() -> None:
    with pytest.raises(lc.ResistanceError, match="no passable cell"):
        lc.read_resistance(np.full((3, 3), np.nan), transform=transform_for(), crs=CRS)
    with pytest.raises(lc.ResistanceError, match="2-D"):
        lc.read_resistance(np.ones(5), transform=transform_for(), crs=CRS)


def test_raster_without_crs_or_transform() -> None:
    with pytest.raises(corridors.CRSError, match="has no CRS"):
        lc.cost_distance(np.ones((4, 4)), [_pt(1, 1)], transform=transform_for())
    with pytest.raises(corridors.CRSError, match="geographic CRS"):
        lc.cost_distance(np.ones((4, 4)), [_pt(1, 1)], transform=transform_for(), crs="EPSG:4326")
    with pytest.raises(corridors.InputError, match="no transform"):
        lc.cost_distance(np.ones((4, 4)), [_pt(1, 1)], crs=CRS)


def test_raster_file_without_crs(tmp_path) -> None:
    import rasterio

    path = tmp_path / "nocrs.tif"
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        height=4,
        width=4,
        count=1,
        dtype="float64",
        transform=transform_for(),
    ) as dst:
        dst.write(np.ones((4, 4)), 1)
    with pytest.raises(corridors.CRSError, match="has no CRS"):
        lc.cost_distance(path, [_pt(1, 1)])
    with pytest.raises(corridors.DataFileError, match="does not exist"):
        lc.cost_distance(tmp_path / "missing.tif", [_pt(1, 1)])


def test_core_outside_raster_or_on_barrier() -> None:
    r = np.ones((10, 10))
    r[5, 5] = np.inf
    with pytest.raises(lc.CoreError, match="outside the raster"):
        lc.cost_distance(r, [_pt(20, 3)], transform=transform_for(), crs=CRS)
    with pytest.raises(lc.CoreError, match="outside the raster"):
        lc.cost_distance(r, [disc(40, 40, 3)], transform=transform_for(), crs=CRS)
    with pytest.raises(lc.CoreError, match="on a barrier cell"):
        lc.cost_distance(r, [_pt(5, 5)], transform=transform_for(), crs=CRS)
    r[0:3, 0:3] = np.inf
    with pytest.raises(lc.CoreError, match="entirely on barrier"):
        lc.cost_distance(
            r,
            [shapely.box(*cell_centre(2.4, -0.4), *cell_centre(-0.4, 2.4))],
            transform=transform_for(),
            crs=CRS,
        )
    assert issubclass(lc.CoreError, corridors.InputError)


def test_cores_reprojected_and_bad_cores() -> None:
    r = np.ones((20, 20))
    pts = gpd.GeoDataFrame(geometry=[_pt(2, 2), _pt(15, 15)], crs=CRS).to_crs("EPSG:4326")
    got = lc.cost_distance(r, pts, transform=transform_for(), crs=CRS)
    assert got.cost[2, 2] == 0.0 and got.cost[15, 15] == 0.0
    with pytest.raises(corridors.CRSError, match="no CRS"):
        lc.cost_distance(
            r, gpd.GeoDataFrame(geometry=[_pt(2, 2)]), transform=transform_for(), crs=CRS
        )
    with pytest.raises(lc.CoreError, match="duplicate core ids"):
        lc.corridor_network(
            r,
            gpd.GeoDataFrame({"i": [1, 1]}, geometry=[_pt(2, 2), _pt(9, 9)], crs=CRS),
            id_column="i",
            transform=transform_for(),
            crs=CRS,
        )
    with pytest.raises(corridors.InputError, match="at least two cores"):
        lc.corridor_network(r, [_pt(2, 2)], transform=transform_for(), crs=CRS)
    with pytest.raises(corridors.InputError, match="neighbors must be 4 or 8"):
        lc.cost_distance(r, [_pt(2, 2)], transform=transform_for(), crs=CRS, neighbors=6)
    with pytest.raises(corridors.InputError, match="adjacency"):
        lc.corridor_network(
            r, [_pt(2, 2), _pt(9, 9)], transform=transform_for(), crs=CRS, adjacency="touching"
        )  # type: ignore[arg-type]


def test_crossing_lines_crs() -> None:
    band = gpd.GeoDataFrame({"name": ["band"]}, geometry=[shapely.box(0, 0, 1000, 5000)], crs=CRS)
    road = gpd.GeoDataFrame(geometry=[shapely.LineString([(-500, 2500), (1500, 2500)])])
    with pytest.raises(corridors.CRSError, match="no CRS"):
        lc.infrastructure_crossings(band, road)
    with pytest.raises(corridors.InputError, match="GeoDataFrame"):
        lc.infrastructure_crossings(band, [road.geometry.iloc[0]])  # type: ignore[arg-type]
