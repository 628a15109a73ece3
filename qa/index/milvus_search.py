"""Dense and BM25 search in Milvus collections, through one `MilvusClient`.

BM25 runs as sparse vectors computed here (`LexicalRetriever.chunk_weights`): the engine picks
the top chunks by inner product with the query's token counts; their scores are then summed
here in float32 in the query's token order, as bm25s sums them, so the fused scores match the
in-process store's. Every call that fails raises `StoreUnavailable` naming the URI.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from qa.index.search import StoreUnavailable


def guarded(where: str, call: Callable[..., Any], *args, **kwargs) -> Any:
    """`call(*args, **kwargs)`, its failure turned into one `StoreUnavailable` line."""
    try:
        return call(*args, **kwargs)
    except StoreUnavailable:
        raise
    except Exception as exc:  # pymilvus and grpc raise many types; all mean the same here
        reason = " ".join(str(exc).split())[:200] or type(exc).__name__
        raise StoreUnavailable(f"the search engine at {where} failed: {reason}") from None


def loaded(client, where: str, collection: str, call: Callable[..., Any], *args, **kwargs) -> Any:
    """`guarded(call)` on `collection`; if the engine had released it (as a restarted server
    does), load it and try once more."""
    try:
        return guarded(where, call, collection, *args, **kwargs)
    except StoreUnavailable as exc:
        if "load" not in str(exc):
            raise
    guarded(where, client.load_collection, collection)
    return guarded(where, call, collection, *args, **kwargs)


class MilvusDense:
    """`DenseSearch` over the `dense` field of the chunk collection (FLAT, inner product)."""

    def __init__(self, client, uri: str, collection: str) -> None:
        self.client, self.uri, self.collection = client, uri, collection

    def search(self, query: np.ndarray, k: int) -> list[tuple[int, float]]:
        result = loaded(
            self.client,
            self.uri,
            self.collection,
            self.client.search,
            data=[query.astype(np.float32).tolist()],
            anns_field="dense",
            limit=k,
            search_params={"metric_type": "IP"},
        )
        return [(int(hit["id"]), float(hit["distance"])) for hit in result[0]]

    def vectors(self, ids: list[int]) -> np.ndarray:
        get = self.client.get
        rows = loaded(self.client, self.uri, self.collection, get, ids=ids, output_fields=["dense"])
        by_id = {int(r["id"]): r["dense"] for r in rows}
        return np.array([by_id[i] for i in ids], dtype=np.float32)


class SparseScores:
    """A `LexicalResult`: the engine's top chunks, scored here from their sparse vectors."""

    def __init__(self, search: MilvusLexical, token_ids: list[int], top: list[int]) -> None:
        self.search, self.token_ids, self.top = search, token_ids, top
        self.known: dict[int, float] = {}
        self.best = float(self.of(top[:1])[0]) if top else 0.0

    def of(self, ids: list[int]) -> np.ndarray:
        missing = [i for i in ids if i not in self.known]
        if missing and self.token_ids:
            for cid, weights in self.search.weights(missing).items():
                self.known[cid] = _bm25(weights, self.token_ids)
        return np.array([self.known.get(i, 0.0) for i in ids], dtype=np.float32)


class MilvusLexical:
    """`LexicalSearch` over the `sparse` field of the chunk collection."""

    def __init__(
        self, client, uri: str, collection: str, vocab: dict[str, int], idf: dict, unseen: float
    ) -> None:
        self.client, self.uri, self.collection = client, uri, collection
        self.vocab, self._idf, self.unseen_idf = vocab, idf, unseen

    def idf(self, token: str) -> float:
        return self._idf.get(token, self.unseen_idf)

    def query(self, query_tokens: list[str], k: int) -> SparseScores:
        token_ids = [self.vocab[t] for t in query_tokens if t in self.vocab]
        if not token_ids:
            return SparseScores(self, [], [])
        counts: dict[int, float] = {}
        for t in token_ids:
            counts[t] = counts.get(t, 0.0) + 1.0
        result = loaded(
            self.client,
            self.uri,
            self.collection,
            self.client.search,
            data=[counts],
            anns_field="sparse",
            limit=k,
            search_params={"metric_type": "IP"},
        )
        top = [int(hit["id"]) for hit in result[0] if float(hit["distance"]) > 0]
        scores = SparseScores(self, token_ids, [])
        scores.top = _best_first(top, scores.of(top))
        scores.best = float(scores.of(scores.top[:1])[0]) if scores.top else 0.0
        return scores

    def weights(self, ids: list[int]) -> dict[int, dict[int, float]]:
        """{chunk id: its sparse BM25 vector}."""
        get, fields = self.client.get, ["sparse"]
        rows = loaded(self.client, self.uri, self.collection, get, ids=ids, output_fields=fields)
        return {int(r["id"]): _sparse_dict(r["sparse"]) for r in rows}


def _best_first(ids: list[int], scores: np.ndarray) -> list[int]:
    """`ids` by score, best first, ties by id (the engine's own order may differ in the last
    bit of a float)."""
    order = sorted(range(len(ids)), key=lambda i: (-float(scores[i]), ids[i]))
    return [ids[i] for i in order if scores[i] > 0]


def _bm25(weights: dict[int, float], token_ids: list[int]) -> float:
    """The BM25 score, summed in float32 token by token as bm25s sums it."""
    total = np.float32(0.0)
    for t in token_ids:
        total = np.float32(total + np.float32(weights.get(t, 0.0)))
    return float(total)


def _sparse_dict(value) -> dict[int, float]:
    """A sparse vector as Milvus returns it (a dict, or a scipy-like row) as {id: weight}."""
    if isinstance(value, dict):
        return {int(k): float(v) for k, v in value.items()}
    row = value.tocoo() if hasattr(value, "tocoo") else value
    return {int(k): float(v) for k, v in zip(row.col, row.data, strict=True)}
