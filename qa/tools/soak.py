"""`qa bench --parts soak`: hours of mixed traffic against the running app, judged per window.

Several clients (threads) each loop over a visit: load the page, then a few turns of a JSON
ask, a Gradio ask (`gradio_client`, endpoint `/ask`), a chat ask on the page and a vote on its
answer (see `qa.tools.soak_traffic`). After a warm-up, the time is cut into windows; each gets
its requests, failures, p50/p99 and the app's peak resident memory (VmRSS from /proc). Verdict:
no failure, the last window's RSS within `rss_band` of the first's and its p99 within
`p99_band` times the first's. Traffic goes to 127.0.0.1 only and stops by itself.

Only the standard library is imported at module level: `qa --help` builds this parser.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from qa.tools.gradio_calls import gradio_ask
from qa.tools.soak_traffic import (
    QUESTIONS,
    TURNS_PER_VISIT,
    Loopback,
    Outcome,
    PageEvents,
    Visitor,
    json_ask,
    page_load,
    timed,
)
from qa.tools.user_error import UserError

REQUEST_TIMEOUT = 120.0  # seconds: a request slower than this counts as failed (hung)
START_TIMEOUT = 240.0  # seconds for the app to load its model
RSS_EVERY = 1.0  # seconds between memory samples
LOOPBACK = ("127.0.0.1", "localhost", "::1")


@dataclass(frozen=True)
class SoakPlan:
    """How long, how many clients, and the bands the verdict allows."""

    minutes: float = 60.0
    window_minutes: float = 5.0
    clients: int = 4
    rss_band: float = 0.10  # last window's peak RSS at most +10 % over the first window's
    p99_band: float = 2.0  # last window's p99 at most 2x the first window's

    @property
    def warmup(self) -> float:
        """Seconds of traffic before the first window (caches fill, imports finish)."""
        return min(30.0, self.window_minutes * 30)


@dataclass(frozen=True)
class Window:
    """One window's figures."""

    start_s: float
    requests: int
    failures: int
    p50_ms: float
    p99_ms: float
    rss_mb: float
    by_kind: dict[str, int]


@dataclass
class SoakReport:
    """The whole run: windows, failures named, and the verdict."""

    plan: SoakPlan
    url: str
    pid: int
    warmup_requests: int = 0
    windows: list[Window] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    checks: dict[str, dict] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return all(c["met"] for c in self.checks.values())


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The soak's options of `qa bench`."""
    d = SoakPlan()
    p.add_argument("--minutes", type=float, default=d.minutes, help="soak length (60)")
    p.add_argument("--window", type=float, default=d.window_minutes, help="window minutes (5)")
    p.add_argument("--clients", type=int, default=d.clients, help="soak client threads (4)")
    p.add_argument(
        "--url", help="soak the app running at this 127.0.0.1 address (default: start one)"
    )
    p.add_argument("--pid", type=int, help="with --url: the app's process id (default: found)")


def main(args) -> int:
    """Run the soak; print the report; 0 when the verdict holds, 1 when it does not."""
    plan = SoakPlan(args.minutes, args.window, args.clients)
    if plan.minutes <= 0 or plan.window_minutes <= 0 or plan.clients < 1:
        raise UserError("--minutes and --window must be positive, --clients at least 1", 2)
    if args.url:
        url = _loopback_url(args.url)
        report = run_soak(url, args.pid or listener_pid(url), plan)
    else:
        with started_app() as (url, pid):
            report = run_soak(url, pid, plan)
    print(json.dumps(as_json(report)) if args.json else render(report))
    return 0 if report.passed else 1


def run_soak(url: str, pid: int, plan: SoakPlan) -> SoakReport:
    """Drive the app at `url` for `plan.minutes` (after the warm-up) and judge it."""
    events = PageEvents.read(Loopback(url, REQUEST_TIMEOUT))
    outcomes: list[Outcome] = []
    samples: list[tuple[float, float]] = []
    lock, stop = threading.Lock(), threading.Event()

    def record(outcome: Outcome) -> None:
        with lock:
            outcomes.append(outcome)

    began = time.monotonic()
    threads = [
        threading.Thread(target=_client, args=(n, url, events, stop, record), daemon=True)
        for n in range(plan.clients)
    ]
    threads.append(threading.Thread(target=_sample_rss, args=(pid, stop, samples), daemon=True))
    for t in threads:
        t.start()
    stop.wait(plan.warmup + plan.minutes * 60)
    stop.set()
    for t in threads:
        t.join(REQUEST_TIMEOUT * 4)  # a client finishes its request in hand, bounded
    return judge(url, pid, plan, began + plan.warmup, outcomes, samples)


def _client(n: int, url: str, events: PageEvents, stop: threading.Event, record) -> None:
    """One client: visits until told to stop (see the module's docstring)."""
    from gradio_client import Client

    http = Loopback(url, REQUEST_TIMEOUT)
    gradio = Client(url, verbose=False, analytics_enabled=False)
    asked = 0
    try:
        while not stop.is_set():
            record(timed("page", page_load, http))
            visitor = Visitor(http, events)
            for _ in range(TURNS_PER_VISIT):
                question, history = QUESTIONS[(n + asked) % len(QUESTIONS)]
                asked += 1
                record(timed("json", json_ask, http, n * 10**6 + asked))
                record(timed("gradio", gradio_ask, gradio, question, history, 5, REQUEST_TIMEOUT))
                chat = timed("chat", visitor.ask, question)
                record(chat)
                if chat.error is None:
                    record(timed("vote", visitor.vote, asked % 2 == 0))
                if stop.is_set():
                    return
    finally:
        gradio.close()


def _sample_rss(pid: int, stop: threading.Event, samples: list) -> None:
    while not stop.is_set():
        mb = rss_mb(pid)
        if mb is not None:
            samples.append((time.monotonic(), mb))
        stop.wait(RSS_EVERY)


def rss_mb(pid: int) -> float | None:
    """VmRSS of process `pid` in MiB, None if it is gone."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def judge(url, pid, plan: SoakPlan, start: float, outcomes, samples) -> SoakReport:
    """Windows from `start` on; failures anywhere (warm-up included) count."""
    report = SoakReport(plan, url, pid)
    report.failures = [f"{o.kind}: {o.error}" for o in outcomes if o.error]
    report.warmup_requests = sum(o.ended < start for o in outcomes)
    width = plan.window_minutes * 60
    count = max(1, round(plan.minutes * 60 / width))
    for i in range(count):
        low, high = start + i * width, start + (i + 1) * width
        last = i == count - 1  # the last window takes the requests in hand at the stop
        inside = [o for o in outcomes if low <= o.ended and (last or o.ended < high)]
        rss = [mb for t, mb in samples if low <= t and (last or t < high)]
        report.windows.append(_window(i * width, inside, rss))
    report.checks = _checks(report)
    return report


def _window(start_s: float, outcomes: list[Outcome], rss: list[float]) -> Window:
    times = [o.seconds * 1000 for o in outcomes if not o.error]
    kinds: dict[str, int] = {}
    for o in outcomes:
        kinds[o.kind] = kinds.get(o.kind, 0) + 1
    return Window(
        start_s=round(start_s, 1),
        requests=len(outcomes),
        failures=sum(bool(o.error) for o in outcomes),
        p50_ms=percentile(times, 50),
        p99_ms=percentile(times, 99),
        rss_mb=round(max(rss, default=0.0), 1),
        by_kind=kinds,
    )


def _checks(report: SoakReport) -> dict[str, dict]:
    first, last = report.windows[0], report.windows[-1]
    p = report.plan
    rss_limit = round(first.rss_mb * (1 + p.rss_band), 1)
    p99_limit = round(first.p99_ms * p.p99_band, 1)
    return {
        "failures == 0": {"value": len(report.failures), "met": not report.failures},
        "requests in every window": {
            "value": min(w.requests for w in report.windows),
            "met": all(w.requests for w in report.windows),
        },
        f"last RSS <= first +{p.rss_band:.0%} ({rss_limit} MB)": {
            "value": last.rss_mb,
            "met": 0 < last.rss_mb <= rss_limit,
        },
        f"last p99 <= {p.p99_band:g}x first ({p99_limit} ms)": {
            "value": last.p99_ms,
            "met": 0 < last.p99_ms <= p99_limit,
        },
    }


def percentile(values: list[float], q: float) -> float:
    """The `q`-th percentile, linear between the closest ranks; 0 for no values."""
    import numpy as np

    return round(float(np.percentile(values, q)), 1) if values else 0.0


def as_json(report: SoakReport) -> dict:
    return {
        "soak": {
            "plan": asdict(report.plan),
            "url": report.url,
            "pid": report.pid,
            "warmup_requests": report.warmup_requests,
            "windows": [asdict(w) for w in report.windows],
            "failures": report.failures[:50],
            "failure_count": len(report.failures),
            "checks": report.checks,
            "passed": report.passed,
        }
    }


def render(report: SoakReport) -> str:
    """The report as a plain-text table and a verdict."""
    p = report.plan
    lines = [
        f"soak of {report.url} (pid {report.pid}): {p.minutes:g} min in {p.window_minutes:g}-min "
        f"windows, {p.clients} clients, after a {p.warmup:g} s warm-up "
        f"({report.warmup_requests} requests); load average {_load()}",
        "  window   requests  failed    p50 ms    p99 ms    RSS MB  (page/json/gradio/chat/vote)",
    ]
    for w in report.windows:
        mix = "/".join(str(w.by_kind.get(k, 0)) for k in ("page", "json", "gradio", "chat", "vote"))
        lines.append(
            f"  {w.start_s / 60:>5.1f}m {w.requests:>9} {w.failures:>7} {w.p50_ms:>9.1f} "
            f"{w.p99_ms:>9.1f} {w.rss_mb:>9.1f}  ({mix})"
        )
    for failure in report.failures[:10]:
        lines.append(f"  failed: {failure}")
    lines.append("verdict: " + ("PASS" if report.passed else "FAIL"))
    for name, c in report.checks.items():
        lines.append(f"  {name:<40} {c['value']:>10}  {'met' if c['met'] else 'NOT met'}")
    return "\n".join(lines)


def _load() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg()) + " (1/5/15 min)"


def _loopback_url(url: str) -> str:
    host = urlsplit(url).hostname
    if host not in LOOPBACK:
        raise UserError(f"the soak only targets this machine (127.0.0.1), not {host}", 2)
    return url.rstrip("/")


def listener_pid(url: str) -> int:
    """The process listening on the port of `url`."""
    import psutil

    port = urlsplit(url).port or 80
    for conn in psutil.net_connections(kind="tcp"):
        if conn.status == psutil.CONN_LISTEN and conn.laddr.port == port and conn.pid:
            return conn.pid
    raise UserError(f"no process found listening on port {port}: pass --pid", 2)


@contextmanager
def started_app() -> Iterator[tuple[str, int]]:
    """`app.py` on a free 127.0.0.1 port with a scratch data folder (the votes land there);
    (url, pid) once its model has loaded; stopped afterwards."""
    from qa.config import ROOT

    with tempfile.TemporaryDirectory(prefix="qa-soak-") as tmp:
        port = _free_port()
        env = dict(os.environ, QA_DATA_DIR=str(Path(tmp) / "data"))
        log = Path(tmp) / "app.log"
        with open(log, "wb") as out:
            proc = subprocess.Popen(
                [sys.executable, str(ROOT / "app.py"), "--port", str(port)],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_ready(proc, url, log)
            yield url, proc.pid
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _wait_ready(proc: subprocess.Popen, url: str, log: Path) -> None:
    http = Loopback(url, 5)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = log.read_text(errors="replace").strip().splitlines()[-1:]
            raise UserError(f"app.py exited with {proc.returncode}: {' '.join(tail)}", 1)
        try:
            status, body = http.request("GET", "/api/health")
            state = json.loads(body).get("state") if status == 200 else None
        except (OSError, ValueError):
            state = None
        if state == "ready":
            return
        if state == "failed":
            raise UserError(f"app.py could not load its index: {json.loads(body)['error']}", 1)
        time.sleep(0.5)
    raise UserError(f"app.py was not ready within {START_TIMEOUT:.0f} s", 1)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
