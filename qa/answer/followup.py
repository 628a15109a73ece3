"""Resolving follow-up questions against earlier turns, without a language model.

A question that is short or leans on an earlier turn ("What about China?", "And militarily?",
"Why does it matter?") borrows the previous question's meaning: its vector is blended into
the query vector and its words are added to the lexical query. A full question that names
its own subject is left alone, so a change of topic is not dragged back.

A follow-up that names a new subject and says nothing else ("And China?" after "Is Russia
ready to defend Iran?") asks the earlier question about that subject: the earlier question's
first named subject is replaced by the new one ("Is China ready to defend Iran?"), and that
question is asked instead; its answer is read from the passages that mention the new subject,
so the words the two questions share ("fighter jets") do not pull the answer back to the
earlier subject. Names are the words the document itself writes with a capital inside a
sentence.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass

from qa.index.lexical import tokens

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
_NAME = re.compile(r"[A-Za-z][A-Za-z-]*")
_INNER_CAPITAL = re.compile(r"(?<=[a-z,;:] )([A-Z][a-z]+)\b")
SHORT_WORDS = 4
HISTORY_WEIGHT = 0.5


@dataclass(frozen=True)
class Contextualised:
    """How to query: the lexical query text, the weight of the previous turn's vector, and
    the earlier question asked about a new subject (`rewritten`, naming `subject`), which
    replaces both."""

    lexical_text: str
    history_weight: float
    previous: str | None
    rewritten: str | None = None
    subject: str | None = None


def is_elliptical(question: str) -> bool:
    """True for a question that cannot stand alone: very short, or leading/referring back."""
    words = _WORD.findall(question)
    return len(words) <= SHORT_WORDS or bool(
        _LEADS.match(question.strip()) or _REFERS_BACK.search(question)
    )


def contextualise(
    question: str, history: Sequence[str], names: Collection[str] = frozenset()
) -> Contextualised:
    """Blend in the most recent earlier question when `question` needs it; `names` (lower
    case) are the document's proper names, for a follow-up that switches subject."""
    previous = next((h for h in reversed(history) if h and h.strip()), None)
    if previous is None or not is_elliptical(question):
        return Contextualised(question, 0.0, None)
    subject = new_subject(question, previous, names)
    if subject:
        rewritten = _replace_first_name(previous, names, subject)
        return Contextualised(rewritten, 0.0, previous, rewritten, subject)
    return Contextualised(f"{question} {previous}", HISTORY_WEIGHT, previous)


def new_subject(question: str, previous: str, names: Collection[str]) -> str | None:
    """The one name of `question` that `previous` does not have, when `question` says nothing
    else (its other words are stop words: "And China?", "What about China, then?") and
    `previous` names a subject it can replace; None otherwise."""
    old = {w.lower() for w in _NAME.findall(previous) if w.lower() in names}
    new = {w.lower(): w for w in _NAME.findall(question) if w.lower() in names}
    fresh = [w for k, w in new.items() if k not in old]
    if not old or len(fresh) != 1:
        return None
    asks_more = set(tokens(question)) - set(tokens(fresh[0]))  # "How would that change…"
    return None if asks_more else fresh[0]


def _replace_first_name(previous: str, names: Collection[str], subject: str) -> str:
    """`previous` with its first name (it has one) replaced by `subject`."""
    old = next(w for w in _NAME.findall(previous) if w.lower() in names)
    return re.sub(rf"\b{re.escape(old)}\b", subject, previous, count=1)


def mentioning_first(ranked: list, text_of: Callable[[int], str], name: str) -> list:
    """`ranked` (items with a `chunk_id`) with those whose text names `name` first, each group
    in its order; unchanged when none does."""
    word = re.compile(rf"\b{re.escape(name)}\b", re.IGNORECASE)
    hits = {r.chunk_id for r in ranked if word.search(text_of(r.chunk_id))}
    return sorted(ranked, key=lambda r: r.chunk_id not in hits)  # stable: each group in order


def proper_names(texts: Iterable[str]) -> frozenset[str]:
    """Lower-cased words that the texts write capitalised inside a sentence (not first)."""
    return frozenset(m.group(1).lower() for t in texts for m in _INNER_CAPITAL.finditer(t))
