"""The second step of a build: vectors for every chunk and sentence, copied when the plan has
them from the previous index, embedded otherwise (with a progress bar when there are many)."""

from __future__ import annotations

import sys

import numpy as np

from qa.index.build_plan import Key
from qa.index.embedding import ModelRef, SentenceTransformerEmbedder

BATCH_SIZE = 32  # fastest of 16/32/64/128 in scripts/build_params.py on this machine kind
PROGRESS_MIN = 300  # texts to embed before a progress bar is shown


class LazyEmbedder:
    """Loads sentence-transformers on the first `encode`, so a build that reuses every
    vector never loads the model."""

    def __init__(self, model: ModelRef) -> None:
        self.model = model
        self._embedder = None

    def encode(self, texts: list[str], batch_size: int = BATCH_SIZE) -> np.ndarray:
        if self._embedder is None:
            self._embedder = SentenceTransformerEmbedder(self.model)
        return self._embedder.encode(texts, batch_size=batch_size)


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
