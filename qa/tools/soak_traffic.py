"""The soak's clients: page loads, JSON asks, Gradio asks, and a visitor's chat with votes.

Each request is one `Outcome` (kind, end time, seconds, error or None). A visitor speaks the
page's own protocol, as the browser does (`gradio_client` refuses the page's private events):
join the queue with the event's `fn_index` and the visitor's session, then read the session's
event stream until the event completes. The chat turns live in the server's session state, so a
vote names the answer by its place in the chat, as the browser's thumbs do.
"""

from __future__ import annotations

import http.client
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

QUESTIONS = [
    ("Will Russia send troops to defend Iran?", []),
    ("Does Russia sell weapons to Iran?", []),
    ("What about drones?", ["Does Russia sell weapons to Iran?"]),
    ("Why does Russia need Israel?", []),
    ("And China?", ["What does Russia gain from its partnership with Iran?"]),
    ("What is the capital of Australia?", []),
]
TOPICS = ("Iran", "Russia", "Israel", "Syria", "sanctions", "drones", "oil", "China")
TURNS_PER_VISIT = 3  # chat turns (each voted on) before the visitor leaves and a new one comes
GRADIO_API = "/gradio_api"


@dataclass(frozen=True)
class Outcome:
    """One request: what it was, when it ended (monotonic), how long it took, why it failed."""

    kind: str
    ended: float
    seconds: float
    error: str | None = None


class RequestFailed(RuntimeError):
    """A request that did not get its answer; the message says what came back instead."""


def timed(kind: str, call: Callable[..., object], *args) -> Outcome:
    """Run `call(*args)`; its outcome (any exception is a failure, named)."""
    began = time.monotonic()
    try:
        call(*args)
        error = None
    except Exception as exc:  # every failure is counted and named, never raised in a client
        error = f"{type(exc).__name__}: {' '.join(str(exc).split())[:200]}"
    ended = time.monotonic()
    return Outcome(kind, ended, ended - began, error)


class Loopback:
    """Plain HTTP requests to the app on 127.0.0.1 (one connection per request)."""

    def __init__(self, url: str, timeout: float) -> None:
        parts = urlsplit(url)
        self.host, self.port, self.timeout = parts.hostname, parts.port or 80, timeout

    def request(self, method: str, path: str, body: object = None) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            data = None if body is None else json.dumps(body).encode()
            headers = {"Content-Type": "application/json"} if data is not None else {}
            conn.request(method, path, data, headers)
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    def events(self, session: str):
        """The session's event stream (`data:` messages, decoded) until the server closes it."""
        conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            conn.request("GET", f"{GRADIO_API}/queue/data?session_hash={session}")
            response = conn.getresponse()
            if response.status != 200:
                raise RequestFailed(f"event stream: HTTP {response.status}")
            for line in response:
                if line.startswith(b"data:"):
                    yield json.loads(line[5:])
        finally:
            conn.close()


def page_load(http: Loopback) -> None:
    status, body = http.request("GET", "/")
    if status != 200 or b"<html" not in body[:2000].lower():
        raise RequestFailed(f"GET /: HTTP {status}")


def json_ask(http: Loopback, n: int) -> dict:
    """A mostly new question each time, so the server's question memo fills and evicts."""
    question = f"What does the article say about {TOPICS[n % len(TOPICS)]} (case {n})?"
    status, body = http.request("POST", "/api/ask", {"question": question})
    if status != 200:
        raise RequestFailed(f"POST /api/ask: HTTP {status}: {body[:200]!r}")
    return json.loads(body)


@dataclass(frozen=True)
class PageEvents:
    """Where the page's chat and vote events are: their `fn_index` and trigger components."""

    ask: int
    ask_trigger: int
    vote: int
    chat: int

    @classmethod
    def read(cls, http: Loopback) -> PageEvents:
        """From the page's `/config`: the question box's submit event and the chat's like event."""
        status, body = http.request("GET", "/config")
        if status != 200:
            raise RequestFailed(f"GET /config: HTTP {status}")
        config = json.loads(body)
        ids = {c.get("props", {}).get("elem_id"): c["id"] for c in config["components"]}
        box, chat = ids["qa-question"], ids["qa-chat"]

        def event(target: int, trigger: str) -> int:
            for i, dep in enumerate(config["dependencies"]):
                if [target, trigger] in [list(t) for t in dep.get("targets", [])]:
                    return dep.get("id", i)
            raise RequestFailed(f"the page has no {trigger} event on component {target}")

        return cls(event(box, "submit"), box, event(chat, "like"), chat)


class Visitor:
    """One browser session: asks in the chat and votes on each answer."""

    def __init__(self, http: Loopback, events: PageEvents) -> None:
        self.http, self.events = http, events
        self.session = uuid.uuid4().hex
        self.chat: list = []

    def ask(self, question: str) -> None:
        """The page's chat event; the answer must arrive as two new chat bubbles."""
        data = [question, self.chat, None, None]
        output = self._run(self.events.ask, self.events.ask_trigger, data)
        chat = output[1] if isinstance(output[1], list) else None
        if chat is None or len(chat) != len(self.chat) + 2:
            status = output[3] if len(output) > 3 else None
            raise RequestFailed(f"chat: no answer bubble (status: {str(status)[:200]})")
        self.chat = chat

    def vote(self, liked: bool) -> None:
        """A thumbs up or down on the latest answer."""
        event_data = {"index": len(self.chat) - 1, "value": self.chat[-1], "liked": liked}
        self._run(self.events.vote, self.events.chat, [None], event_data)

    def _run(self, fn_index: int, trigger: int, data: list, event_data=None) -> list:
        body = {
            "data": data,
            "event_data": event_data,
            "fn_index": fn_index,
            "trigger_id": trigger,
            "session_hash": self.session,
        }
        status, raw = self.http.request("POST", f"{GRADIO_API}/queue/join", body)
        if status != 200:
            raise RequestFailed(f"queue/join: HTTP {status}: {raw[:200]!r}")
        event_id = json.loads(raw)["event_id"]
        for message in self.http.events(self.session):
            if message.get("event_id") == event_id and message["msg"] == "process_completed":
                if not message.get("success", False):
                    raise RequestFailed(f"event failed: {message.get('output')}")
                return message["output"].get("data") or []
            if message["msg"] in ("unexpected_error", "queue_full"):
                raise RequestFailed(f"{message['msg']}: {message.get('message')}")
        raise RequestFailed("the event stream closed before the event completed")
