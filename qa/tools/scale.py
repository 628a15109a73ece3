"""`qa bench --scale`: synthetic corpora of N chunk vectors, indexed the way `qa build` would
index them, with build time, memory, single-query search latency and recall@10 against exact
search.

Random vectors have no neighbour structure in 384 dimensions, so the synthetic ones are
noisy copies around the shipped index's real embeddings: topic centres are real vectors
moved along the real vectors' own principal directions, and each chunk is a topic centre plus
such noise and a little isotropic noise. Queries are held-out vectors from the same process.
Each size runs in its own process (`python -m qa.tools.scale N`) so its peak memory is its own.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

QUERIES = 200
EXACT_TIMED = 50  # single exact searches timed beside the chosen index
CHUNKS_PER_TOPIC = 50
TOPIC_SPREAD, CHUNK_SPREAD, ISOTROPIC = 2.0, 0.8, 0.4
BLOCK = 100_000


def real_vectors(index_dir: Path) -> np.ndarray:
    """The chunk and sentence vectors of the index at `index_dir`."""
    from qa.index.store import load_index

    index = load_index(index_dir)
    chunks = index.chunk_index.reconstruct_n(0, index.chunk_index.ntotal)
    return np.concatenate([chunks, index.sentence_vectors]).astype(np.float32)


class Generator:
    """Draws unit vectors whose neighbour structure resembles real sentence embeddings."""

    def __init__(self, real: np.ndarray, seed: int = 0) -> None:
        self.real = real
        self.rng = np.random.default_rng(seed)
        centred = real - real.mean(axis=0)
        _, s, vt = np.linalg.svd(centred, full_matrices=False)
        self.scales = (s / np.sqrt(len(real))).astype(np.float32)
        self.directions = vt.astype(np.float32)

    def draw(self, n: int) -> np.ndarray:
        """(n, dim) float32 unit rows, about `CHUNKS_PER_TOPIC` per topic."""
        topics = max(n // CHUNKS_PER_TOPIC, 1)
        picks = self.real[self.rng.integers(0, len(self.real), topics)]
        centres = _unit(picks + TOPIC_SPREAD * self._shaped(topics) + self._isotropic(topics))
        out = np.empty((n, self.real.shape[1]), dtype=np.float32)
        for at in range(0, n, BLOCK):
            m = min(BLOCK, n - at)
            base = centres[self.rng.integers(0, topics, m)]
            noise = CHUNK_SPREAD * self._shaped(m) + ISOTROPIC * self._isotropic(m)
            out[at : at + m] = _unit(base + noise)
        return out

    def _shaped(self, n: int) -> np.ndarray:
        z = self.rng.standard_normal((n, len(self.scales)), dtype=np.float32)
        return (z * self.scales) @ self.directions

    def _isotropic(self, n: int) -> np.ndarray:
        dim = self.real.shape[1]
        return self.rng.standard_normal((n, dim), dtype=np.float32) / np.float32(np.sqrt(dim))


def measure(
    n: int, real: np.ndarray, seed: int = 0, real_dir: Path | None = None, milvus: bool = False
) -> dict:
    """Build the index `qa build` would pick for `n` synthetic chunks and measure it; with
    `real_dir` (the shipped index) the whole ask over them too."""
    import faiss
    import psutil

    from qa.index.vector_index import build_vector_index, configure_search, recall_at

    began = time.perf_counter()
    drawn = Generator(real, seed).draw(n + QUERIES)
    queries, vectors = drawn[:QUERIES], drawn[QUERIES:]
    generate_s = time.perf_counter() - began
    rss_before = psutil.Process().memory_info().rss
    began = time.perf_counter()
    index, spec = build_vector_index(vectors)
    build_s = time.perf_counter() - began
    index_mb = (psutil.Process().memory_info().rss - rss_before) / 2**20
    truth_scores, truth = faiss.knn(queries, vectors, 10, metric=faiss.METRIC_INNER_PRODUCT)
    configure_search(index, spec)
    chosen_ms, found = _timed_searches(index.search, queries)
    exact_ms, _ = _timed_searches(_exact_search(vectors), queries[:EXACT_TIMED])
    return {
        "chunks": n,
        "index": spec.to_json(),
        "generate_s": round(generate_s, 2),
        "build_s": round(build_s, 2),
        "build_vectors_per_s": round(n / build_s),
        "index_mb": round(index_mb, 1),
        "vectors_mb": round(vectors.nbytes / 2**20, 1),
        "search_p50_ms": _pct(chosen_ms, 50),
        "search_p95_ms": _pct(chosen_ms, 95),
        "exact_p50_ms": _pct(exact_ms, 50),
        "recall_at_10": round(recall_at(found, truth, 10), 4),
        "query_cosine_top1": round(float(truth_scores[:, 0].mean()), 3),
        "query_cosine_top10": round(float(truth_scores[:, 9].mean()), 3),
        "random_pair_cosine": round(_random_pairs(vectors, seed), 3),
        "faiss_threads": faiss.omp_get_max_threads(),
        **(_whole_path(n, index, spec, queries, real_dir, vectors, milvus) if real_dir else {}),
        "peak_rss_mb": peak_rss_mb(),
    }


def _whole_path(
    n: int, index, spec, queries: np.ndarray, real_dir: Path, vectors, milvus: bool
) -> dict:
    """The whole ask over `n` chunks (`qa.tools.scale_path`) and the memory it adds; with
    `milvus`, the same ask with the chunks in milvus-lite too (key "milvus_lite")."""
    import psutil

    from qa.config import ROOT
    from qa.tools.evaluate import read_questions
    from qa.tools.scale_path import measure_path, synthetic_index

    questions = [q["question"] for q in read_questions(ROOT / "eval" / "dev.jsonl")]
    rss_before = psutil.Process().memory_info().rss
    began = time.perf_counter()
    data = synthetic_index(n, real_dir, index, spec.to_json())
    built_s = time.perf_counter() - began
    row = measure_path(data, questions, queries)
    added = psutil.Process().memory_info().rss - rss_before
    row.update(path_build_s=round(built_s, 1))
    row.update(bytes_per_chunk=round((index_mb_bytes(index) + added) / n))
    if milvus:
        from qa.tools.scale_path import milvus_lite_path

        row["milvus_lite"] = {"chunks": n, **milvus_lite_path(data, vectors, questions, queries)}
    return row


def index_mb_bytes(index) -> int:
    """The vector index's own bytes (its serialized size)."""
    import faiss

    return int(faiss.serialize_index(index).nbytes)


def run_scale(sizes: list[int], index_dir: Path, seed: int = 0, milvus_max: int = 0) -> list[dict]:
    """`measure` for each size in its own process (so each peak RSS is that size's own); the
    whole ask on milvus-lite too for sizes up to `milvus_max`."""
    rows = []
    for n in sizes:
        cmd = [sys.executable, "-m", "qa.tools.scale", str(n), str(index_dir), str(seed)]
        cmd += ["--milvus-lite"] if n <= milvus_max else []
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, env=os.environ.copy())
        if proc.returncode != 0:
            rows.append({"chunks": n, "error": f"exit {proc.returncode}"})
            continue
        rows.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    return rows


def peak_rss_mb() -> float:
    """This process image's peak RSS (VmHWM; ru_maxrss would include the parent's size)."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            kb = next(int(line.split()[1]) for line in f if line.startswith("VmHWM"))
    except (OSError, StopIteration, ValueError):
        import resource

        kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(kb / 1024, 1)


def plot(rows: list[dict], path: Path) -> None:
    """Search latency and memory against corpus size, to `path` (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [r for r in rows if "error" not in r]
    sizes = [r["chunks"] for r in rows]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    left.plot(sizes, [r["search_p50_ms"] for r in rows], "o-", label="chosen index, p50")
    left.plot(sizes, [r["search_p95_ms"] for r in rows], "o:", label="chosen index, p95")
    left.plot(sizes, [r["exact_p50_ms"] for r in rows], "s--", label="exact (flat), p50")
    if all("ask_p50_ms" in r for r in rows):
        left.plot(sizes, [r["ask_p50_ms"] for r in rows], "^-", label="whole ask, p50")
    lite = [r["milvus_lite"] for r in rows if "milvus_lite" in r]
    if lite:
        lite_sizes = [r["chunks"] for r in lite]
        left.plot(lite_sizes, [r["ask_p50_ms"] for r in lite], "v", label="whole ask, milvus-lite")
    left.axhline(5, color="grey", lw=0.8, label="5 ms search target")
    left.axhline(20, color="grey", lw=0.8, ls=":", label="20 ms whole-ask target")
    left.set(xscale="log", yscale="log", xlabel="chunks", ylabel="ms (1 thread)")
    right.plot(sizes, [r["peak_rss_mb"] for r in rows], "o-", label="process peak RSS")
    right.plot(sizes, [r["index_mb"] for r in rows], "s--", label="index")
    right.set(xscale="log", yscale="log", xlabel="chunks", ylabel="MB")
    for ax in (left, right):
        ax.grid(True, which="both", lw=0.3)
        ax.legend(fontsize=8)
    kinds = ", ".join(f"{r['chunks']:,}: {r['index']['kind']}" for r in rows)
    fig.suptitle(f"Synthetic 384-d corpora ({kinds})", fontsize=9)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _exact_search(vectors: np.ndarray):
    """Exact top-k over `vectors` in place (no copy into an index)."""
    import faiss

    return lambda q, k: faiss.knn(q, vectors, k, metric=faiss.METRIC_INNER_PRODUCT)


def _timed_searches(search, queries: np.ndarray) -> tuple[list[float], np.ndarray]:
    times, found = [], []
    for q in queries:
        began = time.perf_counter()
        _, ids = search(q.reshape(1, -1), 10)
        times.append((time.perf_counter() - began) * 1000)
        found.append(ids[0])
    return times, np.array(found)


def _random_pairs(vectors: np.ndarray, seed: int) -> float:
    rng = np.random.default_rng(seed + 2)
    a, b = rng.integers(0, len(vectors), (2, 2000))
    return float((vectors[a] * vectors[b]).sum(axis=1).mean())


def _pct(values: list[float], q: int) -> float:
    return round(float(np.percentile(values, q)), 4)


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def main(argv: list[str]) -> int:
    """`python -m qa.tools.scale N INDEX_DIR [SEED] [--milvus-lite]`: one JSON line for N
    chunks."""
    n, index_dir = int(argv[1]), Path(argv[2])
    seed = int(argv[3]) if len(argv) > 3 and argv[3].isdigit() else 0
    milvus = "--milvus-lite" in argv
    print(json.dumps(measure(n, real_vectors(index_dir), seed, index_dir, milvus)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
