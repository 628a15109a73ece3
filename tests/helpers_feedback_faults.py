"""Storage faults for the feedback tests: a database locked by another process, and a folder
that is read-only for real (also for root)."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

LOCKER = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
sys.stdin.readline()
conn.execute("COMMIT")
"""


@contextlib.contextmanager
def locked_by_another_process(path: Path):
    """Another process holds the database's write lock (an open `BEGIN EXCLUSIVE`)."""
    proc = subprocess.Popen(
        [sys.executable, "-c", LOCKER, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout.readline().strip() == "locked"
        yield
    finally:
        proc.communicate("\n", timeout=30)
    assert proc.returncode == 0


@contextlib.contextmanager
def read_only(folder: Path):
    """`folder` made read-only for real: by mode bits for an ordinary user; for root, whom mode
    bits do not stop, by a read-only bind mount (EROFS, what a read-only volume gives)."""
    if os.geteuid() != 0:
        folder.chmod(0o555)
        try:
            yield
        finally:
            folder.chmod(0o755)
        return
    if not shutil.which("mount") or subprocess.run(["mount", "--bind", folder, folder]).returncode:
        reason = "running as root and cannot bind-mount: no way to make a folder read-only"
        pytest.fail(reason) if os.environ.get("CI") else pytest.skip(reason)
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", folder], check=True)
        yield
    finally:
        busy = subprocess.run(["umount", folder]).returncode
        if busy:
            subprocess.run(["umount", "--lazy", folder], check=True)
        assert not busy, "a file in the read-only folder was left open"
