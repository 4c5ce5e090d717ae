"""Fixtures for the browser tests: a live service, Debian's Chromium, a page, screenshots.

Skipped with the install command when Chromium (or Playwright) is missing; under CI (which
installs Chromium, ``.ci/bootstrap dev``) a failure instead, as the Redis tests do. Every
page blocks requests that leave loopback, so a page that needs the network fails here.
Screenshots go to ``.artifacts/browser/`` (gitignored); with ``UEI_SCREENSHOTS=1`` the ones a
test names for the docs also go to ``docs/screenshots/``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest

from tests.conftest import in_ci
from uei_testing.browser import CHROMIUM, CHROMIUM_ARGS, REPO, chromium_missing

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Route

ARTIFACTS = REPO / ".artifacts" / "browser"
DOCS = REPO / "docs" / "screenshots"
LOOPBACK = {"127.0.0.1", "localhost", "[::1]", "::1"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Chromium for one test module: Playwright's sync API runs an event loop in this thread
    while it lives, and the asyncio tests of the next module need the thread back."""
    problem = chromium_missing()
    if problem is not None:
        message = f"browser tests need Chromium: {problem}"
        if in_ci():
            pytest.fail(f"{message} (CI is set: there it is a failure)", pytrace=False)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def offline() -> list[str]:
    """The addresses a page tried to reach off loopback (each was blocked)."""
    return []


@pytest.fixture
def page(browser: Browser, offline: list[str]) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 860})

    def only_loopback(route: Route) -> None:
        host = urlsplit(route.request.url).hostname or ""
        if host in LOOPBACK or route.request.url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            offline.append(route.request.url)
            route.abort()

    context.route("**/*", only_loopback)
    opened = context.new_page()
    try:
        yield opened
    finally:
        context.close()


@pytest.fixture
def screenshot(request: pytest.FixtureRequest) -> Callable[..., Path]:
    """``screenshot(page, name, docs=False)``: a PNG in the artifacts directory; with
    ``docs`` and ``UEI_SCREENSHOTS`` set, also ``docs/screenshots/<name>.png``."""

    def take(page: Any, name: str, *, docs: bool = False) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{request.node.name}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        if docs and os.environ.get("UEI_SCREENSHOTS"):
            DOCS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(DOCS / f"{name}.png"), full_page=False)
        return path

    return take
