"""The server's memory settings (`qa/web/memory.py`): two malloc arenas, Gradio's event log
bounded. Their effect is measured by the soak (docs/reliability.md, "Soak")."""

from __future__ import annotations

import os

import pytest

from qa.config import Settings
from qa.web import memory


def test_malloc_arenas_are_capped_on_glibc(monkeypatch):
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    if not os.confstr("CS_GNU_LIBC_VERSION"):
        pytest.skip("not glibc")
    assert memory.limit_malloc_arenas() is True


def test_the_served_page_keeps_a_bounded_gradio_event_log(engine, tmp_path):
    from qa.web.server import ServerOptions, create_app
    from qa.web.service import QAService

    assert os.environ["GRADIO_ANALYTICS_MAX_EVENTS"] == memory.GRADIO_EVENTS
    service = QAService(settings=Settings(data_dir=tmp_path), loader=lambda: engine)
    app = create_app(service, None, ServerOptions())
    blocks = next(r.app.blocks for r in app.routes if hasattr(getattr(r, "app", None), "blocks"))
    assert int(memory.GRADIO_EVENTS) == blocks._queue.ANALYTICS_MAX_EVENTS
