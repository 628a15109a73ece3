"""Checking and normalising a question and its history before they reach the model.

`check_question` is the one check every surface runs before answering (the CLI, the JSON
route, the Gradio endpoint and the service); each reports a `QuestionError` its own way, with
the same message. The engine normalises with the same functions.
"""

from __future__ import annotations

import re
import unicodedata

from qa.config import MAX_QUESTION_CHARS

MAX_HISTORY = 20  # earlier questions one request may carry (follow-ups read the latest)
_INVISIBLE = re.compile(r"[\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")


class QuestionError(ValueError):
    """A question that cannot be answered as given; the message is one line for the user."""


def check_question(question: object, history: object = ()) -> None:
    """`QuestionError` unless `question` and its `history` can be answered: text of a usable
    length, with something left after normalisation; a history is a list of at most
    `MAX_HISTORY` such questions (blank ones are skipped)."""
    normalise_question(question)
    if isinstance(history, list | tuple) and len(history) > MAX_HISTORY:
        raise QuestionError(f"The history may hold at most {MAX_HISTORY} earlier questions.")
    normalise_history(history)


def normalise_history(history: object) -> list[str]:
    """The earlier questions as clean text, blank ones left out; `QuestionError` naming what is
    wrong with the history."""
    if not isinstance(history, list | tuple):
        raise QuestionError("The history must be a list of earlier questions.")
    out = []
    for item in history:
        if not isinstance(item, str):
            raise QuestionError("Each earlier question in the history must be text.")
        if item.strip():
            try:
                out.append(normalise_question(item))
            except QuestionError as exc:
                raise QuestionError(f"A question in the history is unusable: {exc}") from None
    return out


def normalise_question(raw: object) -> str:
    """The question as clean text, or `QuestionError` for empty, over-long or non-text input."""
    if not isinstance(raw, str):
        raise QuestionError("The question must be text.")
    if len(raw) > MAX_QUESTION_CHARS * 4:
        raise QuestionError(_too_long(len(raw)))
    text = raw.encode("utf-8", "replace").decode("utf-8")  # lone surrogates -> '?'
    text = unicodedata.normalize("NFKC", text)
    text = _INVISIBLE.sub("", text)
    text = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in text)
    text = " ".join(text.split())
    if not text:
        raise QuestionError("Please type a question: it is empty.")
    if len(text) > MAX_QUESTION_CHARS:
        raise QuestionError(_too_long(len(text)))
    return text


def _too_long(n: int) -> str:
    return f"The question is too long ({n:,} characters; the limit is {MAX_QUESTION_CHARS:,})."
