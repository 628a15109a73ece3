"""Whether any labelled answer needs more than one sentence (issue 20, item 4).

    .venv/bin/python scripts/answer_units.py    (after `python -m training.reader.train`
                                                 has built the SQuAD indexes in .cache/reader)

For every answerable question of the SQuAD articles and of the seed sets, is a gold phrase
inside one indexed sentence, only inside two consecutive sentences of a chunk (what a list or
comparison spread over sentences would need), or in neither? Prints one line per article.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from cross_validate import EVAL

from qa.index.store import load_index
from qa.tools.evaluate import norm, read_questions

ROOT = Path(__file__).resolve().parent.parent
SQUAD = ROOT / "training" / "reader" / "data" / "squad" / "q"
CACHE = ROOT / ".cache" / "reader" / "index"


def groups() -> Iterator[tuple[str, Path, list[dict]]]:
    """(name, index folder, questions) for each SQuAD article, then the seed sets."""
    for path in sorted(SQUAD.glob("*.jsonl")):
        lines = path.read_text(encoding="utf-8").splitlines()
        yield path.stem, CACHE / path.stem, [json.loads(line) for line in lines if line]
    seed = [q for name in ("dev", "tune", "check") for q in read_questions(EVAL / f"{name}.jsonl")]
    yield "seed article (dev + tune + check)", ROOT / "index", seed


def units(index: Path) -> tuple[list[str], list[str]]:
    """Every indexed sentence, and every pair of consecutive sentences of a chunk, normalised."""
    singles, pairs = [], []
    for chunk in load_index(index).chunks:
        texts = [norm(chunk.span_text(s, e)) for s, e in chunk.sentences]
        singles += texts
        pairs += [f"{a} {b}" for a, b in zip(texts, texts[1:], strict=False)]
    return singles, pairs


def classify(questions: list[dict], singles: list[str], pairs: list[str]) -> list[int]:
    """[answerable, gold in one sentence, only across two, in neither]."""
    counts = [0, 0, 0, 0]
    for q in (q for q in questions if q.get("answerable")):
        gold = [norm(g) for g in q["gold"]]
        counts[0] += 1
        if any(g in s for s in singles for g in gold):
            counts[1] += 1
        elif any(g in p for p in pairs for g in gold):
            counts[2] += 1
        else:
            counts[3] += 1
    return counts


def main() -> None:
    total = [0, 0, 0, 0]
    for name, index, questions in groups():
        counts = classify(questions, *units(index))
        total = [a + b for a, b in zip(total, counts, strict=True)]
        print(_line(name, counts))
    print(_line("all", total))


def _line(name: str, c: list[int]) -> str:
    counts = f"in one sentence {c[1]:5d}  only across two {c[2]:3d}  in neither {c[3]:2d}"
    return f"{name:47s} answerable {c[0]:5d}  {counts}"


if __name__ == "__main__":
    main()
