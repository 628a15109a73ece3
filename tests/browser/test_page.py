"""The page in a real browser: ask, read the highlighted passage, open its section, follow up,
vote; hostile input shown as text; friendly messages; no request leaves the machine."""

from __future__ import annotations

import contextlib
import json
import sqlite3
import time
from urllib.parse import urlsplit

import pytest
from helpers_server import post_json
from playwright.sync_api import expect

from qa.web.feedback import FeedbackStore

pytestmark = [pytest.mark.slow, pytest.mark.browser]

QUESTION = "Will Russia give Iran fighter jets?"
FOLLOW_UP = "Why not?"
BOTS = "#qa-chat [data-testid='bot']"
USERS = "#qa-chat [data-testid='user']"
XSS = ["<img src=x onerror=alert(1)>", "<script>alert(1)</script>"]


class Page:
    """The app's page with every request and dialog recorded."""

    def __init__(self, page, url: str) -> None:
        self.page, self.url = page, url
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        page.on("request", lambda r: self.requests.append(r.url))
        page.on("dialog", self._dialog)
        page.goto(url)
        page.wait_for_selector("#qa-question textarea")
        page.wait_for_selector("#qa-article section.qa-section", timeout=60_000)

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def ask(self, text: str):
        """Type `text`, press Enter, wait for the reply; the reply's locator."""
        before = self.page.locator(BOTS).count()
        box = self.page.locator("#qa-question textarea")
        box.fill(text)
        box.press("Enter")
        self.page.wait_for_function(
            f'document.querySelectorAll("{BOTS}").length > {before}', timeout=60_000
        )
        return self.page.locator(BOTS).nth(before)

    def hosts(self) -> set[str]:
        return {urlsplit(u).netloc for u in self.requests if not u.startswith(("data:", "blob:"))}


@pytest.fixture
def app_page(page, served):
    server, _ = served
    recorded = Page(page, server.url)
    yield recorded
    assert recorded.hosts() == {f"127.0.0.1:{server.port}"}  # nothing but its own host
    assert recorded.dialogs == []


def feedback_rows(ws, wanted: int, votes: bool = True, timeout: float = 15) -> list[dict]:
    """The vote (or abstention) rows, once there are at least `wanted` of them."""
    path = ws.data / "feedback.sqlite3"
    deadline = time.monotonic() + timeout
    rows: list[dict] = []
    while time.monotonic() < deadline:
        if path.is_file():
            conn = sqlite3.connect(path)
            conn.row_factory = sqlite3.Row
            where = "vote IS NOT NULL" if votes else "vote IS NULL"
            rows = [dict(r) for r in conn.execute(f"SELECT * FROM feedback WHERE {where}")]
            conn.close()
            if len(rows) >= wanted:
                return rows
        time.sleep(0.2)
    return rows


@contextlib.contextmanager
def write_lock(ws):
    """Hold the feedback database's write lock: the page's votes wait (busy timeout) until the
    block ends."""
    store = FeedbackStore(ws.data)
    with contextlib.closing(store._connect()) as conn:  # creates the database and table
        conn.isolation_level = None
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            conn.execute("COMMIT")


def test_ask_open_section_follow_up_and_vote(app_page, served, screenshot_path):
    server, ws = served
    page = app_page.page
    reply = app_page.ask(QUESTION)
    status, expected = post_json(f"{server.url}/api/ask", {"question": QUESTION})
    assert status == 200 and not expected["abstained"]
    assert reply.locator(".qa-answer").inner_text() == expected["answer"]
    assert "fighter jets" in expected["answer"]
    mark = reply.locator("mark.qa-highlight").first
    assert mark.is_visible() and mark.inner_text() == expected["answer"]
    assert reply.locator(".qa-relevance").first.inner_text().endswith("%")

    link = reply.locator("a.qa-section-link").first
    anchor = link.get_attribute("href")[1:]
    assert anchor == expected["passages"][0]["anchor"]
    link.click()
    target = page.locator(f"#qa-article section.qa-target[id='{anchor}']")
    target.wait_for(timeout=5_000)
    box = page.locator("#qa-article .qa-article-scroll").bounding_box()
    top = target.bounding_box()
    assert box["y"] <= top["y"] <= box["y"] + 40  # the section is at the top of the view
    assert target.locator("h2, h3").first.inner_text() == expected["passages"][0]["section"]
    page.screenshot(path=str(screenshot_path))

    second = app_page.ask(FOLLOW_UP)
    body = {"question": FOLLOW_UP, "history": [QUESTION]}
    status, follow = post_json(f"{server.url}/api/ask", body)
    assert status == 200
    assert second.locator(".qa-answer").inner_text() == follow["answer"]
    _, alone = post_json(f"{server.url}/api/ask", {"question": FOLLOW_UP})
    assert alone["abstained"] and not follow["abstained"]  # so the page did send the history

    # Two votes in quick succession, the first still being stored when the second is cast
    # (the test holds the database's write lock meanwhile): both must land, each on its own
    # answer. Gradio's default trigger_mode "once" dropped the second vote (issue 12, item 13).
    with write_lock(ws):
        page.locator("#qa-chat [aria-label='Dislike']").nth(0).click()
        page.locator("#qa-chat [aria-label='Like']").nth(1).click()
        expect(page.locator("#qa-chat [aria-label='Liked']")).to_have_count(1)
    rows = feedback_rows(ws, 2)
    assert len(rows) == 2, rows
    votes = {r["question"]: r for r in rows}
    assert votes[QUESTION]["vote"] == -1 and json.loads(votes[QUESTION]["history"]) == []
    assert votes[QUESTION]["answer"] == expected["answer"]
    ids = [p["id"] for p in expected["passages"][:3]]
    assert json.loads(votes[QUESTION]["passage_ids"]) == ids
    assert votes[FOLLOW_UP]["vote"] == 1
    assert json.loads(votes[FOLLOW_UP]["history"]) == [QUESTION]


def test_markup_in_questions_is_shown_as_text_and_never_runs(app_page):
    page = app_page.page
    for text in XSS:
        app_page.ask(text)
    users = page.locator(USERS)
    assert [users.nth(i).inner_text().strip() for i in range(users.count())] == XSS
    page.wait_for_timeout(500)  # give a fired onerror/script a moment to open a dialog
    assert app_page.dialogs == []
    assert page.locator("#qa-chat img, #qa-chat script").count() == 0
    injected = page.evaluate(
        "[...document.querySelectorAll('[onerror]')].length"
        " + [...document.scripts].filter(s => s.textContent.includes('alert(1)')).length"
    )
    assert injected == 0


def test_markup_in_a_document_is_shown_as_text(app_page):
    page = app_page.page
    article = page.locator("#qa-article")
    # inline HTML is reduced to its words (issue 21 item 10): no tag, as code or as text
    assert "Gardening notes" in article.inner_text()
    assert "Tomatoes care" in article.inner_text()
    assert not any(t in article.inner_text() for t in ("<img", "onerror", "<script", "alert("))
    reply = app_page.ask("What do tomatoes need to grow?")
    assert "Tomatoes need full sun" in reply.inner_text()
    reply.locator("a.qa-section-link").first.click()
    page.wait_for_timeout(500)
    assert app_page.dialogs == []
    assert page.locator("#qa-article img, #qa-article script, #qa-chat img").count() == 0
    assert page.locator("#qa-article a").count() == 0
    assert "{{7*7}} and ${7*7}" in article.inner_text()


def test_bad_questions_get_a_friendly_message(app_page):
    page = app_page.page
    box = page.locator("#qa-question textarea")
    box.fill("why " * 600)
    box.press("Enter")
    status = page.locator("#qa-status .qa-status-message")
    expect(status).to_contain_text("too long")
    assert "limit is 2,000" in status.inner_text()
    text = page.locator("body").inner_text()
    assert "Traceback" not in text and "Error" not in text


def test_examples_start_with_fighter_jets_and_clear_empties_the_chat(app_page):
    page = app_page.page
    chips = page.locator("#qa-examples button.gallery-item")
    assert chips.count() >= 3 and chips.first.inner_text().strip() == QUESTION
    chips.first.click()  # asks it
    page.wait_for_selector(f"{BOTS} mark.qa-highlight", timeout=60_000)
    assert page.locator(USERS).first.inner_text().strip() == QUESTION
    page.locator("#qa-clear").click()
    page.wait_for_function(f'document.querySelectorAll("{BOTS}").length === 0')
    assert page.locator(USERS).count() == 0
    expect(page.locator("#qa-question textarea")).to_have_value("")


def test_abstention_looks_different_and_collapses_its_passages(app_page, served):
    question = "What is the capital of Australia?"
    reply = app_page.ask(question)
    assert reply.locator(".qa-abstained").count() == 1
    # this fixture serves two documents (the seed and a hostile one): the page says so
    assert reply.locator(".qa-answer").inner_text().startswith("The documents do not say")
    details = reply.locator("details.qa-sources")
    assert details.get_attribute("open") is None
    assert not reply.locator(".qa-passage").first.is_visible()
    details.locator("summary").click()
    assert reply.locator(".qa-passage").first.is_visible()
    abstentions = feedback_rows(served[1], 1, votes=False)
    assert question in [r["question"] for r in abstentions]  # kept for `qa feedback`


def test_a_link_to_an_answer_opens_the_page_with_it_asked(app_page, served):
    """`/?q=...` asks its question on arrival; a first answer offers such a link, a follow-up
    (which needs its conversation) none."""
    server, _ = served
    page = app_page.page
    page.goto(f"{server.url}/?q=Will+Russia+give+Iran+fighter+jets%3F")
    reply = page.locator(BOTS).first
    expect(reply).to_contain_text("fighter jets", timeout=60_000)
    expect(page.locator("#qa-chat [data-testid='user']").first).to_contain_text(QUESTION)
    link = reply.locator("a.qa-answer-link")
    assert link.get_attribute("href") == "?q=Will+Russia+give+Iran+fighter+jets%3F"
    follow_up = app_page.ask("Why not?")
    assert follow_up.locator("a.qa-answer-link").count() == 0
    page.goto(f"{server.url}/")
    page.wait_for_selector("#qa-article section.qa-section", timeout=60_000)
    page.wait_for_timeout(1000)
    assert page.locator(BOTS).count() == 0  # no link, no question asked


def test_a_markdown_table_is_shown_as_a_table_in_the_article_and_in_passages(app_page):
    page = app_page.page
    table = page.locator("#qa-article table.qa-table")
    expect(table).to_have_count(1)
    assert table.locator("th").all_inner_texts() == ["Month", "Water per plant"]
    assert table.locator("td").all_inner_texts()[2:] == ["July", "two litres a day"]
    assert "|" not in page.locator("#qa-article").inner_text()
    reply = app_page.ask("How much water does a tomato plant need in July?")
    shown = reply.locator("table.qa-table")
    expect(shown.first).to_be_visible()
    assert "two litres a day" in shown.first.locator("td").all_inner_texts()
    assert "|---|" not in reply.inner_text()
