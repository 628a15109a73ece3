"""Choosing the answer sentence among the top passages (with the sentences it points back to)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from qa.answer.candidates import (
    Candidate,
    collect_candidates,
    late_interaction_of,
    points_back,
)
from qa.answer.ranking import Ranked, SentenceTable
from qa.answer.reader_features import candidate_matrix
from qa.index.lexical import tokens
from qa.index.token_vectors import TokenVectors
from qa.ingest.documents import Chunk

if TYPE_CHECKING:
    from qa.answer.reader import ReaderModel
    from qa.answer.reader_features import QuestionShape

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

    def score(self, c: Candidate) -> float:
        """The hand-set score of a candidate sentence."""
        return (
            c.similarity
            + self.passage * c.passage
            + self.overlap * c.coverage
            + (self.late * c.late)
        )


@dataclass(frozen=True)
class Reading:
    """What the picker read: the candidates, their scores (the hand-set rule's, or the learned
    picker's), their feature rows (with a reader) and the chosen answer."""

    candidates: list[Candidate]
    scores: np.ndarray
    features: np.ndarray | None
    answer: AnswerSentence | None

    @property
    def learned(self) -> bool:
        """Whether a reader read the candidates (and `features` holds their rows)."""
        return self.features is not None


class SentencePicker:
    """Scores every sentence of the top passages and returns the best one: by the hand-set
    weights of `params`, or by a learned reader (`qa.answer.reader`) when one is given."""

    def __init__(
        self,
        chunks: list[Chunk],
        idf: Callable[[str], float],
        table: SentenceTable,
        params: PickerParams | None = None,
        reader: ReaderModel | None = None,
    ) -> None:
        self.chunks = chunks
        self.idf = idf
        self.table = table
        self.params = params or PickerParams()
        self.reader = reader

    def run(
        self,
        ranked: list[Ranked],
        sims: dict[int, np.ndarray],
        query_tokens: list[str],
        query_vectors: TokenVectors,
        shape: QuestionShape | None = None,
    ) -> Reading:
        """The best sentence for a question given by its stemmed terms and its content
        tokens, among the top passages of `ranked` (`sims`: their sentences' cosines);
        `shape` (the question read by `QuestionShape.read`) is needed by a reader."""
        candidates = self.candidates(ranked, sims, query_tokens, query_vectors)
        features = None
        scores = np.array([self.params.score(c) for c in candidates])
        if self.reader is not None and shape is not None:
            features = candidate_matrix(
                shape, candidates, scores, self.text_of, self.passage_of, self.idf
            )
            if self.reader.picker is not None and candidates:
                scores = self.reader.picker.logits(features)
        if not candidates:
            return Reading(candidates, scores, features, None)
        best = candidates[int(np.argmax(scores))]  # the first of equals, as before
        answer = AnswerSentence(
            best.chunk_id,
            best.start,
            best.end,
            float(scores.max()),
            best.similarity,
            best.coverage,
        )
        return Reading(candidates, scores, features, self.self_contained(answer))

    def candidates(
        self,
        ranked: list[Ranked],
        sims: dict[int, np.ndarray],
        query_tokens: list[str],
        query_vectors: TokenVectors,
    ) -> list[Candidate]:
        """Every sentence of the top passages with its signals."""
        wanted = {t: self.idf(t) for t in set(query_tokens)}
        weights = self._token_weights(query_vectors.words)
        top = self.reader.top_passages if self.reader is not None else self.params.top_passages
        return collect_candidates(
            ranked,
            self.chunks,
            sims,
            late_interaction_of(self.table, query_vectors.vectors, weights),
            lambda text: _coverage(wanted, text),
            top,
        )

    def passage_of(self, chunk_id: int) -> str:
        chunk = self.chunks[chunk_id]
        return f"{chunk.section}\n{chunk.text}"

    def text_of(self, c: Candidate) -> str:
        return self.chunks[c.chunk_id].span_text(c.start, c.end)

    def _token_weights(self, words: list[str]) -> np.ndarray | None:
        """Each question token's weight in MaxSim: its word's IDF (stemmed as BM25 stems it),
        normalised; None (equal weights) when no token is a content word."""
        idf = np.array([sum(self.idf(t) for t in tokens(w)) for w in words], dtype=np.float64)
        total = idf.sum()
        return idf / total if total > 0 else None

    def self_contained(self, best: AnswerSentence) -> AnswerSentence:
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
