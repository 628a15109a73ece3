"""Token vectors for late interaction: the unit vectors of a text's content words' tokens.

A sentence model's mean-pooled vector blurs which words a sentence holds; its token vectors
before pooling keep them, in context ("warplanes" near "fighter jets", "Moscow" near
"Russia"). `TokenTable.maxsim` scores a sentence by how well each content token of the question
finds a close token in it (ColBERT's MaxSim), a soft form of term overlap
(docs/retrieval.md: the answer picker's `late` signal), each question token weighted by its
word's IDF as the overlap term weights terms. Stop words and punctuation are left out on both
sides, with BM25's stop list.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from qa.index.lexical import STOPWORDS

_STOP = frozenset(STOPWORDS)
_WORD = re.compile(r"\w+")
DTYPE = np.float16  # what the index stores: half the bytes, the same answers (measured)


@dataclass(frozen=True)
class TokenVectors:
    """A text's content tokens: their unit vectors and the (lowercased) word each belongs to."""

    vectors: np.ndarray  # (tokens, dim) float32
    words: list[str]


def word_tokens(text: str, offsets: Sequence[tuple[int, int]]) -> list[tuple[int, str]]:
    """(row, word) of each token that lies in a word (given by its character offsets in
    `text`; special tokens have empty spans and punctuation lies in none)."""
    words = [(m.start(), m.end(), m.group().lower()) for m in _WORD.finditer(text)]
    starts = [w[0] for w in words]
    out = []
    for row, (start, end) in enumerate(offsets):
        at = bisect_right(starts, start) - 1
        if end > start and at >= 0 and start < words[at][1]:
            out.append((row, words[at][2]))
    return out


def content_rows(text: str, offsets: Sequence[tuple[int, int]]) -> list[int]:
    """Rows of the tokens that belong to a content word: two or more characters, not a stop
    word."""
    return [row for row, word in word_tokens(text, offsets) if _is_content(word)]


def content_vectors(
    states: np.ndarray, text: str, offsets: Sequence[tuple[int, int]]
) -> TokenVectors:
    """The content tokens among `states` (a row a token, aligned with `offsets`); every
    word's tokens when the text has no content word ("Why not?")."""
    tokens = word_tokens(text, offsets)
    kept = [t for t in tokens if _is_content(t[1])] or tokens
    rows = [row for row, _ in kept]
    picked = np.asarray(states[rows], dtype=np.float32).reshape(len(rows), states.shape[-1])
    norms = np.linalg.norm(picked, axis=1, keepdims=True)
    return TokenVectors(picked / np.maximum(norms, 1e-12), [word for _, word in kept])


def _is_content(word: str) -> bool:
    return len(word) > 1 and word not in _STOP


@dataclass(frozen=True)
class TokenTable:
    """Every sentence's token vectors, stacked: sentence `i` owns rows `starts[i]:starts[i+1]`."""

    vectors: np.ndarray  # (tokens, dim), `DTYPE`
    starts: np.ndarray  # (sentences + 1,) int64

    FILES = ("sentence_tokens.npy", "sentence_token_starts.npy")  # how a store saves it

    @classmethod
    def stack(cls, per_sentence: Sequence[np.ndarray], dim: int) -> TokenTable:
        counts = np.array([len(m) for m in per_sentence], dtype=np.int64)
        starts = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        parts = [np.asarray(m, dtype=DTYPE).reshape(-1, dim) for m in per_sentence]
        vectors = np.concatenate(parts) if parts else np.zeros((0, dim), dtype=DTYPE)
        return cls(np.ascontiguousarray(vectors, dtype=DTYPE), starts)

    def arrays(self) -> dict[str, np.ndarray]:
        """The arrays the table is saved as, by file name (`FILES`)."""
        return dict(zip(self.FILES, (self.vectors, self.starts), strict=True))

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> TokenTable:
        """The table saved by `arrays` (`ValueError` if they do not fit together)."""
        vectors, starts = (arrays[name] for name in cls.FILES)
        fits = starts.ndim == 1 and len(starts) > 0 and starts[0] == 0
        fits = fits and starts[-1] == len(vectors) and bool(np.all(np.diff(starts) >= 0))
        if not fits or vectors.dtype != DTYPE or vectors.ndim != 2:
            raise ValueError("token vectors and their offsets do not fit together")
        return cls(vectors, starts.astype(np.int64))

    def __len__(self) -> int:
        return len(self.starts) - 1

    def of(self, sentence: int) -> np.ndarray:
        return self.vectors[self.starts[sentence] : self.starts[sentence + 1]]

    def take(self, sentences: Sequence[int]) -> TokenTable:
        """A table of the given sentences, in that order."""
        return TokenTable.stack([self.of(i) for i in sentences], self.vectors.shape[1])

    def maxsim(
        self, query: np.ndarray, sentences: Sequence[int], weights: np.ndarray | None = None
    ) -> np.ndarray:
        """For each sentence, the mean (weighted by `weights`, which sum to 1, when given)
        over the query's token vectors of each one's best cosine with the sentence's token
        vectors (0 for a sentence or a query without any)."""
        out = np.zeros(len(sentences))
        if not len(query) or not len(sentences):
            return out
        bounds = [(self.starts[i], self.starts[i + 1]) for i in sentences]
        counts = np.array([b - a for a, b in bounds])
        full = counts > 0
        if not full.any():
            return out
        rows = np.concatenate([np.arange(a, b) for a, b in bounds])
        cosines = query @ self.vectors[rows].astype(np.float32).T  # (query tokens, rows)
        at = (np.cumsum(counts) - counts)[full]
        best = np.maximum.reduceat(cosines, at, axis=1)
        out[full] = best.mean(axis=0) if weights is None else weights @ best
        return out
