"""Training triples for the embedder: (question as the system embeds it, the sentence that
answers it, a sentence of the same article that BM25 ranks high but that does not answer it).

Sentences are the article's indexed sentences, cleaned and chunked by the product's own code,
so the model learns the texts it will embed. Questions: SQuAD 2.0's (`data/squad/q`) and the
reader-worded ones (`data/readers`) of the given articles; a follow-up is embedded with its
history the way `qa.answer.followup.contextualise` asks it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import bm25s
import numpy as np

from qa.answer.followup import contextualise, proper_names
from qa.config import ChunkParams
from qa.ingest.chunking import chunk_document
from qa.ingest.clean import clean_document
from qa.ingest.corpus import read_source
from qa.tools.evaluate import norm, read_questions

DATA = Path(__file__).resolve().parent.parent / "reader" / "data"
SQUAD_DOCS = DATA / "squad" / "docs"
STYLES = {"squad": DATA / "squad" / "q", "readers": DATA / "readers"}


@dataclass(frozen=True)
class Triple:
    question: str
    positive: str
    negative: str
    article: str
    style: str


def articles() -> list[str]:
    """The slugs of the SQuAD articles in the repository."""
    return sorted(p.stem for p in SQUAD_DOCS.glob("*.txt"))


def questions_of(slug: str, style: str) -> list[dict]:
    return read_questions(STYLES[style] / f"{slug}.jsonl")


def sentences_of(slug: str) -> list[str]:
    """The article's sentences as the index holds them (each once, in document order)."""
    source = read_source(SQUAD_DOCS / f"{slug}.txt")
    chunks = chunk_document(clean_document(source.text, source.doc_id), ChunkParams())
    return list(dict.fromkeys(c.span_text(s, e) for c in chunks for s, e in c.sentences))


def asked_text(question: dict, names: frozenset[str]) -> str:
    """The text the system embeds for `question` (a follow-up blended with its history)."""
    context = contextualise(question["question"], question.get("history") or [], names)
    if context.rewritten:
        return context.rewritten
    if context.previous and context.history_weight:
        return f"{question['question']} {context.previous}"
    return question["question"]


def triples_of(slug: str, styles: tuple[str, ...], rng: random.Random) -> list[Triple]:
    """One triple per answerable question of `slug` whose gold lies in an indexed sentence."""
    sentences = sentences_of(slug)
    normed = [norm(s) for s in sentences]
    names = proper_names(sentences)
    retriever = bm25s.BM25()
    corpus = bm25s.tokenize(sentences, stopwords="en", show_progress=False)
    retriever.index(corpus, show_progress=False)
    out = []
    for style in styles:
        for q in questions_of(slug, style):
            if not q.get("answerable"):
                continue
            gold = [norm(g) for g in q["gold"]]
            hits = [i for i, s in enumerate(normed) if any(g in s for g in gold)]
            if not hits:
                continue
            text = asked_text(q, names)
            scores = _scores(retriever, text, len(sentences))
            best = max(hits, key=lambda i: scores[i])
            if len(hits) > 1 and scores[best] <= 0:
                continue  # a short gold ("five") in several sentences, none like the question
            negative = _hard_negative(scores, set(hits), rng)
            out.append(Triple(text, sentences[best], sentences[negative], slug, style))
    return out


def _scores(retriever, text: str, n: int) -> np.ndarray:
    """BM25 score of every sentence for `text`."""
    query = bm25s.tokenize([text], stopwords="en", show_progress=False)
    ids, values = retriever.retrieve(query, k=n, show_progress=False)
    scores = np.zeros(n)
    scores[ids[0]] = values[0]
    return scores


def _hard_negative(scores: np.ndarray, hits: set[int], rng: random.Random) -> int:
    """One of BM25's top 3 sentences that holds no gold (a random sentence if none scores)."""
    ranked = [int(i) for i in np.argsort(-scores, kind="stable") if int(i) not in hits]
    top = [i for i in ranked[:3] if scores[i] > 0]
    return rng.choice(top or ranked)


def build_triples(slugs: list[str], styles: tuple[str, ...] = ("squad", "readers"), seed: int = 0):
    """Triples of every article in `slugs`, shuffled with `seed`."""
    rng = random.Random(seed)
    out = [t for slug in slugs for t in triples_of(slug, styles, rng)]
    rng.shuffle(out)
    return out
