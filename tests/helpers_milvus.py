"""Test helpers: a `milvus-lite server` on a free 127.0.0.1 port, started and stopped by the
test (the same client path as a Milvus cluster), and the shipped index built into a store."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest
from helpers_server import free_port

from qa.config import Settings

LITE = Path(sys.executable).with_name("milvus-lite")


class LiteServer:
    """`milvus-lite server` on 127.0.0.1; `stop` and `start` again keep its port and data."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def uri(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, wait: float = 60.0) -> LiteServer:
        cmd = [str(LITE), "server", "--data-dir", str(self.data_dir), "--host", "127.0.0.1"]
        self.proc = subprocess.Popen(
            [*cmd, "--port", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"milvus-lite server exited with {self.proc.returncode}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"milvus-lite server did not listen on {self.port} in {wait}s")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


def store_settings(uri: str | None) -> Settings:
    """The committed corpus with the index in `uri` (None: the committed index files)."""
    return replace(Settings.from_env(), store=uri)


def build_into(uri: str) -> Settings:
    """Build the committed corpus into the store at `uri`; the vectors come from the committed
    index (same corpus, same model), so nothing is embedded again."""
    from qa.index.build import build_index

    settings = store_settings(uri)
    build_index(settings)
    return settings


class StoreFarm:
    """Stores holding the committed corpus, built once each, under one folder."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.server: LiteServer | None = None
        self.uris: dict[str, str | None] = {}

    def uri(self, name: str) -> str | None:
        """The URI of store `name` ("faiss": None); skips the test for "milvus-cluster"
        unless $MILVUS_URI names one."""
        if name not in self.uris:
            self.uris[name] = self._make(name)
        return self.uris[name]

    def _make(self, name: str) -> str | None:
        if name == "faiss":
            return None
        if name == "milvus-lite":
            uri = str(self.root / "lite.db")
        elif name == "milvus-server":
            self.server = LiteServer(self.root / "server").start()
            uri = self.server.uri
        else:
            uri = os.environ.get("MILVUS_URI")
            if not uri:
                pytest.skip("MILVUS_URI is not set: no real Milvus cluster to test against")
        build_into(uri)
        return uri

    def close(self) -> None:
        if self.server is not None:
            self.server.stop()
