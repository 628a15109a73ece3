"""Turn a fine-tuned sentence-transformers folder into the shipped ONNX model folder: the
graph of `qa.index.onnx_embedder` (mean pooling, normalisation and token vectors in one),
checked against sentence-transformers, then int8 weights (dynamic, per channel).

    .venv/bin/python -m training.embedder.export [--source .cache/embedder/final-soup]
                                                 [--out qa/index/models/minilm-readers] [--fp32]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import tempfile
from pathlib import Path

import numpy as np

from qa.index.embedding import MODEL_FILE, RECORD_FILE, SHIPPED_DIR, ModelRef
from qa.index.onnx_embedder import (
    TOKENIZER_FILE,
    OnnxEmbedder,
    OnnxExport,
    check_parity,
    export_graph,
)
from training.embedder.train import CACHE

PROBES = (
    "will russia give iran fighter jets",
    "The Rhine flows from the Alps to the North Sea through six countries.",
    "who wrote the nocturnes and when",
    "x",
)


def export(source: Path, out: Path, int8: bool = True) -> dict:
    """Write `out` (model.onnx, tokenizer.json, export.json); its record."""
    ref = ModelRef(str(source), str(source))
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        export_graph(source, work / "fp32.onnx")
        shutil.copyfile(source / TOKENIZER_FILE, work / TOKENIZER_FILE)
        max_tokens = _max_tokens(source)
        shutil.copyfile(work / "fp32.onnx", work / MODEL_FILE)
        dim = check_parity(ref, OnnxExport(work, ref.model_id, "", max_tokens, 0))
        fp32 = OnnxEmbedder(ref, OnnxExport(work, "", "", max_tokens, dim)).encode(PROBES)
        if int8:
            from onnxruntime.quantization import QuantType, quantize_dynamic

            quantize_dynamic(
                work / "fp32.onnx", work / MODEL_FILE, per_channel=True, weight_type=QuantType.QInt8
            )
        staged = out.with_name(out.name + ".tmp")
        shutil.rmtree(staged, ignore_errors=True)
        staged.mkdir(parents=True)
        shutil.copyfile(work / MODEL_FILE, staged / MODEL_FILE)
        shutil.copyfile(work / TOKENIZER_FILE, staged / TOKENIZER_FILE)
    record = {
        "format": 2,
        "model": out.name,
        "base": "sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0)",
        "weights": "int8 dynamic, per channel" if int8 else "fp32",
        "onnx_bytes": (staged / MODEL_FILE).stat().st_size,
        "onnx_sha256": hashlib.sha256((staged / MODEL_FILE).read_bytes()).hexdigest(),
        "max_tokens": max_tokens,
        "dim": dim,
        "opset": 17,
        "training": json.loads((source / "training.json").read_text()),
    }
    (staged / RECORD_FILE).write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    shipped = OnnxEmbedder(
        ModelRef("", str(staged), onnx=True), OnnxExport(staged, "", "", max_tokens, dim)
    ).encode(PROBES)
    cosine = (shipped * fp32).sum(1)
    print(
        f"{out}: {record['onnx_bytes'] / 1e6:.1f} MB, cosine with fp32 "
        f"min {cosine.min():.4f} mean {np.mean(cosine):.4f}"
    )
    shutil.rmtree(out, ignore_errors=True)
    staged.rename(out)
    return record


def _max_tokens(source: Path) -> int:
    """sentence-transformers' truncation length for the model (where its version keeps it)."""
    from sentence_transformers import SentenceTransformer

    return int(SentenceTransformer(str(source), device="cpu").max_seq_length)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=CACHE / "final-soup")
    parser.add_argument("--out", type=Path, default=SHIPPED_DIR)
    parser.add_argument("--fp32", action="store_true", help="keep fp32 weights")
    args = parser.parse_args()
    export(args.source, args.out, int8=not args.fp32)


if __name__ == "__main__":
    main()
