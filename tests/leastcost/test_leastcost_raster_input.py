"""Resistance raster files that cannot mean what they say are refused before any cost is run.

GDAL reads an ESRI ASCII grid as one stream of numbers: without the header check a 4 x 4
header over 5 x 5 values would silently give a 4 x 4 raster, and text cells would read as
zero resistance.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest
import shapely
from leastcost_grids import CRS, disc, transform_for

import corridors
import corridors.leastcost as lc
from corridors.errors import CorridorsWarning, OutputError

CELL = 100
HEADER = {
    "ncols": "5",
    "nrows": "5",
    "xllcorner": "500000",
    "yllcorner": "4600000",
    "cellsize": str(CELL),
    "NODATA_value": "-9999",
}
ROWS = ["1 1 1 1 1", "1 2 2 2 1", "1 2 3 2 1", "1 2 2 2 1", "1 1 1 1 1"]
# The centre of cell (row 4, col 0): the bottom-left cell.
CORE = shapely.Point(500_000 + CELL / 2, 4_600_000 + CELL / 2)


def write_grid(path: Path, rows: list[str], **header: str) -> Path:
    fields = {**HEADER, **header}
    text = "".join(f"{k} {v}\n" for k, v in fields.items() if v) + "\n".join(rows) + "\n"
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)
    return path


def cost(path: Path) -> np.ndarray:
    return lc.cost_distance(path, [CORE], crs=CRS).cost


def test_valid_grid_and_its_gzip_give_the_same_costs(tmp_path: Path) -> None:
    plain = cost(write_grid(tmp_path / "r.asc", ROWS))
    packed = cost(write_grid(tmp_path / "r.asc.gz", ROWS))
    np.testing.assert_array_equal(plain, packed)
    assert plain.shape == (5, 5) and plain[4, 0] == 0 and plain[0, 4] > 0


def test_header_smaller_than_the_data(tmp_path: Path) -> None:
    path = write_grid(tmp_path / "h44.asc", ROWS, ncols="4", nrows="4")
    with pytest.raises(
        corridors.RasterError,
        match=r"resistance raster .*h44\.asc.*ncols 4 and nrows 4 \(16 values\).*"
        r"5 rows of 5 values",
    ):
        cost(path)


def test_header_of_another_shape(tmp_path: Path) -> None:
    path = write_grid(tmp_path / "h37.asc", ROWS, ncols="7", nrows="3")
    with pytest.raises(corridors.RasterError, match=r"h37\.asc.*ncols 7 and nrows 3"):
        cost(path)


def test_truncated_grid(tmp_path: Path) -> None:
    path = write_grid(tmp_path / "short.asc", ROWS[:3])
    with pytest.raises(
        corridors.RasterError, match=r"short\.asc.*ends after 15 values.*5 x ncols 5 = 25"
    ):
        cost(path)


@pytest.mark.parametrize(
    ("cell", "pattern"),
    [
        ("abc", r"1 cell holds non-numeric text: 'abc' at row 2, column 2"),
        ("nan", r"1 cell holds NaN: 'nan' at row 2, column 2.*NODATA_value -9999"),
    ],
)
def test_cells_that_are_not_numbers(tmp_path: Path, cell: str, pattern: str) -> None:
    rows = [*ROWS[:2], f"1 2 {cell} 2 1", *ROWS[3:]]
    path = write_grid(tmp_path / "cells.asc", rows)
    with pytest.raises(corridors.RasterError, match=pattern) as info:
        cost(path)
    assert "zero or negative" not in str(info.value)


def test_negative_cellsize(tmp_path: Path) -> None:
    path = write_grid(tmp_path / "neg.asc", ROWS, cellsize="-100")
    with pytest.raises(corridors.RasterError, match=r"cellsize -100 is not a positive size"):
        cost(path)


def test_rectangular_cells_are_measured(tmp_path: Path) -> None:
    path = write_grid(tmp_path / "dxdy.asc", ROWS, cellsize="", dx="100", dy="50")
    surface = lc.read_resistance(path, crs=CRS)
    assert surface.cell_size == (50.0, 100.0)


def test_all_nodata_grid(tmp_path: Path) -> None:
    path = write_grid(tmp_path / "empty.asc", ["-9999 -9999 -9999 -9999 -9999"] * 5)
    with pytest.raises(lc.ResistanceError, match=r"empty\.asc has no passable cell.*nodata"):
        cost(path)


def test_directory_as_raster(tmp_path: Path) -> None:
    with pytest.raises(corridors.DataFileError, match=r"is a directory, not a file"):
        cost(tmp_path)


def test_unreachable_cores_warning_points_at_the_caller() -> None:
    r = np.full((30, 60), 1.0)
    r[:, 28:31] = np.inf
    with pytest.warns(lc.UnreachableCoresWarning) as record:
        lc.corridor_network(
            r,
            [disc(15, 10, 3), disc(15, 50, 3)],
            transform=transform_for(),
            crs=CRS,
            pinch_points=False,
        )
    ours = [w for w in record if issubclass(w.category, lc.UnreachableCoresWarning)]
    assert len(ours) == 1 and ours[0].filename == __file__
    assert issubclass(lc.UnreachableCoresWarning, CorridorsWarning)


def test_write_network_keeps_existing_files(tmp_path: Path) -> None:
    r = np.full((20, 40), 1.0)
    cores = [disc(10, 4, 2), disc(10, 35, 2)]
    net = lc.corridor_network(r, cores, transform=transform_for(), crs=CRS)
    written = lc.write_network(net, tmp_path)
    links = written["links"].read_text()
    (tmp_path / "links.geojson").write_text("{}")
    with pytest.raises(
        OutputError,
        match=r"links\.geojson, corridors\.geojson, .*pinch\.tif already exist in .*"
        r"overwrite=True",
    ):
        lc.write_network(net, tmp_path)
    assert (tmp_path / "links.geojson").read_text() == "{}"
    lc.write_network(net, tmp_path, overwrite=True)
    assert json.loads((tmp_path / "links.geojson").read_text()) == json.loads(links)
