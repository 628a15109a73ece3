"""The vote button in a real browser when the feedback store cannot take the vote: locked by
another process, or in a read-only data folder. The page answers, and a warning says the vote
was not saved (issue 22, items 1 and 2)."""

from __future__ import annotations

import time

import pytest
from helpers_feedback_faults import locked_by_another_process, read_only
from helpers_server import AppServer
from playwright.sync_api import expect

from qa.web.feedback import FeedbackStore, Turn
from qa.web.page import VOTE_BUSY, VOTE_FAILED

pytestmark = [pytest.mark.slow, pytest.mark.browser]

QUESTION = "Will Russia give Iran fighter jets?"
NOT_ANSWERED = "What is the boiling point of water?"
BOTS = "#qa-chat [data-testid='bot']"


def ask(page, text: str) -> float:
    """Type `text`, press Enter; seconds until its reply is shown."""
    before = page.locator(BOTS).count()
    box = page.locator("#qa-question textarea")
    box.fill(text)
    start = time.monotonic()
    box.press("Enter")
    page.wait_for_function(f'document.querySelectorAll("{BOTS}").length > {before}', timeout=60_000)
    return time.monotonic() - start


def open_page(page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("#qa-article section.qa-section", timeout=60_000)


def test_locked_store_the_page_answers_and_the_vote_says_not_saved(page, served, tmp_path):
    _, ws = served
    data = tmp_path / "data"  # its own store: the shared app's votes are counted elsewhere
    store = FeedbackStore(data)
    store.record_vote(Turn("browser-lock", "Setup?", [], None, [], False), 0)  # the table exists
    with AppServer(ws.env(QA_DATA_DIR=str(data))).start(tmp_path) as app:
        open_page(page, app.url)
        ask(page, QUESTION)
        with locked_by_another_process(store.path):
            page.locator("#qa-chat [aria-label='Dislike']").first.click()
            seconds = ask(page, NOT_ANSWERED)  # its abstention record waits, not the answer
            expect(page.get_by_text(VOTE_BUSY)).to_be_visible(timeout=30_000)
        assert page.locator(BOTS).count() == 2
    print(f"answered in {seconds:.2f} s while the feedback store was locked")


def test_read_only_data_folder_the_page_answers_and_the_vote_says_not_saved(page, served, tmp_path):
    _, ws = served
    data = tmp_path / "data"
    data.mkdir()
    with read_only(data), AppServer(ws.env(QA_DATA_DIR=str(data))) as app:
        app.start(tmp_path)
        open_page(page, app.url)
        ask(page, QUESTION)
        assert "fighter jets" in page.locator(f"{BOTS} .qa-answer").first.inner_text()
        page.locator("#qa-chat [aria-label='Dislike']").first.click()
        expect(page.get_by_text(VOTE_FAILED)).to_be_visible(timeout=30_000)
        ask(page, NOT_ANSWERED)  # an abstention that cannot be recorded: answered all the same
    assert list(data.iterdir()) == []
    assert "Traceback" not in app.log()
