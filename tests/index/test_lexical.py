"""BM25: the fast query tokenizer matches bm25s' own; scores favour exact terms."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from qa.index.lexical import reference_tokens, tokens
from qa.ingest.sentences import split_sentences


def same(text: str) -> None:
    assert tokens(text) == [t for t in reference_tokens(text) if t]


def test_query_tokens_match_bm25s_on_every_sentence_of_the_article(document):
    for a, b in split_sentences(document.text):
        same(document.text[a:b])


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_query_tokens_match_bm25s_on_any_text(text):
    same(text)


def test_stop_words_and_question_words_are_dropped():
    assert tokens("Why did they do it so quickly?") == ["quick"]


def test_exact_term_ranks_its_chunk_first(engine):
    scores = engine.index.lexical.run(tokens("OPEC+ oil cooperation"))
    best = engine.index.chunks[int(scores.argmax())]
    assert "OPEC" in best.text


def test_the_document_naming_itself_is_not_a_search_term():
    # "the article" in a question or the text refers to the document, not to its content...
    assert tokens("What is the background of the specialist cited in the article?") == tokens(
        "What is the background of the specialist cited?"
    )
    assert tokens("This article will dissect the partnership.") == tokens(
        "will dissect the partnership."
    )
    # ...while an article of a treaty is content
    assert "articl" in tokens("What does Article 5 of the treaty say?")
