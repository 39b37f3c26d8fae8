"""JavaScript and CSS for maps: CDN links online, inlined package files offline.

Third-party assets come from XStatic packages installed as dependencies (never copied
into this repository): XStatic-Leaflet and XStatic-Leaflet-MarkerCluster. The atlas's
own runtime (``_static/atlas.js`` and ``atlas.css``) is always inlined: it is small and
has no other home. Images referenced by Leaflet's CSS become ``data:`` URIs, because a
single file cannot point at sibling image files.
"""

from __future__ import annotations

import base64
import functools
import re
from importlib import resources
from pathlib import Path

from ..errors import DataFileError

__all__ = [
    "cluster_links",
    "inline_asset",
    "leaflet_links",
    "leaflet_version",
    "static_text",
]


@functools.lru_cache(maxsize=1)
def _leaflet_dir() -> Path:
    """Folder of the installed XStatic-Leaflet files."""
    try:
        from xstatic.pkg import leaflet
    except ImportError as exc:  # pragma: no cover - a hard dependency
        raise DataFileError(
            "XStatic-Leaflet is not installed; install it with `pip install XStatic-Leaflet`"
        ) from exc
    return Path(leaflet.BASE_DIR)


@functools.lru_cache(maxsize=1)
def _cluster_dir() -> Path:
    """Folder of the installed XStatic-Leaflet-MarkerCluster files."""
    try:
        from xstatic.pkg import leaflet_markercluster
    except ImportError as exc:  # pragma: no cover - a hard dependency
        raise DataFileError(
            "XStatic-Leaflet-MarkerCluster is not installed; install it with "
            "`pip install XStatic-Leaflet-MarkerCluster`"
        ) from exc
    return Path(leaflet_markercluster.BASE_DIR)


def leaflet_version() -> str:
    """Version of the installed Leaflet, used for the CDN links of online maps too."""
    from xstatic.pkg import leaflet

    return str(leaflet.VERSION)


def _cluster_version() -> str:
    """Version of the installed Leaflet.markercluster, for its CDN links."""
    from xstatic.pkg import leaflet_markercluster

    return str(leaflet_markercluster.VERSION)


def leaflet_links() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """``(js, css)`` link lists for Leaflet, named as folium names them."""
    base = f"https://cdn.jsdelivr.net/npm/leaflet@{leaflet_version()}/dist"
    return [("leaflet", f"{base}/leaflet.js")], [("leaflet_css", f"{base}/leaflet.css")]


def cluster_links() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """``(js, css)`` link lists for Leaflet.markercluster, named as folium names them."""
    base = f"https://cdn.jsdelivr.net/npm/leaflet.markercluster@{_cluster_version()}/dist"
    return (
        [("markerclusterjs", f"{base}/leaflet.markercluster.js")],
        [
            ("markerclustercss", f"{base}/MarkerCluster.css"),
            ("markerclusterdefaultcss", f"{base}/MarkerCluster.Default.css"),
        ],
    )


# File name at the end of a CDN URL -> (package directory getter, file in the package).
_KNOWN = {
    "leaflet.js": (_leaflet_dir, "leaflet.js"),
    "leaflet.css": (_leaflet_dir, "leaflet.css"),
    "leaflet.markercluster.js": (_cluster_dir, "leaflet.markercluster.js"),
    "MarkerCluster.css": (_cluster_dir, "MarkerCluster.css"),
    "MarkerCluster.Default.css": (_cluster_dir, "MarkerCluster.Default.css"),
}

_SOURCE_MAP = re.compile(r"^\s*//# sourceMappingURL=.*$|/\*# sourceMappingURL=.*?\*/", re.M)
_CSS_URL = re.compile(r"url\((['\"]?)(images/[^)'\"]+)\1\)")


def _data_uri(path: Path) -> str:
    """A ``data:`` URI holding an image file (PNG or SVG)."""
    kind = {"png": "image/png", "svg": "image/svg+xml"}.get(path.suffix.lstrip("."), "")
    if not kind:
        raise DataFileError(f"cannot inline {path}: unknown image type")
    return f"data:{kind};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


@functools.cache
def inline_asset(url: str) -> str | None:
    """Return the text of a known asset for inlining, or None if it is unknown.

    Source-map comments are removed (they would make developer tools fetch files that
    do not exist) and CSS image references become ``data:`` URIs.
    """
    name = url.rsplit("/", 1)[-1].split("?", 1)[0]
    known = _KNOWN.get(name)
    if known is None:
        return None
    directory = known[0]()
    path = directory / known[1]
    try:
        body = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DataFileError(f"cannot read {path} to inline it ({exc})") from exc
    body = _SOURCE_MAP.sub("", body)
    if name.endswith(".css"):
        body = _CSS_URL.sub(lambda m: f"url({_data_uri(directory / m.group(2))})", body)
    return body


@functools.cache
def marker_icons() -> dict[str, str]:
    """``data:`` URIs for Leaflet's default marker icons (``L.Icon.Default`` options)."""
    images = _leaflet_dir() / "images"
    return {
        "iconUrl": _data_uri(images / "marker-icon.png"),
        "iconRetinaUrl": _data_uri(images / "marker-icon-2x.png"),
        "shadowUrl": _data_uri(images / "marker-shadow.png"),
    }


@functools.cache
def static_text(name: str) -> str:
    """Text of one of the atlas's own files in ``corridors/_static``."""
    return resources.files("corridors").joinpath("_static", name).read_text(encoding="utf-8")


@functools.cache
def minified_static(name: str) -> str:
    """One of the atlas's own scripts or style sheets, minified for the page.

    Comments and layout are for the people reading ``corridors/_static``; every page
    would otherwise carry them (about a third of atlas.js). rjsmin and rcssmin only
    drop comments and white space, so the page runs the same code.
    """
    text = static_text(name)
    if name.endswith(".js"):
        import rjsmin

        return str(rjsmin.jsmin(text))
    if name.endswith(".css"):
        import rcssmin

        return str(rcssmin.cssmin(text))
    return text


def script_tag(body: str) -> str:
    """Wrap JavaScript in a script element that its text cannot close early."""
    return "<script>" + body.replace("</script", "<\\/script") + "</script>"


def style_tag(body: str) -> str:
    """Wrap CSS in a style element that its text cannot close early."""
    return "<style>" + body.replace("</style", "<\\/style") + "</style>"
