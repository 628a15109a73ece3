"""Choosing the answer sentence among the top passages."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qa.retrieve import Hit


@dataclass(frozen=True)
class AnswerSentence:
    """The best sentence: the chunk it was found in, its document offsets, and its score."""

    chunk_id: int
    start: int
    end: int
    score: float


class SentencePicker:
    """Scores every sentence of the top passages by its own cosine with the question plus a
    share of its passage's score, and returns the best one."""

    def __init__(
        self,
        sentences: list[tuple[int, int, int]],
        vectors: np.ndarray,
        chunk_sentences: dict[int, list[tuple[int, int]]],
        doc_of_chunk: dict[int, str],
        passage_weight: float = 0.5,
        top_passages: int = 3,
    ) -> None:
        self.vectors = vectors
        self.passage_weight = passage_weight
        self.top_passages = top_passages
        self.chunk_sentences = chunk_sentences
        by_key = {(doc_of_chunk[c], s, e): i for i, (c, s, e) in enumerate(sentences)}
        self.sentence_ids = {
            cid: [by_key[(doc_of_chunk[cid], s, e)] for s, e in spans]
            for cid, spans in chunk_sentences.items()
        }

    def run(self, query_vector: np.ndarray, hits: list[Hit]) -> AnswerSentence | None:
        best: AnswerSentence | None = None
        for hit in hits[: self.top_passages]:
            ids = self.sentence_ids[hit.chunk_id]
            sims = self.vectors[ids] @ query_vector
            for (start, end), sim in zip(self.chunk_sentences[hit.chunk_id], sims, strict=True):
                score = float(sim) + self.passage_weight * hit.score
                if best is None or score > best.score:
                    best = AnswerSentence(hit.chunk_id, start, end, score)
        return best
