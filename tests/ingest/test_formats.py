"""Formats: the seed article as HTML, PDF and DOCX (made by tests/helpers_formats.py) cleans into
the same title, sections and text as the `.txt`, without the author card; each converter keeps
what its format says about structure; a new format is one module in qa/ingest/formats/."""

from __future__ import annotations

import importlib
import pkgutil

import pytest
from helpers_formats import author_card, to_docx, to_html, to_pdf

from qa.ingest import formats
from qa.ingest.clean import clean_document
from qa.ingest.convert import converters, to_markdown
from qa.ingest.corpus import SUFFIXES

RENDER = {".html": to_html, ".pdf": to_pdf, ".docx": to_docx}
CARD_VALUES = ("Cydney Hartmann", "rutherford.geo", "1995-06-17", "Hauck-Sanford", "Podiatrist")


@pytest.fixture(scope="module")
def card(article_text) -> list[str]:
    return author_card(article_text)


@pytest.fixture(scope="module", params=sorted(RENDER))
def converted(request, document, card):
    """(suffix, the rendered seed's cleaned Document) for each format."""
    suffix = request.param
    markdown = to_markdown(RENDER[suffix](document, card), suffix)
    return suffix, clean_document(markdown, "seed" + suffix)


def test_every_module_in_formats_is_a_converter_and_every_suffix_is_read():
    names = [m.name for m in pkgutil.iter_modules(formats.__path__)]
    assert {"text", "html", "pdf", "docx"} <= set(names)
    for name in names:
        module = importlib.import_module(f"qa.ingest.formats.{name}")
        assert module.SUFFIXES and callable(module.convert)
    assert set(SUFFIXES) == set(converters()) >= {".txt", ".md", ".html", ".pdf", ".docx"}


def test_card_is_in_the_rendered_file(document, card):
    assert card[0] == "Detail Author:" and any("rutherford.geo" in x for x in card)
    assert "rutherford.geo" in to_html(document, card).decode()


def test_same_title_sections_and_text_as_the_txt(converted, document):
    suffix, doc = converted
    assert doc.title == document.title
    got = [(s.title, s.anchor, s.level > 1) for s in doc.sections]
    assert got == [(s.title, s.anchor, s.level > 1) for s in document.sections], suffix
    assert doc.text == document.text, suffix


def test_author_card_never_survives(converted):
    suffix, doc = converted
    for value in CARD_VALUES:
        assert value not in doc.text, (suffix, value)


def test_pdf_card_text_is_extracted_before_cleaning(document, card):
    """The PDF really carries the card (so the test above is not vacuous)."""
    markdown = to_markdown(to_pdf(document, card), ".pdf")
    assert "rutherford.geo" in markdown and "- Name : Cydney Hartmann" in markdown


HTML_PAGE = b"""<html><head><title>Tea in Britain</title></head><body>
<nav><a href="/">Home</a> <a href="/shop">Shop our teas</a></nav>
<article><h1>Tea in Britain</h1>
<p>Tea reached Britain in the seventeenth century through Dutch and Portuguese traders, and it
became fashionable at court after Catherine of Braganza made it popular among the nobility.</p>
<h2>Habits</h2>
<p>Most tea drunk in Britain today is black tea, often taken with milk, and afternoon tea is a
light meal served between three and five o'clock in the afternoon.</p></article>
<div class="share">Share on Facebook Share on Twitter</div>
<div id="comments"><h3>Leave a reply</h3><form><textarea></textarea></form></div>
<footer>Copyright 2026 Tea Times Ltd</footer></body></html>"""


def test_html_keeps_the_article_and_its_headings_and_drops_page_furniture():
    doc = clean_document(to_markdown(HTML_PAGE, ".html"), "tea.html")
    assert doc.title == "Tea in Britain"
    assert [s.title for s in doc.sections] == ["Introduction", "Habits"]
    for furniture in ("Shop our teas", "Share on", "Leave a reply", "Copyright"):
        assert furniture not in doc.text


def test_docx_heading_styles_become_sections_and_lists_items():
    import io

    import docx

    out = docx.Document()
    out.add_paragraph("Tea in Britain", style="Title")
    out.add_paragraph("Tea reached Britain in the seventeenth century.")
    out.add_heading("Habits", level=1)
    out.add_paragraph("Black tea with milk.", style="List Bullet")
    out.add_heading("Afternoon tea", level=2)
    out.add_paragraph("A light meal between three and five.")
    buffer = io.BytesIO()
    out.save(buffer)
    markdown = to_markdown(buffer.getvalue(), ".docx")
    assert markdown.splitlines()[0] == "# Tea in Britain"
    assert "## Habits" in markdown and "### Afternoon tea" in markdown
    assert "- Black tea with milk." in markdown
    doc = clean_document(markdown, "tea.docx")
    assert [(s.title, s.level) for s in doc.sections] == [
        ("Introduction", 1),
        ("Habits", 2),
        ("Afternoon tea", 3),
    ]


def test_pdf_headings_by_font_size_and_paragraphs_by_spacing(document, card):
    markdown = to_markdown(to_pdf(document, card), ".pdf")
    lines = markdown.split("\n\n")
    assert lines[0] == "# " + document.title
    assert "## Historical Roots and Shared Interests" not in lines  # level 4: smaller type
    assert "### Historical Roots and Shared Interests" in lines
    assert "## The Kremlin's Stance: Limits to Military Aid" in lines
