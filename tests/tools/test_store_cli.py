"""`--store URI` at the command line: unknown URIs, an unreachable engine, and a port that
answers another protocol (as a server of another version would) each give one line."""

from __future__ import annotations

import http.server
import threading

import pytest
from helpers_server import OFFLINE, free_port, run_qa

QUESTION = "Will Russia give Iran fighter jets?"


def _one_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    return lines[0]


def test_an_unknown_store_uri_is_a_usage_error():
    done = run_qa(["ask", "--store", "ftp://x/y", QUESTION], dict(OFFLINE), timeout=120)
    assert done.returncode == 2
    assert "ftp://x/y" in _one_line(done.stderr) and "Traceback" not in done.stderr


def test_an_unreachable_engine_is_one_line_naming_the_uri():
    uri = f"http://127.0.0.1:{free_port()}"
    done = run_qa(["ask", "--store", uri, QUESTION], dict(OFFLINE), timeout=120)
    assert done.returncode == 1
    assert _one_line(done.stderr).startswith(f"qa: the search engine at {uri}")


@pytest.fixture
def http_port():
    """A plain HTTP server on 127.0.0.1: it does not speak Milvus's protocol."""
    server = http.server.HTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()


def test_a_server_of_another_protocol_is_one_line_with_the_client_version(http_port):
    uri = f"http://127.0.0.1:{http_port}"
    done = run_qa(["build", "--check", "--store", uri], dict(OFFLINE), timeout=120)
    assert done.returncode == 1
    line = _one_line(done.stderr)
    assert uri in line and "Traceback" not in done.stderr
    done = run_qa(["ask", "--store", uri, QUESTION], dict(OFFLINE), timeout=120)
    assert done.returncode == 1
    assert "pymilvus 3.0.2" in _one_line(done.stderr)


@pytest.mark.parametrize(
    ("reported", "refused"),
    [("v2.3.5", True), ("2.0.0", True), ("v2.4.0", False), ("2.6.1", False)]
    + [("milvus_lite-3.2.2", False), ("unknown", False)],
)
def test_a_server_older_than_the_index_needs_is_named_with_both_versions(reported, refused):
    from qa.index.milvus_store import check_server_version
    from qa.index.search import StoreUnavailable

    where = "http://milvus:19530 (client pymilvus 3.0.2)"
    if not refused:
        check_server_version(reported, where)
        return
    with pytest.raises(StoreUnavailable) as caught:
        check_server_version(reported, where)
    message = str(caught.value)
    assert "\n" not in message and where in message
    assert reported in message and "2.4 or newer" in message


def test_connecting_reads_the_servers_version(monkeypatch):
    import pymilvus

    from qa.index.milvus_store import connect
    from qa.index.search import StoreUnavailable

    class OldServer:
        def __init__(self, **_):
            pass

        def list_collections(self):
            return []

        def get_server_version(self):
            return "v2.3.5"

    monkeypatch.setattr(pymilvus, "MilvusClient", OldServer)
    with pytest.raises(StoreUnavailable, match="Milvus v2.3.5: this index needs Milvus 2.4"):
        connect("http://127.0.0.1:19530")
