"""The whole `ask` at scale: dense search, BM25, fusion, answer sentence and abstention over
N synthetic chunks, in process (`qa bench --scale`, beside the vector-search figures).

The chunks are copies of the shipped article's chunks, one article copy per synthetic
document (so their text, sentences and BM25 postings are real, if repeated); their vectors are
the synthetic ones `qa.tools.scale` indexes; each sentence keeps its real vector. Questions
are the dev set's, each with a held-out synthetic vector: embedding is left out, as it does
not grow with the corpus (the `query` part of `qa bench` times it).
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import numpy as np

ASKS = 100


def synthetic_index(n: int, real_dir: Path, chunk_index, vectors_spec: dict):
    """`IndexData` of `n` chunks: the real article copied n/34 times over `chunk_index`."""
    import bm25s
    from bm25s.tokenization import Tokenized

    from qa.index.lexical import LexicalRetriever, chunk_fields, reference_tokens
    from qa.index.store import IndexData, load_index

    real = load_index(real_dir)
    per_doc = len(real.chunks)
    chunks = [
        replace(real.chunks[i % per_doc], chunk_id=i, doc_id=f"doc-{i // per_doc:07d}")
        for i in range(n)
    ]
    sentence_row = {(s, e): r for r, (_, s, e) in enumerate(real.sentences)}
    sentences, rows = [], []
    for c in chunks:
        first_of_doc = c.chunk_id - c.chunk_id % per_doc
        for s, e in c.sentences:
            owner = real.sentences[sentence_row[(s, e)]][0]
            if first_of_doc + owner == c.chunk_id:
                sentences.append((c.chunk_id, s, e))
                rows.append(sentence_row[(s, e)])
    sentence_vectors = real.sentence_vectors[np.asarray(rows)]
    sentence_tokens = real.sentence_tokens.take(rows)
    words = [reference_tokens(chunk_fields(c)) for c in real.chunks]
    vocab = {t: i for i, t in enumerate(sorted({t for ws in words for t in ws}))}
    real_ids = [[vocab[t] for t in ws] for ws in words]
    bm25 = bm25s.BM25()
    corpus = Tokenized(ids=[real_ids[i % per_doc] for i in range(n)], vocab=vocab)
    bm25.index(corpus, show_progress=False)
    manifest = {"vector_index": vectors_spec, "fingerprint": "synthetic"}
    lexical = LexicalRetriever(bm25)
    return IndexData(
        manifest, [], chunks, chunk_index, sentences, sentence_vectors, sentence_tokens, lexical
    )


class _Vectors:
    """An embedder that answers each question with its given vector."""

    def __init__(self, by_text: dict[str, np.ndarray]) -> None:
        self.by_text = by_text

    def encode(self, texts: list[str]) -> np.ndarray:
        return np.stack([self.by_text[t] for t in texts])

    def encode_query(self, text: str):
        """The question's vector, and as its tokens the same vector eight times (a question's
        usual count of content tokens: the late-interaction work is timed)."""
        from qa.index.token_vectors import TokenVectors

        vector = self.by_text[text]
        return vector, TokenVectors(np.tile(vector, (8, 1)).astype(np.float32), ["word"] * 8)


def measure_path(index, questions: list[str], query_vectors: np.ndarray) -> dict:
    """p50/p95 of the whole ask and the p50 of each stage, over `ASKS` asks."""
    from qa.answer.engine import QAEngine

    by_text = dict(zip(questions, query_vectors, strict=False))
    began = time.perf_counter()
    engine = QAEngine(index, _Vectors(by_text))
    load_s = time.perf_counter() - began
    stages: dict[str, list[float]] = {}
    asked = list(by_text)
    for i in range(ASKS):
        timings: dict[str, float] = {}
        engine.ask(asked[i % len(asked)], timings=timings)
        for stage, ms in timings.items():
            stages.setdefault(stage, []).append(ms)
    path = [t - e for t, e in zip(stages["total"], stages["embed"], strict=True)]
    row = {
        "ask_p50_ms": _pct(path, 50),
        "ask_p95_ms": _pct(path, 95),
        "engine_init_s": round(load_s, 2),
    }
    for stage in ("dense", "lexical", "fusion", "answer"):
        row[f"{stage}_p50_ms"] = _pct(stages.get(stage, [0.0]), 50)
    return row


def _pct(values: list[float], q: int) -> float:
    return round(float(np.percentile(values, q)), 3)


def milvus_lite_path(data, vectors: np.ndarray, questions: list[str], queries) -> dict:
    """The same whole ask with the chunks in a milvus-lite file (a temporary folder)."""
    import tempfile

    from qa.index.milvus_store import MilvusStore

    with tempfile.TemporaryDirectory() as tmp:
        began = time.perf_counter()
        store = MilvusStore(str(Path(tmp) / "scale.db"))
        store.save(data, vectors)
        saved_s = time.perf_counter() - began
        row = measure_path(store.load(), questions, queries)
    return {**row, "store": "milvus-lite", "milvus_build_s": round(saved_s, 1)}
