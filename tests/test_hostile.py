"""Hostile input on every path: the CLI, the JSON API and the page.

Whatever Unicode arrives (control characters, lone surrogates, right-to-left marks,
zero-width characters, null bytes, 100 kB strings), the answer is the JSON contract or a
one-line error (exit code 2 / HTTP 4xx / a chat message); never a traceback, never a hang.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import threading
import urllib.error

import pytest
from helpers_server import CONTRACT_KEYS, PASSAGE_KEYS, run_qa, workspace
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qa.tools.gradio_calls import gradio_ask
from qa.web.guard import GuardOptions

EXAMPLES = int(os.environ.get("QA_HOSTILE_EXAMPLES", "120"))
CALL_BOUND = 120  # seconds: far beyond any real answer; only a hang reaches it

HOSTILE = (
    "\x00\x01\x07\x08\x1b\x7f\x85\x9f\n\r\t \u00a0\u0301\u034f\u061c\u180e"
    "\u200b\u200c\u200d\u200e\u200f\u2028\u2029\u202a\u202b\u202c\u202d\u202e"
    "\u2060\u2066\u2067\u2068\u2069\ufeff\ufdfa\ufffd\ufffe\uffff"
    "\ud800\udbff\udc00\udfff\U0001f600\U000e0001\U0010ffff"
)
WORDS = ["Russia", "Iran", "alliance", "military", "support", "what", "why", "it", "?"]

any_char = st.characters(exclude_categories=())  # every code point, lone surrogates included
pieces = st.one_of(
    st.text(any_char, max_size=40),
    st.text(st.sampled_from(HOSTILE), max_size=40),
    st.sampled_from(WORDS),
    st.builds(
        lambda ch, n: ch * n,
        st.sampled_from(HOSTILE + "a "),
        st.sampled_from([1999, 2000, 2001, 8001, 100_000]),
    ),
)
questions = st.lists(pieces, max_size=6).map(" ".join)
BIG = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def assert_contract(obj: object) -> None:
    """`obj` is exactly the JSON contract of `qa ask --json`, and encodable as UTF-8."""
    assert isinstance(obj, dict)
    assert set(obj) == CONTRACT_KEYS
    assert obj["confidence"] is None or 0.0 <= obj["confidence"] <= 1.0
    assert isinstance(obj["unsure"], bool)
    assert isinstance(obj["question"], str) and obj["question"].strip()
    assert isinstance(obj["abstained"], bool)
    assert obj["answer"] is None or isinstance(obj["answer"], str)
    assert isinstance(obj["passages"], list) and obj["passages"]
    for p in obj["passages"]:
        assert set(p) == PASSAGE_KEYS
        assert all(isinstance(p[k], str) for k in ("text", "doc", "section", "anchor"))
        assert all(isinstance(p[k], int) for k in ("id", "start", "end"))
        assert isinstance(p["score"], int | float)
        if p["answer_start"] is not None:
            assert 0 <= p["answer_start"] < p["answer_end"] <= len(p["text"])
    json.dumps(obj, ensure_ascii=False).encode("utf-8")  # no lone surrogate survives


def assert_one_line_error(stderr: str) -> None:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("qa: "), stderr
    assert "Traceback" not in stderr


def bounded(fn, *args):
    """`fn(*args)` in a thread; fails the test if it does not return within CALL_BOUND."""
    box: dict = {}

    def run():
        try:
            box["value"] = fn(*args)
        except BaseException as exc:  # re-raised in the test thread
            box["error"] = exc

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(CALL_BOUND)
    assert not t.is_alive(), f"call did not return within {CALL_BOUND}s"
    if "error" in box:
        raise box["error"]
    return box["value"]


def cli(argv: list[str]) -> tuple[int, str, str]:
    """`qa ARGV` in-process: (exit code, stdout, stderr)."""
    from qa.tools.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def expected_error(question: object) -> str | None:
    """The one-line message a bad question must get (None for a usable question)."""
    from qa.answer.question import QuestionError, normalise_question

    try:
        normalise_question(question)
    except QuestionError as exc:
        return str(exc)
    return None


def check_cli_outcome(code: int, out: str, err: str) -> None:
    if code == 0:
        assert err == ""
        lines = out.splitlines()
        assert len(lines) == 1
        assert_contract(json.loads(lines[0]))
    else:
        assert code == 2 and out == ""
        assert_one_line_error(err)


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    return workspace(tmp_path_factory.mktemp("hostile"))


@pytest.fixture(scope="module")
def cli_engine(ws, monkeypatch_module):
    """`qa ask` in-process with one engine loaded from the private index (not per call)."""
    import qa.tools.cli
    from qa.answer.engine import QAEngine
    from qa.config import Settings

    engine = QAEngine.load(Settings(corpus_dir=ws.corpus, index_dir=ws.index))
    monkeypatch_module.setattr(qa.tools.cli, "_load_engine", lambda args: engine)
    return engine


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as mp:
        yield mp


# -- CLI ---------------------------------------------------------------------------------


@pytest.mark.slow
@BIG
@given(question=questions)
def test_cli_question_is_contract_or_one_line_error(cli_engine, question):
    code, out, err = bounded(cli, ["ask", "--json", "--", question])
    check_cli_outcome(code, out, err)
    message = expected_error(question)
    assert (code, err) == ((2, f"qa: {message}\n") if message else (0, ""))


@pytest.mark.slow
@settings(max_examples=EXAMPLES // 2, deadline=None, suppress_health_check=list(HealthCheck))
@given(question=questions, history=st.lists(questions, max_size=3))
def test_cli_history_is_contract_or_one_line_error(cli_engine, question, history):
    argv = ["ask", "--json", *(f"--history={h}" for h in history), "--", question]
    code, out, err = bounded(cli, argv)
    check_cli_outcome(code, out, err)


@pytest.mark.slow
@pytest.mark.parametrize(
    "question",
    [
        "",
        "   \t\n ",
        "\u200b\u200d\ufeff\u2060",
        "\u202e\u200f\u061c",
        "x" * 100_000,
        "\x01\x02\x1b[31m\x7f",
        b"\xff\xfe\xed\xa0\x80 Russia?",  # not UTF-8: arrives as lone surrogates
    ],
    ids=["empty", "blank", "zero-width", "rtl-marks", "100kB", "controls", "bad-utf8"],
)
def test_cli_subprocess_rejects_or_answers(ws, question):
    """The real console script: one line on stderr and exit 2, or the contract; bounded."""
    proc = run_qa(["ask", "--json", "--", question], ws.env(), timeout=CALL_BOUND)
    assert "Traceback" not in proc.stderr
    if proc.returncode == 0:
        assert_contract(json.loads(proc.stdout))
    else:
        assert proc.returncode == 2 and proc.stdout == ""
        assert_one_line_error(proc.stderr)


@pytest.mark.slow
def test_cli_subprocess_answers_rtl_question(ws):
    proc = run_qa(
        ["ask", "--json", "--", "\u202bDoes\u200b Russia\u200f support Iran?\u202c"],
        ws.env(),
        timeout=CALL_BOUND,
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert_contract(result)
    assert result["question"] == "Does Russia support Iran?"


@pytest.mark.slow
def test_cli_jsonl_survives_nulls_surrogates_and_wrong_types(ws, tmp_path):
    """One process, many hostile lines: every line gets the contract or an error object."""
    items = [
        {"id": 1, "question": "Russia\x00Iran\x00alliance"},
        {"id": 2, "question": "\ud800\udfff lone surrogates? Russia"},
        {"id": 3, "question": None},
        {"id": 4, "question": 42},
        {"id": 5, "question": ["a list"]},
        {"id": 6, "question": "What about it?", "history": "not a list"},
        {"id": 7, "question": "What about it?", "history": [1, 2]},
        {"id": 8, "question": "What about it?", "history": ["\u200b\u200b"]},
        {"id": 9, "question": "What about it?", "history": ["y" * 100_000]},
        {"id": 10, "question": "\u202eWhy does it matter?", "history": ["Does Russia aid Iran?"]},
        {"id": 11},
    ]
    path = tmp_path / "hostile.jsonl"
    path.write_text("\n".join(json.dumps(i) for i in items), encoding="utf-8")
    proc = run_qa(["ask", "--jsonl", str(path)], ws.env(), timeout=CALL_BOUND)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [line["id"] for line in lines] == [i.get("id") for i in items]
    for line in lines:
        if "error" in line:
            assert set(line) == {"id", "error"} and "\n" not in line["error"]
        else:
            assert_contract({k: v for k, v in line.items() if k != "id"})
    answered = {line["id"] for line in lines if "error" not in line}
    assert {1, 2, 10} <= answered and not answered & {3, 4, 5, 6, 7, 8, 9, 11}


# -- the JSON API --------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(any_char, max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=8,
)
bodies = st.fixed_dictionaries(
    {"question": questions | json_values},
    optional={"history": st.lists(questions, max_size=3) | json_values, "k": json_values},
)
raw_bodies = st.one_of(
    st.binary(max_size=200),
    st.sampled_from(
        [
            b"",
            b"null",
            b"[]",
            b'"question"',
            b'{"question": "Russia\x00Iran"}',
            b'{"question": "\xff\xfe Russia"}',
            b'{"question": "\\ud800 Russia"}',
            b'{"question": ' + b'"' + b"a" * 100_000 + b'"}',
            b'{"question": {"nested": ' * 200 + b"1" + b"}" * 200,
        ]
    ),
)


@pytest.fixture(scope="module")
def app(ws, tmp_path_factory):
    from helpers_server import AppServer

    server = AppServer(ws.env()).start(tmp_path_factory.mktemp("hostile-app"))
    yield server
    server.stop()


def check_http_outcome(status: int, body) -> None:
    """200 with the contract, or a 4xx with {"error": one line}; never a 5xx or a trace."""
    if status == 200:
        assert_contract(body)
    else:
        assert 400 <= status < 500, (status, body)
        assert isinstance(body, dict) and set(body) == {"error"}, body
        assert "\n" not in body["error"] and "Traceback" not in body["error"]


@pytest.mark.slow
@BIG
@given(body=bodies)
def test_api_json_body_is_contract_or_one_line_error(app, body):
    from helpers_server import post_json

    if len(json.dumps(body).encode()) > GuardOptions().max_api_body:  # refused unread
        try:
            status, reply = bounded(post_json, f"{app.url}/api/ask", body, CALL_BOUND)
        except (urllib.error.URLError, ConnectionError) as exc:  # refused while still sent
            assert isinstance(getattr(exc, "reason", exc), ConnectionError), exc
            return
        assert status == 413 and "too large" in reply["error"]
        return
    status, reply = bounded(post_json, f"{app.url}/api/ask", body, CALL_BOUND)
    check_http_outcome(status, reply)
    if set(body) == {"question"}:  # then the question alone decides the outcome
        message = expected_error("" if body["question"] is None else body["question"])
        assert (status, reply.get("error")) == ((422, message) if message else (200, None))


@pytest.mark.slow
@settings(max_examples=EXAMPLES // 2, deadline=None, suppress_health_check=list(HealthCheck))
@given(raw=raw_bodies)
def test_api_raw_bytes_are_contract_or_one_line_error(app, raw):
    from helpers_server import post_json

    status, reply = bounded(post_json, f"{app.url}/api/ask", raw, CALL_BOUND)
    check_http_outcome(status, reply)


@pytest.mark.slow
@settings(max_examples=EXAMPLES // 2, deadline=None, suppress_health_check=list(HealthCheck))
@given(query=st.binary(max_size=60))
def test_api_get_query_bytes_are_contract_or_one_line_error(app, query):
    """Percent-encoded arbitrary bytes (NUL, invalid UTF-8) in ?q= and ?history=."""
    from urllib.parse import quote_from_bytes

    from helpers_server import http

    q = quote_from_bytes(query)
    status, raw, _ = bounded(http, "GET", f"{app.url}/api/ask?q={q}&history={q}", None, 60)
    check_http_outcome(status, json.loads(raw))


# -- the page ------------------------------------------------------------------------------

# What a browser can send: any text but lone surrogates, which no UTF-8 client can encode.
page_text = st.lists(
    st.one_of(
        st.text(st.characters(exclude_categories=("Cs",)), max_size=40),
        st.text(st.sampled_from([c for c in HOSTILE if not "\ud800" <= c <= "\udfff"])),
        st.sampled_from(WORDS),
        st.builds(lambda n: "\u202e" * n, st.sampled_from([2001, 100_000])),
    ),
    max_size=5,
).map(" ".join)


@pytest.mark.slow
@settings(max_examples=EXAMPLES // 3, deadline=None, suppress_health_check=list(HealthCheck))
@given(question=page_text)
def test_page_ask_endpoint_is_contract_or_friendly_error(app, question):
    """The page's public `ask` endpoint over the wire with gradio_client."""
    from gradio_client import Client

    client = _gradio_client(app.url, Client)
    try:
        result = gradio_ask(client, question, [], 5, timeout=CALL_BOUND)
    except TimeoutError:
        raise
    except Exception as exc:  # gradio_client raises the page's error message
        assert type(exc).__name__ == "AppError", (type(exc), str(exc))
        assert str(exc) == expected_error(question)  # the reason, in one line: not a trace
    else:
        assert expected_error(question) is None
        assert_contract(result)


_CLIENTS: dict = {}


def _gradio_client(url: str, client_cls):
    if url not in _CLIENTS:
        _CLIENTS[url] = client_cls(url, verbose=False, analytics_enabled=False)
    return _CLIENTS[url]


@pytest.mark.slow
@BIG
@given(question=questions, history=st.lists(questions, max_size=2))
def test_page_chat_handler_always_answers_with_a_message(cli_engine, question, history):
    """The chat handler turns any input into an answer bubble, a friendly notice under the box
    (the question kept for editing), or nothing at all for a blank box."""
    import gradio as gr

    from qa.web.page import _Handlers
    from qa.web.service import QAService

    handlers = _Handlers(QAService(loader=lambda: cli_engine).start(), None)
    turns = {i: {"question": h} for i, h in enumerate(history)}
    box, messages, _, status, *_ = bounded(handlers.respond, question, [], turns, None)
    skip = type(gr.skip())
    if isinstance(box, skip) and isinstance(messages, skip):  # not answered: chat unchanged
        if not question.strip():
            assert isinstance(status, skip)  # a blank box does nothing
            return
        assert 'role="alert"' in status and "Traceback" not in status
        return
    assert box == "" and len(messages) == 2 and messages[-1]["role"] == "assistant"
    reply = messages[-1]["content"]
    assert isinstance(reply, str) and reply.strip() and "Traceback" not in reply
    assert status == ""
