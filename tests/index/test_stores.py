"""The shared store suite: the same tests on the FAISS files, a milvus-lite file, a
`milvus-lite server` on a 127.0.0.1 port and (with $MILVUS_URI) a real Milvus.

Parity is the test that matters: every question of the three evaluation sets gets the same
passages in the same order, the same answer sentence and the same abstention from each
store as from the FAISS files (ids and order, never raw scores). Each question is embedded
once for all stores.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers_milvus import store_settings

from qa.answer.engine import QAEngine
from qa.index.freshness import index_status
from qa.index.lexical import tokens
from qa.index.stores import load_store
from qa.tools.evaluate import read_questions

pytestmark = pytest.mark.slow
SETS = ("dev", "tune", "check")


class SharedEmbedder:
    """The session's embedder, each text encoded once whichever engine asks."""

    def __init__(self, embedder) -> None:
        self.embedder = embedder
        self.vectors: dict[str, np.ndarray] = {}
        self.tokens: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def encode(self, texts: list[str]) -> np.ndarray:
        missing = [t for t in texts if t not in self.vectors]
        if missing:
            self.vectors.update(zip(missing, self.embedder.encode(missing), strict=True))
        return np.stack([self.vectors[t] for t in texts])

    def encode_query(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        if text not in self.tokens:
            self.tokens[text] = self.embedder.encode_query(text)
        return self.tokens[text]


@pytest.fixture(scope="session")
def shared_embedder(embedder) -> SharedEmbedder:
    return SharedEmbedder(embedder)


@pytest.fixture(scope="session")
def reference(shared_embedder) -> QAEngine:
    """The FAISS files' engine: the answers every store must give."""
    return QAEngine(load_store(store_settings(None)), shared_embedder)


@pytest.fixture(scope="session")
def reference_answers(reference, eval_sets) -> dict[str, dict]:
    return {name: _answers(reference, eval_sets(name)) for name in SETS}


def _answers(engine: QAEngine, path) -> dict[str, tuple]:
    out = {}
    for q in read_questions(path):
        result = engine.ask(q["question"], q.get("history") or [])
        passages = [(p.id, p.start, p.end, p.answer_start, p.answer_end) for p in result.passages]
        out[q["id"]] = (passages, result.answer, result.abstained)
    return out


@pytest.fixture
def engine_on(store_uri, shared_embedder) -> QAEngine:
    return QAEngine(load_store(store_settings(store_uri)), shared_embedder)


def test_the_store_reads_fresh(store_uri):
    assert index_status(store_settings(store_uri)) == "fresh"


def test_dense_search_finds_each_chunk_by_its_own_vector(store_uri, reference):
    index = load_store(store_settings(store_uri))
    ids = list(range(0, len(index.chunks), 7))
    vectors = reference.index.dense.vectors(ids)
    np.testing.assert_allclose(index.dense.vectors(ids), vectors, atol=1e-6)
    for cid, vector in zip(ids, vectors, strict=True):
        assert index.dense.search(vector, 3)[0][0] == cid


@pytest.mark.parametrize("question", ["Will Russia give Iran fighter jets?", "OPEC+ oil"])
def test_lexical_scores_are_bm25s_scores(store_uri, reference, question):
    expected = reference.index.lexical.run(tokens(question))
    result = load_store(store_settings(store_uri)).lexical.query(tokens(question), 64)
    assert set(result.top) == {i for i in range(len(expected)) if expected[i] > 0}
    assert result.best == pytest.approx(float(expected.max()), rel=1e-6)
    ids = list(range(len(expected)))
    np.testing.assert_allclose(result.of(ids), expected, rtol=1e-6)


@pytest.mark.parametrize("name", SETS)
def test_every_question_gets_the_same_answer_as_from_faiss(
    engine_on, reference_answers, name, store_uri, eval_sets
):
    if store_uri is None:
        pytest.skip("the FAISS files are the reference")
    got = _answers(engine_on, eval_sets(name))
    expected = reference_answers[name]
    assert got.keys() == expected.keys()
    differ = [qid for qid in expected if got[qid] != expected[qid]]
    assert differ == [], f"{len(differ)} of {len(expected)} questions differ on {store_uri}"
