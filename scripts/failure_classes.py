"""Where answers go wrong: each answerable question of the sets, classed by the first stage
that loses its gold phrase.

    .venv/bin/python scripts/failure_classes.py [dev tune check]

Classes, in pipeline order: refused; no gold in the top 5 passages; gold only in passages 3-5
(the picker reads the top 2); gold in a sentence of the top 2 but another sentence chosen;
gold split across sentences of the top 2 (no single sentence holds it); right. A change to
retrieval moves the first two, a change to the answer picker the third.
"""

from __future__ import annotations

import argparse
from collections import Counter

from cross_validate import EVAL

from qa.answer.engine import QAEngine
from qa.tools.evaluate import norm, read_questions

CLASSES = (
    "right",
    "refused",
    "not in top 5",
    "only in passages 3-5",
    "other sentence chosen",
    "split across sentences",
)


def classify(engine: QAEngine, question: dict) -> str:
    """The class of one answerable question (the ranking its answer was read from comes back
    through `QAEngine.ask`'s trace)."""
    trace: dict = {}
    result = engine.ask(question["question"], question.get("history") or [], trace=trace)
    gold = [norm(g) for g in question["gold"]]

    def holds(text: str) -> bool:
        return any(g in norm(text) for g in gold)

    if result.abstained:
        return "refused"
    if holds(result.answer):
        return "right"
    chunks = [engine.chunks[r.chunk_id] for r in trace["ranked"][:5]]
    if not any(holds(c.text) for c in chunks):
        return "not in top 5"
    if not any(holds(c.text) for c in chunks[:2]):
        return "only in passages 3-5"
    sentences = [c.span_text(s, e) for c in chunks[:2] for s, e in c.sentences]
    return "other sentence chosen" if any(map(holds, sentences)) else "split across sentences"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("sets", nargs="*", default=["dev", "tune", "check"])
    args = parser.parse_args()
    engine = QAEngine.load()
    print("| set | answerable | " + " | ".join(CLASSES) + " |")
    print("|---" * (2 + len(CLASSES)) + "|")
    for name in args.sets:
        questions = [q for q in read_questions(EVAL / f"{name}.jsonl") if q["answerable"]]
        counts = Counter(classify(engine, q) for q in questions)
        cells = " | ".join(str(counts[c]) for c in CLASSES)
        print(f"| {name} | {len(questions)} | {cells} |")


if __name__ == "__main__":
    main()
