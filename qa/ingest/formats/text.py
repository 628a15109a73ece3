"""Plain text and Markdown: the bytes decoded as UTF-8, cleaned as they are."""

from __future__ import annotations

SUFFIXES = (".txt", ".md", ".markdown")


def convert(data: bytes) -> str:
    """The text itself; `ValueError` if it is not UTF-8."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("is not UTF-8 text") from None
