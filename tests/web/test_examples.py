"""Every example on the page gets an answer that contains what the article says on it (or, for
the one the article does not cover, says so): examples are the first thing a person clicks."""

from __future__ import annotations

import pytest

from qa.web.page import EXAMPLES

# What the article says on each example, as words its answer must contain (None: abstains).
ARTICLE_SAYS = {
    "Will Russia give Iran fighter jets?": ["declined", "fighter jets"],
    "Is there a defence pact between Russia and Iran?": ["defense pact", "speculative"],
    "Why won't Russia defend Iran militarily?": ["commitment", "defend Iranian territory"],
    "Why does Russia need Israel?": ["maintain ties with Israel", "constraint"],
    "What is the capital of Australia?": None,
}


def test_every_example_has_an_expectation():
    assert set(EXAMPLES) == set(ARTICLE_SAYS)


@pytest.mark.slow
@pytest.mark.parametrize("question", EXAMPLES)
def test_each_example_is_answered_with_what_the_article_says(engine, article_text, question):
    result = engine.ask(question)
    expected = ARTICLE_SAYS[question]
    if expected is None:
        assert result.abstained and result.answer.startswith("The article does not say")
        return
    assert not result.abstained, result.answer
    for words in expected:
        assert words in result.answer, (question, result.answer)
        assert words in article_text  # the expectation is the article's own wording
    top = result.passages[0]
    assert top.answer_start is not None  # the answer is highlighted in the first passage
