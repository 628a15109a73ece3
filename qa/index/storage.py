"""Storage faults of a build, said in one line: a folder that cannot be written, a full disk.

`qa build` probes the index folder before it embeds anything (`check_writable`), and before
it writes checks that the index fits (`check_space`); a disk that fills during the write
anyway (`ENOSPC`, `EDQUOT`) becomes the same one-line `StorageError`, naming the device, the
space needed and the space free.
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from pathlib import Path

FULL = (errno.ENOSPC, errno.EDQUOT)
MOUNTINFO = Path("/proc/self/mountinfo")


class StorageError(RuntimeError):
    """The index cannot be written where it should go; the message says where and why."""


def check_writable(folder: Path, prefix: str, what: str = "the index") -> None:
    """Create and remove a probe directory in `folder` (made if missing), or `StorageError`
    saying `what` cannot be written there.

    A real probe rather than `os.access`: root may write through permissions, not through a
    read-only mount, and only trying tells.
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
        os.rmdir(tempfile.mkdtemp(prefix=f"{prefix}probe-", dir=folder))
    except OSError as exc:
        if exc.errno in FULL:
            raise no_space(folder, needed=None, what=what) from None
        reason = exc.strerror or type(exc).__name__
        raise StorageError(f"cannot write {what} in {folder}: {reason.lower()}") from None


def check_space(folder: Path, needed: int) -> None:
    """`StorageError` when the file system of `folder` has less than `needed` bytes free."""
    if shutil.disk_usage(folder).free < needed:
        raise no_space(folder, needed)


def no_space(folder: Path, needed: int | None, what: str = "the index") -> StorageError:
    """The one-line error for a full file system under `folder`."""
    free = shutil.disk_usage(folder).free
    wanted = f"{what} needs {_size(needed)}, " if needed is not None else ""
    return StorageError(
        f"no space left on {device_of(folder)} for {what} in {folder}: "
        f"{wanted}{_size(free)} free"
    )


def device_of(path: Path) -> str:
    """`source (mounted at /point)` of the file system holding `path`, from mountinfo."""
    real = os.path.realpath(path)
    best = ("", "")
    try:
        lines = MOUNTINFO.read_text(encoding="utf-8").splitlines()
    except OSError:
        lines = []
    for line in lines:
        fields = line.split()
        if " - " not in line or len(fields) < 5:
            continue
        point = fields[4].replace("\\040", " ")
        source = line.split(" - ", 1)[1].split()[1:2]
        inside = real == point or real.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= len(best[0]):
            best = (point, source[0] if source else "?")
    if not best[0]:
        return "the disk"
    return f"{best[1]} (mounted at {best[0]})"


def _size(count: int) -> str:
    if count < 1024 * 1024:
        return f"{count / 1024:.1f} KiB"
    return f"{count / (1024 * 1024):.1f} MiB"
