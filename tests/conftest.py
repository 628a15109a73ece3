"""Shared fixtures: the real article, the real model, the committed index."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

ROOT = Path(__file__).resolve().parent.parent
ARTICLE = ROOT / "corpus" / "will-russia-support-iran.txt"


def eval_set(name: str) -> Path:
    """The shared evaluation set when it sits beside the checkout, else the repo's copy in
    eval/ (for CI)."""
    shared = ROOT.parent / "shared" / "eval" / f"{name}.jsonl"
    return shared if shared.is_file() else ROOT / "eval" / f"{name}.jsonl"


DEV_SET = Path(os.environ.get("QA_DEV_SET") or eval_set("dev"))
CHECK_SET = eval_set("check")
SCORER = DEV_SET.parent / "score.py"


@pytest.fixture(scope="session")
def article_text() -> str:
    return ARTICLE.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def document(article_text):
    from qa.ingest.clean import clean_document

    return clean_document(article_text, ARTICLE.name)


@pytest.fixture(scope="session")
def embedder():
    """The default model's embedder (the shipped ONNX model, read by onnxruntime)."""
    from qa.index.embedding import resolve_model
    from qa.index.query_embedder import load_embedder

    return load_embedder(resolve_model(None))


@pytest.fixture(scope="session")
def engine():
    from qa.answer.engine import QAEngine

    return QAEngine.load()


def _questions(path: Path) -> list[dict]:
    from qa.tools.evaluate import read_questions

    if not path.is_file():
        if os.environ.get("CI"):
            pytest.fail(f"evaluation set not found at {path}: CI must run the quality gates")
        pytest.skip(f"evaluation set not found at {path}")
    return read_questions(path)


@pytest.fixture(scope="session")
def dev_questions():
    return _questions(DEV_SET)


@pytest.fixture(scope="session")
def check_questions():
    """Questions worded the way readers ask, never used to choose anything (the estimate)."""
    return _questions(CHECK_SET)


@pytest.fixture(scope="session")
def scorer() -> Path:
    """The shared scorer that sits beside the dev set."""
    return SCORER


def pytest_terminal_summary(terminalreporter) -> None:
    """End the run with a loud line when the browser tests were skipped (no chromium): a green
    run without them has not checked the page."""
    skipped = terminalreporter.stats.get("skipped", [])
    browser = [r for r in skipped if "chromium not found" in str(getattr(r, "longrepr", ""))]
    if browser:
        terminalreporter.write_sep(
            "!",
            f"{len(browser)} BROWSER TESTS SKIPPED: chromium not found "
            "(apt-get install chromium, or set QA_CHROMIUM); the page was NOT tested",
            red=True,
            bold=True,
        )


# -- stores: the shared store suite runs on each (tests/index/test_stores.py) ---------------

STORES = ("faiss", "milvus-lite", "milvus-server", "milvus-cluster")


@pytest.fixture(scope="session")
def eval_sets():
    """`eval_sets(name)`: the path of evaluation set `name` (dev, tune, check)."""
    return eval_set


@pytest.fixture(scope="session")
def stores(tmp_path_factory):
    """`stores.uri(name)`: a store of `STORES` holding the committed corpus, built on first
    use (None for the committed FAISS files); the `milvus-lite server` stops at the end."""
    from helpers_milvus import StoreFarm

    farm = StoreFarm(tmp_path_factory.mktemp("stores"))
    yield farm
    farm.close()


@pytest.fixture(params=STORES)
def store_uri(request, stores) -> str | None:
    """Each store of the shared suite in turn."""
    return stores.uri(request.param)
