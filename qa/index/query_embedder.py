"""The query-time embedder: the ONNX export when one is cached, else sentence-transformers."""

from __future__ import annotations

import os

from qa.index.embedding import ModelNotFoundError, ModelRef, SentenceTransformerEmbedder


def load_embedder(model: ModelRef, backend: str | None = None):
    """The query-time embedder for `model`: "torch" (sentence-transformers) or "onnx".

    "auto" takes the ONNX export when one is cached for this model, else torch; an ONNX
    model folder is always read by onnxruntime.
    """
    backend = backend or os.environ.get("QA_BACKEND") or "auto"
    if model.onnx:  # an ONNX model folder has no torch form
        return _onnx_folder(model)
    if backend in ("auto", "onnx"):
        try:
            from qa.index.onnx_embedder import OnnxEmbedder, cached_export
        except ImportError:
            if backend == "onnx":
                raise
        else:
            export = cached_export(model)
            if export is not None:
                return OnnxEmbedder(model, export)
            if backend == "onnx":
                raise ModelNotFoundError(
                    f"no ONNX export for {model.model_id}: run `qa export-onnx` first"
                )
    return SentenceTransformerEmbedder(model)


def _onnx_folder(model: ModelRef):
    """The embedder of an ONNX model folder (`ModelNotFoundError` in one line if its files
    are missing, disagree with its record or do not load)."""
    from qa.index.onnx_embedder import ExportError, OnnxEmbedder, folder_export

    try:
        return OnnxEmbedder(model, folder_export(model))
    except ExportError as exc:
        raise ModelNotFoundError(str(exc)) from None
    except Exception as exc:  # onnxruntime's own errors for a damaged graph
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise ModelNotFoundError(f"model {model.path} does not load: {first}") from None
