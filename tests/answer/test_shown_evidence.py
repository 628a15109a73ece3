"""What the engine shows: the answer's passage first, no sentence twice, summaries, codes."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow


def test_the_answer_passage_is_shown_first(engine, dev_questions):
    for q in dev_questions:
        out = engine.ask(q["question"], q.get("history") or []).to_json()
        if not out["abstained"]:
            first = out["passages"][0]
            assert first["answer_start"] is not None, q["id"]
            assert out["answer"] == first["text"][first["answer_start"] : first["answer_end"]]


@pytest.mark.parametrize(
    "question",
    [
        "Will Russia give Iran fighter jets?",
        "How does Russia help Iran diplomatically?",
        "What role do Turkiye and China play?",
    ],
)
def test_no_sentence_is_shown_twice(engine, question):
    out = engine.ask(question, k=5).to_json()
    spans = [(p["doc"], p["start"], p["end"]) for p in out["passages"]]
    assert len(spans) >= 3
    for i, (doc, a, b) in enumerate(spans):
        for doc2, c, d in spans[:i]:
            assert doc != doc2 or b <= c or d <= a, (spans[i], (doc2, c, d))
    for p in out["passages"]:
        assert p["text"] == engine.chunks[p["id"]].span_text(p["start"], p["end"])


def test_a_summary_request_is_answered_from_the_opening_or_closing(engine):
    out = engine.ask("Summarize the article").to_json()
    assert not out["abstained"]
    sections = [c.anchor for c in engine.chunks]
    assert out["passages"][0]["anchor"] in (sections[0], sections[-1])


def test_a_code_the_article_never_mentions_is_said_so(engine):
    out = engine.ask("How many S-400 batteries has Russia delivered to Iran?").to_json()
    assert out["abstained"] and "S-400" in out["answer"]


@pytest.mark.parametrize(
    "earlier", ["Is Russia ready to defend Iran?", "Will Russia give Iran fighter jets?"]
)
def test_a_follow_up_naming_a_new_subject_is_answered_about_it(engine, earlier):
    # the shared words ("fighter jets") must not pull the answer back to Russia's passages
    out = engine.ask("and China?", [earlier]).to_json()
    assert not out["abstained"]
    assert "China" in out["answer"] and "China" in out["passages"][0]["text"]
