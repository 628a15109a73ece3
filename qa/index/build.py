"""`qa build`: corpus -> clean -> chunks -> embeddings -> a saved, fingerprinted index."""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from qa import __version__
from qa.config import Settings
from qa.index.embed_missing import LazyEmbedder, embed_missing, reusable_vectors
from qa.index.embedding import ModelRef, resolve_model
from qa.index.lexical import LexicalRetriever
from qa.index.store import IndexData, save_index
from qa.index.vector_index import build_vector_index
from qa.ingest.chunking import chunk_document
from qa.ingest.clean import clean_document
from qa.ingest.corpus import CorpusError, file_hashes, read_corpus
from qa.ingest.documents import Chunk, Document

# Source files whose behaviour shapes the index: editing one makes the built index stale.
_PIPELINE_SOURCES = (
    "ingest/clean.py",
    "ingest/pii.py",
    "ingest/sentences.py",
    "ingest/chunking.py",
    "index/lexical.py",
    "index/build.py",
    "index/store.py",
    "index/vector_index.py",
)


@dataclass(frozen=True)
class BuildReport:
    """What a build produced and how long it took."""

    documents: int
    chunks: int
    sentences: int
    seconds: float
    fingerprint: str


def fingerprint(settings: Settings, model: ModelRef) -> str:
    """Hash of everything the index depends on: corpus bytes, parameters, model, code."""
    code = hashlib.sha256()
    for name in _PIPELINE_SOURCES:
        code.update((Path(__file__).parent.parent / name).read_bytes())
    payload = {
        "corpus": file_hashes(settings.corpus_dir),
        "chunk": asdict(settings.chunk),
        "model": model.model_id,
        "version": __version__,
        "code": code.hexdigest(),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def build_index(settings: Settings, embedder=None) -> BuildReport:
    """Build the index for `settings.corpus_dir` into `settings.index_dir` (atomically)."""
    began = time.perf_counter()
    model = resolve_model(settings.model)
    sources = read_corpus(settings.corpus_dir)
    documents = [_clean(s) for s in sources]
    chunks: list[Chunk] = []
    for doc in documents:
        chunks.extend(chunk_document(doc, settings.chunk, first_id=len(chunks)))
    sentences = _unique_sentences(chunks)
    embedder = embedder or LazyEmbedder(model)
    hashes = {s.doc_id: s.sha256 for s in sources}
    reuse = reusable_vectors(settings.index_dir, model.model_id, hashes)
    chunk_vectors = embed_missing(embedder, [(c.doc_id, c.text) for c in chunks], reuse.chunks)
    sentence_keys = [(chunks[s[0]].doc_id, _sentence_text(chunks, s)) for s in sentences]
    sentence_vectors = embed_missing(embedder, sentence_keys, reuse.sentences)
    index, spec = build_vector_index(chunk_vectors)
    fp = fingerprint(settings, model)
    manifest = {
        "format": 1,
        "fingerprint": fp,
        "model_id": model.model_id,
        "version": __version__,
        "chunk_params": asdict(settings.chunk),
        "corpus": {s.doc_id: s.sha256 for s in sources},
        "dim": int(chunk_vectors.shape[1]),
        "vector_index": spec.to_json(),
        "counts": {"documents": len(documents), "chunks": len(chunks), "sentences": len(sentences)},
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    lexical = LexicalRetriever.build(chunks)
    data = IndexData(manifest, documents, chunks, index, sentences, sentence_vectors, lexical)
    save_index(data, settings.index_dir)
    seconds = time.perf_counter() - began
    return BuildReport(len(documents), len(chunks), len(sentences), seconds, fp)


def _clean(source) -> Document:
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
