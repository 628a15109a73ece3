"""Hybrid ranking on the real index: the weighted fusion and the section context blend."""

from __future__ import annotations

import pytest

from qa.answer.ranking import CANDIDATES, HybridRanker, SentenceTable, Weights
from qa.index.lexical import tokens

QUESTIONS = [
    "Will Russia give Iran fighter jets?",
    "How does Russia help Iran at the United Nations?",
    "Why does Moscow keep good relations with Israel?",
]


@pytest.fixture(scope="module")
def rank(engine):
    table = SentenceTable(engine.index)

    def run(question: str, weights: Weights):
        query = engine.embedder.encode([question])[0]
        lexical = engine.index.lexical.query(tokens(question), CANDIDATES)
        ranked, _ = HybridRanker(engine.index, table, weights).run(query, lexical)
        return ranked

    return run


def _section(engine, chunk_id: int) -> tuple[str, str]:
    chunk = engine.chunks[chunk_id]
    return chunk.doc_id, chunk.anchor


@pytest.mark.parametrize("question", QUESTIONS)
def test_section_context_blends_each_score_with_its_sections_best(engine, rank, question):
    beta = 0.5
    plain = {r.chunk_id: r for r in rank(question, Weights(section=0.0))}
    blended = rank(question, Weights(section=beta))
    best: dict[tuple[str, str], float] = {}
    for r in plain.values():
        key = _section(engine, r.chunk_id)
        best[key] = max(best.get(key, r.score), r.score)
    assert {r.chunk_id for r in blended} == set(plain)
    for r in blended:
        before = plain[r.chunk_id]
        expected = (before.score + beta * best[_section(engine, r.chunk_id)]) / (1 + beta)
        assert r.score == pytest.approx(expected, abs=1e-6)
        assert (r.dense, r.sentence, r.lexical) == (before.dense, before.sentence, before.lexical)
    assert [r.score for r in blended] == sorted((r.score for r in blended), reverse=True)


@pytest.mark.parametrize("question", QUESTIONS)
def test_the_best_chunk_of_every_section_keeps_its_rank_order(engine, rank, question):
    """Section leaders keep their scores, so their order among themselves is unchanged."""

    def leaders(ranked):
        seen, out = set(), []
        for r in ranked:
            key = _section(engine, r.chunk_id)
            if key not in seen:
                seen.add(key)
                out.append((r.chunk_id, round(r.score, 6)))
        return out

    assert leaders(rank(question, Weights(section=0.0))) == leaders(rank(question, Weights()))


def test_without_section_context_the_fused_score_is_the_weighted_sum(rank):
    w = Weights(section=0.0)
    for r in rank(QUESTIONS[0], w):
        total = w.dense * r.dense + w.sentence * r.sentence + w.lexical * r.lexical
        assert r.score == pytest.approx(total / (w.dense + w.sentence + w.lexical), abs=1e-6)


def test_a_chunk_rises_with_its_section(engine, rank):
    """Blending moves some chunk up the list on a real question: the blend is not a no-op."""
    question = QUESTIONS[1]
    before = [r.chunk_id for r in rank(question, Weights(section=0.0))]
    after = [r.chunk_id for r in rank(question, Weights())]
    assert before != after
    assert before[0] == after[0]
