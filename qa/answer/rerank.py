"""Optional cross-encoder reranking of the top passages (sentence-transformers `CrossEncoder`).

Off by default: no cross-encoder ships offline here. `--reranker NAME_OR_PATH` (or
`$QA_RERANKER`) loads one from a local directory or the local model cache.
"""

from __future__ import annotations

import os
from dataclasses import replace

import numpy as np

from qa.answer.ranking import Ranked
from qa.ingest.documents import Chunk


class CrossEncoderReranker:
    """Reorders the first `top_n` ranked chunks by a cross-encoder's (question, text) score."""

    def __init__(self, name_or_path: str, top_n: int = 10) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from sentence_transformers import CrossEncoder

        from qa.index.embedding import ModelNotFoundError

        try:
            self.model = CrossEncoder(name_or_path, device="cpu")
        except OSError as exc:
            raise ModelNotFoundError(
                f"reranker {name_or_path!r} is not available offline: pass a local directory "
                f"({exc.__class__.__name__})"
            ) from None
        self.top_n = top_n

    def run(self, question: str, ranked: list[Ranked], chunks: list[Chunk]) -> list[Ranked]:
        """`ranked` with its head reordered; each reranked score is the sigmoid of the logit."""
        head, tail = ranked[: self.top_n], ranked[self.top_n :]
        if not head:
            return ranked
        pairs = [(question, chunks[r.chunk_id].text) for r in head]
        logits = np.asarray(self.model.predict(pairs, show_progress_bar=False), dtype=np.float64)
        probs = 1.0 / (1.0 + np.exp(-logits.reshape(len(head), -1)[:, 0]))
        rescored = [replace(r, score=float(p)) for r, p in zip(head, probs, strict=True)]
        rescored.sort(key=lambda r: r.score, reverse=True)
        return rescored + tail
