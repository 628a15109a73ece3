"""Fine-tune the embedding model on how readers ask (issue 26): all-MiniLM-L6-v2 with
MultipleNegativesRankingLoss over (question, answering sentence, BM25 hard negative) triples
from SQuAD's and the reader-worded questions (`pairs.py`), seeded, one epoch; then the
fine-tuned weights averaged with the base model's (`SOUP`: WiSE-FT, Wortsman et al. 2022),
which kept the seed article's figures that the fine-tuned model alone lost.

    .venv/bin/python -m training.embedder.train --folds      # the 4 leave-2-articles-out models
    .venv/bin/python -m training.embedder.train              # the shipped one (8 articles)
    .venv/bin/python -m training.embedder.train --hold-out ipod,rhine --out DIR

Each run writes the fine-tuned model to DIR and the averaged one to DIR-soup.

The Zelda article (`HELD_OUT`) is never trained on: CI gates on it. The seed article's
questions are never trained on either, so dev, tune and check all measure the model unseen.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import time
from pathlib import Path

import numpy as np
import torch

from qa.config import ROOT
from qa.index.embedding import resolve_model
from training.embedder.pairs import Triple, articles, build_triples

HELD_OUT = "the-legend-of-zelda-twilight-princess"
# Folds of two articles each, balanced by question count; each fold model never saw its two.
FOLDS = (
    ("new-york-city", "sino-tibetan-relations-during-the-ming-dynasty"),
    ("beyonce", "ipod"),
    ("frederic-chopin", "computational-complexity-theory"),
    ("2008-sichuan-earthquake", "rhine"),
)
CACHE = ROOT / ".cache" / "embedder"
SEED = 0
EPOCHS = 1
LR = 2e-5
BATCH = 32
SOUP = 0.5  # the fine-tuned weights' share in the shipped average (the base model's: 1 - SOUP)


def train_articles(hold_out: tuple[str, ...] = ()) -> list[str]:
    return [a for a in articles() if a != HELD_OUT and a not in hold_out]


def fine_tune(triples: list[Triple], out: Path, base: str | None = None) -> dict:
    """Train a copy of the base model on `triples` and save it to `out`; the run's record."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss

    random.seed(SEED)
    np.random.seed(SEED)
    torch.manual_seed(SEED)
    model = SentenceTransformer(base or resolve_model().path, device="cpu")
    loss = MultipleNegativesRankingLoss(model)
    steps = EPOCHS * ((len(triples) + BATCH - 1) // BATCH)
    optimiser = torch.optim.AdamW(model.parameters(), lr=LR)
    warmup = max(1, steps // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min(1.0, (s + 1) / warmup) * max(0.0, (steps - s) / steps)
    )
    began = time.perf_counter()
    model.train()
    for epoch in range(EPOCHS):
        order = triples[:]
        random.Random(SEED + epoch).shuffle(order)
        for i in range(0, len(order), BATCH):
            batch = order[i : i + BATCH]
            columns = (
                [t.question for t in batch],
                [t.positive for t in batch],
                [t.negative for t in batch],
            )
            features = [model.preprocess(list(c)) for c in columns]
            optimiser.zero_grad()
            loss(features, None).backward()
            optimiser.step()
            schedule.step()
    model.eval()
    out.mkdir(parents=True, exist_ok=True)
    model.save(str(out))
    record = {
        "triples": len(triples),
        "by_style": {s: sum(t.style == s for t in triples) for s in ("squad", "readers")},
        "articles": sorted({t.article for t in triples}),
        "epochs": EPOCHS,
        "lr": LR,
        "batch": BATCH,
        "seed": SEED,
        "seconds": round(time.perf_counter() - began, 1),
    }
    (out / "training.json").write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    return record


def soup(tuned: Path, out: Path, share: float = SOUP, base: str | None = None) -> None:
    """`out`: the model at `tuned` with every weight averaged with the base model's."""
    from safetensors.torch import load_file, save_file

    weights = Path(base or resolve_model().path) / "model.safetensors"
    start, end = load_file(str(weights)), load_file(str(tuned / "model.safetensors"))
    mixed = {
        k: (share * v.float() + (1 - share) * start[k].float()).to(v.dtype) if k in start else v
        for k, v in end.items()
    }
    shutil.rmtree(out, ignore_errors=True)
    shutil.copytree(tuned, out)
    save_file(mixed, str(out / "model.safetensors"))
    record = json.loads((tuned / "training.json").read_text(encoding="utf-8"))
    record["soup"] = {"fine_tuned_share": share, "base": "all-MiniLM-L6-v2"}
    (out / "training.json").write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")


def run(hold_out: tuple[str, ...], out: Path) -> None:
    triples = build_triples(train_articles(hold_out), seed=SEED)
    print(
        f"{out.name}: {len(triples)} triples, holding out {', '.join(hold_out) or 'none'}",
        flush=True,
    )
    record = fine_tune(triples, out)
    soup(out, out.with_name(out.name + "-soup"))
    print(f"{out.name}: trained in {record['seconds']} s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", action="store_true", help="train the 4 fold models")
    parser.add_argument("--hold-out", default="", help="comma-separated article slugs")
    parser.add_argument("--out", type=Path, default=CACHE / "final")
    parser.add_argument("--soup-only", action="store_true", help="only average --out's model")
    args = parser.parse_args()
    torch.set_num_threads(max(1, torch.get_num_threads()))
    if args.soup_only:  # average an already fine-tuned model with the base
        soup(args.out, args.out.with_name(args.out.name + "-soup"))
        return
    if args.folds:
        for i, fold in enumerate(FOLDS):
            out = CACHE / f"fold-{i}"
            if not (out / "training.json").is_file():
                run(fold, out)
            elif not (CACHE / f"fold-{i}-soup").is_dir():
                soup(out, CACHE / f"fold-{i}-soup")
        return
    run(tuple(a for a in args.hold_out.split(",") if a), args.out)


if __name__ == "__main__":
    main()
