"""Writes that must not hold up an answer (abstention records), done one at a time in a
background thread; at most `limit` are pending and more are refused, so a stuck store costs
the answer path neither time nor memory."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor


class WriteBehind:
    """One worker thread and a bounded backlog; `submit` never blocks."""

    def __init__(self, limit: int = 64) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="qa-write-behind")
        self._room = threading.BoundedSemaphore(limit)

    def submit(self, write: Callable[[], object]) -> bool:
        """Queue `write` (it handles its own errors); False, and not queued, when full."""
        if not self._room.acquire(blocking=False):
            return False
        future = self._pool.submit(write)
        future.add_done_callback(lambda _: self._room.release())
        return True

    def drain(self, timeout: float) -> None:
        """Wait until every write queued so far has run (for tests and shutdown)."""
        self._pool.submit(lambda: None).result(timeout)
