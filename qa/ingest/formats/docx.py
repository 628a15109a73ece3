"""Word files by python-docx (MIT): heading styles become sections, list styles list items,
tables rows of cells."""

from __future__ import annotations

import io
import re
import zipfile

SUFFIXES = (".docx",)
_HEADING = re.compile(r"^Heading (\d)$")


def convert(data: bytes) -> str:
    """The document as Markdown: a `# Title`, `##`.. headings, paragraphs, `- ` list items."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError):
        raise ValueError("is not a readable Word (.docx) file") from None
    blocks = [_block(p.style.name if p.style else "", p.text.strip()) for p in document.paragraphs]
    blocks += [_table(t) for t in document.tables]
    title = (document.core_properties.title or "").strip()
    text = "\n\n".join(b for b in blocks if b)
    if title and not text.startswith("# "):
        text = f"# {title}\n\n{text}"
    return text


def _block(style: str, text: str) -> str:
    """One paragraph as a Markdown block, by its style name."""
    if not text:
        return ""
    if style == "Title":
        return f"# {text}"
    heading = _HEADING.match(style)
    if heading:
        return "#" * min(int(heading.group(1)) + 1, 6) + " " + text
    if style.startswith("List"):
        return f"- {text}"
    return text


def _table(table) -> str:
    """A table as Markdown rows of cells."""
    rows = [" | ".join(c.text.strip() for c in row.cells) for row in table.rows]
    return "\n".join(f"| {r} |" for r in rows)
