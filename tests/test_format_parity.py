"""Parity: the seed article built from HTML, PDF and DOCX (rendered by tests/helpers_formats.py,
each with the scraped author card in it) and from Markdown (with an "About the author" block)
answers the dev set as well as the `.txt` does, and no format lets personal data into the
index. The personal values are read from the seed's card, not copied into the repository."""

from __future__ import annotations

from dataclasses import replace

import pytest
from helpers_formats import author_card, card_fields, to_docx, to_html, to_markdown_article, to_pdf

from qa.answer.engine import QAEngine
from qa.config import Settings
from qa.index.build import build_index
from qa.index.store import load_index
from qa.tools.evaluate import answer_all, score

pytestmark = pytest.mark.slow

PERSONAL = ("Name", "Username", "Email", "Birthdate", "Address", "Phone", "Company", "Job")


def to_markdown_with_bio(doc, card: list[str]) -> bytes:
    """The article as Markdown ending in an "About the author" block made from the card."""
    c = dict(line.split(" : ", 1) for line in card[1:] if " : " in line)
    bio = (
        f"## About the author\n\n{c['Name']} ({c['Username']}), {c['Job']} at {c['Company']}, "
        f"born {c['Birthdate']}.\n\nE-mail {c['Email']}, phone {c['Phone']}, {c['Address']}.\n"
    )
    return (to_markdown_article(doc) + "\n" + bio).encode()


RENDER = {".html": to_html, ".pdf": to_pdf, ".docx": to_docx, ".md": to_markdown_with_bio}
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


def test_personal_data_never_reaches_the_index(built, article_text):
    suffix, settings = built
    card = card_fields(article_text)
    index = load_index(settings.index_dir)
    texts = [c.text for c in index.chunks] + [d.text for d in index.documents]
    for key in PERSONAL:
        assert not any(card[key] in t for t in texts), (suffix, key)


def test_dev_set_recall_and_accuracy_within_tolerance_of_the_txt(built, dev_questions, txt_scores):
    suffix, settings = built
    got = score(dev_questions, answer_all(QAEngine.load(settings), dev_questions))
    for metric in ("recall@3", "answer_accuracy"):
        assert abs(got[metric] - txt_scores[metric]) <= TOLERANCE, (suffix, metric, got, txt_scores)
    assert got["pii_leaks"] == 0
