"""The chunk-vector index, its type chosen by size: exact inner product while a single query
stays fast, an inverted-file index (IVF) above, its `nprobe` chosen by measured recall.

Measured on this machine kind (docs/performance.md): exact search costs about 0.06 ms per
thousand 384-d vectors on one thread, so 50,000 vectors take about 3 ms; IVF answers 1,000,000
in well under that. Searches run on one FAISS thread: for single queries two threads were
slower.
"""

from __future__ import annotations

import contextlib
import math
import os
from dataclasses import asdict, dataclass

import faiss
import numpy as np

EXACT_MAX = 50_000
TARGET_RECALL = 0.97  # recall@10 the build tunes nprobe for (the goal is 0.95; this is margin)
TUNING_QUERIES = 256
TRAIN_PER_LIST = 64


@dataclass(frozen=True)
class IndexSpec:
    """What the manifest records about the vector index: its type and parameters."""

    kind: str  # "flat" (exact inner product) or "ivf" (IndexIVFFlat, inner product)
    nlist: int = 0
    nprobe: int = 0
    tuned_recall_at_10: float | None = None

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict | None) -> IndexSpec:
        return cls(**data) if data else cls("flat")


def choose_kind(count: int, exact_max: int = EXACT_MAX) -> str:
    """"flat" up to `exact_max` vectors, "ivf" above."""
    return "flat" if count <= exact_max else "ivf"


def build_vector_index(
    vectors: np.ndarray, exact_max: int = EXACT_MAX, seed: int = 0
) -> tuple[faiss.Index, IndexSpec]:
    """An index holding `vectors` (unit rows; row i is chunk id i) and the spec describing it."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    if choose_kind(len(vectors), exact_max) == "flat":
        index = faiss.IndexFlatIP(vectors.shape[1])
        index.add(vectors)
        return index, IndexSpec("flat")
    with _threads(os.cpu_count() or 1):
        index = _ivf(vectors, seed)
        nprobe, recall = _tune_nprobe(index, vectors, seed)
    index.nprobe = nprobe
    return index, IndexSpec("ivf", index.nlist, nprobe, round(recall, 4))


def configure_search(index: faiss.Index, spec: IndexSpec) -> None:
    """Set the search parameters the manifest records, and one FAISS thread per query."""
    faiss.omp_set_num_threads(1)
    if spec.kind == "ivf":
        ivf = faiss.extract_index_ivf(index)
        ivf.nprobe = spec.nprobe
        if ivf.direct_map.type == faiss.DirectMap.NoMap:
            ivf.make_direct_map()


def _ivf(vectors: np.ndarray, seed: int) -> faiss.IndexIVFFlat:
    n, dim = vectors.shape
    nlist = max(1, int(4 * math.sqrt(n)))
    quantizer = faiss.IndexFlatIP(dim)
    index = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)
    rng = np.random.default_rng(seed)
    sample = rng.choice(n, size=min(n, nlist * TRAIN_PER_LIST), replace=False)
    index.train(vectors[np.sort(sample)])
    index.add(vectors)
    index.make_direct_map()  # the ranker reconstructs lexical-only candidates by id
    return index


def _tune_nprobe(index: faiss.IndexIVFFlat, vectors: np.ndarray, seed: int) -> tuple[int, float]:
    """The smallest power-of-two nprobe whose recall@10 reaches `TARGET_RECALL`.

    Queries are stored vectors; each query's own row is dropped from both result lists.
    """
    rng = np.random.default_rng(seed + 1)
    ids = rng.choice(len(vectors), size=min(len(vectors), TUNING_QUERIES), replace=False)
    queries = vectors[ids]
    exact = faiss.IndexFlatIP(vectors.shape[1])
    exact.add(vectors)
    _, truth = exact.search(queries, 11)
    del exact
    nprobe, recall = 1, 0.0
    while nprobe <= index.nlist:
        index.nprobe = nprobe
        _, found = index.search(queries, 11)
        recall = recall_at(found, truth, 10, exclude=ids)
        if recall >= TARGET_RECALL:
            break
        nprobe *= 2
    return min(nprobe, index.nlist), recall


def recall_at(
    found: np.ndarray, truth: np.ndarray, k: int, exclude: np.ndarray | None = None
) -> float:
    """Mean share of each row's true top-k found in its top-k (optionally minus one id a row)."""
    shares = []
    for row, (f, t) in enumerate(zip(found, truth, strict=True)):
        drop = -1 if exclude is None else int(exclude[row])
        f = [int(i) for i in f if i != drop][:k]
        t = [int(i) for i in t if i != drop][:k]
        shares.append(len(set(f) & set(t)) / max(len(t), 1))
    return float(np.mean(shares)) if shares else 1.0


@contextlib.contextmanager
def _threads(count: int):
    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(count)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)
