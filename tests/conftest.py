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
# The shared dev set when it sits beside the checkout, else the repo's copy in eval/ (for CI).
_SHARED_DEV = ROOT.parent / "shared" / "eval" / "dev.jsonl"
DEV_SET = Path(
    os.environ.get("QA_DEV_SET")
    or (_SHARED_DEV if _SHARED_DEV.is_file() else ROOT / "eval" / "dev.jsonl")
)
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
    from qa.index.embedding import SentenceTransformerEmbedder, resolve_model

    return SentenceTransformerEmbedder(resolve_model(None))


@pytest.fixture(scope="session")
def engine():
    from qa.answer.engine import QAEngine

    return QAEngine.load()


@pytest.fixture(scope="session")
def dev_questions():
    from qa.tools.evaluate import read_questions

    if not DEV_SET.is_file():
        if os.environ.get("CI"):
            pytest.fail(f"dev set not found at {DEV_SET}: CI must run the quality gates")
        pytest.skip(f"dev set not found at {DEV_SET}")
    return read_questions(DEV_SET)


@pytest.fixture(scope="session")
def scorer() -> Path:
    """The shared scorer that sits beside the dev set."""
    return SCORER
