"""One check for a question and its history, the same message on every surface: the CLI, the
JSON route, the Gradio endpoint and the service (none of them needs the model to refuse)."""

from __future__ import annotations

import contextlib
import io

import pytest
from fastapi.testclient import TestClient

from qa.answer.question import (
    MAX_HISTORY,
    QuestionError,
    check_question,
    normalise_history,
)
from qa.tools.cli import main
from qa.web.json_api import build_api
from qa.web.service import QAService

QUESTION = "Will Russia give Iran fighter jets?"
EMPTY = "Please type a question: it is empty."
UNUSABLE = "A question in the history is unusable: "
# (question, history, message); the first ones can be typed on the command line too
TYPED = [
    ("", [], EMPTY),
    ("\u200b\u2060 \t", [], EMPTY),
    ("x" * 2001, [], "The question is too long (2,001 characters; the limit is 2,000)."),
    (QUESTION, ["\u200b\u200b"], UNUSABLE + EMPTY),
    (QUESTION, ["y" * 100_000], UNUSABLE + "The question is too long (100,000 characters; "
     "the limit is 2,000)."),
    (QUESTION, ["Why?"] * (MAX_HISTORY + 1), "The history may hold at most 20 earlier questions."),
]  # fmt: skip
JSON_ONLY = [
    (42, [], "The question must be text."),
    (QUESTION, 7, "The history must be a list of earlier questions."),
    (QUESTION, [QUESTION, 1], "Each earlier question in the history must be text."),
]


@pytest.mark.parametrize(("question", "history", "message"), TYPED + JSON_ONLY)
def test_check_question_says_what_is_wrong(question, history, message):
    with pytest.raises(QuestionError) as exc:
        check_question(question, history)
    assert str(exc.value) == message


def test_usable_questions_pass_and_blank_history_is_skipped():
    check_question(QUESTION, ["", "   ", "Does Russia support Iran?"] * 6)
    check_question(QUESTION, ())
    assert normalise_history(["", " \n", "\u202bWhy\u200b not?\u202c"]) == ["Why not?"]


@pytest.fixture(scope="module")
def service():
    return QAService(loader=lambda: pytest.fail("a bad question must not load the engine"))


@pytest.mark.parametrize(("question", "history", "message"), TYPED)
def test_the_cli_prints_the_message(question, history, message):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["ask", "--json", *(f"--history={h}" for h in history), "--", question])
    assert (code, out.getvalue(), err.getvalue()) == (2, "", f"qa: {message}\n")


@pytest.mark.parametrize(("question", "history", "message"), TYPED + JSON_ONLY)
def test_the_json_route_and_the_service_say_the_same(service, question, history, message):
    response = TestClient(build_api(service)).post(
        "/api/ask", json={"question": question, "history": history}
    )
    assert (response.status_code, response.json()) == (422, {"error": message})
    with pytest.raises(QuestionError) as exc:
        service.ask(question, history)
    assert str(exc.value) == message


@pytest.mark.parametrize(("question", "history", "message"), TYPED + JSON_ONLY)
def test_the_gradio_endpoint_says_the_same(service, question, history, message):
    import gradio as gr

    from qa.web.page import _Handlers

    with pytest.raises(gr.Error) as exc:
        _Handlers(service, None).api_ask(question, history)
    assert exc.value.message == message
