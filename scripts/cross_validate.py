"""Choose on dev + tune with k-fold cross-validation, estimate on check.

    .venv/bin/python scripts/cross_validate.py [--folds 5] [--repeats 5] [--markdown]

Every variant below is the shipped pipeline with one choice changed (an ablation) or a grid of
settings. For each variant the whole pipeline answers every question of dev, tune and check
once; scoring is then cheap, so:

- **pooled**: the variant's figures on dev + tune (144 questions);
- **folds**: the variant's objective minus the shipped one's on each of k folds of dev + tune
  (a change that helps one fold and hurts another is noise);
- **nested CV** (grids): for each fold, the grid point with the best objective on the other
  folds answers that fold: an honest estimate of the choosing procedure itself;
- **check**: the figures on check.jsonl, of the setting chosen on all of dev + tune.

The objective is the mean of recall@1, recall@3, MRR@5, answer accuracy and abstention F1.
"""

from __future__ import annotations

import argparse
import itertools
import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from qa.answer.abstain import AbstentionParams
from qa.answer.answer_sentence import PickerParams
from qa.answer.engine import QAEngine
from qa.answer.ranking import Weights
from qa.tools.evaluate import read_questions, score

ROOT = Path(__file__).resolve().parents[1]
_SHARED = ROOT.parent / "shared" / "eval"  # the shared sets win over the repo's copies
EVAL = Path(os.environ.get("QA_EVAL_DIR") or (_SHARED if _SHARED.is_dir() else ROOT / "eval"))
FIGURES = ("recall@1", "recall@3", "mrr@5", "answer_accuracy", "abstain_f1", "followup_recall@3")
OBJECTIVE = FIGURES[:5]


@dataclass(frozen=True)
class Setting:
    """One configuration of the tunable parts of the pipeline."""

    weights: Weights = field(default_factory=Weights)
    picker: PickerParams = field(default_factory=PickerParams)
    abstention: AbstentionParams = field(default_factory=AbstentionParams)
    answer_first: bool = True
    summaries: bool = True
    switch_subjects: bool = True


SHIPPED = Setting()


def variants() -> dict[str, list[Setting]]:
    """Ablations of each choice (one setting) and grids (several) to cross-validate."""
    s, a = SHIPPED, SHIPPED.abstention
    return {
        "shipped": [s],
        "answer passage not moved first": [replace(s, answer_first=False)],
        "summary requests not read from opening and closing": [replace(s, summaries=False)],
        "follow-ups on a new subject only blended": [replace(s, switch_subjects=False)],
        "follow-ups keep the full relevance floor": [
            replace(s, abstention=replace(a, followup_min_relevance=a.min_relevance))
        ],
        "no abstention on absent codes": [replace(s, abstention=replace(a, absent_codes=False))],
        "no abstention on unnamed designations": [
            replace(s, abstention=replace(a, designations=False))
        ],
        "no late interaction in the answer picker": [
            replace(s, picker=replace(s.picker, late=0.0))
        ],
        "grid: late interaction weight": [
            replace(s, picker=replace(s.picker, late=w)) for w in (0.5, 1.0, 1.5, 2.0, 2.5, 3.0)
        ],
        "no section context": [replace(s, weights=replace(s.weights, section=0.0))],
        "grid: relevance floor": [
            replace(s, abstention=replace(a, min_relevance=m))
            for m in (0.22, 0.25, 0.28, 0.30, 0.33)
        ],
        "grid: passages holding the asked-for type": [
            replace(s, abstention=replace(a, passages=n)) for n in (1, 2, 3)
        ],
        "grid: answer picker": [
            replace(s, picker=PickerParams(t, p, o))
            for t, p, o in itertools.product((1, 2, 3), (0.25, 0.5, 1.0), (0.3, 0.6, 0.9))
        ],
        "grid: fusion weights": [
            replace(s, weights=Weights(1.0, se, lx, sc))
            for se, lx, sc in itertools.product((0.0, 0.25, 0.5), (0.15, 0.3, 0.45), (0.0, 0.5))
        ],
    }


def answer_all(engine: QAEngine, setting: Setting, questions: list[dict]) -> dict[str, dict]:
    """{id: result JSON} of every question, answered with `setting`."""
    engine.ranker.weights = setting.weights
    engine.picker.params = setting.picker
    engine.abstention.params = setting.abstention
    engine.answer_first = setting.answer_first
    engine.summaries = setting.summaries
    engine.switch_subjects = setting.switch_subjects
    return {q["id"]: engine.ask(q["question"], q.get("history") or []).to_json() for q in questions}


def objective(metrics: dict) -> float:
    return float(np.mean([metrics[k] for k in OBJECTIVE]))


def folds(n: int, k: int, seed: int) -> list[np.ndarray]:
    return np.array_split(np.random.default_rng(seed).permutation(n), k)


def nested_cv(pool: list[dict], results: list[dict], k: int, repeats: int) -> dict:
    """Figures of the choosing procedure: each fold answered by the setting best elsewhere."""
    runs = []
    for seed in range(repeats):
        chosen: dict[str, dict] = {}
        for fold in folds(len(pool), k, seed):
            held = set(fold.tolist())
            train = [q for i, q in enumerate(pool) if i not in held]
            best = max(results, key=lambda r: objective(score(train, r)))
            chosen.update({pool[i]["id"]: best[pool[i]["id"]] for i in fold})
        runs.append(score(pool, chosen))
    return {f: float(np.mean([r[f] or 0.0 for r in runs])) for f in FIGURES}


def fold_deltas(pool: list[dict], result: dict, shipped: dict, k: int, repeats: int) -> list:
    """Objective of `result` minus the shipped one's, on every fold of every repeat."""
    out = []
    for seed in range(repeats):
        for fold in folds(len(pool), k, seed):
            part = [pool[i] for i in fold]
            out.append(objective(score(part, result)) - objective(score(part, shipped)))
    return out


def report(name: str, row: dict, check: dict, deltas: list | None, emit: Callable) -> None:
    cells = " | ".join(f"{row[f]:.3f}" if row[f] is not None else "–" for f in FIGURES)
    checks = " | ".join(f"{check[f]:.3f}" if check[f] is not None else "–" for f in FIGURES)
    if deltas is None:
        verdict = "–"
    else:
        up, down = sum(d > 1e-9 for d in deltas), sum(d < -1e-9 for d in deltas)
        verdict = f"{np.mean(deltas):+.3f} ({up} up, {down} down of {len(deltas)})"
    emit(f"| {name} | {cells} | {checks} | {verdict} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--only", help="run only the variants whose name contains this")
    args = parser.parse_args()
    sets = {s: read_questions(EVAL / f"{s}.jsonl") for s in ("dev", "tune", "check")}
    pool, check = sets["dev"] + sets["tune"], sets["check"]
    engine = QAEngine.load()
    head = " | ".join(FIGURES)
    print(f"| variant | CV: {head} | check: {head} | objective vs shipped, per fold |")
    print("|---" * (2 + 2 * len(FIGURES)) + "|")
    shipped = answer_all(engine, SHIPPED, pool + check)
    for name, settings in variants().items():
        if args.only and args.only not in name:
            continue
        results = [answer_all(engine, s, pool + check) for s in settings]
        if len(results) == 1:
            row = {f: score(pool, results[0])[f] for f in FIGURES}
            deltas = (
                None
                if name == "shipped"
                else fold_deltas(pool, results[0], shipped, args.folds, args.repeats)
            )
            best = results[0]
        else:
            row = nested_cv(pool, results, args.folds, args.repeats)
            best = max(results, key=lambda r: objective(score(pool, r)))
            deltas = fold_deltas(pool, best, shipped, args.folds, args.repeats)
            name = f"{name} (chosen: {_describe(settings[results.index(best)])})"
        report(name, row, score(check, best), deltas, print)
    answer_all(engine, SHIPPED, [])


def _describe(setting: Setting) -> str:
    changed = []
    for part in ("weights", "picker", "abstention"):
        mine, base = getattr(setting, part), getattr(SHIPPED, part)
        changed += [f"{k}={v}" for k, v in vars(mine).items() if vars(base)[k] != v]
    return ", ".join(changed) or "as shipped"


if __name__ == "__main__":
    main()
