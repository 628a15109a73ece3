"""What the answer path asks of a store: dense search, lexical search, and their scores.

Two stores implement it: the FAISS + bm25s files (`store`, the default) and Milvus
(`milvus_store`). The answer path fuses the candidates itself (`qa.answer.ranking`), so
answers do not depend on the store; only where the candidates come from does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

import numpy as np

if TYPE_CHECKING:
    import faiss


class StoreUnavailable(RuntimeError):
    """The search engine cannot be reached or failed mid-query; one line for the user."""


class LexicalResult(Protocol):
    """BM25 for one query: the best chunks (score > 0, best first) and the best score (0 when
    no chunk holds a query token); `of` scores any chunks the ranker asks about."""

    top: list[int]
    best: float

    def of(self, ids: list[int]) -> np.ndarray: ...


class DenseSearch(Protocol):
    """Chunk vectors: top-k (chunk id, inner product), and the vectors of given chunks."""

    def search(self, query: np.ndarray, k: int) -> list[tuple[int, float]]: ...

    def vectors(self, ids: list[int]) -> np.ndarray: ...


class LexicalSearch(Protocol):
    """BM25 over the chunks: the query's result and each token's inverse document frequency."""

    def idf(self, token: str) -> float: ...

    def query(self, query_tokens: list[str], k: int) -> LexicalResult: ...


class ArrayScores:
    """A `LexicalResult` over the BM25 score of every chunk (the in-process store)."""

    def __init__(self, scores: np.ndarray, k: int) -> None:
        self.scores = scores
        self.top = [int(i) for i in top_k(scores, k) if scores[i] > 0]
        self.best = float(scores[self.top[0]]) if self.top else 0.0

    def of(self, ids: list[int]) -> np.ndarray:
        return self.scores[ids]


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """The indices of the `k` highest scores, best first, without sorting every score
    (a partition, then a sort of the `k`): 7 ms instead of 79 at a million scores."""
    if k <= 0 or not scores.size:
        return np.zeros(0, dtype=np.int64)
    if k < scores.size:
        part = np.argpartition(-scores, k - 1)[:k]
        return part[np.argsort(-scores[part], kind="stable")]
    return np.argsort(-scores, kind="stable")


class FaissDense:
    """`DenseSearch` over a FAISS index whose row i is chunk i."""

    def __init__(self, index: faiss.Index) -> None:
        self.index = index

    def search(self, query: np.ndarray, k: int) -> list[tuple[int, float]]:
        k = min(k, self.index.ntotal)
        if k <= 0:
            return []
        scores, ids = self.index.search(query.reshape(1, -1).astype(np.float32), k)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]

    def vectors(self, ids: list[int]) -> np.ndarray:
        return np.stack([self.index.reconstruct(i) for i in ids]) if ids else np.zeros((0, 0))
