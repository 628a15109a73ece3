"""Compare IVF and HNSW at one synthetic size: build time, recall@10 and single-query p50.

usage: .venv/bin/python scripts/compare_ann.py N   (vectors from qa.tools.scale's generator; the
index kinds and parameters qa.index.vector_index can pick, searched on one FAISS thread)
"""

from __future__ import annotations

import math
import sys
import time

import faiss
import numpy as np

from qa.config import Settings
from qa.index.vector_index import recall_at
from qa.tools.scale import Generator, real_vectors

QUERIES = 200


def timed(index, queries: np.ndarray) -> tuple[float, np.ndarray]:
    faiss.omp_set_num_threads(1)
    times, found = [], []
    for q in queries:
        began = time.perf_counter()
        _, ids = index.search(q.reshape(1, -1), 10)
        times.append((time.perf_counter() - began) * 1000)
        found.append(ids[0])
    faiss.omp_set_num_threads(2)
    return float(np.median(times)), np.array(found)


def main(argv: list[str]) -> int:
    n = int(argv[1])
    drawn = Generator(real_vectors(Settings.from_env().index_dir)).draw(n + QUERIES)
    queries, vectors = drawn[:QUERIES], drawn[QUERIES:]
    exact = faiss.IndexFlatIP(vectors.shape[1])
    exact.add(vectors)
    _, truth = exact.search(queries, 10)
    del exact
    print(f"{n} vectors; one thread per query\n")
    print("| index | build s | parameter | recall@10 | p50 ms |\n|---|---|---|---|---|")
    began = time.perf_counter()
    hnsw = faiss.IndexHNSWFlat(vectors.shape[1], 16, faiss.METRIC_INNER_PRODUCT)
    hnsw.add(vectors)
    build = time.perf_counter() - began
    for ef in (16, 32, 64, 128):
        hnsw.hnsw.efSearch = ef
        p50, found = timed(hnsw, queries)
        print(
            f"| HNSW M=16 | {build:.0f} | efSearch={ef} | {recall_at(found, truth, 10):.4f} "
            f"| {p50:.3f} |",
            flush=True,
        )
    del hnsw
    nlist = int(4 * math.sqrt(n))
    began = time.perf_counter()
    ivf = faiss.IndexIVFFlat(
        faiss.IndexFlatIP(vectors.shape[1]), vectors.shape[1], nlist, faiss.METRIC_INNER_PRODUCT
    )
    ivf.train(vectors[np.random.default_rng(0).choice(n, min(n, nlist * 40), replace=False)])
    ivf.add(vectors)
    build = time.perf_counter() - began
    for nprobe in (16, 32, 64, 128, 256):
        ivf.nprobe = nprobe
        p50, found = timed(ivf, queries)
        print(
            f"| IVF nlist={nlist} | {build:.0f} | nprobe={nprobe} | "
            f"{recall_at(found, truth, 10):.4f} | {p50:.3f} |",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
