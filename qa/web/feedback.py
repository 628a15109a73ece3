"""Feedback from the page: votes on answers and abstentions, in SQLite under the data directory.

One row per event: a vote (+1 up, -1 down, 0 withdrawn) or an abstention (vote NULL), each
tied to the chat turn it is about and to a pseudonym of the client that sent it. The database
is created on first write, in WAL mode; every write opens its own connection, so concurrent
requests all land. Faults stay small (`FeedbackLimits`): a write waits for a lock at most
`busy_timeout` seconds and then fails; each client may add at most so many votes and so many
abstentions per UTC day, past which new records are dropped and older ones kept; and
`quarantine_if_corrupt`, run when the app starts, moves a damaged database aside.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from qa.index.storage import StorageError, check_writable

log = logging.getLogger("qa.feedback")

FILENAME = "feedback.sqlite3"
CORRUPT = (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)
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
    vote INTEGER,
    client TEXT
);
CREATE INDEX IF NOT EXISTS feedback_turn ON feedback (turn_id);
"""
# after the column exists (a database from before it gains the column first)
_CLIENT_INDEX = "CREATE INDEX IF NOT EXISTS feedback_client ON feedback (client, created_at)"


@dataclass(frozen=True)
class FeedbackLimits:
    """How long a write waits for another writer's lock (seconds), and how many votes and
    abstention records one client may add per UTC day (0: none)."""

    busy_timeout: float = 2.0
    votes_per_day: int = 200
    abstentions_per_day: int = 200

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> FeedbackLimits:
        """QA_FEEDBACK_BUSY_TIMEOUT, QA_FEEDBACK_VOTES_PER_DAY, QA_FEEDBACK_ABSTENTIONS_PER_DAY;
        a value that is not a number >= 0 is logged and the default kept."""
        default = cls()
        return cls(
            _setting(env, "QA_FEEDBACK_BUSY_TIMEOUT", float, default.busy_timeout),
            _setting(env, "QA_FEEDBACK_VOTES_PER_DAY", int, default.votes_per_day),
            _setting(env, "QA_FEEDBACK_ABSTENTIONS_PER_DAY", int, default.abstentions_per_day),
        )


def _setting(env: Mapping[str, str], name: str, kind: type, default):
    raw = env.get(name)
    if not raw:
        return default
    try:
        value = kind(raw)
    except ValueError:
        value = -1
    if value < 0:
        log.warning("%s=%r is not a number >= 0: using %s", name, raw, default)
        return default
    return value


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


def client_key(host: str, day: str) -> str:
    """A pseudonym for a client on `day`: a digest of its address (of its /64 network for
    IPv6, where one machine holds a whole /64) and the day; never the address itself."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:  # not an address (a test client's name, "unknown"): used as it is
        network = host
    else:
        prefix = 64 if address.version == 6 else 32
        network = str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))
    return hashlib.sha256(f"{day}|{network}".encode()).hexdigest()[:16]


class FeedbackStore:
    """The feedback database at `data_dir/feedback.sqlite3`."""

    def __init__(self, data_dir: Path, limits: FeedbackLimits | None = None) -> None:
        self.path = Path(data_dir) / FILENAME
        self.limits = limits or FeedbackLimits.from_env()
        self._setup_lock = threading.Lock()
        self._ready = False

    def record_vote(self, turn: Turn, vote: int, client: str | None = None) -> bool:
        """Store a vote on `turn`: +1, -1, or 0 when the vote is withdrawn. False when it was
        dropped: `client` (its address) reached today's limit of votes. Without a client (an
        in-process caller) nothing is limited."""
        if vote not in (-1, 0, 1):
            raise ValueError("vote must be -1, 0 or 1")
        return self._insert(turn, vote, client, self.limits.votes_per_day)

    def record_abstention(self, turn: Turn, client: str | None = None) -> bool:
        """Note that the page told the user the article does not say; False when dropped
        (today's limit of abstention records for `client` reached)."""
        return self._insert(turn, None, client, self.limits.abstentions_per_day)

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

    def warn_if_unwritable(self) -> bool:
        """At start: one log line when votes cannot be saved (a read-only or full data folder);
        answers are not affected. False in that case."""
        try:
            check_writable(self.path.parent, ".feedback-probe-", "feedback")
        except StorageError as exc:
            log.warning("%s: votes will not be saved (answers are not affected)", exc)
            return False
        return True

    def quarantine_if_corrupt(self) -> Path | None:
        """Move a damaged database (and its -wal/-shm) aside to `feedback.sqlite3.corrupt-<UTC
        time>`, with one log line naming it, so the next write starts a new one; the new name,
        or None when the database is sound, absent or cannot be checked now (locked,
        unreadable: logged)."""
        problem = self._damage()
        if problem is None:
            return None
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        aside = _unused(self.path.with_name(f"{FILENAME}.corrupt-{stamp}"))
        for suffix in ("-wal", "-shm", ""):  # the database last: its name is the one to find
            source = Path(f"{self.path}{suffix}")
            if source.exists():
                source.rename(f"{aside}{suffix}")
        self._ready = False  # the next write creates the new database's table
        log.warning("feedback database corrupt (%s): moved aside to %s", problem, aside)
        return aside

    def _damage(self) -> str | None:
        """What `PRAGMA quick_check` (or opening) finds wrong with the database; None if sound."""
        if not self.path.is_file():
            return None
        try:
            # read-only: a checkpoint must not write a damaged -wal into a damaged database
            read_only = self.path.resolve().as_uri() + "?mode=ro"
            timeout = self.limits.busy_timeout
            with closing(sqlite3.connect(read_only, uri=True, timeout=timeout)) as conn:
                found = [r[0] for r in conn.execute("PRAGMA quick_check")]
        except sqlite3.Error as exc:
            if getattr(exc, "sqlite_errorcode", None) in CORRUPT:
                return str(exc)
            log.warning("feedback database not checked: %s", exc)
            return None
        return None if found == ["ok"] else "; ".join(found[:3])

    def _insert(self, turn: Turn, vote: int | None, client: str | None, cap: int) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        now = time.gmtime()
        day = time.strftime("%Y-%m-%d", now)
        key = None if client is None else client_key(client, day)
        values = (
            turn.turn_id,
            time.strftime("%Y-%m-%dT%H:%M:%SZ", now),
            turn.question,
            json.dumps(list(turn.history), ensure_ascii=False),
            turn.answer,
            json.dumps([int(i) for i in turn.passage_ids]),
            int(turn.abstained),
            vote,
            key,
        )
        with closing(self._connect()) as conn:
            conn.isolation_level = None  # count and insert in one write transaction
            conn.execute("BEGIN IMMEDIATE")
            try:
                if key is not None and self._count_today(conn, key, day, vote is None) >= cap:
                    conn.execute("ROLLBACK")
                    return False
                conn.execute(
                    "INSERT INTO feedback (turn_id, created_at, question, history, answer, "
                    "passage_ids, abstained, vote, client) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    values,
                )
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        return True

    @staticmethod
    def _count_today(conn: sqlite3.Connection, key: str, day: str, abstentions: bool) -> int:
        return conn.execute(
            "SELECT COUNT(*) FROM feedback WHERE client = ? AND created_at >= ? "
            "AND (vote IS NULL) = ?",
            (key, day, abstentions),
        ).fetchone()[0]

    def _connect(self) -> sqlite3.Connection:
        """A connection with the short busy timeout; the first one sets the database up. In WAL
        mode `synchronous = NORMAL` keeps every commit through a crash of the app (not of the
        machine) without an fsync per vote, so concurrent votes do not queue on the disk."""
        timeout = self.limits.busy_timeout
        conn = sqlite3.connect(self.path, timeout=timeout)
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
            conn.execute("PRAGMA synchronous = NORMAL")
            if not self._ready:  # switching to WAL and creating the table race between threads
                with self._setup_lock:
                    if not self._ready:
                        conn.execute("PRAGMA journal_mode = WAL")
                        conn.executescript(_SCHEMA)
                        _add_client_column(conn)
                        self._ready = True
        except BaseException:  # a store that cannot be set up leaves no file open
            conn.close()
            raise
        return conn


def _add_client_column(conn: sqlite3.Connection) -> None:
    """A database from before the per-client limits gains its `client` column (NULL in old
    rows, which count against nobody's limit) and the index the limits count with."""
    if "client" not in {r[1] for r in conn.execute("PRAGMA table_info(feedback)")}:
        conn.execute("BEGIN IMMEDIATE")  # another process may be adding it too: check again
        if "client" not in {r[1] for r in conn.execute("PRAGMA table_info(feedback)")}:
            conn.execute("ALTER TABLE feedback ADD COLUMN client TEXT")
        conn.execute("COMMIT")
    conn.executescript(_CLIENT_INDEX)


def _unused(path: Path) -> Path:
    """`path`, or `path-2`, `path-3`… : the first name not taken (a rename must not overwrite)."""
    candidate, n = path, 1
    while any(Path(f"{candidate}{s}").exists() for s in ("", "-wal", "-shm")):
        n += 1
        candidate = Path(f"{path}-{n}")
    return candidate


def format_report(rows: Sequence[ReportRow]) -> str:
    """The report as a table for a terminal."""
    if not rows:
        return "No questions were voted down or abstained on."
    lines = [f"{'turns':>5}  {'down':>4}  {'abst':>4}  question"]
    lines += [f"{r.turns:>5}  {r.down:>4}  {r.abstained:>4}  {r.question}" for r in rows]
    return "\n".join(lines)
