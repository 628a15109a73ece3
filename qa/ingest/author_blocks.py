"""Author boxes, bios and contact blocks are page furniture in any layout, dropped whole: a
section headed like "About the author" (with its subsections), a paragraph led by such a label
and the rest of its section, and any contact block: a paragraph every sentence of which carries
personal data, of two or more kinds in all."""

from __future__ import annotations

import re

from qa.ingest.pii import find_pii

_BLOCK_TITLE = re.compile(
    r"^\W*(?:about (?:the )?(?:author|writer|me)|meet the author|(?:the )?author(?:'s)?"
    r"(?: (?:bio|box|info|details|profile))?|(?:author )?bio(?:graphy)?|contact(?: (?:me|"
    r"the author|details|info(?:rmation)?))?|written by|posted by|detail author)\W*$",
    re.IGNORECASE,
)
_LEAD = re.compile(  # a paragraph that opens an author block whatever follows the label
    r"^\W*(?:about (?:the )?(?:author|writer)|meet the author|author bio|"
    r"(?:author|bio|contact(?: details)?|detail author)\s*:)",
    re.IGNORECASE,
)
_BYLINE = re.compile(r"^\W*(?:written|posted) by\b", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_SHORT_LABEL_WORDS = 5
_SHORT_BYLINE_WORDS = 8


def is_author_heading(title: str) -> bool:
    """True for a heading that names an author box, bio or contact block."""
    return bool(_BLOCK_TITLE.match(title))


def drop_author_sections(parts: list[tuple[str, str, int, str]]) -> list[tuple[str, str, int, str]]:
    """The (title, anchor, level, body) parts without author sections and their subsections."""
    kept, cut_level = [], None
    for part in parts:
        title, _, level, _ = part
        if cut_level is not None and level > cut_level:
            continue
        cut_level = level if is_author_heading(title) else None
        if cut_level is None:
            kept.append(part)
    return kept


def drop_author_paragraphs(paragraphs: list[str]) -> list[str]:
    """`paragraphs` up to an author label (a bold "About the author", "Written by ...",
    "Contact: ..."), without contact blocks."""
    kept = []
    for p in paragraphs:
        if _opens_block(p):
            break
        if not is_contact_block(p):
            kept.append(p)
    return kept


def is_contact_block(paragraph: str) -> bool:
    """True when every sentence carries personal data, of two or more kinds in all."""
    kinds = {kind for kind, _ in find_pii(paragraph)}
    sentences = [s for s in _SENTENCE_END.split(paragraph) if s.strip()]
    return len(kinds) >= 2 and all(find_pii(s) for s in sentences)


def _opens_block(paragraph: str) -> bool:
    short = len(paragraph.split()) <= _SHORT_LABEL_WORDS
    byline = len(paragraph.split()) <= _SHORT_BYLINE_WORDS and _BYLINE.match(paragraph)
    return bool(_LEAD.match(paragraph) or byline or (short and _BLOCK_TITLE.match(paragraph)))
