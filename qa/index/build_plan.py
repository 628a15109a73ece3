"""The first step of a build: what the index will hold and what the previous one can lend.

The corpus is read, cleaned and chunked; the fingerprint the new manifest will carry is taken;
and the vectors of documents whose bytes did not change are collected from the previous index
(built with the same model), so that only new or changed texts need embedding.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from qa.config import Settings
from qa.index.embedding import ModelRef, resolve_model
from qa.index.fingerprint import fingerprint
from qa.index.store import IndexUnavailable, load_index, read_manifest
from qa.ingest.chunking import chunk_document
from qa.ingest.clean import clean_document
from qa.ingest.corpus import CorpusError, SourceFile, read_documents
from qa.ingest.documents import Chunk, Document

Key = tuple[str, str]  # (document id, text)


@dataclass
class Reusable:
    """Vectors of the previous index's unchanged documents, by (document id, text)."""

    chunks: dict[Key, np.ndarray] = field(default_factory=dict)
    sentences: dict[Key, np.ndarray] = field(default_factory=dict)


@dataclass(frozen=True)
class BuildPlan:
    """Everything a build writes except the vectors, and the vectors it need not compute."""

    model: ModelRef
    fingerprint: str
    corpus: dict[str, str]  # document id -> sha256 of its bytes
    documents: list[Document]
    chunks: list[Chunk]
    sentences: list[tuple[int, int, int]]  # (chunk_id, start, end), each sentence once
    reuse: Reusable
    skipped: list[str] = field(default_factory=list)  # "<file> <reason>" of each bad file left out

    def chunk_keys(self) -> list[Key]:
        """What each chunk's vector is of, in chunk order."""
        return [(c.doc_id, c.text) for c in self.chunks]

    def sentence_keys(self) -> list[Key]:
        """What each sentence's vector is of, in the order of `sentences`."""
        return [(self.chunks[s[0]].doc_id, _sentence_text(self.chunks, s)) for s in self.sentences]


def plan_build(settings: Settings, skip_bad: bool = False) -> BuildPlan:
    """The plan for building `settings.corpus_dir` into `settings.index_dir`; a bad document
    raises `CorpusError`, or with `skip_bad` is left out and listed in `skipped`."""
    model = resolve_model(settings.model)
    corpus_read = read_documents(settings.corpus_dir, skip_bad)
    sources, documents, skipped = _clean_all(corpus_read.sources, skip_bad)
    chunks: list[Chunk] = []
    for doc in documents:
        chunks.extend(chunk_document(doc, settings.chunk, first_id=len(chunks)))
    corpus = {s.doc_id: s.sha256 for s in sources}
    return BuildPlan(
        model=model,
        fingerprint=fingerprint(settings, model),
        corpus=corpus,
        documents=documents,
        chunks=chunks,
        sentences=_unique_sentences(chunks),
        reuse=reusable_vectors(settings.index_dir, model.model_id, corpus),
        skipped=corpus_read.skipped + skipped,
    )


def reusable_vectors(index_dir: Path, model_id: str, corpus: dict[str, str]) -> Reusable:
    """What the index at `index_dir` offers for documents whose sha256 in `corpus` is the one it
    was built from with the same model; empty if there is no readable index."""
    try:
        manifest = read_manifest(index_dir)
        if manifest.get("model_id") != model_id:
            return Reusable()
        same = {d for d, sha in manifest.get("corpus", {}).items() if corpus.get(d) == sha}
        if not same:
            return Reusable()
        index = load_index(index_dir)
    except IndexUnavailable:
        return Reusable()
    chunk_vectors = index.chunk_index.reconstruct_n(0, index.chunk_index.ntotal)
    reuse = Reusable()
    for chunk, vector in zip(index.chunks, chunk_vectors, strict=True):
        if chunk.doc_id in same:
            reuse.chunks[(chunk.doc_id, chunk.text)] = vector
    for (cid, start, end), vector in zip(index.sentences, index.sentence_vectors, strict=True):
        c = index.chunks[cid]
        if c.doc_id in same:
            reuse.sentences[(c.doc_id, c.span_text(start, end))] = vector
    return reuse


def _clean_all(
    sources: list[SourceFile], skip_bad: bool
) -> tuple[list[SourceFile], list[Document], list[str]]:
    """The sources that clean into documents, the documents, and (with `skip_bad`) the
    reasons of those left out; without it the first failure raises `CorpusError`."""
    kept, documents, skipped = [], [], []
    for source in sources:
        try:
            documents.append(_clean(source))
            kept.append(source)
        except CorpusError as exc:
            if not skip_bad:
                raise
            skipped.append(str(exc))
    if not documents:
        raise CorpusError("no document in the corpus has text left after cleaning")
    return kept, documents, skipped


def _clean(source: SourceFile) -> Document:
    """The cleaned document; `CorpusError` naming the file if nothing readable is left."""
    try:
        return clean_document(source.text, source.doc_id)
    except ValueError as exc:
        raise CorpusError(f"{source.doc_id}: {exc}") from None


def _unique_sentences(chunks: list[Chunk]) -> list[tuple[int, int, int]]:
    """(chunk_id, start, end) for each sentence, attributed to the first chunk that holds it."""
    seen: set[tuple[str, int, int]] = set()
    out = []
    for c in chunks:
        for start, end in c.sentences:
            if (c.doc_id, start, end) not in seen:
                seen.add((c.doc_id, start, end))
                out.append((c.chunk_id, start, end))
    return out


def _sentence_text(chunks: list[Chunk], sentence: tuple[int, int, int]) -> str:
    chunk_id, start, end = sentence
    return chunks[chunk_id].span_text(start, end)
