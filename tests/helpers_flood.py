"""A bounded local flood: `python tests/helpers_flood.py URL SOURCE SECONDS [THREADS]`.

Sends `GET URL` as fast as it can from the local address SOURCE (e.g. 127.0.0.2) on THREADS
keep-alive connections for SECONDS, then prints one JSON line: {"sent", "status": {code: n},
"seconds"}. Only loopback URLs are accepted; it stops by itself.
"""

from __future__ import annotations

import collections
import http.client
import json
import sys
import threading
import time
from urllib.parse import urlsplit


def flood(url: str, source: str, seconds: float, threads: int = 4) -> dict:
    """Status counts of as many `GET url` from `source` as fit in `seconds`."""
    parts = urlsplit(url)
    if parts.hostname not in ("127.0.0.1", "::1", "localhost"):
        raise ValueError(f"floods target loopback only, not {parts.hostname}")
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    counts: collections.Counter = collections.Counter()
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def worker() -> None:
        conn, mine = None, collections.Counter()
        while time.monotonic() < stop:
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(
                        parts.hostname, parts.port, timeout=30, source_address=(source, 0)
                    )
                conn.request("GET", target)
                resp = conn.getresponse()
                resp.read()
                mine[resp.status] += 1
                if resp.will_close:
                    conn.close()
                    conn = None
            except OSError as exc:
                mine[type(exc).__name__] += 1
                conn = None
        with lock:
            counts.update(mine)

    started = time.monotonic()
    workers = [threading.Thread(target=worker) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(seconds + 60)
    status = {str(k): v for k, v in sorted(counts.items(), key=str)}
    return {"sent": sum(counts.values()), "status": status, "seconds": time.monotonic() - started}


if __name__ == "__main__":
    url, source, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
    threads = int(sys.argv[4]) if len(sys.argv) > 4 else 4
    print(json.dumps(flood(url, source, seconds, threads)))
