"""Hybrid ranking: dense chunk cosine + best-sentence cosine + BM25, fused by a weighted sum,
then blended with the best score in the chunk's section.

Weights were chosen on the dev set (see docs/retrieval.md): the best sentence of a chunk is
a sharper signal than the chunk's average meaning, BM25 rescues exact names and terms, and a
chunk whose section as a whole answers the question is likelier to answer it too.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from qa.index.search import LexicalResult
from qa.index.store import IndexData
from qa.ingest.documents import Chunk

CANDIDATES = 64


@dataclass(frozen=True)
class Weights:
    """Weights of the fused score's parts (the sum is divided by their total, so it stays in
    [-1, 1]); BM25 is divided by the query's best BM25 score."""

    dense: float = 1.0
    sentence: float = 0.25
    lexical: float = 0.3
    section: float = 0.5  # final = (fused + section x best fused in its section) / (1 + section)


@dataclass(frozen=True)
class Ranked:
    """One chunk's fused score and the parts it was made of."""

    chunk_id: int
    score: float
    dense: float
    sentence: float
    lexical: float


class SentenceTable:
    """Rows of the sentence-vector matrix (and of the sentence token table), grouped by chunk."""

    def __init__(self, index: IndexData) -> None:
        row_of = {(index.chunks[c].doc_id, s, e): i for i, (c, s, e) in enumerate(index.sentences)}
        self.vectors = index.sentence_vectors
        self.tokens = index.sentence_tokens
        self.rows = [[row_of[(c.doc_id, s, e)] for s, e in c.sentences] for c in index.chunks]

    def late_interaction(
        self, chunk_id: int, query_tokens: np.ndarray, weights: np.ndarray | None = None
    ) -> np.ndarray:
        """The MaxSim of the query's content-token vectors (weighted by `weights`) against
        each sentence of the chunk."""
        return self.tokens.maxsim(query_tokens, self.rows[chunk_id], weights)

    def similarities(
        self, chunk_ids: list[int], query: np.ndarray
    ) -> tuple[dict[int, np.ndarray], np.ndarray]:
        """{chunk id: cosine of each of its sentences with the query}, and each chunk's best
        cosine (0 for a chunk without sentences) in the order of `chunk_ids`."""
        counts = np.array([len(self.rows[cid]) for cid in chunk_ids], dtype=np.int64)
        rows = [r for cid in chunk_ids for r in self.rows[cid]]
        sims = self.vectors[rows] @ query if rows else np.zeros(0, dtype=np.float32)
        starts = np.cumsum(counts) - counts
        out = {cid: sims[a : a + n] for cid, a, n in zip(chunk_ids, starts, counts, strict=True)}
        best = np.zeros(len(chunk_ids))
        full = counts > 0
        if full.any():
            best[full] = np.maximum.reduceat(sims, starts[full])
        return out, best


class HybridRanker:
    """Ranks chunks for a query vector and its lexical tokens."""

    def __init__(self, index: IndexData, sentences: SentenceTable, weights: Weights) -> None:
        self.index = index
        self.dense = index.dense
        self.sentences = sentences
        self.weights = weights
        self.section_of = _section_numbers(index.chunks)
        self.last_dense_ms = 0.0

    def run(
        self, query: np.ndarray, lexical: LexicalResult
    ) -> tuple[list[Ranked], dict[int, np.ndarray]]:
        """All candidate chunks, best first, and their sentence similarities."""
        began = time.perf_counter()
        hits = self.dense.search(query, CANDIDATES)
        self.last_dense_ms = (time.perf_counter() - began) * 1000  # the engine's "dense" stage
        dense = dict(hits)
        extra = [cid for cid in lexical.top[:CANDIDATES] if cid not in dense]
        if extra:
            for cid, vector in zip(extra, self.dense.vectors(extra), strict=True):
                dense[cid] = float(vector @ query)
        ids = list(dense)
        sims, sentence = self.sentences.similarities(ids, query)
        best_lexical = lexical.best if lexical.best > 0 else 1.0
        cosine = np.fromiter(dense.values(), dtype=np.float64, count=len(ids))
        lex = lexical.of(ids).astype(np.float64) / best_lexical
        total = self._fuse(cosine, sentence, lex, np.asarray(ids, dtype=np.int64))
        ranked = [
            Ranked(ids[i], float(total[i]), float(cosine[i]), float(sentence[i]), float(lex[i]))
            for i in np.argsort(-total, kind="stable").tolist()
        ]
        return ranked, sims

    def _fuse(
        self, dense: np.ndarray, sentence: np.ndarray, lexical: np.ndarray, ids: np.ndarray
    ) -> np.ndarray:
        """The weighted sum, then blended with the best sum among the candidates of the same
        section (passage evidence plus the evidence of its surroundings): the best chunk of a
        section keeps its score, its section-mates move towards it."""
        w = self.weights
        total = (w.dense * dense + w.sentence * sentence + w.lexical * lexical) / (
            w.dense + w.sentence + w.lexical or 1.0
        )
        if not w.section:
            return total
        present, sections = np.unique(self.section_of[ids], return_inverse=True)
        best = np.full(len(present), -np.inf)
        np.maximum.at(best, sections, total)
        return (total + w.section * best[sections]) / (1 + w.section)


def _section_numbers(chunks: list[Chunk]) -> np.ndarray:
    """A number for each chunk's (document, section), in chunk order."""
    numbers: dict[tuple[str, str], int] = {}
    return np.array(
        [numbers.setdefault((c.doc_id, c.anchor), len(numbers)) for c in chunks], dtype=np.int64
    )
