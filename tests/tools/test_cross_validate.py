"""`scripts/cross_validate.py` prints the cross-validated and check figures side by side."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "cross_validate.py"


def test_prints_the_shipped_and_an_ablation_row():
    out = subprocess.run(
        [sys.executable, str(SCRIPT), "--only", "follow-ups", "--repeats", "1"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    rows = [line for line in out.stdout.splitlines() if line.startswith("| ")]
    assert rows[0].startswith("| variant | CV: recall@1")
    ablation = next(r for r in rows if r.startswith("| follow-ups keep the full relevance floor"))
    cells = [c.strip() for c in ablation.strip("|").split("|")]
    assert all(re.fullmatch(r"\d\.\d{3}", c) for c in cells[1:13]), cells
    assert re.fullmatch(r"[+-]\d\.\d{3} \(\d+ up, \d+ down of 5\)", cells[13]), cells
