"""The catalogue schema: fields, vocabularies and the checks every record must pass.

A catalogue is a set of *features*; each feature belongs to one *case* (a connectivity
case study) and plays one *role* in it. In GeoJSON (RFC 7946, lon/lat WGS84) each
feature is a ``Feature`` whose flat ``properties`` carry both the case-level fields
(repeated identically on every feature of the case) and the feature-level fields, so
the same records travel unchanged through GeoPackage, CSV or any other table.

Case-level fields
    ``case_id`` (slug), ``name``, ``summary`` (own words, at most about 80 words),
    ``species`` (list of ``{"common": ..., "scientific": ...}``), ``taxon``, ``realm``,
    ``countries`` (ISO 3166-1 alpha-3), ``region``, ``scale``, ``interventions``,
    ``threats``, ``organisations``, ``source`` (a seed document's key from
    :data:`SOURCES`, or a source of your own, which then needs ``source_title`` and an
    http(s) ``source_url``), ``source_title``, ``source_url``.
Feature-level fields
    ``feature_id`` (``"<case_id>/<slug>"``), ``feature_name``, ``role``,
    ``georef_method``, ``georef_note``, ``uncertainty_km``.

The checks here work on plain Python records (``dict`` properties plus a shapely
geometry) so that every problem in a file can be collected and reported at once.
"""

from __future__ import annotations

import difflib
import math
import re
import reprlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

__all__ = [
    "CASE_FIELDS",
    "FEATURE_FIELDS",
    "GEOREF_METHODS",
    "LIST_FIELDS",
    "REALMS",
    "ROLES",
    "ROLE_GEOMETRIES",
    "SCALES",
    "SOURCES",
    "TAXA",
    "FieldSpec",
    "check_record",
]

ROLES: Final = ("area", "site", "route", "barrier", "infrastructure")
REALMS: Final = ("terrestrial", "freshwater", "marine")
SCALES: Final = ("site", "landscape", "transboundary", "range-wide")
TAXA: Final = (
    "mammals",
    "birds",
    "fish",
    "reptiles",
    "amphibians",
    "invertebrates",
    "plants",
    "corals",
    "multiple",
)
GEOREF_METHODS: Final = {
    "published-coordinates": "placed at a published coordinate of the place",
    "traced-reference-map": "traced from a published map of the reserve, route or river",
    "named-place": "located at a named place (town, lake outlet, pass); approximate",
    "approximate-envelope": "approximate envelope of a named region or landscape",
    "country-boundaries": "derived from the bundled Natural Earth country polygons",
}
# The seed documents the bundled catalogue is drawn from. A case may cite one of them by
# key (its source_url may then be null), or any source of its own: any other name, with
# a source_title and an http(s) source_url saying where to read it.
SOURCES: Final = {
    "panorama-cms-cop14": "PANORAMA: Selected Solutions on Connectivity Conservation for CMS COP14",
    "icp-programme-page": "International Connectivity programme page",
}
# A source name this close (difflib ratio) to a seed document's key is taken for a
# misspelling of it rather than for a source of the user's own.
SOURCE_LIKENESS: Final = 0.85
URL_RE: Final = re.compile(r"^https?://[^\s<>\"']+$")

# Geometry types each role may take: areas are outlines, sites points, routes lines.
ROLE_GEOMETRIES: Final = {
    "area": ("Polygon", "MultiPolygon"),
    "site": ("Point", "MultiPoint"),
    "route": ("LineString", "MultiLineString"),
    "barrier": ("LineString", "MultiLineString", "Point", "MultiPoint"),
    "infrastructure": ("LineString", "MultiLineString", "Point", "MultiPoint"),
}

MAX_SUMMARY_WORDS: Final = 90  # "about 80 words", with a little slack
SLUG_RE: Final = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
FEATURE_ID_RE: Final = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*/[a-z0-9]+(?:-[a-z0-9]+)*$")
ISO3_RE: Final = re.compile(r"^[A-Z]{3}$")


@dataclass(frozen=True)
class FieldSpec:
    """One catalogue field: its kind, whether it is required, and its vocabulary."""

    name: str
    kind: str  # "str", "list", "species", "number", "url"
    level: str  # "case" or "feature"
    required: bool = True
    choices: tuple[str, ...] = ()
    doc: str = ""
    nullable: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


_SPECS: Final = (
    FieldSpec("case_id", "str", "case", doc="stable slug, e.g. 'fremont-lake-bottleneck'"),
    FieldSpec("name", "str", "case", doc="the case study's title"),
    FieldSpec("summary", "str", "case", doc="own-words summary, at most about 80 words"),
    FieldSpec("species", "species", "case", doc="list of {common, scientific} names"),
    FieldSpec("taxon", "str", "case", choices=TAXA),
    FieldSpec("realm", "str", "case", choices=REALMS),
    FieldSpec("countries", "list", "case", doc="ISO 3166-1 alpha-3 codes"),
    FieldSpec("region", "str", "case", doc="broad region, e.g. 'Central Asia'"),
    FieldSpec("scale", "str", "case", choices=SCALES),
    FieldSpec("interventions", "list", "case"),
    FieldSpec("threats", "list", "case"),
    FieldSpec("organisations", "list", "case"),
    FieldSpec(
        "source",
        "str",
        "case",
        doc="a seed document (a key of SOURCES) or the short name of a source of your own, "
        "which then needs a source_title and an http(s) source_url",
    ),
    FieldSpec("source_title", "str", "case"),
    FieldSpec("source_url", "url", "case", nullable=True, doc="http(s) URL or null"),
    FieldSpec("feature_id", "str", "feature", doc="'<case_id>/<slug>'"),
    FieldSpec("feature_name", "str", "feature"),
    FieldSpec("role", "str", "feature", choices=ROLES),
    FieldSpec("georef_method", "str", "feature", choices=tuple(GEOREF_METHODS)),
    FieldSpec("georef_note", "str", "feature"),
    FieldSpec("uncertainty_km", "number", "feature", doc="kilometres, >= 0"),
)
SPECS: Final = {spec.name: spec for spec in _SPECS}
CASE_FIELDS: Final = tuple(s.name for s in _SPECS if s.level == "case")
FEATURE_FIELDS: Final = tuple(s.name for s in _SPECS if s.level == "feature")
LIST_FIELDS: Final = tuple(s.name for s in _SPECS if s.kind in ("list", "species"))


_SHOW = reprlib.Repr()
_SHOW.maxstring = 60  # long enough for any sane value, short enough for a message line
_SHOW.maxother = 60


def _show(value: Any) -> str:
    """The repr of a value from a file for a message: shortened if long, however deep."""
    return _SHOW.repr(value)


def _suggest(value: str, choices: Sequence[str]) -> str:
    close = difflib.get_close_matches(value, list(choices), n=3, cutoff=0.6)
    if close:
        return f"did you mean {' or '.join(repr(c) for c in close)}?"
    return f"use one of {', '.join(repr(c) for c in choices)}"


def check_properties(props: Mapping[str, Any], *, only: Sequence[str] | None = None) -> list[str]:
    """Return the problems with one feature's properties (empty when they are fine).

    Values are expected in their parsed form: lists as Python lists, ``species`` as a
    list of dicts, ``uncertainty_km`` as a number. With ``only``, just those fields are
    checked (and nothing is reported missing or unknown).
    """
    problems: list[str] = []
    if only is not None:
        for name in only:
            if name in props:
                problems.extend(_check_value(SPECS[name], props[name]))
        return problems
    for key in props:
        if key not in SPECS:
            problems.append(f"unknown field {_show(key)}: {_suggest(key, list(SPECS))}")
    for spec in _SPECS:
        if spec.name not in props:
            if spec.required:
                problems.append(f"missing field {spec.name!r} ({_describe(spec)}); add it")
            continue
        problems.extend(_check_value(spec, props[spec.name]))
    problems.extend(_check_cross_fields(props))
    return problems


def _describe(spec: FieldSpec) -> str:
    if spec.choices:
        return "one of " + ", ".join(repr(c) for c in spec.choices)
    return spec.doc or {"str": "text", "list": "a list of text", "number": "a number"}.get(
        spec.kind, spec.kind
    )


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _check_value(spec: FieldSpec, value: Any) -> list[str]:
    name = spec.name
    if _is_missing(value):
        return [] if spec.nullable else [f"field {name!r} is empty; give a value"]
    if spec.kind == "str":
        if not isinstance(value, str) or not value.strip():
            return [f"field {name!r} must be a non-empty string, not {_show(value)}"]
        if spec.choices and value not in spec.choices:
            return [f"unknown {name} {_show(value)}: {_suggest(value, spec.choices)}"]
        return _check_str_field(name, value)
    if spec.kind == "url":
        if not isinstance(value, str) or not URL_RE.match(value):
            return [
                f"field {name!r} must be an http:// or https:// URL (or null), not {_show(value)}"
            ]
        return []
    if spec.kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float | np.number):
            return [f"field {name!r} must be a number of kilometres, not {_show(value)}"]
        if not math.isfinite(float(value)) or float(value) < 0:
            return [f"field {name!r} must be a finite number >= 0, not {_show(value)}"]
        return []
    if spec.kind == "list":
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            return [f"field {name!r} must be a list of non-empty strings, not {_show(value)}"]
        if name == "countries":
            return _check_countries(value)
        return []
    if spec.kind == "species":
        return _check_species(value)
    raise AssertionError(f"unhandled field kind {spec.kind}")  # pragma: no cover


def _check_str_field(name: str, value: str) -> list[str]:
    if name == "case_id" and not SLUG_RE.match(value):
        return [
            f"case_id {_show(value)} is not a slug: use lowercase letters, digits and hyphens, "
            "e.g. 'fremont-lake-bottleneck'"
        ]
    if name == "feature_id" and not FEATURE_ID_RE.match(value):
        return [f"feature_id {_show(value)} must look like '<case_id>/<slug>', e.g. 'y2y/region'"]
    if name == "summary":
        words = len(value.split())
        if words > MAX_SUMMARY_WORDS:
            return [f"summary has {words} words; shorten it to about 80"]
    return []


def _check_countries(codes: list[str]) -> list[str]:
    problems = []
    if not codes:
        problems.append("field 'countries' is empty; list the ISO 3166-1 alpha-3 codes")
    for code in codes:
        if not ISO3_RE.match(code):
            problems.append(
                f"country code {_show(code)} is not ISO 3166-1 alpha-3 (three capital letters, "
                "e.g. 'TKM')"
            )
    if len(set(codes)) != len(codes):
        problems.append(f"countries {_show(codes)} lists a code twice")
    return problems


def _check_species(value: Any) -> list[str]:
    if not isinstance(value, list):
        return [f"field 'species' must be a list of {{common, scientific}}, not {_show(value)}"]
    problems = []
    for i, item in enumerate(value):
        if (
            not isinstance(item, dict)
            or set(item) != {"common", "scientific"}
            or not all(isinstance(v, str) and v.strip() for v in item.values())
        ):
            problems.append(
                f"species[{i}] must be {{'common': ..., 'scientific': ...}} with non-empty "
                f"strings, not {_show(item)}"
            )
    return problems


def _check_cross_fields(props: Mapping[str, Any]) -> list[str]:
    problems = []
    case_id, feature_id = props.get("case_id"), props.get("feature_id")
    if (
        isinstance(case_id, str)
        and isinstance(feature_id, str)
        and FEATURE_ID_RE.match(feature_id)
        and feature_id.split("/")[0] != case_id
    ):
        problems.append(
            f"feature_id {_show(feature_id)} must start with its case_id {_show(case_id)} + '/'"
        )
    problems.extend(_check_source(props.get("source"), props.get("source_url")))
    return problems


def _check_source(source: Any, url: Any) -> list[str]:
    """A seed document's key, or a source of the user's own that says where to read it."""
    if not isinstance(source, str) or not source.strip() or source in SOURCES:
        return []  # a missing or empty source is reported as such
    seeds = " or ".join(repr(key) for key in SOURCES)
    near = difflib.get_close_matches(source, list(SOURCES), n=1, cutoff=SOURCE_LIKENESS)
    if near:
        return [
            f"unknown source {_show(source)}: did you mean {near[0]!r}? (a source of your own "
            "needs a name unlike the seed documents' keys)"
        ]
    if _is_missing(url):
        # An invalid URL is reported by the source_url check; a missing one only here.
        return [
            f"unknown source {_show(source)} has no source_url: cite a source of your own with "
            f"a source_title and an http(s) source_url, or use a seed document, {seeds}"
        ]
    return []


def check_geometry(geometry: BaseGeometry | None, role: Any) -> list[str]:
    """Return the problems with one feature's geometry (lon/lat degrees) for its role."""
    if geometry is None:
        return ["geometry is missing (null); give a Point, LineString or Polygon"]
    if geometry.is_empty:
        return ["geometry is empty; give coordinates"]
    coords = shapely.get_coordinates(geometry)
    if not np.isfinite(coords).all():
        return ["geometry has NaN or infinite coordinates; fix or remove them"]
    problems = []
    lon, lat = coords[:, 0], coords[:, 1]
    if (np.abs(lon) > 180).any() or (np.abs(lat) > 90).any():
        bad = coords[(np.abs(lon) > 180) | (np.abs(lat) > 90)][0]
        hint = (
            "they look like projected metres: reproject the file to EPSG:4326 (lon/lat)"
            if np.abs(coords).max() > 1000
            else "check that longitude comes first and latitude second (RFC 7946)"
        )
        problems.append(
            f"coordinate ({bad[0]:g}, {bad[1]:g}) is outside longitude [-180, 180] / "
            f"latitude [-90, 90]; {hint}"
        )
    if not geometry.is_valid:
        problems.append(
            f"invalid {geometry.geom_type}: {shapely.is_valid_reason(geometry)}; repair it "
            "(e.g. shapely.make_valid) or redraw it"
        )
    if isinstance(role, str) and role in ROLE_GEOMETRIES:
        allowed = ROLE_GEOMETRIES[role]
        if geometry.geom_type not in allowed:
            problems.append(
                f"a {role!r} must be a {' or '.join(allowed)}, not a {geometry.geom_type}"
            )
    return problems


def check_record(
    props: Mapping[str, Any],
    geometry: BaseGeometry | None,
    *,
    known_countries: Callable[[str], bool] | None = None,
) -> list[str]:
    """Return every problem with one feature record (properties and geometry).

    Parameters
    ----------
    props : mapping
        The feature's properties, lists already parsed.
    geometry : shapely geometry or None
        The feature's geometry in lon/lat degrees (EPSG:4326, RFC 7946 axis order).
    known_countries : callable, optional
        ``known_countries(code)`` is True for ISO alpha-3 codes present in the
        boundary data; unknown codes are reported.
    """
    problems = check_properties(props)
    codes = props.get("countries")
    if known_countries is not None and isinstance(codes, list):
        for code in codes:
            if isinstance(code, str) and ISO3_RE.match(code) and not known_countries(code):
                problems.append(
                    f"country code {_show(code)} is not in the bundled boundaries "
                    "(Natural Earth admin-0); use a valid ISO 3166-1 alpha-3 code"
                )
    problems.extend(check_geometry(geometry, props.get("role")))
    return problems
