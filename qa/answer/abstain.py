"""Deciding when the document does not answer the question.

Three signals, each generic (none names a question of any evaluation set):

1. Relevance: the best of the top passage's dense cosine and best-sentence cosine. Questions
   about something else entirely score below `min_relevance`; on-topic ones score well above.
   A follow-up borrows its topic from the conversation, so its floor is lower
   (`followup_min_relevance`): "And the other way round?" is on topic because the last
   question was.
2. Answer type: a question asking *when* needs a time expression in the top passages, one
   asking *how many / how much / how large* a quantity, one asking *which models* or *which
   resolution* a code or number-bearing name (S-400, Resolution 2231). On-topic questions
   the document does not answer score as high as answerable ones, but the passages they
   retrieve lack what is asked for. Which questions ask for a time is read from English
   question grammar: *when* followed by an auxiliary ("When did …"), or *what/which year,
   date, month, day* anywhere; "When the article mentions X, does it mean …" asks yes or no.
3. Named codes: a question naming a model, code or number-bearing name ("S-400", "Su-35",
   "2018") that the document never mentions asks about something it does not cover.
4. Personal data: a question asking for someone's contact details, address or age is never
   answered, whatever the corpus holds (the cleaner removes such data; this is the reply).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

from qa.answer.ranking import Ranked
from qa.ingest.documents import Chunk


@dataclass(frozen=True)
class Decision:
    """Whether to abstain, and what the document does not say (completes "does not say …")."""

    abstain: bool
    reason: str = ""
    hard: bool = False  # personal data or an opinion: refused whatever a reader says


@dataclass(frozen=True)
class AbstentionParams:
    """`min_relevance` was chosen by cross-validation on dev + tune (0.22-0.33 tried),
    `followup_min_relevance` is the floor for a follow-up; `passages` is
    how many top passages must hold the asked-for type; `absent_codes` abstains on a named
    code the document never mentions; `designations` reads "which models/resolution" questions
    as asking for a code (see docs/retrieval.md for the cross-validated figures)."""

    min_relevance: float = 0.25
    followup_min_relevance: float = 0.15
    passages: int = 1
    absent_codes: bool = True
    designations: bool = True


_MONTHS = "january|february|march|april|may|june|july|august|september|october|november|december"
_TIME = re.compile(
    rf"\b(?:1[5-9]\d\d|20\d\d|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:{_MONTHS})|(?:{_MONTHS})\s+\d{{1,4}}"
    r"|\d{4}s|\d{1,2}/\d{1,2}/\d{2,4}|century|centuries|decade|decades|yesterday|today"
    r"|last (?:week|month|year)|(?:days?|weeks?|months?|years?) ago"
    r"|monday|tuesday|wednesday|thursday|friday|saturday|sunday"
    # times of day and of the year, and clock times: "early in the morning", "in spring"
    r"|mornings?|afternoons?|evenings?|nights?|noon|midnight|dawn|dusk|sunrise|sunset"
    r"|spring|summer|autumn|winter|weekends?|\d{1,2}(?::\d\d)?\s?(?:am|pm|a\.m\.|p\.m\.)"
    r"|o'clock)\b",
    re.IGNORECASE,
)
_NUMBER_WORDS = (
    "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|"
    "forty|fifty|hundred|hundreds|thousand|thousands|million|millions|billion|billions|dozen|"
    "dozens|half|percent|per cent"
)
_QUANTITY = re.compile(rf"\d|\b(?:{_NUMBER_WORDS})\b|%", re.IGNORECASE)
_AUXILIARY = r"(?:did|does|do|is|was|were|are|will|would|has|have|had|can|could|should|might|must)"
_ASKS_TIME = re.compile(
    rf"^\s*when\s+{_AUXILIARY}\b|\b(?:what|which)\s+(?:year|date|month|day)s?\b"
    r"|\bhow long ago\b|^\s*since when\b",
    re.IGNORECASE,
)
_ASKS_QUANTITY = re.compile(
    r"\bhow (?:many|much|large|big)\b"
    r"|\bwhat (?:number|percentage|share|amount|volume|value|sum|figure) of\b"
    # "What is the yearly trade volume …", "… in US dollars": words that only measure
    r"|\bwhat (?:is|was|are|were) the (?:[a-z-]+ ){0,3}(?:volume|amount|budget|total)s?\b"
    r"|\bin (?:us |u\.s\. )?(?:dollars|euros|rubles|roubles|yuan|pounds)\b",
    re.IGNORECASE,
)
# Which or what (up to three words) followed by a thing known by its designation: product
# models ("which drone models", not "what model of cooperation"), numbered resolutions.
_ASKS_DESIGNATION = re.compile(
    r"\b(?:which|what)\s+(?:[\w-]+\s+){0,3}?"
    r"(models\b|model\b(?!\s+of\b)|resolutions?\b|designations?\b)",
    re.IGNORECASE,
)
_OPINION = re.compile(
    r"\b(?:what do you (?:think|feel|believe|reckon)|(?:in )?your (?:own )?(?:opinion|view|take)"
    r"|do you (?:agree|think|believe)|translat(?:e|ion)"
    r"|write (?:me )?(?:a|an) (?:poem|essay|story))\b",
    re.IGNORECASE,
)
# A model, code or number-bearing name: letters and digits in one token (S-400, Su-35, F-16,
# 5G, 2018).
_CODE = re.compile(r"\b(?:[A-Za-z]+-?\d[\w-]*|\d+[A-Za-z][\w-]*|\d{3,})\b")
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
    """What a question's answer must contain: "personal details", "opinion" (the tool's own
    view or a translation, which an extractive tool cannot give), "when", "which models" (or
    another designation), "how many"/"how much", or None when any sentence may answer it."""
    if _PERSONAL.search(question) or (
        _PERSON.search(question) and re.search(r"\b(?:address|contact|age)\b", question, re.I)
    ):
        return "personal details"
    if _OPINION.search(question):
        return "opinion"
    if _ASKS_TIME.search(question):
        return "when"
    designation = _ASKS_DESIGNATION.search(question)
    if designation:
        return f"which {designation.group(1).lower()}"
    match = _ASKS_QUANTITY.search(question)
    if match:
        counted = re.search(r"many|number|large|big|percentage|share", match.group(), re.I)
        return "how many" if counted else "how much"
    return None


def holds(kind: str, text: str) -> bool:
    """Whether `text` holds what a question of `kind` asks for."""
    if kind == "when":
        return bool(_TIME.search(text))
    if kind in ("how many", "how much"):
        return bool(_QUANTITY.search(text))
    if kind.startswith("which "):
        return bool(_CODE.search(text))
    return True


class AbstentionPolicy:
    """Decides from the ranked passages whether the document answers the question."""

    def __init__(self, chunks: list[Chunk], params: AbstentionParams | None = None) -> None:
        self.chunks = chunks
        self.params = params or AbstentionParams()

    def decide(
        self,
        question: str,
        ranked: list[Ranked],
        has_answer: bool,
        topic_given: bool = False,
        answer_chunk: int | None = None,
    ) -> Decision:
        """Abstain when nothing is relevant, personal data is asked for, the question names a
        code the document never mentions, or the top passages lack the kind of answer the
        question needs (in the top `passages` or the passage the answer is quoted from,
        `answer_chunk`). `topic_given`: the question takes its topic from the conversation (a
        follow-up) or asks about the document itself (a summary request)."""
        p = self.params
        kind = asks_for(question)
        if kind == "personal details":
            return Decision(
                True,
                "; personal details such as contacts, addresses or ages are never shown",
                hard=True,
            )
        if kind == "opinion":
            return Decision(
                True,
                " that: answers are quoted from it, so there are no opinions, translations or"
                " new text of this tool's own. Ask what it says, why, how or who",
                hard=True,
            )
        floor = p.followup_min_relevance if topic_given else p.min_relevance
        if not ranked or not has_answer or relevance(ranked[0]) < floor:
            return Decision(True, " anything about that")
        missing = self.absent_codes(question) if p.absent_codes else []
        if missing:
            return Decision(True, f" anything about {missing[0]}")
        if kind and (p.designations or not kind.startswith("which ")):
            read = {r.chunk_id for r in ranked[: p.passages]} | {answer_chunk} - {None}
            if not any(holds(kind, self.chunks[c].text) for c in read):
                return Decision(True, f" {kind}")
        return Decision(False)

    def absent_codes(self, question: str) -> list[str]:
        """The codes and number-bearing names of `question` that no passage mentions."""
        codes = _CODE.findall(question)
        return [m for m in codes if m.lower() not in self._vocabulary] if codes else []

    @cached_property
    def _vocabulary(self) -> frozenset[str]:
        """Every word of the document, lower-cased, hyphenated codes whole (read on first use:
        most questions name no code)."""
        return frozenset(w for c in self.chunks for w in _CODE_WORD.findall(c.text.lower()))


_CODE_WORD = re.compile(r"[\w-]+")


def relevance(top: Ranked) -> float:
    """How close the best passage comes to the question: its own or its best sentence's cosine."""
    return max(top.dense, top.sentence)
