"""How much one document may cost a build: the limits a hostile or broken file meets before it
can exhaust memory or time, each a QA_* environment variable. A document over a limit is
refused with one line naming the limit and its variable (`LimitExceeded`, a `ValueError`)."""

from __future__ import annotations

import os
from dataclasses import dataclass

from qa.config import MAX_DOCUMENT_BYTES


class LimitExceeded(ValueError):
    """A document is over one of the `Limits`; the message says which, in a few words."""


@dataclass(frozen=True)
class Limits:
    """The most one corpus file may be, before and after conversion."""

    file_bytes: int = MAX_DOCUMENT_BYTES  # the file itself, checked before it is read
    text_chars: int = 1_000_000  # its text after conversion (about a 500-page book)
    sentences: int = 20_000  # after cleaning: each is embedded, so this bounds a build's time
    inflated_bytes: int = 100_000_000  # what a zipped format (.docx) inflates to
    zip_ratio: int = 100  # inflated / compressed, for a zip member over 1 MB inflated
    pdf_pages: int = 1000

    @classmethod
    def from_env(cls) -> Limits:
        """The defaults, each overridden by its variable (`QA_MAX_...`) when set."""
        values = {}
        for field, name in VARIABLES.items():
            raw = os.environ.get(name, "").strip()
            if raw:
                try:
                    values[field] = int(raw.replace("_", ""))
                except ValueError:
                    raise ValueError(f"{name} must be a whole number, not {raw!r}") from None
        return cls(**values)


VARIABLES = {
    "file_bytes": "QA_MAX_DOCUMENT_BYTES",
    "text_chars": "QA_MAX_DOCUMENT_CHARS",
    "sentences": "QA_MAX_DOCUMENT_SENTENCES",
    "inflated_bytes": "QA_MAX_INFLATED_BYTES",
    "zip_ratio": "QA_MAX_ZIP_RATIO",
    "pdf_pages": "QA_MAX_PDF_PAGES",
}


def over(what: str, value: str, limit: str, field: str) -> LimitExceeded:
    """The refusal: '<what> <value>, over the <limit> limit (QA_...)'."""
    return LimitExceeded(f"{what} {value}, over the {limit} limit ({VARIABLES[field]})")


def check_text(text: str, limits: Limits) -> None:
    """Refuse a converted text longer than `limits.text_chars`."""
    if len(text) > limits.text_chars:
        raise over(
            "has", f"{len(text):,} characters of text", f"{limits.text_chars:,}", "text_chars"
        )


def check_sentences(count: int, limits: Limits) -> None:
    """Refuse a cleaned document of more than `limits.sentences` sentences."""
    if count > limits.sentences:
        raise over("has", f"{count:,} sentences", f"{limits.sentences:,}", "sentences")
