"""Plain data passed between the pipeline stages."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Section:
    """A titled part of a cleaned document; `start`/`end` locate its body in `Document.text`."""

    title: str
    anchor: str
    level: int
    start: int
    end: int


@dataclass(frozen=True)
class Document:
    """A cleaned document: its full text and the sections that partition its body."""

    doc_id: str
    title: str
    text: str
    sections: list[Section]


@dataclass(frozen=True)
class Chunk:
    """A window of whole sentences inside one section.

    `start`/`end` are offsets into the cleaned document text; `sentences` holds
    (start, end) offsets of each sentence, also into the document text.
    """

    chunk_id: int
    doc_id: str
    section: str
    anchor: str
    start: int
    end: int
    text: str
    sentences: list[tuple[int, int]] = field(default_factory=list)

    def span_text(self, start: int, end: int) -> str:
        """The text between two document offsets that lie inside this chunk."""
        return self.text[start - self.start : end - self.start]

    def to_json(self) -> dict:
        data = asdict(self)
        data["sentences"] = [list(s) for s in self.sentences]
        return data

    @classmethod
    def from_json(cls, data: dict) -> Chunk:
        data = dict(data)
        data["sentences"] = [tuple(s) for s in data["sentences"]]
        return cls(**data)
