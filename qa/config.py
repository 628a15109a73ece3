"""Settings: where the corpus and index live, which model, how to chunk. Env vars override.

Shared by every stage; imports nothing from `qa`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAX_QUESTION_CHARS = 2000
MAX_DOCUMENT_BYTES = 50_000_000  # a larger corpus file is refused before it is read


@dataclass(frozen=True)
class ChunkParams:
    """A chunk grows sentence by sentence up to `max_chars`; the next one repeats the last
    `overlap` sentences of the previous chunk."""

    max_chars: int = 800
    overlap: int = 2

    def __post_init__(self) -> None:
        if self.max_chars < 1 or self.overlap < 0:
            raise ValueError("max_chars must be >= 1 and overlap >= 0")


@dataclass(frozen=True)
class Settings:
    """Everything a build or a query needs to know; `from_env` reads the QA_* variables."""

    corpus_dir: Path = ROOT / "corpus"
    index_dir: Path = ROOT / "index"
    data_dir: Path = ROOT / "data"
    model: str | None = None
    chunk: ChunkParams = field(default_factory=ChunkParams)
    store: str | None = None  # None: the files in `index_dir`; else a URI (`qa.index.stores`)

    @classmethod
    def from_env(cls, **overrides) -> Settings:
        env = {
            "corpus_dir": os.environ.get("QA_CORPUS"),
            "index_dir": os.environ.get("QA_INDEX"),
            "data_dir": os.environ.get("QA_DATA_DIR"),
            "model": os.environ.get("QA_MODEL"),
            "store": os.environ.get("QA_STORE"),
        }
        values = {k: v for k, v in env.items() if v}
        values.update({k: v for k, v in overrides.items() if v is not None})
        for key in ("corpus_dir", "index_dir", "data_dir"):
            if key in values:
                values[key] = Path(values[key])
        return cls(**values)
