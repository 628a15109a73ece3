"""Word files by python-docx (MIT): heading styles become sections, list styles list items,
tables rows of cells.

A Word file is a zip archive: before python-docx inflates it, the sizes its directory declares
are checked against `Limits.inflated_bytes` and `Limits.zip_ratio`, so a zip bomb is refused
unopened. A member whose declared size lies is safe too: Python's zipfile stops inflating at the
declared size and the CRC check then fails ("not a readable Word file").
"""

from __future__ import annotations

import io
import re
import zipfile

from qa.ingest.limits import Limits, over

SUFFIXES = (".docx",)
_HEADING = re.compile(r"^Heading (\d)$")
_RATIO_FROM = 1_000_000  # a member inflating to less than this is not judged by its ratio


def convert(data: bytes) -> str:
    """The document as Markdown: a `# Title`, `##`.. headings, paragraphs, `- ` list items."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from lxml.etree import XMLSyntaxError

    check_inflated(data, Limits.from_env())
    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError):
        raise ValueError("is not a readable Word (.docx) file") from None
    except XMLSyntaxError as exc:  # also libxml2 refusing entity expansion (billion laughs)
        raise ValueError(f"is not a readable Word (.docx) file ({exc.msg})") from None
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


def check_inflated(data: bytes, limits: Limits) -> None:
    """Refuse a zip whose members declare more than `limits.inflated_bytes` in all, or one
    that inflates more than `limits.zip_ratio` times (a zip bomb), before inflating any."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, ValueError):
        return  # not a zip: python-docx says so
    total = sum(m.file_size for m in members)
    if total > limits.inflated_bytes:
        mb = f"{total / 1e6:,.0f} MB"
        raise over("inflates to", mb, f"{limits.inflated_bytes / 1e6:,.0f} MB", "inflated_bytes")
    for m in members:
        if m.file_size >= _RATIO_FROM and m.file_size > limits.zip_ratio * max(m.compress_size, 1):
            ratio = f"{m.file_size / max(m.compress_size, 1):,.0f} times"
            raise over(f"has {m.filename} inflating", ratio, f"{limits.zip_ratio}x", "zip_ratio")
