"""The network face: one ASGI middleware in front of the JSON routes and the Gradio page.

For each HTTP request, in order: the per-address rate limits (429 with Retry-After), the body
cap (413), then the app. Every response carries the security headers (`qa.web.headers`); an
error the app did not handle is logged with its traceback and answered with one line (500).
Refusals are `{"error": "one line"}`, as from the JSON route.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from qa.web.body_cap import BodyTooLarge, declared_length, has_body, read_body, replay
from qa.web.headers import API_POLICY, page_policy, with_security_headers
from qa.web.rate_limit import Rate, RateLimiter, is_loopback, retry_after

log = logging.getLogger("qa.guard")
Send = Callable[[dict], Awaitable[None]]
RATE_MODES = ("auto", "on", "off")
GRADIO = "/gradio_api/"
INTERNAL_ERROR = "The server could not answer this request; it has been logged."


@dataclass(frozen=True)
class GuardOptions:
    """Body caps (bytes) and per-address rates. `rate_limit`: "auto" limits every address but
    loopback, "on" every address, "off" none. A refusal (429) is held `refusal_delay` seconds
    before it is sent, so a client that waits for each answer floods at one request per second
    and connection instead of thousands."""

    max_api_body: int = 64 * 1024
    max_page_body: int = 2 * 1024 * 1024
    rate_limit: str = "auto"
    ask_rate: Rate = Rate(20, 10)
    vote_rate: Rate = Rate(10, 60)
    event_rate: Rate = Rate(60, 10)
    refusal_delay: float = 1.0


@dataclass(frozen=True)
class VoteEvents:
    """How a vote reaches the server: the Gradio event ids (`fn_index`) and API names of the
    vote handler."""

    fn_ids: frozenset[int] = field(default_factory=frozenset)
    api_names: frozenset[str] = field(default_factory=frozenset)

    def matches(self, path: str, body: bytes) -> bool:
        """True when a POST of `body` to `path` runs the vote handler."""
        if path.rstrip("/").rsplit("/", 1)[-1] in self.api_names:
            return True
        try:
            fn_index = json.loads(body).get("fn_index")
        except (ValueError, AttributeError):
            return False
        return isinstance(fn_index, int) and fn_index in self.fn_ids


class NetworkGuard:
    """The ASGI middleware; wrap the whole app (see `qa.web.server.create_app`)."""

    def __init__(self, app, options: GuardOptions, votes: VoteEvents) -> None:
        self.app = app
        self.options = options
        self.votes = votes
        self.ask = RateLimiter(options.ask_rate)
        self.vote = RateLimiter(options.vote_rate)
        self.event = RateLimiter(options.event_rate)

    async def __call__(self, scope: dict, receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        reply = Reply(send, scope["path"].startswith("/api/"))
        try:
            await self._serve(scope, receive, reply)
        except Exception:
            if reply.started:
                raise
            log.exception("unhandled error on %s %s", scope["method"], scope["path"])
            await reply.error(500, INTERNAL_ERROR)

    async def _serve(self, scope: dict, receive, reply: Reply) -> None:
        path, address = scope["path"], (scope.get("client") or ("", 0))[0]
        limited = self._limits(address)
        for limiter in self._limiters_by_path(scope["method"], path) if limited else ():
            if wait := limiter.take(address):
                return await self._refuse(reply, wait)
        if has_body(scope["headers"]):
            cap = self._cap(path)
            length = declared_length(scope["headers"])
            try:
                if length is not None and length > cap:
                    raise BodyTooLarge
                body = await read_body(receive, cap)
            except BodyTooLarge:
                return await reply.too_large(cap)
            voting = limited and path.startswith(GRADIO) and self.votes.matches(path, body)
            if voting and (wait := self.vote.take(address)):
                return await self._refuse(reply, wait)
            receive = replay(body, receive)
        await self.app(scope, receive, reply.send)

    async def _refuse(self, reply: Reply, wait: float) -> None:
        await asyncio.sleep(self.options.refusal_delay)
        await reply.too_many(wait)

    def _cap(self, path: str) -> int:
        api = path.startswith("/api/")
        return self.options.max_api_body if api else self.options.max_page_body

    def _limits(self, address: str) -> bool:
        mode = self.options.rate_limit
        return mode == "on" or (mode == "auto" and not is_loopback(address))

    def _limiters_by_path(self, method: str, path: str) -> tuple[RateLimiter, ...]:
        if path.rstrip("/") == "/api/ask":
            return (self.ask,)
        if method == "POST" and path.startswith(GRADIO):
            return (self.event,)
        return ()


class Reply:
    """The response side: adds the security headers; holds an HTML page back until its body is
    complete, to allow its inline scripts by hash."""

    def __init__(self, send: Send, api: bool) -> None:
        self._send = send
        self._api = api
        self._held: dict | None = None
        self._html: list[bytes] = []
        self.started = False

    async def send(self, message: dict) -> None:
        if message["type"] == "http.response.start":
            self.started = True
            if _is_html(message["headers"]):
                self._held = message
                return
            policy = API_POLICY if self._api else page_policy()
            message = {**message, "headers": with_security_headers(message["headers"], policy)}
        elif message["type"] == "http.response.body" and self._held is not None:
            self._html.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            html, start, self._held = b"".join(self._html), self._held, None
            headers = with_security_headers(start["headers"], page_policy(html))
            await self._send({**start, "headers": headers})
            message = {"type": "http.response.body", "body": html}
        await self._send(message)

    async def error(self, status: int, text: str, headers: dict | None = None) -> None:
        """A one-line JSON error response."""
        body = json.dumps({"error": text}).encode()
        extra = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
        await self.send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    *extra,
                ],
            }
        )
        await self.send({"type": "http.response.body", "body": body})

    async def too_many(self, wait: float) -> None:
        seconds = retry_after(wait)
        text = f"Too many requests from your address: try again in {seconds} s."
        await self.error(429, text, {"Retry-After": str(seconds)})

    async def too_large(self, cap: int) -> None:
        await self.error(413, f"The request body is too large (the limit is {cap:,} bytes).")


def _is_html(headers: list[tuple[bytes, bytes]]) -> bool:
    return any(n.lower() == b"content-type" and v.startswith(b"text/html") for n, v in headers)
