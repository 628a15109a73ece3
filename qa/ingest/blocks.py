"""Markdown blocks that are not prose: fenced code and tables are kept whole and verbatim (out
of cleaning and sentence splitting); list items become paragraphs of their own."""

from __future__ import annotations

import re

_FENCE = re.compile(r"^\s*(```|~~~)")
_TABLE_ROW = re.compile(r"^\s*\|")
# a table inside a longer text: consecutive lines that each open like `_TABLE_ROW`
_TABLE_LINES = re.compile(r"(?:^|(?<=\n))[ \t]*\|[^\n]*(?:\n[ \t]*\|[^\n]*)*")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+\u2022]|\d{1,3}[.)])\s+\S")
_MARK = "\ue000({})"  # a placeholder line: private-use character, no word characters
_PLACEHOLDER = re.compile(r"^\ue000\((\d+)\)$")


def protect(lines: list[str]) -> tuple[list[str], list[str]]:
    """`lines` with each fenced code block and table replaced by a placeholder paragraph,
    and the blocks themselves (blank lines inside a block become a single space, so that the
    block stays one paragraph)."""
    out: list[str] = []
    blocks: list[str] = []
    i = 0
    while i < len(lines):
        end = _block_end(lines, i)
        if end == i:
            out.append(lines[i])
            i += 1
            continue
        blocks.append("\n".join(line.rstrip() or " " for line in lines[i:end]).strip("\n"))
        out.extend(["", _MARK.format(len(blocks) - 1), ""])
        i = end
    return out, blocks


def _block_end(lines: list[str], i: int) -> int:
    """The index after the fenced block or table starting at line `i`, or `i` if none does."""
    fence = _FENCE.match(lines[i])
    if fence:
        for j in range(i + 1, len(lines)):
            if lines[j].strip().startswith(fence.group(1)):
                return j + 1
        return len(lines)
    j = i
    while j < len(lines) and _TABLE_ROW.match(lines[j]):
        j += 1
    return j if j - i >= 2 else i


def restore(paragraph: str, blocks: list[str]) -> str | None:
    """The verbatim block a placeholder paragraph stands for, or None for prose."""
    m = _PLACEHOLDER.match(paragraph.strip())
    return blocks[int(m.group(1))] if m else None


def is_verbatim(paragraph: str) -> bool:
    """True for a code block or table paragraph: one span, never split into sentences."""
    return bool(_FENCE.match(paragraph) or _TABLE_ROW.match(paragraph))


def table_spans(text: str) -> list[tuple[int, int]]:
    """The (start, end) offsets of each table in `text` (a passage of several paragraphs)."""
    return [m.span() for m in _TABLE_LINES.finditer(text)]


def is_code_block(paragraph: str) -> bool:
    """True for a fenced code block paragraph."""
    return bool(_FENCE.match(paragraph))


def verbatim_text(paragraph: str) -> str | None:
    """A verbatim paragraph as it should be shown: a code block's code without its fences, a
    table as written; None for prose."""
    if not is_verbatim(paragraph):
        return None
    lines = paragraph.strip("\n").split("\n")
    if not _FENCE.match(lines[0]):
        return "\n".join(lines)
    closed = len(lines) > 1 and _FENCE.match(lines[-1])
    return "\n".join(lines[1:-1] if closed else lines[1:])


def split_list_items(paragraph: str) -> list[str]:
    """A paragraph's text before its list, then each list item (with the lines that continue
    it), each as one piece; a paragraph without list items is one piece."""
    pieces: list[list[str]] = [[]]
    for line in paragraph.split("\n"):
        if _LIST_ITEM.match(line) and pieces[-1]:
            pieces.append([])
        pieces[-1].append(line)
    return ["\n".join(p) for p in pieces]
