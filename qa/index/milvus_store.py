"""The index in Milvus, reached by `MilvusClient(uri)`: a milvus-lite file (`x.db`), a
`milvus-lite server` or a Milvus server or cluster (`http://host:19530`).

A build writes two new collections, `qa_<build>_chunks` (id, dense vector, sparse BM25 vector)
and `qa_<build>_meta` (the manifest, documents, chunks, sentences, sentence vectors and BM25
vocabulary as JSON text in pieces), then points the alias `qa` at the new meta collection: one
switch, so a reader sees the old index or the new one, never a mix. The build before stays
for readers still on it; older ones are dropped. pymilvus is imported only here.
"""

from __future__ import annotations

import base64
import io
import json
import re
import time
from dataclasses import asdict

import numpy as np

from qa.index.milvus_search import MilvusDense, MilvusLexical, guarded
from qa.index.search import StoreUnavailable
from qa.index.store import IndexData, IndexUnavailable
from qa.index.token_vectors import TokenTable
from qa.ingest.documents import Chunk, Document, Section

ALIAS = "qa"
LAYOUT = 1  # bump when the collections change shape: older builds then read as stale
PIECE = 60_000  # characters of JSON per meta row (VARCHAR holds at most 65,535)
BATCH = 1_000
PIECES_PER_CALL = 64  # meta rows read or written per call: 4 MB, far below gRPC's limits
MIN_SERVER = (2, 4)  # sparse float vectors, which hold the BM25 side, arrived in Milvus 2.4


def connect(uri: str):
    """A `MilvusClient` for `uri`; one `StoreUnavailable` line naming the URI (and the client's
    version, for a server that answers another protocol) if it cannot be used."""
    try:
        import pymilvus
    except ImportError:
        raise StoreUnavailable(
            f"{uri} needs pymilvus and milvus-lite: pip install -r requirements.lock"
        ) from None
    where = f"{uri} (client pymilvus {pymilvus.__version__})"
    try:
        client = guarded(where, pymilvus.MilvusClient, uri=uri, timeout=5)
        guarded(where, client.list_collections)  # a server of another protocol fails here
        reported = str(guarded(where, client.get_server_version))
    except StoreUnavailable as exc:
        raise StoreUnavailable(str(exc).replace("failed:", "cannot be used:", 1)) from None
    check_server_version(reported, where)
    return client


def check_server_version(reported: str, where: str) -> None:
    """`StoreUnavailable` naming both versions when the server is older than `MIN_SERVER`
    ("v2.3.5", "2.6.0" or milvus-lite's "milvus_lite-3.2.2"; an unreadable one passes)."""
    found = re.search(r"(\d+)\.(\d+)", reported)
    if found and (int(found[1]), int(found[2])) < MIN_SERVER:
        need = ".".join(map(str, MIN_SERVER))
        raise StoreUnavailable(
            f"the search engine at {where} is Milvus {reported}: this index needs Milvus "
            f"{need} or newer (sparse vectors); upgrade the server"
        )


class MilvusStore:
    """Save, read and load the index in the Milvus at `uri`."""

    def __init__(self, uri: str, client=None) -> None:
        self.uri = uri
        self.client = client or connect(uri)

    # -- reading ---------------------------------------------------------------------------

    def read_manifest(self) -> dict:
        """The current build's manifest; `IndexUnavailable` if there is none."""
        meta = self._current()
        if meta is None:
            raise IndexUnavailable(
                f"no index in {self.uri} (its alias `{ALIAS}` is missing): "
                f"run `qa build --store {self.uri}`"
            )
        manifest = json.loads(self._blob(meta, "manifest.json", 1))
        if manifest.get("milvus_layout") != LAYOUT:
            raise IndexUnavailable(
                f"index in {self.uri} has another layout: run `qa build --store {self.uri}`"
            )
        return manifest

    def signature(self) -> str | None:
        """What changes on every build: the collection the alias points at."""
        try:
            return self._current()
        except StoreUnavailable:
            return None

    def load(self, fingerprint: str | None = None) -> IndexData:
        """The index for the answer path; refused (`IndexUnavailable`) when stale."""
        manifest = self.read_manifest()
        if fingerprint is not None and manifest.get("fingerprint") != fingerprint:
            raise IndexUnavailable(
                f"index in {self.uri} is stale (the corpus, settings, model or code changed "
                f"since it was built): run `qa build --store {self.uri}`"
            )
        meta, pieces = manifest["milvus"]["meta"], manifest["milvus"]["pieces"]

        def read(name: str):
            return json.loads(self._blob(meta, name, pieces[name]))

        chunks_name = manifest["milvus"]["chunks"]
        guarded(self.uri, self.client.load_collection, chunks_name)
        bm25 = read("bm25.json")
        vectors = _array(read("sentences.npy"))
        tokens = TokenTable.from_arrays({n: _array(read(n)) for n in TokenTable.FILES})
        return IndexData(
            manifest=manifest,
            documents=[_document(d) for d in read("documents.json")],
            chunks=[Chunk.from_json(c) for c in read("chunks.json")],
            chunk_index=None,
            sentences=[tuple(s) for s in read("sentences.json")],
            sentence_vectors=vectors,
            sentence_tokens=tokens,
            lexical=MilvusLexical(
                self.client, self.uri, chunks_name, bm25["vocab"], bm25["idf"], bm25["unseen"]
            ),
            dense=MilvusDense(self.client, self.uri, chunks_name),
        )

    def _current(self) -> str | None:
        aliases = guarded(self.uri, self.client.list_aliases)
        if ALIAS not in _names(aliases):
            return None
        return guarded(self.uri, self.client.describe_alias, ALIAS)["collection_name"]

    def _blob(self, meta: str, name: str, count: int) -> str:
        keys = [f"{name}#{i:06d}" for i in range(count)]
        guarded(self.uri, self.client.load_collection, meta)
        text = {}
        for at in range(0, len(keys), PIECES_PER_CALL):  # a message holds at most 256 MB
            some = keys[at : at + PIECES_PER_CALL]
            rows = guarded(self.uri, self.client.get, meta, ids=some, output_fields=["text"])
            text.update((r["key"], r["text"]) for r in rows)
        if len(text) != count:
            raise IndexUnavailable(f"index in {self.uri} is incomplete: run `qa build`")
        return "".join(text[k] for k in keys)

    # -- writing ---------------------------------------------------------------------------

    def save(self, data: IndexData, chunk_vectors: np.ndarray) -> dict:
        """Write `data` into new collections and switch the alias to them; the manifest."""
        build = f"qa_{time.time_ns()}"
        chunks_name, meta = f"{build}_chunks", f"{build}_meta"
        self._write_chunks(chunks_name, chunk_vectors, data.lexical.chunk_weights())
        blobs = _blobs(data)
        manifest = dict(
            data.manifest,
            milvus_layout=LAYOUT,
            milvus={
                "chunks": chunks_name,
                "meta": meta,
                "pieces": {n: len(_pieces(t)) for n, t in blobs.items()},
            },
        )
        blobs["manifest.json"] = json.dumps(manifest)
        self._write_meta(meta, blobs)
        previous = self._current()
        if previous is None:
            guarded(self.uri, self.client.create_alias, meta, ALIAS)
        else:
            guarded(self.uri, self.client.alter_alias, meta, ALIAS)
        self._drop_old(keep={build, _build_of(previous)})
        data.manifest = manifest
        return manifest

    def _write_chunks(self, name: str, vectors: np.ndarray, weights: list[dict]) -> None:
        from pymilvus import DataType

        schema = self.client.create_schema(auto_id=False)
        schema.add_field("id", DataType.INT64, is_primary=True)
        schema.add_field("dense", DataType.FLOAT_VECTOR, dim=int(vectors.shape[1]))
        schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
        index = self.client.prepare_index_params()
        index.add_index("dense", index_type="FLAT", metric_type="IP")
        index.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="IP")
        guarded(self.uri, self.client.create_collection, name, **_spec(schema, index))
        rows = [
            {"id": i, "dense": v.tolist(), "sparse": w or {0: 0.0}}
            for i, (v, w) in enumerate(zip(vectors.astype(np.float32), weights, strict=True))
        ]
        for start in range(0, len(rows), BATCH):
            guarded(self.uri, self.client.insert, name, rows[start : start + BATCH])
        guarded(self.uri, self.client.flush, name)

    def _write_meta(self, name: str, blobs: dict[str, str]) -> None:
        from pymilvus import DataType

        schema = self.client.create_schema(auto_id=False)
        schema.add_field("key", DataType.VARCHAR, is_primary=True, max_length=128)
        schema.add_field("text", DataType.VARCHAR, max_length=65_535)
        schema.add_field("v", DataType.FLOAT_VECTOR, dim=2)  # Milvus needs a vector field
        index = self.client.prepare_index_params()
        index.add_index("v", index_type="FLAT", metric_type="L2")
        guarded(self.uri, self.client.create_collection, name, **_spec(schema, index))
        rows = [
            {"key": f"{n}#{i:06d}", "text": piece, "v": [0.0, 0.0]}
            for n, text in blobs.items()
            for i, piece in enumerate(_pieces(text))
        ]
        for start in range(0, len(rows), PIECES_PER_CALL):
            guarded(self.uri, self.client.insert, name, rows[start : start + PIECES_PER_CALL])
        guarded(self.uri, self.client.flush, name)

    def _drop_old(self, keep: set[str | None]) -> None:
        for name in guarded(self.uri, self.client.list_collections):
            if name.startswith("qa_") and _build_of(name) not in keep:
                guarded(self.uri, self.client.drop_collection, name)


def _blobs(data: IndexData) -> dict[str, str]:
    idf, unseen = data.lexical.idf_table()
    bm25 = {"vocab": data.lexical.bm25.vocab_dict, "idf": idf, "unseen": unseen}
    arrays = {"sentences.npy": np.ascontiguousarray(data.sentence_vectors, dtype=np.float32)}
    arrays |= data.sentence_tokens.arrays()
    return {
        "documents.json": json.dumps([asdict(d) for d in data.documents]),
        "chunks.json": json.dumps([c.to_json() for c in data.chunks]),
        "sentences.json": json.dumps([list(s) for s in data.sentences]),
        "bm25.json": json.dumps(bm25),
    } | {name: json.dumps(_npy_text(array)) for name, array in arrays.items()}


def _npy_text(array: np.ndarray) -> str:
    """An array as base64 of its .npy bytes (the meta collection holds text)."""
    buffer = io.BytesIO()
    np.save(buffer, array)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _array(text: str) -> np.ndarray:
    return np.load(io.BytesIO(base64.b64decode(text)), allow_pickle=False)


def _pieces(text: str) -> list[str]:
    return [text[i : i + PIECE] for i in range(0, len(text), PIECE)] or [""]


def _build_of(collection: str | None) -> str | None:
    return collection.rsplit("_", 1)[0] if collection else None


def _names(aliases) -> list[str]:
    if isinstance(aliases, dict):
        return list(aliases.get("aliases", []))
    return list(aliases or [])


def _document(data: dict) -> Document:
    sections = [Section(**s) for s in data["sections"]]
    return Document(data["doc_id"], data["title"], data["text"], sections)


def _spec(schema, index) -> dict:
    """A collection's creation arguments: strong consistency, so a reader that follows the
    alias sees every row the build wrote (a cluster's default, "Bounded", may not yet)."""
    return {"schema": schema, "index_params": index, "consistency_level": "Strong"}
