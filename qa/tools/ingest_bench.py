"""`qa bench --parts ingest`: reading, cleaning and chunking a generated corpus of mixed-format
documents (no embedding), in documents/s and chunks/s, overall and per format; and the plan of
a rebuild after one file changed, which converts that file alone.

The documents are made from the sentences of the corpus' own documents, shuffled with a fixed
seed, as Markdown, HTML, DOCX and plain text, and PDF when reportlab (a test dependency) is
installed.
"""

from __future__ import annotations

import html
import io
import random
import time
from collections import Counter
from pathlib import Path

SECTIONS = 3
PARAGRAPHS = 3
SENTENCES = 4


def generate(corpus_dir: Path, sentences: list[str], count: int, seed: int = 13) -> list[str]:
    """Write `count` documents into `corpus_dir`, cycling through the formats; their suffixes."""
    rng = random.Random(seed)
    formats = _formats()
    for i in range(count):
        suffix = formats[i % len(formats)]
        title = f"Generated document {i}"
        sections = [
            (
                f"Part {s + 1}",
                [" ".join(rng.sample(sentences, SENTENCES)) for _ in range(PARAGRAPHS)],
            )
            for s in range(SECTIONS)
        ]
        (corpus_dir / f"doc-{i:05d}{suffix}").write_bytes(_WRITERS[suffix](title, sections))
    return formats


def measure(corpus_dir: Path, max_chars: int = 800) -> dict:
    """Seconds, documents/s and chunks/s of read + clean + chunk over `corpus_dir`."""
    from qa.config import ChunkParams
    from qa.ingest.chunking import chunk_document
    from qa.ingest.clean import clean_document
    from qa.ingest.corpus import corpus_paths, read_source

    params = ChunkParams(max_chars=max_chars)
    seconds: Counter[str] = Counter()
    docs: Counter[str] = Counter()
    chunks: Counter[str] = Counter()
    for path in corpus_paths(corpus_dir):
        began = time.perf_counter()
        source = read_source(path)
        n = len(chunk_document(clean_document(source.text, source.doc_id), params))
        suffix = path.suffix.lower()
        seconds[suffix] += time.perf_counter() - began
        docs[suffix] += 1
        chunks[suffix] += n
    total = sum(seconds.values()) or 1e-9
    return {
        "documents": sum(docs.values()),
        "chunks": sum(chunks.values()),
        "seconds": round(total, 2),
        "documents_per_s": round(sum(docs.values()) / total, 1),
        "chunks_per_s": round(sum(chunks.values()) / total, 1),
        "per_format": {
            s: {"documents": docs[s], "documents_per_s": round(docs[s] / seconds[s], 1)}
            for s in sorted(docs)
        },
    }


def replan(corpus_dir: Path, index_dir: Path) -> dict:
    """Seconds to plan a first build of `corpus_dir` and a rebuild after one file changed
    (vectors are stand-ins: the plan does not look at them; embedding is left out)."""
    from dataclasses import replace

    from qa.config import Settings
    from qa.index.build import build_index
    from qa.index.build_plan import plan_build

    settings = replace(Settings.from_env(), corpus_dir=corpus_dir, index_dir=index_dir)
    began = time.perf_counter()
    plan_build(settings)
    first = time.perf_counter() - began
    build_index(settings, _StandIn())
    changed = sorted(p for p in corpus_dir.iterdir() if p.suffix == ".md")[0]
    changed.write_bytes(changed.read_bytes() + b"\n\nOne more sentence for the rebuild.\n")
    began = time.perf_counter()
    plan = plan_build(settings)
    again = time.perf_counter() - began
    converted = len(plan.documents) - len(plan.reuse.documents)
    return {
        "first_plan_s": round(first, 2),
        "changed_plan_s": round(again, 2),
        "converted_again": converted,
    }


class _StandIn:
    """Unit vectors from each text's hash: a build's shape without the model's cost."""

    def encode(self, texts, batch_size: int = 32):
        import hashlib

        import numpy as np

        seeds = [int(hashlib.sha256(t.encode()).hexdigest()[:8], 16) for t in texts]
        rows = [np.random.default_rng(s).normal(size=384) for s in seeds]
        out = np.asarray(rows, dtype=np.float32).reshape(len(texts), 384)
        return out / np.linalg.norm(out, axis=1, keepdims=True)

    def encode_with_tokens(self, texts, batch_size: int = 32):
        """The vectors, and as each text's token vectors its vector once a word."""
        import numpy as np

        from qa.index.token_vectors import TokenVectors

        vectors = self.encode(texts)
        return vectors, [
            TokenVectors(np.repeat(v[None], len(t.split()), 0), t.split())
            for v, t in zip(vectors, texts, strict=True)
        ]


def _formats() -> list[str]:
    try:
        import reportlab  # noqa: F401
    except ImportError:
        return [".md", ".html", ".docx", ".txt"]
    return [".md", ".html", ".docx", ".txt", ".pdf"]


def _markdown(title: str, sections) -> bytes:
    parts = [f"# {title}"]
    for heading, paragraphs in sections:
        parts += [f"## {heading}", *paragraphs]
    return "\n\n".join(parts).encode()


def _html(title: str, sections) -> bytes:
    e = html.escape
    body = "".join(f"<h2>{e(h)}</h2>" + "".join(f"<p>{e(p)}</p>" for p in ps) for h, ps in sections)
    return (
        f"<html><head><title>{e(title)}</title></head><body><nav><a href='/'>Home</a></nav>"
        f"<article><h1>{e(title)}</h1>{body}</article><footer>Footer</footer></body></html>"
    ).encode()


def _docx(title: str, sections) -> bytes:
    import docx

    out = docx.Document()
    out.add_paragraph(title, style="Title")
    for heading, paragraphs in sections:
        out.add_heading(heading, level=1)
        for p in paragraphs:
            out.add_paragraph(p)
    buffer = io.BytesIO()
    out.save(buffer)
    return buffer.getvalue()


def _pdf(title: str, sections) -> bytes:
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    styles = getSampleStyleSheet()
    flow = [Paragraph(html.escape(title), styles["Title"])]
    for heading, paragraphs in sections:
        flow.append(Paragraph(html.escape(heading), styles["Heading2"]))
        flow += [Paragraph(html.escape(p), styles["BodyText"]) for p in paragraphs]
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer).build(flow)
    return buffer.getvalue()


_WRITERS = {".md": _markdown, ".txt": _markdown, ".html": _html, ".docx": _docx, ".pdf": _pdf}
