"""Sentence boundaries with offsets, by pysbd (rule-based; keeps "U.S.", "Mr." and quotes whole)."""

from __future__ import annotations

from functools import lru_cache

import pysbd

from qa.ingest.blocks import is_verbatim


@lru_cache(maxsize=1)
def _segmenter() -> pysbd.Segmenter:
    return pysbd.Segmenter(language="en", clean=False)


def split_sentences(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """(start, end) offsets into `text` of each sentence of `text[start:end]`, whitespace trimmed.

    Paragraphs (blank-line separated) are segmented one by one, so no sentence spans two.
    """
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    cursor = start
    for paragraph in text[start:end].split("\n\n"):
        p_start = text.index(paragraph, cursor) if paragraph else cursor
        cursor = p_start + len(paragraph)
        if paragraph.strip() and is_verbatim(paragraph):  # code or a table: one span, as it is
            spans.append((p_start, p_start + len(paragraph.rstrip())))
        elif paragraph.strip():
            spans.extend(_locate(text, _segmenter().segment(paragraph), p_start, cursor))
    return spans


def _locate(text: str, pieces: list[str], start: int, end: int) -> list[tuple[int, int]]:
    """Map pysbd's pieces back to offsets (pysbd's own char_span misplaces repeated text)."""
    spans = []
    cursor = start
    for piece in pieces:
        piece = piece.strip()
        if not piece:
            continue
        found = text.find(piece, cursor, end)
        if found < 0:
            continue
        spans.append((found, found + len(piece)))
        cursor = found + len(piece)
    return _fill_gaps(text, spans, start, end)


def _fill_gaps(text: str, spans: list[tuple[int, int]], start: int, end: int):
    """Extend spans so that every non-space character of text[start:end] is in some sentence."""
    out: list[tuple[int, int]] = []
    prev = start
    for s, e in spans:
        if text[prev:s].strip():
            s = prev + (len(text[prev:s]) - len(text[prev:s].lstrip()))
        out.append((s, e))
        prev = e
    if text[prev:end].strip():
        tail = text[prev:end].rstrip()
        if out:
            out[-1] = (out[-1][0], prev + len(tail))
        else:
            out.append(
                (prev + len(text[prev:end]) - len(text[prev:end].lstrip()), prev + len(tail))
            )
    return out
