"""Rebuild while serving: `qa build` runs while the app answers under load.

No request may fail; every response must come wholly from one index version (its passages'
ids, texts and offsets are those of the old index or of the new one, never a mix); each
client sees the switch once and for all; and the app picks up the new manifest without a
restart. The same on Milvus (a `milvus-lite server`), where a build writes new collections
and switches an alias.
"""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from helpers_milvus import LiteServer
from helpers_server import AppServer, http, post_json, run_qa, workspace

from qa.config import Settings
from qa.index.stores import load_store, store_manifest
from qa.tools.gradio_calls import gradio_ask

pytestmark = pytest.mark.slow

NEW_DOC = """# Tea harvests in Darjeeling

The first flush of Darjeeling tea is picked in March by the gardens of the Himalayan
foothills. Growers in Darjeeling say the spring crop fetches the highest prices at auction.
"""
NEW_NAME = "darjeeling-tea.md"  # sorts first: every old chunk id shifts in the new index
QUESTIONS = [
    "When is the first flush of Darjeeling tea picked?",
    "Will Russia defend Iran militarily?",
    "Does Russia sell weapons to Iran?",
]
JSON_WORKERS, GRADIO_WORKERS = 12, 4  # 16 clients, as the issue asks
WORKERS = JSON_WORKERS + GRADIO_WORKERS
SWITCH_BOUND = 180  # seconds for the build plus the swap; only a broken reload reaches it


def chunks_of(index_dir) -> dict[int, tuple]:
    chunks = json.loads((index_dir / "chunks.json").read_text(encoding="utf-8"))
    return {c["chunk_id"]: (c["doc_id"], c["text"], c["start"], c["end"]) for c in chunks}


def versions_of(result: dict, versions: dict[str, dict]) -> set[str]:
    """The index versions whose chunks match every passage of `result` exactly (a passage is
    its chunk, or the part of it that no better passage shows)."""
    return {
        name
        for name, chunks in versions.items()
        if all(_part_of(chunks.get(p["id"]), p) for p in result["passages"])
    }


def _part_of(chunk: tuple | None, passage: dict) -> bool:
    if chunk is None:
        return False
    doc, text, start, end = chunk
    inside = start <= passage["start"] < passage["end"] <= end
    cut = text[passage["start"] - start : passage["end"] - start]
    return doc == passage["doc"] and inside and cut == passage["text"]


def answer_is_marked(result: dict) -> bool:
    """The answer sentence, when given, is the marked span of its passage."""
    marked = [p for p in result["passages"] if p["answer_start"] is not None]
    if result["abstained"] or not marked:
        return True
    return all(p["text"][p["answer_start"] : p["answer_end"]] == result["answer"] for p in marked)


class Target:
    """Where the app reads its index: the workspace's files, or a Milvus (`uri`)."""

    def __init__(self, ws, uri: str | None = None) -> None:
        self.ws, self.uri = ws, uri

    def env(self) -> dict[str, str]:
        return self.ws.env(QA_STORE=self.uri) if self.uri else self.ws.env()

    def chunks(self) -> dict[int, tuple]:
        if self.uri is None:
            return chunks_of(self.ws.index)
        index = load_store(self._settings())
        return {c.chunk_id: (c.doc_id, c.text, c.start, c.end) for c in index.chunks}

    def fingerprint(self) -> str:
        return store_manifest(self._settings())["fingerprint"]

    def _settings(self) -> Settings:
        return Settings(corpus_dir=self.ws.corpus, index_dir=self.ws.index, store=self.uri)


@pytest.fixture(params=["files", "milvus-server"])
def target(request, tmp_path_factory):
    """The files index (as `qa build` writes it) or a `milvus-lite server` on 127.0.0.1."""
    ws = workspace(tmp_path_factory.mktemp("rebuild"))
    if request.param == "files":
        yield Target(ws)
        return
    server = LiteServer(tmp_path_factory.mktemp("milvus")).start()
    try:
        target = Target(ws, server.uri)
        built = run_qa(["build"], target.env())
        assert built.returncode == 0, built.stderr
        yield target
    finally:
        server.stop()


def test_rebuild_while_serving_switches_whole_and_fails_nothing(target, tmp_path):
    from gradio_client import Client

    ws = target.ws
    old = target.chunks()
    stop = threading.Event()
    lock = threading.Lock()
    log: dict[int, list[dict]] = {}  # worker -> its responses in order
    failures: list[str] = []

    def json_ask(url, question):
        status, body = post_json(f"{url}/api/ask", {"question": question}, timeout=120)
        if status != 200:
            raise RuntimeError(f"HTTP {status}: {body}")
        return body

    def worker(n: int, url: str) -> None:
        client = Client(url, verbose=False) if n >= JSON_WORKERS else None
        i = 0
        while not stop.is_set():
            question = QUESTIONS[(n + i) % len(QUESTIONS)]
            i += 1
            try:
                if client is None:
                    result = json_ask(url, question)
                else:
                    result = gradio_ask(client, question, [], 5, timeout=120)
            except Exception as exc:  # counted: the guarantee is that this list stays empty
                with lock:
                    failures.append(f"{type(exc).__name__}: {exc}")
                continue
            with lock:
                log.setdefault(n, []).append(result)

    with AppServer(target.env()).start(tmp_path) as app:
        pid = app.pid
        _, before, _ = http("GET", f"{app.url}/api/health")
        with ThreadPoolExecutor(JSON_WORKERS + GRADIO_WORKERS) as pool:
            futures = [
                pool.submit(worker, n, app.url) for n in range(JSON_WORKERS + GRADIO_WORKERS)
            ]
            time.sleep(3)  # answering under load before the build starts
            (ws.corpus / NEW_NAME).write_text(NEW_DOC, encoding="utf-8")
            build = run_qa(["build"], target.env(), timeout=SWITCH_BOUND)
            new = target.chunks()
            switched = _wait_for_new_doc(log, lock, SWITCH_BOUND)
            time.sleep(2)  # keep answering on the new index for a moment
            stop.set()
            for f in futures:
                f.result(timeout=180)
        _, after, _ = http("GET", f"{app.url}/api/health")
        assert app.proc.poll() is None and app.pid == pid  # no restart

    assert build.returncode == 0, build.stderr
    assert failures == []
    versions = {"old": old, "new": new}
    total = 0
    for n, results in log.items():
        seen = []
        for r in results:
            match = versions_of(r, versions)
            assert len(match) == 1, (n, r)  # wholly one version, never a mix
            assert answer_is_marked(r)
            seen.append(match.pop())
        assert seen == sorted(seen, key=["old", "new"].index), n  # once switched, stays new
        assert seen[0] == "old" and seen[-1] == "new", n
        total += len(results)
    assert total >= 50
    assert switched, "the app never served the new index"
    health_before, health_after = json.loads(before), json.loads(after)
    assert health_after["fingerprint"] == target.fingerprint() != health_before["fingerprint"]
    print(f"\nrebuild under load: {total} answers, 0 failed, build {build.stdout.strip()}")


def _wait_for_new_doc(log, lock, bound: float) -> bool:
    deadline = time.monotonic() + bound
    while time.monotonic() < deadline:
        with lock:
            results = [r for rs in log.values() for r in rs[-3:]]
        if any(p["doc"] == NEW_NAME for r in results for p in r["passages"]):
            return True
        time.sleep(0.5)
    return False
