"""Static maps of the catalogue or a query result, for the reports planners write.

:func:`plot_cases` draws cases on the bundled country outlines with matplotlib, in the
atlas's colours, with a legend, and, for a regional view, a scale bar and a north arrow;
:func:`save_figure` writes the figure as PNG, SVG or PDF, atomically and with the same
bytes for the same input.

Projections: a view up to :data:`REGIONAL_SPAN_KM` across is drawn in an azimuthal
equidistant projection centred on it (distances from the centre are true, north is up
at the centre), so the scale bar and the north arrow mean what they say. A wider view is
drawn in the Equal Earth projection (EPSG:8857), whose scale varies across the map: it
gets no scale bar and no north arrow, and says so in its caption.

matplotlib is imported when a figure is drawn, not with :mod:`corridors.maps`.
"""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import Any, Final

import geopandas as gpd
import numpy as np
import shapely

from .._geodesy import GEOD, degree_margin, local_crs
from .._io import atomic_write_bytes, check_output
from ..crs import to_wgs84
from ..errors import InputError
from ._atlas import category_colors, category_labels
from ._highlight import HIGHLIGHT_COLOR
from ._payload import roles_of

__all__ = ["FIGURE_FORMATS", "REGIONAL_SPAN_KM", "plot_cases", "save_figure"]

#: Widest view (km, the longer side of the data's box) drawn in a local azimuthal
#: equidistant projection: at 3,000 km its scale is off by under 4 % at the corners,
#: within what a scale bar on a report map can be read to.
REGIONAL_SPAN_KM: Final = 3000.0
#: Equal Earth: an equal-area world projection for views wider than that.
WORLD_CRS: Final = "EPSG:8857"
#: Points along each edge of the data's box when it is projected to find the view.
EDGE_POINTS: Final = 24
#: Width over height of the map: landscape, as on a report page.
ASPECT: Final = 1.5
#: Space around the data, as a share of the view's width.
MARGIN_SHARE: Final = 0.08
#: A view at least this wide (km), so that a single site shows its surroundings.
MIN_VIEW_KM: Final = 50.0
#: File formats save_figure writes, by suffix.
FIGURE_FORMATS: Final = ("png", "svg", "pdf")
#: Country outlines: a light fill under the data, thin grey borders.
LAND_COLOR: Final = "#f2efe9"
BORDER_COLOR: Final = "#9a9a9a"
WATER_COLOR: Final = "#dfeaf2"
#: Polygons are filled this much, so that cases under them stay visible.
FILL_ALPHA: Final = 0.35
#: Attribution printed under every figure.
CREDIT: Final = "Boundaries: Natural Earth (public domain). Cases: corridors catalogue."
#: Resolution of PNG output (dots per inch).
PNG_DPI: Final = 200
#: Scale-bar lengths are 1, 2 or 5 times a power of ten km, about this share of the width.
SCALE_BAR_SHARE: Final = 0.2


def plot_cases(
    cases: gpd.GeoDataFrame | None = None,
    *,
    layer_by: str = "realm",
    highlight: gpd.GeoDataFrame | None = None,
    highlight_name: str = "Query result",
    boundaries: gpd.GeoDataFrame | None = None,
    title: str | None = None,
    ax: Any = None,
    figsize: tuple[float, float] = (10.0, 6.5),
) -> Any:
    """Draw cases on the country outlines: a static map for a report.

    Parameters
    ----------
    cases : GeoDataFrame, optional
        Cases or features, any CRS (default: every feature of the bundled catalogue).
    layer_by : str
        Column that colours the cases (``realm``, ``taxon``, ``scale`` or ``role``, or
        any column of ``cases``), one legend entry per value with its count.
    highlight : GeoDataFrame, optional
        A query result (``corridors.crossing(...)``) drawn over the cases, outlined in
        the atlas's highlight colour.
    highlight_name : str
        Its legend label.
    boundaries : GeoDataFrame, optional
        Outlines drawn underneath (default: the bundled countries).
    title : str, optional
        Title above the map.
    ax : matplotlib Axes, optional
        Draw into these axes instead of a new figure.
    figsize : (width, height)
        Size of a new figure, inches.

    Returns
    -------
    matplotlib.axes.Axes
        The map; ``ax.figure`` is the figure (:func:`save_figure` writes it).

    Raises
    ------
    InputError
        No case with a geometry, or ``layer_by`` not a column of ``cases``.
    """
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    frame = _cases_in_lonlat(cases)
    if layer_by != "role" and layer_by not in frame.columns:
        choices = ", ".join(c for c in frame.columns if c != frame.geometry.name)
        raise InputError(
            f"layer_by={layer_by!r} is not a column of the cases; choose one of {choices}"
        )
    marked = _cases_in_lonlat(highlight) if highlight is not None and len(highlight) else None
    # The view fits the cases; a highlighted result is drawn over it, as far as it shows.
    view = _view(frame)
    crs = local_crs(*view.centre) if view.regional else WORLD_CRS

    if ax is None:
        _, ax = plt.subplots(figsize=figsize, layout="constrained")
    ax.set_facecolor(WATER_COLOR)
    land = boundaries if boundaries is not None else _countries()
    land = to_wgs84(land, what="boundaries")
    land = gpd.clip(land, view.clip_box) if view.regional else land
    land.to_crs(crs).plot(ax=ax, color=LAND_COLOR, edgecolor=BORDER_COLOR, linewidth=0.4)

    data = frame.to_crs(crs)
    # The atlas's categories and colours, so that the page and the report agree.
    values = np.array(category_labels(frame, layer_by, roles_of(frame)), dtype=object)
    # Large under small: a range-wide outline never hides the small cases inside it.
    order = np.argsort(-data.geometry.area.to_numpy(), kind="stable")
    data, values = data.iloc[order], values[order]
    handles: list[Any] = []
    for category, color in category_colors(list(values)).items():
        part = data[values == category]
        _draw(part, ax, color)
        handles.append(
            Patch(
                facecolor=color,
                edgecolor=color,
                alpha=0.8,
                label=f"{_text(category)} ({len(part)})",
            )
        )
    if marked is not None:
        marked.to_crs(crs).plot(
            ax=ax, facecolor="none", edgecolor=HIGHLIGHT_COLOR, linewidth=2.2, zorder=5
        )
        handles.append(
            Line2D(
                [],
                [],
                color=HIGHLIGHT_COLOR,
                linewidth=2.2,
                label=_text(f"{highlight_name} ({len(marked)})"),
            )
        )

    x0, y0, x1, y1 = _projected_box(view, crs)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.legend(
        handles=handles,
        title=_text(layer_by),
        loc="lower right",
        fontsize=8,
        title_fontsize=8,
        framealpha=0.9,
    )
    if view.regional:
        _scale_bar(ax, x0, y0, x1 - x0, y1 - y0)
        _north_arrow(ax)
        caption = (
            f"Azimuthal equidistant projection centred on {_lonlat_text(view.centre)}. {CREDIT}"
        )
    else:
        caption = f"Equal Earth projection (EPSG:8857); scale varies across the map. {CREDIT}"
    ax.annotate(
        _text(caption),
        xy=(0, 0),
        xycoords="axes fraction",
        xytext=(0, -6),
        textcoords="offset points",
        va="top",
        fontsize=6.5,
        color="#555555",
    )
    if title:
        ax.set_title(_text(title))
    return ax


def save_figure(figure: Any, path: str | Path, *, overwrite: bool = False) -> Path:
    """Write a figure (or the figure of an Axes) as PNG, SVG or PDF, by the path's suffix.

    The file is written atomically; an existing file is kept unless ``overwrite``. The
    bytes are the same for the same figure: no dates, fixed ids.

    Raises
    ------
    InputError
        A suffix other than ``.png``, ``.svg`` or ``.pdf``.
    OutputError
        The file exists (without ``overwrite``) or cannot be written.
    """
    import matplotlib

    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in FIGURE_FORMATS:
        raise InputError(
            f"{path}: cannot tell the figure format from {path.suffix or 'no suffix'!r}; "
            f"name the file .png, .svg or .pdf"
        )
    fig = getattr(figure, "figure", figure)
    check_output(path, inputs=(), overwrite=overwrite, what="figure")
    # Dates and random ids would make every run's bytes differ.
    metadata: dict[str, Any] = {
        "png": {"Software": None},
        "svg": {"Date": None},
        "pdf": {"CreationDate": None, "ModDate": None},
    }[fmt]
    buf = io.BytesIO()
    with matplotlib.rc_context({"svg.hashsalt": "corridors", "svg.fonttype": "none"}):
        fig.savefig(buf, format=fmt, dpi=PNG_DPI, metadata=metadata)
    return atomic_write_bytes(path, buf.getvalue())


# ----------------------------------------------------------------------------- helpers


class _View:
    """The part of the world a figure shows: its lon/lat centre, its span, its kind."""

    def __init__(self, bounds: np.ndarray) -> None:
        lon0, lat0, lon1, lat1 = (float(v) for v in bounds)
        self.centre = ((lon0 + lon1) / 2, (lat0 + lat1) / 2)
        self.bounds = (lon0, lat0, lon1, lat1)
        # Geodesic width along the middle parallel, height along the middle meridian.
        lon_c, lat_c = self.centre
        _, _, width_m = GEOD.inv(lon0, lat_c, lon1, lat_c)
        _, _, height_m = GEOD.inv(lon_c, lat0, lon_c, lat1)
        self.span_km = max(width_m / 1000.0, height_m / 1000.0, MIN_VIEW_KM)
        self.regional = self.span_km <= REGIONAL_SPAN_KM
        # A generous lon/lat box for clipping the outlines, never reached by the view.
        dlon, dlat = degree_margin(self.span_km, max(abs(lat0), abs(lat1)))
        pad_lon = float(np.asarray(dlon).max())
        self.clip_box = shapely.box(
            max(lon0 - pad_lon, -180.0),
            max(lat0 - dlat, -90.0),
            min(lon1 + pad_lon, 180.0),
            min(lat1 + dlat, 90.0),
        )


def _view(frame: gpd.GeoDataFrame) -> _View:
    return _View(frame.total_bounds)


def _projected_box(view: _View, crs: Any) -> tuple[float, float, float, float]:
    """The view's box in ``crs`` with a margin, at least MIN_VIEW_KM across."""
    # Points along the box's edges (a box of one site is a point; edges curve when
    # projected, so the corners alone would not hold it).
    lon0, lat0, lon1, lat1 = view.bounds
    t = np.linspace(0.0, 1.0, EDGE_POINTS)
    lons = np.concatenate([lon0 + (lon1 - lon0) * t, np.full(EDGE_POINTS, lon1),
                           lon0 + (lon1 - lon0) * t, np.full(EDGE_POINTS, lon0)])  # fmt: skip
    lats = np.concatenate([np.full(EDGE_POINTS, lat0), lat0 + (lat1 - lat0) * t,
                           np.full(EDGE_POINTS, lat1), lat0 + (lat1 - lat0) * t])  # fmt: skip
    x0, y0, x1, y1 = gpd.GeoSeries(shapely.points(lons, lats), crs=4326).to_crs(crs).total_bounds
    # Landscape, 3 wide for 2 high (a report page's map), holding the whole box.
    width = max(x1 - x0, (y1 - y0) * ASPECT, MIN_VIEW_KM * 1000.0) * (1 + 2 * MARGIN_SHARE)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    return cx - width / 2, cy - width / ASPECT / 2, cx + width / 2, cy + width / ASPECT / 2


def _cases_in_lonlat(cases: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame:
    if cases is None:
        from ..catalogue import load_features

        cases = load_features()
    if not isinstance(cases, gpd.GeoDataFrame):
        raise InputError(f"cases must be a GeoDataFrame, got {type(cases).__name__}")
    frame = to_wgs84(cases, what="cases", check=InputError, noun="row")
    frame = frame[~(frame.geometry.is_empty | frame.geometry.isna())]
    if frame.empty:
        raise InputError("no case has a geometry to draw; pass cases with geometries")
    return frame


def _countries() -> gpd.GeoDataFrame:
    from ..boundaries import load_boundaries

    return load_boundaries()


def _draw(part: gpd.GeoDataFrame, ax: Any, color: str) -> None:
    """Polygons filled, lines as lines, points as markers; barriers dashed (as the atlas)."""
    kinds = part.geometry.geom_type.str.replace("Multi", "")
    polys = part[kinds == "Polygon"]
    if len(polys):
        polys.plot(ax=ax, facecolor=color, edgecolor=color, alpha=FILL_ALPHA, linewidth=0.8)
        polys.boundary.plot(ax=ax, color=color, linewidth=0.8)
    lines = part[kinds == "LineString"]
    if len(lines):
        barrier = (
            lines["role"] == "barrier" if "role" in lines.columns else np.zeros(len(lines), bool)
        )
        if (~barrier).any():
            lines[~barrier].plot(ax=ax, color=color, linewidth=1.6)
        if barrier.any():
            lines[barrier].plot(ax=ax, color=color, linewidth=1.6, linestyle="--")
    points = part[kinds == "Point"]
    if len(points):
        points.plot(ax=ax, color=color, markersize=28, edgecolor="white", linewidth=0.6, zorder=4)


def _text(text: str) -> str:
    """Text from data, shown as written: a '$' would otherwise start mathtext."""
    return str(text).replace("$", r"\$")


def _lonlat_text(centre: tuple[float, float]) -> str:
    lon, lat = centre
    return f"{abs(lat):.2f}°{'N' if lat >= 0 else 'S'} {abs(lon):.2f}°{'E' if lon >= 0 else 'W'}"


def _nice_km(km: float) -> float:
    """1, 2 or 5 times a power of ten, at most ``km``."""
    power = 10 ** math.floor(math.log10(km))
    return max(step * power for step in (1, 2, 5) if step * power <= km)


def _scale_bar(ax: Any, x0: float, y0: float, width: float, height: float) -> None:
    """A bar of a round number of km at the lower left (true at the projection centre)."""
    km = _nice_km(width / 1000.0 * SCALE_BAR_SHARE)
    left, base = x0 + width * 0.04, y0 + height * 0.05
    length = km * 1000.0
    ax.plot(
        [left, left + length],
        [base, base],
        color="black",
        linewidth=3,
        solid_capstyle="butt",
        zorder=6,
    )
    ax.plot(
        [left, left + length],
        [base, base],
        color="white",
        linewidth=1,
        solid_capstyle="butt",
        zorder=6,
    )
    label = f"{km:g} km"
    ax.text(
        left + length / 2,
        base + height * 0.015,
        label,
        ha="center",
        va="bottom",
        fontsize=8,
        zorder=6,
    )


def _north_arrow(ax: Any) -> None:
    """An arrow pointing up, which in this projection is north at the centre."""
    ax.annotate(
        "N",
        xy=(0.95, 0.93),
        xytext=(0.95, 0.81),
        xycoords="axes fraction",
        ha="center",
        va="center",
        fontsize=10,
        fontweight="bold",
        arrowprops={"arrowstyle": "-|>", "color": "black", "linewidth": 1.5},
        zorder=6,
    )
