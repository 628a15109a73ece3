"""The network face (`qa.web.guard`): body caps, per-address rate limits, security headers, and
no stack trace or path in any response; then a bounded local flood from one address while
another asks at a steady pace.

Each test speaks from its own loopback address (127.0.0.x), so their rate-limit buckets are
apart; the app under test limits loopback too (`QA_RATE_LIMIT=on`)."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from urllib.parse import quote

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from helpers_server import ROOT, AppServer, free_port

from qa.config import Settings
from qa.web.guard import GuardOptions, NetworkGuard, VoteEvents
from qa.web.rate_limit import Rate, RateLimiter

QUESTION = "Will Russia give Iran fighter jets?"
QUESTIONS = [QUESTION, "Why does Russia need Israel?", "Is there a defence pact between them?"]
ASK_RATE = Rate(40, 600)  # burst 40, then one every 15 s
VOTE_RATE = Rate(3, 60)
FLOOD_SECONDS = float(os.environ.get("QA_FLOOD_SECONDS", "10"))
FLOOD_THREADS = int(os.environ.get("QA_FLOOD_THREADS", "4"))
PACE = 0.3  # seconds between the steady client's questions
SECURITY = {"x-content-type-options": "nosniff", "x-frame-options": "DENY"}
LEAKS = ("Traceback", "/work", str(ROOT), ".py", 'File "')


def call(port, method, path, body=None, headers=None, source="127.0.0.1", timeout=60.0):
    """(status, body, lower-cased headers) of one request from the local address `source`."""
    conn = http.client.HTTPConnection(
        "127.0.0.1", port, timeout=timeout, source_address=(source, 0)
    )
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp.read(), {k.lower(): v for k, v in resp.getheaders()}
    finally:
        conn.close()


def raw(port: int, data: bytes, source: str, read_timeout: float = 20.0) -> bytes:
    """Send `data` on a raw connection (as much of it as the server takes), then read what the
    server answers until it closes or `read_timeout` passes."""
    address = ("127.0.0.1", port)
    with socket.create_connection(address, read_timeout, source_address=(source, 0)) as s:
        with contextlib.suppress(OSError):  # the server may answer and close mid-send
            s.sendall(data)
        out = b""
        with contextlib.suppress(OSError):
            while chunk := s.recv(65536):
                out += chunk
        return out


def one_line_error(body: bytes) -> str:
    payload = json.loads(body)
    assert set(payload) == {"error"} and "\n" not in payload["error"], payload
    return payload["error"]


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """`python app.py` limiting every address, loopback included, with small vote budgets."""
    env = dict(
        os.environ,
        QA_DATA_DIR=str(tmp_path_factory.mktemp("face-data")),
        QA_INDEX=str(Settings.from_env().index_dir),
        QA_RATE_LIMIT="on",
        QA_RATE_ASK=str(ASK_RATE),
        QA_RATE_VOTE=str(VOTE_RATE),
        QA_RATE_EVENTS="30/10",
    )
    server = AppServer(env).start(tmp_path_factory.mktemp("face-log"))
    yield server
    server.stop()


# -- body cap ---------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_body_over_the_cap_is_refused_by_its_content_length(app):
    big = json.dumps({"question": "x" * 70_000}).encode()  # 70 kB > the 64 KiB cap
    status, body, headers = call(app.port, "POST", "/api/ask", big, source="127.0.0.10")
    assert status == 413 and "too large" in one_line_error(body)
    assert headers["x-content-type-options"] == "nosniff"
    # A declared length over the cap is refused without waiting for a byte of the body.
    head = b"POST /api/ask HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n"
    assert raw(app.port, head, "127.0.0.10").startswith(b"HTTP/1.1 413")
    # Just under the cap, the body is parsed and the question's own check answers.
    fits = json.dumps({"question": "x" * 60_000}).encode()
    status, body, _ = call(app.port, "POST", "/api/ask", fits, source="127.0.0.10")
    assert status == 422 and "too long" in one_line_error(body)


@pytest.mark.slow
def test_a_chunked_body_is_counted_as_it_arrives(app):
    """No Content-Length: the server refuses once the cap is passed, without waiting for the
    end of the body (this one never ends)."""
    head = b"POST /api/ask HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
    head += b"Content-Type: application/json\r\n\r\n"
    chunk = b"2000\r\n" + b"x" * 0x2000 + b"\r\n"  # 8 KiB chunks, 80 KiB in all, no last chunk
    answer = raw(app.port, head + chunk * 10, "127.0.0.11")
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b'"error"' in answer and b"too large" in answer
    # The page's routes have their own, larger cap (a long chat travels with each question).
    gradio = (
        b"POST /gradio_api/queue/join HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    assert raw(app.port, gradio + chunk * 300, "127.0.0.11").startswith(b"HTTP/1.1 413")


def test_an_over_long_question_is_refused_before_the_model_is_asked():
    """While the model is still loading (so nothing else could answer), a question of 60,000
    characters within the body cap is refused by its length (422), not made to wait (503)."""
    from qa.web.json_api import build_api
    from qa.web.service import QAService, ServiceLimits

    release = threading.Event()
    service = QAService(loader=lambda: release.wait(30), limits=ServiceLimits(load_wait=0.1))
    try:
        resp = TestClient(build_api(service.start())).post(
            "/api/ask", json={"question": "why " * 15_000}
        )
        assert resp.status_code == 422 and "too long" in resp.json()["error"]
    finally:
        release.set()


# -- rate limits ------------------------------------------------------------------------------


@pytest.mark.slow
def test_ask_is_rate_limited_per_address_with_retry_after(app):
    answered, started = 0, time.monotonic()
    for _ in range(ASK_RATE.burst * 3):
        status, body, headers = call(app.port, "GET", "/api/ask?q=Russia", source="127.0.0.12")
        if status != 200:
            break
        answered += 1
    refilled = (time.monotonic() - started) * ASK_RATE.burst / ASK_RATE.per
    assert status == 429 and "Too many requests" in one_line_error(body)
    assert ASK_RATE.burst <= answered <= ASK_RATE.burst + refilled + 1
    assert 1 <= int(headers["retry-after"]) <= 15  # a token comes back every 15 s
    body = b'{"question": "Russia"}'
    assert call(app.port, "POST", "/api/ask", body, source="127.0.0.12")[0] == 429  # shared
    # X-Forwarded-For is believed only from a proxy on 127.0.0.1 or ::1 (uvicorn's default):
    # from any other address it changes nothing.
    spoof = {"X-Forwarded-For": "198.51.100.7"}
    assert call(app.port, "GET", "/api/ask?q=Russia", None, spoof, "127.0.0.12")[0] == 429
    status, _, _ = call(app.port, "GET", "/api/ask?q=Russia", source="127.0.0.13")
    assert status == 200  # another address has its own


def gradio_event(port: int, fn_index: int, data: list, event_data=None, source="127.0.0.1"):
    body = {"fn_index": fn_index, "session_hash": f"s{time.monotonic_ns()}", "data": data}
    body["event_data"] = event_data
    payload = json.dumps(body).encode()
    hdrs = {"Content-Type": "application/json"}
    return call(port, "POST", "/gradio_api/queue/join", payload, hdrs, source=source)[0]


@pytest.mark.slow
def test_votes_have_their_own_tighter_budget(app):
    """A vote is a Gradio event like any other on the wire; the guard tells it by its event
    id, so a voting loop is refused while the same address may still use the page."""
    _, config, _ = call(app.port, "GET", "/config", source="127.0.0.14")
    deps = json.loads(config)["dependencies"]
    vote = next(d["id"] for d in deps if any(t[1] == "like" for t in d["targets"]))
    article = next(d["id"] for d in deps if any(t[1] == "load" for t in d["targets"]))
    liked = {"index": [1, 0], "value": "answer", "liked": True}
    statuses = [gradio_event(app.port, vote, [{}], liked, "127.0.0.14") for _ in range(5)]
    assert statuses == [200] * VOTE_RATE.burst + [429] * (5 - VOTE_RATE.burst)
    assert gradio_event(app.port, article, [], None, "127.0.0.14") == 200


def guarded(options: GuardOptions, client: str) -> TestClient:
    """A two-route app behind the guard, called from `client`."""
    inner = FastAPI()
    inner.get("/api/ask")(lambda: {"ok": True})
    inner.post("/gradio_api/queue/join")(lambda: {"ok": True})
    votes = VoteEvents(frozenset({8}), frozenset({"vote"}))
    return TestClient(NetworkGuard(inner, options, votes), client=(client, 5000))


@pytest.mark.parametrize(
    ("mode", "client", "limited"),
    [
        ("auto", "127.0.0.1", False),
        ("auto", "::1", False),
        ("auto", "192.0.2.7", True),
        ("auto", "2001:db8::7", True),
        ("on", "127.0.0.1", True),
        ("off", "192.0.2.7", False),
    ],
)
def test_rate_limit_modes(mode, client, limited):
    options = GuardOptions(rate_limit=mode, ask_rate=Rate(2, 600), refusal_delay=0)
    web = guarded(options, client)
    statuses = [web.get("/api/ask").status_code for _ in range(4)]
    assert statuses == ([200, 200, 429, 429] if limited else [200] * 4)


def test_an_ipv6_host_is_one_address_per_64():
    options = GuardOptions(ask_rate=Rate(1, 600), refusal_delay=0)
    limiter = NetworkGuard(None, options, VoteEvents()).ask
    assert limiter.take("2001:db8:1:2::1") == 0
    assert limiter.take("2001:db8:1:2:ffff::9") > 0  # same /64
    assert limiter.take("2001:db8:1:3::1") == 0


def test_a_bucket_refills_at_its_rate():
    now = [0.0]
    limiter = RateLimiter(Rate(2, 10), clock=lambda: now[0])
    assert [limiter.take("a") for _ in range(2)] == [0, 0]
    assert limiter.take("a") == pytest.approx(5.0)  # one token every 5 s
    now[0] = 5.0
    assert limiter.take("a") == 0 and limiter.take("a") == pytest.approx(5.0)


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["--rate-ask", "lots"], {}, "is not N/S"),
        ([], {"QA_RATE_VOTE": "0/10"}, "N must be a whole number"),
        ([], {"QA_RATE_LIMIT": "sometimes"}, "rate-limit must be one of auto, on, off"),
        ([], {"QA_MAX_BODY": "64k"}, "invalid int value"),
    ],
)
def test_bad_network_settings_stop_app_py_with_one_line(args, env, message):
    proc = subprocess.run(
        # an address not on this machine: a setting that slipped through fails to bind at once
        [sys.executable, str(ROOT / "app.py"), "--host", "192.0.2.1", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **env},
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert message in proc.stderr.strip().splitlines()[-1]


# -- headers and errors -----------------------------------------------------------------------


@pytest.mark.slow
def test_security_headers_on_page_api_assets_and_errors(app):
    _, page, _ = call(app.port, "GET", "/", source="127.0.0.15")
    asset = page.split(b'src="./assets/', 1)[1].split(b'"', 1)[0].decode()
    for method, path, body in (
        ("GET", "/", None),
        ("GET", "/api/ask?q=Russia", None),
        ("POST", "/api/ask", b'{"question": "Russia"}'),
        ("GET", "/api/health", None),
        ("GET", "/config", None),
        ("GET", f"/assets/{asset}", None),
        ("GET", "/no-such-page", None),
        ("POST", "/api/ask", b"{"),
    ):
        status, _, headers = call(app.port, method, path, body, source="127.0.0.15")
        for name, value in SECURITY.items():
            assert headers.get(name) == value, (path, status, name)
        assert headers["referrer-policy"] == "no-referrer"
        policy = headers["content-security-policy"]
        assert (
            "frame-ancestors 'none'" in policy
            and "'unsafe-inline' " not in policy.split("style-src")[0]
        )
        if path.startswith("/api/"):
            assert policy.startswith("default-src 'none'")
        else:
            assert "object-src 'none'" in policy and "base-uri 'self'" in policy
            assert "form-action 'self'" in policy


@pytest.mark.slow
def test_no_trace_or_path_in_error_responses(app):
    cases = [
        ("GET", "/no-such-page", None, 404),
        ("GET", "/api/no-such-route", None, 404),
        ("GET", "/gradio_api/no-such-route", None, 404),
        ("PUT", "/api/ask", b"{}", 405),
        ("DELETE", "/", None, 405),
        ("POST", "/api/ask", b'{"question": ', 400),
        ("POST", "/api/ask", b"\xff\xfe\x00garbage", 400),
        ("POST", "/gradio_api/queue/join", b'{"data": [', 422),
        (
            "POST",
            "/gradio_api/queue/join",
            b'{"data": [], "fn_index": 999, "session_hash": "x"}',
            None,
        ),
        ("POST", "/api/ask", b"x" * 70_000, 413),
    ]
    for method, path, body, expected in cases:
        status, text, _ = call(app.port, method, path, body, source="127.0.0.16")
        assert expected is None or status == expected, (path, status, text[:200])
        assert status >= 400
        for leak in LEAKS:
            assert leak.encode() not in text, (path, leak, text[:300])
    garbage = raw(app.port, b"GARBAGE / NONSENSE\r\n\r\n", "127.0.0.16")
    assert garbage.startswith(b"HTTP/1.1 400") and b"Traceback" not in garbage


class _Broken:
    """An engine whose every answer fails with an error naming a source file."""

    stale = None

    def ask(self, *args, **kwargs):
        raise RuntimeError(f"injected failure in {__file__}")

    def __getattr__(self, name):
        raise RuntimeError(f"injected failure in {__file__}")


@pytest.mark.slow
def test_an_internal_error_is_one_line_without_trace_or_path():
    """The real app (JSON route and Gradio page) over an engine that raises: a 500 with one
    line from the JSON route, Gradio's generic error from the page; the log has the trace."""
    import uvicorn
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    from qa.web.server import ServerOptions, create_app
    from qa.web.service import QAService

    service = QAService(loader=_Broken).start()
    assert service.wait_ready(30)
    port = free_port()
    app = create_app(service, None, ServerOptions(port=port))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="critical"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 60
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        status, body, headers = call(port, "GET", "/api/ask?q=Russia")
        assert status == 500 and "could not answer" in one_line_error(body)
        assert headers["x-content-type-options"] == "nosniff"
        for leak in LEAKS:
            assert leak.encode() not in body
        client = Client(f"http://127.0.0.1:{port}", analytics_enabled=False, verbose=False)
        with pytest.raises(AppError) as raised:
            client.predict(QUESTION, api_name="/ask")
        client.close()
        for leak in LEAKS:
            assert leak not in str(raised.value)
    finally:
        server.should_exit = True
        thread.join(30)


# -- the flood --------------------------------------------------------------------------------


def steady(port: int, source: str, seconds: float) -> tuple[list[int], list[float]]:
    """Questions every PACE seconds for `seconds` from `source`: (statuses, latencies in s)."""
    statuses, latencies = [], []
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60, source_address=(source, 0))
    start = time.monotonic()
    for i in range(int(seconds / PACE)):
        time.sleep(max(0.0, start + i * PACE - time.monotonic()))
        t0 = time.perf_counter()
        conn.request("GET", f"/api/ask?q={quote(QUESTIONS[i % len(QUESTIONS)])}")
        resp = conn.getresponse()
        resp.read()
        latencies.append(time.perf_counter() - t0)
        statuses.append(resp.status)
    conn.close()
    return statuses, latencies


def percentiles(latencies: list[float]) -> tuple[float, float]:
    """(p50, p95) in ms."""
    cuts = statistics.quantiles(latencies, n=20)
    return statistics.median(latencies) * 1000, cuts[18] * 1000


@pytest.mark.slow
def test_a_flood_from_one_address_is_refused_and_others_keep_their_latency(app):
    """127.0.0.2 sends GET /api/ask as fast as it can (FLOOD_THREADS connections) for
    FLOOD_SECONDS while 127.0.0.4 asks every 0.3 s; 127.0.0.3 did the same alone before.
    With `QA_REFUSAL_DELAY=0` in the environment the flood runs undelayed (and this test fails
    on the flooder's request count)."""
    alone_status, alone = steady(app.port, "127.0.0.3", FLOOD_SECONDS)
    url = f"{app.url}/api/ask?q={quote(QUESTION)}"
    cmd = [sys.executable, str(ROOT / "tests" / "helpers_flood.py"), url, "127.0.0.2"]
    flooder = subprocess.Popen(
        [*cmd, str(FLOOD_SECONDS + 1), str(FLOOD_THREADS)], stdout=subprocess.PIPE, text=True
    )
    try:
        time.sleep(0.5)  # the flood is under way before the steady client starts
        flooded_status, flooded = steady(app.port, "127.0.0.4", FLOOD_SECONDS)
        out, _ = flooder.communicate(timeout=FLOOD_SECONDS + 90)
    finally:
        flooder.kill()
    flood = json.loads(out)
    p50_alone, p95_alone = percentiles(alone)
    p50, p95 = percentiles(flooded)
    answered, refused = flood["status"].get("200", 0), flood["status"].get("429", 0)
    print(
        f"\nflood: {flood['sent']} requests in {flood['seconds']:.1f} s "
        f"({flood['sent'] / flood['seconds']:.0f}/s, {FLOOD_THREADS} connections): "
        f"{answered} answered, {refused} refused (429), other {flood['status']}"
        f"\nsteady client alone:  {len(alone)} questions, p50 {p50_alone:.1f} ms, "
        f"p95 {p95_alone:.1f} ms"
        f"\nsteady client during: {len(flooded)} questions, p50 {p50:.1f} ms, p95 {p95:.1f} ms"
    )
    assert set(alone_status) == {200} and set(flooded_status) == {200}
    allowed = ASK_RATE.burst + flood["seconds"] * ASK_RATE.burst / ASK_RATE.per
    assert set(flood["status"]) == {"200", "429"} and answered <= allowed + 1
    # Each refusal is held up to a second: a client that waits for its answers sends about one
    # request per second and connection, not thousands.
    assert flood["sent"] <= allowed + FLOOD_THREADS * (flood["seconds"] + 2)
    # Close to unloaded: the guard's refusals are cheap (a bound generous enough for a shared
    # 2-core machine, where the flooder itself takes a core).
    assert p50 <= max(3 * p50_alone, p50_alone + 50)
    assert p95 <= max(3 * p95_alone, p95_alone + 150)
