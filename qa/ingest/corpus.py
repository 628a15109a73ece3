"""Reading the corpus directory: which files are documents, and their text (via the format's
converter in `qa.ingest.formats`)."""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from qa.ingest.convert import suffixes, to_markdown
from qa.ingest.limits import Limits, check_text, over

SUFFIXES = suffixes()


class CorpusError(RuntimeError):
    """A corpus file cannot be used; the message names it and says why, in one line."""


@dataclass(frozen=True)
class SourceFile:
    """One document's text (Markdown for the cleaner) and the hash of its bytes."""

    doc_id: str
    text: str
    sha256: str


@dataclass(frozen=True)
class Corpus:
    """The readable documents, and the files left out with the reason (`skip_bad` only)."""

    sources: list[SourceFile]
    skipped: list[str]


def corpus_paths(corpus_dir: Path) -> list[Path]:
    """The document files in `corpus_dir`, sorted by name."""
    if not corpus_dir.is_dir():
        raise CorpusError(f"corpus directory {corpus_dir} does not exist")
    return sorted(p for p in corpus_dir.iterdir() if p.is_file() and p.suffix.lower() in SUFFIXES)


def file_hashes(corpus_dir: Path) -> dict[str, str]:
    """{file name: sha256 of its bytes} for every document file (none over the size limit
    is read: its size stands in for the hash)."""
    limit = Limits.from_env().file_bytes
    return {p.name: _hash_file(p, limit) for p in corpus_paths(corpus_dir)}


def read_corpus(corpus_dir: Path, skip_bad: bool = False) -> list[SourceFile]:
    """Every document as text; a bad file raises `CorpusError` (see `read_documents`)."""
    return read_documents(corpus_dir, skip_bad).sources


def read_documents(corpus_dir: Path, skip_bad: bool = False, known: Collection[str] = ()) -> Corpus:
    """Every readable document but those named in `known` (the caller has them already). A
    file that cannot be used raises `CorpusError` naming it, or with `skip_bad` is left out and
    listed in `Corpus.skipped`."""
    paths = corpus_paths(corpus_dir)
    if not paths:
        kinds = ", ".join(SUFFIXES)
        raise CorpusError(f"corpus directory {corpus_dir} has no document files ({kinds})")
    todo = [p for p in paths if p.name not in known]
    sources, skipped = [], []
    # A progress bar on a terminal only (disable=None), so logs and errors stay one line each.
    for path in tqdm(todo, desc="reading documents", unit="doc", disable=None, leave=False):
        try:
            sources.append(read_source(path))
        except CorpusError as exc:
            if not skip_bad:
                raise
            skipped.append(str(exc))
    if not sources and len(todo) == len(paths):
        raise CorpusError(f"corpus directory {corpus_dir} has no readable document")
    return Corpus(sources, skipped)


def read_source(path: Path) -> SourceFile:
    """One file's text; `CorpusError` naming the file and the reason if it cannot be used (over
    one of the `Limits`: the reason names the limit and its variable)."""
    limits = Limits.from_env()
    try:
        size = path.stat().st_size
        if size > limits.file_bytes:
            raise over(
                "is", f"{size / 1e6:.0f} MB", f"{limits.file_bytes / 1e6:.0f} MB", "file_bytes"
            )
        data = path.read_bytes()
        text = to_markdown(data, path.suffix)
        check_text(text, limits)
    except OSError as exc:
        raise CorpusError(f"cannot read {path}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise CorpusError(f"{path} {exc}") from None
    except Exception as exc:  # a converter's library failed in a way it does not name
        reason = " ".join(f"{type(exc).__name__}: {exc}".split())[:200]
        raise CorpusError(f"{path} cannot be converted ({reason})") from None
    if not text.strip():
        raise CorpusError(f"{path} is empty")
    return SourceFile(path.name, text, hashlib.sha256(data).hexdigest())


def _hash_file(path: Path, limit: int) -> str:
    size = path.stat().st_size
    if size > limit:
        return f"size:{size}"
    return hashlib.sha256(path.read_bytes()).hexdigest()
