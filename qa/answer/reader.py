"""The learned reader: which candidate sentence answers, whether the document says at all, and
how sure the answer is.

Three logistic models over `qa.answer.reader_features`, trained by `training/reader/train.py`
on labelled questions (SQuAD 2.0 articles and the seed article's dev + tune sets; the data,
its source and licence are in `training/reader/`):

- `picker`: a score of each candidate sentence (softmax over the question's candidates); the
  best one is chosen. Null in the file: the hand-set picker chooses and the reader only judges;
- `refusal`: the probability that the document does not answer the question at all, read from
  the question's candidates as a whole; at or above `refuse_at` the reply says so;
- `confidence`: the probability that the chosen answer is right; below `unsure_below` the page
  and the JSON mark it as unsure.

The weights are a JSON file (`qa/answer/models/reader.json`): a query reads them with numpy
(three dot products, no torch and no ONNX runtime needed for a linear model).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from qa.answer.reader_features import CANDIDATE_FEATURES, QUESTION_FEATURES
from qa.index.embedding import ModelNotFoundError

DEFAULT_PATH = Path(__file__).resolve().parent / "models" / "reader.json"


class ReaderError(ModelNotFoundError):
    """A reader file that cannot be used (missing, corrupt, or for other features): reported
    as a model that cannot be loaded is, in one line, by the CLI and the page."""


@dataclass(frozen=True)
class Linear:
    """A standardised logistic model: logit = ((x - mean) / scale) . coef + intercept."""

    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float

    def logits(self, x: np.ndarray) -> np.ndarray:
        return ((x - self.mean) / self.scale) @ self.coef + self.intercept

    def probability(self, x: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-self.logits(x)))

    def to_json(self) -> dict:
        return {
            "features": list(self.features),
            "mean": _rounded(self.mean),
            "scale": _rounded(self.scale),
            "coef": _rounded(self.coef),
            "intercept": round(float(self.intercept), 6),
        }

    @classmethod
    def from_json(cls, data: dict, expected: tuple[str, ...]) -> Linear:
        features = tuple(data["features"])
        if features != expected:
            raise ReaderError(f"reader features {features} differ from this version's")
        arrays = [np.asarray(data[k], dtype=np.float64) for k in ("mean", "scale", "coef")]
        if any(a.shape != (len(features),) for a in arrays) or (arrays[1] <= 0).any():
            raise ReaderError("reader weights have the wrong shape or a zero scale")
        return cls(features, *arrays, float(data["intercept"]))


@dataclass(frozen=True)
class ReaderModel:
    """The three models and their thresholds."""

    picker: Linear | None  # None: the hand-set picker chooses, the reader judges its choice
    refusal: Linear
    confidence: Linear
    refuse_at: float = 1.0  # above 1: never refuse
    unsure_below: float = 0.0
    top_passages: int = 2
    keep_rules: bool = True  # the hand-set refusal rules still refuse beside the reader
    about: dict = field(default_factory=dict)  # how it was trained: data, licence, seed, figures

    def to_json(self) -> dict:
        return {
            "format": 1,
            "picker": self.picker and self.picker.to_json(),
            "refusal": self.refusal.to_json(),
            "confidence": self.confidence.to_json(),
            "refuse_at": self.refuse_at,
            "unsure_below": self.unsure_below,
            "top_passages": self.top_passages,
            "keep_rules": self.keep_rules,
            "about": self.about,
        }

    @classmethod
    def from_json(cls, data: dict) -> ReaderModel:
        try:
            return cls(
                data["picker"] and Linear.from_json(data["picker"], CANDIDATE_FEATURES),
                Linear.from_json(data["refusal"], QUESTION_FEATURES),
                Linear.from_json(data["confidence"], QUESTION_FEATURES),
                float(data["refuse_at"]),
                float(data["unsure_below"]),
                int(data["top_passages"]),
                bool(data["keep_rules"]),
                dict(data.get("about") or {}),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ReaderError(f"reader file is not usable: {exc}") from None

    def save(self, path: Path) -> None:
        """Write atomically (a temporary file, then a rename)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.to_json(), indent=1) + "\n", encoding="utf-8")
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path = DEFAULT_PATH) -> ReaderModel:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ReaderError(f"cannot read the reader file {path}: {exc}") from None
        return cls.from_json(data)


@dataclass(frozen=True)
class Judgement:
    """The reader's view of one question: refuse it?, and how likely its answer is right."""

    refuse: bool
    unanswerable: float
    confidence: float


def judge(reader: ReaderModel, question: np.ndarray) -> Judgement:
    """Apply the refusal and confidence models to a question's `QUESTION_FEATURES` row."""
    unanswerable = float(reader.refusal.probability(question))
    confidence = float(reader.confidence.probability(question))
    return Judgement(unanswerable >= reader.refuse_at, unanswerable, confidence)


def default_reader() -> ReaderModel | None:
    """The shipped reader, unless `QA_READER=off` (then the hand-set picker and rules answer),
    or the reader file `QA_READER` names."""
    choice = os.environ.get("QA_READER", "")
    if choice.lower() in ("off", "0", "none", "rules"):
        return None
    path = Path(choice) if choice else DEFAULT_PATH
    if not choice and not path.exists():
        return None
    return ReaderModel.load(path)


def _rounded(a: np.ndarray) -> list[float]:
    return [round(float(x), 6) for x in a]
