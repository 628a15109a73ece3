"""Measure dev-set retrieval for chunk sizes and overlaps (full hybrid pipeline, default model),
and the same index ranked without the section context blend (columns marked "plain").

usage: .venv/bin/python scripts/sweep_chunking.py [QUESTIONS] > docs/chunking-sweep.md
"""

from __future__ import annotations

import sys
import tempfile
from dataclasses import replace
from pathlib import Path

from qa.answer.engine import QAEngine
from qa.answer.ranking import Weights
from qa.config import ChunkParams, Settings
from qa.index.build import build_index
from qa.index.embedding import SentenceTransformerEmbedder, resolve_model
from qa.index.store import load_index
from qa.tools.evaluate import answer_all, read_questions, score

SIZES = (400, 500, 600, 700, 800, 1000, 1200)
OVERLAPS = (0, 1, 2)


def main(argv: list[str]) -> int:
    path = Path(argv[1] if len(argv) > 1 else "../shared/eval/dev.jsonl")
    questions = read_questions(path)
    embedder = SentenceTransformerEmbedder(resolve_model(None))
    print(
        "| max_chars | overlap | chunks | recall@1 | recall@3 | recall@5 | MRR@5 "
        "| answer acc | abstain F1 | plain r@1 | plain r@3 | plain MRR | plain answer acc |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for size in SIZES:
        for overlap in OVERLAPS:
            with tempfile.TemporaryDirectory() as tmp:
                settings = replace(
                    Settings.from_env(),
                    index_dir=Path(tmp) / "index",
                    chunk=ChunkParams(size, overlap),
                )
                build_index(settings, embedder)
                index = load_index(settings.index_dir)
                m = score(questions, answer_all(QAEngine(index, embedder), questions))  # torch
                plain = QAEngine(index, embedder, Weights(section=0.0))
                p = score(questions, answer_all(plain, questions))
                n = index.manifest["counts"]["chunks"]
                print(
                    f"| {size} | {overlap} | {n} | {m['recall@1']} | {m['recall@3']} | "
                    f"{m['recall@5']} | {m['mrr@5']} | {m['answer_accuracy']} | "
                    f"{m['abstain_f1']} | {p['recall@1']} | {p['recall@3']} | {p['mrr@5']} | "
                    f"{p['answer_accuracy']} |",
                    flush=True,
                )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
