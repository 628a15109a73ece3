"""The reader's training pieces on small made-up data: the listwise picker, the refusal
threshold's false-refusal cap, and the article-level folds."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from qa.answer.abstain import Decision
from qa.answer.reader_features import CANDIDATE_FEATURES, QuestionShape
from training.reader import train as T
from training.reader.collect import Record


def _record(rng, group: str, qid: str) -> Record:
    """A question whose right candidate is the one with the highest `late` signal."""
    n = 6
    x = rng.normal(size=(n, len(CANDIDATE_FEATURES)))
    right = np.zeros(n, dtype=bool)
    right[int(np.argmax(x[:, CANDIDATE_FEATURES.index("late")]))] = True
    shape = QuestionShape.read("Who signed it?")
    return Record(group, qid, "", True, shape, [], [], x, right, right, 0.0, Decision(False))


def test_the_listwise_picker_learns_which_signal_marks_the_answer():
    rng = np.random.default_rng(0)
    train = [_record(rng, "a", str(i)) for i in range(300)]
    test = [_record(rng, "b", str(i)) for i in range(200)]
    picker = T.fit_picker(train, T.Options(learned_picker=True))
    hits = [r.answer_hit[int(np.argmax(picker.logits(r.features)))] for r in test]
    assert np.mean(hits) >= 0.85  # chance: 1 in 6
    late = CANDIDATE_FEATURES.index("late")
    assert np.argmax(np.abs(picker.coef)) == late and picker.coef[late] > 0


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.floats(0, 1), st.booleans()), min_size=2, max_size=60),
    st.floats(0.0, 0.3),
)
def test_the_refusal_threshold_never_refuses_more_answerable_questions_than_allowed(rows, cap):
    p = np.array([x for x, _ in rows])
    unanswerable = np.array([u for _, u in rows])
    w = np.ones(len(rows))
    ruled = np.zeros(len(rows), dtype=bool)
    t = T._threshold(p, unanswerable, ruled, w, cap)
    refused = p >= t
    assert (refused & ~unanswerable).sum() <= cap * (~unanswerable).sum() + 1e-9


def test_seed_folds_split_dev_and_tune_into_five_disjoint_parts():
    rng = np.random.default_rng(1)
    records = [_record(rng, g, f"{g}{i}") for g in ("dev", "tune", "check") for i in range(20)]
    folds = T.seed_folds(records)
    ids = [q for f in folds for q in f]
    assert len(folds) == 5 and len(ids) == len(set(ids)) == 40
    assert not any(q.startswith("check") for q in ids)
