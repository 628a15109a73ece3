"""The page under its Content-Security-Policy in Chromium: everything it does (load, ask, open
a section, vote) raises no violation, and an inline event handler or a `javascript:` link that
reaches the page anyway does not run."""

from __future__ import annotations

import contextlib
import sqlite3
import time
from pathlib import Path

import pytest
from helpers_server import AppServer

pytestmark = [pytest.mark.slow, pytest.mark.browser]

QUESTION = "Will Russia give Iran fighter jets?"
BOTS = "#qa-chat [data-testid='bot']"
RECORD_VIOLATIONS = """
window.qaViolations = [];
document.addEventListener("securitypolicyviolation",
    (e) => window.qaViolations.push(`${e.violatedDirective} ${e.blockedURI}`));
"""
# Markup that slipped past every other defence: an image whose load fails, with an inline
# handler, and a javascript: link, clicked. The test's own listener reports when the error
# has fired, so the check does not depend on timing.
INJECT = """() => new Promise((done) => {
    const img = document.createElement("img");
    img.setAttribute("onerror", "window.qaRan = 'onerror'");
    img.addEventListener("error", () => setTimeout(done, 0));
    img.src = "/qa-no-such-image.png";
    document.body.append(img);
    const link = document.createElement("a");
    link.href = "javascript:void(window.qaRan = 'link')";
    document.body.append(link);
    link.click();
})"""


@pytest.fixture(scope="module")
def policy_app(served, tmp_path_factory):
    """(app, its data folder): the browser tests' index served with a feedback database of its
    own, so this test's vote does not show up in other tests' counts."""
    _, ws = served
    data = tmp_path_factory.mktemp("policy-data")
    server = AppServer(ws.env(QA_DATA_DIR=str(data))).start(tmp_path_factory.mktemp("policy-log"))
    yield server, data
    server.stop()


def votes(data: Path) -> int:
    """The votes stored so far (none before the store has made its table)."""
    path = data / "feedback.sqlite3"
    if not path.is_file():
        return 0
    with contextlib.closing(sqlite3.connect(path)) as conn:
        try:
            query = "SELECT count(*) FROM feedback WHERE vote IS NOT NULL"
            return conn.execute(query).fetchone()[0]
        except sqlite3.OperationalError:  # no table yet
            return 0


def test_page_works_under_its_policy_and_injected_script_does_not_run(page, policy_app):
    server, data = policy_app
    page.add_init_script(RECORD_VIOLATIONS)
    response = page.goto(server.url)
    policy = response.headers["content-security-policy"]
    script_src = next(d for d in policy.split("; ") if d.startswith("script-src "))
    assert "'unsafe-inline'" not in script_src and "'sha256-" in script_src
    for directive in ("object-src 'none'", "base-uri 'self'", "frame-ancestors 'none'"):
        assert directive in policy
    page.wait_for_selector("#qa-article section.qa-section", timeout=60_000)

    before = votes(data)
    box = page.locator("#qa-question textarea")
    box.fill(QUESTION)
    box.press("Enter")
    reply = page.locator(BOTS).last
    reply.locator(".qa-answer").wait_for(timeout=60_000)
    assert "fighter jets" in reply.locator(".qa-answer").inner_text()
    reply.locator("a.qa-section-link").first.click()
    page.locator("#qa-article section.qa-target").wait_for(timeout=5_000)
    page.locator("#qa-chat [aria-label='Like']").last.click()
    deadline = time.monotonic() + 15
    while votes(data) == before and time.monotonic() < deadline:
        time.sleep(0.2)
    assert votes(data) == before + 1  # the vote went through under the policy
    assert page.evaluate("window.qaViolations") == []

    page.evaluate(INJECT)
    assert page.evaluate("window.qaRan") is None
    blocked = page.evaluate("window.qaViolations")
    assert any(v.startswith("script-src") for v in blocked), blocked
