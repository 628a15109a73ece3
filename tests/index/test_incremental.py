"""Incremental builds: only documents whose bytes changed are embedded again."""

from __future__ import annotations

import shutil
from dataclasses import replace

import numpy as np
import pytest

from qa.config import Settings
from qa.index.build import build_index
from qa.index.build_plan import reusable
from qa.index.store import load_index, read_manifest

pytestmark = pytest.mark.slow

TEA = """# Tea in Britain

## History

Tea reached Britain in the seventeenth century through Dutch and Portuguese traders.
It became fashionable at court after Catherine of Braganza made it popular.

## Habits

Most tea drunk in Britain today is black tea, often taken with milk.
Afternoon tea is a light meal served between three and five o'clock.
"""
MORE = "\nA survey found that the average Briton drinks about three cups of tea a day.\n"


class CountingEmbedder:
    """Wraps the real embedder and records every text it is asked to embed."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.texts: list[str] = []

    def encode(self, texts, batch_size: int = 32) -> np.ndarray:
        self.texts.extend(texts)
        return self.inner.encode(texts, batch_size=batch_size)

    def encode_with_tokens(self, texts, batch_size: int = 32):
        self.texts.extend(texts)
        return self.inner.encode_with_tokens(texts, batch_size=batch_size)


@pytest.fixture()
def settings(tmp_path, article_text) -> Settings:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "russia-iran.txt").write_text(article_text, encoding="utf-8")
    (corpus / "tea.md").write_text(TEA, encoding="utf-8")
    return replace(Settings.from_env(), corpus_dir=corpus, index_dir=tmp_path / "index")


def _texts_of(index_dir, doc_id: str) -> list[str]:
    """The chunk and sentence texts an index holds for one document."""
    index = load_index(index_dir)
    texts = [c.text for c in index.chunks if c.doc_id == doc_id]
    for cid, start, end in index.sentences:
        c = index.chunks[cid]
        if c.doc_id == doc_id:
            texts.append(c.span_text(start, end))
    return texts


def test_only_the_changed_document_is_embedded_again(settings, embedder, tmp_path):
    first = CountingEmbedder(embedder)
    report = build_index(settings, first)
    assert len(first.texts) == report.chunks + report.sentences

    unchanged = CountingEmbedder(embedder)
    build_index(settings, unchanged)
    assert unchanged.texts == []

    (settings.corpus_dir / "tea.md").write_text(TEA + MORE, encoding="utf-8")
    changed = CountingEmbedder(embedder)
    build_index(settings, changed)
    tea_texts = _texts_of(settings.index_dir, "tea.md")
    assert sorted(changed.texts) == sorted(tea_texts)
    assert not set(changed.texts) & set(_texts_of(settings.index_dir, "russia-iran.txt"))

    scratch = replace(settings, index_dir=tmp_path / "scratch")
    build_index(scratch, embedder)
    a, b = load_index(settings.index_dir), load_index(scratch.index_dir)
    assert read_manifest(settings.index_dir)["fingerprint"] == b.manifest["fingerprint"]
    n = a.chunk_index.ntotal
    assert n == b.chunk_index.ntotal
    np.testing.assert_allclose(
        a.chunk_index.reconstruct_n(0, n), b.chunk_index.reconstruct_n(0, n), atol=1e-5
    )
    np.testing.assert_allclose(a.sentence_vectors, b.sentence_vectors, atol=1e-5)
    np.testing.assert_array_equal(a.sentence_tokens.bounds, b.sentence_tokens.bounds)
    for row in range(len(a.sentence_tokens)):
        np.testing.assert_allclose(a.sentence_tokens.of(row), b.sentence_tokens.of(row), atol=1e-2)


def test_nothing_is_reused_for_another_model_or_a_missing_index(settings, tmp_path):
    shutil.copytree(Settings.from_env().index_dir, settings.index_dir)
    manifest = read_manifest(settings.index_dir)
    hashes = dict(manifest["corpus"])
    reuse = reusable(settings.index_dir, manifest["model_id"], hashes, "")
    assert len(reuse.chunks) == manifest["counts"]["chunks"]
    assert reusable(settings.index_dir, "another-model", hashes, "").chunks == {}
    changed = {doc: "0" * 64 for doc in hashes}
    assert reusable(settings.index_dir, manifest["model_id"], changed, "").chunks == {}
    assert reusable(tmp_path / "nowhere", manifest["model_id"], hashes, "").chunks == {}


def test_a_large_build_shows_a_progress_bar(capsys, embedder):
    from qa.index.embed_missing import PROGRESS_MIN, embed_missing

    keys = [("doc", f"sentence number {i} about tea") for i in range(PROGRESS_MIN)]
    vectors = embed_missing(embedder, keys, {})
    assert vectors.shape == (PROGRESS_MIN, 384)
    assert "embedding" in capsys.readouterr().err
    small = embed_missing(embedder, keys[:5], {})
    np.testing.assert_allclose(small, vectors[:5], atol=1e-5)
    assert capsys.readouterr().err == ""


def test_only_new_or_changed_files_are_converted_again(settings, embedder, tmp_path, monkeypatch):
    import qa.ingest.corpus as corpus

    converted: list[int] = []
    real = corpus.to_markdown

    def counting(data: bytes, suffix: str) -> str:
        converted.append(len(data))
        return real(data, suffix)

    monkeypatch.setattr(corpus, "to_markdown", counting)
    (settings.corpus_dir / "b-tea.md").write_text(TEA.replace("Tea", "Coffee"), encoding="utf-8")
    build_index(settings, embedder)
    assert len(converted) == 3

    converted.clear()
    build_index(settings, embedder)  # nothing changed: nothing converted, the index the same
    assert converted == []

    (settings.corpus_dir / "tea.md").write_text(TEA + MORE, encoding="utf-8")
    build_index(settings, embedder)
    assert converted == [len((TEA + MORE).encode())]  # the changed file alone

    scratch = replace(settings, index_dir=tmp_path / "scratch")
    build_index(scratch, embedder)
    for name in ("documents.json", "chunks.json", "sentences.json", "bm25/vocab.index.json"):
        mine = (settings.index_dir / name).read_bytes()
        assert mine == (scratch.index_dir / name).read_bytes(), name


def test_another_pipeline_converts_everything_again(settings, embedder, monkeypatch):
    build_index(settings, embedder)
    manifest = read_manifest(settings.index_dir)
    hashes = dict(manifest["corpus"])
    reuse = reusable(settings.index_dir, manifest["model_id"], hashes, manifest["pipeline"])
    assert set(reuse.documents) == set(hashes)
    assert [len(chunks) > 0 for _, chunks in reuse.documents.values()] == [True, True]
    other = reusable(settings.index_dir, manifest["model_id"], hashes, "other code or params")
    assert other.documents == {} and len(other.chunks) == manifest["counts"]["chunks"]
