"""The second step of a build: vectors for every chunk and sentence (and each sentence's
content-token vectors), copied when the plan has them from the previous index, embedded
otherwise (with a progress bar when there are many)."""

from __future__ import annotations

import sys

import numpy as np

from qa.index.build_plan import Key
from qa.index.embedding import ModelRef
from qa.index.query_embedder import load_embedder
from qa.index.token_vectors import TokenTable, TokenVectors

BATCH_SIZE = 32  # fastest of 16/32/64/128 in scripts/build_params.py on this machine kind
PROGRESS_MIN = 300  # texts to embed before a progress bar is shown


class LazyEmbedder:
    """Loads the model on the first `encode` (sentence-transformers, or onnxruntime for an
    ONNX model folder), so a build that reuses every vector never loads it."""

    def __init__(self, model: ModelRef) -> None:
        self.model = model
        self._embedder = None

    def encode(self, texts: list[str], batch_size: int = BATCH_SIZE) -> np.ndarray:
        return self._loaded().encode(texts, batch_size=batch_size)

    def encode_with_tokens(
        self, texts: list[str], batch_size: int = BATCH_SIZE
    ) -> tuple[np.ndarray, list[TokenVectors]]:
        return self._loaded().encode_with_tokens(texts, batch_size=batch_size)

    def _loaded(self):
        if self._embedder is None:  # builds embed in batches with torch unless ONNX-only
            self._embedder = load_embedder(self.model, "torch")
        return self._embedder


def embed_missing(embedder, keys: list[Key], known: dict[Key, np.ndarray]) -> np.ndarray:
    """Vectors for `keys` in order: known ones copied, the others embedded."""
    missing = [i for i, key in enumerate(keys) if key not in known]
    fresh = _encode(embedder.encode, [keys[i][1] for i in missing])
    return _merged(keys, known, missing, fresh)


def embed_sentences(
    embedder, keys: list[Key], known: dict[Key, np.ndarray], known_tokens: dict[Key, np.ndarray]
) -> tuple[np.ndarray, TokenTable]:
    """Vectors and content-token vectors for sentence `keys` in order: known ones copied, the
    others embedded (both from one pass of the model)."""
    missing = [i for i, key in enumerate(keys) if key not in known or key not in known_tokens]
    texts = [keys[i][1] for i in missing]
    fresh, fresh_tokens = _encode(embedder.encode_with_tokens, texts) if texts else (None, [])
    vectors = _merged(keys, known, missing, fresh)
    tokens = [known_tokens.get(key) for key in keys]
    for i, found in zip(missing, fresh_tokens, strict=True):
        tokens[i] = found.vectors
    dim = next((m.shape[1] for m in tokens if m is not None), 0)
    return vectors, TokenTable.stack(tokens, dim)


def _merged(
    keys: list[Key], known: dict[Key, np.ndarray], missing: list[int], fresh: np.ndarray | None
) -> np.ndarray:
    if not keys:
        return np.zeros((0, 0), dtype=np.float32)
    dim = fresh.shape[1] if missing else len(next(iter(known.values())))
    out = np.empty((len(keys), dim), dtype=np.float32)
    for i, key in enumerate(keys):
        if key in known:
            out[i] = known[key]
    if missing:
        out[missing] = fresh
    return out


def _encode(encode, texts: list[str]):
    """`encode(texts)` in blocks under a progress bar when there are many texts; its results
    (an array, or an array and a list) joined."""
    if not texts:
        return np.zeros((0, 0), dtype=np.float32)
    if len(texts) < PROGRESS_MIN:
        return encode(texts, batch_size=BATCH_SIZE)
    from tqdm import tqdm

    block = BATCH_SIZE * 8
    parts = []
    with tqdm(total=len(texts), desc="embedding", unit="text", file=sys.stderr) as bar:
        for at in range(0, len(texts), block):
            parts.append(encode(texts[at : at + block], batch_size=BATCH_SIZE))
            bar.update(len(texts[at : at + block]))
    if isinstance(parts[0], tuple):
        return np.concatenate([p[0] for p in parts]), [m for p in parts for m in p[1]]
    return np.concatenate(parts)
