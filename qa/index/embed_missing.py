"""Incremental builds: vectors of documents whose bytes did not change come from the previous
index; only the texts of new or changed documents are embedded (with a progress bar when
there are many)."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from qa.index.embedding import ModelRef
from qa.index.store import IndexUnavailable, load_index, read_manifest

BATCH_SIZE = 32  # fastest of 16/32/64/128 in scripts/build_params.py on this machine kind
PROGRESS_MIN = 300  # texts to embed before a progress bar is shown
Key = tuple[str, str]  # (document id, text)


@dataclass
class Reusable:
    """Vectors of the previous index's unchanged documents, by (document id, text)."""

    chunks: dict[Key, np.ndarray] = field(default_factory=dict)
    sentences: dict[Key, np.ndarray] = field(default_factory=dict)


class LazyEmbedder:
    """Loads sentence-transformers on the first `encode`, so a build that reuses every
    vector never loads the model."""

    def __init__(self, model: ModelRef) -> None:
        self.model = model
        self._embedder = None

    def encode(self, texts: list[str], batch_size: int = BATCH_SIZE) -> np.ndarray:
        if self._embedder is None:
            from qa.index.embedding import SentenceTransformerEmbedder

            self._embedder = SentenceTransformerEmbedder(self.model)
        return self._embedder.encode(texts, batch_size=batch_size)


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


def embed_missing(embedder, keys: list[Key], known: dict[Key, np.ndarray]) -> np.ndarray:
    """Vectors for `keys` in order: known ones copied, the others embedded."""
    missing = [i for i, key in enumerate(keys) if key not in known]
    fresh = _encode(embedder, [keys[i][1] for i in missing])
    if not keys:
        return np.zeros((0, 0), dtype=np.float32)
    dim = fresh.shape[1] if len(fresh) else len(next(iter(known.values())))
    out = np.empty((len(keys), dim), dtype=np.float32)
    for i, key in enumerate(keys):
        if key in known:
            out[i] = known[key]
    if missing:
        out[missing] = fresh
    return out


def _encode(embedder, texts: list[str]) -> np.ndarray:
    if not texts:
        return np.zeros((0, 0), dtype=np.float32)
    if len(texts) < PROGRESS_MIN:
        return embedder.encode(texts, batch_size=BATCH_SIZE)
    from tqdm import tqdm

    block = BATCH_SIZE * 8
    parts = []
    with tqdm(total=len(texts), desc="embedding", unit="text", file=sys.stderr) as bar:
        for at in range(0, len(texts), block):
            parts.append(embedder.encode(texts[at : at + block], batch_size=BATCH_SIZE))
            bar.update(len(parts[-1]))
    return np.concatenate(parts)
