"""The reader's cross-encoder at query time: (question, sentence) -> a logit, with onnxruntime
and tokenizers only (no torch). The model is trained and exported by
`training/reader/cross_encoder.py`; it ships as `qa/answer/models/cross_encoder/`
(`model.onnx`, int8, and `tokenizer.json`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

FOLDER = Path(__file__).resolve().parent / "models" / "cross_encoder"
MAX_LENGTH = 128
_FIELDS = {"input_ids": "ids", "attention_mask": "attention_mask", "token_type_ids": "type_ids"}


class CrossEncoderError(ValueError):
    """A cross-encoder folder that cannot be used."""


class OnnxCrossEncoder:
    """Scores (question, sentence) pairs."""

    def __init__(self, folder: Path = FOLDER, threads: int | None = None) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        model, vocab = folder / "model.onnx", folder / "tokenizer.json"
        if not model.is_file() or not vocab.is_file():
            raise CrossEncoderError(f"no cross-encoder in {folder} (model.onnx, tokenizer.json)")
        self._tok = Tokenizer.from_file(str(vocab))
        self._tok.enable_truncation(MAX_LENGTH, strategy="longest_first")
        self._tok.enable_padding(pad_id=self._tok.token_to_id("[PAD]") or 0)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or int(os.environ.get("QA_ONNX_THREADS", 2))
        options.inter_op_num_threads = 1
        try:
            self._session = ort.InferenceSession(
                str(model), options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # onnxruntime raises its own untyped errors for bad files
            raise CrossEncoderError(f"cross-encoder {model} cannot be loaded: {exc}") from None
        self._inputs = [i.name for i in self._session.get_inputs()]

    def scores(self, question: str, sentences: Sequence[str]) -> np.ndarray:
        """One logit per sentence (higher: likelier to answer the question)."""
        if not sentences:
            return np.zeros(0)
        encodings = self._tok.encode_batch([(question, s) for s in sentences])
        feed = {
            name: np.array([getattr(e, _FIELDS[name]) for e in encodings], dtype=np.int64)
            for name in self._inputs
        }
        return self._session.run(None, feed)[0][:, 0].astype(np.float64)
