"""The ONNX export of a sentence-transformers model (here the base all-MiniLM-L6-v2; the shipped
model is an ONNX folder already, `test_shipped_model.py`): parity with sentence-transformers,
no torch at query time, the cache."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest
from helpers_probe import PROBE
from tokenizers import Tokenizer

from qa.answer.engine import QAEngine
from qa.config import Settings
from qa.index.build import build_index
from qa.index.embedding import (
    BASE_MODEL,
    ModelNotFoundError,
    SentenceTransformerEmbedder,
    resolve_model,
)
from qa.index.onnx_embedder import OnnxEmbedder, cached_export, ensure_export
from qa.index.query_embedder import load_embedder
from qa.index.store import load_index

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def onnx_embedder() -> OnnxEmbedder:
    model = resolve_model(BASE_MODEL)
    return OnnxEmbedder(model, ensure_export(model))


@pytest.fixture(scope="session")
def embedder() -> SentenceTransformerEmbedder:
    """The base model through sentence-transformers: the reference of the export."""
    return SentenceTransformerEmbedder(resolve_model(BASE_MODEL))


@pytest.fixture(scope="session")
def fresh_index(tmp_path_factory) -> str:
    """A fresh index of the corpus (a copy of the committed one, rebuilt incrementally)."""
    settings = Settings.from_env()
    target = tmp_path_factory.mktemp("fresh") / "index"
    shutil.copytree(settings.index_dir, target)
    build_index(replace(settings, index_dir=target))
    return str(target)


def _all_questions(dev_questions) -> list[str]:
    texts = {q["question"] for q in dev_questions}
    texts |= {h for q in dev_questions for h in q.get("history") or []}
    return sorted(texts)


def test_vectors_match_sentence_transformers(dev_questions, embedder, onnx_embedder):
    texts = _all_questions(dev_questions)
    reference = embedder.encode(texts)
    single = np.concatenate([onnx_embedder.encode([t]) for t in texts])
    batch = onnx_embedder.encode(texts, batch_size=8)
    assert single.shape == reference.shape and single.dtype == np.float32
    assert (single * reference).sum(axis=1).min() >= 0.9999
    assert (batch * reference).sum(axis=1).min() >= 0.9999


def test_top5_rankings_identical_on_dev_set(dev_questions, embedder, onnx_embedder):
    index = load_index(Settings.from_env().index_dir)
    torch_engine, onnx_engine = QAEngine(index, embedder), QAEngine(index, onnx_embedder)
    for q in dev_questions:
        history = q.get("history") or []
        expected = torch_engine.ask(q["question"], history, k=5).to_json()
        got = onnx_engine.ask(q["question"], history, k=5).to_json()
        assert [p["id"] for p in got["passages"]] == [p["id"] for p in expected["passages"]], q
        assert got["abstained"] == expected["abstained"], q["id"]


def test_single_queries_are_not_padded(onnx_embedder):
    bundled = Tokenizer.from_file(str(onnx_embedder.export.tokenizer_file))
    assert len(bundled.encode("Who leads Iran?").ids) == 128  # the file's own padding
    assert onnx_embedder.token_count("Who leads Iran?") < 10


def test_long_input_is_truncated_like_sentence_transformers(embedder, onnx_embedder):
    text = "Russia and Iran signed a partnership treaty. " * 80  # > 256 tokens
    assert onnx_embedder.token_count(text) == onnx_embedder.export.max_tokens == 256
    cosine = float(onnx_embedder.encode([text])[0] @ embedder.encode([text])[0])
    assert cosine >= 0.9999


def test_export_is_recorded_by_model_id_and_hash(onnx_embedder):
    export = onnx_embedder.export
    record = json.loads((export.folder / "export.json").read_text(encoding="utf-8"))
    model = resolve_model(BASE_MODEL)
    assert record["model_id"] == model.model_id
    assert record["model_sha256"] == export.model_sha256 and len(export.model_sha256) == 64
    assert record["onnx_bytes"] == export.model_file.stat().st_size
    assert cached_export(model) == export


def test_backend_choice(monkeypatch, tmp_path, onnx_embedder):
    model = resolve_model(BASE_MODEL)
    assert load_embedder(model, "onnx").backend == "onnx"
    assert load_embedder(model, None).backend == "onnx"  # auto: the export is cached
    monkeypatch.setenv("QA_CACHE", str(tmp_path))  # an empty cache: no export
    assert cached_export(model) is None
    with pytest.raises(ModelNotFoundError, match="export-onnx"):
        load_embedder(model, "onnx")
    assert load_embedder(model, None).backend == "torch"


def _run_qa(index: str, *argv: str) -> tuple[subprocess.CompletedProcess, list[str]]:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, *argv],
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ, QA_INDEX=index),
    )
    heavy = json.loads(proc.stderr.strip().splitlines()[-1])
    return proc, heavy


def test_onnx_ask_in_a_new_process_imports_no_torch(onnx_embedder, fresh_index):
    proc, heavy = _run_qa(
        fresh_index, "ask", "--json", "--backend", "onnx", "Does Russia arm Iran?"
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["passages"]
    assert heavy == []


@pytest.mark.parametrize("argv", [("--help",), ("build", "--check")])
def test_help_and_check_import_neither_torch_nor_gradio(argv, fresh_index):
    proc, heavy = _run_qa(fresh_index, *argv)
    assert proc.returncode == 0, proc.stderr
    assert heavy == []


def test_a_build_that_exports_says_so_in_one_line_without_progress_bars(tmp_path):
    env = {
        **os.environ,
        "QA_INDEX": str(tmp_path / "index"),
        "QA_CACHE": str(tmp_path),
        "QA_MODEL": BASE_MODEL,  # the shipped model is ONNX already: nothing to export
    }
    proc = subprocess.run(
        [sys.executable, "-m", "qa", "build", "--if-stale"],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    assert "exported" in proc.stdout and "ONNX" in proc.stdout
    assert "Loading weights" not in proc.stdout + proc.stderr
    assert "it/s" not in proc.stderr, proc.stderr
