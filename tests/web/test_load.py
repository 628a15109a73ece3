"""Load: many `gradio_client` clients at once, a bounded queue, and flat memory.

Sizes are set by QA_LOAD_CLIENTS (16), QA_LOAD_QUESTIONS per client (40) and
QA_LOAD_MEMORY_REQUESTS (2,000). The memory check sends its requests to the JSON route
(`POST /api/ask`, ~10 ms each) because the Gradio route (~100 ms) would take minutes on two
cores; both routes call the same `QAService.ask`. Latencies are printed (run with -rP).
"""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import psutil
import pytest
from helpers_server import AppServer, post_json, workspace

from qa.tools.gradio_calls import gradio_ask

pytestmark = pytest.mark.slow

CLIENTS = int(os.environ.get("QA_LOAD_CLIENTS", "16"))
PER_CLIENT = int(os.environ.get("QA_LOAD_QUESTIONS", "40"))
MEMORY_REQUESTS = int(os.environ.get("QA_LOAD_MEMORY_REQUESTS", "2000"))
BOUND = 120  # seconds any one request may take before it counts as hung

QUESTIONS = [
    ("Will Russia send troops to defend Iran?", []),
    ("Does Russia sell weapons to Iran?", []),
    ("What does Russia gain from its partnership with Iran?", []),
    ("How does Israel figure in Russia's choices?", []),
    ("Is the relationship an alliance or a partnership?", []),
    ("What role does the UN Security Council play?", []),
    ("How do sanctions affect the two countries?", []),
    ("What about drones?", ["Does Russia sell weapons to Iran?"]),
    ("And China?", ["What does Russia gain from its partnership with Iran?"]),
    ("Who won the football world cup in 1998?", []),
    ("What is the population of Tehran?", []),
    ("Why is Syria important here?", []),
]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def rss(pid: int) -> int:
    """Resident memory of the app and any children, in bytes."""
    proc = psutil.Process(pid)
    return sum(p.memory_info().rss for p in [proc, *proc.children(recursive=True)])


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    return workspace(tmp_path_factory.mktemp("load"))


@pytest.fixture(scope="module")
def app(ws, tmp_path_factory):
    server = AppServer(ws.env()).start(tmp_path_factory.mktemp("load-app"))
    yield server
    server.stop()


def _client(url: str):
    from gradio_client import Client

    return Client(url, verbose=False, analytics_enabled=False)


def _ask(client, question: str, history: list[str]) -> dict:
    return gradio_ask(client, question, history, 5, timeout=BOUND)


def test_concurrent_clients_get_the_single_client_answers(app):
    single = _client(app.url)
    expected = {q: _ask(single, q, h) for q, h in QUESTIONS}
    rss_before = rss(app.pid)
    latencies: list[float] = []
    failures: list[str] = []
    mismatches: list[str] = []
    lock = threading.Lock()

    def run(worker: int) -> None:
        client = _client(app.url)
        for i in range(PER_CLIENT):
            question, history = QUESTIONS[(worker + i) % len(QUESTIONS)]
            began = time.perf_counter()
            try:
                answer = _ask(client, question, history)
            except Exception as exc:  # any failure is counted, not raised in the thread
                with lock:
                    failures.append(f"{type(exc).__name__}: {exc}")
                continue
            with lock:
                latencies.append(time.perf_counter() - began)
                if answer != expected[question]:
                    mismatches.append(question)

    began = time.perf_counter()
    with ThreadPoolExecutor(CLIENTS) as pool:
        list(pool.map(run, range(CLIENTS)))
    wall = time.perf_counter() - began

    total = CLIENTS * PER_CLIENT
    p50, p95 = percentile(latencies, 0.5) * 1000, percentile(latencies, 0.95) * 1000
    print(
        f"\nload: {CLIENTS} gradio clients x {PER_CLIENT} questions = {total} requests in "
        f"{wall:.1f}s ({total / wall:.1f}/s); p50 {p50:.0f} ms, p95 {p95:.0f} ms; "
        f"failed {len(failures)}; "
        f"app RSS {rss_before / 2**20:.0f} -> {rss(app.pid) / 2**20:.0f} MiB"
    )
    assert failures == []
    assert mismatches == []
    assert len(latencies) == total


def test_a_full_queue_says_busy_try_again_at_once(ws, tmp_path):
    """With room for 1 running + 2 queued, a burst is partly turned away, quickly and clearly."""
    args = ["--concurrency", "1", "--max-queue", "2"]
    with AppServer(ws.env(), args).start(tmp_path) as small:
        client = _client(small.url)
        burst = [
            client.submit(f"Does Russia help Iran, case {i}?", [], 5, api_name="/ask")
            for i in range(24)
        ]
        answered, refused = 0, []
        for job in burst:
            try:
                answered += bool(job.result(timeout=BOUND)["passages"])  # a hang fails here
            except TimeoutError:
                raise
            except Exception as exc:
                refused.append(str(exc))
    assert answered >= 1 and refused
    assert all("try again" in m.lower() and "full" in m.lower() for m in refused), refused


def test_memory_is_flat_over_many_requests(app):
    """RSS after MEMORY_REQUESTS JSON requests stays within 10 % of RSS after the first 100."""
    url = f"{app.url}/api/ask"
    topics = ["Iran", "Russia", "Israel", "Syria", "sanctions", "drones", "oil", "China"]

    def send(i: int) -> int:
        # mostly distinct questions, so the engine's question-vector cache fills and evicts
        question = f"What does the article say about {topics[i % len(topics)]} (case {i})?"
        status, _ = post_json(url, {"question": question}, timeout=BOUND)
        return status

    with ThreadPoolExecutor(4) as pool:
        assert set(pool.map(send, range(100))) == {200}
        after_100 = rss(app.pid)
        began = time.perf_counter()
        assert set(pool.map(send, range(100, MEMORY_REQUESTS))) == {200}
        seconds = time.perf_counter() - began
    after_all = rss(app.pid)
    growth = after_all / after_100 - 1
    print(
        f"\nmemory: RSS {after_100 / 2**20:.1f} MiB after 100 JSON requests, "
        f"{after_all / 2**20:.1f} MiB after {MEMORY_REQUESTS} ({growth:+.1%}); "
        f"{(MEMORY_REQUESTS - 100) / seconds:.0f} requests/s"
    )
    assert growth <= 0.10
