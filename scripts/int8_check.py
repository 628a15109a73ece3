"""Would an int8 (dynamically quantised) ONNX model keep the dev set's top-5 rankings?

usage: .venv/bin/python scripts/int8_check.py [QUESTIONS]
Quantises the cached fp32 export into a temporary folder, answers every dev question with
both (same index, same pipeline) and prints cosine, identical top-5 rankings and latency.
"""

from __future__ import annotations

import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
from onnxruntime.quantization import QuantType, quantize_dynamic

from qa.answer.engine import QAEngine
from qa.config import Settings
from qa.index.embedding import resolve_model
from qa.index.onnx_embedder import MODEL_FILE, TOKENIZER_FILE, OnnxEmbedder, ensure_export
from qa.index.store import load_index
from qa.tools.evaluate import read_questions


def p50_ms(embedder: OnnxEmbedder, texts: list[str]) -> float:
    times = []
    for text in texts * 3:
        began = time.perf_counter()
        embedder.encode([text])
        times.append((time.perf_counter() - began) * 1000)
    return float(np.median(times))


def main(argv: list[str]) -> int:
    questions = read_questions(Path(argv[1] if len(argv) > 1 else "../shared/eval/dev.jsonl"))
    model = resolve_model(None)
    export = ensure_export(model)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        quantize_dynamic(
            str(export.model_file), str(folder / MODEL_FILE), weight_type=QuantType.QInt8
        )
        (folder / TOKENIZER_FILE).write_bytes(export.tokenizer_file.read_bytes())
        fp32 = OnnxEmbedder(model, export)
        int8 = OnnxEmbedder(model, replace(export, folder=folder))
        texts = [q["question"] for q in questions]
        cosines = (fp32.encode(texts) * int8.encode(texts)).sum(axis=1)
        index = load_index(Settings.from_env().index_dir)
        a, b = QAEngine(index, fp32), QAEngine(index, int8)
        same = 0
        for q in questions:
            history = q.get("history") or []
            ids_a = [p.id for p in a.ask(q["question"], history, k=5).passages]
            ids_b = [p.id for p in b.ask(q["question"], history, k=5).passages]
            same += ids_a == ids_b
        print(f"int8 vs fp32 cosine: min {cosines.min():.4f}, mean {cosines.mean():.4f}")
        print(f"identical top-5 rankings: {same} of {len(questions)}")
        print(f"embed p50: fp32 {p50_ms(fp32, texts):.2f} ms, int8 {p50_ms(int8, texts):.2f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
