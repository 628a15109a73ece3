"""Raw text or Markdown (scraped or hand-written) -> a clean `Document` of titled sections.

Handles both real line-broken Markdown (`#` headings on their own lines) and scraped pages
that arrive as one long line: inline `###` headings running into their first sentence, a
table of contents whose links give each heading's exact title and anchor, bold markers,
repeated image captions and an author card with social links after the article.
"""

from __future__ import annotations

import re
from collections import Counter

from qa.ingest.author_blocks import drop_author_paragraphs, drop_author_sections
from qa.ingest.blocks import protect, restore, split_list_items
from qa.ingest.documents import Document, Section
from qa.ingest.pii import redact

INTRO_TITLE = "Introduction"
# Every pattern here runs over whole paragraphs, which in a scraped page can be one line of
# megabytes: each is written so that no run of characters is scanned again from each of its
# positions (no pattern may take time growing with the square of a line's length). Brackets
# and parentheses do not nest inside a link's text and target (one level in a target).
# the `*` and blanks before the title are found by `_toc_start`
_TOC_TITLE = re.compile(r"Table of Contents\s*\**:?", re.IGNORECASE)
_TOC_LINK = re.compile(r"\[([^\[\]]+)\]\(#([^()\[\]\s]+)\)")
_HEADING = re.compile(r"(?:^|(?<=\s))(#{1,6})\s+")
_RULE = re.compile(r"(?:^|\s)(?:-{3,}|\*{3,}|_{3,})(?=\s|$)")
_KV_BULLET = re.compile(r"^\s*[•*+\-]\s*[\w ]{1,30}\s:\s?.*$")
_LABEL = re.compile(r"^\s*[\w][\w ]{0,30}:\s*$")
_TARGET = r"\((?:[^()]|\([^()]*\))*\)"
_IMAGE = re.compile(r"!\[[^\[\]]*\]" + _TARGET)
_LINK = re.compile(r"\[([^\[\]]+)\]" + _TARGET)
_CODE_SPAN = re.compile(r"(?<!`)(`+)[^`].*?\1")
_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")  # CommonMark: a backslash before punctuation
_HELD = re.compile("\ue000(\\d+)\ue001")
_HIDDEN_OPEN = re.compile(r"<(script|style)\b[^<>]*>|<!--", re.IGNORECASE)
_HIDDEN_CLOSE = {
    "script": re.compile(r"</script\s*>", re.IGNORECASE),
    "style": re.compile(r"</style\s*>", re.IGNORECASE),
    "": re.compile("-->"),
}
# Tags that end a line or a block: their place becomes a space, so words do not run together
_BREAK = re.compile(
    r"</?(?:br|p|div|details|summary|li|ul|ol|dl|dt|dd|tr|td|th|table|h[1-6]|blockquote"
    r"|section|article|header|footer|figure|figcaption|hr)\b[^<>]*/?>",
    re.IGNORECASE,
)
_SPACES = re.compile(r"(?<=\S)[ \t]{2,}(?=\S)")  # as left where a tag was taken out
_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>")
# __strong__ (its markers dropped), not snake__case
_UNDERSCORES = re.compile(r"(?<![\w_])__(?=\S)((?:(?!__).)+?)(?<=\S)__(?![\w_])")
_SENTENCE_END = (".", "!", "?", '"', "\u201d", ")")
_CAPTION_CHARS = 80  # a repeated line up to this long without sentence punctuation is a caption
# Page furniture inside the text: calls to action addressed to the reader. A sentence is one
# when it is an imperative (optionally after "please", "don't forget to", "be sure to", "feel
# free to") of a reader action AND it is about the page itself: comments, sharing, subscribing,
# following, the site's other articles. Either alone is ordinary prose ("Leave the kettle to
# cool.", "Russia's share of the market grew."). A "Read more"/"Related" line is furniture by
# its opening words. Questions to the reader ("What do you think?") just before such a call
# are its prompt and go with it.
_CTA_LEAD = re.compile(
    r"^(?:please\s+|(?:do(?:n't|n\u2019t| not) forget|be sure|make sure|feel free) to\s+)?"
    r"(?:share|comment|leave|let|tell|subscribe|sign|follow|join|explore|read|check|discover|"
    r"click|tap|visit|download|like|stay|bookmark|drop|register|browse|see|find|head|keep)\b",
    re.IGNORECASE,
)
_CTA_OBJECT = re.compile(
    r"\b(?:comments?(?: section| below)?|below|newsletters?|subscribe|subscription|inbox|"
    r"follow us|social media|our (?:other |latest |related |more )*(?:articles?|posts?|stories|"
    r"guides?|blogs?|site|website|channel|coverage|content)|this (?:article|post|story|page)|"
    r"with (?:your )?friends|stay tuned|let us know|tell us|sign up|read more|more articles)\b",
    re.IGNORECASE,
)
_FURNITURE_LINE = re.compile(
    r"^(?:read more|read next|related(?: articles| posts| stories)?|see also|you may also like|"
    r"recommended(?: for you| reading)?|more from)\b\s*[:\-\u2013\u2014]",
    re.IGNORECASE,
)
_READER_QUESTION = re.compile(r"\b(?:you|your|yours|yourself)\b", re.IGNORECASE)
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[\"\u201c'(\w])")
_SMALL_WORDS = {
    "a",
    "an",
    "and",
    "as",
    "at",
    "by",
    "for",
    "from",
    "in",
    "into",
    "of",
    "on",
    "or",
    "the",
    "to",
    "vs",
    "with",
    "about",
    "amid",
    "amidst",
    "over",
    "under",
    "between",
}


def slugify(title: str) -> str:
    """GitHub-style anchor: lower case, punctuation dropped, spaces to hyphens."""
    slug = re.sub(r"[^\w\s-]", "", title.lower())
    return re.sub(r"\s", "-", slug.strip())


def clean_document(raw: str, doc_id: str) -> Document:
    """Clean one raw document into a titled list of sections (see module docstring)."""
    lines = raw.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff").split("\n")
    title_index = next((i for i, line in enumerate(lines) if line.strip()), None)
    if title_index is None:
        raise ValueError("document is empty")
    first = lines[title_index].strip()
    rest = lines[title_index + 1 :]
    if first.startswith("#") or (len(first) <= 200 and any(line.strip() for line in rest)):
        title = _strip_inline(first.lstrip("#").strip())
    else:  # no title line: name the document after its file, keep every line as body
        title, rest = _title_from_id(doc_id), lines[title_index:]
    rest, blocks = protect(rest)
    body = "\n".join(_drop_junk_lines(rest))
    body, toc = _remove_toc(body)
    sections = _split_sections(body, toc)
    return _assemble(doc_id, title, sections, blocks)


def _title_from_id(doc_id: str) -> str:
    """A readable title from a file name: `tea-in-britain.md` -> `Tea in britain`."""
    stem = re.sub(r"\.\w+$", "", doc_id).replace("-", " ").replace("_", " ").strip()
    return stem[:1].upper() + stem[1:] if stem else doc_id


def _drop_junk_lines(lines: list[str]) -> list[str]:
    """Drop repeated captions, key-value cards, bare labels and the trailing run of such lines."""
    stripped = [line.strip() for line in lines]
    counts = Counter(s for s in stripped if s)
    captions = {
        s
        for s, n in counts.items()
        if n >= 2 and len(s) <= _CAPTION_CHARS and not s.endswith(_SENTENCE_END)
    }
    kept: list[str] = []
    for line, s in zip(lines, stripped, strict=True):
        if s in captions or _KV_BULLET.match(line) or _LABEL.match(line):
            continue
        kept.append(_strip_trailing_captions(line, captions))
    while kept and _is_tail_junk(kept[-1]):
        kept.pop()
    return kept


def _strip_trailing_captions(line: str, captions: set[str]) -> str:
    """`line` without the captions glued to its end: only the line's last words are looked up
    among the captions (not every caption tried on every line: that was captions x lines)."""
    changed = True
    while changed:
        changed = False
        head = line.rstrip()
        for i in range(len(head) - 1, max(len(head) - _CAPTION_CHARS - 2, 0), -1):
            if head[i] == " " and head[i + 1 :] in captions:
                stripped = _strip_trailing_caption(line, head[i + 1 :])
                if stripped != line:
                    line, changed = stripped, True
                    break
    return line


def _strip_trailing_caption(line: str, caption: str) -> str:
    """Remove a caption glued to the end of a paragraph (`...region. Map of X`)."""
    head = line.rstrip()
    if head.endswith(" " + caption) and head[: -len(caption)].rstrip().endswith(_SENTENCE_END):
        return head[: -len(caption)].rstrip()
    return line


def _is_tail_junk(line: str) -> bool:
    """An empty line or a short label without sentence punctuation ("Socials")."""
    s = line.strip()
    return not s or (len(s.split()) <= 3 and not s.endswith(_SENTENCE_END) and "#" not in s)


def _remove_toc(body: str) -> tuple[str, dict[str, str]]:
    """Cut a table of contents out of `body`; return it as {exact title: anchor}."""
    start = _toc_start(body)
    if not start:
        return body, {}
    begin, end = start
    links = []
    for m in _TOC_LINK.finditer(body, end):
        gap = body[end : m.start()]
        if not re.fullmatch(r"[\s*\-+\d.]*", gap):
            break
        links.append(m)
        end = m.end()
    if not links:
        return body, {}
    rule = re.match(r"\s*-{3,}", body[end:])
    if rule:
        end += rule.end()
    toc = {_strip_inline(m.group(1)): m.group(2) for m in links}
    return body[:begin] + "\n\n" + body[end:], toc


def _toc_start(body: str) -> tuple[int, int] | None:
    """(start, end) of the "Table of Contents" heading with the `*` and blanks before it."""
    m = _TOC_TITLE.search(body)
    if not m:
        return None
    begin = m.start()
    while begin and body[begin - 1].isspace():
        begin -= 1
    while begin and body[begin - 1] == "*":
        begin -= 1
    return begin, m.end()


def _split_sections(body: str, toc: dict[str, str]) -> list[tuple[str, str, int, str]]:
    """(title, anchor, level, raw body) for the intro and each heading in `body`."""
    marks = list(_HEADING.finditer(body))
    parts = [(INTRO_TITLE, "", 1, body[: marks[0].start() if marks else len(body)])]
    for i, m in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(body)
        text = body[m.end() : end]
        title, rest = _heading_title(text, toc)
        parts.append((title, toc.get(title, ""), len(m.group(1)), rest))
    return parts


def _heading_title(text: str, toc: dict[str, str]) -> tuple[str, str]:
    """Split a heading's title from the text after it.

    A heading on its own line ends at the newline. An inline heading ends where a title from
    the table of contents ends; without one, before the capitalised word that starts the first
    sentence (the word before the first lower-case content word).
    """
    line, newline, after = text.partition("\n")
    if newline and (len(line) < 200 or not after.strip()):
        return _strip_inline(line.strip().rstrip("#").strip()), after
    for title in sorted(toc, key=len, reverse=True):
        if _strip_inline(text).startswith(title + " "):
            return title, _cut_title(text, title)
    words = text.split(" ")
    for i, word in enumerate(words[1:], start=1):
        bare = re.sub(r"\W", "", word)
        if bare and bare[0].islower() and bare.lower() not in _SMALL_WORDS and i >= 2:
            return _strip_inline(" ".join(words[: i - 1])), " ".join(words[i - 1 :])
    return _strip_inline(line.strip()), after


def _cut_title(text: str, title: str) -> str:
    """The part of `text` after `title`, which may carry inline markers in the raw text."""
    plain = 0
    for i, ch in enumerate(text):
        if ch == "*":
            continue
        plain += 1
        if plain == len(title):
            return text[i + 1 :]
    return ""


def _strip_inline(text: str) -> str:
    """Drop Markdown images, link targets and emphasis markers, keeping the words; code spans
    (`__init__.py`, `a**2`) stay as written."""
    out, last = [], 0
    for span in _CODE_SPAN.finditer(text):
        out += [_strip_markup(text[last : span.start()]), span.group(0)]
        last = span.end()
    return "".join(out) + _strip_markup(text[last:])


def _strip_markup(text: str) -> str:
    """Markdown and inline HTML reduced to the words a reader sees: scripts, styles and
    comments dropped, other tags removed around their text (a block or `<br>` tag leaves a
    space), and backslash escapes (`\\<`, `\\_`) read as the characters they protect, which
    no other rule touches."""
    held: list[str] = []

    def hold(match: re.Match) -> str:
        held.append(match.group(1))
        return f"\ue000{len(held) - 1}\ue001"

    text = _ESCAPED.sub(hold, text)
    text = _drop_hidden(text)
    text = _BREAK.sub(" ", text)
    text = _TAG.sub("", text)
    text = _IMAGE.sub("", text)
    text = _LINK.sub(r"\1", text)
    text = _UNDERSCORES.sub(r"\1", text.replace("**", ""))
    text = _SPACES.sub(" ", text)
    return _HELD.sub(lambda m: held[int(m.group(1))], text)


def _drop_hidden(text: str) -> str:
    """`text` without scripts, styles and comments (each becomes a space); the tag alone of a
    script or style that is never closed. Each closing tag is searched for once per kind."""
    out, at, unclosed = [], 0, set()
    while m := _HIDDEN_OPEN.search(text, at):
        kind = (m.group(1) or "").lower()
        close = None if kind in unclosed else _HIDDEN_CLOSE[kind].search(text, m.end())
        if close is None:
            unclosed.add(kind)  # none after here, so none after any later opening either
        end = close.end() if close else m.end()
        out += [text[at : m.start()], " " if close or kind else m.group(0)]
        at = end
    return "".join(out) + text[at:]


def _clean_body(raw: str, blocks: list[str]) -> str:
    """Inline markup removed, rules dropped, lines joined into paragraphs (a list item is one),
    calls to action dropped, code and tables put back verbatim, PII redacted."""
    paragraphs = []
    for part in re.split(r"\n\s*\n", raw):
        block = restore(part, blocks)
        if block is not None:
            paragraphs.append(block)
            continue
        text = _RULE.sub(" ", _strip_inline(part))
        paragraphs += [_drop_calls_to_action(" ".join(p.split())) for p in split_list_items(text)]
    paragraphs = drop_author_paragraphs([p for p in paragraphs if p])
    return redact("\n\n".join(paragraphs))


def is_call_to_action(sentence: str) -> bool:
    """True for a sentence addressed to the reader about the page: comment, share, subscribe,
    follow, read our other articles (see `_CTA_LEAD`)."""
    s = sentence.strip().lstrip("*_\"'\u201c(").strip()
    if _FURNITURE_LINE.match(s):
        return True
    return bool(_CTA_LEAD.match(s) and _CTA_OBJECT.search(s))


def _drop_calls_to_action(paragraph: str) -> str:
    """`paragraph` without its calls to action and the reader questions that lead into them."""
    sentences = _SENTENCE_SPLIT.split(paragraph)
    drop = [is_call_to_action(s) for s in sentences]
    if not any(drop):
        return paragraph
    for i in range(len(sentences) - 1, 0, -1):  # "What do you think? Share it below."
        if drop[i] and not drop[i - 1]:
            j = i - 1
            while (
                j >= 0
                and sentences[j].rstrip().endswith("?")
                and (_READER_QUESTION.search(sentences[j]))
            ):
                drop[j] = True
                j -= 1
    return " ".join(s for s, d in zip(sentences, drop, strict=True) if not d)


def _assemble(
    doc_id: str, title: str, parts: list[tuple[str, str, int, str]], blocks: list[str]
) -> Document:
    """Join title, headings and bodies into one text and record each body's offsets."""
    text = title + "\n\n"
    sections: list[Section] = []
    used: set[str] = set()
    for sec_title, anchor, level, raw in drop_author_sections(parts):
        body = _clean_body(raw, blocks)
        if not body:
            continue
        anchor = _unique(anchor or slugify(sec_title) or "section", used)
        if sec_title != INTRO_TITLE or sections:
            text += sec_title + "\n\n"
        start = len(text)
        text += body
        sections.append(Section(sec_title, anchor, level, start, len(text)))
        text += "\n\n"
    if not sections:
        raise ValueError("document has no text after cleaning")
    return Document(doc_id=doc_id, title=title, text=text.rstrip() + "\n", sections=sections)


def _unique(anchor: str, used: set[str]) -> str:
    candidate, n = anchor, 1
    while candidate in used:
        candidate, n = f"{anchor}-{n}", n + 1
    used.add(candidate)
    return candidate
