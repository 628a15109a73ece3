"""Parity: the seed article built from HTML, PDF and DOCX (rendered by tests/helpers_formats.py,
each with the scraped author card in it) answers the dev set as well as the `.txt` does, and no
format lets the card into the index."""

from __future__ import annotations

from dataclasses import replace

import pytest
from helpers_formats import author_card, to_docx, to_html, to_pdf

from qa.answer.engine import QAEngine
from qa.config import Settings
from qa.index.build import build_index
from qa.index.store import load_index
from qa.tools.evaluate import answer_all, score

pytestmark = pytest.mark.slow

RENDER = {".html": to_html, ".pdf": to_pdf, ".docx": to_docx}
CARD_VALUES = ("Cydney Hartmann", "rutherford.geo", "1995-06-17", "Hauck-Sanford", "Podiatrist")
TOLERANCE = 0.03


@pytest.fixture(scope="module")
def txt_scores(engine, dev_questions) -> dict:
    return score(dev_questions, answer_all(engine, dev_questions))


@pytest.fixture(scope="module", params=sorted(RENDER))
def built(request, tmp_path_factory, document, article_text, embedder):
    """(suffix, settings) of an index built from the seed rendered in one format."""
    suffix = request.param
    root = tmp_path_factory.mktemp(suffix.strip("."))
    corpus = root / "corpus"
    corpus.mkdir()
    data = RENDER[suffix](document, author_card(article_text))
    (corpus / f"will-russia-support-iran{suffix}").write_bytes(data)
    settings = replace(Settings.from_env(), corpus_dir=corpus, index_dir=root / "index")
    build_index(settings, embedder=embedder)
    return suffix, settings


def test_same_sections_as_the_txt(built, document):
    suffix, settings = built
    (doc,) = load_index(settings.index_dir).documents
    assert [(s.title, s.anchor) for s in doc.sections] == [
        (s.title, s.anchor) for s in document.sections
    ], suffix


def test_author_card_never_reaches_the_index(built):
    suffix, settings = built
    index = load_index(settings.index_dir)
    texts = [c.text for c in index.chunks] + [d.text for d in index.documents]
    for value in CARD_VALUES:
        assert not any(value in t for t in texts), (suffix, value)


def test_dev_set_recall_and_accuracy_within_tolerance_of_the_txt(built, dev_questions, txt_scores):
    suffix, settings = built
    got = score(dev_questions, answer_all(QAEngine.load(settings), dev_questions))
    for metric in ("recall@3", "answer_accuracy"):
        assert abs(got[metric] - txt_scores[metric]) <= TOLERANCE, (suffix, metric, got, txt_scores)
    assert got["pii_leaks"] == 0
