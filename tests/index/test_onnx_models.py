"""A model without `token_type_ids` (MPNet) exports to ONNX and embeds as it should."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from qa.index.embedding import SentenceTransformerEmbedder, resolve_model

pytestmark = pytest.mark.slow
_TOKENIZER_FILES = (
    "tokenizer.json",
    "tokenizer_config.json",
    "vocab.txt",
    "special_tokens_map.json",
)


@pytest.fixture(scope="module")
def tiny_mpnet(tmp_path_factory) -> Path:
    """A small random MPNet sentence-transformers folder with the bundled model's tokenizer."""
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer
    from transformers import MPNetConfig, MPNetModel

    raw = tmp_path_factory.mktemp("mpnet-raw")
    source = Path(resolve_model().path)
    for name in _TOKENIZER_FILES:
        if (source / name).is_file():
            shutil.copy(source / name, raw / name)
    torch.manual_seed(0)
    config = MPNetConfig(
        vocab_size=30527,
        hidden_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=128,
    )
    MPNetModel(config).save_pretrained(raw)
    transformer = Transformer(str(raw), max_seq_length=128)
    pooling = Pooling(transformer.get_embedding_dimension(), "mean")
    folder = tmp_path_factory.mktemp("mpnet") / "tiny-mpnet"
    SentenceTransformer(modules=[transformer, pooling, Normalize()]).save(str(folder))
    return folder


def test_model_without_token_type_ids_exports_and_matches(tiny_mpnet, tmp_path, monkeypatch):
    from qa.index.onnx_embedder import OnnxEmbedder, export_onnx

    monkeypatch.setenv("QA_CACHE", str(tmp_path))
    model = resolve_model(str(tiny_mpnet))
    export = export_onnx(model)  # checks parity with sentence-transformers itself
    onnx = OnnxEmbedder(model, export)
    assert "token_type_ids" not in onnx._inputs
    texts = ["Will Russia support Iran?", "A second, longer text about Moscow and Tehran."]
    reference = SentenceTransformerEmbedder(model).encode(texts)
    assert np.allclose(onnx.encode(texts), reference, atol=1e-4)
    assert np.allclose(onnx.encode(texts[:1]), reference[:1], atol=1e-4)


def test_qa_build_and_ask_with_such_a_model(tiny_mpnet, tmp_path):
    """`QA_MODEL=<folder> qa build` then `qa ask --backend onnx`: both exit 0."""
    root = Path(__file__).resolve().parents[2]
    env = dict(
        os.environ,
        QA_MODEL=str(tiny_mpnet),
        QA_CORPUS=str(root / "corpus"),
        QA_INDEX=str(tmp_path / "index"),
        QA_CACHE=str(tmp_path / "cache"),
    )
    qa = [sys.executable, "-m", "qa"]
    build = subprocess.run([*qa, "build"], env=env, capture_output=True, text=True, timeout=600)
    assert build.returncode == 0, build.stderr[-2000:]
    ask = subprocess.run(
        [*qa, "ask", "--json", "--backend", "onnx", "Will Russia support Iran?"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert ask.returncode == 0, ask.stderr[-2000:]
    assert json.loads(ask.stdout)["passages"]
