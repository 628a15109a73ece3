"""Sentence boundaries with offsets, by pysbd (rule-based; keeps "U.S.", "Mr." and quotes whole)."""

from __future__ import annotations

from functools import lru_cache

import pysbd

from qa.ingest.blocks import is_verbatim

# pysbd's time grows with the square of a text's length (a 300 kB paragraph took 10 s, 1 MB
# 50 s): a longer paragraph is segmented in pieces of at most this many characters, which also
# bounds a sentence (and a chunk) made of one endless line or one endless table
PIECE_CHARS = 10_000
_CUTS = ("\n", ". ", " ")  # where a piece ends, by preference, in the second half of its window


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
        if not paragraph.strip():
            continue
        for offset, piece in pieces(paragraph):
            at = p_start + offset
            if is_verbatim(paragraph):  # code or a table: one span (per piece), as it is
                spans.append(_trimmed(piece, at))
            elif piece.strip():
                spans.extend(_locate(text, _segment(piece), at, at + len(piece)))
    return spans


def _segment(text: str) -> list[str]:
    """pysbd's sentences of `text`, from its processor alone: `Segmenter.segment` then looks
    each sentence up again from the start of the text (time growing with the square of the
    number of sentences: 60,000 "a." took 100 s), which `_locate` does in one pass."""
    return _segmenter().processor(text).process()


def pieces(paragraph: str, limit: int = PIECE_CHARS) -> list[tuple[int, str]]:
    """`paragraph` as (offset, piece) pieces of at most `limit` characters, each cut after the
    last line break, sentence end or space in the second half of its window (else at `limit`)."""
    out, at = [], 0
    while len(paragraph) - at > limit:
        window = paragraph[at : at + limit]
        cut = limit
        for sep in _CUTS:
            found = window.rfind(sep, limit // 2)
            if found >= 0:
                cut = found + len(sep)
                break
        out.append((at, window[:cut]))
        at += cut
    out.append((at, paragraph[at:]))
    return out


def _trimmed(piece: str, at: int) -> tuple[int, int]:
    """The offsets of `piece` (found at `at`) without its surrounding whitespace."""
    return at + len(piece) - len(piece.lstrip()), at + len(piece.rstrip())


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
