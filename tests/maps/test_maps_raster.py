"""Raster overlays on the atlas: placement, transparency, colours, legend, safety, Omniscape."""

from __future__ import annotations

import base64
import html
import json
import math
import struct
import zlib
from typing import Any

import branca.colormap as bcm
import folium
import numpy as np
import pytest
from affine import Affine
from pyproj import Transformer
from rasterio.transform import array_bounds
from rasterio.warp import transform_bounds

import corridors
from corridors import maps
from corridors.errors import CRSError, InputError

# A 30 x 40 grid of 1 km cells in UTM zone 33N (central Europe), north up.
UTM = "EPSG:32633"
UTM_TRANSFORM = Affine(1000.0, 0.0, 400_000.0, 0.0, -1000.0, 5_300_000.0)
SHAPE = (30, 40)
# Black to white: a pixel's red channel gives back its value (to 1/255 of the range).
GREY = bcm.LinearColormap(["#000000", "#ffffff"], vmin=0.0, vmax=1.0)


def _overlays(m: folium.Map) -> list[folium.raster_layers.ImageOverlay]:
    return [c for c in m._children.values() if isinstance(c, folium.raster_layers.ImageOverlay)]


def _legends(m: folium.Map) -> list[dict[str, Any]]:
    # Found by the element's name in the page, not its (private) class.
    return [
        json.loads(c.config)
        for c in m._children.values()
        if c.get_name().startswith("corridors_raster_legend_")
    ]


def _png(url: str) -> np.ndarray:
    """Decode an RGBA PNG data URL (8-bit, no filters, as branca writes) to (rows, cols, 4)."""
    prefix = "data:image/png;base64,"
    assert url.startswith(prefix)
    data = base64.b64decode(url[len(prefix) :])
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width, height = 8, b"", 0, 0
    while pos < len(data):
        (length,) = struct.unpack("!I", data[pos : pos + 4])
        tag, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if tag == b"IHDR":
            width, height, depth, colour = struct.unpack("!IIBB", body[:10])
            assert (depth, colour) == (8, 6)  # 8-bit RGBA
        elif tag == b"IDAT":
            idat += body
        pos += 12 + length
    raw = np.frombuffer(zlib.decompress(idat), dtype=np.uint8).reshape(height, 1 + 4 * width)
    assert (raw[:, 0] == 0).all()  # filter type None on every row
    return raw[:, 1:].reshape(height, width, 4)


def _pixel_lonlat(bounds: list[list[float]], shape: tuple[int, int]) -> tuple[Any, Any]:
    """Longitude and latitude of every pixel centre of an overlay (linear in Web Mercator)."""
    (south, west), (north, east) = bounds
    rows, cols = shape
    lon = west + (np.arange(cols) + 0.5) / cols * (east - west)
    to_merc = Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True)
    _, y_s = to_merc.transform(0.0, south)
    _, y_n = to_merc.transform(0.0, north)
    y = y_n - (np.arange(rows) + 0.5) / rows * (y_n - y_s)
    _, lat = to_merc.transform(np.zeros_like(y), y, direction="INVERSE")
    return np.meshgrid(lon, lat)


def _grid(seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).lognormal(size=SHAPE)


def _html(m: folium.Map) -> str:
    return maps.map_html(m)


# ------------------------------------------------------------------------ placement


def test_the_overlay_bounds_are_the_rasters_bounds_in_lon_lat() -> None:
    m = maps.add_raster_layer(folium.Map(), _grid(), transform=UTM_TRANSFORM, crs=UTM, name="g")
    (layer,) = _overlays(m)
    (south, west), (north, east) = layer.bounds
    want = transform_bounds(UTM, "EPSG:4326", *array_bounds(*SHAPE, UTM_TRANSFORM))
    assert np.allclose([west, south, east, north], want, atol=1e-9)
    # and the overlay is drawn as given, not re-projected by folium's own approximation
    assert '"pane":"corridorsRaster"' in _html(m).replace(" ", "")


@pytest.mark.parametrize(
    ("crs", "transform", "shape"),
    [
        (UTM, UTM_TRANSFORM, SHAPE),
        # 0 to 60 degrees north: far enough for a linear-in-latitude image to be wrong
        ("EPSG:4326", Affine(0.5, 0.0, 10.0, 0.0, -0.5, 60.0), (120, 50)),
    ],
)
@pytest.mark.parametrize("axis", ["x", "y"])
def test_every_pixel_shows_the_value_of_the_place_it_covers(
    crs: str, transform: Affine, shape: tuple[int, int], axis: str
) -> None:
    # The value of each cell is its own x (or y) coordinate: bilinear interpolation
    # keeps such a plane exact, so each pixel's colour says where it was taken from.
    rows, cols = shape
    cx, cy = transform @ np.meshgrid(np.arange(cols) + 0.5, np.arange(rows) + 0.5)
    values = np.asarray(cx if axis == "x" else cy, dtype=float)
    lo, hi = float(values.min()), float(values.max())
    m = maps.add_raster_layer(
        folium.Map(), values, transform=transform, crs=crs, name="plane", colormap=GREY
    )
    (layer,) = _overlays(m)
    image = _png(layer.url)
    lon, lat = _pixel_lonlat(layer.bounds, image.shape[:2])
    x, y = Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform(lon, lat)
    expected = np.clip(x if axis == "x" else y, lo, hi)
    shown = image[..., 3] == 255
    assert shown.mean() > 0.8
    got = lo + image[..., 0].astype(float) / 255 * (hi - lo)
    cell = abs(transform.a) if axis == "x" else abs(transform.e)
    error = np.abs(got - expected)[shown]
    assert error.max() <= (hi - lo) / 255 + cell / 2, error.max()


def test_nan_and_nodata_cells_are_transparent() -> None:
    values = _grid()
    values[5:15, 5:15] = np.nan
    values[5:15, 25:35] = -9999.0
    m = maps.add_raster_layer(
        folium.Map(), values, transform=UTM_TRANSFORM, crs=UTM, name="holes", nodata=-9999.0
    )
    (layer,) = _overlays(m)
    image = _png(layer.url)
    lon, lat = _pixel_lonlat(layer.bounds, image.shape[:2])
    x, y = Transformer.from_crs("EPSG:4326", UTM, always_xy=True).transform(lon, lat)
    col, row = ~UTM_TRANSFORM @ (x, y)
    # well inside a hole (more than a cell from its edge), and well inside the data
    in_nan = (col > 6) & (col < 14) & (row > 6) & (row < 14)
    in_nodata = (col > 26) & (col < 34) & (row > 6) & (row < 14)
    in_data = (row > 17) & (row < SHAPE[0] - 1) & (col > 1) & (col < SHAPE[1] - 1)
    alpha = image[..., 3]
    assert in_nan.any() and in_nodata.any() and in_data.any()
    assert (alpha[in_nan] == 0).all()
    assert (alpha[in_nodata] == 0).all()
    assert (alpha[in_data] == 255).all()


def test_large_rasters_are_averaged_down_to_a_bounded_image() -> None:
    values = np.ones((maps.MAX_OVERLAY_SIDE + 500, 40))
    transform = Affine(100.0, 0.0, 400_000.0, 0.0, -100.0, 5_300_000.0)
    m = maps.add_raster_layer(folium.Map(), values, transform=transform, crs=UTM, name="tall")
    image = _png(_overlays(m)[0].url)
    assert max(image.shape[:2]) <= maps.MAX_OVERLAY_SIDE


# ------------------------------------------------------------------------ stability


def test_the_same_grid_gives_the_same_html_and_another_grid_does_not(tmp_path: Any) -> None:
    def page(values: np.ndarray) -> str:
        m = maps.build_map(features_frame(), boundaries=None, tiles=None)
        return _html(
            maps.add_raster_layer(
                m, values, transform=UTM_TRANSFORM, crs=UTM, name="current", log=True
            )
        )

    first, again = page(_grid(1)), page(_grid(1).copy())
    assert first == again
    assert page(_grid(2)) != first
    m = maps.add_raster_layer(
        folium.Map(), _grid(1), transform=UTM_TRANSFORM, crs=UTM, name="current"
    )
    a = maps.save_map(m, tmp_path / "a.html").read_bytes()
    b = maps.save_map(m, tmp_path / "b.html").read_bytes()
    assert a == b


def features_frame() -> Any:
    from browser.atlas_factory import features

    return features()


def test_offline_atlas_with_a_raster_stays_self_contained() -> None:
    m = maps.build_map(features_frame(), boundaries=None, offline=True)
    maps.add_raster_layer(m, _grid(), transform=UTM_TRANSFORM, crs=UTM, name="r")
    page = maps.map_html(m)
    assert "data:image/png;base64," in page


# --------------------------------------------------------------------------- legend


def test_the_legend_gives_the_range_and_caption() -> None:
    values = _grid(3)
    m = maps.add_raster_layer(
        folium.Map(),
        values,
        transform=UTM_TRANSFORM,
        crs=UTM,
        name="current",
        caption="Current density (A)",
    )
    (legend,) = _legends(m)
    assert legend["title"] == "Current density (A)"
    labels = [t[1] for t in legend["ticks"]]
    assert labels[0] == f"{values.min():.3g}"
    assert labels[-1] == f"{values.max():.3g}"
    assert [t[0] for t in legend["ticks"]] == sorted(t[0] for t in legend["ticks"])
    assert len(legend["stops"]) >= 2
    assert "Current density (A)" in _html(m)


def test_the_legend_follows_vmin_vmax_and_a_log_scale() -> None:
    m = maps.add_raster_layer(
        folium.Map(),
        _grid(),
        transform=UTM_TRANSFORM,
        crs=UTM,
        name="current",
        vmin=0.01,
        vmax=100.0,
        log=True,
    )
    (legend,) = _legends(m)
    assert [t[1] for t in legend["ticks"]] == ["0.01", "1", "100"]
    assert "log" in legend["note"]


def test_a_diverging_ramp_is_centred() -> None:
    values = np.linspace(0.5, 4.0, SHAPE[0] * SHAPE[1]).reshape(SHAPE)
    m = maps.add_raster_layer(
        folium.Map(),
        values,
        transform=UTM_TRANSFORM,
        crs=UTM,
        name="ratio",
        colormap="RdBu_11",
        log=True,
        center=1.0,
    )
    (legend,) = _legends(m)
    positions = {label: pos for pos, label in legend["ticks"]}
    assert positions["1"] == 50.0
    # symmetric about 1 on a log scale: the widest side (4) sets both ends
    assert [t[1] for t in legend["ticks"]] == ["0.25", "1", "4"]


def test_no_legend_when_asked() -> None:
    m = maps.add_raster_layer(
        folium.Map(), _grid(), transform=UTM_TRANSFORM, crs=UTM, name="x", legend=False
    )
    assert _legends(m) == []
    assert "corridors-raster-legend" not in _html(m)


# --------------------------------------------------------------------------- safety


def test_layer_name_and_caption_are_escaped() -> None:
    name = "<img src=x onerror=alert(1)>"
    caption = "</script><script>alert(2)</script>"
    m = folium.Map()
    maps.add_raster_layer(m, _grid(), transform=UTM_TRANSFORM, crs=UTM, name=name, caption=caption)
    folium.LayerControl().add_to(m)
    page = _html(m)
    assert "<img src=x" not in page
    assert "</script><script>alert" not in page
    # the layer control receives the escaped name, which it shows as text
    assert _overlays(m)[0].layer_name == html.escape(name)
    assert _legends(m)[0]["title"] == caption


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"crs": None}, CRSError),
        ({"crs": "EPSG:999999"}, CRSError),
        ({"transform": None}, InputError),
        ({"values": np.ones(5)}, InputError),
        ({"values": np.full(SHAPE, np.nan)}, InputError),
        ({"values": -np.ones(SHAPE), "log": True}, InputError),
        ({"vmin": 0.0, "log": True}, InputError),
        ({"vmin": 2.0, "vmax": 1.0}, InputError),
        ({"colormap": "no-such-ramp"}, InputError),
        ({"opacity": 2.0}, InputError),
    ],
)
def test_bad_input_is_refused_clearly(kwargs: dict[str, Any], error: type) -> None:
    args: dict[str, Any] = {"values": _grid(), "transform": UTM_TRANSFORM, "crs": UTM}
    args.update(kwargs)
    values = args.pop("values")
    with pytest.raises(error):
        maps.add_raster_layer(folium.Map(), values, name="bad", **args)


# ------------------------------------------------------------------------- Omniscape


@pytest.fixture(scope="module")
def omniscape_result() -> Any:
    from corridors.omniscape import omniscape

    rng = np.random.default_rng(19)
    resistance = rng.uniform(1.0, 10.0, (20, 24))
    resistance[9:11, :] = 200.0  # a road across the landscape
    resistance[0:3, 0:3] = np.nan
    return omniscape(
        resistance,
        radius=4,
        calc_flow_potential=True,
        calc_normalized_current=True,
        transform=UTM_TRANSFORM,
        crs=UTM,
        workers=1,
    )


def test_an_omniscape_result_is_drawn_one_layer_per_map(omniscape_result: Any) -> None:
    m = maps.build_map(features_frame(), boundaries=None, tiles=None)
    assert corridors.add_omniscape_layers(m, omniscape_result) is m
    overlays = _overlays(m)
    assert [o.layer_name for o in overlays] == [
        "Omniscape: Normalized current",
        "Omniscape: Flow potential",
        "Omniscape: Cumulative current",
    ]
    assert [o.show for o in overlays] == [True, False, False]
    want = transform_bounds(
        UTM, "EPSG:4326", *array_bounds(*omniscape_result.cum_currmap.shape, UTM_TRANSFORM)
    )
    for overlay in overlays:
        (south, west), (north, east) = overlay.bounds
        assert np.allclose([west, south, east, north], want, atol=1e-9)
    legends = _legends(m)
    assert len(legends) == 3
    normalized = legends[0]
    assert "impeded" in normalized["title"] and "channelled" in normalized["title"]
    assert [pos for pos, label in normalized["ticks"] if label == "1"] == [50.0]
    assert "(A" in legends[2]["title"]
    ratio = omniscape_result.normalized_cum_currmap
    lo, hi = np.nanmin(ratio), np.nanmax(ratio)
    half = max(abs(math.log10(lo)), abs(math.log10(hi)))
    assert normalized["ticks"][0][1] == f"{10**-half:.3g}"
    assert normalized["ticks"][-1][1] == f"{10**half:.3g}"
    # the NoData corner of the resistance is transparent in every map
    image = _png(overlays[0].url)
    assert image[0, 0, 3] == 0 and image[-1, -1, 3] == 255
    maps.map_html(m)


def test_omniscape_maps_that_were_not_computed_are_skipped(omniscape_result: Any) -> None:
    from corridors.omniscape import OmniscapeResult

    only_current = OmniscapeResult(
        cum_currmap=omniscape_result.cum_currmap,
        transform=omniscape_result.transform,
        crs=omniscape_result.crs,
    )
    m = maps.add_omniscape_layers(folium.Map(), only_current, prefix="")
    assert [o.layer_name for o in _overlays(m)] == ["Cumulative current"]
    with pytest.raises(InputError):
        maps.add_omniscape_layers(folium.Map(), only_current, layers=["flow_potential"])
    with pytest.raises(InputError):
        maps.add_omniscape_layers(folium.Map(), only_current, layers=["currmap"])
    with pytest.raises(InputError):
        maps.add_omniscape_layers(folium.Map(), omniscape_result.cum_currmap)
