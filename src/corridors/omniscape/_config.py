"""Omniscape.jl INI files: reading, defaults and validation into an :class:`OmniscapeJob`.

The file is read as Omniscape.jl reads it: every ``name = value`` line counts,
section headers (``[...]``) are only for the reader, a later line overrides an
earlier one. Every problem of the file is reported at once, each with the option,
its value and the fix; options Omniscape.jl does not know draw a warning (with the
nearest known name when it looks like a typo), as upstream does.
"""

from __future__ import annotations

import difflib
import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from ..circuit._errors import JobFileError
from ..circuit._raster_io import input_file_problem
from ..errors import CorridorsWarning, DataFileError

__all__ = ["KNOWN_OPTIONS", "OmniscapeJob", "OmniscapeWarning", "load_job", "parse_options"]


class OmniscapeWarning(CorridorsWarning):
    """Something in an Omniscape job that is accepted but probably not what was meant."""


#: Every option of Omniscape.jl's user guide, with its default (None: no default).
DEFAULTS: dict[str, str | None] = {
    "resistance_file": None,
    "radius": None,
    "project_name": None,
    "source_file": "",
    "block_size": "1",
    "buffer": "0",
    "source_threshold": "0",
    "source_from_resistance": "false",
    "resistance_is_conductance": "false",
    "r_cutoff": "Inf",
    "calc_normalized_current": "false",
    "calc_flow_potential": "false",
    "allow_different_projections": "false",
    "connect_four_neighbors_only": "false",
    "solver": "cg+amg",
    "correct_artifacts": "true",
    "reclassify_resistance": "false",
    "reclass_table": "",
    "write_reclassified_resistance": "false",
    "parallelize": "true",
    "parallel_batch_size": "10",
    "precision": "double",
    "write_raw_currmap": "true",
    "mask_nodata": "true",
    "write_as_tif": "true",
    "conditional": "false",
    "n_conditions": "1",
    "compare_to_future": "none",
    "condition1_file": "",
    "condition2_file": "",
    "condition1_future_file": "",
    "condition2_future_file": "",
    "comparison1": "within",
    "comparison2": "within",
    "condition1_lower": "0",
    "condition1_upper": "0",
    "condition2_lower": "0",
    "condition2_upper": "0",
}

#: Names older Omniscape.jl releases used, read as their current name.
ALIASES = {
    "resistance_file_is_conductance": "resistance_is_conductance",
    "cs_solver": "solver",
}
#: Accepted with no effect: they tune Omniscape.jl's own console output.
SILENT = frozenset({"suppress_cs_messages"})
KNOWN_OPTIONS = frozenset(DEFAULTS) | frozenset(ALIASES) | SILENT

REQUIRED = ("resistance_file", "radius", "project_name")
SOLVERS = ("cg+amg", "cholmod")
COMPARISONS = {"within": "within", "equal": "equal", "equals": "equal"}
FUTURES = ("none", "1", "2", "both")
_TRUE = {"true"}
_FALSE = {"false"}


@dataclass
class OmniscapeJob:
    """An Omniscape job with its options parsed and its paths resolved.

    Attributes mirror the INI options of Omniscape.jl's user guide; paths are None
    when unused. ``radius``, ``buffer`` and ``block_size`` are in cells.
    """

    ini_path: Path | None
    resistance_file: Path
    project_name: str
    radius: int
    block_size: int = 1
    buffer: int = 0
    source_file: Path | None = None
    source_threshold: float = 0.0
    source_from_resistance: bool = False
    resistance_is_conductance: bool = False
    r_cutoff: float = math.inf
    calc_normalized_current: bool = False
    calc_flow_potential: bool = False
    allow_different_projections: bool = False
    connect_four_neighbors_only: bool = False
    solver: str = "cg+amg"
    correct_artifacts: bool = True
    reclassify_resistance: bool = False
    reclass_table: Path | None = None
    write_reclassified_resistance: bool = False
    precision: str = "double"
    write_raw_currmap: bool = True
    mask_nodata: bool = True
    write_as_tif: bool = True
    conditional: bool = False
    n_conditions: int = 1
    compare_to_future: str = "none"
    condition1_file: Path | None = None
    condition2_file: Path | None = None
    condition1_future_file: Path | None = None
    condition2_future_file: Path | None = None
    comparison1: str = "within"
    comparison2: str = "within"
    condition1_lower: float = 0.0
    condition1_upper: float = 0.0
    condition2_lower: float = 0.0
    condition2_upper: float = 0.0
    raw: dict[str, str] = field(default_factory=dict)
    text: str = ""

    def input_files(self) -> dict[str, Path]:
        """Every raster or table the job reads, by option name."""
        names = ["resistance_file", "source_file", "reclass_table"]
        names += ["condition1_file", "condition1_future_file"]
        names += ["condition2_file", "condition2_future_file"]
        out: dict[str, Path] = {}
        for name in names:
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        return out

    @property
    def flow_potential_needed(self) -> bool:
        """Whether the null-model solves run (flow potential or normalised current)."""
        return self.calc_flow_potential or self.calc_normalized_current


def _where(ini: Path | None) -> str:
    return str(ini) if ini is not None else "<options>"


def read_ini(path: Path) -> tuple[dict[str, str], dict[str, int], str]:
    """``name = value`` pairs of an Omniscape INI file, their line numbers, and its text."""
    if path.is_dir():
        raise JobFileError(
            f"job file {path} is a directory, not a file; give the Omniscape INI file inside it"
        )
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        raise JobFileError(f"job file {path} does not exist; check the path") from None
    except OSError as exc:
        raise JobFileError(f"cannot read job file {path}: {exc}") from exc
    raw: dict[str, str] = {}
    lines: dict[str, int] = {}
    ignored: list[str] = []
    for lineno, line in enumerate(text.splitlines(), 1):
        s = line.strip()
        if not s or s.startswith(("[", "#", ";")):
            continue
        if "=" not in s:
            ignored.append(f"line {lineno} ({s[:40]!r})")
            continue
        key, value = s.split("=", 1)
        key = key.strip()
        if not key:
            ignored.append(f"line {lineno} ({s[:40]!r})")
            continue
        key = ALIASES.get(key, key)
        raw[key] = value.strip()
        lines[key] = lineno
    if ignored:
        warnings.warn(
            f"{path}: {', '.join(ignored)} not of the form `name = value`; ignored",
            OmniscapeWarning,
            stacklevel=3,
        )
    return raw, lines, text


def _unset(value: str | None) -> bool:
    # Omniscape.jl's older defaults were placeholders such as "(browse to source file)".
    return value is None or not value.strip() or value.strip().startswith("(")


class _Reader:
    """Typed access to raw options that collects every problem instead of stopping."""

    def __init__(self, raw: dict[str, str], base: Path) -> None:
        self.raw = raw
        self.base = base
        self.problems: list[str] = []
        self.missing_files: list[str] = []
        self.notes: list[str] = []

    def text(self, key: str) -> str:
        value = self.raw.get(key)
        if value is None:
            default = DEFAULTS[key]
            return "" if default is None else default
        return value

    def boolean(self, key: str) -> bool:
        value = self.text(key).strip()
        v = value.lower()
        if v in _TRUE:
            return True
        if v in _FALSE:
            return False
        self.problems.append(f"{key} = {value!r} is not a boolean: write true or false")
        return DEFAULTS[key] == "true"

    def number(self, key: str) -> float:
        value = self.text(key).strip()
        try:
            return float(value)
        except ValueError:
            self.problems.append(f"{key} = {value!r} is not a number: give a number")
            return 0.0

    def integer(self, key: str, *, minimum: int) -> int:
        value = self.text(key).strip()
        try:
            x = float(value)
        except ValueError:
            self.problems.append(f"{key} = {value!r} is not a number: give a whole number of cells")
            return minimum
        if not math.isfinite(x):
            self.problems.append(f"{key} = {value!r} is not finite: give a whole number of cells")
            return minimum
        n = round(x)  # Omniscape.jl rounds (radius = 10.4 is radius 10)
        if n < minimum:
            self.problems.append(f"{key} = {value!r} must be at least {minimum} (cells)")
            return minimum
        return int(n)

    def choice(self, key: str, allowed: dict[str, str] | tuple[str, ...]) -> str:
        value = self.text(key).strip()
        v = value.lower()
        table = allowed if isinstance(allowed, dict) else {a: a for a in allowed}
        if v in table:
            return table[v]
        names = sorted(set(table.values())) if isinstance(allowed, dict) else list(allowed)
        self.problems.append(f"{key} = {value!r} is not valid: use one of {', '.join(names)}")
        return next(iter(table.values()))

    def path(self, key: str, *, must_exist: bool = False) -> Path | None:
        value = self.raw.get(key)
        if _unset(value):
            return None
        assert value is not None
        p = Path(value.strip()).expanduser()
        p = p if p.is_absolute() else self.base / p
        if must_exist:
            problem = input_file_problem(p, role=key.removesuffix("_file").replace("_", " "))
            if problem is not None:
                self.missing_files.append(f"{key}: {problem}")
        return p


def parse_options(
    raw: dict[str, str],
    *,
    ini_path: Path | None = None,
    base_dir: Path | None = None,
    lines: dict[str, int] | None = None,
    text: str = "",
) -> OmniscapeJob:
    """Validate raw options into an :class:`OmniscapeJob`, reporting every problem at once.

    Relative paths are resolved against ``base_dir`` (default: the working directory,
    as Omniscape.jl does).

    Raises
    ------
    JobFileError
        Missing required options, values of the wrong type or out of range,
        contradictory conditional options (and any missing input file with them).
    DataFileError
        Only input files are missing.
    """
    where = _where(ini_path)
    lines = lines or {}
    _warn_unknown(raw, where, lines)
    # Absolute, so that workers elsewhere (a dask cluster) find the same files.
    base = (Path(base_dir) if base_dir is not None else Path.cwd()).absolute()
    rd = _Reader(raw, base)

    for key in REQUIRED:
        if _unset(raw.get(key)):
            hint = _typo_hint(key, raw)
            rd.problems.append(f"{key} is missing: it is required{hint}")
    radius = rd.integer("radius", minimum=1) if not _unset(raw.get("radius")) else 1
    block_size = rd.integer("block_size", minimum=1)
    if block_size % 2 == 0:
        rd.notes.append(
            f"{where}: block_size = {block_size} is even but must be odd; using "
            f"block_size = {block_size + 1}, as Omniscape.jl does"
        )
        block_size += 1
    solver = rd.text("solver").strip()
    if solver.lower() not in SOLVERS:
        rd.notes.append(
            f"{where}: solver = {solver!r} is not a known solver (cg+amg or cholmod); "
            "using the default. corridors solves every window with a direct sparse "
            "LDLᵀ factorisation either way"
        )
        solver = "cg+amg"
    # Accepted for compatibility; the project's own scheduler decides parallelism.
    rd.boolean("parallelize")
    rd.integer("parallel_batch_size", minimum=1)

    source_from_resistance = rd.boolean("source_from_resistance")
    reclassify = rd.boolean("reclassify_resistance")
    conditional = rd.boolean("conditional")
    job = OmniscapeJob(
        ini_path=ini_path,
        resistance_file=rd.path("resistance_file", must_exist=True) or base,
        project_name=rd.text("project_name").strip(),
        radius=radius,
        block_size=block_size,
        buffer=rd.integer("buffer", minimum=0),
        source_threshold=rd.number("source_threshold"),
        source_from_resistance=source_from_resistance,
        resistance_is_conductance=rd.boolean("resistance_is_conductance"),
        r_cutoff=rd.number("r_cutoff"),
        calc_normalized_current=rd.boolean("calc_normalized_current"),
        calc_flow_potential=rd.boolean("calc_flow_potential"),
        allow_different_projections=rd.boolean("allow_different_projections"),
        connect_four_neighbors_only=rd.boolean("connect_four_neighbors_only"),
        solver=solver.lower(),
        correct_artifacts=rd.boolean("correct_artifacts"),
        reclassify_resistance=reclassify,
        write_reclassified_resistance=rd.boolean("write_reclassified_resistance"),
        precision=rd.choice("precision", ("double", "single")),
        write_raw_currmap=rd.boolean("write_raw_currmap"),
        mask_nodata=rd.boolean("mask_nodata"),
        write_as_tif=rd.boolean("write_as_tif"),
        conditional=conditional,
        raw=dict(raw),
        text=text,
    )
    if not source_from_resistance:
        job.source_file = rd.path("source_file", must_exist=True)
        if job.source_file is None:
            rd.problems.append(
                "source_file is not set and source_from_resistance is false: give "
                "source_file (a raster of source strengths), or set "
                "source_from_resistance = true to derive sources from the resistance"
            )
    elif not _unset(raw.get("source_file")):
        rd.notes.append(f"{where}: source_file is ignored because source_from_resistance = true")
    if source_from_resistance and job.source_threshold > 0:
        rd.notes.append(
            f"{where}: source_threshold = {job.source_threshold:g} has no effect with "
            "source_from_resistance = true (as in Omniscape.jl); use r_cutoff to leave "
            "out cells of high resistance"
        )
    if reclassify:
        job.reclass_table = rd.path("reclass_table", must_exist=True)
        if job.reclass_table is None:
            rd.problems.append(
                "reclassify_resistance = true but reclass_table is not set: give the "
                "two-column reclass table, or set reclassify_resistance = false"
            )
    else:
        if not _unset(raw.get("reclass_table")):
            rd.notes.append(
                f"{where}: reclass_table is given but reclassify_resistance is false; the "
                "table is ignored (set reclassify_resistance = true to use it)"
            )
        if job.write_reclassified_resistance:
            rd.notes.append(
                f"{where}: write_reclassified_resistance = true has no effect without "
                "reclassify_resistance = true"
            )
    _conditional_options(rd, job, where)
    if not (job.write_raw_currmap or job.flow_potential_needed):
        rd.notes.append(
            f"{where}: write_raw_currmap = false and neither calc_flow_potential nor "
            "calc_normalized_current is true: no map will be written"
        )
    if rd.problems:
        listed = rd.problems + rd.missing_files
        raise JobFileError(
            f"{where}: {len(listed)} problem{'s' if len(listed) > 1 else ''} in the "
            "Omniscape job:\n" + "\n".join(f"  - {p}" for p in listed)
        )
    if rd.missing_files:
        raise DataFileError(
            f"{where}: input file{'s' if len(rd.missing_files) > 1 else ''} missing:\n"
            + "\n".join(f"  - {p}" for p in rd.missing_files)
        )
    # Notes only for a job that runs: next to an error they would only distract.
    for note in rd.notes:
        warnings.warn(note, OmniscapeWarning, stacklevel=3)
    return job


def _conditional_options(rd: _Reader, job: OmniscapeJob, where: str) -> None:
    n_raw = rd.text("n_conditions").strip()
    try:
        n_conditions = round(float(n_raw))
    except ValueError:
        n_conditions = -1
    future = rd.choice("compare_to_future", FUTURES)
    comparison1 = rd.choice("comparison1", COMPARISONS)
    comparison2 = rd.choice("comparison2", COMPARISONS)
    lower1, upper1 = rd.number("condition1_lower"), rd.number("condition1_upper")
    lower2, upper2 = rd.number("condition2_lower"), rd.number("condition2_upper")
    if n_conditions not in (1, 2):
        rd.problems.append(f"n_conditions = {n_raw!r} is not valid: use 1 or 2")
        n_conditions = 1
    condition_keys = [
        "condition1_file",
        "condition2_file",
        "condition1_future_file",
        "condition2_future_file",
    ]
    if not job.conditional:
        given = [k for k in condition_keys if not _unset(rd.raw.get(k))]
        if given:
            rd.notes.append(
                f"{where}: {', '.join(given)} given but conditional = false; they are "
                "ignored (set conditional = true to use them)"
            )
        return
    job.n_conditions = n_conditions
    job.compare_to_future = future
    job.comparison1, job.comparison2 = comparison1, comparison2
    job.condition1_lower, job.condition1_upper = lower1, upper1
    job.condition2_lower, job.condition2_upper = lower2, upper2
    for k, (lo, hi) in {"1": (lower1, upper1), "2": (lower2, upper2)}.items():
        if (k == "1" or n_conditions == 2) and lo > hi:
            rd.problems.append(
                f"condition{k}_lower = {lo:g} is above condition{k}_upper = {hi:g}: no "
                "source could match; swap them"
            )
    job.condition1_file = rd.path("condition1_file", must_exist=True)
    if job.condition1_file is None:
        rd.problems.append(
            "conditional = true but condition1_file is not set: give the condition raster, "
            "or set conditional = false"
        )
    if n_conditions == 2:
        job.condition2_file = rd.path("condition2_file", must_exist=True)
        if job.condition2_file is None:
            rd.problems.append(
                "n_conditions = 2 but condition2_file is not set: give it, or set n_conditions = 1"
            )
    elif not _unset(rd.raw.get("condition2_file")):
        rd.notes.append(f"{where}: condition2_file is ignored because n_conditions = 1")
    if future in ("1", "both"):
        job.condition1_future_file = rd.path("condition1_future_file", must_exist=True)
        if job.condition1_future_file is None:
            rd.problems.append(
                f"compare_to_future = {future} but condition1_future_file is not set: give "
                "the future condition raster, or set compare_to_future = none"
            )
    if future in ("2", "both"):
        if n_conditions != 2:
            rd.problems.append(
                f"compare_to_future = {future} compares condition 2 but n_conditions = "
                f"{n_conditions}: set n_conditions = 2 or compare_to_future = "
                f"{'1' if future == 'both' else 'none'}"
            )
        else:
            job.condition2_future_file = rd.path("condition2_future_file", must_exist=True)
            if job.condition2_future_file is None:
                rd.problems.append(
                    f"compare_to_future = {future} but condition2_future_file is not set: "
                    "give the future condition raster, or set compare_to_future = none"
                )


def _typo_hint(key: str, raw: dict[str, str]) -> str:
    unknown = [k for k in raw if k not in KNOWN_OPTIONS]
    close = difflib.get_close_matches(key, unknown, n=1, cutoff=0.75)
    return f" (is {close[0]!r} a misspelling of {key!r}?)" if close else ""


def _warn_unknown(raw: dict[str, str], where: str, lines: dict[str, int]) -> None:
    unknown = [k for k in raw if k not in KNOWN_OPTIONS]
    if not unknown:
        return
    parts = []
    for key in unknown:
        text = repr(key)
        if key in lines:
            text += f" (line {lines[key]})"
        close = difflib.get_close_matches(key, sorted(DEFAULTS), n=1, cutoff=0.75)
        if close:
            text += f", did you mean {close[0]!r}?"
        parts.append(text)
    warnings.warn(
        f"{where}: unknown option{'s' if len(unknown) > 1 else ''} ignored: " + "; ".join(parts),
        OmniscapeWarning,
        stacklevel=4,
    )


def load_job(ini_path: str | Path, *, base_dir: str | Path | None = None) -> OmniscapeJob:
    """Read and validate an Omniscape.jl INI file (nothing is read but the file itself).

    Parameters
    ----------
    ini_path : str or Path
        The job file, as Omniscape.jl takes it.
    base_dir : str or Path, optional
        Folder against which relative input paths are resolved; by default the working
        directory, as in Omniscape.jl. ``project_name`` is never resolved against it.

    Raises
    ------
    JobFileError
        The file is missing or has invalid or missing options (every problem listed).
    DataFileError
        An input file named in it does not exist.
    """
    path = Path(ini_path)
    raw, lines, text = read_ini(path)
    return parse_options(
        raw,
        ini_path=path,
        base_dir=Path(base_dir) if base_dir is not None else None,
        lines=lines,
        text=text,
    )
