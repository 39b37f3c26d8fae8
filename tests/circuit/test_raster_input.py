"""Bad raster input is refused with a RasterError that names the file, the cell and the fix.

ESRI ASCII grids are checked against their own header before GDAL reads them (GDAL
would silently truncate, reshuffle or zero them); directories given as input files and
outputs that would replace inputs or earlier results are refused before any solve.
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np
import pytest

from corridors.circuit import (
    CircuitResult,
    FocalPointError,
    FocalPointWarning,
    JobFileError,
    pairwise,
    run,
)
from corridors.errors import CorridorsWarning, DataFileError, OutputError, RasterError

HEADER_5X5 = {
    "ncols": "5",
    "nrows": "5",
    "xllcorner": "0",
    "yllcorner": "0",
    "cellsize": "1",
    "NODATA_value": "-9999",
}
ROWS_5X5 = [" ".join(str(5 * r + c + 1) for c in range(5)) for r in range(5)]


def grid_text(rows: list[str], **header: str) -> str:
    fields = {**HEADER_5X5, **header}
    return "".join(f"{k} {v}\n" for k, v in fields.items() if v) + "\n".join(rows) + "\n"


def write_grid(path: Path, rows: list[str], **header: str) -> Path:
    text = grid_text(rows, **header)
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)
    return path


def write_job(folder: Path, habitat: str = "habitat.asc", **options: str) -> Path:
    base = {
        "scenario": "pairwise",
        "habitat_file": habitat,
        "point_file": "points.txt",
        "output_file": "out/job.out",
        "write_cur_maps": "True",
    }
    base.update(options)
    ini = folder / "job.ini"
    ini.write_text("[Job]\n" + "".join(f"{k} = {v}\n" for k, v in base.items()))
    return ini


#: Focal cells of the 5 x 5 test grids: opposite corners.
CORNERS = {1: (0, 0), 2: (4, 4)}


def read_habitat(path: Path, points: dict[int, tuple[int, int]] = CORNERS) -> CircuitResult:
    """Read a grid the public way, as the habitat of a pairwise model (4 neighbours)."""
    return pairwise(path, points, four_neighbors=True)


def assert_reads_as(
    result: CircuitResult, values: np.ndarray, points: dict[int, tuple[int, int]] = CORNERS
) -> None:
    """The model read from a file is the model of ``values``: same resistance, same map."""
    expected = pairwise(values, points, four_neighbors=True)
    assert result.resistance(1, 2) == expected.resistance(1, 2)
    np.testing.assert_array_equal(result.cum_current, expected.cum_current)


def grid_values(rows: list[str]) -> np.ndarray:
    return np.array([[float(x) for x in row.split()] for row in rows])


@pytest.fixture
def job_dir(tmp_path: Path) -> Path:
    write_grid(tmp_path / "habitat.asc", ROWS_5X5)
    (tmp_path / "points.txt").write_text("1 0.5 4.5\n2 4.5 0.5\n")
    return tmp_path


# -- header against data --------------------------------------------------------------


@pytest.mark.parametrize("name", ["habitat.asc", "habitat.asc.gz"])
def test_header_smaller_than_data_is_refused(job_dir: Path, name: str) -> None:
    write_grid(job_dir / name, ROWS_5X5, ncols="4", nrows="4")
    with pytest.raises(
        RasterError,
        match=rf"habitat file .*{name}.*ncols 4 and nrows 4 \(16 values\).*5 rows of 5 values "
        r"\(25 values\).*set ncols 5 and nrows 5",
    ):
        run(write_job(job_dir, habitat=name), base_dir=job_dir, quiet=True)
    assert not (job_dir / "out").exists()


def test_header_of_other_shape_is_blamed_on_the_header_not_on_points(job_dir: Path) -> None:
    write_grid(job_dir / "habitat.asc", ROWS_5X5, ncols="7", nrows="3")
    with pytest.raises(RasterError, match=r"habitat\.asc.*ncols 7 and nrows 3.*5 rows of 5"):
        run(write_job(job_dir), base_dir=job_dir, quiet=True)


def test_truncated_grid_says_where_it_ends(tmp_path: Path) -> None:
    path = write_grid(tmp_path / "short.asc", [*ROWS_5X5[:3], "16 17"])
    with pytest.raises(
        RasterError,
        match=r"short\.asc.*ends after 17 values \(3 full rows and a row of 2\).*"
        r"nrows 5 x ncols 5 = 25 values.*truncated",
    ):
        read_habitat(path)


def test_truncated_gzip_grid(tmp_path: Path) -> None:
    path = write_grid(tmp_path / "short.asc.gz", ROWS_5X5[:3])
    with pytest.raises(RasterError, match=r"short\.asc\.gz.*ends after 15 values"):
        read_habitat(path)


def test_damaged_gzip_file(tmp_path: Path) -> None:
    whole = gzip.compress(grid_text(ROWS_5X5 * 40, nrows="200").encode())
    path = tmp_path / "cut.asc.gz"
    path.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(DataFileError, match=r"cut\.asc\.gz.*not a complete gzip file"):
        read_habitat(path)


def test_rows_of_different_lengths_are_named(tmp_path: Path) -> None:
    rows = [ROWS_5X5[0], ROWS_5X5[1] + " 99", "11 12 13 14", *ROWS_5X5[3:]]
    path = write_grid(tmp_path / "ragged.asc", rows)
    with pytest.raises(
        RasterError,
        match=r"ragged\.asc.*different lengths.*row 1 \(line 8\) has 6, row 2 \(line 9\) has 4",
    ):
        read_habitat(path)


def test_file_without_header(tmp_path: Path) -> None:
    path = tmp_path / "bare.asc"
    path.write_text("\n".join(ROWS_5X5) + "\n")
    with pytest.raises(RasterError, match=r"bare\.asc has no ESRI ASCII grid header.*'1 2 3 4 5'"):
        read_habitat(path)


# -- cells that are not numbers -------------------------------------------------------


def test_text_cell_is_named_with_its_position(job_dir: Path) -> None:
    rows = [*ROWS_5X5[:2], "11 12 13 abc 15", *ROWS_5X5[3:]]
    write_grid(job_dir / "habitat.asc", rows)
    with pytest.raises(
        RasterError,
        match=r"habitat\.asc.*1 cell holds non-numeric text: 'abc' at row 2, column 3, "
        r"line 9 of the file.*NODATA_value -9999",
    ) as info:
        run(write_job(job_dir), base_dir=job_dir, quiet=True)
    assert "zero or negative" not in str(info.value)


@pytest.mark.parametrize("name", ["nan.asc", "nan.asc.gz"])
def test_nan_cells_are_counted(tmp_path: Path, name: str) -> None:
    rows = ["1 2 nan 4 5", "6 NaN 8 9 10", *ROWS_5X5[2:]]
    path = write_grid(tmp_path / name, rows)
    with pytest.raises(
        RasterError,
        match=r"2 cells hold NaN, the first 'nan' at row 0, column 2, line 7 of the file.*"
        r"write the NODATA_value -9999",
    ):
        read_habitat(path)


def test_nan_is_allowed_when_it_is_the_nodata_value(tmp_path: Path) -> None:
    path = write_grid(
        tmp_path / "nan_nodata.asc", ["1 2 nan 4 5", *ROWS_5X5[1:]], NODATA_value="nan"
    )
    result = read_habitat(path)
    values = grid_values(ROWS_5X5)
    values[0, 2] = np.nan
    assert_reads_as(result, values)
    assert result.meta is not None and result.meta.shape == (5, 5)


def test_infinity_and_text_are_reported_together(tmp_path: Path) -> None:
    rows = ["1 2 inf 4 5", "6 7 8 none 10", *ROWS_5X5[2:]]
    path = write_grid(tmp_path / "mixed.asc", rows)
    with pytest.raises(RasterError) as info:
        read_habitat(path)
    message = str(info.value)
    assert "1 cell holds infinity: 'inf' at row 0, column 2" in message
    assert "1 cell holds non-numeric text: 'none' at row 1, column 3" in message


def test_without_nodata_line_the_fix_says_to_add_one(tmp_path: Path) -> None:
    path = write_grid(tmp_path / "nonodata.asc", ["1 2 x 4 5", *ROWS_5X5[1:]], NODATA_value="")
    with pytest.raises(RasterError, match=r"add a NODATA_value line to the header"):
        read_habitat(path)


# -- header values --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "pattern"),
    [
        ({"cellsize": "-1"}, r"header line 5: cellsize -1 is not a positive size"),
        ({"cellsize": "0"}, r"cellsize 0 is not a positive size"),
        ({"ncols": "5.5"}, r"header line 1: ncols 5\.5 is not a positive whole number"),
        ({"nrows": "-5"}, r"nrows -5 is not a positive whole number"),
        ({"ncols": "5e0"}, r"ncols 5e0 is not a positive whole number"),
        ({"nrows": "0"}, r"nrows 0 is not a positive whole number"),
        ({"cellsize": ""}, r"the header has no cellsize line"),
        ({"xllcorner": "west"}, r"xllcorner 'west' is not a number"),
    ],
)
def test_bad_header_values(tmp_path: Path, header: dict[str, str], pattern: str) -> None:
    path = write_grid(tmp_path / "bad.asc", ROWS_5X5, **header)
    with pytest.raises(RasterError, match=r"habitat file .*bad\.asc.*" + pattern):
        read_habitat(path)


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    path = write_grid(tmp_path / "bad.asc", ["1 2 abc", *ROWS_5X5[1:]], cellsize="-2")
    with pytest.raises(RasterError) as info:
        read_habitat(path)
    lines = str(info.value).splitlines()
    assert lines[0].endswith("bad.asc is not a valid ESRI ASCII grid:")
    assert any("cellsize -2" in line for line in lines)
    assert any("row 0 (line 7) has 3" in line for line in lines)
    assert any("'abc' at row 0, column 2" in line for line in lines)


def test_non_square_cells_are_refused_for_circuits(tmp_path: Path) -> None:
    path = write_grid(tmp_path / "dxdy.asc", ROWS_5X5, cellsize="", dx="1", dy="2")
    with pytest.raises(RasterError, match=r"dxdy\.asc: cells are not square \(1 by 2\)"):
        read_habitat(path)


def test_south_up_geotiff_is_refused(tmp_path: Path) -> None:
    import rasterio
    from affine import Affine

    path = tmp_path / "south_up.tif"
    with rasterio.open(
        path, "w", driver="GTiff", height=3, width=3, count=1, dtype="float64",
        transform=Affine(1.0, 0.0, 10.0, 0.0, 1.0, 20.0),
    ) as ds:  # fmt: skip
        ds.write(np.ones((1, 3, 3)))
    with pytest.raises(RasterError, match=r"south_up\.tif: the cell size is 1 by -1.*north-up"):
        read_habitat(path)


def test_all_nodata_grid(job_dir: Path) -> None:
    write_grid(job_dir / "habitat.asc", ["-9999 -9999 -9999 -9999 -9999"] * 5)
    with pytest.raises(RasterError, match=r"habitat\.asc: every cell is nodata"):
        run(write_job(job_dir), base_dir=job_dir, quiet=True)


def test_negative_resistance_names_the_cell(job_dir: Path) -> None:
    write_grid(job_dir / "habitat.asc", ["1 1 -3 1 1", *ROWS_5X5[1:]])
    with pytest.raises(
        RasterError, match=r"habitat\.asc: 1 cells have zero or negative resistance.*"
        r"first -3 at row 0, column 2",
    ):  # fmt: skip
        run(write_job(job_dir), base_dir=job_dir, quiet=True)


# -- valid grids read as before ---------------------------------------------------------


def test_valid_grid_layouts_read_as_gdal_does(tmp_path: Path) -> None:
    """CRLF line ends, tabs, runs of spaces and blank lines do not disturb the check."""
    import rasterio

    rows = ["  1\t2  3 4 5 ", "", *ROWS_5X5[1:]]
    text = grid_text(rows).replace("\n", "\r\n")
    path = tmp_path / "messy.asc"
    path.write_text(text, newline="")
    result = read_habitat(path)
    with rasterio.open(path) as ds:
        assert_reads_as(result, ds.read(1).astype(float))
    assert_reads_as(result, grid_values(ROWS_5X5))
    assert result.meta is not None and result.meta.shape == (5, 5)


def test_whole_numbers_with_a_zero_fraction_are_accepted(tmp_path: Path) -> None:
    result = read_habitat(write_grid(tmp_path / "g.asc", ROWS_5X5, ncols="5.0"))
    assert_reads_as(result, grid_values(ROWS_5X5))


def test_geotiff_named_asc_is_still_read(tmp_path: Path) -> None:
    import rasterio
    from affine import Affine

    path = tmp_path / "really_a_tiff.asc"
    with rasterio.open(
        path, "w", driver="GTiff", height=2, width=3, count=1, dtype="float64",
        transform=Affine(1.0, 0.0, 0.0, 0.0, -1.0, 2.0),
    ) as ds:  # fmt: skip
        ds.write(np.arange(1.0, 7.0).reshape(1, 2, 3))
    result = read_habitat(path, {1: (0, 0), 2: (1, 2)})
    assert_reads_as(result, np.arange(1.0, 7.0).reshape(2, 3), {1: (0, 0), 2: (1, 2)})
    assert result.meta is not None and result.meta.shape == (2, 3)


def test_gzip_grid_reads_like_the_plain_one(tmp_path: Path) -> None:
    packed = read_habitat(write_grid(tmp_path / "g.asc.gz", ROWS_5X5))
    assert_reads_as(packed, grid_values(ROWS_5X5))
    assert packed.meta is not None and packed.meta.cellsize == 1.0
    assert packed.meta.path.endswith("g.asc.gz")


def test_check_reads_across_the_pieces_of_a_large_grid(tmp_path: Path) -> None:
    """Rows, lines and positions are counted right beyond the first piece of text read.

    The check reads the text in pieces of a few MiB; this grid (nodata but for two
    cells, so the model itself is tiny) is larger than one piece.
    """
    ncols, nrows = 1000, 800
    nodata_row = " ".join(["-9999"] * ncols)
    rows = [nodata_row] * nrows
    rows[0] = "1 1 " + " ".join(["-9999"] * (ncols - 2))
    header = {"ncols": str(ncols), "nrows": str(nrows)}
    assert len(grid_text(rows, **header)) > 4 * 2**20
    late = rows.copy()
    late[750] = "-9999 -9999 -9999 -9999 oops " + " ".join(["-9999"] * (ncols - 5))
    path = write_grid(tmp_path / "large.asc", late, **header)
    with pytest.raises(RasterError, match=r"'oops' at row 750, column 4, line 757 of the file"):
        read_habitat(path, {1: (0, 0), 2: (0, 1)})
    path = write_grid(tmp_path / "short.asc", rows[:799], **header)
    with pytest.raises(RasterError, match=r"ends after 799000 values \(799 full rows\)"):
        read_habitat(path, {1: (0, 0), 2: (0, 1)})
    result = read_habitat(
        write_grid(tmp_path / "whole.asc", rows, **header), {1: (0, 0), 2: (0, 1)}
    )
    assert result.meta is not None and result.meta.shape == (nrows, ncols)
    assert result.resistance(1, 2) == pytest.approx(1.0)


# -- directories and missing files ------------------------------------------------------


@pytest.mark.parametrize(
    ("option", "role"),
    [
        ("habitat_file", "habitat"),
        ("point_file", "point"),
    ],
)
def test_directory_as_input_file(job_dir: Path, option: str, role: str) -> None:
    (job_dir / "a_directory").mkdir()
    ini = write_job(job_dir, **{option: "a_directory"})
    with pytest.raises(
        DataFileError, match=rf"{role} file .*a_directory is a directory, not a file"
    ):
        run(ini, base_dir=job_dir, quiet=True)


def test_advanced_source_and_ground_directories_reported_together(job_dir: Path) -> None:
    (job_dir / "sources").mkdir()
    ini = write_job(
        job_dir, scenario="advanced", source_file="sources", ground_file="no_grounds.asc"
    )
    with pytest.raises(DataFileError) as info:
        run(ini, base_dir=job_dir, quiet=True)
    message = str(info.value)
    assert "source file" in message and "sources is a directory" in message
    assert "ground file" in message and "no_grounds.asc does not exist" in message


def test_directory_as_job_file(tmp_path: Path) -> None:
    with pytest.raises(JobFileError, match=r"job file .* is a directory, not a file"):
        run(tmp_path, quiet=True)


def test_directory_through_the_array_api(tmp_path: Path) -> None:
    from corridors.circuit import pairwise

    with pytest.raises(DataFileError, match=r"habitat file .* is a directory"):
        pairwise(tmp_path, {1: (0, 0), 2: (1, 1)})


def test_path_through_the_array_api(job_dir: Path) -> None:
    from corridors.circuit import pairwise

    by_path = pairwise(job_dir / "habitat.asc", {1: (0, 0), 2: (4, 4)})
    by_array = pairwise(np.arange(1, 26, dtype=float).reshape(5, 5), {1: (0, 0), 2: (4, 4)})
    assert by_path.resistance(1, 2) == pytest.approx(by_array.resistance(1, 2))
    assert by_path.meta is not None and by_path.meta.path.endswith("habitat.asc")


def test_one_focal_point_is_refused(job_dir: Path) -> None:
    (job_dir / "points.txt").write_text("1 0.5 4.5\n")
    with pytest.raises(FocalPointError, match=r"points\.txt holds only focal point 1.*at least 2"):
        run(write_job(job_dir), base_dir=job_dir, quiet=True)


def test_symlinked_inputs_still_read(job_dir: Path) -> None:
    os.symlink(job_dir / "habitat.asc", job_dir / "link.asc")
    result = run(write_job(job_dir, habitat="link.asc"), base_dir=job_dir, quiet=True)
    assert result.resistances is not None and result.resistances[0, 1] > 0


# -- outputs ----------------------------------------------------------------------------


def test_existing_outputs_are_kept_unless_overwrite(job_dir: Path) -> None:
    ini = write_job(job_dir)
    first = run(ini, base_dir=job_dir, quiet=True)
    written = {p: p.stat().st_mtime_ns for p in first.files}
    with pytest.raises(
        OutputError,
        match=r"4 output file\(s\) of this job already exist in .*out: job_cum_curmap\.asc, "
        r"job_curmap_1_2\.asc, job_resistances\.out, job_resistances_3columns\.out; they "
        r"are kept.*overwrite=True \(--force",
    ):
        run(ini, base_dir=job_dir, quiet=True)
    assert {p: p.stat().st_mtime_ns for p in first.files} == written
    again = run(ini, base_dir=job_dir, quiet=True, overwrite=True)
    assert sorted(again.files) == sorted(first.files)


def test_bad_input_is_reported_before_existing_outputs(job_dir: Path) -> None:
    ini = write_job(job_dir)
    run(ini, base_dir=job_dir, quiet=True)
    write_grid(job_dir / "habitat.asc", ROWS_5X5[:4])
    with pytest.raises(RasterError, match=r"habitat\.asc.*ends after 20 values"):
        run(ini, base_dir=job_dir, quiet=True)


def test_other_outputs_in_the_folder_do_not_block(job_dir: Path) -> None:
    (job_dir / "out").mkdir()
    (job_dir / "out" / "job_voltmap_1_2.asc").write_text("not written by this job")
    (job_dir / "out" / "other_resistances.out").write_text("another job")
    result = run(write_job(job_dir), base_dir=job_dir, quiet=True)
    assert result.files and (job_dir / "out" / "other_resistances.out").read_text() == "another job"


def test_output_file_naming_an_input_is_refused(job_dir: Path) -> None:
    before = (job_dir / "habitat.asc").read_bytes()
    with pytest.raises(OutputError, match=r"output_file .*habitat\.asc is the habitat file"):
        run(write_job(job_dir, output_file="habitat.asc"), base_dir=job_dir, quiet=True)
    assert (job_dir / "habitat.asc").read_bytes() == before


def test_output_that_is_the_job_file_itself(job_dir: Path) -> None:
    ini = write_job(job_dir, output_file="job.out")
    renamed = ini.rename(job_dir / "job_resistances.out")
    with pytest.raises(OutputError, match=r"job_resistances\.out would replace the job file"):
        run(renamed, base_dir=job_dir, quiet=True, overwrite=True)
    assert "habitat_file" in renamed.read_text()


@pytest.mark.parametrize("link", [os.symlink, os.link], ids=["symlink", "hard link"])
def test_output_linked_to_an_input_is_refused_even_with_overwrite(job_dir: Path, link) -> None:
    (job_dir / "out").mkdir()
    link(job_dir / "habitat.asc", job_dir / "out" / "job_cum_curmap.asc")
    before = (job_dir / "habitat.asc").read_bytes()
    with pytest.raises(OutputError, match=r"job_cum_curmap\.asc would replace the habitat file"):
        run(write_job(job_dir), base_dir=job_dir, quiet=True, overwrite=True)
    assert (job_dir / "habitat.asc").read_bytes() == before


def test_output_folder_that_is_a_file(job_dir: Path) -> None:
    (job_dir / "results").write_text("a file")
    with pytest.raises(OutputError, match=r"results is a file, not a folder"):
        run(write_job(job_dir), base_dir=job_dir, output_dir=job_dir / "results", quiet=True)
    with pytest.raises(OutputError, match=r"results is a file, not a folder"):
        run(write_job(job_dir), base_dir=job_dir, output_dir=job_dir / "results" / "sub")


def test_text_output_that_is_an_input_is_never_written(job_dir: Path) -> None:
    """Every output is checked against the inputs, the tables as well as the maps."""
    (job_dir / "out").mkdir()
    precious = job_dir / "out" / "job_resistances.out"
    pairs = "mode include\n1 2\n"
    precious.write_text(pairs)
    ini = write_job(
        job_dir, use_included_pairs="True", included_pairs_file="out/job_resistances.out"
    )
    with pytest.raises(
        OutputError, match=r"job_resistances\.out would replace the included pairs file"
    ):
        run(ini, base_dir=job_dir, quiet=True, overwrite=True)
    assert precious.read_text() == pairs


_NETWORK = "1 2 1\n2 3 1\n3 4 2\n"


@pytest.mark.parametrize(
    "options",
    [
        {"write_volt_maps": "True", "write_max_cur_maps": "True"},
        {"write_cum_cur_map_only": "True", "write_cur_maps": "False", "compress_grids": "True"},
        {"scenario": "one-to-all", "write_volt_maps": "True", "write_as_tif": "True"},
        {"scenario": "all-to-one", "write_max_cur_maps": "True"},
        {
            "scenario": "advanced",
            "source_file": "sources.txt",
            "ground_file": "grounds.txt",
            "write_volt_maps": "True",
        },
        {"data_type": "network", "habitat_file": "graph.txt", "point_file": "nodes.txt",
         "write_volt_maps": "True"},
        {"data_type": "network", "scenario": "advanced", "habitat_file": "graph.txt",
         "source_file": "nsources.txt", "ground_file": "ngrounds.txt", "write_volt_maps": "True"},
    ],
)  # fmt: skip
def test_every_written_file_was_planned_and_checked(job_dir: Path, options: dict[str, str]) -> None:
    """What a job writes is what the pre-solve check looks for, so a rerun is refused."""
    (job_dir / "sources.txt").write_text("1 0.5 4.5\n")
    (job_dir / "grounds.txt").write_text("1 4.5 0.5\n")
    (job_dir / "graph.txt").write_text(_NETWORK)
    (job_dir / "nodes.txt").write_text("1\n4\n")
    (job_dir / "nsources.txt").write_text("1 1\n")
    (job_dir / "ngrounds.txt").write_text("4 1\n")
    ini = write_job(job_dir, **options)
    geotiff = "write_as_tif" not in options and options.get("data_type") != "network"
    result = run(ini, base_dir=job_dir, quiet=True, geotiff=geotiff)
    assert result.files
    with pytest.raises(OutputError) as info:
        run(ini, base_dir=job_dir, quiet=True, geotiff=geotiff)
    message = str(info.value)
    assert f"{len(result.files)} output file(s) of this job already exist" in message
    shown = sorted(path.name for path in result.files)[:5]
    assert ", ".join(shown) in message


# -- warnings ---------------------------------------------------------------------------


def test_focal_point_warning_points_at_the_caller(job_dir: Path) -> None:
    rows = ["-9999 2 3 4 5", *ROWS_5X5[1:]]
    write_grid(job_dir / "habitat.asc", rows)
    (job_dir / "points.txt").write_text("1 0.5 4.5\n2 4.5 0.5\n3 2.5 2.5\n")
    with pytest.warns(FocalPointWarning) as record:
        result = run(write_job(job_dir), base_dir=job_dir, quiet=True)
    assert len(record) == 1 and record[0].filename == __file__
    assert issubclass(FocalPointWarning, CorridorsWarning)
    assert result.notes == [str(record[0].message)]


def test_warning_classes_share_the_root() -> None:
    from corridors.circuit import ConvergenceWarning

    assert issubclass(ConvergenceWarning, CorridorsWarning)
    assert issubclass(ConvergenceWarning, RuntimeWarning)
