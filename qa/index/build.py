"""`qa build`: plan (corpus -> clean -> chunks, fingerprint, reusable vectors) -> embed what is
missing -> write a saved, fingerprinted index, in that order."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field

import numpy as np

from qa import __version__
from qa.config import Settings
from qa.index.build_plan import BuildPlan, plan_build
from qa.index.embed_missing import LazyEmbedder, embed_missing, embed_sentences
from qa.index.lexical import LexicalRetriever
from qa.index.store import IndexData
from qa.index.stores import check_store_writable, save_store
from qa.index.token_vectors import TokenTable
from qa.index.vector_index import build_vector_index


@dataclass(frozen=True)
class BuildReport:
    """What a build produced and how long it took."""

    documents: int
    chunks: int
    sentences: int
    seconds: float
    fingerprint: str
    skipped: list[str] = field(default_factory=list)  # bad files left out, each with its reason


def build_index(settings: Settings, embedder=None, skip_bad: bool = False) -> BuildReport:
    """Build the index for `settings.corpus_dir` into `settings.index_dir` (atomically); a bad
    document stops the build (`CorpusError`), or with `skip_bad` is left out and reported; an
    index folder that cannot be written, or a disk too full, stops it (`StorageError`)."""
    began = time.perf_counter()
    check_store_writable(settings)
    plan = plan_build(settings, skip_bad)
    embedder = embedder or LazyEmbedder(plan.model)
    chunk_vectors = embed_missing(embedder, plan.chunk_keys(), plan.reuse.chunks)
    sentence_vectors, sentence_tokens = embed_sentences(
        embedder, plan.sentence_keys(), plan.reuse.sentences, plan.reuse.tokens
    )
    _write(plan, settings, chunk_vectors, sentence_vectors, sentence_tokens)
    seconds = time.perf_counter() - began
    counts = len(plan.documents), len(plan.chunks), len(plan.sentences)
    return BuildReport(*counts, seconds, plan.fingerprint, plan.skipped)


def _write(
    plan: BuildPlan,
    settings: Settings,
    chunk_vectors: np.ndarray,
    sentence_vectors: np.ndarray,
    sentence_tokens: TokenTable,
) -> None:
    """The vector index, BM25 and the manifest, saved atomically to the chosen store."""
    index, spec = build_vector_index(chunk_vectors)
    manifest = {
        "format": 1,
        "fingerprint": plan.fingerprint,
        "pipeline": plan.pipeline,
        "model_id": plan.model.model_id,
        "version": __version__,
        "chunk_params": asdict(settings.chunk),
        "corpus": plan.corpus,
        "dim": int(chunk_vectors.shape[1]),
        "vector_index": spec.to_json(),
        "counts": {
            "documents": len(plan.documents),
            "chunks": len(plan.chunks),
            "sentences": len(plan.sentences),
        },
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    lexical = LexicalRetriever.build(plan.chunks)
    data = IndexData(
        manifest,
        plan.documents,
        plan.chunks,
        index,
        plan.sentences,
        sentence_vectors,
        sentence_tokens,
        lexical,
    )
    save_store(data, settings, chunk_vectors)
