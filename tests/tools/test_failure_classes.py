"""`scripts/failure_classes.py` classes every answerable question once, by the stage that
loses it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "failure_classes.py"


def test_every_answerable_dev_question_is_in_one_class(dev_questions):
    out = subprocess.run(
        [sys.executable, str(SCRIPT), "dev"], capture_output=True, text=True, timeout=600
    )
    assert out.returncode == 0, out.stderr[-2000:]
    header, row = [line for line in out.stdout.splitlines() if line.startswith("| ")]
    names = [c.strip() for c in header.strip("|").split("|")]
    cells = dict(zip(names, (c.strip() for c in row.strip("|").split("|")), strict=True))
    answerable = sum(q["answerable"] for q in dev_questions)
    assert cells["set"] == "dev" and int(cells["answerable"]) == answerable
    counts = {k: int(v) for k, v in cells.items() if k not in ("set", "answerable")}
    assert sum(counts.values()) == answerable
    assert counts["right"] >= 0.85 * answerable  # the dev gate of tests/answer/test_quality.py
