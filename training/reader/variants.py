"""Two picker variants measured for docs/retrieval.md ("Learned reader") and not kept.

    .venv/bin/python -m training.reader.variants trees --top 3   # gradient-boosted trees
    .venv/bin/python -m training.reader.variants gate --seed-weight 20

- `trees`: scikit-learn's `HistGradientBoostingClassifier` (depth 3, 200 rounds, learning rate
  0.05) on the candidate features in place of the linear picker;
- `gate`: the rule's sentence or the learned picker's, chosen where they differ by a logistic
  gate (coverage, the learned pick's softmax share, the score gaps between the two picks),
  trained on the training folds' questions where exactly one of the two is right.

Both print the rule's and the variant's answer accuracy (abstention not counted: both pick
among the same candidates) pooled over leave-one-article-out and dev + tune 5-fold CV, and the
count of folds won and lost.
"""

from __future__ import annotations

import argparse

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression

from qa.answer.reader_features import CANDIDATE_FEATURES as F
from training.reader import train as T
from training.reader.collect import Record, collect_all

SEED_SETS = ("dev", "tune")


def _weight(r: Record, seed_weight: float) -> float:
    return seed_weight if r.group in SEED_SETS else 1.0


def trees(train: list[Record], seed_weight: float):
    use = [r for r in train if r.answerable and r.answer_hit.any() and not r.answer_hit.all()]
    x = np.vstack([r.features for r in use])
    y = np.concatenate([r.answer_hit for r in use])
    w = np.concatenate(
        [np.full(len(r.answer_hit), _weight(r, seed_weight) / len(r.answer_hit)) for r in use]
    )
    model = HistGradientBoostingClassifier(
        max_depth=3, max_iter=200, learning_rate=0.05, random_state=T.SEED
    )
    model.fit(x, y, sample_weight=w * len(w) / w.sum())
    return lambda r: int(np.argmax(model.predict_proba(r.features)[:, 1]))


def _gate_row(picker, r: Record) -> tuple[int, int, list[float]]:
    logits = picker.logits(r.features)
    learned, rule = int(np.argmax(logits)), T._rule_choice(r)
    e = np.exp(logits - logits.max())
    col = {name: r.features[:, F.index(name)] for name in ("coverage", "similarity", "late")}
    rule_scores = T._rule_scores(r)
    return (
        learned,
        rule,
        [
            col["coverage"].max(),
            col["coverage"][learned],
            col["coverage"][rule],
            e[learned] / e.sum(),
            rule_scores[rule] - r.features[learned, F.index("rule")],
            col["similarity"][rule] - col["similarity"][learned],
            col["late"][rule] - col["late"][learned],
            float(r.shape.yes_no),
            len(r.shape.terms),
        ],
    )


def gate(train: list[Record], seed_weight: float):
    picker = T.fit_picker(train, T.Options(top=3, learned_picker=True))
    xs, ys, ws = [], [], []
    for r in train:
        if r.answerable and len(r.features):
            learned, rule, x = _gate_row(picker, r)
            if learned != rule and r.answer_hit[learned] != r.answer_hit[rule]:
                xs.append(x)
                ys.append(r.answer_hit[learned])
                ws.append(_weight(r, seed_weight))
    x = np.asarray(xs)
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-9
    model = LogisticRegression(C=1.0).fit((x - mean) / scale, ys, sample_weight=ws)

    def choose(r: Record) -> int:
        learned, rule, row = _gate_row(picker, r)
        p = model.predict_proba(((np.asarray(row) - mean) / scale)[None])[0, 1]
        return learned if p > 0.5 else rule

    return choose


def _accuracy(choose, test: list[Record]) -> np.ndarray:
    """(answerable questions, right by the rule, right by the variant)."""
    out = np.zeros(3)
    for r in test:
        if r.answerable:
            out[0] += 1
            if len(r.features):
                out[1] += r.answer_hit[T._rule_choice(r)]
                out[2] += r.answer_hit[choose(r)]
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("variant", choices=("trees", "gate"))
    ap.add_argument("--top", type=int, default=3)
    ap.add_argument("--seed-weight", type=float, default=5.0)
    args = ap.parse_args(argv)
    fit = trees if args.variant == "trees" else gate
    records = collect_all(args.top)
    trainable = [r for r in records if r.group != "check"]
    folds = [
        ("squad", [r for r in trainable if r.group != a], [r for r in records if r.group == a])
        for a in T.squad_articles()
    ]
    for fold in T.seed_folds(records):
        held = set(fold)
        folds.append(
            (
                "seed",
                [r for r in trainable if r.qid not in held],
                [r for r in trainable if r.qid in held],
            )
        )
    totals = {"squad": np.zeros(3), "seed": np.zeros(3)}
    won = lost = 0
    for kind, train, test in folds:
        res = _accuracy(fit(train, args.seed_weight), test)
        totals[kind] += res
        won, lost = won + (res[2] > res[1]), lost + (res[2] < res[1])
    for kind, (n, rule, variant) in totals.items():
        print(f"{kind}: answer accuracy rule {rule / n:.3f} -> {args.variant} {variant / n:.3f}")
    print(f"folds won {won}, lost {lost} of {len(folds)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
