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
    """One question's answer: `abstained` is true when the document does not say;
    `confidence` is the learned reader's probability that the answer is right (None without a
    reader), and `unsure` marks an answer it doubts. `withheld` is true when a doubted answer
    over a weak passage is held back (`abstained` too): `closest` then keeps its sentence."""

    question: str
    abstained: bool
    answer: str | None
    passages: list[Passage] = field(default_factory=list)
    confidence: float | None = None
    unsure: bool = False
    withheld: bool = False  # the reader doubts the closest sentence and its passage is weak
    closest: str | None = None  # that sentence, when withheld (not shown as the answer)

    def to_json(self) -> dict:
        return asdict(self)

    def doubt(self) -> str:
        """The note shown under an unsure answer (the page, the terminal)."""
        chance = round(100 * (self.confidence or 0.0))
        return (
            "Unsure: this is the closest sentence the document has, but the reader rates its "
            f"chance of answering the question at {chance}%. Check the passages below."
        )
