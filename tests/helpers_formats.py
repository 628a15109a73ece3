"""The seed article rendered into other formats, for the parity tests: HTML (a page with
navigation, share links, a comment form and the scraped author card in an author box), PDF
(reportlab: headings in larger type, the card at the end) and DOCX (python-docx: heading
styles, the card as a list). Each is made from the cleaned `.txt` document, so every format
carries the same sections and the same words."""

from __future__ import annotations

import html
import io

from qa.ingest.clean import INTRO_TITLE
from qa.ingest.documents import Document

CARD_START = "Detail Author:"


def author_card(raw: str) -> list[str]:
    """The scraped author card at the end of the seed `.txt`, one line per item."""
    tail = raw[raw.index(CARD_START) :]
    return [line.strip().lstrip("\u2022*").strip() for line in tail.splitlines() if line.strip()]


def card_fields(raw: str) -> dict[str, str]:
    """{field: value} of the author card's own lines (Name, Username, Email, Birthdate, ...)."""
    fields = {}
    for line in author_card(raw)[1:]:
        key, sep, value = line.partition(" : ")
        if sep and key not in fields:
            fields[key] = value
    return fields


def to_markdown_article(doc: Document) -> str:
    """The cleaned article as line-broken Markdown: `#` title, `###`/`####` headings."""
    out = [f"# {doc.title}"]
    for title, level, text in sections(doc):
        if title != INTRO_TITLE:
            out.append("#" * level + " " + title)
        out.append(text)
    return "\n\n".join(out) + "\n"


def sections(doc: Document) -> list[tuple[str, int, str]]:
    """(title, level, body) of each section; the introduction has no heading."""
    return [(s.title, s.level, doc.text[s.start : s.end]) for s in doc.sections]


def to_html(doc: Document, card: list[str]) -> bytes:
    """A web page: nav, the article, share links, an author box, comments and a footer."""
    e = html.escape
    body = [f"<h1>{e(doc.title)}</h1>"]
    for title, level, text in sections(doc):
        if title != INTRO_TITLE:
            body.append(f"<h{min(level, 6)}>{e(title)}</h{min(level, 6)}>")
        body.extend(f"<p>{e(p)}</p>" for p in text.split("\n\n"))
    items = "".join(f"<li>{e(x)}</li>" for x in card[1:])
    page = f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>{e(doc.title)}</title></head><body>
<header><nav><ul><li><a href="/">Home</a></li><li><a href="/world">World</a></li>
<li><a href="/politics">Politics</a></li><li><a href="/about">About us</a></li></ul></nav></header>
<main><article>{"".join(body)}
<div class="share-buttons"><a href="https://twitter.com/share">Share on Twitter</a>
<a href="https://facebook.com/sharer">Share on Facebook</a></div>
<div class="author-box"><p>{e(card[0])}</p><ul>{items}</ul></div>
</article></main>
<section id="comments"><h3>Leave a comment</h3><form><textarea name="c"></textarea>
<button>Post comment</button></form></section>
<footer><p>Copyright 2026 Guide of the World. All rights reserved.</p></footer>
</body></html>"""
    return page.encode("utf-8")


def to_docx(doc: Document, card: list[str]) -> bytes:
    """A Word file: Title style, Heading n styles, Normal paragraphs, the card as a list."""
    import docx

    out = docx.Document()
    out.add_paragraph(doc.title, style="Title")
    for title, level, text in sections(doc):
        if title != INTRO_TITLE:
            out.add_heading(title, level=max(1, min(level - 2, 9)))
        for paragraph in text.split("\n\n"):
            out.add_paragraph(paragraph)
    out.add_paragraph(card[0])
    for item in card[1:]:
        out.add_paragraph(item, style="List Bullet")
    buffer = io.BytesIO()
    out.save(buffer)
    return buffer.getvalue()


def to_pdf(doc: Document, card: list[str], password: str | None = None) -> bytes:
    """A PDF by reportlab: title 20 pt, headings 16/14 pt, body 10 pt, the card as bullets."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    body = ParagraphStyle("body", fontName="Helvetica", fontSize=10, leading=13, spaceAfter=8)
    heads = {
        n: ParagraphStyle(
            f"h{n}",
            fontName="Helvetica-Bold",
            fontSize=size,
            leading=size + 4,
            spaceBefore=10,
            spaceAfter=6,
        )
        for n, size in ((0, 20), (1, 16), (2, 14))
    }
    e = html.escape
    flow = [Paragraph(e(doc.title), heads[0])]
    for title, level, text in sections(doc):
        if title != INTRO_TITLE:
            flow.append(Paragraph(e(title), heads[1 if level <= 3 else 2]))
        flow.extend(Paragraph(e(p), body) for p in text.split("\n\n"))
    flow.append(Paragraph(e(card[0]), body))
    flow.extend(Paragraph("\u2022 " + e(x), body) for x in card[1:])
    buffer = io.BytesIO()
    encrypt = None
    if password:
        from reportlab.lib import pdfencrypt

        encrypt = pdfencrypt.StandardEncryption(password, canPrint=0)
    SimpleDocTemplate(buffer, pagesize=A4, title=doc.title, encrypt=encrypt).build(flow)
    return buffer.getvalue()
