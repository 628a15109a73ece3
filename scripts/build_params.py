"""Measure sentence-transformers build throughput by batch size, torch threads and precision.

usage: .venv/bin/python scripts/build_params.py [REPEAT]   (texts: the shipped corpus's chunks
and sentences, repeated REPEAT times, default 4). Prints a Markdown table of texts/s.
"""

from __future__ import annotations

import sys
import time

import torch

from qa.config import Settings
from qa.index.embedding import SentenceTransformerEmbedder, resolve_model
from qa.index.store import load_index

BATCHES = (16, 32, 64, 128)
THREADS = (1, 2)
PRECISIONS = ("float32", "bfloat16")


def corpus_texts(repeat: int) -> list[str]:
    """The shipped index's chunk and sentence texts, `repeat` times."""
    index = load_index(Settings.from_env().index_dir)
    texts = [c.text for c in index.chunks]
    for cid, start, end in index.sentences:
        c = index.chunks[cid]
        texts.append(c.span_text(start, end))
    return texts * repeat


def throughput(embedder: SentenceTransformerEmbedder, texts: list[str], batch: int) -> float:
    embedder.encode(texts[:batch], batch_size=batch)
    began = time.perf_counter()
    embedder.encode(texts, batch_size=batch)
    return len(texts) / (time.perf_counter() - began)


def main(argv: list[str]) -> int:
    texts = corpus_texts(int(argv[1]) if len(argv) > 1 else 4)
    embedder = SentenceTransformerEmbedder(resolve_model(None))
    print(f"{len(texts)} texts; texts/s (higher is better)\n")
    print("| precision | threads | " + " | ".join(f"batch {b}" for b in BATCHES) + " |")
    print("|---|---|" + "---|" * len(BATCHES))
    for precision in PRECISIONS:
        embedder._st.to(getattr(torch, precision))
        for threads in THREADS:
            torch.set_num_threads(threads)
            rates = [throughput(embedder, texts, b) for b in BATCHES]
            row = " | ".join(f"{r:.0f}" for r in rates)
            print(f"| {precision} | {threads} | {row} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
