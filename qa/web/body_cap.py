"""Reading a request body with a cap, before the app parses it.

A declared `Content-Length` over the cap is refused without reading a byte; a body without
one (chunked) is counted as it arrives and refused as soon as it passes the cap. A body within
the cap is handed to the app unchanged, as if it were read from the network.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

Receive = Callable[[], Awaitable[dict]]


class BodyTooLarge(Exception):
    """The request body is larger than the cap."""


def has_body(headers: list[tuple[bytes, bytes]]) -> bool:
    """True when the request declares a body (a non-zero Content-Length, or chunked)."""
    for name, value in headers:
        if name == b"transfer-encoding" or (name == b"content-length" and value.strip() != b"0"):
            return True
    return False


def declared_length(headers: list[tuple[bytes, bytes]]) -> int | None:
    """The Content-Length, or None when absent (the server has already refused a bad one)."""
    for name, value in headers:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def read_body(receive: Receive, cap: int) -> bytes:
    """The whole body, or `BodyTooLarge` as soon as more than `cap` bytes arrived."""
    chunks, size, more = [], 0, True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > cap:
            raise BodyTooLarge
        chunks.append(chunk)
        more = message.get("more_body", False)
    return b"".join(chunks)


def replay(body: bytes, receive: Receive) -> Receive:
    """A `receive` that gives `body` once, then the network's own messages (disconnects)."""
    pending = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive_again() -> dict:
        return pending.pop() if pending else await receive()

    return receive_again
