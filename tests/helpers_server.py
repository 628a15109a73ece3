"""Test helpers: an offline environment, a private corpus + index, and the app as a subprocess.

Tests never touch the committed `corpus/` and `index/`: they copy the corpus into a temporary
directory, build an index there with the current code (so it is never stale), and point
QA_CORPUS / QA_INDEX / QA_DATA_DIR at the copies.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The JSON contract of `qa ask --json`, the API and the page: its keys and each passage's
CONTRACT_KEYS = frozenset(
    ("question", "abstained", "answer", "passages", "confidence", "unsure", "withheld", "closest")
)
PASSAGE_KEYS = frozenset(
    (
        "id",
        "text",
        "doc",
        "section",
        "anchor",
        "score",
        "start",
        "end",
        "answer_start",
        "answer_end",
    )
)
CORPUS = ROOT / "corpus"
APP = ROOT / "app.py"
OFFLINE = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "PYTHONUNBUFFERED": "1",
}


@dataclass(frozen=True)
class Workspace:
    """A private corpus, index and data directory under one temporary folder."""

    root: Path
    corpus: Path = field(init=False)
    index: Path = field(init=False)
    data: Path = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "corpus", self.root / "corpus")
        object.__setattr__(self, "index", self.root / "index")
        object.__setattr__(self, "data", self.root / "data")

    def env(self, **extra: str) -> dict[str, str]:
        """The environment for a `qa` or app subprocess using this workspace."""
        env = dict(os.environ, **OFFLINE)
        env.update(QA_CORPUS=str(self.corpus), QA_INDEX=str(self.index), QA_DATA_DIR=str(self.data))
        env.update(extra)
        return env


def workspace(root: Path, build: bool = True) -> Workspace:
    """A copy of the committed corpus under `root`, with a freshly built index if `build`."""
    ws = Workspace(root)
    shutil.copytree(CORPUS, ws.corpus)
    ws.data.mkdir(parents=True, exist_ok=True)
    if build:
        proc = run_qa(["build"], ws.env(), timeout=600)
        assert proc.returncode == 0, proc.stderr
    return ws


def clone(ws: Workspace, root: Path) -> Workspace:
    """A copy of `ws` (corpus and built index) under `root`."""
    new = Workspace(root)
    shutil.copytree(ws.corpus, new.corpus)
    shutil.copytree(ws.index, new.index)
    new.data.mkdir(parents=True, exist_ok=True)
    return new


def run_qa(
    args: list[str | bytes], env: dict[str, str], timeout: float = 300
) -> subprocess.CompletedProcess:
    """`python -m qa ARGS` with a time bound (`subprocess.TimeoutExpired` means it hung)."""
    return subprocess.run(
        [sys.executable, "-m", "qa", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        timeout=timeout,
    )


def free_port() -> int:
    """A TCP port that was free on 127.0.0.1 a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(
    method: str, url: str, body: bytes | None = None, timeout: float = 60, headers=None
) -> tuple[int, bytes, dict]:
    """(status, body, headers) of one HTTP request; HTTP errors are returned, not raised."""
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, resp.read(), dict(resp.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), dict(exc.headers)


def post_json(url: str, payload, timeout: float = 60) -> tuple[int, object]:
    """POST `payload` as JSON; (status, decoded JSON body or raw text)."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    status, raw, _ = http("POST", url, body, timeout, headers={"Content-Type": "application/json"})
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw.decode("utf-8", "replace")


class AppServer:
    """`python app.py --port P` in its own process group; `stop()` kills the whole group."""

    def __init__(self, env: dict[str, str], args: list[str] = (), port: int | None = None):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = env
        self.args = list(args)
        self.proc: subprocess.Popen | None = None
        self.log_path: Path | None = None

    def start(self, log_dir: Path, timeout: float = 240) -> AppServer:
        """Launch and wait until the page answers and the engine has loaded."""
        self.log_path = log_dir / f"app-{self.port}.log"
        log = open(self.log_path, "wb")  # noqa: SIM115 - kept open for the child's lifetime
        self.proc = subprocess.Popen(
            [sys.executable, str(APP), "--port", str(self.port), *self.args],
            env=self.env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self._wait_ready(timeout)
        return self

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"app exited with {self.proc.returncode}:\n{self.log()}")
            with contextlib.suppress(OSError):
                status, _ = post_json(f"{self.url}/api/ask", {"question": "Russia"}, timeout=30)
                if status == 200:
                    return
                _, health, _ = http("GET", f"{self.url}/api/health", timeout=30)
                if b'"state":"failed"' in health.replace(b" ", b""):
                    break  # the engine could not load: no point waiting
            time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"app not ready:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:] if self.log_path else ""

    @property
    def pid(self) -> int:
        return self.proc.pid

    def stop(self) -> None:
        """Kill the app's process group and reap it."""
        if self.proc is None or self.proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=15)

    def __enter__(self) -> AppServer:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
