"""The first step of a build: what the index will hold and what the previous one can lend.

The fingerprint the new manifest will carry is taken; documents whose bytes did not change
are taken from the previous index, cleaned and chunked, when it was built by the same pipeline
(code, parameters, model), and their vectors when it was built with the same model; the rest of
the corpus is read, converted, cleaned and chunked. Only new or changed texts need embedding,
and only new or changed files are converted (a PDF's conversion is the slow step of ingest).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from qa.config import Settings
from qa.index.embedding import ModelRef, resolve_model
from qa.index.fingerprint import combined, pipeline
from qa.index.store import IndexData, IndexUnavailable, load_index, read_manifest
from qa.ingest.chunking import chunk_document
from qa.ingest.clean import clean_document
from qa.ingest.corpus import CorpusError, SourceFile, file_hashes, read_documents
from qa.ingest.documents import Chunk, Document

Key = tuple[str, str]  # (document id, text)


@dataclass
class Reusable:
    """Vectors of the previous index's unchanged documents, by (document id, text), and the
    documents themselves with their chunks when the pipeline is unchanged too."""

    chunks: dict[Key, np.ndarray] = field(default_factory=dict)
    sentences: dict[Key, np.ndarray] = field(default_factory=dict)
    tokens: dict[Key, np.ndarray] = field(default_factory=dict)  # each sentence's token vectors
    documents: dict[str, tuple[Document, list[Chunk]]] = field(default_factory=dict)


@dataclass(frozen=True)
class BuildPlan:
    """Everything a build writes except the vectors, and the vectors it need not compute."""

    model: ModelRef
    fingerprint: str
    pipeline: str  # hash of code, parameters and model (`qa.index.fingerprint.pipeline`)
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
    steps = pipeline(settings, model)
    hashes = file_hashes(settings.corpus_dir)
    reuse = reusable(settings.index_dir, model.model_id, hashes, steps)
    corpus_read = read_documents(settings.corpus_dir, skip_bad, known=reuse.documents)
    sources, fresh, skipped = _clean_all(corpus_read.sources, skip_bad, settings)
    documents, chunks = _chunk_all(fresh, reuse.documents)
    sha = {s.doc_id: s.sha256 for s in sources} | {d: hashes[d] for d in reuse.documents}
    return BuildPlan(
        model=model,
        fingerprint=combined(hashes, steps),  # the corpus is hashed once
        pipeline=steps,
        corpus={d.doc_id: sha[d.doc_id] for d in documents},
        documents=documents,
        chunks=chunks,
        sentences=_unique_sentences(chunks),
        reuse=reuse,
        skipped=corpus_read.skipped + skipped,
    )


def reusable(index_dir: Path, model_id: str, corpus: dict[str, str], steps: str) -> Reusable:
    """What the index at `index_dir` offers for the documents whose sha256 in `corpus` is the
    one it was built from: their vectors if it was built with model `model_id`, and their
    cleaned text and chunks as well if it was built by the same pipeline `steps`."""
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
    reuse = _vectors(index, same)
    if manifest.get("pipeline") == steps:
        reuse.documents = _documents(index, same)
    return reuse


def _vectors(index: IndexData, same: set[str]) -> Reusable:
    """The chunk and sentence vectors (and sentence token vectors) of the documents in `same`."""
    chunk_vectors = index.chunk_index.reconstruct_n(0, index.chunk_index.ntotal)
    reuse = Reusable()
    for chunk, vector in zip(index.chunks, chunk_vectors, strict=True):
        if chunk.doc_id in same:
            reuse.chunks[(chunk.doc_id, chunk.text)] = vector
    for row, (cid, start, end) in enumerate(index.sentences):
        c = index.chunks[cid]
        if c.doc_id in same:
            key = (c.doc_id, c.span_text(start, end))
            reuse.sentences[key] = index.sentence_vectors[row]
            reuse.tokens[key] = index.sentence_tokens.of(row)
    return reuse


def _documents(index: IndexData, same: set[str]) -> dict[str, tuple[Document, list[Chunk]]]:
    """The documents in `same` as the index holds them, each with its chunks."""
    out = {d.doc_id: (d, []) for d in index.documents if d.doc_id in same}
    for chunk in index.chunks:
        if chunk.doc_id in out:
            out[chunk.doc_id][1].append(chunk)
    return out


def _chunk_all(
    fresh: list[tuple[Document, list[Chunk]]], known: dict[str, tuple[Document, list[Chunk]]]
) -> tuple[list[Document], list[Chunk]]:
    """Every document in corpus order with its chunks, numbered in that order: the fresh ones
    as chunked now, the known ones as they were."""
    every = known | {doc.doc_id: (doc, own) for doc, own in fresh}
    documents, chunks = [], []
    for doc_id in sorted(every):
        doc, own = every[doc_id]
        first = len(chunks)
        chunks.extend([replace(c, chunk_id=first + i) for i, c in enumerate(own)])
        documents.append(doc)
    if not documents:
        raise CorpusError("no document in the corpus has text left after cleaning")
    return documents, chunks


def _clean_all(
    sources: list[SourceFile], skip_bad: bool, settings: Settings
) -> tuple[list[SourceFile], list[tuple[Document, list[Chunk]]], list[str]]:
    """The sources that clean and chunk into documents, the documents with their chunks, and
    (with `skip_bad`) the reasons of those left out; without it the first failure raises
    `CorpusError`."""
    kept, documents, skipped = [], [], []
    for source in sources:
        try:
            documents.append(_clean(source, settings))
            kept.append(source)
        except CorpusError as exc:
            if not skip_bad:
                raise
            skipped.append(str(exc))
    return kept, documents, skipped


def _clean(source: SourceFile, settings: Settings) -> tuple[Document, list[Chunk]]:
    """The cleaned document and its chunks; `CorpusError` naming the file if nothing readable
    is left or it is over a limit of `qa.ingest.limits` (too many sentences)."""
    try:
        doc = clean_document(source.text, source.doc_id)
        return doc, chunk_document(doc, settings.chunk)
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
