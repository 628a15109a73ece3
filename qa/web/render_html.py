"""HTML for the page: an `AskResult` as a chat message, and the article view.

Every piece of question or document text goes through `text_html`, which escapes HTML and the
characters Markdown, LaTeX and templates react to, so the chat shows it as text. The output
has no newlines, so the chat's Markdown renderer takes each message as one HTML block.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from qa.answer.result import AskResult, Passage
from qa.ingest.blocks import is_code_block, table_spans, verbatim_text
from qa.ingest.clean import slugify
from qa.ingest.documents import Document, Section

# Characters that Markdown, KaTeX or a template engine could act on, as numeric entities.
_INERT = {c: f"&#{ord(c)};" for c in "\\`*_{}[]#|~$<>"}
_INERT.update({"&": "&amp;", '"': "&quot;", "'": "&#x27;"})
_TABLE = str.maketrans(_INERT)
_CELL_SPLIT = re.compile(r"(?<!\\)\|")
_SEPARATOR_CELL = re.compile(r"^:?-+:?$")


def text_html(text: str) -> str:
    """`text` as inert HTML: escaped, Markdown/LaTeX-neutral, line breaks as <br>."""
    lines = text.replace("\r\n", "\n").split("\n")
    return "<br>".join(line.translate(_TABLE) for line in lines)


def attr(value: str) -> str:
    """A value safe inside a double-quoted HTML attribute."""
    return html.escape(value, quote=True)


def relevance(score: float) -> int:
    """A passage's fused score as a percentage for display (clipped to 0..100)."""
    return round(max(0.0, min(1.0, score)) * 100)


def section_anchor(anchor: str, title: str) -> str:
    """The anchor of a section: its own, or one made from its title."""
    return anchor or slugify(title) or "section"


SectionIds = dict[tuple[str, str], str]
Titles = dict[str, str]  # document id -> title, given only when there are several documents

# Words that tie a sentence to the one before it. An answer that starts with one is a quotation
# out of its context; the page shows it as a quotation with the connective de-emphasised.
_CONNECTIVES = (
    "accordingly|additionally|also|as a result|as such|at the same time|besides|by contrast|"
    "consequently|conversely|crucially|even so|finally|for example|for instance|furthermore|"
    "hence|however|importantly|in addition|in contrast|in fact|in other words|in particular|"
    "in short|in turn|indeed|instead|likewise|meanwhile|moreover|nevertheless|nonetheless|"
    "notably|on the contrary|on the other hand|otherwise|similarly|specifically|still|"
    "subsequently|that said|therefore|thus|ultimately|yet"
)
_LEADING_CONNECTIVE = re.compile(
    rf"(?:(?:{_CONNECTIVES}),|(?:and|but|so|yet|also|or)\b)(?=\s+\S)", re.IGNORECASE
)


def leading_connective(answer: str) -> int:
    """Length of the connective an answer starts with ("For example,"), else 0."""
    m = _LEADING_CONNECTIVE.match(answer)
    return m.end() if m else 0


def section_ids(documents: Sequence[Document]) -> SectionIds:
    """{(doc id, anchor): DOM id}: the anchor itself, qualified by the document if taken."""
    ids: SectionIds = {}
    used: set[str] = set()
    for doc in documents:
        for s in doc.sections:
            anchor = section_anchor(s.anchor, s.title)
            if (doc.doc_id, anchor) in ids:
                continue
            dom, n = anchor, 2
            if dom in used:
                dom = f"{slugify(doc.doc_id)}-{anchor}"
            while dom in used:
                dom, n = f"{anchor}-{n}", n + 1
            used.add(dom)
            ids[(doc.doc_id, anchor)] = dom
    return ids


def render_question(question: str, limit: int = 400) -> str:
    """The user's message bubble (a blank one says so; a very long one is cut for display)."""
    if not question.strip():
        return '<div class="qa-question qa-empty">(empty question)</div>'
    shown = (
        question
        if len(question) <= limit
        else f"{question[:limit]}… ({len(question):,} characters)"
    )
    return f'<div class="qa-question">{text_html(shown)}</div>'


def render_notice(message: str) -> str:
    """A friendly one-line message (bad question, still loading, busy)."""
    return f'<div class="qa-notice">{text_html(message)}</div>'


def render_status(message: str) -> str:
    """A message about the question box (too long, busy, loading), announced to screen readers."""
    return f'<div class="qa-status-message" role="alert">{text_html(message)}</div>'


def render_answer(result: AskResult) -> str:
    """The answer paragraph. One that starts mid-thought ("For example, ...") is shown as a
    quotation with its leading connective de-emphasised; the quoted text is unchanged."""
    answer = result.answer or ""
    if not result.abstained and table_spans(answer.strip()) == [(0, len(answer.strip()))]:
        return f'<div class="qa-answer">{table_html(answer)}</div>'  # a table answers
    lead = 0 if result.abstained else leading_connective(answer)
    if not lead:
        return f'<p class="qa-answer">{text_html(answer)}</p>'
    return (
        '<p class="qa-answer qa-quote" title="Quoted from the article: it follows on from '
        f'the sentence before it"><span class="qa-lead">{text_html(answer[:lead])}</span>'
        f"{text_html(answer[lead:])}</p>"
    )


def document_titles(documents: Sequence[Document]) -> Titles | None:
    """{doc id: title} when there are several documents (passages then name theirs), else None."""
    return {d.doc_id: d.title for d in documents} if len(documents) > 1 else None


def render_result(
    result: AskResult,
    passages: int = 3,
    ids: SectionIds | None = None,
    titles: Titles | None = None,
    link: str | None = None,
) -> str:
    """The reply: the answer sentence, then the top passages (collapsed for abstentions);
    `link`: the address that asks this question again, offered under the answer."""
    shown = result.passages[:passages]
    cls = "qa-reply qa-abstained" if result.abstained else "qa-reply qa-answered"
    label = "Nearest passages" if result.abstained else "Sources"
    opened = "" if result.abstained else " open"
    items = "".join(render_passage(p, rank, ids, titles) for rank, p in enumerate(shown, 1))
    sources = (
        f'<details class="qa-sources"{opened}><summary>{label} ({len(shown)})</summary>'
        f"{items}</details>"
        if shown
        else ""
    )
    share = (
        f'<p class="qa-link"><a class="qa-answer-link" href="{attr(link)}">Link to this answer</a>'
        "</p>"
        if link and not result.abstained
        else ""
    )
    body = f"{render_answer(result)}{render_doubt(result)}{share}{sources}"
    return f'<div class="{cls}">{body}</div>'


def render_doubt(result: AskResult) -> str:
    """A note under an answer the reader doubts (its confidence is below the reader's bar),
    or the closest sentence of a withheld answer, quoted as what it is."""
    if result.withheld and result.closest:
        return (
            '<p class="qa-closest" role="note"><span class="qa-closest-label">Closest sentence'
            f"</span> {text_html(result.closest)}</p>"
        )
    if not result.unsure or result.abstained:
        return ""
    return f'<p class="qa-unsure" role="note">{text_html(result.doubt())}</p>'


def render_passage(
    p: Passage, rank: int, ids: SectionIds | None = None, titles: Titles | None = None
) -> str:
    """One passage: its document's title (when there are several), section link, relevance
    bar, text with the answer sentence marked."""
    pct = relevance(p.score)
    anchor = section_anchor(p.anchor, p.section)
    dom_id = (ids or {}).get((p.doc, anchor), anchor)
    link = (
        f'<a class="qa-section-link" href="#{attr(dom_id)}" '
        f'title="Open this section in the article">{text_html(p.section)}</a>'
    )
    bar = (
        f'<span class="qa-relevance" title="relevance {pct}%">'
        f'<span class="qa-bar"><span class="qa-fill qa-w{round(pct / 10)}"></span></span>'
        f"{pct}%</span>"
    )
    doc = (
        f'<div class="qa-passage-doc">{text_html(titles.get(p.doc, p.doc))}</div>' if titles else ""
    )
    return (
        f'<div class="qa-passage">{doc}'
        f'<div class="qa-passage-head"><span class="qa-rank">{rank}</span>{link}{bar}</div>'
        f'<div class="qa-passage-text">{highlighted(p)}</div></div>'
    )


def highlighted(p: Passage) -> str:
    """The passage text with the answer sentence inside <mark>; a Markdown table in it shown
    as a table (ingest keeps a table one unit: when it is the answer, the whole table is)."""
    a, b = p.answer_start, p.answer_end
    if a is None or b is None or not 0 <= a < b <= len(p.text):
        a = b = -1
    out, at = [], 0
    for start, end in table_spans(p.text):
        out.append(_marked(p.text, at, start, a, b))
        out.append(table_html(p.text[start:end], marked=a <= start and end <= b))
        at = end
    out.append(_marked(p.text, at, len(p.text), a, b))
    return "".join(out)


def _marked(text: str, start: int, end: int, a: int, b: int) -> str:
    """`text[start:end]` as HTML, its part inside [a, b) in <mark>."""
    lo, hi = max(start, a), min(end, b)
    if lo >= hi:
        return text_html(text[start:end])
    return (
        f"{text_html(text[start:lo])}<mark class='qa-highlight'>{text_html(text[lo:hi])}</mark>"
        f"{text_html(text[hi:end])}"
    )


def table_html(block: str, marked: bool = False) -> str:
    """A Markdown pipe table as an HTML table (a header row when a separator row follows the
    first); every cell escaped like `text_html`."""
    rows = [_cells(line) for line in block.strip("\n").split("\n") if line.strip()]
    header = len(rows) > 1 and all(_SEPARATOR_CELL.match(c) for c in rows[1])
    head = f"<thead>{_row(rows[0], 'th')}</thead>" if header else ""
    body = "".join(_row(r, "td") for r in (rows[2:] if header else rows))
    cls = "qa-table qa-highlight" if marked else "qa-table"
    return f'<table class="{cls}">{head}<tbody>{body}</tbody></table>'


def _cells(line: str) -> list[str]:
    inner = line.strip()
    inner = inner[1:] if inner.startswith("|") else inner
    inner = inner[:-1] if inner.endswith("|") and not inner.endswith("\\|") else inner
    return [c.strip().replace("\\|", "|") for c in _CELL_SPLIT.split(inner)]


def _row(cells: list[str], tag: str) -> str:
    return "<tr>" + "".join(f"<{tag}>{text_html(c)}</{tag}>" for c in cells) + "</tr>"


def render_article(documents: Sequence[Document]) -> str:
    """The whole cleaned article(s), one element per section with `id` = the section anchor
    (several documents: each also with `id` = `doc_dom_id`, for the picker)."""
    if not documents:
        return render_notice("The article is loading…")
    ids = section_ids(documents)
    several = len(documents) > 1
    return "".join(_document(d, ids, several) for d in documents)


def doc_dom_id(doc_id: str) -> str:
    """The DOM id of a document's element in the article view."""
    return "doc-" + (slugify(doc_id) or "document")


def render_picker(documents: Sequence[Document]) -> str:
    """Buttons with the documents' titles that switch the article view between them; empty
    for a single document."""
    if len(documents) <= 1:
        return ""
    current = ' aria-current="true"'
    buttons = "".join(
        f'<button type="button" class="qa-doc-tab" data-target="{attr(doc_dom_id(d.doc_id))}"'
        f"{current if i == 0 else ''}>{text_html(d.title)}</button>"
        for i, d in enumerate(documents)
    )
    return f'<nav class="qa-doc-picker" aria-label="Documents">{buttons}</nav>'


def _document(doc: Document, ids: SectionIds, several: bool = False) -> str:
    sections = "".join(_section(doc, s, ids) for s in doc.sections)
    dom_id = f' id="{attr(doc_dom_id(doc.doc_id))}"' if several else ""
    return (
        f'<article class="qa-doc"{dom_id} data-doc="{attr(doc.doc_id)}">'
        f'<h1 class="qa-doc-title">{text_html(doc.title)}</h1>{sections}</article>'
    )


def _section(doc: Document, section: Section, ids: SectionIds) -> str:
    anchor = section_anchor(section.anchor, section.title)
    dom_id = ids.get((doc.doc_id, anchor), anchor)
    level = 2 if section.level <= 3 else 3
    body = doc.text[section.start : section.end]
    # ingest keeps a code block or table one paragraph (a blank line in code is kept as " ")
    paragraphs = "".join(_block_html(b) for b in body.split("\n\n") if b.strip())
    return (
        f'<section class="qa-section" id="{attr(dom_id)}">'
        f"<h{level}>{text_html(section.title)}</h{level}>{paragraphs}</section>"
    )


def _block_html(block: str) -> str:
    """A paragraph; a code block (kept verbatim by ingest) as preformatted text, a table as a
    table."""
    verbatim = verbatim_text(block)
    if verbatim is None:
        return f"<p>{text_html(block.strip())}</p>"
    if is_code_block(block):
        return f'<pre class="qa-code"><code>{_inert(verbatim)}</code></pre>'
    return table_html(verbatim)


def _inert(text: str) -> str:
    """`text` escaped like `text_html`, its line breaks as entities that <pre> shows as breaks
    (the output stays free of newlines)."""
    return text.translate(_TABLE).replace("\n", "&#10;")
