"""The serving object: one `QAEngine`, loaded in the background and swapped when the index changes.

The server starts answering connections at once; the first question waits (bounded) for the
model. Before each answer the index manifest is stat'ed (at most once per second); a new index
is loaded in a background thread and swapped in by one reference assignment, so a request uses
one engine from start to end. A corrupt or stale new index is logged and the old one kept.
This module imports `qa.answer.engine` (and so the model stack) only inside the loader.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from qa.answer.question import check_question
from qa.answer.result import AskResult
from qa.config import Settings
from qa.index.search import StoreUnavailable
from qa.index.stores import store_signature

log = logging.getLogger("qa.service")

LOADING = "The model is still loading; please try again in a few seconds."
BUSY = "The server is busy; please try again in a moment."
SEARCH_DOWN = "The search service is unavailable; please try again in a moment."


class ServiceUnavailable(RuntimeError):
    """The service cannot answer now (loading, busy, no usable index, or the search engine is
    down); one line for the user."""

    def __init__(self, message: str, retry_after: int = 5) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class ServiceLimits:
    """How long a request waits for the model and for a free slot, and how many run at once."""

    load_wait: float = 30.0
    busy_wait: float = 10.0
    concurrency: int = 4
    check_interval: float = 1.0


def default_loader(
    settings: Settings, backend: str | None = None, reranker: str | None = None
) -> Callable[[], Any]:
    """A function that loads a fresh `QAEngine` for `settings` (imports the engine lazily)."""

    def load():
        from qa.answer.engine import QAEngine

        return QAEngine.load(settings, check_fresh=True, backend=backend, reranker=reranker)

    return load


class QAService:
    """Holds the current engine; `ask` is safe to call from many threads."""

    def __init__(
        self,
        settings: Settings | None = None,
        loader: Callable[[], Any] | None = None,
        limits: ServiceLimits | None = None,
    ) -> None:
        self.settings = settings or Settings.from_env()
        self.limits = limits or ServiceLimits()
        self._load = loader or default_loader(self.settings)
        self._engine: Any = None
        self._error: str | None = None
        self._ready = threading.Event()
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._slots = threading.BoundedSemaphore(self.limits.concurrency)
        self._signature: tuple | None = None
        self._checked_at = 0.0
        self._reloading = False
        self.reloads = 0

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> QAService:
        """Begin loading the engine in a background thread; returns at once."""
        threading.Thread(target=self._initial_load, name="qa-load", daemon=True).start()
        return self

    def wait_ready(self, timeout: float | None = None) -> bool:
        """True once the first load has finished (successfully or not)."""
        return self._ready.wait(timeout)

    def status(self) -> dict:
        """{"state": "loading" | "ready" | "failed", "error", "fingerprint", "reloads"}."""
        engine = self._engine
        state = "ready" if engine else ("failed" if self._ready.is_set() else "loading")
        fingerprint = engine.index.manifest.get("fingerprint") if engine else None
        return {
            "state": state,
            "error": self._error,
            "fingerprint": fingerprint,
            "reloads": self.reloads,
        }

    def documents(self) -> tuple[str | None, list]:
        """(index fingerprint, cleaned documents) of the current engine; (None, []) if none."""
        engine = self._engine
        if engine is None:
            return None, []
        return engine.index.manifest.get("fingerprint"), list(engine.index.documents)

    def _initial_load(self) -> None:
        signature = self._manifest_signature()
        try:
            engine = self._load()
        except Exception as exc:  # the message is shown to users, the trace goes to the log
            log.exception("loading the engine failed")
            self._error = f"The index could not be loaded: {exc}"
            engine = None
        with self._lock:
            self._engine, self._signature = engine, signature
        if engine is not None:
            log.info("engine ready")
            _warn_if_stale(engine)
        self._checked_at = time.monotonic()
        self._ready.set()

    # -- answering -------------------------------------------------------------------------

    def engine(self, wait: float | None = None) -> Any:
        """The current engine, waiting up to `wait` seconds for the first load."""
        wait = self.limits.load_wait if wait is None else wait
        if not self._ready.wait(wait):
            raise ServiceUnavailable(LOADING)
        self.check_for_new_index()
        with self._changed:  # no engine yet but a new index is loading: wait for it, bounded
            self._changed.wait_for(lambda: self._engine or not self._reloading, timeout=wait)
            engine = self._engine
        if engine is None:
            raise ServiceUnavailable(self._error or LOADING, retry_after=30)
        return engine

    def ask(
        self,
        question: object,
        history: Sequence[str] = (),
        k: int = 5,
        wait: float | None = None,
    ) -> AskResult:
        """Answer with one engine from start to end; `QuestionError` for a bad question,
        `ServiceUnavailable` while loading, when busy or without a usable index."""
        check_question(question, history)  # a bad question fails at once, even while loading
        engine = self.engine(wait)
        if not self._slots.acquire(timeout=self.limits.busy_wait):
            raise ServiceUnavailable(BUSY)
        try:
            return engine.ask(question, history, k=k)
        except StoreUnavailable as exc:  # the search engine went away mid-query
            log.warning("search engine unavailable: %s", exc)
            raise ServiceUnavailable(SEARCH_DOWN) from None
        finally:
            self._slots.release()

    # -- index changes ---------------------------------------------------------------------

    def check_for_new_index(self, force: bool = False) -> bool:
        """Start a background reload if the manifest changed; True if one was started.

        The stat happens at most once per `check_interval` seconds unless `force`.
        """
        now = time.monotonic()
        if not force and now - self._checked_at < self.limits.check_interval:
            return False
        self._checked_at = now
        signature = self._manifest_signature()
        with self._lock:
            if signature == self._signature or self._reloading:
                return False
            self._reloading = True
        threading.Thread(target=self._reload, args=(signature,), daemon=True).start()
        return True

    def reload(self) -> bool:
        """Load the index now, in this thread, and swap it in; False (old kept) on failure."""
        with self._lock:
            self._reloading = True
        return self._reload(self._manifest_signature())

    def _reload(self, signature: tuple | None) -> bool:
        try:
            engine = self._load()
        except Exception as exc:
            log.warning("new index not loaded, still serving the previous one: %s", exc)
            with self._changed:
                self._signature, self._reloading = signature, False
                if self._engine is None:
                    self._error = f"The index could not be loaded: {exc}"
                self._changed.notify_all()
            return False
        with self._changed:
            self._engine, self._signature, self._reloading = engine, signature, False
            self._error = None
            self.reloads += 1
            self._changed.notify_all()
        log.info("new index loaded and swapped in")
        _warn_if_stale(engine)
        return True

    def _manifest_signature(self) -> tuple | None:
        """Cheap to compare, changes on every build: the manifest's (inode, mtime, size), or
        the collection a Milvus alias points at."""
        return store_signature(self.settings)


def _warn_if_stale(engine) -> None:
    """One log line when the engine answers from an index older than the corpus."""
    if getattr(engine, "stale", None):
        log.warning("answering from the last build, which is older: %s", engine.stale)
