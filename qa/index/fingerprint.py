"""The index fingerprint: a hash of everything a built index depends on. An index whose
manifest holds another fingerprint than the current one is stale."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from pathlib import Path

from qa import __version__
from qa.config import Settings
from qa.index.embedding import ModelRef
from qa.ingest.convert import format_sources
from qa.ingest.corpus import file_hashes

PACKAGE = Path(__file__).parent.parent  # qa/
# Source files whose behaviour shapes the index: editing one makes the built index stale.
PIPELINE_SOURCES = (
    "ingest/corpus.py",
    "ingest/convert.py",
    "ingest/clean.py",
    "ingest/blocks.py",
    "ingest/author_blocks.py",
    "ingest/pii.py",
    "ingest/sentences.py",
    "ingest/chunking.py",
    "index/lexical.py",
    "index/token_vectors.py",
    "index/embed_missing.py",
    "index/onnx_embedder.py",
    "index/fingerprint.py",
    "index/build_plan.py",
    "index/build.py",
    "index/store.py",
    "index/vector_index.py",
)


def fingerprint(settings: Settings, model: ModelRef) -> str:
    """Hash of everything the index depends on: corpus bytes, parameters, model, code."""
    return combined(file_hashes(settings.corpus_dir), pipeline(settings, model))


def combined(corpus: dict[str, str], steps: str) -> str:
    """The fingerprint of a corpus ({file name: sha256}) built by the pipeline `steps`."""
    return _sha256({"corpus": corpus, "pipeline": steps})


def pipeline(settings: Settings, model: ModelRef) -> str:
    """Hash of what turns a file into chunks and vectors (parameters, model, code), without
    the corpus: a document whose bytes and pipeline are unchanged need not be read again."""
    code = hashlib.sha256()
    for name in PIPELINE_SOURCES:
        code.update((PACKAGE / name).read_bytes())
    for path in format_sources():  # every converter in qa/ingest/formats/
        code.update(path.read_bytes())
    payload = {
        "chunk": asdict(settings.chunk),
        "model": model.model_id,
        "version": __version__,
        "code": code.hexdigest(),
    }
    return _sha256(payload)


def _sha256(payload: dict) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
