"""Several documents on the page: passages name their document, the article view gets a
picker and document ids, the wording and examples follow the corpus; one document renders as
it always did (no picker, no document names)."""

from __future__ import annotations

import html
import json
import shutil

from helpers_server import ROOT

from qa.answer.result import AskResult, Passage
from qa.ingest.clean import clean_document
from qa.web.page import EXAMPLES, MANY, ONE, load_examples, wording
from qa.web.render_html import document_titles, render_article, render_picker, render_result

TEA = "# Tea in Britain\n\n## Habits\n\nMost tea drunk in Britain is black tea.\n"


def passage(doc: str) -> Passage:
    return Passage(
        id=0,
        text="Most tea drunk in Britain is black tea.",
        doc=doc,
        section="Habits",
        anchor="habits",
        score=0.8,
        start=0,
        end=10,
        answer_start=0,
        answer_end=10,
    )


def test_one_document_has_no_picker_and_no_document_names(document):
    html = render_article([document])
    assert render_picker([document]) == "" and 'id="doc-' not in html
    assert document_titles([document]) is None
    reply = render_result(AskResult("q", False, "x", [passage(document.doc_id)]), 3, None, None)
    assert "qa-passage-doc" not in reply


def test_several_documents_get_a_picker_ids_and_names_on_passages(document):
    tea = clean_document(TEA, "tea.md")
    html, picker = render_article([tea, document]), render_picker([tea, document])
    assert picker.startswith('<nav class="qa-doc-picker" aria-label="Documents">')
    assert picker.count('class="qa-doc-tab"') == 2 and picker.count('aria-current="true"') == 1
    assert 'id="doc-teamd"' in html and 'data-target="doc-teamd"' in picker
    titles = document_titles([tea, document])
    reply = render_result(AskResult("q", False, "x", [passage("tea.md")]), 3, None, titles)
    assert '<div class="qa-passage-doc">Tea in Britain</div>' in reply


def test_examples_come_from_the_file_beside_the_documents(tmp_path):
    assert load_examples(tmp_path) == EXAMPLES  # no file: the shipped Russia examples
    (tmp_path / "examples.json").write_text(json.dumps(["How is tea drunk?"]), encoding="utf-8")
    assert load_examples(tmp_path) == ["How is tea drunk?"]
    for bad in ("not json", "[]", '[""]', '{"q": 1}'):
        (tmp_path / "examples.json").write_text(bad, encoding="utf-8")
        assert load_examples(tmp_path) == EXAMPLES, bad


def test_without_the_seed_article_the_examples_ask_about_the_documents_present(tmp_path):
    from qa.config import Settings
    from qa.index.build import build_index

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "tea.md").write_text(
        TEA + "\n## Milk first?\n\nSome pour the milk first.\n\n## Prices\n\nTea is cheap.\n",
        encoding="utf-8",
    )
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index")
    build_index(settings)
    examples = load_examples(corpus, settings.index_dir)
    assert examples == [
        "What does it say about Milk first?",
        "What does it say about Prices?",
    ]
    assert not any("Russia" in q or "Iran" in q for q in examples)
    assert load_examples(ROOT / "corpus", ROOT / "index") == EXAMPLES  # the seed article is there
    (corpus / "examples.json").write_text(json.dumps(["How is tea drunk?"]), encoding="utf-8")
    assert load_examples(corpus, settings.index_dir) == ["How is tea drunk?"]


def test_wording_follows_the_number_of_documents(tmp_path):
    assert wording(ROOT / "index") is ONE
    assert wording(tmp_path / "missing") is ONE
    shutil.copytree(ROOT / "index", tmp_path / "index")
    manifest = tmp_path / "index" / "manifest.json"
    data = json.loads(manifest.read_text())
    data["counts"]["documents"] = 3
    manifest.write_text(json.dumps(data))
    assert wording(tmp_path / "index") is MANY
    assert "documents do not answer" in MANY.intro and "Document QA" in MANY.intro


GUIDE = """# Brewing guide

## Script

```python
import time

time.sleep(240)  # four minutes
```

| Tea   | Minutes |
|-------|---------|
| Black | 4       |

That is all.
"""


def test_code_blocks_show_as_preformatted_text_without_fences_and_tables_as_tables():
    html_out = render_article([clean_document(GUIDE, "guide.md")])
    blocks = html_out.split('<pre class="qa-code">')[1:]
    assert len(blocks) == 1 and "\n" not in html_out  # one message, one HTML block
    code = html.unescape(blocks[0].split("</pre>")[0])
    lines = [line.rstrip() for line in code.split("\n")]  # ingest keeps a blank line as " "
    assert lines == ["<code>import time", "", "time.sleep(240)  # four minutes</code>"]
    assert "```" not in html.unescape(html_out)
    assert "<thead><tr><th>Tea</th><th>Minutes</th></tr></thead>" in html_out
    assert "<tr><td>Black</td><td>4</td></tr>" in html_out
    assert "<p>That is all.</p>" in html_out
