"""Measure a domain-adapted embedding model (issue 11, item 3): fine-tune the default model on
pairs mined from the built index itself, no evaluation question involved, then build an index
with it and score dev, tune and check beside the default model.

Pairs (MultipleNegativesRankingLoss, in-batch negatives):
- inverse cloze: a sentence as the query, the rest of its passage as the positive;
- titles (optional): a section title as the query, one of its sentences as the positive.

usage: .venv/bin/python scripts/adapt_embedding.py [--epochs 1] [--lr 2e-5] [--titles]
(about 5 minutes on 2 cores; prints a Markdown table)
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
from pathlib import Path

import torch
from sentence_transformers import SentenceTransformer
from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss

from qa.config import ROOT, Settings
from qa.index.embedding import resolve_model
from qa.index.store import IndexData, load_index

SETS = ("dev", "tune", "check")
FIGURES = ("recall@1", "recall@3", "mrr@5", "answer_accuracy", "abstain_f1")


def mine_pairs(data: IndexData, titles: bool) -> list[tuple[str, str]]:
    """(query, positive) pairs from the index's passages and sections."""
    pairs = []
    for chunk in data.chunks:
        for start, end in chunk.sentences:
            sentence = chunk.span_text(start, end)
            rest = f"{chunk.span_text(chunk.start, start)} {chunk.span_text(end, chunk.end)}"
            if len(rest.strip()) > 50:
                pairs.append((sentence, rest.strip()))
            if titles:
                pairs.append((chunk.section, sentence))
    return pairs


def fine_tune(model_path: str, pairs: list[tuple[str, str]], epochs: int, lr: float) -> Path:
    """A copy of the model trained on `pairs`, saved to a temporary folder."""
    torch.manual_seed(0)
    rng = random.Random(0)
    model = SentenceTransformer(model_path, device="cpu")
    loss = MultipleNegativesRankingLoss(model)
    optimiser = torch.optim.AdamW(model.parameters(), lr=lr)
    model.train()
    for _ in range(epochs):
        rng.shuffle(pairs)
        for i in range(0, len(pairs), 16):
            batch = pairs[i : i + 16]
            queries, positives = zip(*batch, strict=True)
            features = [model.preprocess(list(queries)), model.preprocess(list(positives))]
            optimiser.zero_grad()
            loss(features, None).backward()
            optimiser.step()
    out = Path(tempfile.mkdtemp(prefix="qa-adapted-"))
    model.eval()
    model.save(str(out))
    return out


def evaluate(model: str, index: Path) -> dict[str, dict]:
    """qa build then qa eval on every set, with the torch backend (no ONNX export)."""
    qa = str(Path(sys.executable).with_name("qa"))
    subprocess.run(
        [qa, "build", "--model", model, "--index", str(index)], check=True, capture_output=True
    )
    out = {}
    for name in SETS:
        proc = subprocess.run(
            [
                qa,
                "eval",
                str(ROOT / "eval" / f"{name}.jsonl"),
                "--model",
                model,
                "--index",
                str(index),
                "--backend",
                "torch",
                "--json",
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        out[name] = json.loads(proc.stdout)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--lr", type=float, default=2e-5)
    parser.add_argument("--titles", action="store_true", help="add title -> sentence pairs")
    args = parser.parse_args()
    settings = Settings.from_env()
    base = resolve_model(settings.model).path
    pairs = mine_pairs(load_index(settings.index_dir), args.titles)
    adapted = fine_tune(base, pairs, args.epochs, args.lr)
    print(f"{len(pairs)} pairs, {args.epochs} epoch(s), lr {args.lr}, titles {args.titles}\n")
    print("| model | " + " | ".join(f"{s} {f}" for s in SETS for f in FIGURES) + " |")
    print("|---" * (1 + len(SETS) * len(FIGURES)) + "|")
    for name, model in (("default", base), ("adapted", str(adapted))):
        with tempfile.TemporaryDirectory() as tmp:
            figures = evaluate(model, Path(tmp) / "index")
        cells = " | ".join(f"{figures[s][f]:.3f}" for s in SETS for f in FIGURES)
        print(f"| {name} | {cells} |")


if __name__ == "__main__":
    main()
