"""Resolving follow-up questions against earlier turns, without a language model.

A question that is short or leans on an earlier turn ("What about China?", "And militarily?",
"Why does it matter?") borrows the previous question's meaning: its vector is blended into
the query vector and its words are added to the lexical query. A full question that names
its own subject is left alone, so a change of topic is not dragged back.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

_LEADS = re.compile(
    r"^(and|but|so|also|then|what about|how about|and what about|why( not)?|how so|"
    r"what else|which ones?|really)\b",
    re.IGNORECASE,
)
_REFERS_BACK = re.compile(
    r"\b(it|its|they|them|their|theirs|those|these|he|she|him|his|her|"
    r"the same|the latter|the former)\b"
    r"|(?:^|\b(?:does|did|is|was|will|would|can|could|why|how|what)\s+)(?:that|this)\b",
    re.IGNORECASE,
)
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")
SHORT_WORDS = 4
HISTORY_WEIGHT = 0.5


@dataclass(frozen=True)
class Contextualised:
    """How to query: the lexical query text, and the weight of the previous turn's vector."""

    lexical_text: str
    history_weight: float
    previous: str | None


def is_elliptical(question: str) -> bool:
    """True for a question that cannot stand alone: very short, or leading/referring back."""
    words = _WORD.findall(question)
    return len(words) <= SHORT_WORDS or bool(
        _LEADS.match(question.strip()) or _REFERS_BACK.search(question)
    )


def contextualise(question: str, history: Sequence[str]) -> Contextualised:
    """Blend in the most recent earlier question when `question` needs it."""
    previous = next((h for h in reversed(history) if h and h.strip()), None)
    if previous is None or not is_elliptical(question):
        return Contextualised(question, 0.0, None)
    return Contextualised(f"{question} {previous}", HISTORY_WEIGHT, previous)
