"""What a reader sees of inline HTML and Markdown escapes: the words, never the tags, in every
format that can carry them (Markdown written by hand, Markdown converted from a web page)."""

from __future__ import annotations

import pytest

from qa.ingest.clean import clean_document
from qa.ingest.formats import html as html_format
from qa.ingest.sentences import split_sentences

MARKDOWN = """# Garden guide

## Care

Water daily.<br>Feed weekly. <script>window.__pwn=1</script>Prune \
<a href="javascript:alert(1)">the stems</a> in spring.<img src=x onerror=alert(1)> Use \
x<sup>2</sup> grams. <details><summary>More</summary>Hidden text</details> <!-- a note -->

Keep `a<b>c` as code, and 2 \\* 3 = 6.
"""


@pytest.fixture(scope="module")
def markdown_text() -> str:
    return clean_document(MARKDOWN, "guide.md").text


@pytest.mark.parametrize(
    "gone", ["<br>", "<script", "window.__pwn", "<a ", "javascript:", "<img", "onerror", "<sup>",
             "<details>", "<summary>", "<!--", "a note"],
)  # fmt: skip
def test_inline_html_in_markdown_is_reduced_to_its_words(markdown_text, gone):
    assert gone not in markdown_text


def test_the_words_around_and_inside_tags_stay_apart(markdown_text):
    for kept in ("Water daily. Feed weekly.", "Prune the stems in spring.", "Use x2 grams.",
                 "More Hidden text", "Keep `a<b>c` as code, and 2 * 3 = 6."):  # fmt: skip
        assert kept in markdown_text


def test_a_web_page_showing_code_as_text_reads_as_it_read_on_the_page():
    page = (
        b"<html><head><title>Safe pages</title></head><body><article><h1>Safe pages</h1>"
        b"<p>Attackers try to inject a snippet such as &lt;script&gt;window.__pwn7=1&lt;/script&gt;"
        b" into comments. A careful site shows it as text and never runs it, which is what this"
        b" page does for every reader who visits it.</p>"
        b"<p>Escaping every angle bracket is the simplest defence, and it costs nothing.</p>"
        b"</article></body></html>"
    )
    text = clean_document(html_format.convert(page), "safe.html").text
    assert "<script>window.__pwn7=1</script>" in text
    assert "\\" not in text
    sentences = [text[a:b] for a, b in split_sentences(text)]
    assert any("window.__pwn7=1</script> into comments." in s for s in sentences), sentences
