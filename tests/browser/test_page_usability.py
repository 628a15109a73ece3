"""The page as a newcomer meets it, at a desktop (1280x900) and a phone (390x844) viewport:
one question per submission, a too-long question kept for trimming, examples that ask, labels
and focus, a way back from the article, answers that start mid-thought shown as quotations."""

from __future__ import annotations

import pytest
from helpers_server import post_json
from playwright.sync_api import expect
from test_page import BOTS, QUESTION, USERS, Page

pytestmark = [pytest.mark.slow, pytest.mark.browser]

VIEWPORTS = {"desktop": (1280, 900), "phone": (390, 844)}
JOIN = "**/gradio_api/queue/join*"
SHORT = "Is there a defence pact between Russia and Iran?"


@pytest.fixture(params=list(VIEWPORTS))
def vp(request, browser, served):
    """(recorded page, viewport name) in a fresh browser context of that size."""
    width, height = VIEWPORTS[request.param]
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    recorded = Page(page, served[0].url)
    yield recorded, request.param
    context.close()
    assert recorded.dialogs == []


def wait_for_answers(page, n: int) -> None:
    page.wait_for_function(f'document.querySelectorAll("{BOTS}").length >= {n}', timeout=60_000)


def rect_overlap(a: dict, b: dict) -> bool:
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"]
        and b["y"] < a["y"] + a["height"]
    )


def test_one_submission_one_question_and_empty_does_nothing(vp):
    app, _ = vp
    page = app.page
    box, ask = page.locator("#qa-question textarea"), page.locator("#qa-ask")
    expect(ask).to_be_disabled()  # empty box
    box.fill("   ")
    expect(ask).to_be_disabled()
    box.press("Enter")  # an empty submission does nothing: no bubble, no notice
    box.fill(QUESTION)
    expect(ask).to_be_enabled()

    held, hold = [], [True]

    def join(route):  # hold the request so the page is visibly "running"
        held.append(route) if hold[0] else route.continue_()

    page.route(JOIN, join)
    box.press("Enter")
    while not held:
        page.wait_for_timeout(20)
    expect(ask).to_be_disabled()  # greyed out while the question is on its way
    box.press("Enter")
    ask.click(force=True)  # Enter then Ask, as a hurried user does
    sent = len(held)
    hold[0] = False
    for route in held:
        route.continue_()
    wait_for_answers(page, 1)
    expect(box).to_have_value("")
    expect(ask).to_be_disabled()  # the box is empty again
    ask.click(force=True)
    box.press("Enter")
    box.fill(SHORT)
    box.press("Enter")
    wait_for_answers(page, 2)
    users = page.locator(USERS)
    assert [users.nth(i).inner_text().strip() for i in range(users.count())] == [QUESTION, SHORT]
    assert page.locator(BOTS).count() == 2
    assert page.locator("#qa-chat .qa-empty, #qa-chat .qa-notice").count() == 0
    assert sent == 1  # one request went out for the hurried double submission


def test_a_too_long_question_is_kept_with_a_counter(vp):
    app, _ = vp
    page = app.page
    box = page.locator("#qa-question textarea")
    counter = page.locator("#qa-counter")
    box.fill("Russia " * 50)
    expect(counter).to_be_hidden()  # far from the limit: no counter
    box.fill("a" * 1_700)
    expect(counter).to_be_visible()
    expect(counter).to_have_text("1,700 / 2,000 characters")
    pasted = ("Will Russia support Iran? " * 800).strip()  # 20,799 characters
    box.fill(pasted)
    expect(counter).to_contain_text("too long")
    box.press("Enter")
    status = page.locator("#qa-status .qa-status-message")
    expect(status).to_contain_text("too long")
    expect(status).to_contain_text("the limit is 2,000")
    assert box.input_value() == pasted  # kept, so it can be trimmed
    assert page.locator(f"{BOTS}, {USERS}").count() == 0  # no chat bubble for an error
    votes = page.locator("#qa-chat [aria-label='Like'], #qa-chat [aria-label='Dislike']")
    assert votes.count() == 0
    box.fill(SHORT)  # trimmed: asked normally, the message goes away
    expect(counter).to_be_hidden()
    box.press("Enter")
    wait_for_answers(page, 1)
    expect(status).to_have_count(0)


def test_examples_are_in_view_and_clicking_one_asks_it(vp):
    app, name = vp
    page = app.page
    height = VIEWPORTS[name][1]
    chips = page.locator("#qa-examples button.gallery-item")
    assert chips.count() == 5
    for i in range(chips.count()):
        box = chips.nth(i).bounding_box()
        assert box["y"] >= 0 and box["y"] + box["height"] <= height, (i, box)  # above the fold
    last = chips.nth(chips.count() - 1)
    text = last.inner_text().strip()
    last.click()
    wait_for_answers(page, 1)
    assert page.locator(USERS).first.inner_text().strip() == text
    status, expected = post_json(f"{app.url}/api/ask", {"question": text})
    assert status == 200
    assert page.locator(f"{BOTS} .qa-answer").first.inner_text() == expected["answer"]


def test_labels_focus_and_distinct_control_names(vp):
    app, _ = vp
    page = app.page
    box = page.get_by_role("textbox", name="Question")
    expect(box).to_have_count(1)
    placeholder = page.locator("#qa-chat").inner_text()
    assert "pick one of the examples" in placeholder
    assert "below" not in placeholder and "right" not in placeholder  # true in both layouts

    page.locator("#qa-examples button.gallery-item").first.focus()
    unfocused = box.evaluate("e => getComputedStyle(e).boxShadow")
    page.keyboard.press("Shift+Tab")  # keyboard focus reaches the question box...
    while not box.evaluate("e => e === document.activeElement"):
        page.keyboard.press("Shift+Tab")
    focused = box.evaluate("e => getComputedStyle(e).boxShadow")
    assert focused != unfocused and focused != "none"  # ...and shows it

    app.ask(QUESTION)
    names = page.evaluate(
        "[...document.querySelectorAll('button')].filter(b => b.offsetParent)"
        ".map(b => (b.getAttribute('aria-label') || b.innerText).trim())"
    )
    clears = [n for n in names if n.lower().startswith("clear")]
    assert sorted(clears) == ["Clear all", "Clear conversation"]


def test_scroll_button_leaves_the_text_readable(vp):
    app, _ = vp
    page = app.page
    app.ask(QUESTION)
    wrap = page.locator("#qa-chat .bubble-wrap")
    wrap.hover()
    page.mouse.wheel(0, 120)  # the user scrolls the chat: the "Scroll down" button appears
    button = page.locator("#qa-chat button[aria-label='Scroll down']")
    if wrap.evaluate("e => e.scrollHeight > e.clientHeight + 150"):
        expect(button).to_be_visible()
    if button.count() == 0:
        return  # the chat does not scroll at this size (it grows with the page)
    bb = button.bounding_box()
    texts = page.locator("#qa-chat :is(.qa-answer, .qa-passage-text, .qa-passage-head)")
    for i in range(texts.count()):
        rects = texts.nth(i).evaluate(
            "e => [...e.getClientRects()].map(r => ({x: r.x, y: r.y, width: r.width,"
            " height: r.height}))"
        )
        assert not any(rect_overlap(bb, r) for r in rects), (i, bb, rects)


def test_section_link_and_back_to_the_answer(vp):
    app, name = vp
    page = app.page
    reply = app.ask(QUESTION)
    link = reply.locator("a.qa-section-link").first
    anchor = link.get_attribute("href")[1:]
    link.click()
    page.locator(f"#qa-article section.qa-target[id='{anchor}']").wait_for(timeout=5_000)
    back = page.locator("#qa-back")
    if name == "phone":  # the article is below the chat: the passage is out of sight
        expect(back).to_be_visible()
        back.click()
        expect(back).to_be_hidden()
        expect(link).to_be_in_viewport()
        assert link.evaluate("e => e === document.activeElement")
    else:  # the article is beside the chat: the answer never left the screen
        expect(link).to_be_in_viewport()
        expect(back).to_be_hidden()


def test_answer_starting_mid_thought_reads_as_a_quotation(vp):
    app, _ = vp
    reply = app.ask(QUESTION)
    _, expected = post_json(f"{app.url}/api/ask", {"question": QUESTION})
    answer = expected["answer"]
    assert answer.startswith("For example, ")  # the case this test is about
    shown = reply.locator(".qa-answer")
    assert shown.inner_text() == answer  # the quoted text is unchanged
    expect(shown).to_have_class("qa-answer qa-quote")
    lead = shown.locator(".qa-lead")
    expect(lead).to_have_text("For example,")
    colours = shown.evaluate(
        "e => [getComputedStyle(e).color, getComputedStyle(e.querySelector('.qa-lead')).color,"
        " getComputedStyle(e, '::before').content, getComputedStyle(e, '::after').content]"
    )
    assert colours[0] != colours[1]  # the connective is de-emphasised
    assert colours[2] == '"\u201c"' and colours[3] == '"\u201d"'  # shown inside quotation marks


def test_the_question_box_shows_its_whole_placeholder(vp):
    app, _ = vp
    box = app.page.get_by_role("textbox", name="Question")
    room, needed = box.evaluate(
        """e => {
        const s = getComputedStyle(e), probe = document.createElement('span');
        probe.style.cssText = 'position:absolute;display:inline-block;white-space:nowrap';
        probe.style.font = s.font;
        probe.textContent = e.placeholder; document.body.appendChild(probe);
        const needed = probe.getBoundingClientRect().width; probe.remove();
        return [e.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight), needed];
        }"""
    )
    assert needed <= room, (needed, room)  # one line, nothing cut off ("…(Enter to send)")
    ask, clear = (app.page.locator(s).bounding_box() for s in ("#qa-ask", "#qa-clear"))
    assert abs(ask["y"] - clear["y"]) < 2  # Ask and Clear all side by side


def test_the_latest_answer_reads_without_an_inner_box_and_a_refusal_reads_clearly(vp):
    """Phone: the chat grows with the page (no box to scroll inside), the latest question is
    scrolled to, passage titles take the width; both sizes: a refusal is not greyed out."""
    app, name = vp
    page = app.page
    app.ask(QUESTION)
    app.ask("Why not?")
    refusal = app.ask("What is the capital of Australia?")
    answer_style = page.locator(f"{BOTS} .qa-answered p.qa-answer").first.evaluate(
        "e => [getComputedStyle(e).color, getComputedStyle(e).fontStyle]"
    )
    refusal_style = refusal.locator("p.qa-answer").evaluate(
        "e => [getComputedStyle(e).color, getComputedStyle(e).fontStyle]"
    )
    assert refusal_style == answer_style == [answer_style[0], "normal"]
    if name != "phone":
        return
    boxes = page.locator("#qa-chat, #qa-chat *").evaluate_all(
        "els => els.filter(e => ['auto', 'scroll'].includes(getComputedStyle(e).overflowY)"
        " && e.scrollHeight > e.clientHeight + 4).length"
    )
    assert boxes == 0
    last_question = page.locator("#qa-chat [data-testid='user']").last
    top = last_question.bounding_box()["y"]
    assert 0 <= top < VIEWPORTS["phone"][1] / 2  # scrolled to, at the top half of the screen
    head = page.locator("#qa-chat .qa-passage-head").first
    title = head.locator("a.qa-section-link")
    assert title.bounding_box()["width"] >= 0.7 * head.bounding_box()["width"]
