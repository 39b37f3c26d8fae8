"""Writing results with Circuitscape's file names and formats."""

from __future__ import annotations

import io
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from .._io import atomic_write_bytes, atomic_write_text, check_output
from .._typing import FloatArray
from ..errors import OutputError
from ._raster_io import NODATA, GridMeta, encode_ascii_grid, format_number, write_geotiff


@dataclass
class MapOptions:
    """How maps are post-processed and written (the INI's output options)."""

    write_cur_maps: bool = False
    write_volt_maps: bool = False
    write_cum_cur_map_only: bool = False
    write_max_cur_maps: bool = False
    null_currents_to_nodata: bool = False
    null_voltages_to_nodata: bool = False
    focal_node_currents_to_zero: bool = False
    compress_grids: bool = False
    log_transform_maps: bool = False
    write_as_tif: bool = False
    also_geotiff: bool = False

    @property
    def currents_needed(self) -> bool:
        """Whether current maps must be computed at all."""
        return self.write_cur_maps or self.write_cum_cur_map_only or self.write_max_cur_maps


def process_current_map(cmap: FloatArray, g: FloatArray, opts: MapOptions) -> FloatArray:
    """Apply log transform and null-to-nodata to a current map, as Circuitscape does."""
    out = cmap.copy()
    if opts.log_transform_maps:
        with np.errstate(divide="ignore"):
            out = np.where(out > 0, np.log10(np.where(out > 0, out, 1.0)), NODATA)
    if opts.null_currents_to_nodata:
        out[g == 0] = NODATA
    return out


def process_voltage_map(vmap: FloatArray, g: FloatArray, opts: MapOptions) -> FloatArray:
    """Apply null-to-nodata to a voltage map."""
    out = vmap.copy()
    if opts.null_voltages_to_nodata:
        out[g == 0] = NODATA
    return out


def grid_extensions(opts: MapOptions) -> list[str]:
    """The file extensions each map is written with."""
    if opts.write_as_tif:
        return [".tif"]
    return [".asc.gz" if opts.compress_grids else ".asc"] + ([".tif"] if opts.also_geotiff else [])


def planned_outputs(scenario: str, data_type: str, opts: MapOptions) -> list[str]:
    """Glob patterns, after ``{prefix}_``, of every file a job with these settings writes.

    ``*`` stands for focal node ids (``curmap_*`` covers ``curmap_1_2``). ``opts`` are the
    job's switches as :func:`corridors.circuit._run.map_options` returns them.
    """
    if data_type == "network":
        if scenario == "advanced":
            names = ["voltages.txt"] if opts.write_volt_maps else []
            if opts.write_cur_maps:
                names += ["node_currents.txt", "branch_currents.txt"]
            return names
        names = ["resistances.out", "resistances_3columns.out"]
        if opts.write_volt_maps:
            names.append("voltages_*.txt")
        if opts.write_cur_maps:
            names += ["node_currents_*.txt", "branch_currents_*.txt"]
        return names
    if scenario == "advanced":
        stems = ["voltmap"] if opts.write_volt_maps else []
        if opts.currents_needed:
            stems.append("curmap")
        names = []
    else:
        names = ["resistances.out"]
        if scenario == "pairwise":
            names.append("resistances_3columns.out")
        stems = ["voltmap_*"] if opts.write_volt_maps else []
        if opts.write_cur_maps and not opts.write_cum_cur_map_only:
            stems.append("curmap_*")
        if opts.currents_needed:
            stems.append("cum_curmap")
        if opts.currents_needed and opts.write_max_cur_maps:
            stems.append("max_curmap")
    return names + [stem + ext for stem in stems for ext in grid_extensions(opts)]


#: Threads that format and write ASCII maps while the job goes on: the compiled writer
#: and file writes release the GIL, and two keep both cores of a small machine busy.
WRITE_THREADS = 2
#: Maps queued for writing at most; the job waits beyond that, so that a job with many
#: pairs never holds more than this many extra maps in memory.
MAX_QUEUED_MAPS = 4


@dataclass
class Writer:
    """Writes output files under a Circuitscape prefix (``output/job`` -> ``output/job_*``).

    Every file is checked just before it is written: it must not be one of ``inputs``
    (same path, symlink or hard link), and must not exist yet unless ``overwrite``.
    ASCII maps are formatted and written in background threads (each file still
    atomically); :attr:`files` waits for them and raises the first error.
    """

    prefix: Path
    meta: GridMeta | None
    opts: MapOptions
    inputs: tuple[Path, ...] = ()
    overwrite: bool = False
    _files: list[Path] = field(default_factory=list, repr=False)
    # The last ASCII grid encoded; a one-pair job's cumulative map equals its pair map,
    # and formatting millions of numbers is the slowest part of writing.
    _last: tuple[FloatArray, Future[bytes]] | None = field(default=None, repr=False)
    _pool: ThreadPoolExecutor | None = field(default=None, repr=False)
    _queued: list[Future[Path]] = field(default_factory=list, repr=False)

    @property
    def files(self) -> list[Path]:
        """Every file written, in order, once the maps still being written are done."""
        self.drain()
        return list(self._files)

    def drain(self) -> None:
        """Wait for the maps being written; raise the first error among them."""
        queued, self._queued = self._queued, []
        try:
            for future in queued:
                future.result()
        finally:
            if self._pool is not None:
                self._pool.shutdown(wait=True)
                self._pool = None

    def _submit(self, func, *args, **kwargs) -> Future:  # type: ignore[no-untyped-def]
        if self._pool is None:
            self._pool = ThreadPoolExecutor(WRITE_THREADS, thread_name_prefix="corridors-write")
        return self._pool.submit(func, *args, **kwargs)

    def _grid_path(self, stem: str, ext: str) -> Path:
        return Path(f"{self.prefix}_{stem}{ext}")

    def _target(self, path: Path) -> Path:
        folder = self.prefix.parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(
                f"cannot create the output folder {folder}: {exc.strerror or exc}; choose "
                "another output folder"
            ) from None
        # A file this job already wrote may be written again (never happens today).
        again = path in self._files
        return check_output(path, inputs=self.inputs, overwrite=self.overwrite or again)

    def grid(self, stem: str, values: FloatArray) -> None:
        """Write one map, e.g. ``stem = "curmap_1_2"``."""
        assert self.meta is not None
        if self.opts.write_as_tif:
            path = self._target(self._grid_path(stem, ".tif"))
            self._files.append(write_geotiff(path, values, self.meta))
            return
        ext = ".asc.gz" if self.opts.compress_grids else ".asc"
        path = self._target(self._grid_path(stem, ext))
        if self._last is not None and np.array_equal(self._last[0], values):
            data = self._last[1]
        else:
            # Callers pass freshly processed arrays (process_*_map copy), so holding a
            # reference while a thread formats it is safe and costs no extra grid.
            data = self._submit(
                encode_ascii_grid, values, self.meta, compress=self.opts.compress_grids
            )
            self._last = (values, data)
        while len(self._queued) >= MAX_QUEUED_MAPS:
            self._queued.pop(0).result()
        self._queued.append(self._submit(_write_when_encoded, path, data))
        self._files.append(path)
        if self.opts.also_geotiff:
            tif = self._target(self._grid_path(stem, ".tif"))
            self._files.append(write_geotiff(tif, values, self.meta))

    def text(self, name: str, content: str) -> None:
        """Write a text file named ``{prefix}_{name}``."""
        path = self._target(Path(f"{self.prefix}_{name}"))
        self._files.append(atomic_write_text(path, content))


def _write_when_encoded(path: Path, data: Future[bytes]) -> Path:
    """Write a map's bytes, atomically, once its formatting (another task) is done."""
    return atomic_write_bytes(path, data.result())


def table_text(rows: npt.ArrayLike, *, sep: str = " ") -> str:
    """Format a numeric table with Circuitscape's number formatting."""
    arr = np.atleast_2d(np.asarray(rows, dtype=np.float64))
    buf = io.StringIO()
    for row in arr:
        buf.write(sep.join(format_number(x) for x in row))
        buf.write("\n")
    return buf.getvalue()


def resistance_matrix_table(ids: npt.ArrayLike, r: FloatArray) -> FloatArray:
    """The pairwise resistance matrix padded with the ids (first row and column)."""
    ids_arr = np.asarray(ids, dtype=np.float64)
    k = ids_arr.size
    out = np.zeros((k + 1, k + 1))
    out[0, 1:] = ids_arr
    out[1:, 0] = ids_arr
    out[1:, 1:] = r
    return out


def three_columns(ids: npt.ArrayLike, r: FloatArray) -> FloatArray:
    """The upper triangle of a resistance matrix as ``id1 id2 resistance`` rows."""
    ids_arr = np.asarray(ids, dtype=np.float64)
    iu, ju = np.triu_indices(ids_arr.size, k=1)
    return np.column_stack([ids_arr[iu], ids_arr[ju], r[iu, ju]])
