"""Dense retrieval over the chunk vectors (FAISS inner product on unit vectors = cosine)."""

from __future__ import annotations

from dataclasses import dataclass

import faiss
import numpy as np


@dataclass(frozen=True)
class Hit:
    """A chunk and its score for one query, best first in a result list."""

    chunk_id: int
    score: float


class DenseRetriever:
    """Top-k chunks by cosine similarity to a query vector."""

    def __init__(self, index: faiss.Index) -> None:
        self.index = index

    def run(self, query_vector: np.ndarray, k: int) -> list[Hit]:
        k = min(k, self.index.ntotal)
        if k <= 0:
            return []
        scores, ids = self.index.search(query_vector.reshape(1, -1).astype(np.float32), k)
        return [Hit(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]
