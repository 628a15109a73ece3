"""The candidate answer sentences of a question and the signals each one carries.

Every sentence of the top passages is a candidate, once (neighbouring chunks share sentences:
the better-ranked passage keeps it). Each carries the picker's signals — the question's cosine
with the sentence, late interaction (MaxSim), the IDF-weighted share of the question's terms
it holds, its passage's fused score and rank — and those of its neighbours, so that the
hand-set picker (`PickerParams.score`) and the learned reader (`qa.answer.reader`) read the
same numbers.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from qa.answer.ranking import Ranked, SentenceTable
from qa.ingest.documents import Chunk

# A sentence that opens by pointing back ("This tacit understanding…", "Such experts…", "It…")
# means little alone: the answer then starts earlier, with what it points to.
_POINTING = frozenset({"this", "these", "those", "such"})  # within the first three words
_PRONOUNS = frozenset({"it", "its", "they", "their", "them", "that", "he", "she", "his", "her"})
_WORD = re.compile(r"[A-Za-z']+")


@dataclass(frozen=True)
class Candidate:
    """One sentence of a top passage and its signals."""

    chunk_id: int
    start: int
    end: int
    index: int  # the sentence's place in its chunk
    passage_rank: int  # 0 = the best passage
    passages: int  # how many of the top passages hold this sentence
    similarity: float
    late: float
    coverage: float
    passage: float  # the passage's fused score
    prev_similarity: float  # the sentences before and after it in the chunk (0 at an edge)
    next_similarity: float
    prev_late: float
    next_late: float


def collect_candidates(
    ranked: list[Ranked],
    chunks: list[Chunk],
    sims: dict[int, np.ndarray],
    late_of: Callable[[int], np.ndarray],
    coverage_of: Callable[[str], float],
    top_passages: int,
) -> list[Candidate]:
    """The sentences of the first `top_passages` of `ranked`, each once, in passage order."""
    seen: dict[tuple[str, int, int], int] = {}
    out: list[Candidate] = []
    for rank, r in enumerate(ranked[:top_passages]):
        chunk = chunks[r.chunk_id]
        sim = np.asarray(sims[r.chunk_id], dtype=np.float64)
        late = np.asarray(late_of(r.chunk_id), dtype=np.float64)
        for i, (start, end) in enumerate(chunk.sentences):
            key = (chunk.doc_id, start, end)
            if key in seen:
                held = out[seen[key]]
                out[seen[key]] = replace(held, passages=held.passages + 1)
                continue
            seen[key] = len(out)
            out.append(
                Candidate(
                    r.chunk_id,
                    start,
                    end,
                    i,
                    rank,
                    1,
                    float(sim[i]),
                    float(late[i]),
                    coverage_of(chunk.span_text(start, end)),
                    r.score,
                    float(sim[i - 1]) if i else 0.0,
                    float(sim[i + 1]) if i + 1 < len(sim) else 0.0,
                    float(late[i - 1]) if i else 0.0,
                    float(late[i + 1]) if i + 1 < len(late) else 0.0,
                )
            )
    return out


def late_interaction_of(
    table: SentenceTable, query_vectors: np.ndarray, weights: np.ndarray | None
) -> Callable[[int], np.ndarray]:
    """A chunk id -> its sentences' MaxSim against the query tokens."""
    return lambda chunk_id: table.late_interaction(chunk_id, query_vectors, weights)


def points_back(sentence: str) -> bool:
    """Whether the sentence opens with a pronoun, or a demonstrative in its first three words."""
    words = [w.lower() for w in _WORD.findall(sentence[:80])[:3]]
    return bool(words) and (words[0] in _PRONOUNS or not _POINTING.isdisjoint(words))
