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
    """Every sentence's token vectors, as int8 codes with a scale a token (a quarter of float32's
    bytes, the same answers: docs/retrieval.md): sentence `i` owns rows `bounds[i, 0]` to
    `bounds[i, 1]`."""

    codes: np.ndarray  # (tokens, dim) int8
    scales: np.ndarray  # (tokens,) float32: a token's vector is its codes times its scale
    bounds: np.ndarray  # (sentences, 2) int64

    FILES = ("sentence_tokens.npy", "sentence_token_scales.npy", "sentence_token_bounds.npy")

    @classmethod
    def stack(cls, per_sentence: Sequence[np.ndarray], dim: int) -> TokenTable:
        """The table of each sentence's (tokens, dim) vectors, in order."""
        counts = np.array([len(m) for m in per_sentence], dtype=np.int64)
        ends = np.cumsum(counts)
        parts = [np.asarray(m, dtype=np.float32).reshape(-1, dim) for m in per_sentence]
        vectors = np.concatenate(parts) if parts else np.zeros((0, dim), dtype=np.float32)
        peak = np.abs(vectors).max(axis=1) if len(vectors) else np.zeros(0, dtype=np.float32)
        scales = np.where(peak > 0, peak / 127.0, 1.0).astype(np.float32)
        codes = np.rint(vectors / scales[:, None]).astype(np.int8)
        return cls(codes, scales, np.stack([ends - counts, ends], axis=1).reshape(-1, 2))

    def arrays(self) -> dict[str, np.ndarray]:
        """The arrays the table is saved as, by file name (`FILES`)."""
        return dict(zip(self.FILES, (self.codes, self.scales, self.bounds), strict=True))

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> TokenTable:
        """The table saved by `arrays` (`ValueError` if they do not fit together)."""
        codes, scales, bounds = (arrays[name] for name in cls.FILES)
        shapes = codes.ndim == 2 and scales.shape == (len(codes),) and bounds.ndim == 2
        kinds = codes.dtype == np.int8 and scales.dtype == np.float32 and bounds.shape[1:] == (2,)
        inside = bool(np.all((bounds[:, 0] >= 0) & (bounds[:, 0] <= bounds[:, 1])))
        if not (shapes and kinds and inside and bool(np.all(bounds[:, 1] <= len(codes)))):
            raise ValueError("token vectors and their bounds do not fit together")
        return cls(codes, scales, bounds.astype(np.int64))

    def __len__(self) -> int:
        return len(self.bounds)

    def of(self, sentence: int) -> np.ndarray:
        """The sentence's token vectors, (tokens, dim) float32."""
        start, end = self.bounds[sentence]
        return self.codes[start:end].astype(np.float32) * self.scales[start:end, None]

    def take(self, sentences: Sequence[int]) -> TokenTable:
        """A table of the given sentences, in that order (sharing this one's vectors)."""
        return TokenTable(self.codes, self.scales, self.bounds[np.asarray(sentences, dtype=int)])

    def maxsim(
        self, query: np.ndarray, sentences: Sequence[int], weights: np.ndarray | None = None
    ) -> np.ndarray:
        """For each sentence, the mean (weighted by `weights`, which sum to 1, when given)
        over the query's token vectors of each one's best cosine with the sentence's token
        vectors (0 for a sentence or a query without any)."""
        out = np.zeros(len(sentences))
        if not len(query) or not len(sentences):
            return out
        bounds = self.bounds[np.asarray(sentences, dtype=int)]
        counts = bounds[:, 1] - bounds[:, 0]
        full = counts > 0
        if not full.any():
            return out
        rows = np.concatenate([np.arange(a, b) for a, b in bounds[full]])
        cosines = (query @ self.codes[rows].T.astype(np.float32)) * self.scales[rows]
        at = (np.cumsum(counts) - counts)[full]
        best = np.maximum.reduceat(cosines, at, axis=1)
        out[full] = best.mean(axis=0) if weights is None else weights @ best
        return out
