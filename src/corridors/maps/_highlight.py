"""The highlighted query result of an atlas, its boundary and where the cases cross it.

Which highlighted cases cross the boundary is decided by :func:`corridors.query.crossing`
(the package's one definition of crossing, with its tolerance); the marks drawn for
them are where they meet the boundary exactly, in longitude/latitude (EPSG:4326). See
:func:`add_highlight` for why the marks and the count can differ.
"""

from __future__ import annotations

import html
from typing import Any, Final

import folium
import geopandas as gpd
from folium.map import Layer
from shapely.geometry.base import BaseGeometry

from .. import schema
from ..query import DEFAULT_TOLERANCE_KM, Boundary, crossing, resolve_boundary
from ._elements import DataLayer
from ._encoding import text
from ._payload import as_frame, build_payload, count_cases, frame_bounds

__all__ = ["CROSSING_COLOR", "HIGHLIGHT_COLOR", "add_highlight"]

# Yellow: apart from every colour of the atlas palette, and bright under the red marks.
HIGHLIGHT_COLOR: Final = "#ffd92f"
# Red for the boundary and the crossing marks, apart from the palette and the yellow.
CROSSING_COLOR: Final = "#d62728"
# The boundary and the marks are kept to 4 decimals of a degree (at most 11 m), finer
# than the 1 km the bundled boundaries are known to.
MARK_DIGITS: Final = 4
# The highlight's pane: above Leaflet's vector overlays (400), below markers (600).
HIGHLIGHT_PANE: Final = "caHighlight"
HIGHLIGHT_PANE_Z: Final = 450
# Columns of catalogue rows (the schema's case and feature fields, plus the two that
# corridors.load_cases derives per case); any other column of a highlighted frame is the
# query's explanation of the match and is shown in its popups.
CATALOGUE_COLUMNS: Final = frozenset(
    (*schema.CASE_FIELDS, *schema.FEATURE_FIELDS, "roles", "n_features", "geometry")
)


def add_highlight(
    m: folium.Map,
    result: Any,
    boundary: Any,
    name: str,
    *,
    tolerance_km: float = DEFAULT_TOLERANCE_KM,
) -> tuple[float, float, float, float] | None:
    """Draw a query result, and the boundary it was about with crossing marks, on ``m``.

    Parameters
    ----------
    m : folium.Map
        The atlas.
    result : GeoDataFrame
        The highlighted cases, any CRS (drawn in EPSG:4326).
    boundary : anything :func:`corridors.query.resolve_boundary` accepts, or None
        The boundary the query was about; a shapely geometry is taken as lon/lat.
    name : str
        Name of the highlight layer.
    tolerance_km : float
        Tolerance of the crossing test (km) that picks the cases to mark.

    Returns
    -------
    tuple of float or None
        (west, south, east, north) of the highlighted cases in degrees, to fit the map
        to; None when there are none.

    Notes
    -----
    A case gets crossing marks only when :func:`corridors.query.crossing` matches it
    against ``boundary`` with ``tolerance_km``: a highlighted case that merely touches
    or approaches the boundary (a result of ``near`` or ``intersecting``, say) gets none.
    The marks of a matched case are the exact intersection, in longitude/latitude (the
    query package's geometry: edges straight in lon/lat), of the case with the line, or
    with the edge of an area: points where its lines meet it, stretches of the line
    inside its polygons. They can differ from what ``crossing`` counts, because
    ``crossing`` judges a case as a whole within a tolerance band and reports no
    locations through its public API: a matched case is marked wherever it meets the
    boundary, touches narrower than the tolerance included; a case matched for lying
    deep in both countries of a border while the border line does not enter it has
    nothing to mark.
    """
    frame = as_frame(result, what="highlight")
    group = folium.FeatureGroup(name=html.escape(name), show=True)
    m.add_child(group)
    why = [c for c in frame.columns if c not in CATALOGUE_COLUMNS and c != frame.geometry.name]
    if len(frame):
        payload = build_payload(
            frame,
            color=HIGHLIGHT_COLOR,
            popup=True,
            tooltip=True,
            precision=None,
            simplify_km="auto",
            roles=["highlight"] * len(frame),
            why_columns=why,
            searchable=False,
        )
        payload["noFilter"] = True
        payload["pane"], payload["paneZ"] = HIGHLIGHT_PANE, HIGHLIGHT_PANE_Z
        group.add_child(
            DataLayer(
                payload,
                name=name,
                legend=(name, HIGHLIGHT_COLOR, count_cases(frame)),
                bounds=frame_bounds(frame),
            )
        )
    if boundary is None:
        return frame_bounds(frame)
    bnd = _resolve(boundary)
    marks = _boundary_and_marks(frame, bnd, tolerance_km=tolerance_km)
    payload = build_payload(
        marks[["name", "geometry"]],
        color=CROSSING_COLOR,
        popup=["name"],
        tooltip="name",
        precision=MARK_DIGITS,
        simplify_km=None,
        roles=marks["role"].tolist(),
        searchable=False,
    )
    payload["pane"], payload["paneZ"] = HIGHLIGHT_PANE, HIGHLIGHT_PANE_Z
    group.add_child(DataLayer(payload, name=f"{name}: boundary", bounds=frame_bounds(marks)))
    for child in list(group._children.values()):
        if isinstance(child, Layer):
            child.control = False
    return frame_bounds(frame)


def _resolve(value: Any) -> Boundary:
    """Resolve a boundary as the query functions do (a bare geometry taken as lon/lat)."""
    crs = "EPSG:4326" if isinstance(value, BaseGeometry) else None
    return resolve_boundary(value, crs=crs)


def _boundary_and_marks(
    frame: gpd.GeoDataFrame, bnd: Boundary, *, tolerance_km: float
) -> gpd.GeoDataFrame:
    """The boundary (role "border") and the crossing marks (role "crossing"), EPSG:4326."""
    lines = gpd.GeoDataFrame({"name": list(bnd.labels)}, geometry=list(bnd.geoms), crs="EPSG:4326")
    line_geom = lines.geometry.union_all()
    edge = line_geom.boundary if line_geom.geom_type.endswith("Polygon") else line_geom
    rows: list[dict[str, Any]] = [
        {"name": f"Boundary: {bnd.name!s}", "geometry": line_geom, "role": "border"}
    ]
    # Asked by position: the highlighted frame's index need not be unique.
    probe = gpd.GeoDataFrame(geometry=list(frame.geometry.array), crs="EPSG:4326")
    crossed = set(crossing(probe, bnd, tolerance_km=tolerance_km).index.tolist())
    names = frame["name"].tolist() if "name" in frame.columns else [None] * len(frame)
    for i, (case_name, geom) in enumerate(zip(names, frame.geometry.array, strict=True)):
        if i not in crossed or geom is None or geom.is_empty:
            continue
        cross = geom.intersection(edge)
        if not cross.is_empty:
            rows.append(
                {
                    "name": f"Crossing: {text(case_name) or 'case'}",
                    "geometry": cross,
                    "role": "crossing",
                }
            )
    return gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")
