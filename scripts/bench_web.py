"""Latency of the running app's `ask` endpoint through gradio_client: p50/p95 over N questions.

    python scripts/bench_web.py http://127.0.0.1:7860 [-n 50] [--questions FILE.jsonl]

Questions come from a JSON Lines file of {"question", "history"?} (default: the shared dev set),
followed by the page's examples, so a run uses distinct questions; one warm-up call first.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

ROOT = Path(__file__).resolve().parent.parent
DEV_SET = ROOT.parent / "shared" / "eval" / "dev.jsonl"
from qa.web.page import EXAMPLES as PAGE_EXAMPLES  # noqa: E402

EXAMPLES = [*PAGE_EXAMPLES, "Why does Russia avoid a war with Israel?"]


def load_questions(path: Path, n: int) -> list[tuple[str, list[str]]]:
    items = []
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                item = json.loads(line)
                items.append((item["question"], item.get("history") or []))
    items += [(q, []) for q in EXAMPLES]
    while len(items) < n:
        items += items
    return items[:n]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("url")
    p.add_argument("-n", type=int, default=50)
    p.add_argument("--questions", type=Path, default=DEV_SET)
    args = p.parse_args()
    from gradio_client import Client

    client = Client(args.url, analytics_enabled=False, verbose=False)
    client.predict("warm-up question about Russia", api_name="/ask")
    times = []
    for question, history in load_questions(args.questions, args.n):
        began = time.perf_counter()
        client.predict(question, history, 5, api_name="/ask")
        times.append((time.perf_counter() - began) * 1000)
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    print(
        f"ask via gradio_client, {len(times)} questions: p50 {statistics.median(times):.1f} ms, "
        f"p95 {p95:.1f} ms, max {times[-1]:.1f} ms"
    )


if __name__ == "__main__":
    main()
