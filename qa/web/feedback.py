"""Feedback from the page: votes on answers and abstentions, in SQLite under the data directory.

One row per event: a vote (+1 up, -1 down, 0 withdrawn) or an abstention (vote NULL), each
tied to the chat turn it is about. The database is created on first write, in WAL mode with a
busy timeout, and every write opens its own connection, so concurrent requests all land.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

FILENAME = "feedback.sqlite3"
BUSY_TIMEOUT_MS = 10_000
_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    turn_id TEXT NOT NULL,
    created_at TEXT NOT NULL,
    question TEXT NOT NULL,
    history TEXT NOT NULL,
    answer TEXT,
    passage_ids TEXT NOT NULL,
    abstained INTEGER NOT NULL,
    vote INTEGER
);
CREATE INDEX IF NOT EXISTS feedback_turn ON feedback (turn_id);
"""


@dataclass(frozen=True)
class Turn:
    """One answered question as the page showed it."""

    turn_id: str
    question: str
    history: list[str]
    answer: str | None
    passage_ids: list[int]
    abstained: bool


@dataclass(frozen=True)
class ReportRow:
    """A question that needs a maintainer's look: how often it was voted down or abstained."""

    question: str
    turns: int
    down: int
    abstained: int


class FeedbackStore:
    """The feedback database at `data_dir/feedback.sqlite3`."""

    def __init__(self, data_dir: Path) -> None:
        self.path = Path(data_dir) / FILENAME
        self._setup_lock = threading.Lock()
        self._ready = False

    def record_vote(self, turn: Turn, vote: int) -> None:
        """Store a vote on `turn`: +1, -1, or 0 when the vote is withdrawn."""
        if vote not in (-1, 0, 1):
            raise ValueError("vote must be -1, 0 or 1")
        self._insert(turn, vote)

    def record_abstention(self, turn: Turn) -> None:
        """Note that the page told the user the article does not say."""
        self._insert(turn, None)

    def rows(self) -> list[dict]:
        """Every stored event, oldest first (empty when nothing was stored yet)."""
        if not self.path.is_file():
            return []
        with closing(self._connect()) as conn:
            conn.row_factory = sqlite3.Row
            return [dict(r) for r in conn.execute("SELECT * FROM feedback ORDER BY id")]

    def report(self) -> list[ReportRow]:
        """Questions whose latest vote is down or that were abstained on, most frequent first."""
        rows = self.rows()
        latest_vote = {r["turn_id"]: r["vote"] for r in rows if r["vote"] is not None}
        abstained = {r["turn_id"] for r in rows if r["vote"] is None}
        down = {t for t, v in latest_vote.items() if v == -1}
        flagged = down | abstained
        turns_of: dict[str, set[str]] = {}
        for r in rows:
            if r["turn_id"] in flagged:
                turns_of.setdefault(r["question"], set()).add(r["turn_id"])
        out = [
            ReportRow(q, len(turns), len(turns & down), len(turns & abstained))
            for q, turns in turns_of.items()
        ]
        return sorted(out, key=lambda r: (-r.turns, -r.down, r.question))

    def _insert(self, turn: Turn, vote: int | None) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        values = (
            turn.turn_id,
            time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            turn.question,
            json.dumps(list(turn.history), ensure_ascii=False),
            turn.answer,
            json.dumps([int(i) for i in turn.passage_ids]),
            int(turn.abstained),
            vote,
        )
        with closing(self._connect()) as conn, conn:
            conn.execute(
                "INSERT INTO feedback (turn_id, created_at, question, history, answer, "
                "passage_ids, abstained, vote) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                values,
            )

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000)
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        if not self._ready:  # switching to WAL and creating the table race between threads
            with self._setup_lock:
                if not self._ready:
                    conn.execute("PRAGMA journal_mode = WAL")
                    conn.executescript(_SCHEMA)
                    self._ready = True
        return conn


def format_report(rows: Sequence[ReportRow]) -> str:
    """The report as a table for a terminal."""
    if not rows:
        return "No questions were voted down or abstained on."
    lines = [f"{'turns':>5}  {'down':>4}  {'abst':>4}  question"]
    lines += [f"{r.turns:>5}  {r.down:>4}  {r.abstained:>4}  {r.question}" for r in rows]
    return "\n".join(lines)
