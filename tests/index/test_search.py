"""BM25 top-k without sorting every chunk: the same chunks, in the same order, as a full sort."""

from __future__ import annotations

import numpy as np
import pytest

from qa.index.search import ArrayScores, top_k


@pytest.mark.parametrize("n, k", [(1000, 64), (64, 64), (10, 64), (1, 1), (500, 0)])
def test_top_k_is_the_head_of_a_full_sort(n, k):
    scores = np.random.default_rng(n).random(n).astype(np.float32)
    assert top_k(scores, k).tolist() == np.argsort(-scores)[:k].tolist()


def test_array_scores_keep_positive_chunks_best_first():
    scores = np.array([0.0, 2.5, 0.0, 1.0, 3.0, 0.5], dtype=np.float32)
    result = ArrayScores(scores, 3)
    assert result.top == [4, 1, 3] and result.best == 3.0
    assert result.of([5, 4]).tolist() == [0.5, 3.0]
    empty = ArrayScores(np.zeros(4, dtype=np.float32), 3)
    assert empty.top == [] and empty.best == 0.0
