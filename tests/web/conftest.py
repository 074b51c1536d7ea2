"""A real site and a real browser: the site served by uvicorn on 127.0.0.1, Debian's Chromium.

The site is ``kb.web.create_site`` over a real store; Playwright drives the browser.

Every page a test opens is watched: a request to any other host is refused and recorded, and
the test fails if there was one. A failing test leaves a screenshot of the page it was on in
``KB_SCREENSHOTS`` (``test-screenshots/`` at the top of the checkout by default).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from kb.query.named import read_queries
from kb.settings import get_settings
from kb.store import OxigraphStore
from tests.support.graphs import cases_store
from tests.support.paths import ROOT, need
from tests.support.server import serve

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# As the machine's own probe starts it: no sandbox as root, nothing fetched in the background.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
SCREENSHOTS = Path(os.environ.get("KB_SCREENSHOTS", ROOT / "test-screenshots"))
VENDOR = ROOT / "kb" / "web" / "static" / "vendor"
LOOPBACK = "127.0.0.1"  # the only host a page may reach (every test server listens there)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Keep each phase's report on the test, so the page fixture knows whether it failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def site_store() -> OxigraphStore:
    """The sample, the seed and the case series, in memory, for the whole session."""
    return cases_store()


@pytest.fixture(scope="session")
def site(site_store: OxigraphStore) -> Iterator[str]:
    """The site served on a free loopback port; its base URL."""
    from kb.web import create_site

    app = create_site(site_store, read_queries(), get_settings())
    app.state.cases.get()  # the case index, built before the first page (facets need it)
    with serve(app) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Debian Chromium (skipped locally without it; never under CI).

    Per module: Playwright's sync API keeps an event loop running in the test thread while it
    is open, which later tests calling ``asyncio.run`` must not inherit.
    """
    need(Path(CHROMIUM).exists(), f"{CHROMIUM} is not installed (apt install chromium)")
    need((VENDOR / "MANIFEST.json").exists(), "front-end files absent: scripts/vendor_frontend.py")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


class Watched:
    """A browser page, and every request it tried to make to another host."""

    def __init__(self, page: Any, base: str) -> None:
        self.page = page
        self.base = base
        self.outside: list[str] = []
        self.errors: list[str] = []

    def open(self, path: str) -> Any:
        """Go to a path of the site and wait for the page to settle; the response."""
        response = self.page.goto(self.base + path, wait_until="load")
        assert response is not None and response.ok, f"{path}: {response and response.status}"
        return response


@pytest.fixture
def web(browser: Any, site: str, request: pytest.FixtureRequest) -> Iterator[Watched]:
    """A fresh browser page on the site; fails the test if it reached for another host."""
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    watched = Watched(page, site)

    def guard(route: Any) -> None:
        url = route.request.url
        if url.startswith(("data:", "blob:", "about:")) or urlsplit(url).hostname == LOOPBACK:
            route.continue_()
        else:
            watched.outside.append(url)
            route.abort()

    context.route("**/*", guard)
    page.on("pageerror", lambda exc: watched.errors.append(str(exc)))
    yield watched
    failed = any(
        getattr(getattr(request.node, f"report_{when}", None), "failed", False)
        for when in ("setup", "call")
    )
    if failed:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{request.node.name}.png"), full_page=True)
    context.close()
    assert not watched.outside, f"the page reached for other hosts: {watched.outside}"
    assert not watched.errors, f"the page's scripts failed: {watched.errors}"
