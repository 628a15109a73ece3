"""The search engine fails under the app: the JSON route answers 503 with a JSON error, the
page's API says the search service is unavailable, nothing crashes, and answers resume when
the engine is back (a `milvus-lite server` stopped and started again under the app)."""

from __future__ import annotations

import json
import os
import time
import urllib.parse

import pytest
from helpers_milvus import LiteServer, build_into
from helpers_server import OFFLINE, AppServer, http

from qa.web.service import SEARCH_DOWN

pytestmark = pytest.mark.slow
QUESTION = "Will Russia give Iran fighter jets?"


def ask(url: str) -> tuple[int, dict, dict]:
    query = urllib.parse.urlencode({"q": QUESTION})
    status, body, headers = http("GET", f"{url}/api/ask?{query}", timeout=60)
    return status, json.loads(body), headers


def test_engine_down_mid_query_gives_503_then_answers_resume(tmp_path):
    from gradio_client import Client

    server = LiteServer(tmp_path / "milvus").start()
    try:
        build_into(server.uri)
        env = dict(os.environ, **OFFLINE, QA_STORE=server.uri, QA_DATA_DIR=str(tmp_path))
        with AppServer(env).start(tmp_path) as app:
            status, before, _ = ask(app.url)
            assert status == 200 and not before["abstained"]
            server.stop()
            status, body, headers = ask(app.url)
            assert (status, body) == (503, {"error": SEARCH_DOWN})
            assert int({k.lower(): v for k, v in headers.items()}["retry-after"]) > 0
            with pytest.raises(Exception, match="search service is unavailable"):
                Client(app.url, verbose=False).predict(QUESTION, [], 5, api_name="/ask")
            server.start()
            for _ in range(60):  # the client reconnects within seconds; bounded, not timed
                status, after, _ = ask(app.url)
                if status == 200:
                    break
                time.sleep(1)
            assert (status, after) == (200, before)
            assert app.proc.poll() is None  # nothing crashed
    finally:
        server.stop()
