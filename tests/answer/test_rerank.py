"""The optional cross-encoder stage. No trained cross-encoder ships offline, so the test makes
one from the bundled MiniLM weights with a fresh (seeded) scoring head: it proves the plumbing
(loading, reordering by the model's own scores, the JSON contract), not answer quality."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from qa.answer.engine import QAEngine
from qa.index.embedding import BASE_MODEL, ModelNotFoundError, resolve_model

QUESTION = "Will Russia give Iran fighter jets?"


@pytest.fixture(scope="module")
def cross_encoder_dir(tmp_path_factory) -> str:
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    source = resolve_model(BASE_MODEL).path  # a transformers folder (the shipped one is ONNX)
    target = tmp_path_factory.mktemp("cross-encoder")
    torch.manual_seed(0)
    model = AutoModelForSequenceClassification.from_pretrained(source, num_labels=1)
    model.save_pretrained(target)
    AutoTokenizer.from_pretrained(source).save_pretrained(target)
    return str(target)


def test_reranker_orders_passages_by_its_own_scores(engine, cross_encoder_dir):
    from qa.answer.rerank import CrossEncoderReranker

    reranker = CrossEncoderReranker(cross_encoder_dir, top_n=20)
    reranked = QAEngine(engine.index, engine.embedder, reranker=reranker)
    out = reranked.ask(QUESTION, k=5).to_json()
    shown = [p["score"] for p in out["passages"]]
    # the answer's passage is shown first (answer_first); the rest keep the reranker's order
    rest = shown[1:] if out["passages"][0]["answer_start"] is not None else shown
    assert rest == sorted(rest, reverse=True)
    chunks = [engine.chunks[p["id"]].text for p in out["passages"]]  # shown text may be cut
    logits = reranker.model.predict([(QUESTION, c) for c in chunks], show_progress_bar=False)
    expected = 1 / (1 + np.exp(-np.asarray(logits, dtype=np.float64)))
    np.testing.assert_allclose(shown, expected, atol=2e-4)  # rounded to 4 places in the JSON
    for p in out["passages"]:
        if p["answer_start"] is not None:
            assert p["text"][p["answer_start"] : p["answer_end"]] == out["answer"]


def test_missing_reranker_is_a_clear_error(tmp_path):
    from qa.answer.rerank import CrossEncoderReranker

    shutil.rmtree(tmp_path, ignore_errors=True)
    with pytest.raises((ModelNotFoundError, OSError, ValueError)):
        CrossEncoderReranker(str(tmp_path / "no-such-model"))
