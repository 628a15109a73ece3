"""Which passages to show: the best ranked chunks, each cut so that no sentence is shown twice.

Neighbouring chunks of a section share `overlap` sentences, so the second-best chunk often
repeats half of the best one. Skipping such a chunk loses the new sentences it brings; showing
it whole highlights the same sentence twice. Each chunk is instead cut to its longest run of
sentences that no better passage shows (the answer's passage is taken first and never cut),
and a chunk with less than half of it new is skipped, as before cutting was introduced (a
remnant of one or two sentences would take the place of a passage from elsewhere): k
passages, k different pieces of evidence.
"""

from __future__ import annotations

from dataclasses import dataclass

from qa.answer.ranking import Ranked
from qa.ingest.documents import Chunk


@dataclass(frozen=True)
class Evidence:
    """A ranked chunk and the document offsets of the part of it to show."""

    ranked: Ranked
    start: int
    end: int


def select_evidence(
    ranked: list[Ranked],
    chunks: list[Chunk],
    k: int,
    keep: int | None = None,
    min_new: float = 0.5,
) -> list[Evidence]:
    """Up to `k` passages in rank order, none repeating a sentence of another, each bringing at
    least `min_new` of its chunk's text anew; chunk `keep` (the answer's) is always whole."""
    shown: dict[int, Evidence] = {}
    covered: dict[str, list[tuple[int, int]]] = {}
    first = [r for r in ranked if r.chunk_id == keep][:1]
    for r in first + [r for r in ranked if r.chunk_id != keep]:
        if len(shown) == k:
            break
        chunk = chunks[r.chunk_id]
        spans = covered.setdefault(chunk.doc_id, [])
        run = _longest_fresh_run(chunk.sentences, spans) if r.chunk_id != keep else chunk.sentences
        if run and run[-1][1] - run[0][0] >= min_new * (chunk.end - chunk.start):
            shown[r.chunk_id] = Evidence(r, run[0][0], run[-1][1])
            spans.extend(run)
    return [shown[r.chunk_id] for r in ranked if r.chunk_id in shown]


def _longest_fresh_run(
    sentences: list[tuple[int, int]], covered: list[tuple[int, int]]
) -> list[tuple[int, int]]:
    """The longest run of consecutive sentences overlapping none of `covered` (first if tied)."""
    best: list[tuple[int, int]] = []
    run: list[tuple[int, int]] = []
    for s, e in sentences:
        if any(s < ce and cs < e for cs, ce in covered):
            run = []
            continue
        run = [*run, (s, e)]
        if len(run) > len(best):
            best = run
    return best
