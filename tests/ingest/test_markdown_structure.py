"""Markdown by its structure: headings are sections, list items paragraphs of their own, and
tables and fenced code arrive whole and verbatim, each one span, never split into sentences."""

from __future__ import annotations

from qa.config import ChunkParams
from qa.ingest.chunking import chunk_document
from qa.ingest.clean import clean_document
from qa.ingest.sentences import split_sentences

GUIDE = """# Brewing guide

Good tea needs fresh water. Here is what to do:

- Boil fresh water. Never reboil it.
- Warm the pot first,
  then add one spoon per cup.
1. Steep black tea for **four** minutes.

## Times

| Tea   | Minutes | Water |
|-------|---------|-------|
| Black | 4       | 100 C |
| Green | 2       | 80 C  |

Green tea burns in boiling water.

## Script

```python
# steep.py: a timer
import time

time.sleep(240)  # four minutes. Then pour.
```

That is all there is to it.
"""


def _doc():
    return clean_document(GUIDE, "guide.md")


def _paragraphs(doc, title):
    section = next(s for s in doc.sections if s.title == title)
    return doc.text[section.start : section.end].split("\n\n")


def test_headings_are_sections_and_a_comment_in_code_is_not_a_heading():
    assert [s.title for s in _doc().sections] == ["Introduction", "Times", "Script"]


def test_list_items_are_paragraphs_of_their_own():
    assert _paragraphs(_doc(), "Introduction") == [
        "Good tea needs fresh water. Here is what to do:",
        "- Boil fresh water. Never reboil it.",
        "- Warm the pot first, then add one spoon per cup.",
        "1. Steep black tea for four minutes.",
    ]


def test_table_is_kept_verbatim_and_is_one_span():
    doc = _doc()
    table = _paragraphs(doc, "Times")[0]
    assert table == "\n".join(GUIDE.split("## Times\n\n")[1].split("\n\n")[0].splitlines())
    start = doc.text.index(table)
    assert (start, start + len(table)) in split_sentences(doc.text)


def test_code_block_is_kept_verbatim_and_never_split():
    doc = _doc()
    code = _paragraphs(doc, "Script")[0]
    assert code.startswith("```python\n# steep.py: a timer\nimport time\n")
    assert code.endswith("time.sleep(240)  # four minutes. Then pour.\n```")
    start = doc.text.index(code)
    spans = split_sentences(doc.text)
    assert (start, start + len(code)) in spans
    chunks = chunk_document(doc, ChunkParams())
    assert any(code in c.text for c in chunks)
    assert not any("Then pour." in doc.text[s:e] and e - s < len(code) for s, e in spans)


def test_prose_after_blocks_is_still_split_into_sentences():
    doc = _doc()
    assert _paragraphs(doc, "Times")[1] == "Green tea burns in boiling water."
    assert _paragraphs(doc, "Script")[1] == "That is all there is to it."


def test_code_spans_stay_as_written_and_emphasis_markers_go():
    doc = clean_document(
        "# Notes\n\nEach folder's `__init__.py` says what `a**2` is: a __strong__ and **bold**"
        " word beside snake__case.\n",
        "notes.md",
    )
    assert "`__init__.py`" in doc.text and "`a**2`" in doc.text
    assert "a strong and bold word beside snake__case." in doc.text
