"""The floor under an answer: a doubted answer over a weak passage is withheld, not shown as
the answer; the JSON keeps the sentence in `closest`, the page and the terminal quote it."""

from __future__ import annotations

import json

import pytest

from qa.answer.engine import QAEngine
from qa.answer.withhold import DEFAULT_PATH, Floor, default_floor
from qa.tools.render_terminal import render_terminal
from qa.web.render_html import render_result

pytestmark = pytest.mark.slow
QUESTION = "Will Russia give Iran fighter jets?"


def test_floor_needs_both_doubt_and_a_weak_passage():
    floor = Floor(0.3, 0.5)
    assert floor.withholds(0.2, 0.4)
    assert not floor.withholds(0.2, 0.6)  # a strong passage keeps the answer
    assert not floor.withholds(0.4, 0.4)  # so does a confident reader
    assert not floor.withholds(None, 0.0)  # no reader: nothing to judge by


def test_a_calibrated_floor_is_read_from_qa_withhold(tmp_path, monkeypatch):
    path = tmp_path / "floor.json"
    floor = Floor(0.15, 0.58, {"figures": {"fold articles, readers' words": {"withheld": 5}}})
    path.write_text(json.dumps(floor.to_json()), encoding="utf-8")
    monkeypatch.setenv("QA_WITHHOLD", str(path))
    assert default_floor() == floor
    monkeypatch.delenv("QA_WITHHOLD")
    assert (default_floor() is None) == (not DEFAULT_PATH.exists())


def test_off_switch(monkeypatch):
    monkeypatch.setenv("QA_WITHHOLD", "off")
    assert default_floor() is None


@pytest.fixture(scope="module")
def engines() -> tuple[QAEngine, QAEngine]:
    plain = QAEngine.load()
    plain.floor = None
    strict = QAEngine(plain.index, plain.embedder, reader=plain.picker.reader)
    strict.floor = Floor(1.01, 10.0)  # withholds every answer it judges
    return plain, strict


def test_a_withheld_answer_keeps_its_sentence_apart(engines):
    plain, strict = engines
    shown = plain.ask(QUESTION)
    held = strict.ask(QUESTION)
    assert not shown.abstained and not shown.withheld and shown.closest is None
    assert held.abstained and held.withheld
    assert held.closest == shown.answer  # the same sentence, not presented as the answer
    assert "may not answer" in held.answer
    assert [p.id for p in held.passages] == [p.id for p in shown.passages]
    assert all(p.answer_start is None for p in held.passages)  # nothing highlighted
    contract = json.loads(json.dumps(held.to_json()))
    assert contract["withheld"] is True and contract["closest"] == shown.answer


def test_page_and_terminal_quote_the_closest_sentence(engines):
    _, strict = engines
    held = strict.ask(QUESTION)
    html = render_result(held)
    assert 'class="qa-closest"' in html and "Closest sentence" in html
    assert "Nearest passages" in html and "Link to this answer" not in html
    text = render_terminal(held)
    assert text.startswith(held.answer[:40]) and "Closest sentence: " in text


def test_a_refusal_by_the_rules_is_not_withheld(engines):
    _, strict = engines
    result = strict.ask("What is the author's phone number?")
    assert result.abstained and not result.withheld and result.closest is None
