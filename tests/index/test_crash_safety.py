"""Crash safety of `qa build`, and detection of damaged index files.

`qa build` is killed with SIGKILL at several points of a rebuild; each time the previous
index must still load and answer, and the next build must leave no temporary files behind.
A truncated, edited or missing index file is refused with a message naming it.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys

import pytest
from helpers_server import ROOT, clone, run_qa, workspace

NEW_DOC = """# Tea harvests in Darjeeling

The first flush of Darjeeling tea is picked in March by the gardens of the Himalayan
foothills. Growers in Darjeeling say the spring crop fetches the highest prices at auction.
"""
NEW_QUESTION = "When is the first flush of Darjeeling tea picked?"

# A child process that runs `qa build` and SIGKILLs itself at a chosen point of the rebuild.
KILLER = """
import os, signal, sys
import qa.index.build, qa.index.store as store
from qa.tools.cli import main

point = sys.argv[1]
die = lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL)

def after(fn):
    def wrapped(*a, **k):
        out = fn(*a, **k)
        die()
        return out
    return wrapped

if point == "embedding":  # models loaded, vectors computed, nothing written yet
    qa.index.build.LexicalRetriever.build = staticmethod(die)
elif point == "half-written":  # JSON files in the temporary directory, no vectors, no manifest
    store.faiss.write_index = die
elif point == "files-written":  # every data file written, manifest not yet
    store._write_files = after(store._write_files)
elif point == "before-swap":  # complete new index beside the old one
    store._swap_into_place = die
elif point == "after-swap":  # new index in place, the old one not yet deleted
    store._swap_into_place = after(store._swap_into_place)
elif point == "between-renames":  # no atomic exchange: old moved aside, new not yet in place
    store._exchange = lambda a, b: False
    real_rename, calls = os.rename, []
    def rename(a, b):
        calls.append(a)
        if len(calls) == 2:
            die()
        real_rename(a, b)
    store.os.rename = rename
sys.exit(main(["build"]))
"""
POINTS = [
    "embedding",
    "half-written",
    "files-written",
    "before-swap",
    "after-swap",
    "between-renames",
]


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    return workspace(tmp_path_factory.mktemp("crash-base"))


def leftovers(ws) -> list[str]:
    """Temporary or old index directories beside the index, and stray files inside it."""
    manifest = json.loads((ws.index / "manifest.json").read_text())
    expected = set(manifest["files"]) | {"manifest.json"}
    inside = {str(p.relative_to(ws.index)) for p in ws.index.rglob("*") if p.is_file()} - expected
    beside = [p.name for p in ws.root.iterdir() if p.name.startswith(".index-")]
    return sorted(inside) + beside


def ask(ws, embedder, question: str) -> dict:
    """The answer from the index now in `ws.index` (checksums verified, no freshness check)."""
    from qa.answer.engine import QAEngine
    from qa.index.store import load_index

    return QAEngine(load_index(ws.index), embedder).ask(question).to_json()


def rebuild(ws, embedder) -> None:
    from qa.config import Settings
    from qa.index.build import build_index

    build_index(Settings(corpus_dir=ws.corpus, index_dir=ws.index), embedder=embedder)


@pytest.mark.slow
@pytest.mark.parametrize("point", POINTS)
def test_killed_rebuild_keeps_an_index_that_answers(base, tmp_path, embedder, point):
    ws = clone(base, tmp_path / "ws")
    before = (ws.index / "manifest.json").read_text()
    (ws.corpus / "darjeeling-tea.md").write_text(NEW_DOC, encoding="utf-8")

    killed = subprocess.run(
        [sys.executable, "-c", KILLER, point],
        env=ws.env(),
        cwd=ROOT,
        capture_output=True,
        timeout=600,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr.decode(errors="replace")

    # The index in place is whole (checksums verified) and answers: the previous one, or
    # the new one when the kill came after the swap.
    after_swap = point == "after-swap"
    result = ask(ws, embedder, "Will Russia defend Iran militarily?")
    assert result["answer"] and result["passages"][0]["doc"] == "will-russia-support-iran.txt"
    assert ((ws.index / "manifest.json").read_text() == before) != after_swap
    docs = {p["doc"] for p in ask(ws, embedder, NEW_QUESTION)["passages"]}
    assert ("darjeeling-tea.md" in docs) == after_swap

    # The next build succeeds, leaves nothing behind, and serves the new document.
    rebuild(ws, embedder)
    assert leftovers(ws) == []
    assert ask(ws, embedder, NEW_QUESTION)["passages"][0]["doc"] == "darjeeling-tea.md"


# -- damaged index files -------------------------------------------------------------------


def _truncate(path):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _edit(path):
    data = bytearray(path.read_bytes())
    i = len(data) // 2
    data[i] = (data[i] + 1) % 256
    path.write_bytes(bytes(data))


DAMAGE = {"truncated": _truncate, "edited": _edit, "deleted": lambda p: p.unlink()}


def _index_files(base) -> list[str]:
    return sorted(json.loads((base.index / "manifest.json").read_text())["files"])


@pytest.mark.slow
@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_damaged_index_file_is_refused_by_name(base, tmp_path, damage):
    from qa.index.store import IndexUnavailable, load_index

    names = _index_files(base)
    assert {"chunks.faiss", "chunks.json", "sentences.npy", "documents.json"} <= set(names)
    for name in [*names, "manifest.json"]:
        ws = clone(base, tmp_path / f"{damage}-{name.replace('/', '_')}")
        DAMAGE[damage](ws.index / name)
        with pytest.raises(IndexUnavailable) as err:
            load_index(ws.index)
        assert name.split("/")[-1] in str(err.value), (name, str(err.value))
        shutil.rmtree(ws.root)


@pytest.mark.slow
def test_cli_refuses_a_truncated_index_in_one_line(base, tmp_path):
    ws = clone(base, tmp_path / "ws")
    _truncate(ws.index / "chunks.faiss")
    proc = run_qa(["ask", "--json", "--", "Does Russia support Iran?"], ws.env(), timeout=300)
    assert proc.returncode == 1 and proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "chunks.faiss" in lines[0] and "qa build" in lines[0], proc.stderr


@pytest.mark.slow
def test_service_keeps_serving_when_the_new_index_is_damaged(base, tmp_path):
    """A damaged index appearing under a running service is refused; the old one answers."""
    from qa.config import Settings
    from qa.web.service import QAService

    ws = clone(base, tmp_path / "ws")
    service = QAService(Settings(corpus_dir=ws.corpus, index_dir=ws.index)).start()
    assert service.wait_ready(300) and service.status()["state"] == "ready"
    _edit(ws.index / "sentences.npy")
    manifest = ws.index / "manifest.json"
    manifest.write_text(manifest.read_text())  # a new manifest signature, as after a build
    assert service.reload() is False
    assert service.status()["state"] == "ready"
    result = service.ask("Does Russia support Iran?")
    assert result.passages and result.passages[0].doc == "will-russia-support-iran.txt"
