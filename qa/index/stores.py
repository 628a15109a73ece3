"""Which store holds the index, chosen by URI (`qa build --store URI`, `$QA_STORE`).

No URI: the FAISS + bm25s files in the index directory (the default). `milvus:///path/x.db` or
a path ending `.db`: a milvus-lite file. `http://host:19530` (or https, tcp): a Milvus server
or cluster. Milvus code, and pymilvus, load only for a Milvus URI.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from qa.config import Settings

SERVER_SCHEMES = ("http://", "https://", "tcp://", "grpc://")


@dataclass(frozen=True)
class StoreChoice:
    """ "files" (`where` is the index directory) or "milvus" (`where` is the client's URI)."""

    kind: str
    where: str


def choose(settings: Settings) -> StoreChoice:
    """The store `settings` name; `ValueError` for a URI of no known kind."""
    uri = (settings.store or "").strip()
    if not uri:
        return StoreChoice("files", str(settings.index_dir))
    if uri.startswith("milvus://"):
        path = uri.removeprefix("milvus://")
        if not path.endswith(".db"):
            raise ValueError(f"store {uri}: a milvus:// URI names a .db file (milvus:///x.db)")
        return StoreChoice("milvus", str(Path(path).resolve()))
    if uri.startswith(SERVER_SCHEMES):
        return StoreChoice("milvus", uri)
    if uri.endswith(".db"):
        return StoreChoice("milvus", str(Path(uri).resolve()))
    raise ValueError(
        f"store {uri}: expected milvus:///path/x.db, a path ending .db or http://host:19530"
    )


def _milvus(choice: StoreChoice):
    return _milvus_at(choice.where)


@lru_cache(maxsize=8)
def _milvus_at(uri: str):
    """One client per URI and process (it reconnects by itself after an outage)."""
    from qa.index.milvus_store import MilvusStore

    return MilvusStore(uri)


def store_manifest(settings: Settings) -> dict:
    """The manifest of the index in the chosen store (`IndexUnavailable` if none)."""
    from qa.index.store import read_manifest

    choice = choose(settings)
    if choice.kind == "files":
        return read_manifest(settings.index_dir)
    return _milvus(choice).read_manifest()


def load_store(settings: Settings, fingerprint: str | None = None):
    """The index (`IndexData`) in the chosen store, refused (`IndexUnavailable`) when stale
    (fingerprint differs) or corrupt."""
    from qa.index.store import load_index

    choice = choose(settings)
    if choice.kind == "files":
        return load_index(settings.index_dir, fingerprint)
    return _milvus(choice).load(fingerprint)


def check_store_writable(settings: Settings) -> None:
    """Before a build's slow part: `StorageError` in one line if the index folder is not
    writable (a Milvus store reports its own faults when written)."""
    from qa.index.store import check_index_folder

    if choose(settings).kind == "files":
        check_index_folder(settings.index_dir)


def save_store(data, settings: Settings, chunk_vectors) -> None:
    """Write the index (`IndexData`, and its chunk vectors) into the chosen store, replacing
    the previous one in one switch."""
    from qa.index.store import save_index

    choice = choose(settings)
    if choice.kind == "files":
        save_index(data, settings.index_dir)
    else:
        _milvus(choice).save(data, chunk_vectors)


def store_signature(settings: Settings) -> object:
    """What changes on every build (None when there is no index or no engine to ask)."""
    choice = choose(settings)
    if choice.kind == "milvus":
        from qa.index.search import StoreUnavailable

        try:
            return _milvus(choice).signature()
        except StoreUnavailable:
            return None
    try:
        st = os.stat(settings.index_dir / "manifest.json")
    except OSError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)
