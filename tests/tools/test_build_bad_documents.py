"""`qa build` with a bad document: one line naming the file and the reason, exit 1, the old
index left as it was; `qa build --skip-bad` builds the rest and lists what it skipped."""

from __future__ import annotations

import random
import shutil

from helpers_server import ROOT
from test_cli import assert_one_line_error, qa


def test_bad_document_fails_the_build_and_skip_bad_builds_the_rest(tmp_path):
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    shutil.copytree(ROOT / "corpus", corpus)
    shutil.copytree(ROOT / "index", index)  # the old index, serving the seed
    before = (index / "manifest.json").read_bytes()
    (corpus / "noise.pdf").write_bytes(random.Random(13).randbytes(2048))

    failed = qa("build", "--corpus", str(corpus), "--index", str(index))
    assert_one_line_error(failed, 1, "noise.pdf", "is not a PDF file", "previous index left")
    assert (index / "manifest.json").read_bytes() == before

    built = qa("build", "--skip-bad", "--corpus", str(corpus), "--index", str(index))
    assert built.returncode == 0, built.stderr
    lines = built.stdout.splitlines()
    (done,) = [line for line in lines if line.startswith("built ")]
    assert "1 documents" in done and "documents/s" in done and "chunks/s" in done
    assert any(
        line.startswith("skipped ") and "noise.pdf is not a PDF file" in line for line in lines
    )
    asked = qa("ask", "--corpus", str(corpus), "--index", str(index), "Will Russia give Iran jets?")
    assert asked.returncode == 0, asked.stderr
