"""The page over three documents (a .txt, a .md and an .html): each passage names its
document, its section link opens that document's section in the pane, the picker switches
documents and deep links still work after a switch; the wording and the examples follow the
corpus (examples.json beside the documents)."""

from __future__ import annotations

import json

import pytest
from helpers_server import AppServer, run_qa, workspace
from test_page import BOTS, Page

pytestmark = [pytest.mark.slow, pytest.mark.browser]

TEA = """# Tea in Britain

## History

Tea reached Britain in the seventeenth century through Dutch and Portuguese traders.
Catherine of Braganza made tea fashionable at the English court after 1662.

## Habits

Most tea drunk in Britain today is black tea, often taken with milk.
Afternoon tea is a light meal served between three and five o'clock.
"""
VOLCANOES = b"""<!DOCTYPE html><html><head><title>Volcanoes of Iceland</title></head><body>
<nav><a href="/">Home</a> <a href="/travel">Travel</a></nav><article>
<h1>Volcanoes of Iceland</h1>
<p>Iceland sits on the Mid-Atlantic Ridge, where two tectonic plates pull apart, and it has
about thirty active volcanic systems.</p>
<h2>Eruptions</h2>
<p>The 2010 eruption of Eyjafjallajokull sent an ash cloud over Europe that grounded flights for
six days. Hekla has erupted more than twenty times since the year 874.</p>
</article><footer>Copyright 2026 Travel Notes</footer></body></html>"""
EXAMPLES = ["When did Catherine of Braganza make tea fashionable?", "Why did flights stop in 2010?"]


@pytest.fixture(scope="module")
def three(tmp_path_factory):
    ws = workspace(tmp_path_factory.mktemp("three-ws"), build=False)
    (ws.corpus / "tea-in-britain.md").write_text(TEA, encoding="utf-8")
    (ws.corpus / "volcanoes.html").write_bytes(VOLCANOES)
    (ws.corpus / "examples.json").write_text(json.dumps(EXAMPLES), encoding="utf-8")
    proc = run_qa(["build"], ws.env(), timeout=600)
    assert proc.returncode == 0 and "3 documents" in proc.stdout, proc.stderr
    server = AppServer(ws.env()).start(tmp_path_factory.mktemp("three-log"))
    yield server
    server.stop()


@pytest.fixture
def app(page, three):
    return Page(page, three.url)


def current_document(page) -> str:
    return page.locator("#qa-article button.qa-doc-tab[aria-current='true']").inner_text()


def pane_position(page, dom_id: str) -> float:
    """How far the element's top is below the top of the article pane's visible area, in px
    (negative: scrolled past)."""
    return page.evaluate(
        """(id) => {
          const box = document.querySelector('#qa-article .qa-article-scroll');
          return document.getElementById(id).getBoundingClientRect().top
            - box.getBoundingClientRect().top;
        }""",
        dom_id,
    )


def at_top(page, dom_id: str) -> bool:
    return -2 <= pane_position(page, dom_id) <= 40


RUSSIA = "Will Russia Support Iran? Unpacking A Complex Alliance"


def test_passages_name_their_document_links_open_it_and_the_picker_switches(app):
    page = app.page
    tabs = page.locator("#qa-article button.qa-doc-tab")
    assert tabs.all_inner_texts() == ["Tea in Britain", "Volcanoes of Iceland", RUSSIA]
    assert current_document(page) == "Tea in Britain"
    assert "Document QA" in page.locator("#qa-intro").inner_text()
    chips = page.locator("#qa-examples button.gallery-item")
    assert [c.strip() for c in chips.all_inner_texts()] == EXAMPLES

    _ask_and_follow(
        app,
        "How long were flights grounded by the ash cloud?",
        "Volcanoes of Iceland",
        "six days",
        "eruptions",
    )

    tabs.nth(2).click()  # switch to the Russia article
    assert current_document(page) == RUSSIA
    assert at_top(page, "doc-will-russia-support-irantxt"), pane_position(
        page, "doc-will-russia-support-irantxt"
    )
    assert pane_position(page, "eruptions") < 0

    # a deep link into another document after the switch
    _ask_and_follow(app, EXAMPLES[0], "Tea in Britain", "Catherine of Braganza", "history")


def _ask_and_follow(app, question: str, document: str, phrase: str, anchor: str) -> None:
    """Ask; the first passage names `document` and the answer holds `phrase`; its section link
    opens `document` in the pane at `anchor`."""
    reply = app.ask(question)
    first = reply.locator(".qa-passage").first
    assert first.locator(".qa-passage-doc").inner_text() == document
    assert phrase in reply.locator(".qa-answer").inner_text()
    first.locator("a.qa-section-link").click()
    assert current_document(app.page) == document
    assert at_top(app.page, anchor)


def test_abstention_speaks_of_the_documents(app):
    reply = app.ask("What is the capital of Australia?")
    assert reply.locator(".qa-answer").inner_text().startswith("The documents do not say")
    assert app.page.locator(BOTS).count() == 1
