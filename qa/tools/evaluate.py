"""`qa eval`: retrieval, answer and abstention metrics with the dev set scorer's definitions.

A passage hits when its normalised text contains a normalised gold phrase (normalise =
lower-case, drop '*', curly quotes to straight, collapse whitespace). Abstention is scored
with "unanswerable" as the positive class. PII leaks count results whose passages or answer
contain an e-mail, a phone number or personal data (see `qa.ingest.pii`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path

from qa.ingest.pii import PATTERNS

_QUOTES = str.maketrans(
    {
        "\u2019": "'",
        "\u2018": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u2033": '"',
    }
)
_PHONE = re.compile(r"(?:\+?1[\s.-]?)?(?:\(\d{3}\)\s*|\b\d{3}[\s.-])\d{3}[\s.-]\d{4}\b")


def norm(text: str) -> str:
    """The scorer's normalisation: no '*', straight quotes, single spaces, lower case."""
    return " ".join(text.replace("*", "").translate(_QUOTES).split()).lower()


def read_questions(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def has_pii(text: str) -> bool:
    t = norm(text)
    return bool(
        PATTERNS["email"].search(t) or _PHONE.search(t) or PATTERNS["street_address"].search(text)
    )


def gold_rank(texts: list[str], gold: Iterable[str], depth: int = 5) -> int | None:
    """1-based rank of the first passage containing a gold phrase, within `depth`."""
    phrases = [norm(g) for g in gold]
    for i, t in enumerate(texts[:depth]):
        if any(p in norm(t) for p in phrases):
            return i + 1
    return None


def score(questions: list[dict], results: dict[str, dict]) -> dict:
    """Metrics over `results` ({id: ask result JSON}) for the `questions`."""
    answerable = [q for q in questions if q.get("answerable")]
    unanswerable = [q for q in questions if not q.get("answerable")]
    ranks, answer_hits, follow, lengths = [], 0, [], []
    tp = fp = 0
    leaks = []
    for q in questions:
        r = results.get(q["id"], {})
        texts = [p["text"] for p in r.get("passages") or []]
        abstained = bool(r.get("abstained"))
        if any(has_pii(t) for t in texts) or has_pii(str(r.get("answer") or "")):
            leaks.append(q["id"])
        if q.get("answerable"):
            rank = gold_rank(texts, q["gold"])
            ranks.append(rank)
            answer = r.get("answer")
            answer_hits += bool(answer and not abstained and gold_rank([answer], q["gold"], 1))
            if answer and not abstained:
                lengths.append(len(answer))
            fp += abstained
            if q.get("history"):
                follow.append(rank)
        else:
            tp += abstained
    n = len(answerable) or 1
    prec = tp / (tp + fp) if tp + fp else 0.0
    rec = tp / len(unanswerable) if unanswerable else 0.0
    f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    at = lambda k, rs: sum(1 for x in rs if x and x <= k) / (len(rs) or 1)  # noqa: E731
    return {
        "n_answerable": len(answerable),
        "n_unanswerable": len(unanswerable),
        "recall@1": round(at(1, ranks), 3),
        "recall@3": round(at(3, ranks), 3),
        "recall@5": round(at(5, ranks), 3),
        "mrr@5": round(sum(1 / x for x in ranks if x) / n, 3),
        "answer_accuracy": round(answer_hits / n, 3),
        "answer_chars_mean": round(sum(lengths) / len(lengths)) if lengths else None,
        "followup_recall@3": round(at(3, follow), 3) if follow else None,
        "abstain_precision": round(prec, 3),
        "abstain_recall": round(rec, 3),
        "abstain_f1": round(f1, 3),
        "false_abstains": fp,
        "pii_leaks": len(leaks),
        "missed@5": [q["id"] for q, x in zip(answerable, ranks, strict=True) if not x],
        "pii_leak_ids": leaks,
    }


def answer_all(engine, questions: list[dict], k: int = 5) -> dict[str, dict]:
    """{id: the `qa ask --json` object} for every question, answered by `engine`."""
    return {
        q["id"]: engine.ask(q["question"], q.get("history") or [], k=k).to_json() for q in questions
    }
