"""Rendering an answer and the article into the page's HTML: escaped, highlighted, linked."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from qa.answer.result import AskResult, Passage
from qa.ingest.documents import Document, Section
from qa.web.render_html import (
    leading_connective,
    render_answer,
    render_article,
    render_notice,
    render_question,
    render_result,
    render_status,
    section_ids,
    text_html,
)

FIGHTER_JETS = "Will Russia give Iran fighter jets?"
HOSTILE = "<img src=x onerror=alert(1)> <script>alert(1)</script> **bold** [x](javascript:y) $$x$$"
ALLOWED_TAGS = {
    "div", "p", "details", "summary", "span", "a", "mark", "br", "article", "section",
    "h1", "h2", "h3",
}  # fmt: skip


class Tags(HTMLParser):
    """Collects the elements, attributes and text of an HTML fragment."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)

    def names(self) -> set[str]:
        return {t for t, _ in self.tags}

    def all(self, tag: str, **attrs) -> list[dict]:
        return [
            a for t, a in self.tags if t == tag and all(a.get(k) == v for k, v in attrs.items())
        ]

    def plain(self) -> str:
        return "".join(self.text)


def assert_inert(html: str) -> Tags:
    """Only the renderer's own tags, no event-handler attributes, no newlines."""
    parsed = Tags(html)
    assert parsed.names() <= ALLOWED_TAGS
    assert not [k for _, a in parsed.tags for k in a if k.startswith("on")]
    assert "\n" not in html
    return parsed


@pytest.fixture(scope="module")
def jets(engine) -> AskResult:
    return engine.ask(FIGHTER_JETS)


def test_text_html_shows_markup_as_text():
    html = text_html(HOSTILE + "\nsecond line {{x}}")
    parsed = assert_inert(html)
    assert parsed.names() == {"br"}
    assert parsed.plain() == HOSTILE + "second line {{x}}"
    for raw in ("<", ">", "*", "[", "$", "{", "`", "_"):
        assert raw not in html.replace("<br>", "")


@pytest.mark.slow
def test_answer_is_highlighted_in_its_passage_with_a_section_link(jets, document):
    html = render_result(jets, passages=3, ids=section_ids([document]))
    parsed = assert_inert(html)
    top = jets.passages[0]
    assert not jets.abstained and top.answer_start is not None
    marks = [i for i, (t, _) in enumerate(parsed.tags) if t == "mark"]
    assert len(marks) == 1
    assert text_html(top.text[top.answer_start : top.answer_end]) in html
    assert f"<mark class='qa-highlight'>{text_html(jets.answer)}</mark>" in html
    links = parsed.all("a", **{"class": "qa-section-link"})
    assert [a["href"] for a in links] == [f"#{p.anchor}" for p in jets.passages[:3]]
    assert {a["href"][1:] for a in links} <= {s.anchor for s in document.sections}
    assert "open" in parsed.all("details", **{"class": "qa-sources"})[0]
    assert f"{round(top.score * 100)}%" in parsed.plain()
    assert f"qa-w{round(round(top.score * 100) / 10)}" in html


@pytest.mark.slow
def test_abstention_is_muted_and_its_passages_collapsed(engine):
    result = engine.ask("What is the capital of Australia?")
    assert result.abstained
    html = render_result(result)
    parsed = assert_inert(html)
    assert parsed.all("div", **{"class": "qa-reply qa-abstained"})
    details = parsed.all("details")
    assert len(details) == 1 and "open" not in details[0]
    assert "Nearest passages (3)" in parsed.plain()
    assert "mark" not in parsed.names()
    assert parsed.plain().startswith("The article does not say")


def test_article_has_one_anchor_per_section_in_order(document):
    parsed = assert_inert(render_article([document]))
    sections = parsed.all("section")
    assert [s["id"] for s in sections] == [s.anchor for s in document.sections]
    assert len({s["id"] for s in sections}) == len(sections)
    text = " ".join(parsed.plain().split())
    for s in document.sections:
        body = " ".join(document.text[s.start : s.end].split())
        assert body[:200] in text
    assert parsed.all("article")[0]["data-doc"] == document.doc_id


def test_hostile_document_is_displayed_as_text():
    body = f"{HOSTILE}\n\nSecond paragraph with a <b>tag</b>."
    doc = Document(
        "evil<x>.md",
        '<img src=x onerror="alert(1)">',
        body,
        [Section('"><script>alert(1)</script>', 'x" onmouseover="alert(1)', 3, 0, len(body))],
    )
    parsed = assert_inert(render_article([doc]))
    assert parsed.names() == {"article", "h1", "h2", "section", "p"}
    assert parsed.all("section")[0]["id"] == 'x" onmouseover="alert(1)'
    assert '<img src=x onerror="alert(1)">' in parsed.plain()
    assert "<b>tag</b>" in parsed.plain()


def test_hostile_passage_and_question_are_displayed_as_text():
    text = f"Before. {HOSTILE} After."
    passage = Passage(1, text, "d", "<s>", "a\"'<>", 0.5, 0, len(text), 8, 8 + len(HOSTILE))
    result = AskResult(HOSTILE, False, HOSTILE, [passage])
    parsed = assert_inert(render_result(result) + render_question(HOSTILE))
    assert parsed.all("a")[0]["href"] == "#a\"'<>"
    assert parsed.plain().count(HOSTILE) == 3  # the answer, the highlight, the question


def test_section_ids_are_unique_across_documents(document):
    other = Document("other.md", "Other", document.text, document.sections)
    ids = section_ids([document, other])
    assert len(set(ids.values())) == len(ids) == 2 * len({s.anchor for s in document.sections})
    first = document.sections[1].anchor
    assert ids[(document.doc_id, first)] == first
    assert ids[("other.md", first)] == f"othermd-{first}"
    html = render_article([document, other])
    assert html.count(f'id="othermd-{first}"') == 1


def test_questions_and_notices():
    assert "(empty question)" in Tags(render_question("   ")).plain()
    long = render_question("x" * 5000)
    assert "(5,000 characters)" in long and len(long) < 600
    assert Tags(render_notice("Please <b>type</b>")).plain() == "Please <b>type</b>"
    status = render_status("Too <long>")
    assert 'role="alert"' in status and Tags(status).plain() == "Too <long>"


@pytest.mark.parametrize(
    ("answer", "lead"),
    [
        ("For example, Russia declined to give Iran jets.", "For example,"),
        ("Furthermore, despite a new pact, the Kremlin is unlikely to help.", "Furthermore,"),
        ("On the other hand, China buys oil.", "On the other hand,"),
        ("But Moscow hesitated.", "But"),
        ("Russia declined to give Iran jets.", ""),
        ("However", ""),  # nothing after it: not a lead-in
        ("Forexample, no.", ""),
        ("Butter prices rose.", ""),
        ("Instead of jets, Russia sent advisers.", ""),  # "Instead of" starts a phrase, no comma
    ],
)
def test_leading_connective(answer, lead):
    assert answer[: leading_connective(answer)] == lead


def test_answer_starting_mid_thought_is_a_quotation_with_the_quoted_text_unchanged():
    answer = "For example, Russia declined to give Iran <the> jets."
    html = render_answer(AskResult("q", False, answer, []))
    assert 'class="qa-answer qa-quote"' in html
    assert '<span class="qa-lead">For example,</span>' in html
    assert Tags(html).plain() == answer
    plain = render_answer(AskResult("q", False, "Russia declined.", []))
    assert plain == '<p class="qa-answer">Russia declined.</p>'
    abstained = render_answer(AskResult("q", True, "However, the article does not say.", []))
    assert "qa-quote" not in abstained


def test_the_page_says_what_kinds_of_questions_work():
    from qa.web.page import INTRO

    for phrase in ("why, how or who", "Summarize the article", "no opinions or translations"):
        assert phrase in INTRO


def test_an_unsure_answer_carries_a_note_with_its_chance_and_a_sure_one_none():
    passage = Passage(0, "Russia sent drones.", "doc", "Aid", "aid", 0.7, 0, 19, 0, 19)
    unsure = AskResult("Q?", False, "Russia sent drones.", [passage], 0.312, True)
    html = render_result(unsure)
    assert 'class="qa-unsure" role="note"' in html and "31%" in html
    assert html.index("qa-answer") < html.index("qa-unsure") < html.index("qa-sources")
    for quiet in (
        AskResult("Q?", False, "Russia sent drones.", [passage], 0.9, False),
        AskResult("Q?", True, "The article does not say.", [passage], 0.2, True),
        AskResult("Q?", False, "Russia sent drones.", [passage]),
    ):
        assert "qa-unsure" not in render_result(quiet)


def test_the_terminal_says_an_answer_is_unsure():
    from qa.tools.render_terminal import render_terminal

    out = render_terminal(AskResult("Q?", False, "Russia sent drones.", [], 0.4, True))
    assert "Unsure" in out and "40%" in out
    assert "Unsure" not in render_terminal(AskResult("Q?", False, "Russia sent drones.", [], 0.8))


def test_the_engine_marks_some_dev_answers_unsure_and_not_others(engine, dev_questions):
    """The shipped reader judges the real answers: on the dev set some are sure, some not."""
    results = [engine.ask(q["question"]) for q in dev_questions if q.get("answerable")]
    assert {r.unsure for r in results if not r.abstained} == {True, False}
    assert all(r.confidence is not None and 0 <= r.confidence <= 1 for r in results)


TABLE = "| Chain speed | Replace at stretch |\n|---|---|\n| 8 | 0.75% |\n| 11 | 0.5% |"


def test_a_markdown_table_renders_as_a_table_in_passages_answers_and_the_article():
    from qa.web.render_html import highlighted, table_html

    html_table = table_html(TABLE)
    assert "<th>Chain speed</th><th>Replace at stretch</th>" in html_table
    assert "<tr><td>11</td><td>0.5%</td></tr>" in html_table and "|" not in html_table
    text = f"Check the chain often.\n\n{TABLE}\n\nA worn chain wears the cassette."
    start = text.index("| Chain")
    as_answer = Passage(0, text, "d", "s", "s", 0.5, 0, len(text), start, start + len(TABLE))
    assert '<table class="qa-table qa-highlight">' in highlighted(as_answer)
    first = Passage(0, text, "d", "s", "s", 0.5, 0, len(text), 0, 22)
    out = highlighted(first)
    assert "<mark class='qa-highlight'>Check the chain often.</mark>" in out
    assert '<table class="qa-table">' in out and "A worn chain wears the cassette." in out
    reply = render_result(AskResult("q?", False, TABLE, [as_answer]))
    assert '<div class="qa-answer"><table class="qa-table">' in reply
    body = f"Intro.\n\n{TABLE}\n\nMore text."
    doc = Document("b.md", "Bikes", body, [Section("Chains", "chains", 2, 0, len(body))])
    article = render_article([doc])
    assert '<table class="qa-table">' in article and "|---|" not in article
