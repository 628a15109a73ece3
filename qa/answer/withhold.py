"""The floor under an answer (issue 26, item 4): an answer the reader doubts AND whose passage
scores weakly is not presented as the answer. The result then says the document may not
answer the question, keeps the sentence in its own field (`closest`) and shows the nearest
passages.

The two thresholds are calibrated on held-out articles (`training/withhold.py`). No floor ships
on by default: every calibration measured so far withheld seed-article answers that were right
or counted wrong answers as refusals past the 3 % bound (docs/retrieval.md, "Readers' words").
`QA_WITHHOLD=path/to/floor.json` turns one on; `models/withhold.json`, when present, is the
default, and `QA_WITHHOLD=off` turns it off.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_PATH = Path(__file__).resolve().parent / "models" / "withhold.json"
WITHHELD = (
    "The {noun} may not answer this: its closest sentence is below, but the reader doubts it "
    "answers the question. Check the nearest passages."
)


@dataclass(frozen=True)
class Floor:
    """Withhold when the reader's confidence is below `confidence_below` and the answer's
    passage scores below `score_below` (its fused retrieval score)."""

    confidence_below: float
    score_below: float
    about: dict = field(default_factory=dict)

    def withholds(self, confidence: float | None, score: float) -> bool:
        if confidence is None:
            return False
        return confidence < self.confidence_below and score < self.score_below

    def to_json(self) -> dict:
        return {
            "confidence_below": self.confidence_below,
            "score_below": self.score_below,
            "about": self.about,
        }

    @classmethod
    def load(cls, path: Path) -> Floor:
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(
            float(data["confidence_below"]), float(data["score_below"]), data.get("about") or {}
        )


def default_floor() -> Floor | None:
    """The shipped floor, unless `QA_WITHHOLD=off`, or the file `QA_WITHHOLD` names."""
    choice = os.environ.get("QA_WITHHOLD", "")
    if choice.lower() in ("off", "0", "none"):
        return None
    path = Path(choice) if choice else DEFAULT_PATH
    if not choice and not path.exists():
        return None
    return Floor.load(path)
