"""The learned reader's parts: candidates, features, the model file, and the shipped reader."""

from __future__ import annotations

import json

import numpy as np
import pytest

from qa.answer.answer_sentence import PickerParams
from qa.answer.ranking import Ranked
from qa.answer.reader import DEFAULT_PATH, Linear, ReaderError, ReaderModel, judge
from qa.answer.reader_features import CANDIDATE_FEATURES, QUESTION_FEATURES, QuestionShape


def _linear(names, seed: int) -> Linear:
    rng = np.random.default_rng(seed)
    n = len(names)
    return Linear(tuple(names), rng.normal(size=n), rng.uniform(0.5, 2, n), rng.normal(size=n), 0.3)


def _model(**overrides) -> ReaderModel:
    parts = dict(
        picker=_linear(CANDIDATE_FEATURES, 1),
        refusal=_linear(QUESTION_FEATURES, 2),
        confidence=_linear(QUESTION_FEATURES, 3),
        refuse_at=0.8,
        unsure_below=0.5,
        top_passages=3,
    )
    return ReaderModel(**{**parts, **overrides})


def test_a_reader_file_round_trips(tmp_path):
    model = _model()
    model.save(tmp_path / "reader.json")
    again = ReaderModel.load(tmp_path / "reader.json")
    x = np.random.default_rng(4).normal(size=(5, len(CANDIDATE_FEATURES)))
    np.testing.assert_allclose(again.picker.logits(x), model.picker.logits(x), atol=1e-4)
    assert (again.refuse_at, again.top_passages) == (0.8, 3)


@pytest.mark.parametrize(
    "damage",
    [
        lambda d: d.pop("picker"),
        lambda d: d["refusal"].update(features=["similarity"]),
        lambda d: d["confidence"].update(scale=[0.0] * len(QUESTION_FEATURES)),
        lambda d: d["picker"].update(coef=[1.0]),
    ],
)
def test_a_damaged_reader_file_is_refused_by_name(tmp_path, damage):
    data = _model().to_json()
    damage(data)
    path = tmp_path / "reader.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ReaderError):
        ReaderModel.load(path)


def test_a_file_that_is_not_json_is_refused(tmp_path):
    path = tmp_path / "reader.json"
    path.write_bytes(b"\x00\xff not json")
    with pytest.raises(ReaderError, match="cannot read"):
        ReaderModel.load(path)


def test_judge_refuses_at_the_threshold_and_reports_probabilities():
    model = _model(refuse_at=0.0)
    j = judge(model, np.zeros(len(QUESTION_FEATURES)))
    assert j.refuse and 0 < j.unanswerable < 1 and 0 < j.confidence < 1
    assert not judge(_model(refuse_at=1.01), np.zeros(len(QUESTION_FEATURES))).refuse


@pytest.mark.parametrize(
    ("question", "wh", "kind", "yes_no"),
    [
        ("When did Russia sign the treaty?", "when", "when", False),
        ("Who leads the talks?", "who", None, False),
        ("How many drones were sent?", "how", "how many", False),
        ("Is Russia ready to defend Iran?", "", None, True),
    ],
)
def test_question_shape_reads_english_question_grammar(question, wh, kind, yes_no):
    shape = QuestionShape.read(question)
    assert (shape.wh, shape.kind, shape.yes_no) == (wh, kind, yes_no)


def test_each_top_sentence_is_a_candidate_once_with_the_rule_score(engine):
    trace: dict = {}
    engine.ask("Will Russia give Iran fighter jets?", trace=trace)
    reading = trace["reading"]
    keys = [(engine.chunks[c.chunk_id].doc_id, c.start, c.end) for c in reading.candidates]
    assert len(keys) == len(set(keys)) > 3
    if reading.learned is False or engine.picker.reader.picker is None:
        rule = [PickerParams().score(c) for c in reading.candidates]
        np.testing.assert_allclose(reading.scores, rule)


def test_a_sentence_two_passages_share_is_one_candidate_of_the_better_one(engine):
    chunks = engine.chunks
    first = next(c for c in chunks[:-1] if set(c.sentences) & set(chunks[c.chunk_id + 1].sentences))
    second = chunks[first.chunk_id + 1]
    vector, token_vectors = engine.embedder.encode_query("What does Russia give Iran?")
    ids = [second.chunk_id, first.chunk_id]
    sims, _ = engine.ranker.sentences.similarities(ids, vector)
    ranked = [Ranked(i, 1.0 - n / 10, 0.5, 0.5, 0.5) for n, i in enumerate(ids)]
    cands = engine.picker.candidates(ranked, sims, ["russia"], token_vectors)
    shared = set(first.sentences) & set(second.sentences)
    assert len(cands) == len(set(first.sentences) | set(second.sentences))
    for c in cands:
        if (c.start, c.end) in shared:
            assert (c.chunk_id, c.passage_rank, c.passages) == (second.chunk_id, 0, 2)


def test_the_shipped_reader_loads_and_answers_the_article(engine):
    if not DEFAULT_PATH.exists():
        pytest.skip("no reader ships at this commit (docs/retrieval.md says why)")
    reader = ReaderModel.load(DEFAULT_PATH)
    assert reader.about.get("held_out"), "the file records what it was not trained on"
    assert engine.picker.reader is not None
    out = engine.ask("Will Russia give Iran fighter jets?")
    assert not out.abstained
    assert "fighter jets" in out.answer
    assert 0.0 <= out.confidence <= 1.0
