"""Browser tests: Debian's chromium driven by pytest-playwright, against `python app.py`.

Without chromium the tests skip with the reason, except under CI (env CI set), where they fail,
so CI cannot pass by skipping. The app serves a copy of the corpus plus one hostile document
(markup and script in its title, headings and text) from a freshly built index.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from helpers_server import AppServer, run_qa, workspace

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
]
CANDIDATES = ("chromium", "chromium-browser", "/usr/lib/chromium/chromium")
HOSTILE_DOC = """# Gardening <img src=x onerror=alert(1)> notes

## Tomatoes <script>alert(2)</script> care

Tomatoes need full sun and **plenty** of water. <img src=x onerror=alert(3)> Gardeners stake
tomato plants with <a href="javascript:alert(4)">a cane</a>, $$x^2$$, {{7*7}} and ${7*7}.

## Watering by month

| Month | Water per plant |
|---|---|
| June | one litre a day |
| July | two litres a day |
"""


def chromium_path() -> str | None:
    """Debian's chromium, or $QA_CHROMIUM."""
    for name in (os.environ.get("QA_CHROMIUM"), *CANDIDATES):
        found = name and shutil.which(name)
        if found:
            return found
    return None


@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict:
    path = chromium_path()
    if path is None:
        reason = "chromium not found (apt-get install chromium, or set QA_CHROMIUM)"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; browser tests may not be skipped under CI")
        pytest.skip(reason)
    return {"executable_path": path, "headless": True, "args": FLAGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args) -> dict:
    return {**browser_context_args, "viewport": {"width": 1400, "height": 1000}}


@pytest.fixture(scope="session")
def served(tmp_path_factory):
    """(app server, workspace): the app on a free port over the corpus + a hostile document."""
    ws = workspace(tmp_path_factory.mktemp("browser-ws"), build=False)
    (ws.corpus / "zz-hostile.md").write_text(HOSTILE_DOC, encoding="utf-8")
    proc = run_qa(["build"], ws.env(), timeout=600)
    assert proc.returncode == 0, proc.stderr
    server = AppServer(ws.env()).start(tmp_path_factory.mktemp("browser-log"))
    yield server, ws
    server.stop()


@pytest.fixture(scope="session")
def screenshot_path(tmp_path_factory) -> Path:
    """The README's screenshot when `QA_UPDATE_SCREENSHOT=1`, else a temporary file (a test
    run should not leave the checkout changed)."""
    if os.environ.get("QA_UPDATE_SCREENSHOT") == "1":
        return Path(__file__).resolve().parents[2] / "docs" / "screenshot.png"
    return tmp_path_factory.mktemp("screenshot") / "screenshot.png"
