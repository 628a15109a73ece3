"""Measure a domain-adapted embedding model (issue 11, item 3): fine-tune the default model on
pairs mined from the built index itself, no evaluation question involved, then build an index
with it and score dev, tune and check beside the default model.

Pairs (MultipleNegativesRankingLoss, in-batch negatives):
- inverse cloze: a sentence as the query, the rest of its passage as the positive;
- titles (optional): a section title as the query, one of its sentences as the positive.

usage: .venv/bin/python scripts/adapt_embedding.py [--epochs 1] [--lr 2e-5] [--titles]
(about 5 minutes on 2 cores; prints a Markdown table)

With `--labelled`, the pairs are labelled instead: each answerable question of dev + tune with
the sentence that holds its gold phrase. The model is then fine-tuned on four folds, an index
built with it answers the fifth (5 folds, 3 splits), and a model fine-tuned on all of dev +
tune answers check; all through the torch backend, beside the default model (about 4 minutes):

    .venv/bin/python scripts/adapt_embedding.py --labelled [--epochs 2] [--lr 2e-5] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch
from cross_validate import EVAL, folds, objective
from cross_validate import OBJECTIVE as FIGURES
from sentence_transformers import SentenceTransformer
from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss

from qa.answer.engine import QAEngine
from qa.config import Settings
from qa.index.build import build_index
from qa.index.embedding import resolve_model
from qa.index.store import IndexData, load_index
from qa.tools.evaluate import answer_all, norm, read_questions, score

SETS = ("dev", "tune", "check")


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


def labelled_pairs(data: IndexData, questions: list[dict]) -> list[tuple[str, str]]:
    """(question, the first sentence holding one of its gold phrases) for each answerable
    question asked alone (a follow-up's words mean little without its history)."""
    sentences = list(dict.fromkeys(c.span_text(s, e) for c in data.chunks for s, e in c.sentences))
    pairs = []
    for q in questions:
        if not q["answerable"] or q.get("history"):
            continue
        gold = [norm(g) for g in q["gold"]]
        found = next((s for s in sentences if any(g in norm(s) for g in gold)), None)
        if found:
            pairs.append((q["question"], found))
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
                str(EVAL / f"{name}.jsonl"),
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


def answer_with(model: str, questions: list[dict]) -> dict[str, dict]:
    """{id: result JSON} of `questions`, from an index built with `model` (torch backend)."""
    settings = Settings.from_env(index_dir=Path(tempfile.mkdtemp()) / "index", model=model)
    build_index(settings)
    return answer_all(QAEngine.load(settings, backend="torch"), questions)


def labelled_cv(base: str, epochs: int, lr: float, repeats: int, k: int = 5) -> None:
    """Cross-validated and check figures of fine-tuning on labelled pairs, beside the default:
    `repeats` splits into `k` folds, the figures averaged, and the objective of
    `scripts/cross_validate.py` compared fold by fold."""
    sets = {s: read_questions(EVAL / f"{s}.jsonl") for s in SETS}
    pool, check = sets["dev"] + sets["tune"], sets["check"]
    data = load_index(Settings.from_env().index_dir)
    default = answer_with(base, pool + check)
    runs, deltas = [], []
    for seed in range(repeats):
        tuned: dict[str, dict] = {}
        parts = folds(len(pool), k, seed)
        for fold in parts:
            held = set(fold.tolist())
            train = [q for i, q in enumerate(pool) if i not in held]
            model = fine_tune(base, labelled_pairs(data, train), epochs, lr)
            tuned |= answer_with(str(model), [pool[i] for i in fold])
        runs.append(score(pool, tuned))
        for fold in parts:
            part = [pool[i] for i in fold]
            deltas.append(objective(score(part, tuned)) - objective(score(part, default)))
    model = fine_tune(base, labelled_pairs(data, pool), epochs, lr)
    checked = score(check, answer_with(str(model), check))
    up, down = sum(d > 1e-9 for d in deltas), sum(d < -1e-9 for d in deltas)
    print(f"labelled pairs, {epochs} epoch(s), lr {lr}: objective {np.mean(deltas):+.3f} a fold,")
    print(f"{up} folds up, {down} down of {len(deltas)} ({repeats} splits into {k} folds)\n")
    print("| model | " + " | ".join(f"{s} {f}" for s in ("CV", "check") for f in FIGURES) + " |")
    print("|---" * (1 + 2 * len(FIGURES)) + "|")
    averaged = {f: float(np.mean([r[f] for r in runs])) for f in FIGURES}
    for name, cv, ch in (
        ("default", score(pool, default), score(check, default)),
        ("fine-tuned", averaged, checked),
    ):
        print(f"| {name} | " + " | ".join(f"{m[f]:.3f}" for m in (cv, ch) for f in FIGURES) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--lr", type=float, default=2e-5)
    parser.add_argument("--titles", action="store_true", help="add title -> sentence pairs")
    parser.add_argument("--labelled", action="store_true", help="labelled pairs, 5-fold CV")
    parser.add_argument("--repeats", type=int, default=3, help="splits (with --labelled)")
    args = parser.parse_args()
    settings = Settings.from_env()
    base = resolve_model(settings.model).path
    if args.labelled:
        labelled_cv(base, args.epochs, args.lr, args.repeats)
        return
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
