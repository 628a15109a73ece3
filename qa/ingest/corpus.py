"""Reading the corpus directory: which files are documents, and their bytes."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

SUFFIXES = (".txt", ".md", ".markdown")


class CorpusError(RuntimeError):
    """A corpus file cannot be used; the message names it."""


@dataclass(frozen=True)
class SourceFile:
    """One document's raw text and the hash of its bytes."""

    doc_id: str
    text: str
    sha256: str


def corpus_paths(corpus_dir: Path) -> list[Path]:
    """The document files in `corpus_dir`, sorted by name."""
    if not corpus_dir.is_dir():
        raise CorpusError(f"corpus directory {corpus_dir} does not exist")
    return sorted(p for p in corpus_dir.iterdir() if p.is_file() and p.suffix.lower() in SUFFIXES)


def file_hashes(corpus_dir: Path) -> dict[str, str]:
    """{file name: sha256 of its bytes} for every document file."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in corpus_paths(corpus_dir)}


def read_corpus(corpus_dir: Path) -> list[SourceFile]:
    """Every document as text; an unreadable, non-UTF-8 or empty file raises `CorpusError`."""
    paths = corpus_paths(corpus_dir)
    if not paths:
        raise CorpusError(f"corpus directory {corpus_dir} has no .txt or .md files")
    return [_read(p) for p in paths]


def _read(path: Path) -> SourceFile:
    try:
        data = path.read_bytes()
        text = data.decode("utf-8")
    except OSError as exc:
        raise CorpusError(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise CorpusError(f"{path} is not UTF-8 text") from None
    if not text.strip():
        raise CorpusError(f"{path} is empty")
    return SourceFile(path.name, text, hashlib.sha256(data).hexdigest())
