"""What each format library buys, measured on the seed article rendered into each format (by
tests/helpers_formats.py, author card included): seconds to convert (median of 5), whether the
cleaned text is the `.txt`'s to the byte, sections found, and whether the card's name is left.
Beside each chosen library, the plain alternative: pypdf's text for PDF, lxml's whole-page
text for HTML. Run: .venv/bin/python scripts/measure_formats.py [--write DIR]

With --write DIR it also writes DIR/<format>/will-russia-support-iran.<format>, a corpus per
format to build and evaluate with `qa build --corpus` and `qa eval --corpus` (docs/formats.md)."""

from __future__ import annotations

import io
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from helpers_formats import author_card, to_docx, to_html, to_pdf  # noqa: E402

from qa.ingest.clean import clean_document  # noqa: E402
from qa.ingest.convert import to_markdown  # noqa: E402


def pypdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    return "\n\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def lxml_text(data: bytes) -> str:
    import lxml.html

    return lxml.html.fromstring(data).text_content()


def measure(name: str, convert, data: bytes, reference, suffix: str) -> None:
    times = []
    for _ in range(5):
        began = time.perf_counter()
        text = convert(data)
        times.append(time.perf_counter() - began)
    doc = clean_document(text, "seed" + suffix)
    name_left = author_card(ARTICLE)[1].split(" : ")[1] in doc.text
    print(
        f"| {name} | {statistics.median(times) * 1000:.0f} ms | {doc.text == reference.text} "
        f"| {len(doc.sections)} of {len(reference.sections)} | {'yes' if name_left else 'no'} |"
    )


ARTICLE = (ROOT / "corpus" / "will-russia-support-iran.txt").read_text(encoding="utf-8")

if __name__ == "__main__":
    seed = clean_document(ARTICLE, "seed.txt")
    card = author_card(ARTICLE)
    html, pdf, docx = to_html(seed, card), to_pdf(seed, card), to_docx(seed, card)
    if "--write" in sys.argv:
        out = Path(sys.argv[sys.argv.index("--write") + 1])
        for suffix, data in (("html", html), ("pdf", pdf), ("docx", docx)):
            (out / suffix).mkdir(parents=True, exist_ok=True)
            (out / suffix / f"will-russia-support-iran.{suffix}").write_bytes(data)
    print("| reader | convert | text = .txt's | sections | author's name left |")
    print("|---|---|---|---|---|")
    measure("HTML: trafilatura", lambda d: to_markdown(d, ".html"), html, seed, ".html")
    measure("HTML: lxml text_content (whole page)", lxml_text, html, seed, ".html")
    measure("PDF: pdfplumber (font sizes)", lambda d: to_markdown(d, ".pdf"), pdf, seed, ".pdf")
    measure("PDF: pypdf extract_text", pypdf_text, pdf, seed, ".pdf")
    measure("DOCX: python-docx", lambda d: to_markdown(d, ".docx"), docx, seed, ".docx")
