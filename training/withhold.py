"""Calibrate the floor under an answer (`qa/answer/models/withhold.json`, issue 26 item 4) on
articles the models never saw, and report how often it fires and what it withholds.

    .venv/bin/python -m training.heldout --model folds --no-floor   # answers without a floor
    .venv/bin/python -m training.heldout --model qa/index/models/minilm-readers --no-floor \
        --articles the-legend-of-zelda-twilight-princess             # the shipped model's
    .venv/bin/python -m training.withhold [--write floor.json]   # QA_WITHHOLD=floor.json uses it

The grid (the reader's confidence x the answer passage's fused score) is searched on the
fold articles in both question styles (`.cache/heldout/fold-*-soup-int8-*/answers/`, each
answered by a model that never saw it): `choose` says which point wins. It is then
estimated on what no choice looked at:
the Zelda article (held out of every model) and the seed article's dev, tune and check.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qa.answer.withhold import DEFAULT_PATH, Floor
from qa.tools.evaluate import gold_rank
from training.embedder.train import HELD_OUT
from training.heldout import CACHE

MAX_ACCURACY_LOSS = 0.0025  # of each style's answer accuracy
MAX_RIGHT_SHARE = 0.1  # of the withheld answers, right ones
MAX_ADDED_FALSE_REFUSALS = 0.005  # of each style's answerable questions (the target is 3 %)
CONFIDENCES = np.round(np.arange(0.05, 0.61, 0.025), 3)


@dataclass(frozen=True)
class Row:
    group: str
    style: str
    kind: str
    answerable: bool
    abstained: bool
    right: bool
    confidence: float
    score: float


def read_rows(paths: list[Path]) -> list[Row]:
    rows = []
    for path in paths:
        group, style = path.name.split(".")[:2]
        for line in path.read_text(encoding="utf-8").splitlines():
            item = json.loads(line)
            q, r = item["q"], item["result"]
            answer = r.get("answer") or ""
            right = bool(
                q.get("answerable")
                and not r["abstained"]
                and answer
                and gold_rank([answer], q["gold"], 1)
            )
            score = r["passages"][0]["score"] if r.get("passages") else 0.0
            conf = r.get("confidence")
            rows.append(
                Row(
                    group,
                    style,
                    q.get("kind", ""),
                    bool(q.get("answerable")),
                    bool(r["abstained"]),
                    right,
                    1.0 if conf is None else conf,
                    score,
                )
            )
    return rows


def figures(rows: list[Row], floor: Floor | None) -> dict:
    """Answer accuracy, abstention F1, false refusals and what the floor withheld."""
    held = [
        floor is not None and not r.abstained and floor.withholds(r.confidence, r.score)
        for r in rows
    ]
    refused = [r.abstained or h for r, h in zip(rows, held, strict=True)]
    answerable = [r.answerable for r in rows]
    n_ans = sum(answerable) or 1
    tp = sum(f and not a for f, a in zip(refused, answerable, strict=True))
    fp = sum(f and a for f, a in zip(refused, answerable, strict=True))
    n_un = len(rows) - sum(answerable)
    prec = tp / (tp + fp) if tp + fp else 0.0
    rec = tp / n_un if n_un else 0.0
    right = sum(r.right and not h for r, h in zip(rows, held, strict=True))
    return {
        "n": len(rows),
        "answer_accuracy": right / n_ans,
        "abstain_f1": 2 * prec * rec / (prec + rec) if prec + rec else 0.0,
        "caught": f"{tp}/{n_un}",
        "false_refusals": fp / n_ans,
        "withheld": sum(held),
        "withheld_right": sum(r.right and h for r, h in zip(rows, held, strict=True)),
        "withheld_unanswerable": sum(
            not r.answerable and h for r, h in zip(rows, held, strict=True)
        ),
    }


def choose(rows: list[Row]) -> Floor:
    """The grid point that withholds the most wrong answers (to unanswerable questions or
    the wrong sentence) while at most `MAX_RIGHT_SHARE` of what it withholds was right, each
    style loses at most `MAX_ACCURACY_LOSS` of answer accuracy and gains at most
    `MAX_ADDED_FALSE_REFUSALS` (a withheld wrong answer to an answerable question counts as
    a refusal)."""
    styles = sorted({r.style for r in rows})
    parts = {s: [r for r in rows if r.style == s] for s in styles}
    base = {s: figures(parts[s], None) for s in styles}
    scores = np.array([r.score for r in rows if not r.abstained])
    best, best_wrong = Floor(0.0, 0.0), 0
    for c in CONFIDENCES:
        for s in np.round(np.quantile(scores, np.linspace(0.05, 1.0, 40)), 4):
            floor = Floor(float(c), float(s) + 1e-4)
            got = {st: figures(parts[st], floor) for st in styles}
            held = sum(g["withheld"] for g in got.values())
            right = sum(g["withheld_right"] for g in got.values())
            loss = max(base[st]["answer_accuracy"] - got[st]["answer_accuracy"] for st in styles)
            added = max(got[st]["false_refusals"] - base[st]["false_refusals"] for st in styles)
            ok = loss <= MAX_ACCURACY_LOSS and right <= MAX_RIGHT_SHARE * held
            ok = ok and added <= MAX_ADDED_FALSE_REFUSALS
            if ok and held - right > best_wrong:
                best, best_wrong = floor, held - right
    return best


def table(groups: dict[str, list[Row]], floor: Floor) -> str:
    head = (
        "| set | n | answer acc (no floor → floor) | abstain F1 | false refusals | caught | "
        "withheld (right / unanswerable) |"
    )
    lines = [head, "|---" * 7 + "|"]
    for name, rows in groups.items():
        a, b = figures(rows, None), figures(rows, floor)
        lines.append(
            f"| {name} | {a['n']} | {a['answer_accuracy']:.3f} → {b['answer_accuracy']:.3f} | "
            f"{a['abstain_f1']:.3f} → {b['abstain_f1']:.3f} | {a['false_refusals']:.3f} → "
            f"{b['false_refusals']:.3f} | {a['caught']} → {b['caught']} | {b['withheld']} "
            f"({b['withheld_right']} / {b['withheld_unanswerable']}) |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--write", type=Path, help=f"write the floor here (the page reads {DEFAULT_PATH})"
    )
    parser.add_argument(
        "--folds", default="fold-*-soup-int8-*", help="the fold models' answer folders (glob)"
    )
    parser.add_argument(
        "--estimate-with",
        default="soup-final-int8",
        help="the model folder whose held-out answers (Zelda, seed) estimate the floor",
    )
    args = parser.parse_args()
    folds = read_rows(sorted(CACHE.glob(f"{args.folds}/answers/*.jsonl")))
    shipped = args.estimate_with
    zelda = read_rows(sorted(CACHE.glob(f"{shipped}-*/answers/{HELD_OUT}.*.jsonl")))
    seed = read_rows(sorted(CACHE.glob(f"seed-{shipped}-*/answers/*.jsonl")))
    floor = choose(folds)
    groups = {
        "fold articles, SQuAD's questions": [r for r in folds if r.style == "squad"],
        "fold articles, readers' words": [r for r in folds if r.style == "readers"],
        "Zelda, SQuAD's questions": [r for r in zelda if r.style == "squad"],
        "Zelda, readers' words": [r for r in zelda if r.style == "readers"],
        **{f"seed {s}": [r for r in seed if r.style == s] for s in ("dev", "tune", "check")},
    }
    print(
        f"floor: confidence < {floor.confidence_below} and passage score < "
        f"{floor.score_below:.4f}\n"
    )
    print(table(groups, floor))
    if args.write:
        about = {
            "chosen_on": "SQuAD articles held out of their fold's embedder, both styles",
            "rule": f"most wrong answers withheld; right <= {MAX_RIGHT_SHARE} of them, "
            f"answer accuracy loss <= {MAX_ACCURACY_LOSS} and added false refusals <= "
            f"{MAX_ADDED_FALSE_REFUSALS} a style",
            "figures": {k: figures(v, floor) for k, v in groups.items()},
        }
        floor = Floor(floor.confidence_below, floor.score_below, about)
        args.write.write_text(json.dumps(floor.to_json(), indent=1) + "\n", encoding="utf-8")
        print(f"\nwrote {args.write}")


if __name__ == "__main__":
    main()
