"""Read every labelled question through the pipeline and keep what the reader learns from.

For each document (the 9 SQuAD 2.0 articles in `data/squad/`, the seed article in `corpus/`)
an index is built once into `.cache/reader/` (skipped when fresh), then each question is asked
with the hand-set picker and the pipeline's own candidates are recorded with their features
and labels: whether the candidate's answer text (with the sentences it points back to) holds
a gold phrase, and whether its passage does. Nothing here is trained; `train.py` reads it.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qa.answer.abstain import Decision
from qa.answer.answer_sentence import AnswerSentence
from qa.answer.candidates import Candidate
from qa.answer.engine import QAEngine
from qa.answer.ranking import Ranked
from qa.answer.reader_features import QuestionShape, candidate_matrix, unknown_share
from qa.config import ROOT, Settings
from qa.index.freshness import index_status
from qa.tools.evaluate import gold_rank, read_questions

HERE = Path(__file__).resolve().parent
SQUAD = HERE / "data" / "squad"
CACHE = ROOT / ".cache" / "reader"
_SHARED = ROOT.parent / "shared" / "eval"
EVAL = _SHARED if _SHARED.is_dir() else ROOT / "eval"
SEED_SETS = ("dev", "tune", "check")


@dataclass
class Record:
    """One question as the pipeline read it, with its labels."""

    group: str  # the SQuAD article's slug, or "dev" / "tune" / "check"
    qid: str
    kind: str
    answerable: bool
    shape: QuestionShape
    candidates: list[Candidate]
    ranked: list[Ranked]
    features: np.ndarray  # CANDIDATE_FEATURES rows
    answer_hit: np.ndarray  # the candidate's answer text holds a gold phrase
    passage_hit: np.ndarray  # its passage does
    unknown: float
    rules: Decision  # the hand-set rules' decision
    question: str = ""  # as asked (a follow-up: rewritten with its subject when it names one)
    texts: tuple[str, ...] = ()  # each candidate's sentence


def squad_articles() -> list[str]:
    return sorted(p.stem for p in (SQUAD / "docs").glob("*.txt"))


def engine_for(slug: str) -> QAEngine:
    """An engine over one SQuAD article, its index built on first use."""
    corpus = CACHE / "corpus" / slug
    corpus.mkdir(parents=True, exist_ok=True)
    source = SQUAD / "docs" / f"{slug}.txt"
    target = corpus / source.name
    if not target.exists() or target.read_bytes() != source.read_bytes():
        shutil.copyfile(source, target)
    settings = Settings(corpus_dir=corpus, index_dir=CACHE / "index" / slug)
    if index_status(settings) != "fresh":
        from qa.index.build import build_index

        build_index(settings)
    return _rules_only(QAEngine.load(settings))


def seed_engine() -> QAEngine:
    return _rules_only(QAEngine.load(Settings()))


def _rules_only(engine: QAEngine) -> QAEngine:
    engine.picker.reader = None
    return engine


def collect(engine: QAEngine, group: str, questions: list[dict], top: int) -> list[Record]:
    """Each question's `Record`, its candidates read from the top `top` passages."""
    out = []
    top_before = engine.picker.params.top_passages
    engine.picker.params = _with_top(engine.picker.params, top)
    try:
        for q in questions:
            out.append(_record(engine, group, q))
    finally:
        engine.picker.params = _with_top(engine.picker.params, top_before)
    return out


def _with_top(params, top: int):
    from dataclasses import replace

    return replace(params, top_passages=top)


def _record(engine: QAEngine, group: str, q: dict) -> Record:
    trace: dict = {}
    engine.ask(q["question"], q.get("history") or [], trace=trace)
    shape, reading = trace["shape"], trace["reading"]
    cands: list[Candidate] = reading.candidates
    gold = q.get("gold") or []
    picker, chunks = engine.picker, engine.chunks
    answer_hit, passage_hit = [], []
    for c in cands:
        lead = picker.self_contained(AnswerSentence(c.chunk_id, c.start, c.end, 0.0, 0.0, 0.0))
        text = chunks[c.chunk_id].span_text(lead.start, lead.end)
        answer_hit.append(bool(gold) and gold_rank([text], gold, 1) is not None)
        passage_hit.append(bool(gold) and gold_rank([chunks[c.chunk_id].text], gold, 1) is not None)
    vocab = engine.index.lexical.vocab
    return Record(
        group,
        q["id"],
        q.get("kind", ""),
        bool(q.get("answerable")),
        shape,
        cands,
        trace["ranked"],
        candidate_matrix(
            shape, cands, reading.scores, picker.text_of, picker.passage_of, picker.idf
        ),
        np.array(answer_hit, dtype=bool),
        np.array(passage_hit, dtype=bool),
        unknown_share(shape, vocab.__contains__),
        trace["decision"],
        trace["asked"],
        tuple(picker.text_of(c) for c in cands),
    )


def collect_all(top: int, groups: list[str] | None = None) -> list[Record]:
    """Records of every SQuAD article and of dev, tune and check."""
    records: list[Record] = []
    for slug in squad_articles():
        if groups and slug not in groups:
            continue
        questions = read_questions(SQUAD / "q" / f"{slug}.jsonl")
        records += collect(engine_for(slug), slug, questions, top)
        print(f"collected {slug}: {len(questions)} questions", flush=True)
    seed = seed_engine()
    for name in SEED_SETS:
        if groups and name not in groups:
            continue
        records += collect(seed, name, read_questions(EVAL / f"{name}.jsonl"), top)
    return records
