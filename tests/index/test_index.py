"""Index build, round trip, freshness and refusal of stale or corrupt indexes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from helpers_server import ROOT

from qa.config import Settings
from qa.index.build import build_index
from qa.index.embedding import resolve_model
from qa.index.fingerprint import fingerprint
from qa.index.freshness import index_status
from qa.index.store import IndexUnavailable, load_index
from qa.ingest.corpus import CorpusError


@pytest.fixture(scope="module")
def built(tmp_path_factory, embedder) -> Settings:
    """A fresh index of a copy of the shipped corpus, built once for this module."""
    base = tmp_path_factory.mktemp("built")
    shutil.copytree(ROOT / "corpus", base / "corpus")
    settings = Settings.from_env(corpus_dir=base / "corpus", index_dir=base / "index")
    build_index(settings, embedder)
    return settings


def copy_of(settings: Settings, tmp_path: Path) -> Settings:
    shutil.copytree(settings.corpus_dir, tmp_path / "corpus")
    shutil.copytree(settings.index_dir, tmp_path / "index")
    return Settings.from_env(corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index")


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_committed_index_is_fresh():
    assert index_status(Settings.from_env()) == "fresh", "run `qa build` and commit index/"


def test_round_trip_keeps_chunks_vectors_and_sections(built, embedder, document):
    index = load_index(built.index_dir, fingerprint(built, resolve_model(None)))
    assert index.chunk_index.ntotal == len(index.chunks) == index.manifest["counts"]["chunks"]
    assert [d.sections for d in index.documents] == [document.sections]
    vector = embedder.encode([index.chunks[3].text])
    _, ids = index.chunk_index.search(vector, 1)
    assert ids[0][0] == 3, "a chunk's own text finds itself first"
    assert index.sentence_vectors.shape == (len(index.sentences), index.manifest["dim"])
    norms = np.linalg.norm(index.sentence_vectors, axis=1)
    assert np.allclose(norms, 1.0, atol=1e-4)


def test_metadata_is_json_and_manifest_checksums_every_file(built):
    manifest = json.loads((built.index_dir / "manifest.json").read_text())
    for key in ("fingerprint", "model_id", "version", "chunk_params", "corpus", "files"):
        assert key in manifest
    on_disk = {
        str(p.relative_to(built.index_dir))
        for p in built.index_dir.rglob("*")
        if p.is_file() and p.name != "manifest.json"
    }
    assert set(manifest["files"]) == on_disk
    json.loads((built.index_dir / "chunks.json").read_text())


def test_edited_corpus_makes_the_index_stale_and_refused(built, tmp_path):
    settings = copy_of(built, tmp_path)
    doc = next(settings.corpus_dir.iterdir())
    doc.write_bytes(doc.read_bytes() + b" One more sentence.")
    assert index_status(settings) == "stale"
    with pytest.raises(IndexUnavailable, match=r"stale.*qa build"):
        load_index(settings.index_dir, fingerprint(settings, resolve_model(None)))


def test_chunk_settings_are_part_of_the_fingerprint(built):
    from dataclasses import replace

    other = replace(built, chunk=replace(built.chunk, max_chars=built.chunk.max_chars + 1))
    assert fingerprint(other, resolve_model(None)) != fingerprint(built, resolve_model(None))


@pytest.mark.parametrize("name", ["chunks.faiss", "chunks.json", "sentences.npy"])
def test_truncated_or_edited_file_is_refused_naming_it(built, tmp_path, name):
    settings = copy_of(built, tmp_path)
    path = settings.index_dir / name
    path.write_bytes(path.read_bytes()[:-7])
    with pytest.raises(IndexUnavailable, match=name):
        load_index(settings.index_dir)


def test_corrupt_manifest_is_refused(built, tmp_path):
    settings = copy_of(built, tmp_path)
    (settings.index_dir / "manifest.json").write_text("{not json")
    with pytest.raises(IndexUnavailable, match=r"manifest.json.*qa build"):
        load_index(settings.index_dir)
    assert index_status(settings) == "corrupt"


def test_missing_index_is_named(tmp_path):
    with pytest.raises(IndexUnavailable, match=r"manifest.json missing.*qa build"):
        load_index(tmp_path / "nowhere")


@pytest.mark.parametrize("content", [b"", b"   \n\n", b"\xff\xfe\x00bad"])
def test_unusable_corpus_file_fails_the_build_and_keeps_the_index(built, tmp_path, content):
    settings = copy_of(built, tmp_path)
    before = snapshot(settings.index_dir)
    (settings.corpus_dir / "broken.txt").write_bytes(content)
    with pytest.raises(CorpusError, match="broken.txt"):
        build_index(settings)
    assert snapshot(settings.index_dir) == before
    assert not list(tmp_path.glob(".index-*")), "no temporary directory left behind"


def test_rebuild_replaces_the_index_atomically(built, tmp_path, embedder):
    settings = copy_of(built, tmp_path)
    (settings.corpus_dir / "tea.md").write_text(
        "# Tea\n\nTea arrived in Britain in the 1660s and spread quickly.\n", encoding="utf-8"
    )
    build_index(settings, embedder)
    index = load_index(settings.index_dir, fingerprint(settings, resolve_model(None)))
    assert {d.doc_id for d in index.documents} == {"tea.md", "will-russia-support-iran.txt"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus", "index"]


def test_identical_builds_write_identical_files(tmp_path):
    """Builds under different hash seeds write the same bytes (only the build time differs)."""
    import os
    import subprocess
    import sys

    def build(seed: str) -> dict[str, bytes]:
        index = tmp_path / f"index-{seed}"
        env = {**os.environ, "PYTHONHASHSEED": seed}
        cmd = [sys.executable, "-m", "qa", "build", "--index", str(index)]
        subprocess.run(cmd, check=True, capture_output=True, env=env, cwd=ROOT, timeout=300)
        files = snapshot(index)
        manifest = json.loads(files.pop("manifest.json"))
        manifest.pop("built_at")
        return {**files, "manifest": json.dumps(manifest, sort_keys=True).encode()}

    assert build("1") == build("2")
