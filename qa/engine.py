"""The one object that holds the loaded model and index and answers questions."""

from __future__ import annotations

from collections.abc import Sequence

from qa.answer import AnswerSentence, SentencePicker
from qa.build import fingerprint
from qa.config import Settings
from qa.corpus import CorpusError
from qa.embedding import load_embedder, resolve_model
from qa.index_store import IndexData, load_index, read_manifest
from qa.pii import find_pii, redact
from qa.question import normalise_question
from qa.result import AskResult, Passage
from qa.retrieve import DenseRetriever, Hit

ABSTAIN_BELOW = 0.30


class QAEngine:
    """Answers questions over one loaded index with one loaded embedding model."""

    def __init__(self, index: IndexData, embedder) -> None:
        self.index = index
        self.embedder = embedder
        self.chunks = index.chunks
        self.dense = DenseRetriever(index.chunk_index)
        self.picker = SentencePicker(
            index.sentences,
            index.sentence_vectors,
            {c.chunk_id: c.sentences for c in index.chunks},
            {c.chunk_id: c.doc_id for c in index.chunks},
        )

    @classmethod
    def load(
        cls, settings: Settings | None = None, check_fresh: bool = True, backend: str | None = None
    ) -> QAEngine:
        """Load the index (refused if stale or corrupt) and the model it was built with."""
        settings = settings or Settings.from_env()
        manifest = read_manifest(settings.index_dir)
        model = resolve_model(settings.model or _model_of(manifest))
        expected = None
        if check_fresh:
            try:
                expected = fingerprint(settings, model)
            except CorpusError:
                expected = None  # no corpus beside the index: serve the index as built
        index = load_index(settings.index_dir, expected)
        return cls(index, load_embedder(model, backend))

    def ask(self, question: str, history: Sequence[str] = (), k: int = 5) -> AskResult:
        """Answer `question` (`QuestionError` if it is empty or too long)."""
        text = normalise_question(question)
        query = self.embedder.encode([text])[0]
        hits = self.dense.run(query, max(k, 1))
        answer = self.picker.run(query, hits)
        abstained = not hits or hits[0].score < ABSTAIN_BELOW or answer is None
        return self._result(text, hits[:k], None if abstained else answer, abstained)

    def _result(
        self, question: str, hits: list[Hit], answer: AnswerSentence | None, abstained: bool
    ) -> AskResult:
        passages = [self._passage(h, answer) for h in hits]
        if abstained or answer is None:
            reply = "The article does not say. These are the closest passages it has."
        else:
            chunk = self.chunks[answer.chunk_id]
            reply = chunk.text[answer.start - chunk.start : answer.end - chunk.start]
        return AskResult(question, abstained, _safe(reply), passages)

    def _passage(self, hit: Hit, answer: AnswerSentence | None) -> Passage:
        c = self.chunks[hit.chunk_id]
        a_start = a_end = None
        if answer and c.start <= answer.start and answer.end <= c.end:
            a_start, a_end = answer.start - c.start, answer.end - c.start
        text = c.text
        if find_pii(text):  # never expected after cleaning; the last guard before output
            text, a_start, a_end = redact(text), None, None
        return Passage(
            c.chunk_id,
            text,
            c.doc_id,
            c.section,
            c.anchor,
            round(hit.score, 4),
            c.start,
            c.end,
            a_start,
            a_end,
        )


def _model_of(manifest: dict) -> str | None:
    """The model name to load for an index: its recorded id, minus the package pin."""
    model_id = manifest.get("model_id") or ""
    return model_id.split("==")[0] or None


def _safe(text: str) -> str:
    return redact(text) if find_pii(text) else text
