"""Privacy and safety: no personal data in the index, the answers or the page; loopback by
default; nothing loaded with pickle; a feedback database that survives concurrency and kills.

The author card's values are read from the raw corpus file in the test (its "Detail Author"
block after the conclusion), so no personal data is copied into the repository.
"""

from __future__ import annotations

import json
import os
import pickle
import re
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import psutil
import pytest
from helpers_server import CORPUS, ROOT, AppServer, http, workspace

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}")
PHONE = re.compile(r"(?:\(\d{3}\)\s*|\b\d{3}[\s.-])\d{3}[\s.-]\d{4}\b")
CARD_LINE = re.compile(r"^\s*\W?\s*([A-Za-z ]+?)\s*:\s*(\S.*?)\s*$")
COUNTS = {"followers", "following"}


def card_values() -> list[str]:
    """The author card's values (name, username, e-mail, address, phone, bio, socials...)."""
    raw = next(CORPUS.glob("*.txt")).read_text(encoding="utf-8")
    tail = raw[raw.index("Detail Author") :]
    values = []
    for line in tail.splitlines():
        m = CARD_LINE.match(line)
        if m and m.group(1).strip().lower() not in COUNTS:
            values.append(m.group(2))
    name = next(v for line in tail.splitlines() if (v := _field(line, "Name")))
    values += name.split()  # each part of the name on its own
    values += [re.sub(r"\D", "", v) for v in values if PHONE.fullmatch(v)]  # digits only
    return values


def _field(line: str, key: str) -> str | None:
    m = CARD_LINE.match(line)
    return m.group(2) if m and m.group(1).strip() == key else None


def leaks(text: str, values: list[str]) -> list[str]:
    """Every e-mail, phone number or card value found in `text` (case-insensitive)."""
    low = text.lower()
    found = EMAIL.findall(text) + PHONE.findall(text)
    return found + [v for v in values if v.lower() in low]


@pytest.fixture(scope="module")
def values() -> list[str]:
    vals = card_values()
    # the card is really there and parsed: a name, an e-mail, a phone number, a URL
    assert any(EMAIL.fullmatch(v) for v in vals) and any(PHONE.fullmatch(v) for v in vals)
    assert any(v.startswith("https://") for v in vals) and len(vals) >= 12
    return vals


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    return workspace(tmp_path_factory.mktemp("privacy"))


@pytest.fixture(scope="module")
def private_engine(ws):
    from qa.answer.engine import QAEngine
    from qa.config import Settings

    return QAEngine.load(Settings(corpus_dir=ws.corpus, index_dir=ws.index))


def test_the_raw_corpus_does_hold_the_card(values):
    """The scan below is meaningful: every value is in the raw file it must not leave."""
    raw = next(CORPUS.glob("*.txt")).read_text(encoding="utf-8").lower()
    assert all(v.lower() in raw for v in values if not v.isdigit())


@pytest.mark.slow
@pytest.mark.parametrize("which", ["fresh build", "committed index"])
def test_no_personal_data_in_any_index_file(ws, values, which):
    index = ws.index if which == "fresh build" else ROOT / "index"
    files = [p for p in index.rglob("*") if p.is_file()]
    assert len(files) >= 6
    for path in files:
        text = path.read_bytes().decode("latin-1")  # binary files too: any embedded text
        assert leaks(text, values) == [], path


@pytest.mark.slow
def test_no_personal_data_in_dev_set_answers(private_engine, dev_questions, values):
    for q in dev_questions:
        result = private_engine.ask(q["question"], q.get("history") or []).to_json()
        assert leaks(json.dumps(result, ensure_ascii=False), values) == [], q["id"]


@pytest.mark.slow
def test_no_personal_data_in_page_html(private_engine, dev_questions, values):
    """The page's own HTML: the article view and the chat bubbles for every dev question."""
    from qa.web.page import _Handlers
    from qa.web.service import QAService

    service = QAService(loader=lambda: private_engine).start()
    assert service.wait_ready(60)
    handlers = _Handlers(service, None)
    article, _ = handlers.article()
    assert "Russia" in article and leaks(article, values) == []
    messages, turns = [], {}
    for q in dev_questions[:20]:
        _, messages, turns, *_ = handlers.respond(q["question"], messages, turns, None)
    html = json.dumps(messages, ensure_ascii=False)
    assert len(messages) == 40 and leaks(html, values) == []


# -- the running app ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def app(ws, tmp_path_factory):
    server = AppServer(ws.env()).start(tmp_path_factory.mktemp("privacy-app"))
    yield server
    server.stop()


def _listening(pid: int) -> list[str]:
    procs = [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]
    return [
        c.laddr.ip
        for p in procs
        for c in p.net_connections(kind="inet")
        if c.status == psutil.CONN_LISTEN
    ]


@pytest.mark.slow
def test_personal_data_slipped_into_the_index_is_redacted_at_output(engine):
    """The engine's last guard: a chunk holding an e-mail (as if cleaning had missed it) is
    shown redacted, with no highlight offsets into the changed text, on every ask."""
    from dataclasses import replace

    from qa.answer.engine import QAEngine

    question = "Will Russia give Iran fighter jets?"
    top = engine.ask(question).passages[0].id
    chunk = engine.index.chunks[top]
    leak = "Mail jane.doe@example.com now "
    chunks = list(engine.index.chunks)
    chunks[top] = replace(chunk, text=leak + chunk.text[len(leak) :])
    leaky = QAEngine(replace(engine.index, chunks=chunks), engine.embedder)
    for _ in range(2):  # the per-chunk check is remembered: the second ask must redact too
        out = leaky.ask(question).to_json()
        shown = next(p for p in out["passages"] if p["id"] == top)
        assert "jane.doe@example.com" not in json.dumps(out)
        assert shown["text"].startswith("Mail [redacted] now ")
        assert shown["answer_start"] is None and shown["answer_end"] is None


def test_app_binds_to_loopback_by_default(app):
    addresses = _listening(app.pid)
    assert addresses and all(a in ("127.0.0.1", "::1") for a in addresses), addresses


@pytest.mark.slow
def test_served_page_and_config_hold_no_personal_data(app, values):
    for path in ("/", "/config", "/gradio_api/info"):
        status, body, _ = http("GET", app.url + path)
        if path == "/":
            assert status == 200 and b"<html" in body.lower()
        assert leaks(body.decode("utf-8", "replace"), values) == [], path


# -- pickle ------------------------------------------------------------------------------

PICKLE_USE = re.compile(
    r"\bimport\s+(?:c?pickle|dill|cloudpickle|joblib)\b|\bfrom\s+(?:c?pickle|dill|joblib)\b"
    r"|\bpickle\.(?:loads?|Unpickler)\b|\btorch\.load\(|allow_pickle\s*=\s*True|\bjoblib\.load\("
)


def test_no_pickle_in_the_code():
    sources = [*sorted((ROOT / "qa").rglob("*.py")), ROOT / "app.py"]
    offenders = [
        f"{p.name}:{n}: {line.strip()}"
        for p in sources
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if PICKLE_USE.search(line)
        or ("np.load(" in line and "allow_pickle=False" not in line)
        or (re.search(r"\.load\(", line) and "allow_pickle=True" in line)
    ]
    assert offenders == []


@pytest.mark.slow
def test_index_files_hold_no_pickles(ws):
    for path in ws.index.rglob("*"):
        if not path.is_file():
            continue
        head = path.read_bytes()[:2]
        assert not (head[:1] == b"\x80" and 2 <= head[1] <= 5), path  # a pickle's PROTO opcode
        if path.suffix == ".npy":
            assert np.load(path, allow_pickle=False).dtype != object
        if path.suffix == ".json":
            json.loads(path.read_text(encoding="utf-8"))


class _RefusingUnpickler(pickle.Unpickler):
    def load(self):
        raise AssertionError("something tried to unpickle")


@pytest.mark.slow
def test_model_and_index_load_with_pickle_disabled(ws, monkeypatch):
    """With every unpickling entry point booby-trapped, the engine still loads and answers."""
    import torch

    from qa.answer.engine import QAEngine
    from qa.config import Settings

    def refuse(*args, **kwargs):
        raise AssertionError("something tried to unpickle")

    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(pickle, "loads", refuse)
    monkeypatch.setattr(pickle, "Unpickler", _RefusingUnpickler)
    monkeypatch.setattr(torch, "load", refuse)
    engine = QAEngine.load(Settings(corpus_dir=ws.corpus, index_dir=ws.index), backend="torch")
    assert engine.ask("Does Russia support Iran?").passages


# -- the feedback database -----------------------------------------------------------------

WRITER = """
import sys
from pathlib import Path
from qa.web.feedback import FeedbackStore, Turn

store = FeedbackStore(Path(sys.argv[1]))
tag, n = sys.argv[2], int(sys.argv[3])
for i in range(n):
    turn = Turn(f"{tag}-{i}", "Does Russia support Iran?", [], "Not militarily.", [1, 2], False)
    store.record_vote(turn, 1)
    print(i, flush=True)
"""


def _writer(data: Path, tag: str, n: int) -> subprocess.Popen:
    # six processes writing as fast as they can on a loaded machine: allow each write the
    # long wait, so the test counts lost votes, not the page's short busy timeout (2 s)
    env = dict(os.environ, QA_FEEDBACK_BUSY_TIMEOUT="10")
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, str(data), tag, str(n)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )


def test_feedback_concurrent_writers_all_land_in_wal_mode(tmp_path):
    from qa.web.feedback import FILENAME, FeedbackStore

    writers = [_writer(tmp_path, f"w{i}", 40) for i in range(6)]
    assert all(w.wait(timeout=300) == 0 for w in writers)
    rows = FeedbackStore(tmp_path).rows()
    assert len(rows) == 240 and len({r["turn_id"] for r in rows}) == 240
    with sqlite3.connect(tmp_path / FILENAME) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_feedback_survives_a_kill_mid_write(tmp_path):
    from qa.web.feedback import FILENAME, FeedbackStore

    writer = _writer(tmp_path, "killed", 1_000_000)
    for line in writer.stdout:  # let some writes commit, then kill in the middle of the loop
        if int(line) >= 200:
            break
    writer.send_signal(signal.SIGKILL)
    writer.wait(timeout=30)
    acknowledged = 1 + max(int(n) for n in [line, *writer.stdout.read().split()])
    writer.stdout.close()

    store = FeedbackStore(tmp_path)
    rows = store.rows()
    assert acknowledged <= len(rows) <= acknowledged + 1  # + the write the kill interrupted
    with sqlite3.connect(tmp_path / FILENAME) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    survivor = _writer(tmp_path, "after", 5)
    assert survivor.wait(timeout=60) == 0
    survivor.stdout.close()
    assert len(store.rows()) == len(rows) + 5
