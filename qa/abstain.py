"""Deciding when the document does not answer the question."""

from __future__ import annotations

from dataclasses import dataclass

from qa.answer import AnswerSentence
from qa.ranking import Ranked


@dataclass(frozen=True)
class Decision:
    abstain: bool
    reason: str = ""


class AbstentionPolicy:
    """Placeholder thresholds; calibrated below."""

    def __init__(self, vocabulary: set[str]) -> None:
        self.vocabulary = vocabulary

    def decide(
        self, question: str, ranked: list[Ranked], answer: AnswerSentence | None, follow_up: bool
    ) -> Decision:
        if not ranked or answer is None or ranked[0].dense < 0.3:
            return Decision(True)
        return Decision(False)
