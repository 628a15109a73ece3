"""Hybrid ranking: dense chunk cosine + best-sentence cosine + BM25, fused by a weighted sum.

Weights were chosen on the dev set (see docs/retrieval.md): the best sentence of a chunk is
a sharper signal than the chunk's average meaning, and BM25 rescues exact names and terms.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from qa.index_store import IndexData
from qa.retrieve import DenseRetriever

CANDIDATES = 64


@dataclass(frozen=True)
class Weights:
    """Weights of the fused score's parts (the sum is divided by their total, so it stays in
    [-1, 1]); BM25 is divided by the query's best BM25 score."""

    dense: float = 1.0
    sentence: float = 0.25
    lexical: float = 0.3


@dataclass(frozen=True)
class Ranked:
    """One chunk's fused score and the parts it was made of."""

    chunk_id: int
    score: float
    dense: float
    sentence: float
    lexical: float


class SentenceTable:
    """Rows of the sentence-vector matrix, grouped by chunk."""

    def __init__(self, index: IndexData) -> None:
        row_of = {(index.chunks[c].doc_id, s, e): i for i, (c, s, e) in enumerate(index.sentences)}
        self.vectors = index.sentence_vectors
        self.rows = [[row_of[(c.doc_id, s, e)] for s, e in c.sentences] for c in index.chunks]

    def similarities(self, chunk_ids: list[int], query: np.ndarray) -> dict[int, np.ndarray]:
        """{chunk id: cosine of each of its sentences with the query}."""
        rows = [r for cid in chunk_ids for r in self.rows[cid]]
        sims = self.vectors[rows] @ query if rows else np.zeros(0, dtype=np.float32)
        out, at = {}, 0
        for cid in chunk_ids:
            n = len(self.rows[cid])
            out[cid] = sims[at : at + n]
            at += n
        return out


class HybridRanker:
    """Ranks chunks for a query vector and its lexical tokens."""

    def __init__(self, index: IndexData, sentences: SentenceTable, weights: Weights) -> None:
        self.index = index
        self.dense = DenseRetriever(index.chunk_index)
        self.sentences = sentences
        self.weights = weights
        self.last_dense_ms = 0.0

    def run(
        self, query: np.ndarray, lexical: np.ndarray
    ) -> tuple[list[Ranked], dict[int, np.ndarray]]:
        """All candidate chunks, best first, and their sentence similarities."""
        began = time.perf_counter()
        hits = self.dense.run(query, CANDIDATES)
        self.last_dense_ms = (time.perf_counter() - began) * 1000  # the engine's "dense" stage
        dense = {h.chunk_id: h.score for h in hits}
        top_lexical = np.argsort(-lexical)[:CANDIDATES]
        for cid in (int(i) for i in top_lexical if lexical[i] > 0):
            if cid not in dense:
                dense[cid] = float(self.index.chunk_index.reconstruct(cid) @ query)
        ids = list(dense)
        sims = self.sentences.similarities(ids, query)
        best_lexical = float(lexical.max()) if lexical.size and lexical.max() > 0 else 1.0
        w = self.weights
        scale = w.dense + w.sentence + w.lexical or 1.0
        ranked = []
        for cid in ids:
            sentence = float(sims[cid].max()) if sims[cid].size else 0.0
            lex = float(lexical[cid]) / best_lexical
            total = (w.dense * dense[cid] + w.sentence * sentence + w.lexical * lex) / scale
            ranked.append(Ranked(cid, total, dense[cid], sentence, lex))
        ranked.sort(key=lambda r: r.score, reverse=True)
        return ranked, sims
