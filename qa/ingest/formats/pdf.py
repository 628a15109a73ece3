"""PDFs by pdfplumber (MIT, on pdfminer.six): the text layer in reading order, lines larger
than the body text become headings, blank space between lines separates paragraphs.

A PDF with no text layer (a scan), one that needs a password, or bytes that are no PDF raise
`ValueError` with that reason; one of more than `Limits.pdf_pages` pages is refused before any
page is read.
"""

from __future__ import annotations

import io
import re
import statistics
from collections import Counter
from dataclasses import dataclass

from qa.ingest.limits import LimitExceeded, Limits, over

SUFFIXES = (".pdf",)
_HEADING_RATIO = 1.15  # a line at least this much larger than the body text is a heading
_PARAGRAPH_GAP = 0.5  # a gap above a line of this many line heights starts a paragraph
_BULLETS = ("\u2022", "\u25aa", "\u25cf", "-", "*")
_GLYPH_BULLET = re.compile(r"^\(cid:\d+\)\s*")  # a bullet glyph the font does not map to text
_SENTENCE_END = (".", "!", "?", ":", '"', "\u201d", ")")


@dataclass(frozen=True)
class Line:
    """A line of text with its font size and the gap above it (in line heights)."""

    text: str
    size: float
    gap: float


def convert(data: bytes) -> str:
    """The PDF as Markdown: `#` the largest heading, `##`.. smaller ones, paragraphs."""
    lines = _read_lines(data)
    if not lines:
        raise ValueError("has no text layer (a scanned PDF? run OCR on it first)")
    body = _body_size(lines)
    levels = _heading_levels(lines, body)
    return "\n\n".join(_blocks(lines, levels))


def _read_lines(data: bytes) -> list[Line]:
    import pdfplumber

    if not data.lstrip()[:5].startswith(b"%PDF"):
        raise ValueError("is not a PDF file")
    limit = Limits.from_env().pdf_pages
    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            if len(pdf.pages) > limit:
                raise over("has", f"{len(pdf.pages):,} pages", f"{limit:,} page", "pdf_pages")
            return [line for page in pdf.pages for line in _page_lines(page)]
    except LimitExceeded:
        raise
    except Exception as exc:  # pdfminer raises many kinds, wrapped in pdfplumber's own
        if "password" in repr(exc).lower() or "encrypt" in repr(exc).lower():
            raise ValueError("is encrypted (needs a password)") from None
        raise ValueError(f"is not a readable PDF ({type(exc).__name__})") from None


def _page_lines(page) -> list[Line]:
    lines, prev_bottom = [], None
    for raw in page.extract_text_lines(strip=True, return_chars=True):
        text = _GLYPH_BULLET.sub("\u2022 ", raw["text"].strip())
        if not text or text.isdigit():  # page numbers
            continue
        size = statistics.median(c["size"] for c in raw["chars"]) if raw["chars"] else 0.0
        height = max(raw["bottom"] - raw["top"], 1.0)
        gap = 0.0 if prev_bottom is None else (raw["top"] - prev_bottom) / height
        lines.append(Line(text, round(size, 1), gap))
        prev_bottom = raw["bottom"]
    return lines


def _body_size(lines: list[Line]) -> float:
    """The font size of most of the text."""
    weight: Counter[float] = Counter()
    for line in lines:
        weight[line.size] += len(line.text)
    return weight.most_common(1)[0][0]


def _heading_levels(lines: list[Line], body: float) -> dict[float, int]:
    """{font size: heading level} for sizes clearly above the body size, largest first."""
    sizes = sorted({x.size for x in lines if x.size >= body * _HEADING_RATIO}, reverse=True)
    return {size: min(i + 1, 6) for i, size in enumerate(sizes)}


def _blocks(lines: list[Line], levels: dict[float, int]) -> list[str]:
    """Headings, list items and paragraphs joined from their lines."""
    blocks: list[str] = []
    kind = ""
    for line in lines:
        level = levels.get(line.size)
        if level:
            if kind == f"h{level}" and line.gap < _PARAGRAPH_GAP:
                blocks[-1] += " " + line.text  # a heading wrapped onto two lines
            else:
                blocks.append("#" * level + " " + line.text)
            kind = f"h{level}"
        elif line.text.startswith(_BULLETS):
            blocks.append("- " + line.text.lstrip("".join(_BULLETS)).strip())
            kind = "li"
        elif kind == "li" and line.gap < _PARAGRAPH_GAP:
            blocks[-1] = _join(blocks[-1], line.text)  # a list item wrapped onto two lines
        elif kind == "p" and (line.gap < _PARAGRAPH_GAP or not blocks[-1].endswith(_SENTENCE_END)):
            blocks[-1] = _join(blocks[-1], line.text)
        else:
            blocks.append(line.text)
            kind = "p"
    return blocks


def _join(left: str, right: str) -> str:
    """Two lines of one paragraph; a line ending in a hyphen ("military-") runs on into the
    next without a space (the hyphen is kept: it cannot be told from a soft one)."""
    if left.endswith("-") and left[-2:-1].isalpha():
        return left + right
    return left + " " + right
