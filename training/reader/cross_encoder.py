"""A cross-encoder over (question, candidate sentence), as one more signal for the reader.

Initialised from the shipped all-MiniLM-L6-v2 weights with a new one-logit head, trained with
binary cross-entropy on the pipeline's own candidates: each answerable question's right
sentences against its best-scored wrong ones (hard negatives), and the best candidates of
unanswerable questions as negatives. A plain PyTorch loop (transformers' model classes; the
sentence-transformers trainer would add `datasets` and `accelerate` to the installs for the
same thing). Seeded; one epoch.
"""

from __future__ import annotations

import random
import time
from pathlib import Path

import numpy as np

from training.reader.collect import Record

MAX_LENGTH = 128
NEGATIVES = 5  # hard negatives per answerable question
UNANSWERABLE_NEGATIVES = 3


def training_pairs(records: list[Record], seed: int) -> list[tuple[str, str, float]]:
    """(question, sentence, label) pairs, shuffled with `seed`."""
    out = []
    for r in records:
        if not r.texts:
            continue
        order = np.argsort(-_rule(r), kind="stable")
        if r.answerable and r.answer_hit.any():
            out += [(r.question, r.texts[i], 1.0) for i in np.flatnonzero(r.answer_hit)[:2]]
            wrong = [i for i in order if not r.answer_hit[i]][:NEGATIVES]
            out += [(r.question, r.texts[i], 0.0) for i in wrong]
        elif not r.answerable:
            out += [(r.question, r.texts[i], 0.0) for i in order[:UNANSWERABLE_NEGATIVES]]
    random.Random(seed).shuffle(out)
    return out


def _rule(r: Record) -> np.ndarray:
    from qa.answer.reader_features import CANDIDATE_FEATURES

    return r.features[:, CANDIDATE_FEATURES.index("rule")]


def train(
    pairs: list[tuple[str, str, float]],
    out_dir: Path,
    seed: int,
    lr: float = 5e-5,
    batch: int = 32,
) -> Path:
    """Fine-tune a one-logit head on MiniLM over `pairs` and save it to `out_dir`."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from qa.index.embedding import resolve_model

    torch.manual_seed(seed)
    base = resolve_model(None).path
    tok = AutoTokenizer.from_pretrained(base)
    model = AutoModelForSequenceClassification.from_pretrained(base, num_labels=1)
    model.train()
    steps = (len(pairs) + batch - 1) // batch
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    warmup = max(steps // 10, 1)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warmup, max(0.0, (steps - s) / max(steps - warmup, 1)))
    )
    loss_fn = torch.nn.BCEWithLogitsLoss()
    began = time.perf_counter()
    for step in range(steps):
        part = pairs[step * batch : (step + 1) * batch]
        enc = _encode(tok, [q for q, _, _ in part], [s for _, s, _ in part])
        logits = model(**enc).logits[:, 0]
        loss = loss_fn(logits, torch.tensor([y for _, _, y in part]))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        opt.zero_grad()
        if step % 50 == 0:
            rate = (step + 1) * batch / (time.perf_counter() - began)
            print(f"  step {step}/{steps} loss {loss.item():.3f} ({rate:.0f} pairs/s)", flush=True)
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out_dir)
    tok.save_pretrained(out_dir)
    return out_dir


def score(model_dir: Path, records: list[Record], batch: int = 128) -> dict[str, np.ndarray]:
    """{group/qid: the cross-encoder's logit for each candidate} with a saved model (torch)."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForSequenceClassification.from_pretrained(model_dir).eval()
    flat = [(f"{r.group}/{r.qid}", r.question, t) for r in records for t in r.texts]
    logits = []
    with torch.inference_mode():
        for i in range(0, len(flat), batch):
            part = flat[i : i + batch]
            enc = _encode(tok, [q for _, q, _ in part], [t for _, _, t in part])
            logits.append(model(**enc).logits[:, 0].numpy())
    values = np.concatenate(logits) if logits else np.zeros(0)
    out: dict[str, np.ndarray] = {}
    at = 0
    for r in records:
        out[f"{r.group}/{r.qid}"] = values[at : at + len(r.texts)]
        at += len(r.texts)
    return out


def _encode(tok, questions: list[str], sentences: list[str]):
    """A padded batch of (question, sentence) pairs, cut to `MAX_LENGTH` tokens."""
    return tok(
        questions,
        sentences,
        truncation=True,
        max_length=MAX_LENGTH,
        padding=True,
        return_tensors="pt",
    )
