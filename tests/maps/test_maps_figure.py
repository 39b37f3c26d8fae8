"""Static figures for reports: plot_cases, save_figure and ``corridors figure``."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import matplotlib
import pytest
import shapely
from typer.testing import CliRunner

import corridors
from corridors.cli import app
from corridors.errors import InputError, OutputError
from corridors.maps import plot_cases, save_figure

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def features() -> gpd.GeoDataFrame:
    return corridors.load_features()


def _texts(ax) -> list[str]:  # type: ignore[no-untyped-def]
    return [t.get_text() for t in ax.texts] + [t.get_text() for t in ax.figure.texts]


def _legend(ax) -> list[str]:  # type: ignore[no-untyped-def]
    return [t.get_text() for t in ax.get_legend().get_texts()]


def test_world_view_is_equal_earth_without_a_scale_bar(features: gpd.GeoDataFrame) -> None:
    ax = plot_cases(features)
    caption = " ".join(_texts(ax))
    assert "Equal Earth" in caption and "scale varies" in caption
    assert not any(t.endswith(" km") for t in _texts(ax))  # no scale bar on a world map
    counts = features["realm"].value_counts()
    assert sorted(_legend(ax)) == sorted(f"{k} ({v})" for k, v in counts.items())


def test_regional_view_has_a_true_scale_bar_and_a_north_arrow(
    features: gpd.GeoDataFrame,
) -> None:
    one = features[features["case_id"] == corridors.resolve_case_id("koytendag")]
    ax = plot_cases(one, layer_by="role")
    texts = _texts(ax)
    assert "N" in texts
    bar = [t for t in texts if t.endswith(" km")]
    assert len(bar) == 1
    km = float(bar[0].split()[0])
    assert km in {1, 2, 5, 10, 20, 50, 100, 200, 500, 1000}
    # The bar is drawn in projected metres: its length is exactly that many km.
    lengths = {round(abs(x1 - x0)) for line in ax.lines for (x0, x1) in [line.get_xdata()[:2]]}
    assert round(km * 1000) in lengths
    width = ax.get_xlim()[1] - ax.get_xlim()[0]
    assert 0.05 < km * 1000 / width <= 0.2  # about a fifth of the map at most
    assert any("Azimuthal equidistant" in t for t in texts)


def test_the_view_holds_every_case(features: gpd.GeoDataFrame) -> None:
    one = features[features["case_id"] == corridors.resolve_case_id("koytendag")]
    ax = plot_cases(one)
    crs = corridors.crs.local_crs(*one.to_crs(4326).union_all().centroid.coords[0])
    x0, y0, x1, y1 = one.to_crs(crs).total_bounds
    (vx0, vx1), (vy0, vy1) = ax.get_xlim(), ax.get_ylim()
    # Centred on the box's centre, not the centroid: allow the difference.
    slack = 0.2 * max(x1 - x0, y1 - y0)
    assert vx0 <= x0 + slack and vx1 >= x1 - slack and vy0 <= y0 + slack and vy1 >= y1 - slack


def test_highlight_is_in_the_legend(features: gpd.GeoDataFrame) -> None:
    hits = corridors.crossing(corridors.load_cases(), "TKM-UZB")
    ax = plot_cases(features, highlight=hits, highlight_name="Crossing TKM-UZB")
    assert f"Crossing TKM-UZB ({len(hits)})" in _legend(ax)


def test_text_from_data_is_shown_as_written(tmp_path: Path) -> None:
    frame = gpd.GeoDataFrame(
        {"realm": ["$x$ and $y$"], "case_id": ["a"]},
        geometry=[shapely.Point(10, 50)],
        crs=4326,
    )
    ax = plot_cases(frame, title="Cost: $5 per $2")
    assert ax.get_title() == r"Cost: \$5 per \$2"
    assert _legend(ax) == [r"\$x\$ and \$y\$ (1)"]
    save_figure(ax, tmp_path / "t.png")  # renders: no mathtext is parsed


@pytest.mark.parametrize("suffix", [".png", ".svg", ".pdf"])
def test_same_figure_same_bytes(tmp_path: Path, suffix: str, features: gpd.GeoDataFrame) -> None:
    one = features[features["case_id"] == corridors.resolve_case_id("fremont")]
    first = save_figure(plot_cases(one), tmp_path / f"a{suffix}")
    second = save_figure(plot_cases(one), tmp_path / f"b{suffix}")
    assert first.read_bytes() == second.read_bytes()
    assert first.stat().st_size > 1000


def test_save_figure_refuses_unknown_formats_and_keeps_files(
    tmp_path: Path, features: gpd.GeoDataFrame
) -> None:
    ax = plot_cases(features.iloc[:3])
    with pytest.raises(InputError, match=r"\.png, \.svg or \.pdf"):
        save_figure(ax, tmp_path / "map.jpg")
    kept = tmp_path / "map.png"
    kept.write_text("mine")
    with pytest.raises(OutputError, match="already exists"):
        save_figure(ax, kept)
    assert kept.read_text() == "mine"
    save_figure(ax, kept, overwrite=True)
    assert kept.read_bytes()[:4] == b"\x89PNG"


def test_bad_inputs_are_refused(features: gpd.GeoDataFrame) -> None:
    with pytest.raises(InputError, match="not a column"):
        plot_cases(features, layer_by="colour")
    empty = gpd.GeoDataFrame({"realm": ["x"]}, geometry=[shapely.Point()], crs=4326)
    with pytest.raises(InputError, match="no case has a geometry"):
        plot_cases(empty)


runner = CliRunner()


def test_cli_figure(tmp_path: Path) -> None:
    out = tmp_path / "koytendag.svg"
    args = ["figure", "-o", str(out), "--case", "koytendag", "--highlight-crossing", "TKM-UZB"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert out.read_text().lstrip().startswith("<?xml")
    again = runner.invoke(app, args)
    assert again.exit_code == 2 and "already exists" in again.stderr
    bad = runner.invoke(app, ["figure", "-o", str(tmp_path / "x.gif")])
    assert bad.exit_code == 2 and ".png, .svg or .pdf" in bad.stderr
