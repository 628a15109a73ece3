"""Calls to the page's `/ask` endpoint through `gradio_client` that a closing stream cannot cancel.

Used by the soak, the bench and the tests that ask through `gradio_client`.
"""

from __future__ import annotations

import concurrent.futures
import logging

log = logging.getLogger("qa.gradio_calls")


def gradio_ask(client, question: object, history=(), k: object = 5, timeout: float = 120):
    """The page's `/ask` endpoint through `gradio_client`, one call at a time per client.

    `gradio_client` (2.7.2) reads a session's events on one stream, which the server closes
    (`close_stream`) once the session has nothing pending. A call submitted after the previous
    answer arrived but before the client's reader has handled that close is registered to the
    closing reader and fails with `CancelledError` though the server answers it: a starved
    reader thread (a loaded machine) makes that likely. So wait for the reader to finish before
    returning, answer or error (bounded: a reader left open is reused by the next call). The
    wait narrows the window without closing it (2 calls of 17,138 in an hour's soak), so
    a cancelled call is asked once more: asking is read-only, the answer is the same."""
    try:
        return _ask_once(client, question, history, k, timeout)
    except concurrent.futures.CancelledError:
        log.warning("gradio_client cancelled a call on a closing event stream: asking again")
        return _ask_once(client, question, history, k, timeout)


def _ask_once(client, question: object, history, k: object, timeout: float):
    try:
        return client.submit(question, list(history), k, api_name="/ask").result(timeout=timeout)
    finally:
        reader = client.streaming_future
        if reader is not None:
            concurrent.futures.wait([reader], timeout=timeout)
