"""Deciding when the document does not answer the question.

Three signals, each generic (none names a question of any evaluation set):

1. Relevance: the best of the top passage's dense cosine and best-sentence cosine. Questions
   about something else entirely score below `min_relevance`; on-topic ones score well above.
2. Answer type: a question asking *when* needs a time expression in the top passages, one
   asking *how many / how much* a quantity. On-topic questions the document does not answer
   score as high as answerable ones, but the passages they retrieve lack what is asked for.
3. Personal data: a question asking for someone's contact details, address or age is never
   answered, whatever the corpus holds (the cleaner removes such data; this is the reply).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from qa.answer.ranking import Ranked
from qa.ingest.documents import Chunk


@dataclass(frozen=True)
class Decision:
    """Whether to abstain, and what the document does not say (completes "does not say …")."""

    abstain: bool
    reason: str = ""


@dataclass(frozen=True)
class AbstentionParams:
    """`min_relevance` sits midway between the dev set's off-topic (max 0.24) and answerable
    (min 0.36) questions; `passages` is how many top passages must hold the asked-for type."""

    min_relevance: float = 0.30
    passages: int = 3


_MONTHS = "january|february|march|april|may|june|july|august|september|october|november|december"
_TIME = re.compile(
    rf"\b(?:1[5-9]\d\d|20\d\d|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:{_MONTHS})|(?:{_MONTHS})\s+\d{{1,4}}"
    r"|\d{4}s|\d{1,2}/\d{1,2}/\d{2,4}|century|centuries|decade|decades|yesterday|today"
    r"|last (?:week|month|year)|(?:days?|weeks?|months?|years?) ago"
    r"|monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b",
    re.IGNORECASE,
)
_NUMBER_WORDS = (
    "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|"
    "forty|fifty|hundred|hundreds|thousand|thousands|million|millions|billion|billions|dozen|"
    "dozens|half|percent|per cent"
)
_QUANTITY = re.compile(rf"\d|\b(?:{_NUMBER_WORDS})\b|%", re.IGNORECASE)
_ASKS_TIME = re.compile(
    r"^\s*(?:when\b|(?:in |since |until )?what (?:year|date|month|day|time)\b"
    r"|how long ago\b|since when\b)",
    re.IGNORECASE,
)
_ASKS_QUANTITY = re.compile(
    r"^\s*(?:how (?:many|much)\b|what (?:number|percentage|share|amount) of\b)", re.IGNORECASE
)
_PERSONAL = re.compile(
    r"\b(?:e-?mail|phone|telephone|mobile number|home address|street address|postal address"
    r"|date of birth|birth ?date|birthday|how old|social media|instagram|twitter|linkedin"
    r"|username|user name|handle)\b",
    re.IGNORECASE,
)
_PERSON = re.compile(
    r"\b(?:author|writer|journalist|reporter|editor|he|she|him|her|his|hers|person|they|their"
    r"|contact)\b|'s address\b|\baddress of\b",
    re.IGNORECASE,
)


def asks_for(question: str) -> str | None:
    """What a question's answer must contain: "personal details", "when", "how many"/"how much"
    or None when any sentence may answer it."""
    if _PERSONAL.search(question) or (
        _PERSON.search(question) and re.search(r"\b(?:address|contact|age)\b", question, re.I)
    ):
        return "personal details"
    if _ASKS_TIME.search(question):
        return "when"
    match = _ASKS_QUANTITY.search(question)
    if match:
        return "how much" if "much" in match.group().lower() else "how many"
    return None


def holds(kind: str, text: str) -> bool:
    """Whether `text` holds what a question of `kind` asks for."""
    if kind == "when":
        return bool(_TIME.search(text))
    if kind in ("how many", "how much"):
        return bool(_QUANTITY.search(text))
    return True


class AbstentionPolicy:
    """Decides from the ranked passages whether the document answers the question."""

    def __init__(self, chunks: list[Chunk], params: AbstentionParams | None = None) -> None:
        self.chunks = chunks
        self.params = params or AbstentionParams()

    def decide(self, question: str, ranked: list[Ranked], has_answer: bool) -> Decision:
        """Abstain when nothing is relevant, personal data is asked for, or the top passages
        lack the kind of answer the question needs."""
        kind = asks_for(question)
        if kind == "personal details":
            return Decision(
                True, "; personal details such as contacts, addresses or ages are never shown"
            )
        if not ranked or not has_answer or relevance(ranked[0]) < self.params.min_relevance:
            return Decision(True, " anything about that")
        if kind:
            top = ranked[: self.params.passages]
            if not any(holds(kind, self.chunks[r.chunk_id].text) for r in top):
                return Decision(True, f" {kind}")
        return Decision(False)


def relevance(top: Ranked) -> float:
    """How close the best passage comes to the question: its own or its best sentence's cosine."""
    return max(top.dense, top.sentence)
