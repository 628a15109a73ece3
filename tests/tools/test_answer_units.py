"""`scripts/answer_units.py`: where each labelled answer lies, one sentence or across two."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))

from answer_units import classify, units  # noqa: E402


def test_a_phrase_across_two_sentences_is_told_from_one_inside_a_sentence():
    singles = ["russia sells iran jets.", "it does not send troops."]
    pairs = [" ".join(singles)]
    questions = [
        {"answerable": True, "gold": ["Sells Iran"]},
        {"answerable": True, "gold": ["jets. It does not"]},
        {"answerable": True, "gold": ["submarines"]},
        {"answerable": False, "gold": []},
    ]
    assert classify(questions, singles, pairs) == [3, 1, 1, 1]


def test_the_seed_sets_answers_each_lie_in_one_indexed_sentence(dev_questions):
    singles, pairs = units(Path(__file__).resolve().parents[2] / "index")
    answerable, one, across, neither = classify(dev_questions, singles, pairs)
    assert answerable > 20 and across == 0 and one >= answerable - 1
