"""A document that keeps the index from being rebuilt does not take the page down: the last
build answers, and the page tells the maintainer which file and how to fix it."""

from __future__ import annotations

import logging
import shutil

from helpers_server import ROOT

from qa.config import Settings
from qa.web.page import _Handlers
from qa.web.service import QAService


def test_the_page_answers_from_the_last_build_and_names_the_bad_file(tmp_path, caplog):
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    shutil.copy(ROOT / "corpus" / "will-russia-support-iran.txt", corpus)
    shutil.copytree(ROOT / "index", index)
    (corpus / "broken.pdf").write_bytes(b"%PDF-1.7\n1 0 obj <<")  # cut off mid-object
    service = QAService(Settings(corpus_dir=corpus, index_dir=index))
    with caplog.at_level(logging.WARNING, logger="qa.web.service"):
        service.start().wait_ready(120)
    warnings = [r.getMessage() for r in caplog.records if "older" in r.getMessage()]
    assert len(warnings) == 1 and "broken.pdf" in warnings[0], caplog.text
    html, _ = _Handlers(service, None).article()
    assert "For the maintainer" in html and "broken.pdf" in html and "--skip-bad" in html
    assert "qa-article-scroll" in html  # the article itself is still shown
    result = service.ask("Will Russia give Iran fighter jets?", [])
    assert not result.abstained and "fighter jets" in result.answer
