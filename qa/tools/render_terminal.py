"""Plain-text rendering of an answer for a terminal."""

from __future__ import annotations

import textwrap

from qa.answer.result import AskResult


def render_terminal(result: AskResult, width: int = 88) -> str:
    """The answer, then each passage with its section, score and the answer sentence marked."""
    lines = [textwrap.fill(result.answer or "", width), ""]
    if result.unsure and not result.abstained:
        lines[1:1] = [textwrap.fill(f"({result.doubt()})", width)]
    if result.withheld and result.closest:
        lines[1:1] = [textwrap.fill(f"Closest sentence: {result.closest}", width)]
    label = "Nearest passages" if result.abstained else "Passages"
    lines.append(f"{label}:")
    for i, p in enumerate(result.passages, 1):
        text = p.text
        if p.answer_start is not None:
            a, b = p.answer_start, p.answer_end
            text = f"{text[:a]}>>{text[a:b]}<<{text[b:]}"
        lines.append(f"\n[{i}] {p.section}  (#{p.anchor}, score {p.score:.2f})")
        lines.append(textwrap.indent(textwrap.fill(text, width - 4), "    "))
    return "\n".join(lines)
