"""Sentence-aware chunks: windows of whole sentences that never cross a section."""

from __future__ import annotations

from qa.config import ChunkParams
from qa.ingest.documents import Chunk, Document
from qa.ingest.limits import Limits, check_sentences
from qa.ingest.sentences import split_sentences


def chunk_document(doc: Document, params: ChunkParams, first_id: int = 0) -> list[Chunk]:
    """All chunks of `doc`, numbered from `first_id`, in document order; `LimitExceeded` for
    a document of more sentences than `Limits.sentences` (each is embedded: build time)."""
    spans = [split_sentences(doc.text, s.start, s.end) for s in doc.sections]
    check_sentences(sum(map(len, spans)), Limits.from_env())
    chunks: list[Chunk] = []
    for section, sentences in zip(doc.sections, spans, strict=True):
        for window in _windows(sentences, params):
            start, end = window[0][0], window[-1][1]
            chunks.append(
                Chunk(
                    chunk_id=first_id + len(chunks),
                    doc_id=doc.doc_id,
                    section=section.title,
                    anchor=section.anchor,
                    start=start,
                    end=end,
                    text=doc.text[start:end],
                    sentences=list(window),
                )
            )
    return chunks


def _windows(sentences: list[tuple[int, int]], params: ChunkParams):
    """Consecutive runs of sentences, each at most `max_chars` long unless one sentence is."""
    i = 0
    while i < len(sentences):
        j = i + 1
        while j < len(sentences) and sentences[j][1] - sentences[i][0] <= params.max_chars:
            j += 1
        yield sentences[i:j]
        if j >= len(sentences):
            break
        i = max(i + 1, j - params.overlap)
