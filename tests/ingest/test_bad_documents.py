"""Bad documents: a scanned PDF (no text layer), an encrypted PDF, a corrupt DOCX, random bytes
named .pdf and a 200 MB file each raise one `CorpusError` line naming the file and the reason;
`skip_bad` reads the rest and lists what it left out. The files are made here, in tmp."""

from __future__ import annotations

import io
import random

import pytest
from helpers_formats import author_card, to_docx, to_pdf

from qa.ingest.corpus import CorpusError, read_documents, read_source


def scanned_pdf() -> bytes:
    """A page that is only a picture: no text layer."""
    from PIL import Image
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.drawImage(ImageReader(Image.new("RGB", (200, 100), "gray")), 50, 600, 200, 100)
    page.save()
    return buffer.getvalue()


@pytest.fixture(scope="module")
def bad_files(document, article_text) -> dict[str, bytes]:
    card = author_card(article_text)
    docx = to_docx(document, card)
    return {
        "scan.pdf": scanned_pdf(),
        "locked.pdf": to_pdf(document, card, password="secret"),
        "truncated.docx": docx[: len(docx) // 2],
        "noise.pdf": random.Random(13).randbytes(4096),
        "not-a-zip.docx": b"This is plain text saved with the wrong name.\n",
    }


REASONS = {
    "scan.pdf": "no text layer",
    "locked.pdf": "encrypted",
    "truncated.docx": "not a readable Word",
    "noise.pdf": "not a PDF",
    "not-a-zip.docx": "not a readable Word",
}


@pytest.mark.parametrize("name", sorted(REASONS))
def test_each_bad_document_is_one_line_naming_the_file_and_the_reason(tmp_path, bad_files, name):
    path = tmp_path / name
    path.write_bytes(bad_files[name])
    with pytest.raises(CorpusError) as caught:
        read_source(path)
    message = str(caught.value)
    assert "\n" not in message and str(path) in message and REASONS[name] in message


def test_a_200_mb_file_is_refused_by_its_size_without_reading_it(tmp_path):
    path = tmp_path / "huge.txt"
    with open(path, "wb") as f:
        f.truncate(200_000_000)  # sparse: takes no disk
    with pytest.raises(CorpusError, match=r"huge\.txt is 200 MB, over the 50 MB limit"):
        read_source(path)


def test_skip_bad_reads_the_rest_and_lists_each_bad_file(tmp_path, bad_files, article_text):
    for name, data in bad_files.items():
        (tmp_path / name).write_bytes(data)
    (tmp_path / "article.txt").write_text(article_text, encoding="utf-8")
    with pytest.raises(CorpusError):
        read_documents(tmp_path)
    corpus = read_documents(tmp_path, skip_bad=True)
    assert [s.doc_id for s in corpus.sources] == ["article.txt"]
    assert len(corpus.skipped) == len(bad_files)
    for name in bad_files:
        assert any(name in line and REASONS[name] in line for line in corpus.skipped)
