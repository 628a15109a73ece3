"""Token vectors for late interaction: which tokens count, the MaxSim score, how they are stored."""

from __future__ import annotations

import numpy as np
import pytest

from qa.index.token_vectors import TokenTable, content_vectors


def test_content_tokens_skip_special_tokens_punctuation_and_stop_words():
    text = "Will Moscow's warplanes reach Tehran?"
    # MiniLM's tokens: [CLS] will moscow ' s warp ##lane ##s reach tehran ? [SEP]
    offsets = [(0, 0), (0, 4), (5, 11), (11, 12), (12, 13), (14, 18), (18, 22), (22, 23)]
    offsets += [(24, 29), (30, 36), (36, 37), (0, 0)]
    tokens = content_vectors(np.eye(len(offsets), dtype=np.float32), text, offsets)
    assert np.argmax(tokens.vectors, axis=1).tolist() == [2, 5, 6, 7, 8, 9]
    assert tokens.words == ["moscow", "warplanes", "warplanes", "warplanes", "reach", "tehran"]


def test_a_question_of_stop_words_keeps_its_words():
    states = np.eye(4, dtype=np.float32) * 3
    offsets = [(0, 0), (0, 3), (4, 7), (0, 0)]  # [CLS] why not [SEP]
    tokens = content_vectors(states, "Why not?", offsets)
    assert tokens.vectors.shape == (2, 4) and tokens.words == ["why", "not"]
    np.testing.assert_allclose(np.linalg.norm(tokens.vectors, axis=1), 1.0)


def _unit(*rows):
    m = np.asarray(rows, dtype=np.float32)
    return m / np.linalg.norm(m, axis=1, keepdims=True)


def test_maxsim_is_the_mean_best_cosine_of_each_query_token():
    table = TokenTable.stack([_unit([1, 0, 0], [0, 1, 0]), _unit([0, 0, 1]), np.zeros((0, 3))], 3)
    query = _unit([1, 0, 0], [0, 0, 1])
    scores = table.maxsim(query, [0, 1, 2])
    np.testing.assert_allclose(scores, [0.5, 0.5, 0.0], atol=1e-3)
    np.testing.assert_allclose(table.maxsim(query, [1, 0]), [0.5, 0.5], atol=1e-3)
    weighted = table.maxsim(query, [0, 1], weights=np.array([0.75, 0.25]))
    np.testing.assert_allclose(weighted, [0.75, 0.25], atol=1e-3)
    assert table.maxsim(np.zeros((0, 3), dtype=np.float32), [0]).tolist() == [0.0]


def test_a_table_round_trips_through_its_arrays_and_refuses_a_mismatch():
    table = TokenTable.stack([_unit([1, 2, 3]), _unit([3, 2, 1], [1, 1, 1])], 3)
    again = TokenTable.from_arrays(table.arrays())
    assert len(again) == 2 and again.codes.dtype == np.int8
    np.testing.assert_array_equal(again.of(1), table.of(1))
    np.testing.assert_allclose(table.of(1), _unit([3, 2, 1], [1, 1, 1]), atol=0.01)
    np.testing.assert_array_equal(table.take([1, 1]).of(1), table.of(1))
    beyond = table.arrays() | {"sentence_token_bounds.npy": np.array([[0, 1], [1, 5]])}
    with pytest.raises(ValueError):
        TokenTable.from_arrays(beyond)
    floats = table.arrays() | {"sentence_tokens.npy": table.codes.astype(np.float32)}
    with pytest.raises(ValueError):
        TokenTable.from_arrays(floats)


def test_the_committed_index_holds_content_tokens_for_every_sentence(engine):
    tokens = engine.index.sentence_tokens
    assert len(tokens) == len(engine.index.sentences)
    assert np.all(tokens.bounds[:, 1] > tokens.bounds[:, 0])
    norms = np.linalg.norm(np.concatenate([tokens.of(i) for i in range(len(tokens))]), axis=1)
    np.testing.assert_allclose(norms, 1.0, atol=1e-2)


def test_late_interaction_finds_a_word_in_other_words(embedder):
    """The real model's tokens: "warplanes" finds "fighter jets" where the sentence vector
    alone prefers a sentence sharing the question's other words."""
    vector, query = embedder.encode_query("And the warplanes?")
    sentences = [
        "Russia declined to give Iran advanced fighter jets.",
        "And the new trade deal with their partners?",
    ]
    vectors, per_sentence = embedder.encode_with_tokens(sentences)
    assert vectors[0] @ vector < vectors[1] @ vector
    assert query.words == ["warplanes"] * 3  # one word, three tokens: warp ##lane ##s
    table = TokenTable.stack([t.vectors for t in per_sentence], query.vectors.shape[1])
    jets, deal = table.maxsim(query.vectors, [0, 1])
    assert jets > deal
