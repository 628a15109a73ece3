"""Which store a URI names: none -> the files, .db -> milvus-lite, http(s) -> a server."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from qa.config import Settings
from qa.index.stores import StoreChoice, choose


def _choose(uri: str | None) -> StoreChoice:
    return choose(replace(Settings(index_dir=Path("/srv/index")), store=uri))


def test_no_uri_is_the_index_directory():
    assert _choose(None) == StoreChoice("files", "/srv/index")
    assert _choose("  ") == StoreChoice("files", "/srv/index")


def test_db_files_are_milvus_lite_and_urls_are_servers():
    assert _choose("milvus:///data/qa.db") == StoreChoice("milvus", "/data/qa.db")
    assert _choose("/data/qa.db") == StoreChoice("milvus", "/data/qa.db")
    assert _choose("qa.db") == StoreChoice("milvus", str(Path("qa.db").resolve()))
    for uri in ("http://milvus:19530", "https://zilliz.example:443", "tcp://10.0.0.5:19530"):
        assert _choose(uri) == StoreChoice("milvus", uri)


@pytest.mark.parametrize("uri", ["ftp://host/x", "milvus:///data/qa", "/data/index"])
def test_other_uris_are_refused_with_the_forms_that_work(uri):
    with pytest.raises(ValueError, match="milvus:///"):
        _choose(uri)


def test_qa_store_is_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("QA_STORE", "http://milvus:19530")
    assert Settings.from_env().store == "http://milvus:19530"
