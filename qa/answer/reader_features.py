"""The numbers the learned reader reads: one row per candidate sentence, one row per question.

Candidate features are the picker's signals, the same signals relative to the question's best
candidate (so that the model compares sentences of one question, not questions), the
neighbours' signals, the sentence's place and shape, and whether it holds what the question
asks for (a time for "when", a quantity for "how many", a name the question does not already
give for "who" and "where", a cause for "why"). Question features describe the candidates as
a whole: the reader's best score and its margin, how the best passage compares with the
document's other passages, and how much of the question the document knows at all. No feature
names a word of any evaluation question; the question words below are English grammar.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from qa.answer.abstain import asks_for, holds, relevance
from qa.answer.candidates import Candidate, points_back
from qa.answer.ranking import Ranked
from qa.index.lexical import tokens

_WH = re.compile(r"\b(who|whom|whose|where|when|why|how|which|what)\b", re.IGNORECASE)
_CAUSE = re.compile(
    r"\b(?:because|due to|owing to|as a result|so that|in order to|since|thanks to|led to"
    r"|caused?|reasons?|therefore|thus|hence)\b",
    re.IGNORECASE,
)
_NUMBER = re.compile(r"\d[\d,.]*")
_NAME = re.compile(r"(?<!^)(?<![.!?]\s)\b[A-Z][a-zA-Z'-]+")
_AUX_START = re.compile(
    r"^\s*(?:is|are|was|were|do|does|did|will|would|can|could|has|have|had|should)\b", re.I
)

CANDIDATE_FEATURES = (
    "similarity",
    "late",
    "coverage",
    "passage",
    "rule",
    "similarity_gap",
    "late_gap",
    "coverage_gap",
    "rule_gap",
    "passage_gap",
    "rule_rank",
    "first_passage",
    "passage_rank",
    "passages",
    "neighbour_similarity",
    "neighbour_late",
    "first_sentence",
    "log_chars",
    "new_words",
    "points_back",
    "when_has_time",
    "quantity_has_number",
    "who_has_new_name",
    "where_has_new_name",
    "why_has_cause",
    "has_new_number",
    "has_new_name",
    "passage_coverage",
    "passage_missing_rare",
    "passage_holds_kind",
)
QUESTION_FEATURES = (
    "best_logit",
    "logit_margin",
    "best_share",
    "relevance",
    "relevance_z",
    "best_similarity",
    "best_late",
    "best_coverage",
    "max_coverage",
    "unknown_terms",
    "kind_missing",
    "passage_coverage",
    "passage_missing_rare",
    "candidates",
    "question_terms",
    "yes_no",
)


@dataclass(frozen=True)
class QuestionShape:
    """What the question asks for, read once per question."""

    wh: str  # the first question word, "" for a yes/no or other question
    kind: str | None  # `qa.answer.abstain.asks_for`
    words: frozenset[str]  # its lower-cased words
    terms: tuple[str, ...]  # its stemmed content terms
    yes_no: bool
    text: str = ""  # the question as read

    @classmethod
    def read(cls, question: str) -> QuestionShape:
        match = _WH.search(question)
        return cls(
            wh=match.group(1).lower() if match else "",
            kind=asks_for(question),
            words=frozenset(w.lower() for w in re.findall(r"[\w'-]+", question)),
            terms=tuple(tokens(question)),
            yes_no=bool(_AUX_START.match(question)),
            text=question,
        )


def candidate_matrix(
    shape: QuestionShape,
    candidates: list[Candidate],
    rule: np.ndarray,
    text_of: Callable[[Candidate], str],
    passage_of: Callable[[int], str],
    idf: Callable[[str], float],
) -> np.ndarray:
    """One row of `CANDIDATE_FEATURES` per candidate (`rule`: their hand-set scores,
    `PickerParams.score`; `passage_of`: a chunk id's text)."""
    if not candidates:
        return np.zeros((0, len(CANDIDATE_FEATURES)))
    rule = np.asarray(rule, dtype=np.float64)
    sim = np.array([c.similarity for c in candidates])
    late = np.array([c.late for c in candidates])
    cov = np.array([c.coverage for c in candidates])
    passage = np.array([c.passage for c in candidates])
    order = np.empty(len(rule))
    order[np.argsort(-rule, kind="stable")] = np.arange(len(rule))
    rows = []
    question_terms = set(shape.terms)
    weights = {t: idf(t) for t in question_terms}
    passages: dict[int, list[float]] = {}
    for i, c in enumerate(candidates):
        if c.chunk_id not in passages:
            passages[c.chunk_id] = _passage_features(shape, weights, passage_of(c.chunk_id))
        text = text_of(c)
        rows.append(
            [
                sim[i],
                late[i],
                cov[i],
                passage[i],
                rule[i],
                sim[i] - sim.max(),
                late[i] - late.max(),
                cov[i] - cov.max(),
                rule[i] - rule.max(),
                passage[i] - passage.max(),
                1.0 / (1.0 + order[i]),
                float(c.passage_rank == 0),
                float(c.passage_rank),
                float(c.passages),
                max(c.prev_similarity, c.next_similarity),
                max(c.prev_late, c.next_late),
                float(c.index == 0),
                math.log1p(len(text)),
                *_content_features(shape, question_terms, text),
                *passages[c.chunk_id],
            ]
        )
    return np.asarray(rows, dtype=np.float64)


def _content_features(shape: QuestionShape, question_terms: set[str], text: str) -> list[float]:
    """new_words .. has_new_name: what the sentence says beyond the question."""
    terms = _terms(text)
    new_share = sum(t not in question_terms for t in terms) / len(terms) if terms else 0.0
    new_number = any(n.strip(",.") not in shape.words for n in _NUMBER.findall(text))
    new_name = any(n.lower() not in shape.words for n in _NAME.findall(text))
    kind = shape.kind or ""
    return [
        new_share,
        float(points_back(text)),
        float(kind == "when" and holds("when", text)),
        float(kind.startswith("how m") and holds(kind, text)),
        float(shape.wh in ("who", "whom", "whose") and new_name),
        float(shape.wh == "where" and new_name),
        float(shape.wh == "why" and bool(_CAUSE.search(text))),
        float(new_number),
        float(new_name),
    ]


def _passage_features(shape: QuestionShape, weights: dict[str, float], text: str) -> list[float]:
    """passage_coverage .. passage_holds_kind: does the passage hold the question's terms (the
    IDF-weighted share, and the IDF of the rarest one it lacks relative to the rarest term) and
    what the question asks for."""
    present = frozenset(_terms(text))
    total = sum(weights.values())
    top = max(weights.values(), default=0.0)
    missing = [w for t, w in weights.items() if t not in present]
    return [
        sum(w for t, w in weights.items() if t in present) / total if total else 0.0,
        max(missing) / top if missing and top else 0.0,
        float(shape.kind is None or holds(shape.kind, text)),
    ]


def question_vector(
    shape: QuestionShape,
    candidates: list[Candidate],
    features: np.ndarray,
    logits: np.ndarray,
    ranked: list[Ranked],
    unknown: float,
) -> np.ndarray:
    """`QUESTION_FEATURES` for a question whose candidates (`features`: their rows) the reader
    scored `logits`; `unknown`: `unknown_share` of the question."""
    if not candidates:
        return np.zeros(len(QUESTION_FEATURES))
    order = np.argsort(-logits, kind="stable")
    best = candidates[int(order[0])]
    row = dict(zip(CANDIDATE_FEATURES, features[int(order[0])], strict=False))  # training may
    # append columns of its own (training/reader/train.py --cross-encoder)
    second = float(logits[order[1]]) if len(order) > 1 else float(logits[order[0]]) - 5.0
    shifted = np.exp(logits - logits.max())
    dense = np.array([relevance(r) for r in ranked])
    top = float(dense[0]) if len(dense) else 0.0
    spread = float(dense.std()) if len(dense) > 1 else 0.0
    terms = shape.terms
    return np.array(
        [
            float(logits[order[0]]),
            min(float(logits[order[0]]) - second, 10.0),
            float(shifted[order[0]] / shifted.sum()),
            top,
            (top - float(dense.mean())) / spread if spread > 0 else 0.0,
            best.similarity,
            best.late,
            best.coverage,
            max(c.coverage for c in candidates),
            unknown,
            1.0 - row["passage_holds_kind"],
            row["passage_coverage"],
            row["passage_missing_rare"],
            math.log(len(candidates)),
            math.log1p(len(terms)),
            float(shape.yes_no),
        ],
        dtype=np.float64,
    )


@lru_cache(maxsize=65536)
def _terms(text: str) -> tuple[str, ...]:
    """The stemmed content terms of a sentence or passage (texts repeat across questions)."""
    return tuple(tokens(text))


def unknown_share(shape: QuestionShape, known: Callable[[str], bool]) -> float:
    """The share of the question's content terms that the document never uses."""
    terms = shape.terms
    return sum(not known(t) for t in terms) / len(terms) if terms else 0.0
