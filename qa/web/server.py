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

from qa.web.memory import bound_gradio_event_log, limit_malloc_arenas  # noqa: E402

limit_malloc_arenas()  # before the model's and the server's threads exist
bound_gradio_event_log()  # before Gradio is imported

from qa.config import Settings  # noqa: E402
from qa.web.feedback import FeedbackStore  # noqa: E402
from qa.web.guard import RATE_MODES, GuardOptions, VoteEvents  # noqa: E402
from qa.web.rate_limit import Rate  # noqa: E402
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
    guard: GuardOptions = GuardOptions()


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
    _add_guard_options(p)
    a = p.parse_args(argv)
    if not 0 <= a.port <= 65535 or a.concurrency < 1 or a.max_queue < 1:
        p.error("port must be 0..65535; concurrency and max-queue at least 1")
    if a.max_body < 1 or a.max_page_body < 1:
        p.error("max-body and max-page-body must be at least 1 byte")
    if a.refusal_delay < 0:
        p.error("refusal-delay must be 0 or more seconds")
    if a.rate_limit not in RATE_MODES:  # argparse checks choices on the command line only
        p.error(f"rate-limit must be one of {', '.join(RATE_MODES)}, not {a.rate_limit!r}")
    guard = GuardOptions(
        a.max_body,
        a.max_page_body,
        a.rate_limit,
        a.rate_ask,
        a.rate_vote,
        a.rate_events,
        a.refusal_delay,
    )
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
        guard,
    )


def _add_guard_options(p: argparse.ArgumentParser) -> None:
    """The network face's options (`qa.web.guard`): body caps and per-address rate limits."""
    env, d = os.environ, GuardOptions()

    def rate(text: str) -> Rate:
        try:
            return Rate.parse(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    p.add_argument(
        "--max-body",
        type=int,
        metavar="BYTES",
        default=env.get("QA_MAX_BODY", str(d.max_api_body)),
        help=f"largest request body for /api/* ($QA_MAX_BODY; default {d.max_api_body})",
    )
    p.add_argument(
        "--max-page-body",
        type=int,
        metavar="BYTES",
        default=env.get("QA_MAX_PAGE_BODY", str(d.max_page_body)),
        help=f"largest request body for the page ($QA_MAX_PAGE_BODY; default {d.max_page_body})",
    )
    p.add_argument(
        "--rate-limit",
        choices=RATE_MODES,
        default=env.get("QA_RATE_LIMIT", d.rate_limit),
        help="per-address limits: auto = all but loopback, on, off ($QA_RATE_LIMIT; default auto)",
    )
    p.add_argument(
        "--refusal-delay",
        type=float,
        metavar="SECONDS",
        default=env.get("QA_REFUSAL_DELAY", str(d.refusal_delay)),
        help=f"hold each 429 this long ($QA_REFUSAL_DELAY; default {d.refusal_delay:g})",
    )
    for name, value, what in (
        ("ask", d.ask_rate, "/api/ask"),
        ("vote", d.vote_rate, "votes"),
        ("events", d.event_rate, "the page's requests"),
    ):
        p.add_argument(
            f"--rate-{name}",
            type=rate,
            metavar="N/S",
            default=env.get(f"QA_RATE_{name.upper()}", str(value)),
            help=f"N requests at once, N per S seconds, for {what} ($QA_RATE_{name.upper()}; "
            f"default {value})",
        )


def create_app(service: QAService, store: FeedbackStore | None, options: ServerOptions):
    """The FastAPI app: JSON routes first, then the Gradio page mounted at `/`."""
    import gradio as gr

    from qa.web.guard import NetworkGuard
    from qa.web.json_api import build_api
    from qa.web.page import build_page, page_assets

    api = build_api(service)
    demo = build_page(service, store)
    demo.queue(default_concurrency_limit=options.concurrency, max_size=options.max_queue)
    app = gr.mount_gradio_app(
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
        show_error=False,  # an unexpected error's text (paths, names) stays in the log
        **page_assets(),
    )
    app.add_middleware(NetworkGuard, options=options.guard, votes=vote_events(demo))
    return app


def vote_events(demo) -> VoteEvents:
    """The page's vote handler as the network sees it (its event ids and API names)."""
    fns = [fn for fn in demo.fns.values() if fn.name == "vote"]
    if not fns:
        raise RuntimeError("the page has no vote handler: the vote rate limit would not apply")
    return VoteEvents(frozenset(fn._id for fn in fns), frozenset(fn.api_name for fn in fns))


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
