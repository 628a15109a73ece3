"""The chunk-vector index, its type chosen by size: exact inner product while a single query
stays fast, an approximate index above (`ANN_KIND`), its search breadth chosen at build time
by measured recall@10 and written to the manifest.

Measured on this machine kind (docs/performance.md, scripts/compare_ann.py): exact search
costs about 0.05 ms per thousand 384-d vectors on one thread, so 50,000 vectors take about
2.5 ms; at 1,000,000 HNSW searched about 7x faster than IVF at equal recall. Searches run on
one FAISS thread: for single queries two threads were about 2.5x slower.
"""

from __future__ import annotations

import contextlib
import math
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace

import faiss
import numpy as np

EXACT_MAX = 50_000
ANN_KIND = "hnsw"  # "hnsw" (IndexHNSWFlat) or "ivf" (IndexIVFFlat)
TARGET_RECALL = 0.97  # recall@10 the build tunes for (the goal is 0.95; the rest is margin)
TUNING_QUERIES = 256
TRAIN_PER_LIST = 40
HNSW_M = 16
MAX_BREADTH = 2048


@dataclass(frozen=True)
class IndexSpec:
    """What the manifest records about the vector index: its type and parameters."""

    kind: str  # "flat" (exact inner product), "hnsw" or "ivf" (both inner product)
    nlist: int = 0  # ivf: inverted lists
    nprobe: int = 0  # ivf: lists searched per query
    m: int = 0  # hnsw: links per node
    ef_search: int = 0  # hnsw: candidate list length per query
    tuned_recall_at_10: float | None = None

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict | None) -> IndexSpec:
        return cls(**data) if data else cls("flat")


def choose_kind(count: int, exact_max: int | None = None) -> str:
    """The index type for `count` vectors: "flat" up to `exact_max` (`EXACT_MAX`), else ANN."""
    return "flat" if count <= (EXACT_MAX if exact_max is None else exact_max) else ANN_KIND


def build_vector_index(
    vectors: np.ndarray, exact_max: int | None = None, seed: int = 0
) -> tuple[faiss.Index, IndexSpec]:
    """An index holding `vectors` (unit rows; row i is chunk id i) and the spec describing it."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    kind = choose_kind(len(vectors), exact_max)
    if kind == "flat":
        index = faiss.IndexFlatIP(vectors.shape[1])
        index.add(vectors)
        return index, IndexSpec("flat")
    held_out = min(TUNING_QUERIES, max(1, len(vectors) // 10))
    head, tail = vectors[:-held_out], vectors[-held_out:]
    with _threads(os.cpu_count() or 1):
        index = _ivf(vectors, seed) if kind == "ivf" else _hnsw(vectors.shape[1])
        index.add(head)
        limit = index.nlist if kind == "ivf" else MAX_BREADTH
        breadth, recall = _tune(_setter(index, kind), index, head, tail, limit)
        index.add(tail)  # row i is still chunk id i
    if kind == "ivf":
        index.make_direct_map()  # the ranker reconstructs lexical-only candidates by id
        spec = IndexSpec("ivf", nlist=index.nlist, nprobe=breadth)
    else:
        spec = IndexSpec("hnsw", m=HNSW_M, ef_search=breadth)
    return index, replace(spec, tuned_recall_at_10=round(recall, 4))


def configure_search(index: faiss.Index, spec: IndexSpec) -> None:
    """Set the search parameters the manifest records, and one FAISS thread per query."""
    faiss.omp_set_num_threads(1)
    if spec.kind == "ivf":
        _setter(index, "ivf")(spec.nprobe)
        ivf = faiss.extract_index_ivf(index)
        if ivf.direct_map.type == faiss.DirectMap.NoMap:
            ivf.make_direct_map()
    elif spec.kind == "hnsw":
        _setter(index, "hnsw")(spec.ef_search)


def _setter(index: faiss.Index, kind: str) -> Callable[[int], None]:
    """A function setting the index's search breadth (nprobe or efSearch)."""
    if kind == "ivf":
        ivf = faiss.extract_index_ivf(index)
        return lambda value: setattr(ivf, "nprobe", value)
    hnsw = faiss.downcast_index(index).hnsw
    return lambda value: setattr(hnsw, "efSearch", value)


def _ivf(vectors: np.ndarray, seed: int) -> faiss.IndexIVFFlat:
    """An empty IVF index trained on a sample of `vectors`."""
    n, dim = vectors.shape
    nlist = max(1, int(4 * math.sqrt(n)))
    quantizer = faiss.IndexFlatIP(dim)
    index = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)
    rng = np.random.default_rng(seed)
    sample = rng.choice(n, size=min(n, nlist * TRAIN_PER_LIST), replace=False)
    index.train(vectors[np.sort(sample)])
    return index


def _hnsw(dim: int) -> faiss.IndexHNSWFlat:
    return faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)


def _tune(
    set_breadth: Callable[[int], None],
    index: faiss.Index,
    stored: np.ndarray,
    queries: np.ndarray,
    limit: int,
) -> tuple[int, float]:
    """The smallest search breadth whose recall@10 reaches `TARGET_RECALL`: doubling, then
    bisecting between the last miss and the first hit. `index` holds `stored`; the queries
    are held out of it (stored queries find themselves too easily in a graph index).
    """
    _, truth = faiss.knn(queries, stored, 10, metric=faiss.METRIC_INNER_PRODUCT)

    def recall(breadth: int) -> float:
        set_breadth(breadth)
        _, found = index.search(queries, 10)
        return recall_at(found, truth, 10)

    low, high = 0, 1
    while recall(high) < TARGET_RECALL:
        if high >= limit:
            return high, recall(high)  # the broadest search allowed
        low, high = high, min(high * 2, limit)
    while high - low > max(1, high // 8):
        middle = (low + high) // 2
        low, high = (low, middle) if recall(middle) >= TARGET_RECALL else (middle, high)
    final = recall(high)
    return high, final


def recall_at(found: np.ndarray, truth: np.ndarray, k: int) -> float:
    """Mean share of each row's true top-k ids that are among its found top-k."""
    shares = [
        len(set(f[:k].tolist()) & set(t[:k].tolist())) / max(len(t[:k]), 1)
        for f, t in zip(found, truth, strict=True)
    ]
    return float(np.mean(shares)) if shares else 1.0


@contextlib.contextmanager
def _threads(count: int):
    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(count)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)
