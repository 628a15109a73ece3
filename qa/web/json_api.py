"""The JSON route: `POST /api/ask` and `GET /api/ask?q=...`, returning `qa ask --json`'s object.

Errors are `{"error": "one line"}`: 400 for a body that is not JSON, 422 for a bad question or
parameter, 503 (with Retry-After) while the model loads or when the server is busy.
Imports neither torch nor gradio: the engine comes from the `QAService`.
"""

from __future__ import annotations

from fastapi import FastAPI, Query, Request
from fastapi.responses import JSONResponse

from qa.answer.question import QuestionError
from qa.web.service import QAService, ServiceUnavailable

MAX_K = 50


class BadRequest(ValueError):
    """A request the route cannot use; `status` is the HTTP code."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.status = status


def build_api(service: QAService) -> FastAPI:
    """A FastAPI app with the JSON routes; the Gradio page is mounted beside them later."""
    app = FastAPI(title="Article QA", docs_url=None, redoc_url=None, openapi_url=None)

    @app.post("/api/ask")
    async def ask_post(request: Request) -> JSONResponse:
        try:
            body = await request.json()
        except ValueError:
            return _error("The request body must be JSON.", 400)
        if not isinstance(body, dict):
            return _error('The request body must be a JSON object {"question": ...}.', 400)
        if "question" not in body:
            others = ", ".join(f'"{key}"' for key in list(body)[:3])
            got = f" (the body has {others})" if others else ""
            return _error(f'Missing "question": send {{"question": "..."}}{got}.', 422)
        return await _answer(service, body.get("question"), body.get("history"), body.get("k"))

    @app.get("/api/ask")
    async def ask_get(
        request: Request,
        q: str | None = None,
        history: list[str] = Query(default_factory=list),  # noqa: B008
        k: str | None = None,
    ) -> JSONResponse:
        if q is None:
            others = ", ".join(f"?{key}=" for key in list(request.query_params)[:3])
            got = f" (the request has {others})" if others else ""
            return _error(f"Missing the question: send /api/ask?q=<your question>{got}.", 422)
        return await _answer(service, q, history, k)

    @app.api_route("/api/ask", methods=["PUT", "PATCH", "DELETE"], include_in_schema=False)
    async def ask_other() -> JSONResponse:
        return _error("Use GET /api/ask?q=... or POST /api/ask.", 405, {"Allow": "GET, POST"})

    @app.get("/api/health")
    def health() -> dict:
        return service.status()

    return app


async def _answer(service: QAService, question, history, k) -> JSONResponse:
    from starlette.concurrency import run_in_threadpool

    try:
        history, k = _history(history), _k(k)
        question = "" if question is None else question
        result = await run_in_threadpool(service.ask, question, history, k)
    except (BadRequest, QuestionError) as exc:
        return _error(str(exc), getattr(exc, "status", 422))
    except ServiceUnavailable as exc:
        return _error(str(exc), 503, {"Retry-After": str(exc.retry_after)})
    return JSONResponse(result.to_json())


def _history(value):
    """The history as sent (checked with the question by `QAService.ask`): absent is none, one
    string is one earlier question."""
    if value is None:
        return []
    return [value] if isinstance(value, str) else value


def _k(value) -> int:
    if value is None:
        return 5
    try:
        k = int(value)
    except (TypeError, ValueError):
        raise BadRequest(f"k must be a whole number between 1 and {MAX_K}.") from None
    if isinstance(value, bool | float) or not 1 <= k <= MAX_K:
        raise BadRequest(f"k must be a whole number between 1 and {MAX_K}.")
    return k


def _error(message: str, status: int, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"error": " ".join(message.split())}, status_code=status, headers=headers)
