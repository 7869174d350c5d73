"""End-to-end fixtures: a demo instance served by gunicorn, and Debian's
Chromium driven by Playwright. Skipped when Chromium or Playwright is missing,
except in CI, where ITWORKS_REQUIRE_BROWSER=1 turns that into a failure."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("ITWORKS_CHROMIUM", "/usr/bin/chromium")
REQUIRE = os.environ.get("ITWORKS_REQUIRE_BROWSER") == "1"
# Flags from this machine's notes: no sandbox as root, and no background
# traffic to the outside world (the network is closed).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _unavailable(reason: str) -> None:
    if REQUIRE:
        pytest.fail(f"ITWORKS_REQUIRE_BROWSER=1 but {reason}")
    pytest.skip(reason)


# Module scope: Playwright's sync API runs an event loop on this thread, which
# must be gone before other modules tear down Flask app contexts.
@pytest.fixture(scope="module")
def browser():  # noqa: ANN201
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed")
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        _unavailable(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory, browser):  # noqa: ANN001, ANN201
    """A demo instance (40 registrants) served by gunicorn; yields (server, logins)."""
    from testsupport import Server

    instance = tmp_path_factory.mktemp("e2e") / "instance"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ITWORKS_")}
    env["ITWORKS_INSTANCE"] = str(instance)
    loaded = subprocess.run(
        [sys.executable, "-m", "itworks.cli", "demo", "--no-serve", "--registrants", "40"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    logins = {
        role: (user, password)
        for role, user, password in re.findall(
            r"^\s+(\w+)\s+(demo-\w+)\s+(\S+)$", loaded.stdout, re.M
        )
    }
    with Server(instance, None) as server:
        server.instance = instance
        yield server, logins


@pytest.fixture
def page(browser):  # noqa: ANN001, ANN201
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ja-JP")
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda m: page.console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: page.console_errors.append(str(e)))
    yield page
    context.close()
