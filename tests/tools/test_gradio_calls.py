"""`qa.tools.gradio_calls.gradio_ask`: a call `gradio_client` cancels on a closing stream is
asked once more; any other error, or a second cancellation, reaches the caller."""

from __future__ import annotations

import concurrent.futures

import pytest

from qa.tools.gradio_calls import gradio_ask


class FakeClient:
    """`submit(...).result()` gives the listed outcomes in turn (an exception is raised)."""

    streaming_future = None

    def __init__(self, *outcomes):
        self.outcomes = list(outcomes)
        self.calls = 0

    def submit(self, *args, api_name):
        self.calls += 1
        return self

    def result(self, timeout):
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome


def test_a_cancelled_call_is_asked_once_more():
    client = FakeClient(concurrent.futures.CancelledError(), {"answer": "yes"})
    assert gradio_ask(client, "Will Russia give Iran fighter jets?") == {"answer": "yes"}
    assert client.calls == 2


def test_a_second_cancellation_and_other_errors_reach_the_caller():
    cancelled = concurrent.futures.CancelledError
    with pytest.raises(cancelled):
        gradio_ask(FakeClient(cancelled(), cancelled()), "q")
    client = FakeClient(ValueError("too long"), {"answer": "never"})
    with pytest.raises(ValueError, match="too long"):
        gradio_ask(client, "q")
    assert client.calls == 1
