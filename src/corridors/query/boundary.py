"""What a boundary can be: turn the many ways of naming one into lon/lat geometries.

:func:`resolve_boundary` turns a file, a frame, a geometry, ISO codes, a border or a
bounding box into a :class:`Boundary` (EPSG:4326); :mod:`corridors.query` re-exports
both. A :class:`Boundary` also carries the structures the query routes derive from it
(indexes, tiles, edge pieces, segment tables), built on first use and typed, so that
asking again about the same boundary costs nothing.
"""

from __future__ import annotations

import functools
import math
import os
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import geopandas as gpd
import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry.base import BaseGeometry

from ..boundaries import border, countries_index, country
from ..crs import as_crs, to_wgs84
from ..errors import BoundaryError, CorridorsWarning, CRSError, DataFileError, InputError
from ._antimeridian import split_antimeridian

if TYPE_CHECKING:  # types of the cached structures only: those modules import this one
    from ._edges import EdgePieces
    from ._fast.areal import EdgeTables
    from ._fast.linear import Network

__all__ = [
    "Boundary",
    "BoundaryRepairedWarning",
    "CaseRepairedWarning",
    "bundled_countries",
    "read_vector",
    "resolve_boundary",
    "single_geometry",
]

Kind = Literal["areal", "linear"]

_ISO3 = re.compile(r"^[A-Za-z]{3}$")
_BORDER = re.compile(r"^\s*([A-Za-z]{3})\s*[-/]\s*([A-Za-z]{3})\s*$")
_ISO_LIST = re.compile(r"^\s*[A-Za-z]{3}(\s*[,+]\s*[A-Za-z]{3})+\s*$")


#: Vector file suffixes listed when a directory is given where a file is expected.
_VECTOR_SUFFIXES = (".geojson", ".json", ".gpkg", ".shp", ".fgb", ".kml", ".gml", ".csv")
#: Files named in that message.
_MAX_FILES_LISTED = 5


class BoundaryRepairedWarning(CorridorsWarning):
    """An invalid boundary geometry was repaired with ``shapely.make_valid``."""


class CaseRepairedWarning(CorridorsWarning):
    """Invalid case geometries that GEOS could not work with were repaired with
    ``shapely.make_valid`` for the query (the rows returned keep the originals)."""


@dataclass(frozen=True, eq=False)
class Boundary:
    """A resolved boundary: lon/lat geometries (EPSG:4326) of one kind.

    Attributes
    ----------
    kind : {"areal", "linear"}
        Areal boundaries (countries, reserves, drawn polygons, boxes) enclose an area;
        linear ones (borders, roads, rails, fences, rivers) are lines.
    geoms : numpy.ndarray of shapely geometries
        Areal: one valid (Multi)Polygon per feature; each feature is its own boundary.
        Linear: the single LineStrings of every feature, treated together as one
        network (so a crossing at a vertex where two road segments meet is seen).
    labels : list of str
        One label per element of ``geoms`` (the feature it came from).
    name : str
        How to name the boundary in messages and in the ``boundary`` column.
    sides : tuple of two geometries, optional
        For the border between two countries, the two countries (areal), so a case with
        sites on both sides counts as crossing the border.
    tree : shapely.STRtree, optional
        A cached index over ``geoms`` (the bundled countries come with one).
    """

    kind: Kind
    geoms: NDArray[np.object_]
    labels: list[str]
    name: str
    sides: tuple[BaseGeometry, BaseGeometry] | None = None
    tree: shapely.STRtree | None = field(default=None, repr=False)
    #: Structures derived from ``geoms`` by the query routes, built on first use.
    _caches: _Caches = field(init=False, default_factory=lambda: _Caches(), repr=False)

    def __len__(self) -> int:
        return len(self.geoms)


@dataclass(eq=False)
class _Caches:
    """What the query routes derive from a boundary's geometries, filled on first use.

    Each structure depends only on ``Boundary.geoms``, which never change, so it is
    built once per boundary; the modules that build them own their types.
    """

    #: An index over ``geoms`` when the boundary came without one.
    tree: shapely.STRtree | None = None
    #: Pieces of ``geoms`` clipped to grid cells: (feature, level, ix, iy) -> piece.
    tiles: dict[tuple[int, ...], BaseGeometry] = field(default_factory=dict)
    #: Areal: the rings of every feature cut into short indexed pieces.
    edges: EdgePieces | None = None
    #: Areal: the segment tables of those rings (speed route).
    edge_tables: EdgeTables | None = None
    #: Linear: the segments of the lines and what is derived from them (speed route).
    network: Network | None = None


def caches(boundary: Boundary) -> _Caches:
    """The derived structures of ``boundary`` (for the query routes, not for users)."""
    return boundary._caches


def resolve_boundary(boundary: Any, *, crs: Any = None, label: str | None = None) -> Boundary:
    """Turn anything that names a boundary into a :class:`Boundary` in EPSG:4326.

    Parameters
    ----------
    boundary
        One of:

        * a GeoDataFrame or GeoSeries in any CRS (reprojected to longitude/latitude);
        * a shapely geometry, with ``crs=`` saying what its coordinates are (a bare
          geometry without a CRS is refused);
        * a path (``str`` or ``os.PathLike``) to any vector file pyogrio reads;
        * an ISO 3166-1 alpha-3 country code (``"TKM"``), several codes (``["TKM",
          "UZB"]`` or ``"TKM,UZB"``: their union as one region), resolved through the
          bundled Natural Earth boundaries;
        * the border between two countries, ``"TKM-UZB"`` (or the frame returned by
          :func:`corridors.border`), as a line;
        * a bounding box ``(min_lon, min_lat, max_lon, max_lat)`` in degrees (or in
          ``crs`` if given); ``min_lon > max_lon`` means a box across the antimeridian;
        * a :class:`Boundary` (returned unchanged).
    crs : optional
        The CRS of a shapely geometry or bounding box (anything pyproj accepts).
    label : str, optional
        Column of a GeoDataFrame whose values label its features in results (default:
        ``iso_a3`` or ``name`` when present, else the index).

    Returns
    -------
    Boundary

    Raises
    ------
    UnknownCountryError
        Unknown ISO code (the message lists close matches).
    CRSError
        A geometry without a CRS, or a projected CRS whose coordinates look like degrees.
    DataFileError
        A file that does not exist or cannot be read, or a directory.
    BoundaryError
        Empty geometry, points only, areas mixed with lines, or geometry that cannot be
        repaired; a coordinate that is not a number, infinite, or (in a geographic CRS)
        outside longitude/latitude ranges: latitude in [-90, 90], longitude in [-180,
        180], for lines and polygons up to ±360 (data that runs on across the
        antimeridian). The message names the file, every such feature (index and
        label column) and its first bad coordinate. Invalid geometry is repaired with
        ``make_valid`` and a :class:`BoundaryRepairedWarning`.
    """
    if isinstance(boundary, Boundary):
        return boundary
    if isinstance(boundary, gpd.GeoDataFrame | gpd.GeoSeries):
        if _is_bundled(boundary) and label is None:
            return bundled_countries()
        return _from_frame(boundary, label=label, name=_frame_name(boundary))
    if isinstance(boundary, BaseGeometry):
        if crs is None:
            raise CRSError(
                f"a bare shapely geometry ({boundary.geom_type}) has no CRS; pass it with "
                "crs=, e.g. crossing(cases, geom, crs='EPSG:4326') for longitude/latitude, "
                "or wrap it in a GeoSeries([geom], crs=...)"
            )
        series = gpd.GeoSeries([boundary], crs=as_crs(crs))
        return _from_frame(series, label=None, name=f"<{boundary.geom_type}>", drop_hint="")
    if isinstance(boundary, str) and not os.path.exists(boundary):
        return _from_string(boundary)
    if isinstance(boundary, str | os.PathLike):
        return _from_file(Path(boundary), label=label)
    if _is_bbox(boundary):
        return _from_bbox(tuple(float(v) for v in boundary), crs=crs)
    if isinstance(boundary, Sequence) and boundary and all(isinstance(c, str) for c in boundary):
        return _from_codes(list(boundary))
    raise BoundaryError(
        f"cannot use {_short(boundary)} as a boundary; pass a GeoDataFrame, a shapely "
        "geometry with crs=, a file path, ISO alpha-3 codes ('TKM', ['TKM', 'UZB']), a "
        "border 'TKM-UZB' or a bounding box (min_lon, min_lat, max_lon, max_lat)"
    )


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _is_bbox(value: Any) -> bool:
    if isinstance(value, str) or not isinstance(value, Sequence | np.ndarray):
        return False
    if len(value) != 4:
        return False
    return all(isinstance(v, int | float | np.number) and not isinstance(v, bool) for v in value)


def _frame_name(frame: gpd.GeoDataFrame | gpd.GeoSeries) -> str:
    if isinstance(frame, gpd.GeoDataFrame) and {"a", "b"} <= set(frame.columns) and len(frame):
        return f"{frame['a'].iloc[0]}-{frame['b'].iloc[0]}"
    return "<GeoDataFrame>" if isinstance(frame, gpd.GeoDataFrame) else "<GeoSeries>"


def _from_string(text: str) -> Boundary:
    if _ISO3.match(text.strip()):
        return _from_codes([text.strip()])
    match = _BORDER.match(text)
    if match:
        return _from_border(match.group(1), match.group(2))
    if _ISO_LIST.match(text):
        return _from_codes([c.strip() for c in re.split(r"[,+]", text)])
    if any(sep in text for sep in ("/", "\\", ".")):
        raise DataFileError(
            f"boundary file {text!r} does not exist; check the path (vector files that "
            "pyogrio reads: GeoJSON, GeoPackage, Shapefile, ...)"
        )
    raise BoundaryError(
        f"cannot use {text!r} as a boundary: it is neither an existing file, an ISO "
        "alpha-3 code ('TKM'), a list of codes ('TKM,UZB') nor a border ('TKM-UZB')"
    )


def _from_codes(codes: list[str]) -> Boundary:
    rows = country(codes)
    codes_up = [str(c) for c in rows["iso_a3"]]
    if len(rows) == 1:
        _, frame = countries_index()
        geom = frame.geometry.values[frame.index[frame["iso_a3"] == codes_up[0]][0]]
    else:
        geom = shapely.union_all(rows.geometry.values)
    name = "+".join(codes_up)
    return Boundary("areal", np.array([geom], dtype=object), [name], name)


@functools.lru_cache(maxsize=1)
def bundled_countries() -> Boundary:
    """Every bundled country as its own areal boundary, with the cached index."""
    tree, frame = countries_index()
    return Boundary(
        "areal",
        np.asarray(frame.geometry.values, dtype=object),
        [str(c) for c in frame["iso_a3"]],
        "countries",
        tree=tree,
    )


def _is_bundled(frame: gpd.GeoDataFrame | gpd.GeoSeries) -> bool:
    """Whether ``frame`` holds exactly the bundled countries (cached, valid, indexed)."""
    if not isinstance(frame, gpd.GeoDataFrame) or "iso_a3" not in frame.columns:
        return False
    cached = bundled_countries()
    geoms = frame.geometry.values
    return (
        len(geoms) == len(cached.geoms)
        and all(a is b for a, b in zip(geoms, cached.geoms, strict=True))
        and frame.crs is not None
        and frame.crs.to_epsg() == 4326
    )


def _from_border(a: str, b: str) -> Boundary:
    line = border(a, b)
    sides = country([a, b]).geometry.values
    boundary = _from_frame(line, label=None, name=f"{line['a'].iloc[0]}-{line['b'].iloc[0]}")
    return Boundary(
        "linear", boundary.geoms, boundary.labels, boundary.name, sides=(sides[0], sides[1])
    )


def _from_file(path: Path, *, label: str | None) -> Boundary:
    frame = read_vector(path, what="boundary file")
    return _from_frame(
        frame,
        label=label,
        name=path.name,
        what=f"boundary file {str(path)!r}",
        drop_hint="delete them from the file",
    )


def read_vector(path: Path, *, what: str) -> gpd.GeoDataFrame:
    """Read a vector file, refusing a missing path or a directory with a clear message.

    Raises
    ------
    DataFileError
        If ``path`` does not exist, is a directory that is not a vector dataset, or
        cannot be read.
    """
    if path.is_dir() and path.suffix.lower() != ".gdb":  # a FileGDB is a directory
        found = sorted(
            p.name for p in path.iterdir() if p.is_file() and p.suffix.lower() in _VECTOR_SUFFIXES
        )
        listed = ", ".join(found[:_MAX_FILES_LISTED]) + (" ..." if len(found) > 5 else "")
        raise DataFileError(
            f"{what} {str(path)!r} is a directory, not a vector file; pass a file "
            + (f"in it ({listed})" if found else "(GeoJSON, GeoPackage, Shapefile, ...)")
        )
    if not path.exists():
        raise DataFileError(f"{what} {str(path)!r} does not exist; check the path")
    try:
        with warnings.catch_warnings():
            # GEOS warns while decoding NaN coordinates; they are reported by feature
            # once the frame is read.
            warnings.filterwarnings("ignore", "invalid value encountered", RuntimeWarning)
            return gpd.read_file(path, engine="pyogrio")
    except Exception as exc:  # pyogrio raises DataSourceError and friends
        raise DataFileError(
            f"cannot read {what} {str(path)!r}: {exc}; pass a vector file that "
            "pyogrio reads (GeoJSON, GeoPackage, Shapefile, ...)"
        ) from exc


def _from_bbox(bounds: tuple[float, ...], *, crs: Any) -> Boundary:
    minx, miny, maxx, maxy = bounds
    if not all(math.isfinite(v) for v in bounds):
        raise BoundaryError(f"bounding box {bounds} has a value that is not a finite number")
    if miny >= maxy or (crs is not None and minx >= maxx):
        raise BoundaryError(
            f"bounding box {bounds} is empty: pass (min_lon, min_lat, max_lon, max_lat) "
            "with min < max"
        )
    name = f"bbox({minx:g}, {miny:g}, {maxx:g}, {maxy:g})"
    if crs is not None:
        series = gpd.GeoSeries([shapely.box(minx, miny, maxx, maxy)], crs=as_crs(crs))
        return _from_frame(series, label=None, name=name)
    if not (-180 <= minx <= 180 and -180 <= maxx <= 180 and -90 <= miny < maxy <= 90):
        raise BoundaryError(
            f"bounding box {bounds} is not in longitude/latitude degrees; pass crs= with "
            "the CRS its coordinates are in"
        )
    if minx < maxx:
        geom: BaseGeometry = shapely.box(minx, miny, maxx, maxy)
    elif minx > maxx:  # across the antimeridian
        geom = shapely.MultiPolygon(
            [shapely.box(minx, miny, 180.0, maxy), shapely.box(-180.0, miny, maxx, maxy)]
        )
    else:
        raise BoundaryError(f"bounding box {bounds} has no width")
    return Boundary("areal", np.array([geom], dtype=object), [name], name)


def _labels(frame: gpd.GeoDataFrame | gpd.GeoSeries, label: str | None) -> list[str]:
    if isinstance(frame, gpd.GeoDataFrame):
        if label is not None:
            if label not in frame.columns:
                raise InputError(
                    f"label column {label!r} is not in the boundary's columns {list(frame.columns)}"
                )
            return [str(v) for v in frame[label]]
        for col in ("iso_a3", "name"):
            if col in frame.columns:
                return [str(v) for v in frame[col]]
    return [str(v) for v in frame.index]


def _from_frame(
    frame: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    label: str | None,
    name: str,
    what: str | None = None,
    drop_hint: str | None = None,
) -> Boundary:
    what = what or f"boundary {name}"
    if len(frame) == 0:
        raise BoundaryError(f"{what} has no features")
    labels = _labels(frame, label)
    frame = to_wgs84(frame, what=what, check=BoundaryError, id_column=label, drop_hint=drop_hint)
    geoms = np.asarray(frame.geometry.values, dtype=object)
    keep = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if not keep.any():
        raise BoundaryError(f"{what} has only empty geometries; nothing to query")
    geoms, labels = geoms[keep], [lab for lab, k in zip(labels, keep, strict=True) if k]
    geoms = split_antimeridian(geoms)
    invalid = ~shapely.is_valid(geoms)
    if invalid.any():
        reasons = shapely.is_valid_reason(geoms[invalid])
        warnings.warn(
            f"{what}: {int(invalid.sum())} invalid geometr"
            f"{'y' if invalid.sum() == 1 else 'ies'} repaired with make_valid "
            f"(first: {reasons[0]})",
            BoundaryRepairedWarning,
            stacklevel=3,
        )
        geoms = geoms.copy()
        geoms[invalid] = shapely.make_valid(geoms[invalid])
    dims = shapely.get_dimensions(geoms)
    parts, owner = _flat(geoms)
    types = shapely.get_type_id(parts)
    has_area = bool((types == 3).any())
    has_line = bool((types == 1).any() | (types == 2).any())
    if has_area and has_line and np.any(dims == 1):
        raise BoundaryError(
            f"{what} mixes areas (polygons) and lines; query them separately, "
            "e.g. frame[frame.geom_type.str.contains('Polygon')]"
        )
    if has_area:
        polys = [
            shapely.MultiPolygon(list(parts[(owner == i) & (types == 3)]))
            if np.count_nonzero((owner == i) & (types == 3)) > 1
            else parts[(owner == i) & (types == 3)][0]
            for i in range(len(geoms))
            if np.any((owner == i) & (types == 3))
        ]
        kept = [i for i in range(len(geoms)) if np.any((owner == i) & (types == 3))]
        return Boundary("areal", np.asarray(polys, dtype=object), [labels[i] for i in kept], name)
    if has_line:
        lines = (types == 1) | (types == 2)
        line_parts = parts[lines]
        if len(line_parts) == 0 or np.all(shapely.length(line_parts) == 0):
            raise BoundaryError(f"{what} has only zero-length lines")
        return Boundary(
            "linear",
            np.asarray(line_parts, dtype=object),
            [labels[i] for i in owner[lines]],
            name,
        )
    raise BoundaryError(
        f"{what} holds only points; points enclose nothing and cross nothing. "
        "To find cases around a point use near(cases, point, distance_km=...)"
    )


def _flat(geoms: NDArray[np.object_]) -> tuple[NDArray[np.object_], NDArray[np.intp]]:
    first, fidx = shapely.get_parts(geoms, return_index=True)
    parts, pidx = shapely.get_parts(first, return_index=True)
    return np.asarray(parts, dtype=object), fidx[pidx]


def single_geometry(geometry: Any, *, crs: Any = None, what: str = "geometry") -> BaseGeometry:
    """One lon/lat geometry (EPSG:4326) from a geometry with ``crs``, a frame or a path.

    Frames and files may hold any geometry, points included (all their features are
    taken together); anything else goes through :func:`resolve_boundary`.

    Raises
    ------
    InputError
        If nothing is left once missing and empty geometries are dropped, or a
        coordinate is not a number, infinite or outside longitude/latitude ranges.
    """
    drop_hint: str | None = None
    if isinstance(geometry, BaseGeometry):
        if crs is None:
            raise CRSError(
                f"a bare shapely geometry ({geometry.geom_type}) has no CRS; pass crs=, "
                "e.g. near(cases, Point(lon, lat), distance_km=50, crs='EPSG:4326')"
            )
        frame: gpd.GeoDataFrame | gpd.GeoSeries = gpd.GeoSeries([geometry], crs=as_crs(crs))
        drop_hint = ""
    elif isinstance(geometry, gpd.GeoDataFrame | gpd.GeoSeries):
        frame = geometry
    elif isinstance(geometry, Boundary):
        return shapely.union_all(geometry.geoms)
    elif isinstance(geometry, os.PathLike) or (
        isinstance(geometry, str) and os.path.exists(geometry)
    ):
        path = Path(geometry)
        frame = read_vector(path, what=f"{what} file")
        what = f"{what} file {str(path)!r}"
        drop_hint = "delete them from the file"
    else:
        b = resolve_boundary(geometry, crs=crs)
        return shapely.union_all(b.geoms)
    series = to_wgs84(frame, what=what, check=InputError, drop_hint=drop_hint).geometry
    geoms = np.asarray(series.values, dtype=object)
    geoms = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
    if len(geoms) == 0:
        raise InputError(
            f"{what} is empty (no feature has a geometry); nothing to measure distances to: "
            "pass a geometry with coordinates, e.g. Point(lon, lat) with crs='EPSG:4326'"
        )
    geoms = split_antimeridian(geoms)
    invalid = ~shapely.is_valid(geoms)
    if invalid.any():
        warnings.warn(
            f"{what}: invalid geometry repaired with make_valid",
            BoundaryRepairedWarning,
            stacklevel=3,
        )
        geoms[invalid] = shapely.make_valid(geoms[invalid])
    return shapely.union_all(geoms) if len(geoms) > 1 else geoms[0]
