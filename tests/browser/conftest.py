"""Fixtures for the browser tests: one headless Chromium, one Voilà server, pages that cannot reach
anything but 127.0.0.1.  Run with `make test-browser` (see tests/browser/install.sh)."""
import os
from pathlib import Path

import pytest

from . import servers
from .servers import SCREENSHOTS

try:
    from playwright.sync_api import sync_playwright
except ImportError:                       # reported by the `chromium` fixture, with the cure
    sync_playwright = None

# Voilà's templates link Font Awesome stylesheets from a CDN although its own bundle already carries
# them (the Train button's icon and the tree's file icons show with these requests blocked).  They are
# blocked like every other outside request; they alone are expected.
EXPECTED_BLOCKED = ("https://cdn.jsdelivr.net/npm/@fortawesome/fontawesome-free@",
                    "https://cdn.jsdelivr.net/npm/font-awesome@")


def pytest_ignore_collect(collection_path, config):
    """Browser tests are collected only when tests/browser (or something in it) is named on the
    command line, as `make test-browser` does; a plain `pytest tests` stays quick and browser-free."""
    here = Path(__file__).parent
    named = (Path(config.invocation_params.dir, arg.split("::")[0]).resolve() for arg in config.args)
    return not any(path == here or here in path.parents for path in named)


@pytest.fixture(scope="session")
def chromium():
    if sync_playwright is None or not os.access(servers.CHROMIUM, os.X_OK):
        pytest.fail(f"the browser tests need PyPI playwright and Chromium at {servers.CHROMIUM}: "
                    "run `sh tests/browser/install.sh` (or `make test-browser`, which does)", pytrace=False)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=servers.CHROMIUM, args=servers.CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def voila_server():
    server = servers.voila(SCREENSHOTS / "voila.log")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def report():
    """A function adding a line to build/browser/report.txt: what was verified, widget by widget."""
    lines = []
    yield lines.append
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS / "report.txt").write_text("".join(f"{line}\n" for line in lines))


@pytest.fixture
def new_page(chromium):
    """A function opening a fresh page in its own context; at the end of the test, fail on any
    uncaught page error or any blocked request other than the known Font Awesome links."""
    contexts, blocked, errors = [], [], []

    def open_page(width=1280, height=1000):
        context = chromium.new_context(viewport={"width": width, "height": height})
        context.set_default_timeout(30_000)
        servers.block_remote(context, blocked)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        return page

    yield open_page
    for context in contexts:
        context.close()
    unexpected = [url for url in blocked if not url.startswith(EXPECTED_BLOCKED)]
    assert not unexpected, f"the page asked for outside addresses (blocked): {unexpected}"
    assert not errors, f"uncaught errors in the page: {errors}"
