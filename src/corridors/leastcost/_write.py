"""Writing a corridor network to files: GeoJSON tables in EPSG:4326, GeoTIFF rasters."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .._io import atomic_write_bytes, atomic_write_text, check_output
from .._typing import FloatArray
from ..errors import DataFileError, OutputError
from ._corridors import CorridorNetwork
from ._network import NetworkMetrics

__all__ = ["write_network"]


def write_network(
    network: CorridorNetwork,
    directory: str | os.PathLike[str],
    *,
    metrics: NetworkMetrics | None = None,
    overwrite: bool = False,
) -> dict[str, Path]:
    """Write a corridor network's tables and rasters into ``directory`` (atomically).

    Tables are GeoJSON in EPSG:4326 (RFC 7946): ``links.geojson`` (the link table with
    costs in resistance x metres and lengths in km, least-cost paths as lines),
    ``corridors.geojson``, ``cores.geojson`` (with metrics when given) and
    ``pinch_points.geojson``; ``candidates.csv`` lists every pair considered. Rasters are
    float32 GeoTIFFs in the raster CRS: ``corridors.tif`` (the truncated mosaic, NaN
    outside) and ``pinch.tif`` (current, when computed).

    Parameters
    ----------
    network : CorridorNetwork
    directory : path-like
        An existing folder.
    metrics : NetworkMetrics, optional
        Added to ``cores.geojson``.
    overwrite : bool
        Replace files already there; by default they are kept and nothing is written.

    Returns
    -------
    dict of str to Path
        What was written, by name.

    Raises
    ------
    DataFileError
        ``directory`` is not a folder.
    OutputError
        Some of the files exist and ``overwrite`` is false (all of them are named), or
        one of them cannot be written.
    """
    folder = Path(directory)
    if not folder.is_dir():
        raise DataFileError(f"cannot write to {folder}: not a directory; create it first")
    names = [f"{name}.geojson" for name in ("links", "corridors", "cores", "pinch_points")]
    names += ["candidates.csv", "corridors.tif"] + (
        ["pinch.tif"] if network.pinch is not None else []
    )
    existing = [name for name in names if (folder / name).exists()]
    if existing and not overwrite:
        raise OutputError(
            f"{', '.join(existing)} already exist{'s' if len(existing) == 1 else ''} in "
            f"{folder}; they are kept: pass overwrite=True to replace them, or write into "
            "another folder"
        )
    for name in names:
        check_output(folder / name, overwrite=True, what="network file")
    out: dict[str, Path] = {}
    cores = network.cores
    if metrics is not None:
        extra = metrics.cores.drop(columns=["geometry", "area_km2"], errors="ignore")
        cores = cores.merge(extra, on="core_id", how="left")
    tables = {
        "links": network.links,
        "corridors": network.corridors,
        "cores": cores,
        "pinch_points": network.pinch_points,
    }
    for name, frame in tables.items():
        path = folder / f"{name}.geojson"
        wgs = (
            frame.to_crs("EPSG:4326")
            if len(frame)
            else frame.set_crs("EPSG:4326", allow_override=True)
        )
        atomic_write_text(path, wgs.to_json(drop_id=True, na="null"))
        out[name] = path
    out["candidates"] = atomic_write_text(
        folder / "candidates.csv", network.candidates.to_csv(index=False, lineterminator="\n")
    )
    out["corridors_raster"] = _write_tif(folder / "corridors.tif", network.truncated, network)
    if network.pinch is not None:
        out["pinch"] = _write_tif(folder / "pinch.tif", network.pinch, network)
    return out


def _write_tif(path: Path, values: FloatArray, network: CorridorNetwork) -> Path:
    """Write a float32, deflate-compressed GeoTIFF of a network raster (NaN NoData)."""
    from rasterio.io import MemoryFile

    data = values.astype(np.float32)
    profile = {
        "driver": "GTiff",
        "height": data.shape[0],
        "width": data.shape[1],
        "count": 1,
        "dtype": "float32",
        "crs": network.crs.to_wkt(),
        "transform": network.transform,
        "nodata": np.nan,
        "compress": "deflate",
    }
    with MemoryFile() as mem:
        with mem.open(**profile) as dst:
            dst.write(data, 1)
        blob = mem.read()
    return atomic_write_bytes(path, blob)
