"""The answer contract shared by `qa ask --json`, the API and the page."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Passage:
    """A retrieved passage; `answer_start/end` locate the answer sentence inside `text`."""

    id: int
    text: str
    doc: str
    section: str
    anchor: str
    score: float
    start: int
    end: int
    answer_start: int | None = None
    answer_end: int | None = None


@dataclass(frozen=True)
class AskResult:
    """One question's answer: `abstained` is true when the document does not say."""

    question: str
    abstained: bool
    answer: str | None
    passages: list[Passage] = field(default_factory=list)

    def to_json(self) -> dict:
        return asdict(self)
