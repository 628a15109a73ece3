"""The on-disk index: FAISS vectors, JSON metadata and a manifest with checksums.

Writes are atomic: everything goes into a temporary sibling directory, which then takes the
place of `index/` by one rename (an atomic exchange where the kernel offers it), so a crash
leaves the previous index whole. Nothing is ever read with pickle.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import faiss
import numpy as np

from qa.index.lexical import FOLDER as BM25_FOLDER
from qa.index.lexical import LexicalRetriever
from qa.index.search import DenseSearch, FaissDense, LexicalSearch
from qa.index.storage import FULL, check_space, check_writable, no_space
from qa.index.token_vectors import TokenTable
from qa.index.vector_index import IndexSpec, configure_search
from qa.ingest.documents import Chunk, Document, Section

FORMAT = 1
MANIFEST = "manifest.json"
TMP_PREFIX = ".index-tmp-"
OLD_PREFIX = ".index-old-"
BLOCK = 4096  # a file system block: what a small file takes at least


class IndexUnavailable(RuntimeError):
    """The index is missing, corrupt or stale; the message names the file and the fix."""


@dataclass
class IndexData:
    """Everything a query needs, as saved by `qa build`."""

    manifest: dict
    documents: list[Document]
    chunks: list[Chunk]
    chunk_index: faiss.Index | None  # None where the store searches elsewhere (`dense`)
    sentences: list[tuple[int, int, int]]  # (chunk_id, start, end): a chunk's sentence
    sentence_vectors: np.ndarray
    sentence_tokens: TokenTable  # each sentence's content-token vectors, in `sentences` order
    lexical: LexicalRetriever | LexicalSearch
    dense: DenseSearch | None = None  # None: search `chunk_index`

    def __post_init__(self) -> None:
        if self.dense is None:
            self.dense = FaissDense(self.chunk_index)


def save_index(data: IndexData, target: Path) -> None:
    """Write `data` to `target` atomically, replacing any previous index there."""
    target = target.resolve()
    check_index_folder(target)
    _recover_stranded(target)
    remove_leftovers(target)
    needed = estimated_size(data)
    check_space(target.parent, needed)
    tmp = Path(tempfile.mkdtemp(prefix=TMP_PREFIX, dir=target.parent))
    tmp.chmod(0o755)
    try:
        files = _write_files(data, tmp)
        manifest = dict(data.manifest, files={n: _sha256(tmp / n) for n in files})
        _write_json(tmp / MANIFEST, manifest)
        _fsync_dir(tmp)
        _swap_into_place(tmp, target)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)  # free the partial output before measuring
        # numpy reports a short write without an errno: the free space tells
        if exc.errno in FULL or shutil.disk_usage(target.parent).free < needed:
            raise no_space(target.parent, needed) from None
        raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    data.manifest = manifest


def check_index_folder(target: Path) -> None:
    """`StorageError` in one line unless an index can be written beside `target`."""
    check_writable(target.resolve().parent, TMP_PREFIX)


def estimated_size(data: IndexData) -> int:
    """Bytes the index files of `data` take on disk (a block per file for the rounding)."""
    texts = [json.dumps(v, ensure_ascii=False) for v in _json_files(data).values()]
    arrays = [data.sentence_vectors, *data.sentence_tokens.arrays().values()]
    index = data.chunk_index
    faiss_bytes = index.ntotal * index.d * 4 if isinstance(index, faiss.IndexFlat) else None
    if faiss_bytes is None:
        faiss_bytes = faiss.serialize_index(index).nbytes
    sizes = [len(t.encode("utf-8")) for t in texts] + [a.nbytes + 128 for a in arrays]
    sizes += [faiss_bytes, data.lexical.saved_bytes()]
    return sum(sizes) + BLOCK * (len(sizes) + 6)  # + the manifest and BM25's several files


def remove_leftovers(target: Path) -> None:
    """Delete temporary or old index directories left by an interrupted build."""
    for p in target.parent.glob(f"{TMP_PREFIX}*"):
        shutil.rmtree(p, ignore_errors=True)
    for p in target.parent.glob(f"{OLD_PREFIX}*"):
        shutil.rmtree(p, ignore_errors=True)


def _recover_stranded(index_dir: Path) -> None:
    """Put back the previous index if a build was killed between its two renames.

    Only the fallback swap (no atomic exchange) moves the old index aside before the new one
    is in place; a crash in that gap leaves `index_dir` missing and the old index whole.
    """
    if index_dir.exists():
        return
    with contextlib.suppress(OSError):
        aside = index_dir.parent.glob(f"{OLD_PREFIX}*")
        for old in sorted(aside, key=lambda p: p.stat().st_mtime, reverse=True):
            if (old / MANIFEST).is_file():
                os.rename(old, index_dir)
                return


def read_manifest(index_dir: Path) -> dict:
    """The manifest of the index at `index_dir`; `IndexUnavailable` if missing or unreadable."""
    path = index_dir / MANIFEST
    _recover_stranded(index_dir)
    if not path.is_file():
        raise IndexUnavailable(f"no index at {index_dir} ({MANIFEST} missing): run `qa build`")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        if manifest.get("format") != FORMAT or not isinstance(manifest.get("files"), dict):
            raise ValueError("unknown format")
        return manifest
    except (ValueError, OSError) as exc:
        raise IndexUnavailable(f"index file {path} is corrupt ({exc}): run `qa build`") from None


def load_index(index_dir: Path, fingerprint: str | None = None) -> IndexData:
    """Load and verify the index; refuse it when stale (fingerprint differs) or corrupt."""
    manifest = read_manifest(index_dir)
    if fingerprint is not None and manifest.get("fingerprint") != fingerprint:
        raise IndexUnavailable(
            f"index at {index_dir} is stale (the corpus, settings, model or code changed since "
            "it was built): run `qa build`"
        )
    blobs = {
        name: _read_verified(index_dir, name, digest) for name, digest in manifest["files"].items()
    }
    try:
        return _parse(manifest, blobs)
    except Exception as exc:  # any parse failure means the bytes are not an index we wrote
        raise IndexUnavailable(f"index at {index_dir} is corrupt ({exc}): run `qa build`") from None


def _read_verified(index_dir: Path, name: str, digest: str) -> bytes:
    path = index_dir / name
    try:
        blob = path.read_bytes()
    except OSError:
        raise IndexUnavailable(f"index file {path} is missing: run `qa build`") from None
    if hashlib.sha256(blob).hexdigest() != digest:
        raise IndexUnavailable(f"index file {path} is corrupt (checksum mismatch): run `qa build`")
    return blob


def _json_files(data: IndexData) -> dict[str, list]:
    return {
        "documents.json": [_doc_json(d) for d in data.documents],
        "chunks.json": [c.to_json() for c in data.chunks],
        "sentences.json": [list(s) for s in data.sentences],
    }


def _write_files(data: IndexData, folder: Path) -> list[str]:
    for name, obj in _json_files(data).items():
        _write_json(folder / name, obj)
    faiss.write_index(data.chunk_index, str(folder / "chunks.faiss"))
    with open(folder / "sentences.npy", "wb") as f:
        np.save(f, np.ascontiguousarray(data.sentence_vectors, dtype=np.float32))
    for name, array in data.sentence_tokens.arrays().items():
        with open(folder / name, "wb") as f:
            np.save(f, array)
    names = ["documents.json", "chunks.json", "sentences.json", "chunks.faiss", "sentences.npy"]
    names += list(TokenTable.FILES)
    names += data.lexical.save(folder)
    for name in names:
        _fsync(folder / name)
    return names


def _parse(manifest: dict, blobs: dict[str, bytes]) -> IndexData:
    import io

    docs = [_doc_from_json(d) for d in json.loads(blobs["documents.json"])]
    chunks = [Chunk.from_json(c) for c in json.loads(blobs["chunks.json"])]
    sentences = [tuple(s) for s in json.loads(blobs["sentences.json"])]
    index = faiss.deserialize_index(np.frombuffer(blobs["chunks.faiss"], dtype=np.uint8))
    configure_search(index, IndexSpec.from_json(manifest.get("vector_index")))
    vectors = np.load(io.BytesIO(blobs["sentences.npy"]), allow_pickle=False)
    tokens = TokenTable.from_arrays(
        {n: np.load(io.BytesIO(blobs[n]), allow_pickle=False) for n in TokenTable.FILES}
    )
    lexical = LexicalRetriever.from_blobs(
        {n: b for n, b in blobs.items() if n.startswith(f"{BM25_FOLDER}/")}
    )
    if index.ntotal != len(chunks) or not len(vectors) == len(tokens) == len(sentences):
        raise ValueError("vector and metadata counts differ")
    return IndexData(manifest, docs, chunks, index, sentences, vectors, tokens, lexical)


def _doc_json(doc: Document) -> dict:
    return asdict(doc)


def _doc_from_json(data: dict) -> Document:
    return Document(
        doc_id=data["doc_id"],
        title=data["title"],
        text=data["text"],
        sections=[Section(**s) for s in data["sections"]],
    )


def _write_json(path: Path, obj) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, ensure_ascii=False, indent=None, separators=(",", ":"))
        f.write("\n")
        f.flush()
        os.fsync(f.fileno())


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        _fsync(path)


def _swap_into_place(tmp: Path, target: Path) -> None:
    """Make `tmp` the new `target`: an atomic exchange if possible, else two renames."""
    if not target.exists():
        os.rename(tmp, target)
    elif not _exchange(tmp, target):
        old = Path(tempfile.mkdtemp(prefix=OLD_PREFIX, dir=target.parent))
        os.rmdir(old)
        os.rename(target, old)
        os.rename(tmp, target)
    _fsync_dir(target.parent)
    # after an exchange `tmp` holds the previous index; the caller removes it


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically with renameat2(RENAME_EXCHANGE); False where unsupported."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    result = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    return result == 0
