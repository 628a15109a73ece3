"""One uvicorn server: the JSON route (`/api/ask`) with the Gradio page mounted beside it at `/`.

Binds 127.0.0.1:7860 unless told otherwise (`--host/--port` or `QA_HOST/QA_PORT`). The model
loads in the background, so the page accepts connections at once.
"""

from __future__ import annotations

import argparse
import ipaddress
import logging
import os
import sys
from dataclasses import dataclass

for _key, _value in (
    ("GRADIO_ANALYTICS_ENABLED", "False"),
    ("HF_HUB_OFFLINE", "1"),
    ("TRANSFORMERS_OFFLINE", "1"),
    ("HF_HUB_DISABLE_TELEMETRY", "1"),
):
    os.environ.setdefault(_key, _value)

from qa.config import Settings  # noqa: E402
from qa.web.feedback import FeedbackStore  # noqa: E402
from qa.web.service import QAService, ServiceLimits, default_loader  # noqa: E402

log = logging.getLogger("qa.server")
GRACEFUL_SHUTDOWN = 3  # seconds to let requests finish on Ctrl-C/SIGTERM; open streams are cut


@dataclass(frozen=True)
class ServerOptions:
    """Where to listen and how much work to accept at once."""

    host: str = "127.0.0.1"
    port: int = 7860
    concurrency: int = 2
    max_queue: int = 16
    load_wait: float = 30.0
    model: str | None = None
    backend: str | None = None
    reranker: str | None = None
    store: str | None = None


def parse_options(argv: list[str] | None = None) -> ServerOptions:
    """Options from the command line, then the QA_* environment, then the defaults."""
    env = os.environ
    p = argparse.ArgumentParser(prog="app.py", description="Serve the Article QA page and API.")
    p.add_argument("--host", default=env.get("QA_HOST", "127.0.0.1"), help="default 127.0.0.1")
    p.add_argument("--port", type=int, default=int(env.get("QA_PORT", "7860")))
    p.add_argument("--concurrency", type=int, default=int(env.get("QA_CONCURRENCY", "2")))
    p.add_argument("--max-queue", type=int, default=int(env.get("QA_MAX_QUEUE", "16")))
    p.add_argument("--load-wait", type=float, default=float(env.get("QA_LOAD_WAIT", "30")))
    p.add_argument(
        "--model",
        metavar="NAME_OR_PATH",
        default=env.get("QA_MODEL") or None,
        help="sentence-transformers model (default: the one that built the index; $QA_MODEL)",
    )
    p.add_argument(
        "--backend",
        choices=("onnx", "torch"),
        default=env.get("QA_BACKEND") or None,
        help="query embedder ($QA_BACKEND; default onnx when its export is cached, else torch)",
    )
    p.add_argument(
        "--reranker",
        metavar="NAME_OR_PATH",
        default=env.get("QA_RERANKER") or None,
        help="optional CrossEncoder that reranks passages ($QA_RERANKER)",
    )
    p.add_argument(
        "--store",
        metavar="URI",
        default=env.get("QA_STORE") or None,
        help="where the index lives ($QA_STORE; default the index directory; docs/scale-out.md)",
    )
    a = p.parse_args(argv)
    if not 0 <= a.port <= 65535 or a.concurrency < 1 or a.max_queue < 1:
        p.error("port must be 0..65535; concurrency and max-queue at least 1")
    return ServerOptions(
        a.host,
        a.port,
        a.concurrency,
        a.max_queue,
        a.load_wait,
        a.model,
        a.backend,
        a.reranker,
        a.store,
    )


def create_app(service: QAService, store: FeedbackStore | None, options: ServerOptions):
    """The FastAPI app: JSON routes first, then the Gradio page mounted at `/`."""
    import gradio as gr

    from qa.web.json_api import build_api
    from qa.web.page import build_page, page_assets

    api = build_api(service)
    demo = build_page(service, store)
    demo.queue(default_concurrency_limit=options.concurrency, max_size=options.max_queue)
    return gr.mount_gradio_app(
        api,
        demo,
        path="/",
        server_name=options.host,
        server_port=options.port,
        footer_links=["api"],
        run_history=False,
        ssr_mode=False,
        pwa=False,
        mcp_server=False,
        **page_assets(),
    )


def is_loopback(host: str) -> bool:
    """True for localhost and loopback addresses."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def port_taken(host: str, port: int) -> str | None:
    """One line saying the port cannot be served on, and how to choose another; None if free."""
    import errno
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                return f"app.py: cannot serve on {host}:{port}: {exc.strerror or exc}"
            return (
                f"app.py: port {port} on {host} is already in use (another Article QA?): stop "
                f"that server, or choose another port: make run PORT={port + 1}"
            )
    return None


def serve(argv: list[str] | None = None) -> int:
    """Load in the background, build the app and serve until interrupted."""
    import uvicorn

    options = parse_options(argv)
    taken = port_taken(options.host, options.port)
    if taken:
        print(taken, file=sys.stderr, flush=True)
        return 1
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    # faiss logs each CPU build it tries ("Could not load library with AVX512 support due to:
    # ModuleNotFoundError…") at INFO: harmless, and alarming in a newcomer's first log
    logging.getLogger("faiss.loader").setLevel(logging.WARNING)
    if not is_loopback(options.host):
        log.warning("serving on %s: reachable from other machines", options.host)
    settings = Settings.from_env(model=options.model, store=options.store)
    limits = ServiceLimits(load_wait=options.load_wait, concurrency=options.concurrency + 2)
    loader = default_loader(settings, options.backend, options.reranker)
    service = QAService(settings, loader=loader, limits=limits).start()
    app = create_app(service, FeedbackStore(settings.data_dir), options)
    print(f"Article QA on http://{options.host}:{options.port}/", file=sys.stderr, flush=True)
    uvicorn.run(
        app,
        host=options.host,
        port=options.port,
        log_level="info",
        access_log=False,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN,
    )
    return 0
