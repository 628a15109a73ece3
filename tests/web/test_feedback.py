"""The feedback store: created on first write, WAL, every concurrent write lands; `qa feedback`."""

from __future__ import annotations

import json
import sqlite3
import threading

import pytest

from qa.tools.cli import main
from qa.web.feedback import FILENAME, FeedbackStore, Turn


def turn(question: str, n: int = 0, abstained: bool = False) -> Turn:
    return Turn(f"t-{question}-{n}", question, ["earlier?"], "An answer.", [3, 1, 4], abstained)


def test_nothing_is_created_until_the_first_write(tmp_path):
    store = FeedbackStore(tmp_path / "data" / "nested")
    assert store.rows() == [] and store.report() == []
    assert not (tmp_path / "data").exists()
    store.record_vote(turn("Why?"), -1)
    assert (tmp_path / "data" / "nested" / FILENAME).is_file()


def test_a_vote_keeps_question_history_answer_passages_vote_and_time(tmp_path):
    store = FeedbackStore(tmp_path)
    store.record_vote(Turn("abc", "Will it?", ["First?", "Second?"], "Yes.", [7, 2], False), 1)
    [row] = store.rows()
    assert row["turn_id"] == "abc" and row["question"] == "Will it?"
    assert json.loads(row["history"]) == ["First?", "Second?"]
    assert row["answer"] == "Yes." and json.loads(row["passage_ids"]) == [7, 2]
    assert row["vote"] == 1 and row["abstained"] == 0
    assert row["created_at"].endswith("Z") and row["created_at"][:2] == "20"
    with pytest.raises(ValueError):
        store.record_vote(turn("x"), 2)


def test_database_is_in_wal_mode_with_a_busy_timeout(tmp_path):
    store = FeedbackStore(tmp_path)
    store.record_abstention(turn("Who?", abstained=True))
    conn = sqlite3.connect(store.path)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        conn.close()
    conn = store._connect()
    try:
        assert conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 1000
    finally:
        conn.close()


def test_concurrent_writes_all_land(tmp_path):
    store = FeedbackStore(tmp_path)
    threads, per_thread = 16, 25
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            for j in range(per_thread):
                store.record_vote(turn(f"q{i}", j), -1 if j % 2 else 1)
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    pool = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    assert errors == []
    rows = store.rows()
    assert len(rows) == threads * per_thread
    assert len({r["turn_id"] for r in rows}) == threads * per_thread


def test_report_lists_down_votes_and_abstentions_most_frequent_first(tmp_path):
    store = FeedbackStore(tmp_path)
    for n in range(3):
        store.record_vote(turn("Often wrong?", n), -1)
    store.record_abstention(turn("Not in the article?", 0, abstained=True))
    store.record_abstention(turn("Not in the article?", 1, abstained=True))
    store.record_vote(turn("Not in the article?", 1, abstained=True), -1)
    store.record_vote(turn("Changed my mind?"), -1)
    store.record_vote(turn("Changed my mind?"), 1)
    store.record_vote(turn("Withdrawn?"), -1)
    store.record_vote(turn("Withdrawn?"), 0)
    store.record_vote(turn("Liked?"), 1)
    report = store.report()
    assert [(r.question, r.turns, r.down, r.abstained) for r in report] == [
        ("Often wrong?", 3, 3, 0),
        ("Not in the article?", 2, 1, 2),
    ]


def test_qa_feedback_prints_the_report(tmp_path, capsys):
    store = FeedbackStore(tmp_path)
    assert main(["feedback", "--data-dir", str(tmp_path)]) == 0
    assert "No questions were voted down" in capsys.readouterr().out
    store.record_vote(turn("Rare?"), -1)
    for n in range(2):
        store.record_abstention(turn("Frequent?", n, abstained=True))
    assert main(["feedback", "--data-dir", str(tmp_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["turns", "down", "abst", "question"]
    assert lines[1].split() == ["2", "0", "2", "Frequent?"]
    assert lines[2].split() == ["1", "1", "0", "Rare?"]
    assert main(["feedback", "--data-dir", str(tmp_path), "--json", "--limit", "1"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [json.loads(line) for line in out] == [
        {"question": "Frequent?", "turns": 2, "down": 0, "abstained": 2}
    ]


def test_qa_feedback_reads_the_data_dir_from_the_environment(tmp_path, capsys, monkeypatch):
    FeedbackStore(tmp_path).record_vote(turn("From env?"), -1)
    monkeypatch.setenv("QA_DATA_DIR", str(tmp_path))
    assert main(["feedback"]) == 0
    assert "From env?" in capsys.readouterr().out
