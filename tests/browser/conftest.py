"""Headless Chromium for the atlas tests, driven by Playwright for Python.

The browser is Debian's ``chromium`` (``apt-get install -y chromium``), never a
download by ``playwright install``. With ``CI=true`` a missing browser fails the tests;
elsewhere they are skipped with the reason.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("CORRIDORS_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def _unavailable() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed (pip install playwright)"
    if not Path(CHROMIUM).exists():
        return f"no Chromium at {CHROMIUM} (apt-get install -y chromium)"
    return None


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    reason = _unavailable()
    if reason:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"browser tests must run in CI: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@dataclass
class Opened:
    """A page showing a map, with everything it tried to do recorded."""

    page: Any
    requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def js(self, script: str, arg: Any = None) -> Any:
        return self.page.evaluate(script, arg)


def _local_asset(url: str) -> bytes | None:
    """Serve the CDN assets of online maps from the installed XStatic packages."""
    from corridors.maps._assets import inline_asset

    body = inline_asset(url)
    return body.encode("utf-8") if body is not None else None


@pytest.fixture
def open_map(browser: Any, tmp_path: Path) -> Iterator[Callable[..., Opened]]:
    contexts: list[Any] = []

    def opener(html: str, *, network: bool = True, wait_ms: int = 0) -> Opened:
        path = tmp_path / f"map{len(contexts)}.html"
        path.write_text(html, encoding="utf-8")
        context = browser.new_context(viewport={"width": 1200, "height": 800})
        contexts.append(context)
        page = context.new_page()
        opened = Opened(page)
        page.on("request", lambda r: opened.requests.append(r.url))
        page.on("console", lambda m: opened.console.append(f"{m.type}: {m.text}"))
        page.on("pageerror", lambda e: opened.errors.append(str(e)))

        def on_dialog(dialog: Any) -> None:
            opened.dialogs.append(f"{dialog.type}: {dialog.message}")
            dialog.dismiss()

        page.on("dialog", on_dialog)

        def route(r: Any) -> None:
            url = r.request.url
            body = _local_asset(url) if network else None
            if body is not None:
                kind = "text/css" if url.endswith(".css") else "application/javascript"
                r.fulfill(status=200, body=body, content_type=kind)
            elif network:
                r.fulfill(status=204, body=b"")  # tiles: nothing to draw, no delay
            else:
                r.abort()

        # Never reach the internet from a test; a file:// page can still ask for it.
        page.route("http://**/*", route)
        page.route("https://**/*", route)
        page.goto(path.as_uri())
        page.wait_for_function("window.corridorsAtlas && window.corridorsAtlas.groups.length > 0")
        # A page with the atlas's controls has settled its first view.
        page.wait_for_function("!window.corridorsAtlas.map || window.corridorsAtlas.ready")
        if wait_ms:
            page.wait_for_timeout(wait_ms)
        return opened

    yield opener
    for context in contexts:
        context.close()
