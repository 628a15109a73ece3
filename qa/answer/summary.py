"""Requests for a summary of the document ("Summarise the article", "What's the gist?").

The pipeline extracts; it does not write. A document states its own summary in its opening
(what it will cover) and its closing section (its conclusion), so a summary request is
answered from those two sections of the best-matching document, by the usual sentence picker.
A request is one that uses a summary term and names no subject besides the document itself,
so "What is the analysts' bottom line?" and "What does the article say about China?" stay
ordinary questions.
"""

from __future__ import annotations

import re

from qa.answer.ranking import Ranked
from qa.index.lexical import tokens
from qa.ingest.documents import Chunk

_TERMS = re.compile(
    r"\b(?:summar(?:y|ies|i[sz]e[sd]?|i[sz]ing)|sum (?:it |this |that )?up|recap|synopsis|gist"
    r"|overview|outline|tl;?\s?dr|in a nutshell|bottom line|rundown|run-down|main (?:point|idea"
    r"|argument|message|takeaway)s?|key (?:point|takeaway|message)s?|takeaways?"
    r"|(?:this|the) (?:article|piece|text|document|post|page)(?: says?| is)? (?:about|covers?)"
    r"\s*\??$)(?:\b|$)",
    re.IGNORECASE,
)
# Words of a summary request that are not its subject.
_REQUEST_WORDS = frozenset(
    tokens(
        "summary summarise summarize sum up recap synopsis gist overview outline tl dr nutshell "
        "bottom line rundown run down main key point points idea argument message takeaway "
        "takeaways give tell quick short brief briefly sentence sentences two few words please "
        "cover covers going whole overall article piece text document post page essay report "
        "author writer"
    )
)


def is_summary_request(question: str) -> bool:
    """Whether `question` asks for a summary of the document rather than about a subject."""
    if not _TERMS.search(question):
        return False
    return all(t in _REQUEST_WORDS for t in tokens(question))


def opening_and_closing(ranked: list[Ranked], chunks: list[Chunk]) -> list[Ranked]:
    """The ranked chunks of the first and last sections of the top chunk's document."""
    if not ranked:
        return ranked
    doc = chunks[ranked[0].chunk_id].doc_id
    anchors = [c.anchor for c in chunks if c.doc_id == doc]
    ends = {anchors[0], anchors[-1]}
    return [
        r for r in ranked if chunks[r.chunk_id].doc_id == doc and chunks[r.chunk_id].anchor in ends
    ]
