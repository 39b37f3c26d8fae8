"""Least-cost corridors between cores, in the manner of Linkage Mapper.

For each linked pair of cores A and B the normalised least-cost corridor is
``CWD_A + CWD_B - LCD_AB``: 0 along the least-cost path, and for any other cell the
extra cost of the cheapest route from A to B through that cell. Cells within ``cutoff``
of the best route form the truncated corridor, which is polygonised and in which the
current between A and B shows the pinch points.

One pass over the cores computes everything: core ``k``'s cost distance is computed
once, used for the paths to later cores, combined with the stored cost distances of
earlier cores into their corridors, and kept (as float32) only while a later core still
needs it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from affine import Affine
from pyproj import CRS

from .._typing import BoolArray, FloatArray
from ..errors import InputError, warn
from ._cost import _Engine, allocate
from ._errors import UnreachableCoresWarning
from ._paths import path_record
from ._pinch import _pairwise_current
from ._raster import Cores, ResistanceSurface, cell_centres, rasterize_cores, read_resistance

__all__ = ["CorridorNetwork", "corridor_network"]


LINK_COLUMNS = [
    "link_id",
    "core_a",
    "core_b",
    "cost",
    "length_km",
    "euclidean_km",
    "cost_to_euclidean",
    "cutoff",
    "corridor_area_km2",
    "max_current",
]


@dataclass(frozen=True)
class CorridorNetwork:
    """Cores, the links between them, their corridors and pinch points.

    All tables are in the raster CRS (projected); rasters are (rows, cols) on the
    resistance grid.

    Attributes
    ----------
    cores : GeoDataFrame
        ``core_id``, ``n_cells``, ``area_km2``, ``n_links``; geometry of each core.
    links : GeoDataFrame
        Kept links: ``link_id`` (1..n), ``core_a < core_b``, ``cost`` (least-cost
        distance, resistance x metres), ``length_km`` (least-cost path length),
        ``euclidean_km`` (edge to edge), ``cost_to_euclidean``, ``cutoff`` (corridor
        width cut-off, cost units), ``corridor_area_km2``, ``max_current`` (highest
        current in the corridor outside the cores, amperes for 1 A between the cores,
        NaN without pinch points); geometry: the least-cost path.
    candidates : DataFrame
        Every pair considered: ``core_a``, ``core_b``, ``cost``, ``status`` (``"kept"``,
        ``"unreachable"``, ``"through_core"``, ``"pruned"``) and ``via`` (the core a
        dropped path runs through).
    corridors : GeoDataFrame
        ``link_id``, ``core_a``, ``core_b``, ``cutoff``, ``area_km2``; geometry: the
        truncated corridor as a (Multi)Polygon.
    mosaic : ndarray of float64
        Normalised corridor value, minimum over links (cost units); ``inf`` where no
        corridor reaches.
    pinch : ndarray of float64 or None
        Highest current over links in each cell (A), 0 outside corridors and in cores.
    pinch_link : ndarray of int32 or None
        ``link_id`` whose current gives ``pinch`` (0 where none).
    pinch_points : GeoDataFrame
        Top pinch locations: ``rank``, ``score`` (current, A), ``link_id``, ``core_a``,
        ``core_b``; geometry: cell-centre points.
    transform : affine.Affine
    crs : pyproj.CRS
    neighbors : int
    """

    cores: gpd.GeoDataFrame
    links: gpd.GeoDataFrame
    candidates: pd.DataFrame
    corridors: gpd.GeoDataFrame
    mosaic: FloatArray
    pinch: FloatArray | None
    pinch_link: npt.NDArray[np.int32] | None
    pinch_points: gpd.GeoDataFrame
    transform: Affine
    crs: CRS
    neighbors: int

    @property
    def truncated(self) -> FloatArray:
        """The mosaic with cells beyond each corridor's cut-off set to NaN."""
        out = self.mosaic.copy()
        out[~np.isfinite(out)] = np.nan
        if len(self.corridors):
            limit = float(self.corridors["cutoff"].max())
            out[out > limit] = np.nan
        return out


def corridor_network(
    resistance: Any,
    cores: Any,
    *,
    neighbors: int = 8,
    adjacency: Literal["cost", "euclidean", "all"] = "cost",
    k_nearest: int | None = None,
    drop_through_cores: bool = True,
    cutoff: float | None = None,
    cutoff_fraction: float = 0.1,
    pinch_points: bool = True,
    n_pinch_points: int = 10,
    pinch_min_distance: int = 3,
    transform: Affine | None = None,
    crs: Any = None,
    nodata: float | None = None,
    id_column: str | None = None,
) -> CorridorNetwork:
    """Map least-cost corridors and pinch points between habitat cores.

    Parameters
    ----------
    resistance : ndarray, raster path or ResistanceSurface
        Resistance > 0 per cell, (rows, cols), projected CRS; nodata / NaN / inf cells
        are barriers. See :func:`read_resistance`.
    cores : GeoDataFrame, GeoSeries, geometries or label raster
        The habitat cores (points or polygons). See :func:`rasterize_cores`.
    neighbors : {8, 4}
    adjacency : {"cost", "euclidean", "all"}
        Which pairs of cores to consider linking: those whose cost-allocation zones
        touch (Linkage Mapper's cost-weighted adjacency), those whose Euclidean
        allocation zones touch, or every pair.
    k_nearest : int, optional
        Keep only links to each core's ``k`` nearest neighbours by least-cost distance
        (a link survives if either end keeps it).
    drop_through_cores : bool
        Drop a link whose least-cost path passes through a third core (the two shorter
        links through that core cover it).
    cutoff : float, optional
        Corridor width cut-off in cost units (resistance x metres): cells whose
        normalised corridor value exceeds it are outside the corridor. By default
        ``cutoff_fraction`` of each link's least-cost distance.
    cutoff_fraction : float
        Relative cut-off used when ``cutoff`` is None.
    pinch_points : bool
        Compute the current between each pair inside its truncated corridor.
    n_pinch_points : int
        How many top pinch locations to return.
    pinch_min_distance : int
        Minimum spacing of pinch locations, in cells.
    transform, crs, nodata, id_column
        See :func:`read_resistance` and :func:`rasterize_cores`.

    Returns
    -------
    CorridorNetwork
        The results do not depend on the order of the cores (they are sorted by id).

    Warns
    -----
    UnreachableCoresWarning
        When candidate pairs cannot reach each other or a core ends with no link.
    """
    if adjacency not in ("cost", "euclidean", "all"):
        raise InputError(f"adjacency must be 'cost', 'euclidean' or 'all', got {adjacency!r}")
    if k_nearest is not None and k_nearest < 1:
        raise InputError(f"k_nearest must be >= 1, got {k_nearest!r}")
    if cutoff is not None and not cutoff > 0:
        raise InputError(f"cutoff must be > 0 (cost units), got {cutoff!r}")
    if not cutoff_fraction > 0:
        raise InputError(f"cutoff_fraction must be > 0, got {cutoff_fraction!r}")
    surface = read_resistance(resistance, transform=transform, crs=crs, nodata=nodata)
    core_set = rasterize_cores(cores, surface, id_column=id_column)
    n = len(core_set.ids)
    if n < 2:
        raise InputError(f"need at least two cores to map corridors, got {n}")
    engine = _Engine(surface, neighbors)
    pairs = _candidate_pairs(engine, core_set, surface, adjacency)
    return _Builder(
        engine=engine,
        surface=surface,
        cores=core_set,
        pairs=pairs,
        k_nearest=k_nearest,
        drop_through_cores=drop_through_cores,
        cutoff=cutoff,
        cutoff_fraction=cutoff_fraction,
        pinch_points=pinch_points,
    ).build(n_pinch_points=n_pinch_points, min_distance=pinch_min_distance)


def _candidate_pairs(
    engine: _Engine, cores: Cores, surface: ResistanceSurface, adjacency: str
) -> list[tuple[int, int]]:
    n = len(cores.ids)
    if adjacency == "all":
        return [(a, b) for a in range(1, n + 1) for b in range(a + 1, n + 1)]
    if adjacency == "cost":
        allocation = allocate(engine.run(np.concatenate(cores.cells)), cores.labels)
    else:
        from scipy.ndimage import distance_transform_edt  # deferred: scipy

        idx = distance_transform_edt(
            cores.labels == 0,
            sampling=surface.cell_size,
            return_distances=False,
            return_indices=True,
        )
        allocation = cores.labels[idx[0], idx[1]]
    return _touching(allocation, n, diagonal=engine.neighbors == 8)


def _touching(zones: npt.NDArray[np.int32], n: int, *, diagonal: bool) -> list[tuple[int, int]]:
    """Pairs of zone labels (> 0) that share an edge (or a corner if ``diagonal``)."""
    codes = []
    views = [(zones[:, :-1], zones[:, 1:]), (zones[:-1, :], zones[1:, :])]
    if diagonal:
        views += [(zones[:-1, :-1], zones[1:, 1:]), (zones[:-1, 1:], zones[1:, :-1])]
    for p, q in views:
        ok = (p > 0) & (q > 0) & (p != q)
        lo = np.minimum(p[ok], q[ok]).astype(np.int64)
        hi = np.maximum(p[ok], q[ok]).astype(np.int64)
        codes.append(np.unique(lo * (n + 1) + hi))
    both = np.unique(np.concatenate(codes)) if codes else np.empty(0, dtype=np.int64)
    return [(int(c // (n + 1)), int(c % (n + 1))) for c in both]


class _Builder:
    """State of the one pass over the cores (internal)."""

    def __init__(
        self,
        *,
        engine: _Engine,
        surface: ResistanceSurface,
        cores: Cores,
        pairs: list[tuple[int, int]],
        k_nearest: int | None,
        drop_through_cores: bool,
        cutoff: float | None,
        cutoff_fraction: float,
        pinch_points: bool,
    ) -> None:
        self.engine = engine
        self.surface = surface
        self.cores = cores
        self.pairs = pairs
        self.k_nearest = k_nearest
        self.drop = drop_through_cores
        self.cutoff = cutoff
        self.fraction = cutoff_fraction
        self.do_pinch = pinch_points
        self.records: dict[tuple[int, int], dict[str, Any]] = {}
        self.status: dict[tuple[int, int], str] = {}
        self.via: dict[tuple[int, int], Any] = {}
        self.knn: dict[int, set[tuple[int, int]]] = {}
        shape = surface.shape
        self.mosaic = np.full(shape, np.inf)
        self.pinch = np.zeros(shape) if pinch_points else None
        self.pinch_link = np.zeros(shape, dtype=np.int32) if pinch_points else None
        self.polygons: dict[tuple[int, int], Any] = {}
        self.areas: dict[tuple[int, int], float] = {}
        self.cutoffs: dict[tuple[int, int], float] = {}
        self.max_current: dict[tuple[int, int], float] = {}

    def build(self, *, n_pinch_points: int, min_distance: int) -> CorridorNetwork:
        n = len(self.cores.ids)
        later: dict[int, list[int]] = {k: [] for k in range(1, n + 1)}
        earlier: dict[int, list[int]] = {k: [] for k in range(1, n + 1)}
        for a, b in self.pairs:
            later[a].append(b)
            earlier[b].append(a)
        stored: dict[int, npt.NDArray[np.float32]] = {}
        last_use = {a: max(later[a], default=0) for a in range(1, n + 1)}
        link_ids: dict[tuple[int, int], int] = {}
        for k in range(1, n + 1):
            if not later[k] and not earlier[k]:
                continue
            result = self.engine.run(self.cores.cells[k - 1])
            for b in later[k]:
                self._path(result, k, b)
            self._choose_nearest(k, later[k], earlier[k])
            for a in earlier[k]:
                if self._kept(a, k):
                    link_ids[(a, k)] = len(link_ids) + 1
                    self._corridor(stored[a], result.cost, a, k, link_ids[(a, k)])
            if any(self.status[(k, b)] == "ok" for b in later[k]):
                stored[k] = result.cost.astype(np.float32)
            for a in list(stored):
                if last_use[a] <= k:
                    del stored[a]
        return self._assemble(link_ids, n_pinch_points, min_distance)

    def _path(self, result: Any, a: int, b: int) -> None:
        rec, path = path_record(result, self.cores, a, b, self.surface)
        self.records[(a, b)] = rec
        if not rec["reachable"]:
            self.status[(a, b)] = "unreachable"
            return
        if self.drop:
            on = self.cores.labels[path[:, 0], path[:, 1]]
            third = np.setdiff1d(on, [0, a, b])
            if third.size:
                self.status[(a, b)] = "through_core"
                self.via[(a, b)] = self.cores.ids[int(third[0]) - 1]
                return
        self.status[(a, b)] = "ok"

    def _choose_nearest(self, k: int, later: list[int], earlier: list[int]) -> None:
        pairs = [(k, b) for b in later] + [(a, k) for a in earlier]
        valid = [p for p in pairs if self.status.get(p) == "ok"]
        if self.k_nearest is None:
            self.knn[k] = set(valid)
            return
        # Sort by cost, then by the partner's label so ties do not depend on input order.
        valid.sort(key=lambda p: (self.records[p]["cost"], p))
        self.knn[k] = set(valid[: self.k_nearest])

    def _kept(self, a: int, b: int) -> bool:
        if self.status.get((a, b)) != "ok":
            return False
        if (a, b) in self.knn.get(a, set()) or (a, b) in self.knn.get(b, set()):
            return True
        self.status[(a, b)] = "pruned"
        return False

    def _corridor(
        self, cwd_a: npt.NDArray[np.float32], cwd_b: FloatArray, a: int, b: int, link_id: int
    ) -> None:
        lcd = float(self.records[(a, b)]["cost"])
        norm = cwd_a + cwd_b  # float64: cwd_b is float64
        norm -= lcd
        # CWD_A is stored in float32; rounding can dip a path cell just below 0.
        np.maximum(norm, 0.0, out=norm)
        np.fmin(self.mosaic, norm, out=self.mosaic)
        limit = self.cutoff if self.cutoff is not None else self.fraction * lcd
        if limit <= 0:  # touching cores: keep at least the path cells
            limit = float(np.finfo(np.float64).eps)
        self.cutoffs[(a, b)] = limit
        inside = norm <= limit
        rows = np.flatnonzero(inside.any(axis=1))
        cols = np.flatnonzero(inside.any(axis=0))
        win = (slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1))
        sub = inside[win]
        sub_transform = self.surface.transform @ Affine.translation(cols[0], rows[0])
        self.polygons[(a, b)] = _polygonise(sub, sub_transform)
        self.areas[(a, b)] = float(sub.sum()) * self.surface.cell_area_km2
        if self.pinch is None or self.pinch_link is None:
            return
        labels = self.cores.labels[win]
        resist = np.where(sub, self.surface.values[win], np.inf)
        current = _pairwise_current(
            resist, sub & (labels == a), sub & (labels == b), neighbors=self.engine.neighbors
        )
        # Cores are the terminals, not pinch points: their cells carry no score.
        current[labels > 0] = 0.0
        self.max_current[(a, b)] = float(current.max()) if current.size else 0.0
        region = self.pinch[win]
        better = current > region
        region[better] = current[better]
        self.pinch_link[win][better] = link_id

    def _assemble(
        self, link_ids: dict[tuple[int, int], int], n_pinch: int, min_distance: int
    ) -> CorridorNetwork:
        crs = self.surface.crs
        ids = self.cores.ids
        kept = sorted(link_ids, key=lambda p: link_ids[p])
        link_rows = []
        corridor_rows = []
        for pair in kept:
            rec = dict(self.records[pair])
            rec["link_id"] = link_ids[pair]
            rec["cutoff"] = self.cutoffs[pair]
            rec["corridor_area_km2"] = self.areas[pair]
            rec["max_current"] = self.max_current.get(pair, np.nan)
            link_rows.append(rec)
            corridor_rows.append(
                {
                    "link_id": link_ids[pair],
                    "core_a": rec["core_a"],
                    "core_b": rec["core_b"],
                    "cutoff": self.cutoffs[pair],
                    "area_km2": self.areas[pair],
                    "geometry": self.polygons[pair],
                }
            )
        links = _frame(link_rows, LINK_COLUMNS, crs)
        corridors = _frame(
            corridor_rows, ["link_id", "core_a", "core_b", "cutoff", "area_km2"], crs
        )
        candidates = pd.DataFrame(
            [
                {
                    "core_a": ids[a - 1],
                    "core_b": ids[b - 1],
                    "cost": self.records[(a, b)]["cost"] if (a, b) in self.records else np.nan,
                    "status": "kept"
                    if (a, b) in link_ids
                    else self.status.get((a, b), "pruned").replace("ok", "pruned"),
                    "via": self.via.get((a, b)),
                }
                for a, b in self.pairs
            ],
            columns=["core_a", "core_b", "cost", "status", "via"],
        )
        frame = self.cores.frame.copy()
        counts = pd.concat([links["core_a"], links["core_b"]]).value_counts()
        frame["n_links"] = [int(counts.get(cid, 0)) for cid in frame["core_id"]]
        self._warn(candidates, frame)
        points = _pinch_points(self, links, n_pinch, min_distance)
        return CorridorNetwork(
            cores=frame,
            links=links,
            candidates=candidates,
            corridors=corridors,
            mosaic=self.mosaic,
            pinch=self.pinch,
            pinch_link=self.pinch_link,
            pinch_points=points,
            transform=self.surface.transform,
            crs=crs,
            neighbors=self.engine.neighbors,
        )

    def _warn(self, candidates: pd.DataFrame, cores: gpd.GeoDataFrame) -> None:
        bad = candidates[candidates["status"] == "unreachable"]
        lonely = cores.loc[cores["n_links"] == 0, "core_id"].tolist()
        if len(bad) or lonely:
            parts = []
            if len(bad):
                pairs = [f"{a}-{b}" for a, b in zip(bad["core_a"], bad["core_b"], strict=True)]
                parts.append(f"{len(bad)} pair(s) cannot reach each other: {', '.join(pairs[:10])}")
            if lonely:
                parts.append(f"core(s) {lonely[:10]} have no corridor")
            warn(  # attributed to the caller's code, not to corridors
                "; ".join(parts) + " (barriers cut them off; see network.candidates)",
                UnreachableCoresWarning,
            )


def _polygonise(mask: BoolArray, transform: Affine) -> Any:
    from rasterio.features import shapes  # deferred: rasterio

    parts = [
        shapely.geometry.shape(geom)
        for geom, value in shapes(mask.astype(np.uint8), mask=mask, transform=transform)
        if value == 1
    ]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def _frame(rows: list[dict[str, Any]], columns: list[str], crs: CRS) -> gpd.GeoDataFrame:
    if not rows:
        return gpd.GeoDataFrame({c: [] for c in columns}, geometry=gpd.GeoSeries([], crs=crs))
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs=crs)
    return frame[[*columns, "geometry"]]


def _pinch_points(
    builder: _Builder, links: gpd.GeoDataFrame, n: int, min_distance: int
) -> gpd.GeoDataFrame:
    columns = ["rank", "score", "link_id", "core_a", "core_b"]
    crs = builder.surface.crs
    empty = gpd.GeoDataFrame({c: [] for c in columns}, geometry=gpd.GeoSeries([], crs=crs))
    pinch = builder.pinch
    if pinch is None or builder.pinch_link is None or n < 1 or not (pinch > 0).any():
        return empty
    from skimage.feature import peak_local_max  # deferred: scikit-image

    peaks = peak_local_max(
        pinch,
        min_distance=max(1, int(min_distance)),
        threshold_abs=0.0,
        exclude_border=False,
        num_peaks=n,
    )
    if len(peaks) == 0:
        return empty
    scores = pinch[peaks[:, 0], peaks[:, 1]]
    # Highest score first; ties broken by position so the order is reproducible.
    order = np.lexsort((peaks[:, 1], peaks[:, 0], -scores))
    peaks = peaks[order]
    scores = scores[order]
    lid = builder.pinch_link[peaks[:, 0], peaks[:, 1]]
    by_id = links.set_index("link_id")
    xs, ys = cell_centres(builder.surface.transform, peaks[:, 0], peaks[:, 1])
    return gpd.GeoDataFrame(
        {
            "rank": np.arange(1, len(peaks) + 1),
            "score": scores,
            "link_id": lid,
            "core_a": [by_id.at[int(i), "core_a"] for i in lid],
            "core_b": [by_id.at[int(i), "core_b"] for i in lid],
        },
        geometry=gpd.points_from_xy(xs, ys),
        crs=crs,
    )
