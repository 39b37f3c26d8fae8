"""Where planned roads, railways, canals or fences cut corridors or case areas.

Each connected piece of a line inside a corridor polygon is one crossing. The crossing
point is where the line meets the corridor's least-cost path (when the corridor comes
from a :class:`CorridorNetwork`), otherwise the point of the piece farthest from the
corridor's edge. The corridor's width there is twice that greatest distance to the edge
(the diameter of the widest circle centred on the line that fits in the corridor): for a
band of width ``w`` crossed at any angle it is ``w``. Crossings are ranked as candidate
sites for crossing structures: highest pinch-point current first, then narrowest.

This is not :func:`corridors.query.crossing`, on purpose, and the answers differ:

* **What is counted.** Here one row per connected piece of line inside a polygon (each a
  site for a structure, with its width and current); the query gives one row per case
  (its ``n_crossings`` counts the same stretches of a line inside the case's polygons).
* **Where it is measured.** Here planar, in the corridors' own CRS (least-cost
  corridors come from a projected raster, their edges straight in metres), or in a
  local azimuthal equidistant projection around the lines for longitude/latitude
  input; the query reprojects to longitude/latitude, where straight projected edges
  would bend, and measures geodesically.
* **Tolerance.** Here a piece counts from :data:`_MIN_PIECE_M` inside: corridors are
  model output on the grid of cells, not generalised borders, and the query's 1 km
  default tolerance would drop the crossings of corridors narrower than 2 km. A stretch
  of line along a polygon's edge is in the intersection and counts here; it does not
  meet the interior, so ``crossing(..., tolerance_km=0)`` would not count it.
* **Line against line** (``kind="route"``): every point where the two meet counts,
  touching included, as ``corridors.query.intersecting`` would; the query's
  ``crossing`` asks for a passage from one side to the other.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from shapely.geometry.base import BaseGeometry

from ..crs import as_crs, check_coordinates, ensure_crs, local_crs, looks_like_degrees
from ..errors import CorridorsWarning, CRSError, InputError
from ..query.boundary import read_vector
from ._corridors import CorridorNetwork
from ._raster import cells_of

__all__ = ["CROSSING_COLUMNS", "infrastructure_crossings"]

CROSSING_COLUMNS = [
    "rank",
    "line_id",
    "line_name",
    "kind",
    "corridor_id",
    "corridor_name",
    "case_id",
    "width_km",
    "crossing_length_km",
    "pinch_score",
]

_SAMPLES = 200  # points per crossing piece when measuring width and pinch score
#: Pieces shorter than this (metres) are a line grazing a corner, not a crossing.
_MIN_PIECE_M = 1.0
#: Geometry type ids that hold a line to cross with: lines, rings and polygons (by
#: their boundary); a collection counts when it holds one of them.
_LINE_TYPES = (1, 2, 3, 5, 6)
_COLLECTION = 7
#: Features named one by one in a message about features that are not lines.
_MAX_NAMED = 10


def infrastructure_crossings(
    corridors: CorridorNetwork | gpd.GeoDataFrame | gpd.GeoSeries,
    lines: gpd.GeoDataFrame | gpd.GeoSeries | BaseGeometry | str | os.PathLike[str],
    *,
    crs: Any = None,
    line_name_column: str | None = None,
    corridor_name_column: str | None = None,
) -> gpd.GeoDataFrame:
    """Every place where a line (road, railway, canal, fence) crosses a corridor or area.

    Parameters
    ----------
    corridors : CorridorNetwork, GeoDataFrame or GeoSeries
        A corridor network (its truncated corridor polygons, least-cost paths and
        pinch-point raster are used), or polygons such as exported corridors or the
        catalogue's case areas (``corridors.load_features()`` rows with role ``area``).
        Line rows (the catalogue's ``route`` features) count as corridors of unknown
        width: a crossing is where the two lines meet (``kind="route"``, ``width_km`` NaN).
        Point rows are ignored.
    lines : GeoDataFrame, GeoSeries, shapely geometry or path
        Line features with a CRS, reprojected to the CRS of ``corridors`` when it
        differs; or a vector file of them; or one shapely line (a planned road), whose
        coordinates are in ``crs``, or, without ``crs``, in the CRS of ``corridors``.
        Polygons count by their boundary (a fenced enclosure). Features without a line
        (points, missing or empty geometry) are left out with a
        :class:`~corridors.errors.CorridorsWarning`; if no feature has one, the call is
        refused.
    crs : optional
        The CRS of ``lines`` when it is a bare shapely geometry (anything pyproj
        accepts); default: the CRS of ``corridors``.
    line_name_column, corridor_name_column : str, optional
        Columns naming the lines and polygons; by default ``feature_name`` or ``name``
        when present.

    Returns
    -------
    GeoDataFrame
        One point per crossing, in the CRS of ``corridors``, sorted by ``rank`` (1 = the
        strongest candidate for a crossing structure): ``line_id`` / ``line_name`` (the
        line's ``feature_id`` or index), ``kind`` (``"corridor"``, ``"area"`` or ``"route"``),
        ``corridor_id`` (``link_id``, ``feature_id`` or index), ``corridor_name``,
        ``case_id`` (when known), ``width_km`` (corridor width at the crossing),
        ``crossing_length_km`` (length of line inside the corridor), ``pinch_score``
        (highest current along that length, A; NaN without a pinch-point raster). Empty
        when nothing crosses.

    Raises
    ------
    CRSError
        ``corridors`` or ``lines`` without a CRS, or a bare line whose coordinates look
        like longitude/latitude while ``corridors`` is projected (pass ``crs=``).
    InputError
        ``lines`` of the wrong type, with no line at all (only points, missing or empty
        geometries: the message names the features), or a coordinate that is not a
        number, infinite or outside longitude/latitude ranges.
    DataFileError
        ``lines`` a path that does not exist, is a directory or cannot be read.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> from corridors import leastcost
    >>> areas = gpd.GeoSeries([shapely.box(0, 0, 1000, 1000)], crs="EPSG:32633")
    >>> road = shapely.LineString([(-500, 500), (1500, 500)])  # in the areas' CRS
    >>> len(leastcost.infrastructure_crossings(areas, road))
    1
    """
    polys, pinch = _polygons(corridors, corridor_name_column)
    out_crs = polys.crs
    lines = _lines(lines, out_crs, line_name_column, crs=crs)
    empty = gpd.GeoDataFrame(
        {c: pd.Series(dtype=object) for c in CROSSING_COLUMNS},
        geometry=gpd.GeoSeries([], crs=out_crs),
    )
    if polys.empty or lines.empty:
        return empty
    work = _working_crs(polys, lines)
    polys_w = polys.to_crs(work) if work != out_crs else polys
    lines_w = lines.to_crs(work) if work != out_crs else lines
    factor = _metres(work)
    records = []
    tree = shapely.STRtree(polys_w.geometry.values)
    for li, line in enumerate(lines_w.geometry.values):
        for pi in tree.query(line, predicate="intersects"):
            poly = polys_w.geometry.values[pi]
            kind = polys["kind"].iloc[pi]
            if kind == "route":
                found = [
                    {
                        "width_km": np.nan,
                        "crossing_length_km": 0.0,
                        "pinch_score": np.nan,
                        "geometry": point,
                    }
                    for point in _meeting_points(line.intersection(poly))
                ]
            else:
                found = [
                    _measure(piece, poly, polys_w.iloc[pi], pinch, factor, work, out_crs)
                    for piece in _pieces(line.intersection(poly))
                    if piece.length * factor >= _MIN_PIECE_M
                ]
            for rec in found:
                rec.update(
                    line_id=lines["line_id"].iloc[li],
                    line_name=lines["line_name"].iloc[li],
                    kind=kind,
                    corridor_id=polys["corridor_id"].iloc[pi],
                    corridor_name=polys["corridor_name"].iloc[pi],
                    case_id=polys["case_id"].iloc[pi],
                )
                records.append(rec)
    if not records:
        return empty
    frame = gpd.GeoDataFrame(records, geometry="geometry", crs=work)
    if work != out_crs:
        frame = frame.to_crs(out_crs)
    score = frame["pinch_score"].fillna(-np.inf)
    x, y = frame.geometry.x, frame.geometry.y
    order = np.lexsort((y, x, frame["crossing_length_km"], frame["width_km"], -score))
    frame = frame.iloc[order].reset_index(drop=True)
    frame["rank"] = np.arange(1, len(frame) + 1)
    return frame[[*CROSSING_COLUMNS, "geometry"]]


def _polygons(
    corridors: Any, name_column: str | None
) -> tuple[gpd.GeoDataFrame, tuple[np.ndarray, Any, CRS] | None]:
    if isinstance(corridors, CorridorNetwork):
        c = corridors.corridors
        paths = corridors.links.set_index("link_id").geometry
        frame = gpd.GeoDataFrame(
            {
                "corridor_id": c["link_id"].tolist(),
                "corridor_name": [
                    f"{a} – {b}" for a, b in zip(c["core_a"], c["core_b"], strict=True)
                ],
                "case_id": [None] * len(c),
                "path": [paths.get(i) for i in c["link_id"]],
            },
            geometry=list(c.geometry),
            crs=corridors.crs,
        )
        frame["kind"] = "corridor"
        pinch = (
            (corridors.pinch, corridors.transform, corridors.crs)
            if corridors.pinch is not None
            else None
        )
        return frame, pinch
    if isinstance(corridors, gpd.GeoSeries):
        corridors = gpd.GeoDataFrame(geometry=corridors)
    if not isinstance(corridors, gpd.GeoDataFrame):
        raise InputError(
            "corridors must be a CorridorNetwork or a GeoDataFrame of polygons, got "
            f"{type(corridors).__name__}"
        )
    ensure_crs(corridors, what="the corridors")
    check_coordinates(
        corridors,
        what="the corridors",
        ranges=bool(CRS.from_user_input(corridors.crs).is_geographic),
    )
    keep = corridors.geometry.notna() & corridors.geom_type.isin(
        ["Polygon", "MultiPolygon", "LineString", "MultiLineString"]
    )
    src = corridors[keep]
    ids = (
        src["link_id"]
        if "link_id" in src
        else src["feature_id"]
        if "feature_id" in src
        else pd.Series(src.index, index=src.index)
    )
    is_line = src.geom_type.isin(["LineString", "MultiLineString"]).to_numpy()
    area_kind = "corridor" if "link_id" in src else "area"
    frame = gpd.GeoDataFrame(
        {
            "kind": np.where(is_line, "route", area_kind).tolist(),
            "corridor_id": ids.tolist(),
            "corridor_name": _names(src, name_column, ids),
            "case_id": src["case_id"].tolist() if "case_id" in src else [None] * len(src),
            "path": [None] * len(src),
        },
        geometry=[
            g if line else shapely.make_valid(g)
            for g, line in zip(src.geometry, is_line, strict=True)
        ],
        crs=corridors.crs,
    )
    return frame, None


def _names(frame: gpd.GeoDataFrame, column: str | None, ids: pd.Series) -> list[Any]:
    if column is not None:
        if column not in frame:
            raise InputError(f"no column {column!r} to name the features by")
        return frame[column].tolist()
    for col in ("feature_name", "name"):
        if col in frame:
            return frame[col].tolist()
    return [str(i) for i in ids]


def _lines(lines: Any, out_crs: CRS, name_column: str | None, *, crs: Any) -> gpd.GeoDataFrame:
    what, drop_hint = "the lines layer", None
    if isinstance(lines, str | os.PathLike):
        path = Path(lines)
        lines = read_vector(path, what="lines file")
        what, drop_hint = f"lines file {str(path)!r}", "delete them from the file"
    elif isinstance(lines, BaseGeometry):
        lines = _bare_line(lines, out_crs, crs)
        what, drop_hint = f"the line ({lines.geom_type.iloc[0]})", ""
    if isinstance(lines, gpd.GeoSeries):
        lines = gpd.GeoDataFrame(geometry=lines)
    if not isinstance(lines, gpd.GeoDataFrame):
        raise InputError(
            "lines must be a GeoDataFrame or GeoSeries with a CRS, a vector file or one "
            f"shapely line, got {type(lines).__name__}; for several shapely lines pass "
            "gpd.GeoSeries([...], crs=...)"
        )
    if lines.crs is None:
        raise CRSError(f"{what}: no CRS; set one with .set_crs(...) before crossing them")
    ensure_crs(lines, what=what)
    check_coordinates(
        lines,
        what=what,
        ranges=bool(CRS.from_user_input(lines.crs).is_geographic),
        drop_hint=drop_hint,
    )
    lines = _only_lines(lines, what)
    if not CRS.from_user_input(lines.crs).equals(out_crs):
        lines = lines.to_crs(out_crs)
    geoms = [
        g.boundary if isinstance(g, shapely.Polygon | shapely.MultiPolygon) else g
        for g in lines.geometry
    ]
    ids = (
        lines["feature_id"] if "feature_id" in lines else pd.Series(lines.index, index=lines.index)
    )
    return gpd.GeoDataFrame(
        {"line_id": ids.tolist(), "line_name": _names(lines, name_column, ids)},
        geometry=geoms,
        crs=out_crs,
    )


def _bare_line(line: BaseGeometry, out_crs: CRS, crs: Any) -> gpd.GeoSeries:
    """A bare shapely line as a GeoSeries: in ``crs``, else in the corridors' CRS."""
    if crs is not None:
        return gpd.GeoSeries([line], crs=as_crs(crs))
    if (
        out_crs.is_projected
        and not line.is_empty
        and looks_like_degrees(line.bounds)
        and max(line.bounds[2] - line.bounds[0], line.bounds[3] - line.bounds[1]) > 1e-3
    ):
        raise CRSError(
            f"the line's coordinates {tuple(round(v, 4) for v in line.bounds)} look like "
            f"longitude/latitude, but a bare shapely line takes the CRS of the corridors "
            f"({out_crs.to_string()}, projected); pass crs='EPSG:4326' if they are degrees"
        )
    return gpd.GeoSeries([line], crs=out_crs)


def _only_lines(lines: gpd.GeoDataFrame, what: str) -> gpd.GeoDataFrame:
    """The features that hold a line; the others named, in a warning or (none left) an
    InputError."""
    geoms = np.asarray(lines.geometry.values, dtype=object)
    types = shapely.get_type_id(geoms)
    missing = shapely.is_missing(geoms)
    empty = ~missing & shapely.is_empty(geoms)
    usable = ~missing & ~empty & np.isin(types, _LINE_TYPES)
    coll = np.flatnonzero(~missing & ~empty & (types == _COLLECTION))
    usable[coll] = shapely.get_dimensions(geoms[coll]) >= 1
    if usable.all():
        return lines
    groups = {
        "no geometry": np.flatnonzero(missing),
        "an empty geometry": np.flatnonzero(empty),
        "points only": np.flatnonzero(~missing & ~empty & ~usable),
    }
    named = "; ".join(
        f"{_features(lines.index[pos])} {'has' if len(pos) == 1 else 'have'} {kind}"
        for kind, pos in groups.items()
        if len(pos)
    )
    if not usable.any():
        raise InputError(
            f"no line to cross corridors with in {what}: {named}. Crossings need a "
            "line layer (roads, railways, canals or fences as LineStrings or "
            "MultiLineStrings; polygons count by their boundary)"
        )
    warnings.warn(
        f"{what}: {int((~usable).sum())} of {len(usable)} features without a line are "
        f"left out: {named}",
        CorridorsWarning,
        stacklevel=4,
    )
    return lines[usable]


def _features(index: pd.Index) -> str:
    labels = [repr(v) if isinstance(v, str) else str(v) for v in index[:_MAX_NAMED]]
    more = f" and {len(index) - _MAX_NAMED} more" if len(index) > _MAX_NAMED else ""
    return f"feature{'s' if len(index) > 1 else ''} {', '.join(labels)}{more}"


def _working_crs(polys: gpd.GeoDataFrame, lines: gpd.GeoDataFrame) -> CRS:
    crs = CRS.from_user_input(polys.crs)
    if crs.is_projected:
        return crs
    # Geographic input: measure in a local equidistant projection centred on the lines.
    centre = shapely.union_all(lines.geometry.values).envelope.centroid
    return local_crs(float(centre.x), float(centre.y))


def _metres(crs: CRS) -> float:
    for axis in crs.axis_info:
        if axis.unit_conversion_factor:
            return float(axis.unit_conversion_factor)
    return 1.0


def _pieces(geom: BaseGeometry) -> list[BaseGeometry]:
    """Connected line pieces of an intersection; touching points are not crossings."""
    if geom.is_empty:
        return []
    lines = [g for g in shapely.get_parts(geom) if g.geom_type == "LineString" and g.length > 0]
    if not lines:
        return []
    merged = shapely.line_merge(shapely.MultiLineString(lines)) if len(lines) > 1 else lines[0]
    return [g for g in shapely.get_parts(merged) if g.length > 0]


def _meeting_points(geom: BaseGeometry) -> list[BaseGeometry]:
    """Where a line meets a route line: crossing points, or the middle of shared stretches."""
    out = []
    for part in shapely.get_parts(geom):
        if part.geom_type == "Point":
            out.append(part)
        elif part.geom_type == "LineString" and part.length > 0:
            out.append(part.interpolate(0.5, normalized=True))
    return out


def _measure(
    piece: BaseGeometry,
    poly: BaseGeometry,
    row: pd.Series,
    pinch: tuple[np.ndarray, Any, CRS] | None,
    factor: float,
    work: CRS,
    out_crs: CRS,
) -> dict[str, Any]:
    n = _SAMPLES
    if pinch is not None:
        # At least two samples per raster cell so no cell's current is skipped.
        n = min(max(n, int(2 * piece.length / abs(pinch[1].a)) + 2), 200_000)
    dist = np.linspace(0.0, piece.length, n)
    pts = shapely.line_interpolate_point(piece, dist)  # type: ignore[call-overload]
    to_edge = shapely.distance(pts, poly.boundary)
    best = int(np.argmax(to_edge))
    point = pts[best]
    path = row.get("path")
    if path is not None and not path.is_empty:
        hit = [g for g in shapely.get_parts(piece.intersection(path)) if g.geom_type == "Point"]
        if hit:
            # Several hits (a path that zigzags along the road): take the one nearest the middle.
            point = min(hit, key=lambda p: p.distance(pts[len(pts) // 2]))
    score = np.nan
    if pinch is not None:
        raster, transform, raster_crs = pinch
        xy = shapely.get_coordinates(pts)
        if not CRS.from_user_input(raster_crs).equals(work):
            xy = shapely.get_coordinates(gpd.GeoSeries(pts, crs=work).to_crs(raster_crs).values)
        r, c = cells_of(transform, xy[:, 0], xy[:, 1])
        ok = (r >= 0) & (r < raster.shape[0]) & (c >= 0) & (c < raster.shape[1])
        if ok.any():
            score = float(np.nanmax(raster[r[ok], c[ok]]))
    return {
        "width_km": 2.0 * float(to_edge[best]) * factor / 1000.0,
        "crossing_length_km": float(piece.length) * factor / 1000.0,
        "pinch_score": score,
        "geometry": point,
    }
