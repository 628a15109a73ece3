"""Checking and normalising a question before it reaches the model."""

from __future__ import annotations

import re
import unicodedata

from qa.config import MAX_QUESTION_CHARS

_INVISIBLE = re.compile(r"[\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")


class QuestionError(ValueError):
    """A question that cannot be answered as given; the message is one line for the user."""


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
