"""The JSON route (`/api/ask`) and the Gradio `ask` endpoint return `qa ask --json`'s object."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time

import psutil
import pytest
from fastapi.testclient import TestClient
from helpers_server import CONTRACT_KEYS, PASSAGE_KEYS, ROOT, AppServer, http, post_json

from qa.config import Settings
from qa.tools.gradio_calls import gradio_ask
from qa.web.json_api import build_api
from qa.web.service import QAService, ServiceLimits

pytestmark = pytest.mark.slow
QUESTION = "Will Russia give Iran fighter jets?"
FOLLOW_UP = "And air defenses?"
OFFLINE = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "GRADIO_ANALYTICS_ENABLED": "False",
}


@pytest.fixture(scope="module")
def client(engine) -> TestClient:
    service = QAService(loader=lambda: engine).start()
    assert service.wait_ready(30)
    return TestClient(build_api(service))


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """`python app.py` on a free port, serving the tests' index, with its own data dir."""
    data = tmp_path_factory.mktemp("app-data")
    env = dict(os.environ, **OFFLINE, QA_DATA_DIR=str(data))
    env["QA_INDEX"] = str(Settings.from_env().index_dir)
    server = AppServer(env).start(tmp_path_factory.mktemp("app-log"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def gradio(app):
    from gradio_client import Client

    client = Client(app.url, analytics_enabled=False, verbose=False)
    yield client
    client.close()


def assert_contract(obj: dict) -> None:
    assert set(obj) == CONTRACT_KEYS
    assert obj["passages"] and all(set(p) == PASSAGE_KEYS for p in obj["passages"])


def test_post_returns_the_engines_json(client, engine):
    resp = client.post("/api/ask", json={"question": QUESTION})
    assert resp.status_code == 200
    assert_contract(resp.json())
    assert resp.json() == engine.ask(QUESTION).to_json()
    assert "fighter jets" in resp.json()["answer"]
    assert resp.json()["passages"][0]["answer_start"] is not None


def test_get_takes_history_and_k(client, engine):
    resp = client.get("/api/ask", params={"q": FOLLOW_UP, "history": [QUESTION], "k": 2})
    assert resp.status_code == 200
    assert resp.json() == engine.ask(FOLLOW_UP, [QUESTION], k=2).to_json()
    assert len(resp.json()["passages"]) == 2
    assert resp.json() != engine.ask(FOLLOW_UP, k=2).to_json()  # the history was used


def test_post_with_history_and_k(client, engine):
    body = {"question": FOLLOW_UP, "history": [QUESTION], "k": 3}
    assert (
        client.post("/api/ask", json=body).json() == engine.ask(FOLLOW_UP, [QUESTION], 3).to_json()
    )


def test_same_object_as_qa_ask_json(client):
    env = dict(os.environ, **OFFLINE)
    out = subprocess.run(
        [sys.executable, "-m", "qa", "ask", "--json", QUESTION],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == client.post("/api/ask", json={"question": QUESTION}).json()


@pytest.mark.parametrize(
    ("method", "kwargs", "status", "message"),
    [
        ("post", {"json": {"question": ""}}, 422, "it is empty"),
        ("post", {"json": {"question": " \t\n "}}, 422, "it is empty"),
        ("post", {"json": {"question": "x" * 2001}}, 422, "too long"),
        ("post", {"json": {}}, 422, 'Missing "question"'),
        ("post", {"json": {"q": QUESTION}}, 422, 'Missing "question": send {"question": "..."}'),
        ("post", {"json": {"question": 42}}, 422, "must be text"),
        ("post", {"json": {"question": QUESTION, "k": 0}}, 422, "k must be"),
        ("post", {"json": {"question": QUESTION, "k": "many"}}, 422, "k must be"),
        ("post", {"json": {"question": QUESTION, "history": 7}}, 422, "history"),
        ("post", {"json": [QUESTION]}, 400, "JSON object"),
        ("post", {"content": b"{not json", "headers": {"content-type": "application/json"}}, 400,
         "must be JSON"),
        ("get", {"params": {}}, 422, "send /api/ask?q="),
        ("get", {"params": {"question": QUESTION}}, 422, "(the request has ?question=)"),
        ("put", {"json": {"question": QUESTION}}, 405, "Use GET"),
        ("get", {"params": {"q": "   "}}, 422, "it is empty"),
        ("get", {"params": {"q": QUESTION, "k": "51"}}, 422, "k must be"),
    ],
)  # fmt: skip
def test_bad_requests_get_a_one_line_error(client, method, kwargs, status, message):
    resp = getattr(client, method)("/api/ask", **kwargs)
    assert resp.status_code == status
    body = resp.json()
    assert set(body) == {"error"} and message in body["error"]
    assert "\n" not in body["error"] and "Traceback" not in body["error"]
    assert "...." not in body["error"] and ".." not in body["error"].replace("...", "")


def test_while_loading_the_route_says_so_with_retry_after():
    release = threading.Event()
    service = QAService(loader=lambda: release.wait(30), limits=ServiceLimits(load_wait=0.1))
    client = TestClient(build_api(service.start()))
    try:
        resp = client.post("/api/ask", json={"question": QUESTION})
        assert resp.status_code == 503
        assert "still loading" in resp.json()["error"]
        assert int(resp.headers["retry-after"]) > 0
        assert client.get("/api/health").json()["state"] == "loading"
    finally:
        release.set()


def test_gradio_client_ask_matches_the_json_route(app, gradio):
    result = gradio_ask(gradio, QUESTION)
    assert_contract(result)
    status, body = post_json(f"{app.url}/api/ask", {"question": QUESTION})
    assert status == 200 and result == body
    assert "fighter jets" in result["answer"]


def test_gradio_client_follow_up_uses_history(app, gradio):
    result = gradio_ask(gradio, FOLLOW_UP, [QUESTION], 3)
    status, body = post_json(
        f"{app.url}/api/ask", {"question": FOLLOW_UP, "history": [QUESTION], "k": 3}
    )
    assert status == 200 and result == body and len(result["passages"]) == 3


def test_gradio_client_bad_question_is_a_friendly_error(gradio):
    from gradio_client.exceptions import AppError

    for bad, message in (("   ", "it is empty"), ("y" * 2001, "too long")):
        with pytest.raises(AppError, match=message):
            gradio_ask(gradio, bad)


STARVED_READER = 0.5  # seconds the client's event reader takes to handle `close_stream`


def test_a_gradio_call_is_not_cancelled_by_the_previous_calls_closing_stream(app, monkeypatch):
    """Issue 22 item 6: `gradio_client` calls in a row, its event reader slow to handle the
    server's `close_stream` (as a starved thread on a loaded machine is). Without `gradio_ask`
    waiting for that reader, a call sent meanwhile joins the closing stream and is cancelled
    (`CancelledError`; 7 of 20 with 0.3 s) though the server answers it."""
    import httpx
    from gradio_client import Client

    iter_bytes = httpx.Response.iter_bytes
    close = b'data: {"msg":"close_stream"'

    def starved(self, *args, **kwargs):
        for chunk in iter_bytes(self, *args, **kwargs):
            if "/queue/data" in self.request.url.path and close in chunk:
                before, _, after = chunk.partition(close)
                yield before
                time.sleep(STARVED_READER)
                chunk = close + after
            yield chunk

    monkeypatch.setattr(httpx.Response, "iter_bytes", starved)
    client = Client(app.url, analytics_enabled=False, verbose=False)
    try:
        results = [gradio_ask(client, QUESTION, timeout=60) for _ in range(12)]
    finally:
        client.close()
    assert all(r["answer"] == results[0]["answer"] for r in results)
    assert "fighter jets" in results[0]["answer"]


def test_only_the_ask_endpoint_is_public(gradio):
    api = gradio.view_api(print_info=False, return_format="dict")
    assert list(api["named_endpoints"]) == ["/ask"]
    assert not api["unnamed_endpoints"]


def test_the_app_listens_on_loopback_only(app):
    proc = psutil.Process(app.pid)
    procs = [proc, *proc.children(recursive=True)]
    listening = [
        c.laddr for p in procs for c in p.net_connections("tcp") if c.status == psutil.CONN_LISTEN
    ]
    assert listening and {addr.ip for addr in listening} == {"127.0.0.1"}
    assert {addr.port for addr in listening} == {app.port}
    remote = {c.raddr.ip for p in procs for c in p.net_connections("inet") if c.raddr}
    assert remote <= {"127.0.0.1", "::1"}  # no connection to any other host (analytics, hub)


def test_the_start_log_is_free_of_alarming_lines(app):
    log = app.log()
    assert "engine ready" in log
    assert "Error" not in log and "Traceback" not in log, log  # faiss' CPU probing is quiet


def test_server_binds_loopback_7860_unless_told_otherwise(monkeypatch):
    from qa.web.server import is_loopback, parse_options

    for key in ("QA_HOST", "QA_PORT"):
        monkeypatch.delenv(key, raising=False)
    default = parse_options([])
    assert (default.host, default.port) == ("127.0.0.1", 7860)
    monkeypatch.setenv("QA_HOST", "0.0.0.0")
    monkeypatch.setenv("QA_PORT", "8001")
    assert (parse_options([]).host, parse_options([]).port) == ("0.0.0.0", 8001)
    chosen = parse_options(["--host", "::1", "--port", "9000"])
    assert (chosen.host, chosen.port) == ("::1", 9000)
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.10")


def test_other_methods_on_the_route_get_405_through_the_real_server(app):
    for method in ("PUT", "DELETE"):
        status, body, headers = http(method, f"{app.url}/api/ask", b"{}")
        assert status == 405, (method, status, body)
        assert json.loads(body) == {"error": "Use GET /api/ask?q=... or POST /api/ask."}
        assert headers.get("allow") == "GET, POST" or headers.get("Allow") == "GET, POST"
