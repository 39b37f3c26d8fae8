"""Byte-stable HTML output: the same map gives the same page in every process.

folium names elements with random hex ids; :func:`map_html` renders the page and
numbers them in order of first appearance instead, and with ``self_contained`` inlines
every JavaScript and CSS asset from installed packages so the file needs no network.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import folium
from branca.element import CssLink, Element, Figure, JavascriptLink
from folium.folium import _default_css, _default_js

from .._io import atomic_write_text, check_output
from ..errors import InputError
from . import _assets as assets
from ._elements import AtlasMap, as_map
from ._encoding import js_json

__all__ = ["map_html", "save_map"]

# folium's element ids: 32 lowercase hex digits (uuid4().hex).
_HEX_ID = re.compile(r"[0-9a-f]{32}")


def _element_ids(root: Element) -> set[str]:
    """Every folium element id in a figure (its header, body and script included)."""
    ids: set[str] = set()
    stack: list[Element] = [root]
    while stack:
        node = stack.pop()
        ident = getattr(node, "_id", None)
        if isinstance(ident, str):
            ids.add(ident)
        stack.extend(node._children.values())
        if isinstance(node, Figure):
            stack.extend([node.header, node.html, node.script])
    return ids


def _stable_ids(page: str, ids: set[str]) -> str:
    """Replace folium's random element ids with numbers in order of first appearance."""
    numbers: dict[str, str] = {}

    def swap(match: re.Match[str]) -> str:
        token = match.group(0)
        if token not in ids:
            return token
        if token not in numbers:
            numbers[token] = str(len(numbers) + 1)
        return numbers[token]

    return _HEX_ID.sub(swap, page)


def _inline_header(figure: Figure, *, offline_icons: bool) -> None:
    """Replace CDN links in the page header by the packaged files' text."""
    unknown: list[str] = []
    items = list(figure.header._children.items())
    figure.header._children.clear()
    for key, child in items:
        if isinstance(child, JavascriptLink | CssLink) and re.match(r"https?:", child.url):
            body = assets.inline_asset(child.url)
            if body is None:
                unknown.append(child.url)
                continue
            tag = (
                assets.script_tag(body)
                if isinstance(child, JavascriptLink)
                else assets.style_tag(body)
            )
            figure.header.add_child(Element(tag), name=key)
            if key == "leaflet" and offline_icons:
                icons = assets.script_tag(
                    'L.Icon.Default.imagePath="";L.Icon.Default.mergeOptions('
                    + js_json(assets.marker_icons())
                    + ");"
                )
                figure.header.add_child(Element(icons), name="leaflet_icons")
        else:
            figure.header.add_child(child, name=key)
    if unknown:
        raise InputError(
            "a self-contained map cannot include these network assets, which no installed "
            f"package provides: {', '.join(unknown)}. They come from folium elements added "
            "to the map (plugins, awesome-marker icons, folium.Popup); leave those out of "
            "offline maps or save with self_contained=False"
        )


def _needs_folium_defaults(m: folium.Map) -> bool:
    """Whether an added folium element relies on assets that folium.Map normally loads."""
    if getattr(m, "objects_to_stay_in_front", None) and not isinstance(m, AtlasMap):
        return True
    stack: list[Element] = list(m._children.values())
    while stack:
        node = stack.pop()
        if isinstance(node, folium.Icon | folium.Popup):
            return True
        stack.extend(node._children.values())
    return False


def map_html(m: folium.Map, *, self_contained: bool | None = None) -> str:
    """Render a map to a complete, byte-stable HTML page.

    Parameters
    ----------
    m : folium.Map
        A map from :func:`build_map` or any folium map.
    self_contained : bool, optional
        Inline every JavaScript and CSS asset from installed packages instead of
        linking to a CDN. Default: True for maps built with ``offline=True``.

    Returns
    -------
    str
        The page. The same map gives the same text on every call and in every process.

    Raises
    ------
    InputError
        If ``self_contained`` and the map uses an asset no installed package provides.
    """
    m = as_map(m)
    offline = bool(getattr(m, "offline", False))
    if self_contained is None:
        self_contained = offline
    if isinstance(m, AtlasMap) and _needs_folium_defaults(m):
        # folium.Icon and folium.Popup need jQuery, Bootstrap and awesome-markers,
        # which the atlas does not load by itself.
        m.default_js = list(_default_js)
        m.default_css = list(_default_css)
    figure = m.get_root()
    if not isinstance(figure, Figure):
        raise InputError("the map is not part of a folium Figure; create it with build_map")
    # Rendering appends each element's script to the figure, and folium re-creates some
    # (a layer's addTo call) under a new name on every render: without restoring the
    # figure, a second call would repeat them and the same map would give other bytes.
    parts = (figure.header, figure.html, figure.script)
    before = [dict(part._children) for part in parts]
    try:
        figure.render()
        if self_contained:
            _inline_header(figure, offline_icons=True)
        page = figure._template.render(this=figure, kwargs={})
        ids = _element_ids(figure)
    finally:
        for part, children in zip(parts, before, strict=True):
            part._children.clear()
            part._children.update(children)
    return _stable_ids(page, ids)


def save_map(
    m: folium.Map,
    path: str | os.PathLike[str],
    *,
    self_contained: bool | None = None,
    overwrite: bool = False,
) -> Path:
    """Write a map to an HTML file, atomically and byte-stable.

    Parameters
    ----------
    m : folium.Map
        A map from :func:`build_map` or any folium map.
    path : path-like
        Output file; its directory must exist.
    self_contained : bool, optional
        Inline every asset (see :func:`map_html`); default True for offline maps.
    overwrite : bool, keyword-only
        Replace ``path`` if it exists; by default an existing file is kept.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    OutputError
        If ``path`` exists and ``overwrite`` is false, is a directory, or its directory
        is missing or not writable (checked before the page is built).

    Notes
    -----
    Unlike ``m.save()``, the same map always gives the same bytes (folium's element ids
    are random), so atlases can be kept under version control.
    """
    target = check_output(path, overwrite=overwrite, what="map")
    return atomic_write_text(target, map_html(m, self_contained=self_contained))
