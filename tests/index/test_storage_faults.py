"""Storage faults of `qa build`: a disk that fills, an index folder that cannot be written.

Real file systems where the machine allows it: a small tmpfs (the disk that fills) and a
read-only tmpfs, mounted for the test (root only; elsewhere skipped, and under CI a failure).
The disk that fills *during* the write is also made real: the free-space check before the
write is switched off, so the kernel itself answers ENOSPC half-way through the files.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from helpers_server import clone, run_qa, workspace

from qa.config import Settings
from qa.index import store
from qa.index.build import build_index
from qa.index.storage import StorageError, device_of

NEW_DOC = "# Tea\n\nThe first flush of Darjeeling tea is picked in March by the gardens.\n"


@contextlib.contextmanager
def tmpfs(path: Path, options: str):
    """A tmpfs mounted at `path` for the duration (skip, or fail under CI, if not allowed)."""
    path.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], capture_output=True, text=True
    )
    if done.returncode != 0:
        message = f"cannot mount a tmpfs here ({done.stderr.strip()})"
        pytest.fail(message) if os.environ.get("CI") else pytest.skip(message)
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    return workspace(tmp_path_factory.mktemp("storage-base"))


def fill(folder: Path, leave: int) -> None:
    """Take all but `leave` bytes of the file system under `folder`."""
    free = shutil.disk_usage(folder).free
    with open(folder / "filler", "wb") as f:
        f.write(b"\0" * max(free - leave, 0))


def beside(index: Path) -> list[str]:
    return sorted(p.name for p in index.parent.iterdir() if p.name.startswith(".index-"))


@pytest.mark.slow
def test_full_disk_stops_the_build_in_one_line_and_the_old_index_serves(base, tmp_path):
    ws = clone(base, tmp_path / "ws")
    with tmpfs(tmp_path / "disk", "size=4m") as disk:
        shutil.copytree(ws.index, disk / "index")
        before = (disk / "index" / "manifest.json").read_text()
        fill(disk, leave=300 * 1024)
        (ws.corpus / "tea.md").write_text(NEW_DOC, encoding="utf-8")
        env = ws.env(QA_INDEX=str(disk / "index"))

        built = run_qa(["build"], env, timeout=600)
        assert built.returncode == 1
        [line] = built.stderr.strip().splitlines()
        assert line.startswith("qa: build failed, previous index left as it was: no space left")
        assert f"(mounted at {disk})" in line and "the index needs " in line and "free" in line
        assert "Traceback" not in built.stderr

        assert (
            beside(disk / "index") == []
            and (disk / "index" / "manifest.json").read_text() == before
        )
        asked = run_qa(["ask", "--json", "Will Russia defend Iran militarily?"], env)
        assert asked.returncode == 0 and '"answer"' in asked.stdout  # the previous index answers


@pytest.mark.slow
def test_disk_filling_during_the_write_removes_the_partial_index(
    base, tmp_path, embedder, monkeypatch
):
    ws = clone(base, tmp_path / "ws")
    with tmpfs(tmp_path / "disk", "size=4m") as disk:
        shutil.copytree(ws.index, disk / "index")
        before = (disk / "index" / "manifest.json").read_text()
        fill(disk, leave=300 * 1024)  # room for some files of the new index, not all
        (ws.corpus / "tea.md").write_text(NEW_DOC, encoding="utf-8")
        monkeypatch.setattr(store, "check_space", lambda folder, needed: None)  # no early check
        settings = Settings(corpus_dir=ws.corpus, index_dir=disk / "index")

        with pytest.raises(StorageError, match=r"no space left on tmpfs .* the index needs"):
            build_index(settings, embedder=embedder)
        assert beside(disk / "index") == []  # the partial output is gone
        assert (disk / "index" / "manifest.json").read_text() == before
        assert store.load_index(disk / "index").chunks  # whole and verified


def test_full_disk_is_found_before_any_file_is_written(base, tmp_path, embedder, monkeypatch):
    ws = clone(base, tmp_path / "ws")
    with tmpfs(tmp_path / "disk", "size=2m") as disk:
        fill(disk, leave=100 * 1024)
        monkeypatch.setattr(store, "_write_files", lambda *a: pytest.fail("wrote on a full disk"))
        settings = Settings(corpus_dir=ws.corpus, index_dir=disk / "index")
        with pytest.raises(StorageError, match=r"needs 9\d\d\.\d KiB, 100\.0 KiB free"):
            build_index(settings, embedder=embedder)
        assert beside(disk / "index") == []


def test_read_only_index_folder_is_said_before_the_model_is_used(base, tmp_path):
    ws = clone(base, tmp_path / "ws")
    with tmpfs(tmp_path / "ro", "ro,size=1m") as ro:

        class NoEmbedding:
            def __getattr__(self, name):
                pytest.fail("the build embedded before finding the folder read-only")

        settings = Settings(corpus_dir=ws.corpus, index_dir=ro / "index")
        with pytest.raises(StorageError) as caught:
            build_index(settings, embedder=NoEmbedding())
        assert str(caught.value) == f"cannot write the index in {ro}: read-only file system"


def test_read_only_index_folder_is_one_line_from_the_cli(base, tmp_path):
    ws = clone(base, tmp_path / "ws")
    with tmpfs(tmp_path / "ro", "ro,size=1m") as ro:
        built = run_qa(["build"], ws.env(QA_INDEX=str(ro / "index")), timeout=120)
        assert built.returncode == 1
        assert built.stderr == (
            "qa: build failed, previous index left as it was: "
            f"cannot write the index in {ro}: read-only file system\n"
        )


def test_device_is_named_by_its_mount(tmp_path):
    with tmpfs(tmp_path / "dev", "size=1m") as mounted:
        assert device_of(mounted / "index") == f"tmpfs (mounted at {mounted})"
    assert device_of(Path("/")).endswith("(mounted at /)")
