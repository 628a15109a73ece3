"""Where the evaluation sets are (shared by conftest and the store suite)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def eval_set(name: str) -> Path:
    """The shared evaluation set when it sits beside the checkout, else the repo's copy in
    eval/ (for CI)."""
    shared = ROOT.parent / "shared" / "eval" / f"{name}.jsonl"
    return shared if shared.is_file() else ROOT / "eval" / f"{name}.jsonl"
