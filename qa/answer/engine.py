"""The one object that holds the loaded model and index and answers questions."""

from __future__ import annotations

import os
import re
import time
from collections import OrderedDict
from collections.abc import Sequence
from functools import cached_property

import numpy as np

from qa.answer.abstain import AbstentionPolicy, Decision
from qa.answer.answer_sentence import AnswerSentence, Reading, SentencePicker
from qa.answer.evidence import Evidence, select_evidence
from qa.answer.followup import contextualise, mentioning_first, proper_names
from qa.answer.question import normalise_history, normalise_question
from qa.answer.ranking import CANDIDATES, HybridRanker, Ranked, SentenceTable, Weights
from qa.answer.reader import Judgement, ReaderModel, default_reader, judge
from qa.answer.reader_features import QuestionShape, question_vector, unknown_share
from qa.answer.result import AskResult, Passage
from qa.answer.summary import is_summary_request, opening_and_closing
from qa.answer.withhold import WITHHELD, Floor, default_floor
from qa.config import Settings
from qa.index.embedding import resolve_model
from qa.index.fingerprint import fingerprint
from qa.index.freshness import stale_reason
from qa.index.lexical import tokens
from qa.index.query_embedder import load_embedder
from qa.index.store import IndexData
from qa.index.stores import load_store, store_manifest
from qa.index.token_vectors import TokenVectors
from qa.ingest.corpus import CorpusError
from qa.ingest.pii import find_pii, redact

NOT_SAID = "The article does not say{what}. The passages below are the nearest it has."
NOT_SAID_MANY = "The documents do not say{what}. The passages below are the nearest they have."


class QAEngine:
    """Answers questions over one loaded index with one loaded embedding model."""

    def __init__(
        self,
        index: IndexData,
        embedder,
        weights: Weights | None = None,
        reranker=None,
        reader: ReaderModel | None = None,
        floor: Floor | None = None,
    ) -> None:
        self.index = index
        self.floor = floor  # withhold a doubted, weak answer (`qa.answer.withhold`)
        self.reranker = reranker  # optional `qa.answer.rerank.CrossEncoderReranker`
        self.embedder = embedder
        self.chunks = index.chunks
        self.ranker = HybridRanker(index, SentenceTable(index), weights or Weights())
        self.picker = SentencePicker(
            index.chunks,
            index.lexical.idf,
            self.ranker.sentences,
            reader=reader,
        )
        self.abstention = AbstentionPolicy(index.chunks)
        self._vectors: OrderedDict[str, tuple[np.ndarray, TokenVectors]] = OrderedDict()
        self._pii_in_chunk: dict[int, bool] = {}  # chunks are fixed: check each one once
        # The passage holding the answer is shown first: the picker reads sentences, so its
        # choice is a finer ranking of the top passages (docs/retrieval.md: recall@1 up).
        self.answer_first = True
        self.switch_subjects = True  # "And China?" asks the earlier question about China
        self.summaries = True  # summary requests read the opening and closing sections
        self.stale: str | None = None  # why the index is older than the corpus, if it is

    @classmethod
    def load(
        cls,
        settings: Settings | None = None,
        check_fresh: bool = True,
        backend: str | None = None,
        reranker: str | None = None,
    ) -> QAEngine:
        """Load the index (refused if corrupt) and the model it was built with. A stale index
        (the corpus changed, or a document keeps it from being rebuilt) still answers: `stale`
        then says why and how to fix it."""
        settings = settings or Settings.from_env()
        manifest = store_manifest(settings)
        model = resolve_model(settings.model or _model_of(manifest))
        stale = None
        if check_fresh:
            try:
                if manifest.get("fingerprint") != fingerprint(settings, model):
                    stale = stale_reason(settings)
            except CorpusError:
                pass  # no corpus beside the index: serve the index as built
        index = load_store(settings, None)
        reranker = reranker or os.environ.get("QA_RERANKER")
        engine = cls(
            index,
            load_embedder(model, backend),
            reranker=_reranker(reranker),
            reader=default_reader(),
            floor=default_floor(),
        )
        engine.stale = stale
        return engine

    def ask(
        self,
        question: str,
        history: Sequence[str] = (),
        k: int = 5,
        timings: dict[str, float] | None = None,
        trace: dict | None = None,
    ) -> AskResult:
        """Answer `question` (`QuestionError` if it is empty or too long).

        `timings`, when given, receives each stage's duration in milliseconds; `trace` the
        question's shape, the picker's reading, the ranking and the decision (for training).
        """
        clock = _Clock(timings)
        text = normalise_question(question)
        names = self.names if self.switch_subjects else frozenset()
        context = contextualise(text, normalise_history(history), names)
        asked = context.rewritten or text  # a follow-up on a new subject: the earlier question
        query = self._embed(asked, context.previous, context.history_weight)
        clock.lap("embed")
        query_tokens = tokens(context.lexical_text)
        lexical = self.index.lexical.query(query_tokens, CANDIDATES)
        clock.lap("lexical")
        ranked, sims = self.ranker.run(query, lexical)
        clock.split("dense", self.ranker.last_dense_ms, "fusion")
        if self.reranker is not None:
            ranked = self.reranker.run(text, ranked, self.chunks)
            clock.lap("rerank")
        if context.subject:  # "And China?": the answer is read where China is named
            ranked = mentioning_first(ranked, lambda i: self.chunks[i].text, context.subject)
        summary = self.summaries and is_summary_request(text)
        if summary:
            ranked = opening_and_closing(ranked, self.chunks) or ranked
        shape = QuestionShape.read(asked)
        reading = self.picker.run(ranked, sims, tokens(asked), self._vectors_of(asked)[1], shape)
        answer = reading.answer
        topic_given = summary or context.previous is not None
        decision = self.abstention.decide(
            text, ranked, answer is not None, topic_given, answer and answer.chunk_id
        )
        confidence = None
        if reading.learned and answer is not None:
            judged = self._judge(shape, reading, ranked)
            confidence = judged.confidence
            decision = self._learned_decision(decision, judged, shape)
        if trace is not None:
            trace.update(
                asked=asked, shape=shape, reading=reading, ranked=ranked, decision=decision
            )
        clock.lap("answer")
        keep = answer.chunk_id if answer else None
        if self.answer_first and keep is not None:
            ranked = sorted(ranked, key=lambda r: r.chunk_id != keep)  # stable: rest in order
        shown = select_evidence(ranked, self.chunks, max(k, 1), keep)
        withheld = self._withholds(decision, confidence, ranked)
        result = self._result(text, shown, answer, decision, confidence, withheld)
        clock.lap("total", since_start=True)
        return result

    def _withholds(self, decision: Decision, confidence: float | None, ranked) -> bool:
        """Whether the floor withholds the answer: the reader doubts it and its passage (first
        in `ranked`) scores weakly."""
        if self.floor is None or decision.abstain or not ranked:
            return False
        return self.floor.withholds(confidence, ranked[0].score)

    def _judge(self, shape: QuestionShape, reading: Reading, ranked: list[Ranked]) -> Judgement:
        """The reader's view of the question as a whole (`reading` was scored by it)."""
        unknown = unknown_share(shape, self.index.lexical.vocab.__contains__)
        vector = question_vector(
            shape, reading.candidates, reading.features, reading.scores, ranked, unknown
        )
        return judge(self.picker.reader, vector)

    def _learned_decision(
        self, rules: Decision, judged: Judgement, shape: QuestionShape
    ) -> Decision:
        """The rules' decision where they are kept (personal data, opinions: always), else the
        reader's refusal."""
        if rules.abstain and (rules.hard or self.picker.reader.keep_rules):
            return rules
        if judged.refuse:
            return Decision(True, f" {shape.kind}" if shape.kind else " that")
        return Decision(False)

    @cached_property
    def names(self) -> frozenset[str]:
        """The document's proper names (read on the first follow-up)."""
        return proper_names(c.text for c in self.chunks)

    def _embed(self, text: str, previous: str | None, weight: float) -> np.ndarray:
        vector = self._vectors_of(text)[0]
        if previous and weight:
            vector = vector + weight * self._vectors_of(previous)[0]
            vector = vector / np.linalg.norm(vector)
        return vector.astype(np.float32)

    def forget_questions(self) -> None:
        """Drop the remembered question vectors (benchmarks time every embedding)."""
        self._vectors.clear()

    def _vectors_of(self, text: str) -> tuple[np.ndarray, TokenVectors]:
        """The question's vector and its content-token vectors, remembered for recent
        questions (follow-ups reuse them)."""
        found = self._vectors.get(text)
        if found is None:
            found = self._vectors[text] = self.embedder.encode_query(text)
            if len(self._vectors) > 256:
                self._vectors.popitem(last=False)
        return found

    def _result(
        self,
        question: str,
        evidence: list[Evidence],
        answer: AnswerSentence | None,
        decision: Decision,
        confidence: float | None,
        withheld: bool = False,
    ) -> AskResult:
        abstained, reason = decision.abstain or withheld, decision.reason
        shown = None if abstained else answer
        passages = [self._passage(e, shown) for e in evidence]
        closest = None
        if withheld:
            noun = "article" if len(self.index.documents) <= 1 else "documents"
            reply = WITHHELD.format(noun=noun)
            closest = _safe(self.chunks[answer.chunk_id].span_text(answer.start, answer.end))
        elif shown is None:
            not_said = NOT_SAID if len(self.index.documents) <= 1 else NOT_SAID_MANY
            reply = not_said.format(what=reason)
        else:
            reply = self.chunks[shown.chunk_id].span_text(shown.start, shown.end)
        reader = self.picker.reader
        unsure = bool(
            shown is not None and confidence is not None and confidence < reader.unsure_below
        )
        sure = None if confidence is None else round(confidence, 3)
        return AskResult(
            question, abstained, _safe(reply), passages, sure, unsure, withheld, closest
        )

    def _passage(self, evidence: Evidence, answer: AnswerSentence | None) -> Passage:
        c = self.chunks[evidence.ranked.chunk_id]
        start, end = evidence.start, evidence.end
        a_start = a_end = None
        same_doc = answer and c.doc_id == self.chunks[answer.chunk_id].doc_id
        if same_doc and start <= answer.start and answer.end <= end:
            a_start, a_end = answer.start - start, answer.end - start
        text = c.span_text(start, end)
        if self._has_pii(c.chunk_id):  # never expected after cleaning; the last guard
            text, a_start, a_end = redact(text), None, None
        return Passage(
            c.chunk_id,
            text,
            c.doc_id,
            c.section,
            c.anchor,
            round(evidence.ranked.score, 4),
            start,
            end,
            a_start,
            a_end,
        )

    def _has_pii(self, chunk_id: int) -> bool:
        """Whether the chunk's text holds personal data (checked once per chunk: 0.1 ms)."""
        found = self._pii_in_chunk.get(chunk_id)
        if found is None:
            found = self._pii_in_chunk[chunk_id] = bool(find_pii(self.chunks[chunk_id].text))
        return found


class _Clock:
    """Stage timer writing milliseconds into an optional dict."""

    def __init__(self, out: dict[str, float] | None) -> None:
        self.out = out
        self.start = self.last = time.perf_counter()

    def lap(self, stage: str, since_start: bool = False) -> None:
        if self.out is None:
            return
        now = time.perf_counter()
        self.out[stage] = (now - (self.start if since_start else self.last)) * 1000
        self.last = now

    def split(self, first: str, first_ms: float, rest: str) -> None:
        """Lap the time since the last lap as `first_ms` of `first`, the remainder as `rest`."""
        self.lap(rest)
        if self.out is not None:
            self.out[first] = first_ms
            self.out[rest] = max(self.out[rest] - first_ms, 0.0)


def _reranker(name: str | None):
    if not name:
        return None
    from qa.answer.rerank import CrossEncoderReranker

    return CrossEncoderReranker(name)


def _model_of(manifest: dict) -> str | None:
    """The model name to load for an index: its recorded id, minus the package pin or the
    ONNX folder's digest."""
    model_id = manifest.get("model_id") or ""
    return re.sub(r"@[0-9a-f]{12}$", "", model_id.split("==")[0]) or None


def _safe(text: str) -> str:
    return redact(text) if find_pii(text) else text
