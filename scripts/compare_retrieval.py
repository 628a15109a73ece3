"""Compare retrieval methods on a question file: dense, BM25, dense + sentences, fused (with and
without the section context blend), RRF.

usage: .venv/bin/python scripts/compare_retrieval.py [QUESTIONS]   (prints a Markdown table)
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

from qa.answer.engine import QAEngine
from qa.answer.ranking import HybridRanker, Ranked, SentenceTable, Weights
from qa.tools.evaluate import read_questions, score

METHODS = {
    "dense (FAISS, chunk cosine)": Weights(1.0, 0.0, 0.0, section=0.0),
    "BM25 (bm25s)": Weights(0.0, 0.0, 1.0, section=0.0),
    "dense + best sentence": Weights(1.0, 0.25, 0.0, section=0.0),
    "fused: dense + sentence + BM25": Weights(section=0.0),
    "fused + section context (shipped)": Weights(),
}


class RRFRanker(HybridRanker):
    """Reciprocal rank fusion (k=60) of the dense and BM25 rankings, for comparison."""

    def run(self, query, lexical):
        ranked, sims = super().run(query, lexical)
        by_dense = sorted(ranked, key=lambda r: r.dense, reverse=True)
        by_lex = sorted(ranked, key=lambda r: r.lexical, reverse=True)
        fused = {r.chunk_id: 0.0 for r in ranked}
        for order in (by_dense, by_lex):
            for rank, r in enumerate(order):
                fused[r.chunk_id] += 1.0 / (60 + rank + 1)
        out = [
            Ranked(r.chunk_id, fused[r.chunk_id], r.dense, r.sentence, r.lexical) for r in ranked
        ]
        out.sort(key=lambda r: r.score, reverse=True)
        return out, sims


def evaluate(engine: QAEngine, questions: list[dict]) -> tuple[dict, float]:
    results, times = {}, []
    for q in questions:
        engine.forget_questions()  # time the whole query, embedding included
        began = time.perf_counter()
        results[q["id"]] = engine.ask(q["question"], q.get("history") or []).to_json()
        times.append((time.perf_counter() - began) * 1000)
    return score(questions, results), statistics.median(times)


def main(argv: list[str]) -> int:
    questions = read_questions(Path(argv[1] if len(argv) > 1 else "../shared/eval/dev.jsonl"))
    engine = QAEngine.load(check_fresh=False)  # measure the index as built
    table = SentenceTable(engine.index)
    rankers = {name: HybridRanker(engine.index, table, w) for name, w in METHODS.items()}
    rankers["RRF of dense and BM25 (k=60)"] = RRFRanker(engine.index, table, Weights())
    print(f"backend: {engine.embedder.backend}; {len(questions)} questions\n")
    print("| method | recall@1 | recall@3 | recall@5 | MRR@5 | answer acc | query ms (p50) |")
    print("|---|---|---|---|---|---|---|")
    for name, ranker in rankers.items():
        engine.ranker = ranker
        evaluate(engine, questions[:3])  # warm caches
        m, ms = evaluate(engine, questions)
        print(
            f"| {name} | {m['recall@1']} | {m['recall@3']} | {m['recall@5']} | {m['mrr@5']} "
            f"| {m['answer_accuracy']} | {ms:.2f} |"
        )
    times = []
    for q in questions:
        began = time.perf_counter()
        engine.embedder.encode([q["question"]])
        times.append((time.perf_counter() - began) * 1000)
    print(f"\nembedding the question alone: p50 {statistics.median(times):.2f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
