"""Parsing Circuitscape INI job files into a validated :class:`Job`."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..errors import UnsupportedOptionError
from ._advanced import POLICIES
from ._errors import JobFileError
from ._outputs import MapOptions

__all__ = ["IGNORED_OPTIONS", "SUPPORTED_OPTIONS", "Job", "parse_job"]

#: Options that change what is computed or written, all implemented.
SUPPORTED_OPTIONS: frozenset[str] = frozenset(
    {
        "data_type",
        "scenario",
        "habitat_file",
        "habitat_map_is_resistances",
        "connect_four_neighbors_only",
        "connect_using_avg_resistances",
        "use_polygons",
        "polygon_file",
        "use_mask",
        "mask_file",
        "point_file",
        "use_included_pairs",
        "included_pairs_file",
        "use_variable_source_strengths",
        "variable_source_file",
        "source_file",
        "ground_file",
        "ground_file_is_resistances",
        "use_unit_currents",
        "use_direct_grounds",
        "remove_src_or_gnd",
        "output_file",
        "write_cur_maps",
        "write_volt_maps",
        "write_cum_cur_map_only",
        "write_max_cur_maps",
        "set_null_currents_to_nodata",
        "set_null_voltages_to_nodata",
        "set_focal_node_currents_to_zero",
        "compress_grids",
        "log_transform_maps",
        "write_as_tif",
        "use_reclass_table",
        "reclass_file",
    }
)

#: Options that only tune Circuitscape's own machinery (solver choice, logging,
#: parallelism, precision); they do not change the results, so they are accepted
#: and have no effect here. ``point_file_contains_polygons`` is detected from the data.
IGNORED_OPTIONS: frozenset[str] = frozenset(
    {
        "version",
        "solver",
        "low_memory_mode",
        "parallelize",
        "max_parallel",
        "print_timings",
        "print_rusages",
        "preemptive_memory_release",
        "profiler_log_file",
        "log_file",
        "log_level",
        "screenprint_log",
        "precision",
        "use_64bit_indexing",
        "cholmod_batch_size",
        "suppress_messages",
        "point_file_contains_polygons",
        "inputdir",
    }
)

_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off", ""}
_SCENARIOS = {
    "pairwise": "pairwise",
    "one-to-all": "one-to-all",
    "one_to_all": "one-to-all",
    "all-to-one": "all-to-one",
    "all_to_one": "all-to-one",
    "advanced": "advanced",
}


@dataclass
class Job:
    """A Circuitscape job, with paths resolved and switches parsed.

    Path attributes are None when the job does not use them.
    """

    ini_path: Path | None
    data_type: str = "raster"
    scenario: str = "pairwise"
    habitat_file: Path | None = None
    habitat_is_resistances: bool = True
    four_neighbors: bool = False
    avg_resistances: bool = False
    polygon_file: Path | None = None
    mask_file: Path | None = None
    point_file: Path | None = None
    included_pairs_file: Path | None = None
    variable_source_file: Path | None = None
    source_file: Path | None = None
    ground_file: Path | None = None
    ground_is_resistances: bool = True
    unit_currents: bool = False
    direct_grounds: bool = False
    policy: str = "keepall"
    output_prefix: Path | None = None
    output_file: Path | None = None
    maps: MapOptions = field(default_factory=MapOptions)
    raw: dict[str, str] = field(default_factory=dict)

    def inputs(self) -> list[tuple[str, Path]]:
        """Every file the job reads, as ``(role, path)``, the job file first."""
        roles = [
            ("job", self.ini_path),
            ("habitat", self.habitat_file),
            ("polygon", self.polygon_file),
            ("mask", self.mask_file),
            ("point", self.point_file),
            ("included pairs", self.included_pairs_file),
            ("variable source strength", self.variable_source_file),
            ("source", self.source_file),
            ("ground", self.ground_file),
        ]
        return [(role, path) for role, path in roles if path is not None]


def _where(ini: Path | None) -> str:
    return str(ini) if ini is not None else "<job>"


def _bool(raw: dict[str, str], key: str, default: bool, ini: Path | None) -> bool:
    value = raw.get(key)
    if value is None:
        return default
    v = value.strip().lower()
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    raise JobFileError(
        f"{_where(ini)}: option {key} = {value!r} is not a boolean; write True or False"
    )


def _is_unset(value: str | None) -> bool:
    if value is None:
        return True
    v = value.strip()
    return v == "" or v.lower() in {"none", "false"} or v.startswith("(")


def _path(raw: dict[str, str], key: str, base: Path) -> Path | None:
    value = raw.get(key)
    if _is_unset(value):
        return None
    assert value is not None
    p = Path(value.strip()).expanduser()
    return p if p.is_absolute() else base / p


def read_ini(ini_path: Path) -> dict[str, str]:
    """Read ``key = value`` lines the way Circuitscape does (sections are ignored)."""
    if ini_path.is_dir():
        raise JobFileError(
            f"job file {ini_path} is a directory, not a file; give the path of the "
            "Circuitscape INI file inside it"
        )
    try:
        text = ini_path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        raise JobFileError(f"job file {ini_path} does not exist; check the path") from None
    except OSError as exc:
        raise JobFileError(f"cannot read job file {ini_path}: {exc}") from exc
    raw: dict[str, str] = {}
    for lineno, line in enumerate(text.splitlines(), 1):
        s = line.strip()
        if not s or s.startswith(("#", ";")):
            continue
        if s.startswith("["):
            if not s.endswith("]"):
                raise JobFileError(
                    f"{ini_path}, line {lineno}: section header {s!r} is not closed; "
                    "write it as [Section name]"
                )
            continue
        if "=" not in s:
            raise JobFileError(
                f"{ini_path}, line {lineno}: {s!r} is not an option line; "
                "write `name = value` or remove the line"
            )
        key, value = s.split("=", 1)
        key = key.strip().lower()
        if not key:
            raise JobFileError(
                f"{ini_path}, line {lineno}: {s!r} has no option name before '='; fix the line"
            )
        raw[key] = value.strip()
    if not raw:
        raise JobFileError(
            f"{ini_path} has no options; is it a Circuitscape INI job file? "
            "It needs at least scenario, habitat_file and output_file"
        )
    return raw


def parse_job(
    raw: dict[str, str],
    *,
    ini_path: Path | None = None,
    base_dir: Path | None = None,
    output_dir: Path | None = None,
) -> Job:
    """Validate raw INI options and build a :class:`Job`.

    Relative paths are resolved against ``base_dir`` when given, else against the
    working directory, as Circuitscape does.
    """
    where = _where(ini_path)
    unknown = sorted(k for k in raw if k not in SUPPORTED_OPTIONS and k not in IGNORED_OPTIONS)
    if unknown:
        raise UnsupportedOptionError(
            f"{where}: option{'s' if len(unknown) > 1 else ''} {', '.join(unknown)} "
            "not supported by corridors.circuit; remove "
            f"{'them' if len(unknown) > 1 else 'it'} from the job file "
            "(see docs/circuit.md for the supported options)"
        )
    if _bool(raw, "use_reclass_table", False, ini_path):
        raise UnsupportedOptionError(
            f"{where}: use_reclass_table = True is not supported; reclassify the habitat "
            "raster beforehand (e.g. with numpy or rasterio) and set use_reclass_table = False"
        )
    inputdir = raw.get("inputdir")
    if inputdir is not None and not _is_unset(inputdir):
        raise UnsupportedOptionError(
            f"{where}: inputdir = {inputdir!r} is not supported; give paths relative to "
            "--base-dir instead and set inputdir = False"
        )

    base = Path(base_dir) if base_dir is not None else Path.cwd()
    job = Job(ini_path=ini_path, raw=dict(raw))

    data_type = raw.get("data_type", "raster").strip().lower()
    if data_type not in {"raster", "network"}:
        raise JobFileError(
            f"{where}: data_type = {raw.get('data_type')!r} is not valid; use raster or network"
        )
    job.data_type = data_type
    scenario_raw = raw.get("scenario", "not entered").strip().lower()
    if scenario_raw not in _SCENARIOS:
        raise JobFileError(
            f"{where}: scenario = {raw.get('scenario')!r} is not valid; use pairwise, "
            "one-to-all, all-to-one or advanced"
        )
    job.scenario = _SCENARIOS[scenario_raw]
    if data_type == "network" and job.scenario not in {"pairwise", "advanced"}:
        raise UnsupportedOptionError(
            f"{where}: scenario {job.scenario} is not available for network inputs "
            "(Circuitscape supports pairwise and advanced); use one of those"
        )

    job.habitat_file = _path(raw, "habitat_file", base)
    if job.habitat_file is None:
        raise JobFileError(f"{where}: habitat_file is not set; give the habitat raster or graph")
    job.habitat_is_resistances = _bool(raw, "habitat_map_is_resistances", True, ini_path)
    job.four_neighbors = _bool(raw, "connect_four_neighbors_only", False, ini_path)
    job.avg_resistances = _bool(raw, "connect_using_avg_resistances", False, ini_path)

    if _bool(raw, "use_polygons", False, ini_path):
        job.polygon_file = _path(raw, "polygon_file", base)
        if job.polygon_file is None:
            raise JobFileError(f"{where}: use_polygons = True but polygon_file is not set")
    if _bool(raw, "use_mask", False, ini_path):
        job.mask_file = _path(raw, "mask_file", base)
        if job.mask_file is None:
            raise JobFileError(f"{where}: use_mask = True but mask_file is not set")

    advanced = job.scenario == "advanced"
    if not advanced:
        job.point_file = _path(raw, "point_file", base)
        if job.point_file is None:
            raise JobFileError(
                f"{where}: scenario {job.scenario} needs point_file (the focal nodes)"
            )
        if _bool(raw, "use_included_pairs", False, ini_path):
            job.included_pairs_file = _path(raw, "included_pairs_file", base)
            if job.included_pairs_file is None:
                raise JobFileError(
                    f"{where}: use_included_pairs = True but included_pairs_file is not set"
                )
        if job.scenario in {"one-to-all", "all-to-one"} and _bool(
            raw, "use_variable_source_strengths", False, ini_path
        ):
            job.variable_source_file = _path(raw, "variable_source_file", base)
            if job.variable_source_file is None:
                raise JobFileError(
                    f"{where}: use_variable_source_strengths = True but "
                    "variable_source_file is not set"
                )
    else:
        job.source_file = _path(raw, "source_file", base)
        job.ground_file = _path(raw, "ground_file", base)
        if job.source_file is None or job.ground_file is None:
            raise JobFileError(
                f"{where}: advanced mode needs both source_file and ground_file; set them"
            )
    job.ground_is_resistances = _bool(raw, "ground_file_is_resistances", True, ini_path)
    job.unit_currents = _bool(raw, "use_unit_currents", False, ini_path)
    job.direct_grounds = _bool(raw, "use_direct_grounds", False, ini_path)
    policy = raw.get("remove_src_or_gnd", "keepall").strip().lower()
    if policy == "not entered":
        policy = "keepall"
    if policy not in POLICIES:
        raise JobFileError(
            f"{where}: remove_src_or_gnd = {raw.get('remove_src_or_gnd')!r} is not valid; "
            f"use {', '.join(POLICIES)}"
        )
    job.policy = policy

    out = raw.get("output_file")
    if _is_unset(out):
        raise JobFileError(
            f"{where}: output_file is not set; give the base name for output files, "
            "e.g. output/myjob.out"
        )
    assert out is not None
    out_path = Path(out.strip()).expanduser()
    name = out_path.name
    # Circuitscape cuts the name at ".out" to get the prefix of every output file.
    if ".out" in name:
        name = name.split(".out", 1)[0]
    if output_dir is not None:
        job.output_prefix = Path(output_dir) / name
        job.output_file = Path(output_dir) / out_path.name
    else:
        parent = out_path.parent if out_path.is_absolute() else base / out_path.parent
        job.output_prefix = parent / name
        job.output_file = parent / out_path.name

    # INI keys of the output switches, by MapOptions field.
    switches = {
        "write_cur_maps": "write_cur_maps",
        "write_volt_maps": "write_volt_maps",
        "write_cum_cur_map_only": "write_cum_cur_map_only",
        "write_max_cur_maps": "write_max_cur_maps",
        "null_currents_to_nodata": "set_null_currents_to_nodata",
        "null_voltages_to_nodata": "set_null_voltages_to_nodata",
        "focal_node_currents_to_zero": "set_focal_node_currents_to_zero",
        "compress_grids": "compress_grids",
        "log_transform_maps": "log_transform_maps",
        "write_as_tif": "write_as_tif",
    }
    job.maps = MapOptions(
        **{name: _bool(raw, key, False, ini_path) for name, key in switches.items()}
    )
    return job


def load_job(
    ini_path: str | Path,
    *,
    base_dir: str | Path | None = None,
    output_dir: str | Path | None = None,
) -> Job:
    """Read and validate a Circuitscape INI job file."""
    p = Path(ini_path)
    raw = read_ini(p)
    return parse_job(
        raw,
        ini_path=p,
        base_dir=Path(base_dir) if base_dir is not None else None,
        output_dir=Path(output_dir) if output_dir is not None else None,
    )
