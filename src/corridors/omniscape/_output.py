"""Turning summed currents into Omniscape.jl's maps, and writing them strip by strip.

Normalised current is cumulative current divided by flow potential (0 where both
are 0), computed after every tile is added. Cells that are NoData in the resistance
are set to NoData in every map when ``mask_nodata`` is true. Files carry the
resistance raster's CRS and transform and Omniscape.jl's NoData value, -9999; maps
returned to Python use NaN instead.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np
import numpy.typing as npt

from .._typing import FloatArray

#: Omniscape.jl's (and Circuitscape's) NoData value in every map it writes.
NODATA = -9999.0

MAP_NAMES = ("cum_currmap", "flow_potential", "normalized_cum_currmap", "classified_resistance")


def finish_maps(
    current: FloatArray,
    flow: FloatArray | None,
    nodata: npt.NDArray[np.bool_],
    *,
    flow_potential: bool,
    normalized: bool,
    mask_nodata: bool,
) -> dict[str, FloatArray]:
    """The final maps of a strip of rows (NaN where masked)."""
    out: dict[str, FloatArray] = {"cum_currmap": current.copy()}
    if normalized:
        assert flow is not None
        with np.errstate(divide="ignore", invalid="ignore"):
            norm = current / flow
        norm[np.isnan(norm)] = 0.0
        out["normalized_cum_currmap"] = norm
    if flow_potential:
        assert flow is not None
        out["flow_potential"] = flow.copy()
    if mask_nodata:
        for arr in out.values():
            arr[nodata] = np.nan
    return out


class GridWriter:
    """Writes one map, strip by strip, to a temporary file renamed into place at the end.

    Parameters
    ----------
    path : Path
        ``.tif`` (GeoTIFF, LZW-compressed as Omniscape.jl writes) or ``.asc``.
    shape : (int, int)
    transform : affine.Affine
    crs : rasterio CRS or None
    dtype : numpy dtype
        float64 or float32 (Omniscape.jl's ``precision``).
    """

    def __init__(
        self, path: Path, shape: tuple[int, int], transform: Any, crs: Any, dtype: Any
    ) -> None:
        self.path = Path(path)
        self.shape = shape
        self.dtype = np.dtype(dtype)
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=self.path.parent)
        os.close(fd)
        self.tmp = Path(tmp)
        self._ds: Any = None
        self._fh: Any = None
        if self.path.suffix.lower() == ".tif":
            import rasterio  # deferred: rasterio

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self._ds = rasterio.open(
                    self.tmp,
                    "w",
                    driver="GTiff",
                    height=shape[0],
                    width=shape[1],
                    count=1,
                    dtype=self.dtype.name,
                    crs=crs,
                    transform=transform,
                    nodata=NODATA,
                    compress="lzw",
                )
        else:
            self._fh = open(self.tmp, "w", encoding="ascii", newline="\n")  # noqa: SIM115
            self._fh.write(_ascii_header(shape, transform))

    def write(self, row0: int, values: FloatArray) -> None:
        """Write rows ``row0 ..`` (NaN is written as NoData)."""
        v = np.where(np.isnan(values), NODATA, values).astype(self.dtype)
        if self._ds is not None:
            from rasterio.windows import Window  # deferred: rasterio

            self._ds.write(v, 1, window=Window(0, row0, v.shape[1], v.shape[0]))
            return
        fmt = repr if self.dtype == np.float64 else (lambda x: f"{x:.9g}")
        for row in v.tolist():
            self._fh.write(" ".join("-9999" if x == NODATA else fmt(x) for x in row))
            self._fh.write("\n")

    def close(self, *, commit: bool) -> None:
        """Finish the file: rename it into place, or remove it."""
        if self._ds is not None:
            self._ds.close()
            self._ds = None
        if self._fh is not None:
            self._fh.close()
            self._fh = None
        if commit:
            # mkstemp creates 0600 files; give the map the usual permissions.
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(self.tmp, 0o666 & ~umask)
            os.replace(self.tmp, self.path)
        else:
            self.tmp.unlink(missing_ok=True)

    def __enter__(self) -> GridWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close(commit=exc_type is None)


def _ascii_header(shape: tuple[int, int], transform: Any) -> str:
    nrows, ncols = shape
    if transform is None:
        x0, y0, dx, dy = 0.0, 0.0, 1.0, 1.0
    else:
        dx, dy = float(transform.a), float(-transform.e)
        x0 = float(transform.c)
        y0 = float(transform.f) - nrows * dy
    lines = [f"ncols         {ncols}", f"nrows         {nrows}"]
    lines += [f"xllcorner     {x0!r}", f"yllcorner     {y0!r}"]
    if np.isclose(dx, dy, rtol=1e-9):
        lines.append(f"cellsize      {dx!r}")
    else:
        lines += [f"dx            {dx!r}", f"dy            {dy!r}"]
    lines.append("NODATA_value  -9999")
    return "\n".join(lines) + "\n"
