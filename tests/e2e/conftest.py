"""Browser tests: Debian's headless Chromium driven by Playwright, a real local server.

Nothing here may reach anything but 127.0.0.1: the server binds there, and every page
refuses (and records) requests to any other host.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from werkzeug.serving import make_server

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Any]


@dataclass
class LiveServer:
    """A werkzeug server on 127.0.0.1 serving the app bound once the port is known."""

    base_url: str
    port: int
    apps: list[WsgiApp] = field(default_factory=list)
    outside_requests: list[str] = field(default_factory=list)

    def bind(self, app: WsgiApp) -> None:
        """Serve `app` from now on."""
        self.apps[:] = [app]

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        """The WSGI entry point the server calls."""
        return self.apps[0](environ, start_response)


# Package scope, not session: while Playwright's sync API is open it holds an asyncio loop
# running in the main thread, and the tests after tests/e2e that call asyncio.run() (the
# Discord command handlers) would fail with "cannot be called from a running event loop".
@pytest.fixture(scope="package")
def playwright_api() -> Iterator[Any]:
    """Playwright's sync API, or a skip that says what is missing."""
    if not CHROMIUM.exists():
        pytest.skip(
            f"browser test skipped: {CHROMIUM} is missing (Debian package `chromium`; "
            "`make test` installs it when run as root with apt-get)"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("browser test skipped: the `playwright` package is not installed (dev extra)")
    with sync_playwright() as api:
        yield api


@pytest.fixture(scope="package")
def browser(playwright_api: Any) -> Iterator[Any]:
    """Headless Debian Chromium (never a downloaded browser build)."""
    chromium = playwright_api.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
    yield chromium
    chromium.close()


@pytest.fixture
def live_server() -> Iterator[LiveServer]:
    """A threaded werkzeug server on 127.0.0.1 (port chosen by the OS); test binds the app."""
    live = LiveServer(base_url="", port=0)
    server = make_server("127.0.0.1", 0, live, threaded=True)
    live.port = server.server_port
    live.base_url = f"http://127.0.0.1:{live.port}"
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield live
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def page(browser: Any, live_server: LiveServer) -> Iterator[Any]:
    """A fresh page (en-US, Tokyo time) that blocks every host but 127.0.0.1."""
    context = browser.new_context(locale="en-US", timezone_id="Asia/Tokyo")

    def guard(route: Any) -> None:
        host = urlsplit(route.request.url).hostname
        if host == "127.0.0.1" or route.request.url.startswith(("data:", "blob:")):
            route.fallback()
        else:
            live_server.outside_requests.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    tab = context.new_page()
    yield tab
    context.close()
