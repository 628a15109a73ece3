"""The soak, short: `qa bench --parts soak` drives the served app for 2 minutes in half-minute
windows with page loads, JSON asks, Gradio asks, chat asks and votes; no request fails and
memory and p99 stay within their bands (the full hour: docs/reliability.md)."""

from __future__ import annotations

import json
import sqlite3

import pytest
from helpers_server import AppServer, run_qa, workspace

from qa.tools.soak import rss_mb
from qa.tools.soak_traffic import Loopback, PageEvents, Visitor
from qa.web.feedback import FILENAME

pytestmark = pytest.mark.slow

MINUTES, WINDOW = "2", "0.5"
KINDS = {"page", "json", "gradio", "chat", "vote"}
SESSIONS, VISITORS = 20, 240  # the page remembers 20 sessions; 240 new ones come
SESSION_GROWTH_MB = 12  # without the cap each session keeps ~115 kB: ~27 MB for 240


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    return workspace(tmp_path_factory.mktemp("soak"))


def test_two_minutes_of_mixed_traffic_fail_nothing_and_stay_flat(ws, tmp_path):
    """With room for 50 sessions (5 MB), full within the warm-up: the memory the two minutes
    judge is the rest (the default 200 fill over the first minutes of a soak)."""
    with AppServer(ws.env(QA_SESSIONS="50")).start(tmp_path) as app:
        args = ["bench", "--parts", "soak", "--url", app.url, "--minutes", MINUTES]
        soak = run_qa([*args, "--window", WINDOW, "--json"], ws.env(), timeout=600)
        log = app.log()
    report = json.loads(soak.stdout)["soak"]
    print(f"\nsoak: {json.dumps(report['windows'])}\n{json.dumps(report['checks'])}")
    assert report["failure_count"] == 0, report["failures"]
    assert report["pid"] == app.pid  # the app's process found by its port: its RSS is read
    assert len(report["windows"]) == 4
    for window in report["windows"]:
        assert set(window["by_kind"]) == KINDS and window["rss_mb"] > 0, window
    assert soak.returncode == 0 and report["passed"], report["checks"]
    with sqlite3.connect(ws.data / FILENAME) as db:
        votes = db.execute("SELECT COUNT(*) FROM feedback WHERE vote IS NOT NULL").fetchone()[0]
    assert votes > 0  # the soak's votes reach the store through the page's own event
    assert "not an answer of this chat" not in log  # each vote named an answer of its chat


def test_memory_of_browser_sessions_is_capped(ws, tmp_path):
    """Each visitor's session (the article view, the chat) is kept by Gradio; past
    `QA_SESSIONS` the least recently used goes, so new visitors do not grow memory."""
    with AppServer(ws.env(QA_SESSIONS=str(SESSIONS))).start(tmp_path) as app:
        http = Loopback(app.url, 60)
        events = PageEvents.read(http)
        for _ in range(3 * SESSIONS):  # fill the cap, then measure
            Visitor(http, events).ask("Does Russia sell weapons to Iran?")
        before = rss_mb(app.pid)
        for _ in range(VISITORS):
            Visitor(http, events).ask("Does Russia sell weapons to Iran?")
        after = rss_mb(app.pid)
    print(f"\n{VISITORS} new sessions: RSS {before:.1f} -> {after:.1f} MB")
    assert after - before < SESSION_GROWTH_MB
