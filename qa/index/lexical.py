"""Lexical retrieval: BM25 (bm25s) over the same chunks, with English stop words and stemming."""

from __future__ import annotations

import json
import re
import tempfile
from functools import lru_cache
from pathlib import Path

import bm25s
import numpy as np
import Stemmer
from bm25s.stopwords import STOPWORDS_EN_PLUS
from bm25s.tokenization import Tokenized

from qa.index.search import ArrayScores
from qa.ingest.documents import Chunk

FOLDER = "bm25"
# bm25s' 179-word English list: its 33-word "en" list keeps why/did/so/my, which lifted
# chunks on question words (dev set recall@1 0.833 -> 0.900, see docs/retrieval.md).
STOPWORDS = list(STOPWORDS_EN_PLUS)
_STOP = frozenset(STOPWORDS)
_WORD = re.compile(r"(?u)\b\w\w+\b")  # bm25s' default token pattern
# "the article", "this article": the document naming itself (in the text: "This article will
# dissect..."; in a question: "the specialist cited in the article"). It says nothing about
# the content, so BM25 ignores it on both sides; "Article 5" (no determiner) is kept.
_SELF_REFERENCE = re.compile(r"\b(?:the|this|that|our)\s+article\b", re.IGNORECASE)


def _content(text: str) -> str:
    return _SELF_REFERENCE.sub(" ", text)


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


def tokens(text: str) -> list[str]:
    """Stemmed content tokens of `text` (stop words dropped), exactly as `bm25s.tokenize` makes
    them for the corpus (a test checks it), at a tenth of its per-call cost (0.01 vs 0.1 ms)."""
    words = [w for w in _WORD.findall(_content(text).lower()) if w not in _STOP]
    return _stemmer().stemWords(words)


def reference_tokens(text: str) -> list[str]:
    """`bm25s.tokenize` of one text: what the index was built with."""
    out = bm25s.tokenize(
        [_content(text)],
        stopwords=STOPWORDS,
        stemmer=_stemmer(),
        return_ids=False,
        show_progress=False,
    )
    return list(out[0])


def chunk_fields(chunk: Chunk) -> str:
    """The text BM25 indexes for a chunk: its section title and its text."""
    return _content(f"{chunk.section}\n{chunk.text}")


class LexicalRetriever:
    """BM25 scores of every chunk for a query."""

    def __init__(self, bm25: bm25s.BM25) -> None:
        self.bm25 = bm25
        self.vocab = set(bm25.vocab_dict)
        indptr = np.asarray(bm25.scores["indptr"])
        n = bm25.scores["num_docs"]
        df = {
            t: int(indptr[i + 1] - indptr[i])
            for t, i in bm25.vocab_dict.items()
            if t and i + 1 < len(indptr)
        }
        self._idf = {t: float(np.log(1 + (n - d + 0.5) / (d + 0.5))) for t, d in df.items()}
        self.unseen_idf = float(np.log(1 + (n + 0.5) / 0.5))

    def idf_table(self) -> tuple[dict[str, float], float]:
        """{token: inverse document frequency}, and the idf of a token never seen."""
        return dict(self._idf), self.unseen_idf

    def chunk_weights(self) -> list[dict[int, float]]:
        """Each chunk's {token id: BM25 weight}: its inner product with a query's token counts
        is the chunk's BM25 score (the sparse vectors another engine searches)."""
        scores = self.bm25.scores
        indptr = np.asarray(scores["indptr"])
        token = np.repeat(np.arange(len(indptr) - 1), np.diff(indptr))
        out: list[dict[int, float]] = [{} for _ in range(scores["num_docs"])]
        for doc, tok, weight in zip(
            np.asarray(scores["indices"]).tolist(),
            token.tolist(),
            np.asarray(scores["data"]).tolist(),
            strict=True,
        ):
            out[doc][tok] = weight
        return out

    def idf(self, token: str) -> float:
        """BM25's inverse document frequency of `token` (highest for a token never seen)."""
        return self._idf.get(token, self.unseen_idf)

    @classmethod
    def build(cls, chunks: list[Chunk]) -> LexicalRetriever:
        corpus = bm25s.tokenize(
            [chunk_fields(c) for c in chunks],
            stopwords=STOPWORDS,
            stemmer=_stemmer(),
            show_progress=False,
        )
        bm25 = bm25s.BM25()
        bm25.index(_sorted_vocab(corpus), show_progress=False)
        return cls(bm25)

    def save(self, folder: Path) -> list[str]:
        """Write the BM25 arrays (numpy, no pickle) and vocabulary; return the file names."""
        self.bm25.save(str(folder / FOLDER), show_progress=False)
        return sorted(f"{FOLDER}/{p.name}" for p in (folder / FOLDER).iterdir())

    def saved_bytes(self) -> int:
        """About the bytes `save` writes: the score arrays and the vocabulary."""
        scores = self.bm25.scores
        arrays = sum(np.asarray(scores[k]).nbytes + 128 for k in ("data", "indices", "indptr"))
        return arrays + len(json.dumps(self.bm25.vocab_dict, ensure_ascii=False).encode()) + 256

    @classmethod
    def from_blobs(cls, blobs: dict[str, bytes]) -> LexicalRetriever:
        """Load from verified file contents ({"bm25/name": bytes})."""
        with tempfile.TemporaryDirectory() as tmp:
            for name, blob in blobs.items():
                (Path(tmp) / Path(name).name).write_bytes(blob)
            bm25 = bm25s.BM25.load(tmp, allow_pickle=False, show_progress=False)
        return cls(bm25)

    def run(self, query_tokens: list[str]) -> np.ndarray:
        """BM25 score of each chunk (zeros when no query token is in the vocabulary)."""
        known = [t for t in query_tokens if t in self.vocab]
        if not known:
            return np.zeros(self.bm25.scores["num_docs"], dtype=np.float32)
        return self.bm25.get_scores(known).astype(np.float32)

    def query(self, query_tokens: list[str], k: int) -> ArrayScores:
        """The query's BM25 result: every chunk scored, the best `k` picked."""
        return ArrayScores(self.run(query_tokens), k)


def _sorted_vocab(corpus: Tokenized) -> Tokenized:
    """The same tokens with ids in sorted-vocabulary order: bm25s numbers tokens in set order,
    which changes with Python's hash seed, so identical builds wrote different files."""
    order = sorted(corpus.vocab)
    new_id = {corpus.vocab[t]: i for i, t in enumerate(order)}
    ids = [[new_id[i] for i in doc] for doc in corpus.ids]
    return Tokenized(ids=ids, vocab={t: i for i, t in enumerate(order)})
