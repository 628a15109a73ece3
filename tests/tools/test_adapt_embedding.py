"""`scripts/adapt_embedding.py --labelled`: the labelled pairs it fine-tunes on."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
from adapt_embedding import labelled_pairs  # noqa: E402

from qa.tools.evaluate import norm  # noqa: E402


def test_labelled_pairs_hold_the_gold_and_skip_the_rest(engine, dev_questions):
    pairs = labelled_pairs(engine.index, dev_questions)
    asked = {q["question"]: q for q in dev_questions}
    alone = [q for q in dev_questions if q["answerable"] and not q.get("history")]
    assert 0.9 * len(alone) <= len(pairs) <= len(alone)
    for question, sentence in pairs:
        q = asked[question]
        assert q["answerable"] and not q.get("history")
        assert any(norm(g) in norm(sentence) for g in q["gold"])
        sentences = [c.span_text(s, e) for c in engine.chunks for s, e in c.sentences]
        assert sentence in sentences  # one whole sentence of the article, not a passage
