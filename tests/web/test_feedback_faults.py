"""The feedback store under faults (issue 22): locked by another process, corrupt, in a read-only
folder, flooded by one client. Votes fail visibly and quickly, answers never wait, a damaged
database is moved aside at start-up with nothing else lost, and each client's records per day
are capped while other clients' still land."""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from pathlib import Path

import gradio as gr
import pytest
from helpers_feedback_faults import locked_by_another_process, read_only

from qa.tools.cli import main
from qa.web.feedback import FILENAME, FeedbackLimits, FeedbackStore, Turn
from qa.web.page import VOTE_BUSY, VOTE_FAILED, VOTE_LIMIT, _Handlers, build_page
from qa.web.service import QAService

ANSWERED = "Will Russia give Iran fighter jets?"
# the article does not say: abstentions (two, so that neither is answered from a warm cache)
NOT_ANSWERED = "What is the capital of Australia?"
ALSO_NOT_ANSWERED = "What is the boiling point of water?"


def turn(n: int = 0, question: str = "Why?", abstained: bool = False) -> Turn:
    return Turn(f"t-{question}-{n}", question, [], "Because.", [1, 2], abstained)


def handlers_for(engine, store: FeedbackStore) -> _Handlers:
    return _Handlers(QAService(loader=lambda: engine).start(), store)


def vote(handlers: _Handlers, turns: dict, index: int, client: str = "10.0.0.1") -> None:
    data = gr.LikeData(None, {"index": index, "value": "", "liked": False})
    handlers.vote(turns, data, gr.Request(client={"host": client}))


def ask(handlers: _Handlers, question: str, client: str = "10.0.0.1") -> tuple[dict, float]:
    """(turns, seconds) of one question through the page's chat handler."""
    start = time.monotonic()
    _, messages, turns, status, *_ = handlers.respond(
        question, [], {}, None, gr.Request(client={"host": client})
    )
    elapsed = time.monotonic() - start
    assert status == "" and messages[-1]["role"] == "assistant"
    return turns, elapsed


# -- locked --------------------------------------------------------------------------------


def test_a_vote_on_a_locked_store_fails_after_the_short_busy_timeout(tmp_path):
    store = FeedbackStore(tmp_path, FeedbackLimits(busy_timeout=0.5))
    store.record_vote(turn(0), 1)
    with locked_by_another_process(store.path):
        start = time.monotonic()
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            store.record_vote(turn(1), 1)
        waited = time.monotonic() - start
    assert 0.5 <= waited < 2.5, waited  # waits briefly, then gives up (the guard: 0.5 s)
    print(f"a vote on the locked store failed after {waited:.2f} s (busy timeout 0.5 s)")
    assert store.record_vote(turn(2), 1)  # lock released: writes land again
    assert [r["turn_id"] for r in store.rows()] == ["t-Why?-0", "t-Why?-2"]


def test_default_busy_timeout_is_short_and_set_by_environment(monkeypatch, caplog):
    assert FeedbackLimits().busy_timeout <= 2
    monkeypatch.setenv("QA_FEEDBACK_BUSY_TIMEOUT", "0.25")
    monkeypatch.setenv("QA_FEEDBACK_VOTES_PER_DAY", "7")
    monkeypatch.setenv("QA_FEEDBACK_ABSTENTIONS_PER_DAY", "many")
    with caplog.at_level(logging.WARNING, "qa.feedback"):
        limits = FeedbackStore(Path("unused")).limits
    assert limits == FeedbackLimits(0.25, 7, FeedbackLimits().abstentions_per_day)
    assert [r.getMessage() for r in caplog.records] == [
        "QA_FEEDBACK_ABSTENTIONS_PER_DAY='many' is not a number >= 0: using 200"
    ]


@pytest.mark.slow
def test_locked_store_answers_at_normal_speed_and_the_vote_says_not_saved(engine, tmp_path):
    """The abstention of an answer asked while the store is locked is written behind the
    answer; the vote waits its busy timeout and the page warns that it was not saved."""
    store = FeedbackStore(tmp_path, FeedbackLimits(busy_timeout=3.0))
    store.record_vote(turn(0), 1)
    handlers = handlers_for(engine, store)
    ask(handlers, ANSWERED)  # warm
    _, unlocked = ask(handlers, NOT_ANSWERED)  # its abstention lands at once
    handlers.behind.drain(timeout=30)
    with locked_by_another_process(store.path):  # released as soon as the answer is back
        turns, locked = ask(handlers, ALSO_NOT_ANSWERED)
    assert locked < store.limits.busy_timeout, (unlocked, locked)  # never the lock's wait
    handlers.behind.drain(timeout=30)  # its abstention, written behind, lands after the lock
    assert [r["vote"] for r in store.rows()] == [1, None, None]
    with locked_by_another_process(store.path):
        start = time.monotonic()
        with pytest.warns(UserWarning, match=VOTE_BUSY):  # gr.Warning outside a live page
            vote(handlers, turns, max(turns))
        assert time.monotonic() - start >= store.limits.busy_timeout
    assert [r["vote"] for r in store.rows()] == [1, None, None]
    print(f"answer unlocked {unlocked:.3f} s, with the store locked {locked:.3f} s")


# -- corrupt -------------------------------------------------------------------------------


def damage_garbage(path: Path) -> None:
    path.write_bytes(b"not a database at all\n" * 500)


def damage_truncated(path: Path) -> None:
    os.truncate(path, path.stat().st_size // 2)


@pytest.mark.parametrize("damage", [damage_garbage, damage_truncated], ids=["garbage", "truncated"])
def test_corrupt_store_is_moved_aside_at_start_and_a_new_one_started(
    tmp_path, caplog, capsys, damage
):
    store = FeedbackStore(tmp_path)
    for n in range(300):  # enough pages that half the file is a real truncation
        store.record_vote(Turn(f"old-{n}", "Old?", [], "x" * 400, [1], False), -1)
    damage(store.path)
    assert main(["feedback", "--data-dir", str(tmp_path)]) == 1  # `qa feedback` names it
    assert f"cannot read {store.path}:" in capsys.readouterr().err
    Path(f"{store.path}-wal").write_bytes(b"wal")  # a stray -wal goes with it
    damaged = store.path.read_bytes()

    with caplog.at_level(logging.WARNING, "qa.feedback"):
        build_page(QAService(loader=lambda: None), store)  # the app starting
    [aside] = tmp_path.glob(f"{FILENAME}.corrupt-*[0-9]Z")
    [line] = [r.getMessage() for r in caplog.records]
    assert line.startswith("feedback database corrupt (") and line.endswith(f"to {aside}")
    assert aside.read_bytes() == damaged  # nothing lost: moved, byte for byte
    assert Path(f"{aside}-wal").read_bytes() == b"wal"
    assert all(p.name.startswith(aside.name) for p in tmp_path.iterdir())  # with its -shm

    assert store.record_vote(turn(1, "New?"), -1)
    assert main(["feedback", "--data-dir", str(tmp_path), "--json"]) == 0
    assert '"question": "New?"' in capsys.readouterr().out


def test_sound_or_unreadable_store_is_left_where_it_is(tmp_path, caplog):
    store = FeedbackStore(tmp_path)
    store.record_vote(turn(0), 1)
    assert store.quarantine_if_corrupt() is None  # sound
    with sqlite3.connect(store.path) as conn:  # a rollback-journal database, locked: reads fail
        conn.execute("PRAGMA journal_mode = DELETE")
    with locked_by_another_process(store.path), caplog.at_level(logging.WARNING, "qa.feedback"):
        assert FeedbackStore(tmp_path, FeedbackLimits(0.2)).quarantine_if_corrupt() is None
    assert "not checked: database is locked" in caplog.text
    assert [p.name for p in tmp_path.iterdir()] == [FILENAME]
    assert len(store.rows()) == 1


def test_a_store_from_before_the_client_column_keeps_its_rows(tmp_path):
    with sqlite3.connect(tmp_path / FILENAME) as conn:
        conn.execute(
            "CREATE TABLE feedback (id INTEGER PRIMARY KEY AUTOINCREMENT, turn_id TEXT NOT NULL, "
            "created_at TEXT NOT NULL, question TEXT NOT NULL, history TEXT NOT NULL, answer "
            "TEXT, passage_ids TEXT NOT NULL, abstained INTEGER NOT NULL, vote INTEGER)"
        )
        conn.execute(
            "INSERT INTO feedback VALUES (1, 'old', '2024-01-01T00:00:00Z', 'Old?', '[]', "
            "'A.', '[]', 0, -1)"
        )
    store = FeedbackStore(tmp_path)
    assert store.record_vote(turn(0), 1, "10.0.0.1")
    assert [(r["turn_id"], r["client"] is None) for r in store.rows()] == [
        ("old", True),
        ("t-Why?-0", False),
    ]


# -- read-only folder ----------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("existing", [False, True], ids=["empty", "with-a-store"])
def test_read_only_data_folder_still_answers_and_the_vote_says_not_saved(
    engine, tmp_path, existing
):
    store = FeedbackStore(tmp_path, FeedbackLimits(busy_timeout=0.5))
    if existing:
        store.record_vote(turn(0), 1)
    before = sorted(p.name for p in tmp_path.iterdir())
    with read_only(tmp_path):
        build_page(QAService(loader=lambda: engine), store)  # the start-up check copes
        handlers = handlers_for(engine, store)
        turns, _ = ask(handlers, ANSWERED)
        ask(handlers, NOT_ANSWERED)  # its abstention record fails in the background
        with pytest.warns(UserWarning, match=VOTE_FAILED):
            vote(handlers, turns, max(turns))
        handlers.behind.drain(timeout=30)
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert len(store.rows()) == int(existing)


def test_read_only_data_folder_is_said_in_one_log_line_at_start(engine, tmp_path, caplog):
    store = FeedbackStore(tmp_path)
    with read_only(tmp_path), caplog.at_level(logging.WARNING, logger="qa.feedback"):
        build_page(QAService(loader=lambda: engine), store)
    [line] = [r.getMessage() for r in caplog.records if r.name == "qa.feedback"]
    assert line == (
        f"cannot write feedback in {tmp_path}: read-only file system: "
        "votes will not be saved (answers are not affected)"
    )
    assert store.warn_if_unwritable() is True  # writable again once the mount is gone


# -- bounded -------------------------------------------------------------------------------


def test_a_flood_of_votes_from_one_client_stops_at_the_daily_limit(tmp_path, monkeypatch):
    """Through the page's vote handler: one address floods from 8 threads; the table stops
    growing at the limit and each vote past it is told so, while another address's votes
    still land."""
    store = FeedbackStore(tmp_path, FeedbackLimits(votes_per_day=20, abstentions_per_day=5))
    handlers = _Handlers(QAService(loader=lambda: None), store)
    turns = {2 * n + 1: vars(turn(n)) for n in range(10)}
    warned: list[str] = []
    monkeypatch.setattr(gr, "Warning", warned.append)  # the toast, recorded across threads

    def flood() -> None:
        for index in [*turns] * 5:
            vote(handlers, turns, index, client="203.0.113.7")

    pool = [threading.Thread(target=flood) for _ in range(8)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(timeout=120)
    assert len(store.rows()) == 20  # 400 votes sent, 20 kept
    assert len(warned) == 380 and set(warned) == {VOTE_LIMIT}
    vote(handlers, turns, 1, client="198.51.100.9")  # another client: it lands, no warning
    assert len(store.rows()) == 21 and len(warned) == 380


def test_daily_limits_count_votes_and_abstentions_apart_and_keep_older_days(tmp_path):
    store = FeedbackStore(tmp_path, FeedbackLimits(votes_per_day=3, abstentions_per_day=2))
    store.record_vote(turn(0), 1, "10.0.0.1")
    with sqlite3.connect(store.path) as conn:  # yesterday's votes are kept and not counted
        conn.execute(
            "UPDATE feedback SET created_at = '2000-01-01T00:00:00Z', client = ?",
            (store.rows()[0]["client"],),
        )
    kept = [store.record_vote(turn(n), 1, "10.0.0.1") for n in range(1, 6)]
    abst = [store.record_abstention(turn(n, abstained=True), "10.0.0.1") for n in range(4)]
    assert kept == [True] * 3 + [False] * 2 and abst == [True] * 2 + [False] * 2
    assert store.rows()[0]["created_at"].startswith("2000")
    assert len(store.rows()) == 1 + 3 + 2
    # one IPv6 machine holds a /64: its addresses share one limit
    assert [store.record_vote(turn(n), 1, f"2001:db8::{n}") for n in range(4)] == [True] * 3 + [
        False
    ]
    assert store.record_vote(turn(9), 1, "2001:db8:0:1::1")  # another /64
    assert "10.0.0.1" not in {r["client"] for r in store.rows()}  # a pseudonym, not the address
