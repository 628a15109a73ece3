"""Query embeddings without torch: the sentence-transformers model exported once to ONNX.

The export (transformer + mean pooling + L2 normalisation in one graph, which also returns
the token vectors before pooling for late interaction) lives in a cache
outside git, `$QA_CACHE/onnx/<key>/` (default `~/.cache/article-qa`), recorded in
`export.json` by model id and the sha256 of the model files. `export_onnx` needs torch and
checks the graph against sentence-transformers before keeping it; `OnnxEmbedder` needs only
`onnxruntime` and `tokenizers`.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qa.index.embedding import (
    MODEL_FILE,
    RECORD_FILE,
    TOKENIZER_FILE,
    ModelRef,
    SentenceTransformerEmbedder,
)
from qa.index.token_vectors import TokenVectors, content_vectors

FORMAT = 2  # 2: the graph also outputs the token vectors
# What the exported graph takes, in order; models without segment ids (MPNet, RoBERTa, …)
# have no `token_type_ids` and their graph omits it.
INPUTS = ("input_ids", "attention_mask", "token_type_ids")
_ENCODING_FIELDS = {
    "input_ids": "ids",
    "attention_mask": "attention_mask",
    "token_type_ids": "type_ids",
}
PARITY_MIN_COSINE = 0.9999
# One short question at a time: two threads embedded it about 1.8x faster than one on this
# 2-core machine, except under heavy load from other work (docs/performance.md).
# `$QA_ONNX_THREADS` overrides.
THREADS = 2
_SOURCE_FILES = (
    "config.json",
    "tokenizer.json",
    "model.safetensors",
    "modules.json",
    "sentence_bert_config.json",
    "1_Pooling/config.json",
)
_PROBES = (
    "Will Russia support Iran?",
    "A longer probe sentence, with punctuation; numbers like 2025 and names like Moscow.",
    "x",
)


class ExportError(RuntimeError):
    """The model cannot be exported to ONNX (or the export does not match the reference)."""


@dataclass(frozen=True)
class OnnxExport:
    """A cached export: its folder and what `export.json` records about it."""

    folder: Path
    model_id: str
    model_sha256: str
    max_tokens: int
    dim: int
    # int8 graphs quantise activations per batch, so a text's vector would depend on what it
    # is batched (and padded) with: such models embed one text at a time
    batchable: bool = True

    @property
    def model_file(self) -> Path:
        return self.folder / MODEL_FILE

    @property
    def tokenizer_file(self) -> Path:
        return self.folder / TOKENIZER_FILE


def cache_root() -> Path:
    """Where exports are cached: `$QA_CACHE/onnx`, else `~/.cache/article-qa/onnx`."""
    base = os.environ.get("QA_CACHE") or Path.home() / ".cache" / "article-qa"
    return Path(base).expanduser() / "onnx"


def export_folder(model: ModelRef) -> Path | None:
    """The cache folder for `model`, keyed by its id and its files' sizes and mtimes (cheap to
    compute at start-up; the content hash is recorded at export); None if not a local folder."""
    files = _source_files(model)
    if files is None:
        return None
    key = hashlib.sha256(model.model_id.encode())
    for path in files:
        stat = path.stat()
        key.update(f"{path.name}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return cache_root() / key.hexdigest()[:20]


def cached_export(model: ModelRef) -> OnnxExport | None:
    """The usable cached export of `model` (an ONNX model folder is its own), or None when
    there is none yet."""
    if model.onnx:
        try:
            return folder_export(model)
        except ExportError:
            return None
    folder = export_folder(model)
    if folder is None or not (folder / RECORD_FILE).is_file():
        return None
    try:
        record = json.loads((folder / RECORD_FILE).read_text(encoding="utf-8"))
        if record.get("format") != FORMAT or record.get("model_id") != model.model_id:
            return None
        if (folder / MODEL_FILE).stat().st_size != record["onnx_bytes"]:
            return None
        return OnnxExport(
            folder, model.model_id, record["model_sha256"], record["max_tokens"], record["dim"]
        )
    except (OSError, ValueError, KeyError):
        return None


def folder_export(model: ModelRef) -> OnnxExport:
    """The ONNX model folder `model` as an export (`ExportError` if its files disagree with
    its `export.json`)."""
    folder = Path(model.path)
    try:
        record = json.loads((folder / RECORD_FILE).read_text(encoding="utf-8"))
        if (folder / MODEL_FILE).stat().st_size != record["onnx_bytes"]:
            raise ExportError(f"{folder / MODEL_FILE} is not the file its {RECORD_FILE} names")
        if not (folder / TOKENIZER_FILE).is_file():
            raise ExportError(f"{folder} has no {TOKENIZER_FILE}")
        return OnnxExport(
            folder,
            model.model_id,
            record["onnx_sha256"],
            record["max_tokens"],
            record["dim"],
            batchable="int8" not in str(record.get("weights", "")),
        )
    except (OSError, ValueError, KeyError) as exc:
        raise ExportError(f"{folder} is not a usable ONNX model folder: {exc}") from None


def ensure_export(model: ModelRef) -> OnnxExport:
    """The cached export of `model`, exporting it first if needed (`ExportError` if it can't)."""
    return cached_export(model) or export_onnx(model)


def export_onnx(model: ModelRef) -> OnnxExport:
    """Export `model` to ONNX in the cache, checked against sentence-transformers (needs torch)."""
    folder = export_folder(model)
    if folder is None:
        raise ExportError(f"model {model.model_id!r} is not a local folder: cannot export it")
    _check_pipeline(Path(model.path))
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".export-", dir=folder.parent))
    tmp.chmod(0o755)
    try:
        max_tokens = _max_tokens(Path(model.path))
        export_graph(Path(model.path), tmp / MODEL_FILE)
        shutil.copyfile(Path(model.path) / TOKENIZER_FILE, tmp / TOKENIZER_FILE)
        draft = OnnxExport(tmp, model.model_id, _sha256_files(_source_files(model)), max_tokens, 0)
        dim = check_parity(model, draft)
        write_record(draft, dim)
        shutil.rmtree(folder, ignore_errors=True)
        os.replace(tmp, folder)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    export = cached_export(model)
    if export is None:
        raise ExportError(f"export of {model.model_id} vanished from {folder}")
    return export


class OnnxEmbedder:
    """Encodes texts into L2-normalised float32 vectors with onnxruntime (no torch)."""

    backend = "onnx"

    def __init__(self, model: ModelRef, export: OnnxExport, threads: int | None = None) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.model = model
        self.export = export
        self.dim = export.dim
        self._single = Tokenizer.from_file(str(export.tokenizer_file))
        self._single.no_padding()  # the bundled tokenizer.json pads every input to 128 tokens
        self._single.enable_truncation(export.max_tokens)
        self._batch = Tokenizer.from_file(str(export.tokenizer_file))
        self._batch.enable_truncation(export.max_tokens)
        self._batch.enable_padding(**_padding_of(self._batch))
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or int(os.environ.get("QA_ONNX_THREADS", THREADS))
        options.inter_op_num_threads = 1
        self._session = ort.InferenceSession(
            str(export.model_file), options, providers=["CPUExecutionProvider"]
        )
        self._inputs = [i.name for i in self._session.get_inputs()]

    def token_count(self, text: str) -> int:
        """How many tokens a single query of `text` runs through the model."""
        return len(self._single.encode(text).ids)

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """(len(texts), dim) float32 unit vectors."""
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if not self.export.batchable:
            batch_size = 1
        parts = [self._run(texts[i : i + batch_size]) for i in range(0, len(texts), batch_size)]
        return np.ascontiguousarray(np.concatenate(parts), dtype=np.float32)

    def encode_query(self, text: str) -> tuple[np.ndarray, TokenVectors]:
        """The question's unit vector and its content tokens."""
        encoding = self._single.encode(text)
        vectors, states = self._session.run(None, self._feed([encoding]))
        return vectors[0].astype(np.float32), content_vectors(states[0], text, encoding.offsets)

    def encode_with_tokens(
        self, texts: Sequence[str], batch_size: int = 32
    ) -> tuple[np.ndarray, list[TokenVectors]]:
        """The unit vectors of `texts` and each text's content tokens."""
        pairs = [self.encode_query(t) for t in texts]
        if not pairs:
            return np.zeros((0, self.dim), dtype=np.float32), []
        return np.stack([v for v, _ in pairs]), [t for _, t in pairs]

    def _run(self, texts: list[str]) -> np.ndarray:
        if len(texts) == 1:
            encodings = [self._single.encode(texts[0])]
        else:
            encodings = self._batch.encode_batch(texts)
        return self._session.run(["embedding"], self._feed(encodings))[0]

    def _feed(self, encodings) -> dict[str, np.ndarray]:
        return {
            name: np.array([getattr(e, _ENCODING_FIELDS[name]) for e in encodings], dtype=np.int64)
            for name in self._inputs
        }


def _padding_of(tokenizer) -> dict:
    """The model's own pad token and id (tokenizer.json's padding, else its [PAD]/<pad>)."""
    own = tokenizer.padding or {}
    if "pad_id" in own and "pad_token" in own:
        return {"pad_id": own["pad_id"], "pad_token": own["pad_token"]}
    for token in ("[PAD]", "<pad>"):
        pad_id = tokenizer.token_to_id(token)
        if pad_id is not None:
            return {"pad_id": pad_id, "pad_token": token}
    return {"pad_id": 0}


def _source_files(model: ModelRef) -> list[Path] | None:
    folder = Path(model.path)
    if not folder.is_dir() or not (folder / TOKENIZER_FILE).is_file():
        return None
    return [folder / name for name in _SOURCE_FILES if (folder / name).is_file()]


def _sha256_files(paths: list[Path] | None) -> str:
    digest = hashlib.sha256()
    for path in paths or []:
        digest.update(path.name.encode())
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def _max_tokens(folder: Path) -> int:
    """sentence-transformers' `max_seq_length` for the model (its truncation length)."""
    config = folder / "sentence_bert_config.json"
    if config.is_file():
        return int(json.loads(config.read_text(encoding="utf-8")).get("max_seq_length", 256))
    return 256


def _check_pipeline(folder: Path) -> None:
    """Refuse models whose pipeline is not transformer -> mean pooling -> normalise."""
    try:
        modules = json.loads((folder / "modules.json").read_text(encoding="utf-8"))
        pooling = json.loads((folder / "1_Pooling" / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ExportError(f"{folder} is not a sentence-transformers model folder: {exc}") from None
    kinds = [m.get("type", "").rsplit(".", 1)[-1] for m in modules]
    # sentence-transformers < 5 writes one flag a mode, newer releases `"pooling_mode": "mean"`
    modes = [
        k[len("pooling_mode_") :] for k, v in pooling.items() if k.startswith("pooling_mode_") and v
    ]
    modes += [pooling["pooling_mode"]] if isinstance(pooling.get("pooling_mode"), str) else []
    if kinds != ["Transformer", "Pooling", "Normalize"] or modes not in (["mean"], ["mean_tokens"]):
        raise ExportError(f"only mean pooling + normalisation is exported, not {kinds} {modes}")


def export_graph(folder: Path, target: Path) -> None:
    """Trace transformer + mean pooling + L2 normalisation into one ONNX graph."""
    import warnings

    import torch
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # no "Loading weights" bar in the build's output
    encoder = AutoModel.from_pretrained(str(folder), attn_implementation="eager").eval()
    names = model_inputs(encoder)
    wrapped = _pooled(encoder, segments="token_type_ids" in names)
    ids = torch.ones(2, 16, dtype=torch.long)
    mask = ids.clone()
    mask[1, 10:] = 0
    sample = (ids, mask, torch.zeros_like(ids))[: len(names)]
    axes = {name: {0: "batch", 1: "tokens"} for name in names}
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            wrapped,
            sample,
            str(target),
            input_names=list(names),
            output_names=["embedding", "tokens"],
            dynamic_axes=axes | {"embedding": {0: "batch"}, "tokens": {0: "batch", 1: "tokens"}},
            opset_version=17,
            dynamo=False,
        )


def model_inputs(encoder) -> tuple[str, ...]:
    """The inputs of `INPUTS` that the transformer's forward takes (no segment ids for MPNet)."""
    import inspect

    accepted = inspect.signature(encoder.forward).parameters
    return tuple(name for name in INPUTS if name in accepted)


def _pooled(encoder, segments: bool):
    """`encoder` followed by mean pooling under the attention mask and L2 normalisation, and
    the token vectors before pooling; `segments`: whether the graph takes `token_type_ids`."""
    import torch

    class Pooled(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = encoder

        def forward(self, input_ids, attention_mask, token_type_ids=None):
            extra = {"token_type_ids": token_type_ids} if segments else {}
            states = self.encoder(
                input_ids=input_ids, attention_mask=attention_mask, **extra
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(states.dtype)
            mean = (states * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2.0, dim=1), states

    return Pooled()


def check_parity(model: ModelRef, export: OnnxExport) -> int:
    """Compare with sentence-transformers on probe texts; return the vector dimension."""
    reference, reference_tokens = SentenceTransformerEmbedder(model).encode_with_tokens(_PROBES)
    onnx = OnnxEmbedder(model, export)
    single = np.concatenate([onnx.encode([p]) for p in _PROBES])
    batch = onnx.encode(_PROBES)
    worst = float(min((single * reference).sum(1).min(), (batch * reference).sum(1).min()))
    for probe, expected in zip(_PROBES, reference_tokens, strict=True):
        tokens, expected = onnx.encode_query(probe)[1].vectors, expected.vectors
        same_shape = tokens.shape == expected.shape
        worst = min(worst, float((tokens * expected).sum(1).min()) if same_shape else -1.0)
    if worst < PARITY_MIN_COSINE:
        raise ExportError(f"ONNX export differs from sentence-transformers (cosine {worst:.6f})")
    return int(reference.shape[1])


def write_record(export: OnnxExport, dim: int) -> None:
    import onnxruntime

    record = {
        "format": FORMAT,
        "model_id": export.model_id,
        "model_sha256": export.model_sha256,
        "onnx_bytes": export.model_file.stat().st_size,
        "onnx_sha256": _sha256_files([export.model_file]),
        "max_tokens": export.max_tokens,
        "dim": dim,
        "opset": 17,
        "onnxruntime": onnxruntime.__version__,
    }
    (export.folder / RECORD_FILE).write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
