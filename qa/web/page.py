"""The Gradio page: chat with the article, passages linked into an article view, votes, `/ask`.

The page only renders what `QAService.ask` returns (see `qa.web.render_html`); the logic stays in
`qa/`. Per-browser state is the list of answered turns, used for follow-ups and votes.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlencode

import gradio as gr

from qa.answer.question import MAX_HISTORY, QuestionError
from qa.answer.result import AskResult
from qa.index.store import IndexUnavailable, read_manifest
from qa.web.assets import CSS, JS, theme
from qa.web.feedback import FeedbackStore, Turn
from qa.web.render_html import (
    document_titles,
    render_article,
    render_notice,
    render_picker,
    render_question,
    render_result,
    render_status,
    section_ids,
)
from qa.web.service import QAService, ServiceUnavailable
from qa.web.write_behind import WriteBehind

log = logging.getLogger("qa.page")

# Questions the product answers well today, showing its range: yes/no, why, and one the
# article does not answer (tests/test_examples.py checks each answer against the article).
EXAMPLES = [
    "Will Russia give Iran fighter jets?",
    "Is there a defence pact between Russia and Iran?",
    "Why won't Russia defend Iran militarily?",
    "Why does Russia need Israel?",
    "What is the capital of Australia?",
]
EXAMPLES_FILE = "examples.json"  # beside the documents: a JSON list of questions
SEED_DOCUMENT = "will-russia-support-iran.txt"  # what the shipped EXAMPLES ask about
PLACEHOLDER = "Ask a question about the article, or pick one of the examples."
# Filled in by the page script: a character counter shown as the question nears the limit.
COUNTER = '<div id="qa-counter" class="qa-counter" aria-live="polite" hidden></div>'
PASSAGES_SHOWN = 3
MAX_K = 50
# Gradio keeps each browser session's inputs and outputs (~115 kB here: the article view, the
# chat) until this many newer sessions have come, even after the tab closed (its default is
# 10,000, ~1.1 GB). The least recently used session goes first: its chat forgets its turns.
# 200 sessions hold ~23 MB, within the soak's 10 % memory band once they are full.
SESSIONS = 200
INTRO = (
    "## Article QA\n"
    "Answers are sentences quoted from the article, with the passages they come from. "
    "Follow the section link to read it in context.\n\n"
    'Ask what it says, why, how or who, whether a claim holds, or follow up ("And China?"); '
    '"Summarize the article" quotes its opening and conclusion. It gives no opinions or '
    "translations of its own, and says so when the article does not answer."
)
INTRO_MANY = (
    "## Document QA\n"
    "Answers are sentences quoted from the documents, with the passages they come from and the "
    "document each is in. Follow the section link to read it in context; the titles above the "
    "documents switch between them.\n\n"
    'Ask what they say, why, how or who, whether a claim holds, or follow up ("And China?"). '
    "It gives no opinions or translations of its own, and says so when the documents do not "
    "answer."
)
# What the vote button says when a vote was not stored (a toast; the chat is not touched).
VOTE_BUSY = "Vote not saved: the feedback store is busy; please try again in a moment."
VOTE_FAILED = "Vote not saved: this server cannot store feedback right now."
BUSY = (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)  # another writer held the lock too long
VOTE_LIMIT = "Vote not saved: the daily limit of votes from your address is reached."


@dataclass(frozen=True)
class Wording:
    """What the page calls what it serves: one article, or several documents."""

    intro: str
    placeholder: str
    box: str
    pane: str


ONE = Wording(INTRO, PLACEHOLDER, "Ask about the article… (Enter to send)", "### Article")
MANY = Wording(
    INTRO_MANY,
    "Ask a question about the documents, or pick one of the examples.",
    "Ask about the documents… (Enter to send)",
    "### Documents",
)


def wording(index_dir: Path) -> Wording:
    """`MANY` when the index holds several documents, else `ONE` (also when it is missing)."""
    try:
        count = read_manifest(index_dir).get("counts", {}).get("documents", 1)
    except IndexUnavailable:
        return ONE
    return MANY if count > 1 else ONE


def load_examples(corpus_dir: Path, index_dir: Path | None = None) -> list[str]:
    """The questions in `examples.json` beside the documents; else the shipped `EXAMPLES` when
    the seed article is among the indexed documents; else questions drawn from the indexed
    documents' section titles (none without an index): never questions about documents that
    are not there."""
    path = corpus_dir / EXAMPLES_FILE
    try:
        examples = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return _default_examples(index_dir)
    except (OSError, ValueError) as exc:
        log.warning("%s unreadable (%s): showing the default examples", path, exc)
        return _default_examples(index_dir)
    ok = isinstance(examples, list) and all(isinstance(q, str) and q.strip() for q in examples)
    if not ok or not examples:
        log.warning("%s is not a list of questions: showing the default examples", path)
        return _default_examples(index_dir)
    return examples


def _default_examples(index_dir: Path | None) -> list[str]:
    documents = _indexed_documents(index_dir) if index_dir else None
    if documents is None or any(d.get("doc_id") == SEED_DOCUMENT for d in documents):
        return list(EXAMPLES)
    return section_examples(documents)


def section_examples(documents: list[dict], limit: int = len(EXAMPLES)) -> list[str]:
    """Up to `limit` questions about the documents' sections (past each one's first), taken in
    turn from each document; a document of one section gets "What is <title> about?"."""
    per_doc = []
    for doc in documents:
        titles = [s.get("title", "").strip() for s in doc.get("sections", [])[1:]]
        asked = [f"What does it say about {t.rstrip('?.:')}?" for t in titles if t]
        per_doc.append(asked or [f"What is {doc.get('title') or doc.get('doc_id')} about?"])
    out = []
    for round_ in range(max((len(q) for q in per_doc), default=0)):
        out += [q[round_] for q in per_doc if round_ < len(q)]
    return out[:limit]


def _indexed_documents(index_dir: Path) -> list[dict] | None:
    """The index's documents (title, sections), or None when there is no readable index."""
    try:
        documents = json.loads((index_dir / "documents.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return documents if isinstance(documents, list) else None


def build_page(service: QAService, store: FeedbackStore | None = None) -> gr.Blocks:
    """The Blocks app; call `.queue(...)` on it and mount it (see `qa.web.server`). A corrupt
    feedback database is moved aside first (`FeedbackStore.quarantine_if_corrupt`), and a data
    folder that cannot be written is said in the log."""
    if store is not None and store.warn_if_unwritable():
        store.quarantine_if_corrupt()
    handlers = _Handlers(service, store)
    words = wording(service.settings.index_dir)
    title = "Article QA" if words is ONE else "Document QA"
    with gr.Blocks(title=title, analytics_enabled=False) as demo:
        demo.state_session_capacity = session_capacity()
        turns = gr.State({})
        article_version = gr.State(None)
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=360):
                gr.Markdown(words.intro, elem_id="qa-intro")
                chatbot = gr.Chatbot(
                    elem_id="qa-chat",
                    label="Conversation",
                    show_label=False,
                    height=600,
                    autoscroll=False,
                    latex_delimiters=[],
                    buttons=["copy"],
                    placeholder=words.placeholder,
                )
                with gr.Row(elem_id="qa-input-row"):
                    question = gr.Textbox(
                        elem_id="qa-question",
                        label="Question",
                        show_label=False,
                        placeholder=words.box,
                        lines=1,
                        max_lines=4,
                        scale=8,
                        autofocus=True,
                        container=False,
                    )
                    ask = gr.Button("Ask", variant="primary", elem_id="qa-ask", min_width=80)
                    clear = gr.Button("Clear all", elem_id="qa-clear", min_width=80)
                gr.HTML(COUNTER, elem_id="qa-hint", padding=False)
                status = gr.HTML("", elem_id="qa-status", padding=False)
                examples = gr.Examples(
                    load_examples(service.settings.corpus_dir, service.settings.index_dir),
                    inputs=question,
                    label="Examples",
                    elem_id="qa-examples",
                )
            with gr.Column(scale=2, min_width=320):
                gr.Markdown(words.pane, elem_id="qa-article-title")
                article = gr.HTML(render_notice("The article is loading…"), elem_id="qa-article")

        inputs = [question, chatbot, turns, article_version]
        outputs = [question, chatbot, turns, status, article, article_version]
        # One event for Enter and Ask: while it runs, further triggers are dropped (no double
        # submit); the page script greys Ask out meanwhile and while the box is empty.
        asked = gr.on(
            [question.submit, ask.click],
            handlers.respond,
            inputs,
            outputs,
            api_visibility="private",
            trigger_mode="once",
            js=_busy_js(len(inputs)),
        )
        asked.then(None, None, None, js=IDLE_JS, api_visibility="private")
        # Clicking an example fills the box and asks it.
        examples.load_input_event.then(
            handlers.respond, inputs, outputs, api_visibility="private", js=_busy_js(len(inputs))
        ).then(None, None, None, js=IDLE_JS, api_visibility="private")
        question.change(None, None, None, js=SYNC_JS, api_visibility="private")
        clear.click(
            lambda: ("", [], {}, ""),
            None,
            [question, chatbot, turns, status],
            api_visibility="private",
        )
        chatbot.clear(lambda: {}, None, turns, api_visibility="private")
        # "multiple": a second vote while the first is still being stored must not be dropped
        # (Gradio's default "once" ignores a trigger while the previous one is pending).
        chatbot.like(
            handlers.vote,
            turns,
            None,
            api_visibility="private",
            concurrency_limit=None,
            trigger_mode="multiple",
        )
        demo.load(
            handlers.article, None, [article, article_version], api_visibility="private"
        ).then(  # a link to an answer (/?q=...) asks its question once the page is ready
            handlers.from_link,
            [chatbot, turns, article_version],
            outputs,
            api_visibility="private",
        )
        gr.api(handlers.api_ask, api_name="ask")
    return demo


def session_capacity(value: str | None = None) -> int:
    """How many browser sessions the page remembers: `QA_SESSIONS`, else `SESSIONS`."""
    value = os.environ.get("QA_SESSIONS") if value is None else value
    if not value:
        return SESSIONS
    try:
        capacity = int(value)
    except ValueError:
        capacity = 0
    if capacity < 1:
        log.warning("QA_SESSIONS=%r is not a positive whole number: using %d", value, SESSIONS)
        return SESSIONS
    return capacity


def _busy_js(n_inputs: int) -> str:
    """Client-side hook run as a question is sent: mark the page busy, pass the inputs on."""
    return f"(...a) => {{ window.qaBusy && window.qaBusy(true); return a.slice(0, {n_inputs}); }}"


IDLE_JS = "() => { window.qaBusy && window.qaBusy(false); }"
SYNC_JS = "() => { window.qaSync && window.qaSync(); }"


def page_assets() -> dict:
    """Keyword arguments for `gr.mount_gradio_app` / `launch`: theme, CSS and JS."""
    return {"theme": theme(), "css": CSS, "js": JS}


class _Handlers:
    """The page's event functions, bound to the service and the feedback store."""

    def __init__(self, service: QAService, store: FeedbackStore | None) -> None:
        self.service = service
        self.store = store
        self.behind = WriteBehind()  # abstention records: off the answer path

    def respond(
        self, message: str, messages: list, turns: dict, version, request: gr.Request | None = None
    ):
        """Answer `message`, append both bubbles, refresh the article if the index changed.

        A blank box does nothing. A question that cannot be asked (too long, server busy or
        loading) leaves the chat and the box as they are and says why under the box."""
        if not (message or "").strip():
            return (gr.skip(),) * 6
        messages = list(messages or [])
        turns = dict(turns or {})
        history = [t["question"] for _, t in sorted(turns.items())]
        try:  # a follow-up reads the latest question: a long chat sends its last MAX_HISTORY
            result = self.service.ask(message, history[-MAX_HISTORY:], k=5)
        except (QuestionError, ServiceUnavailable) as exc:
            return gr.skip(), gr.skip(), gr.skip(), render_status(str(exc)), gr.skip(), gr.skip()
        messages.append({"role": "user", "content": render_question(message)})
        turn = _turn(result, history)
        turns[len(messages)] = asdict(turn)
        documents = self.service.documents()[1]
        ids = section_ids(documents)
        link = None if history else answer_link(result.question)  # a follow-up needs its chat
        reply = render_result(result, PASSAGES_SHOWN, ids, document_titles(documents), link)
        messages.append({"role": "assistant", "content": reply})
        if result.abstained:
            self._note_abstention(turn, _client(request))
        return "", messages, turns, "", *self._article_update(version)

    def from_link(self, messages: list, turns: dict, version, request: gr.Request):
        """Ask the question of a link to an answer (`/?q=...`) when the page opens with one."""
        asked = (request.query_params.get("q") or "") if request else ""
        if not asked.strip():
            return (gr.skip(),) * 6
        return self.respond(asked, [], {}, version, request)

    def vote(self, turns: dict, data: gr.LikeData, request: gr.Request | None = None) -> None:
        """Store a thumbs up/down (or its withdrawal) on the answer it was given to; a warning
        toast when it could not be stored (store locked or unwritable, daily limit)."""
        index = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
        record = (turns or {}).get(index)
        if record is None:
            log.warning("vote on message %s, which is not an answer of this chat", index)
            return
        value = 1 if data.liked is True else -1 if data.liked is False else 0
        problem = self._save_vote(Turn(**record), value, _client(request))
        if problem:
            gr.Warning(problem)

    def article(self):
        """The article view for a new page (waits, bounded, for the model to load); above it,
        for the maintainer, why the index is older than the corpus when it is."""
        try:
            engine = self.service.engine()
        except ServiceUnavailable as exc:
            return render_notice(str(exc)), None
        html, version = self._article_update(None)
        stale = getattr(engine, "stale", None)
        if stale:
            html = (
                render_notice(f"For the maintainer: answers come from the last build: {stale}")
                + html
            )
        return html, version

    def api_ask(self, question: str, history: list[str] | None = None, k: int = 5) -> dict:
        """The `qa ask --json` object for `question` (follow-ups: earlier questions in history)."""
        try:
            if isinstance(k, bool) or not isinstance(k, int | float) or not 1 <= k <= MAX_K:
                raise QuestionError(f"k must be a whole number between 1 and {MAX_K}.")
            return self.service.ask(question, history or [], k=int(k)).to_json()
        except (QuestionError, ServiceUnavailable) as exc:
            raise gr.Error(str(exc), print_exception=False) from None

    def _article_update(self, version):
        current, documents = self.service.documents()
        if current is not None and current == version:
            return gr.skip(), version
        article = f'<div class="qa-article-scroll">{render_article(documents)}</div>'
        html = render_picker(documents) + article
        return html, current

    def _save_vote(self, turn: Turn, value: int, client: str) -> str | None:
        """None once stored (or without a store), else why not, in one line for the user."""
        if self.store is None:
            return None
        try:
            saved = self.store.record_vote(turn, value, client)
        except (sqlite3.Error, OSError) as exc:  # feedback must never break the chat
            log.warning("vote not stored: %s", exc)
            return VOTE_BUSY if getattr(exc, "sqlite_errorcode", None) in BUSY else VOTE_FAILED
        return None if saved else VOTE_LIMIT

    def _note_abstention(self, turn: Turn, client: str) -> None:
        """Record an abstention in the background: a locked or broken store never makes an
        answer wait; failures are logged."""
        store = self.store
        if store is None:
            return

        def write() -> None:
            try:
                store.record_abstention(turn, client)
            except (sqlite3.Error, OSError) as exc:
                log.warning("abstention not stored: %s", exc)

        if not self.behind.submit(write):
            log.warning("abstention not stored: too many feedback writes waiting")


def answer_link(question: str) -> str:
    """The page address that opens with `question` asked (relative: the page's own host)."""
    return "?" + urlencode({"q": question})


def _client(request: gr.Request | None) -> str:
    """The address the request came from, which the daily limits count by ("unknown" when
    the server was not told: such requests share one limit)."""
    return getattr(getattr(request, "client", None), "host", None) or "unknown"


def _turn(result: AskResult, history: list[str]) -> Turn:
    return Turn(
        turn_id=uuid.uuid4().hex,
        question=result.question,
        history=list(history),
        answer=result.answer,
        passage_ids=[p.id for p in result.passages[:PASSAGES_SHOWN]],
        abstained=result.abstained,
    )
