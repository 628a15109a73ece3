"""Choosing the answer sentence among the top passages (with the sentences it points back to)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np

from qa.answer.ranking import Ranked, SentenceTable
from qa.index.lexical import tokens
from qa.index.token_vectors import TokenVectors
from qa.ingest.documents import Chunk

# A sentence that opens by pointing back ("This tacit understanding…", "Such experts…", "It…")
# means little alone: the answer then starts earlier, with what it points to.
_POINTING = frozenset({"this", "these", "those", "such"})  # within the first three words
_PRONOUNS = frozenset({"it", "its", "they", "their", "them", "that", "he", "she", "his", "her"})
_WORD = re.compile(r"[A-Za-z']+")
MAX_LEAD = 2  # sentences an answer may reach back


@dataclass(frozen=True)
class AnswerSentence:
    """The best sentence: the chunk it was found in, its score, and the document offsets of the
    answer (the sentence, plus up to `MAX_LEAD` sentences before it that it points back to)."""

    chunk_id: int
    start: int
    end: int
    score: float
    similarity: float
    coverage: float


@dataclass(frozen=True)
class PickerParams:
    """Sentence score = cosine + `passage` x passage score + `overlap` x the IDF-weighted share
    of the question's terms that the sentence contains + `late` x the MaxSim of the question's
    content tokens against the sentence's, each weighted by its word's IDF
    (`qa.index.token_vectors`; docs/retrieval.md)."""

    top_passages: int = 2
    passage: float = 0.5
    overlap: float = 0.6
    late: float = 2.0


class SentencePicker:
    """Scores every sentence of the top passages and returns the best one."""

    def __init__(
        self,
        chunks: list[Chunk],
        idf: Callable[[str], float],
        table: SentenceTable,
        params: PickerParams | None = None,
    ) -> None:
        self.chunks = chunks
        self.idf = idf
        self.table = table
        self.params = params or PickerParams()

    def run(
        self,
        ranked: list[Ranked],
        sims: dict[int, np.ndarray],
        query_tokens: list[str],
        query_vectors: TokenVectors,
    ) -> AnswerSentence | None:
        """The best sentence for a question given by its stemmed terms and its content
        tokens, among the top passages of `ranked` (`sims`: their sentences' cosines)."""
        p = self.params
        wanted = {t: self.idf(t) for t in set(query_tokens)}
        weights = self._token_weights(query_vectors.words)
        best: AnswerSentence | None = None
        for r in ranked[: p.top_passages]:
            chunk = self.chunks[r.chunk_id]
            late = self.table.late_interaction(r.chunk_id, query_vectors.vectors, weights)
            for (start, end), sim, maxsim in zip(
                chunk.sentences, sims[r.chunk_id], late, strict=True
            ):
                coverage = _coverage(wanted, chunk.span_text(start, end))
                score = float(sim) + p.passage * r.score + p.overlap * coverage + p.late * maxsim
                if best is None or score > best.score:
                    best = AnswerSentence(r.chunk_id, start, end, score, float(sim), coverage)
        return best and self._self_contained(best)

    def _token_weights(self, words: list[str]) -> np.ndarray | None:
        """Each question token's weight in MaxSim: its word's IDF (stemmed as BM25 stems it),
        normalised; None (equal weights) when no token is a content word."""
        idf = np.array([sum(self.idf(t) for t in tokens(w)) for w in words], dtype=np.float64)
        total = idf.sum()
        return idf / total if total > 0 else None

    def _self_contained(self, best: AnswerSentence) -> AnswerSentence:
        """`best`, starting up to `MAX_LEAD` sentences earlier while its first sentence points
        back and its chunk holds the sentence before it."""
        chunk = self.chunks[best.chunk_id]
        at = first = chunk.sentences.index((best.start, best.end))
        while at and first - at < MAX_LEAD:
            start, end = chunk.sentences[at]
            if not points_back(chunk.span_text(start, end)):
                break
            at -= 1
        return replace(best, start=chunk.sentences[at][0])


def points_back(sentence: str) -> bool:
    """Whether the sentence opens with a pronoun, or a demonstrative in its first three words."""
    words = [w.lower() for w in _WORD.findall(sentence[:80])[:3]]
    return bool(words) and (words[0] in _PRONOUNS or not _POINTING.isdisjoint(words))


def _coverage(wanted: dict[str, float], sentence: str) -> float:
    """IDF-weighted share of the query's content tokens that occur in the sentence."""
    total = sum(wanted.values())
    if not total:
        return 0.0
    present = _token_set(sentence)
    return sum(w for t, w in wanted.items() if t in present) / total


@lru_cache(maxsize=65536)
def _token_set(sentence: str) -> frozenset[str]:
    return frozenset(tokens(sentence))
