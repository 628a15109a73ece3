"""Cleaning: exact section titles from the table of contents, no junk, no personal data."""

from __future__ import annotations

import re

import pytest

from qa.ingest.clean import clean_document, is_call_to_action, slugify

TOC_LINK = re.compile(r"\[([^\]]+)\]\(#([^)\s]+)\)")
CARD_LINE = re.compile(r"^\s*•\s*(\w[\w ]*?)\s*:\s*(.+?)\s*$", re.MULTILINE)


def toc_entries(raw: str) -> list[tuple[str, str]]:
    """(title, anchor) of every link in the raw page's table of contents."""
    start = raw.index("Table of Contents")
    return TOC_LINK.findall(raw[start : start + 5000])


def card_values(raw: str) -> list[str]:
    """Every value of the author card and socials after the article (name, email, ...)."""
    tail = raw[raw.index("Detail Author") :]
    return [v for _, v in CARD_LINE.findall(tail) if len(v) >= 4 and not v.isdigit()]


def test_title_is_the_first_line(document, article_text):
    assert document.title == article_text.splitlines()[0].strip()


def test_every_toc_heading_is_a_section_with_exact_title_and_anchor(document, article_text):
    toc = toc_entries(article_text)
    assert len(toc) >= 10
    got = [(s.title, s.anchor) for s in document.sections if s.title != "Introduction"]
    assert got == toc


def test_sections_partition_the_text_in_order(document):
    ends = [0] + [s.end for s in document.sections]
    for section, previous_end in zip(document.sections, ends, strict=False):
        assert previous_end <= section.start <= section.end <= len(document.text)
        assert document.text[section.start : section.end].strip()


def test_table_of_contents_markers_and_links_are_gone(document):
    text = document.text
    assert "Table of Contents" not in text
    assert "](#" not in text and "**" not in text and "###" not in text


def test_captions_card_and_socials_are_dropped(document):
    text = document.text
    for junk in (
        "Map of Russia - Guide of the World",
        "United States Department of State",
        "Detail Author",
        "Socials",
        "instagram",
        "followers",
    ):
        assert junk not in text, junk


def test_no_value_of_the_author_card_survives(document, article_text):
    values = card_values(article_text)
    assert len(values) >= 8  # name, username, email, birthdate, address, phone, company, ...
    for value in values:
        assert value not in document.text, value


def test_last_section_ends_with_the_articles_last_sentence(document):
    last = document.sections[-1]
    body = document.text[last.start : last.end].rstrip()
    assert body.endswith("limits of Russia's support for Iran will ever be truly tested.")


def test_the_articles_comment_prompt_and_call_to_action_are_dropped(document, article_text):
    assert "Share your perspectives in the comments below" in article_text
    for furniture in (
        "comments below",
        "explore our other articles",
        "What are your thoughts on the future",
        "Do you believe Russia's pragmatic approach",
    ):
        assert furniture not in document.text, furniture
    # the article's own sentences around it stay
    assert "The alliance between Russia and Iran is a testament" in document.text


CALLS_TO_ACTION = [
    "Subscribe to our newsletter for weekly updates.",
    "Let us know what you think in the comments!",
    "Don't forget to share this post with your friends.",
    "Please leave a comment below.",
    "Follow us on social media for more stories like this.",
    "Check out our latest guides on brewing.",
    "Read more: Ten facts about tea",
    "Related: The history of the teapot",
    "Be sure to sign up for our mailing list and stay tuned.",
]
ORDINARY = [
    "Russia's share of the arms market grew after 2015.",
    "Leave the kettle to cool before pouring.",
    "Critics shared their comments with the press below the fold of the treaty.",
    "Explore the region's history and the picture changes.",
    "Join the two pipes with a copper fitting.",
    "Readers of the treaty will find no defence clause.",
    "Let the tea steep for four minutes.",
    "What do you think drives Moscow's caution?",
]


@pytest.mark.parametrize("sentence", CALLS_TO_ACTION)
def test_calls_to_action_are_recognised(sentence):
    assert is_call_to_action(sentence)


@pytest.mark.parametrize("sentence", ORDINARY)
def test_ordinary_sentences_are_not_calls_to_action(sentence):
    assert not is_call_to_action(sentence)


def test_cleaning_drops_calls_to_action_and_their_prompt_but_keeps_prose():
    raw = (
        "# Tea in Britain\n\nTea arrived in the 1660s. Let the tea steep for four minutes.\n\n"
        "## Today\n\nBritons drink 100 million cups a day. What do you think? Which blend do you "
        "prefer? Let us know in the comments! Subscribe to our newsletter for more.\n\n"
        "Read more: The history of the teapot\n\nPrices fell after 1784.\n"
    )
    doc = clean_document(raw, "tea.md")
    today = doc.text[doc.sections[1].start : doc.sections[1].end]
    assert today == "Britons drink 100 million cups a day.\n\nPrices fell after 1784."
    assert "Let the tea steep for four minutes." in doc.text


@pytest.mark.parametrize("suffix", [".md", ".txt"])
def test_line_broken_markdown_documents(suffix):
    raw = (
        "# Tea in Britain\n\nTea arrived in the 1660s.\n\n"
        "## Growing habits\n\nBy 1750 it was the **national** drink. See [this](http://x.org).\n\n"
        "### Prices\n\nPrices fell after 1784. Contact: jane.doe@example.com or 020 7946 0958.\n"
    )
    doc = clean_document(raw, "tea" + suffix)
    assert doc.title == "Tea in Britain"
    assert [s.title for s in doc.sections] == ["Introduction", "Growing habits", "Prices"]
    assert [s.anchor for s in doc.sections][1:] == ["growing-habits", "prices"]
    assert "national drink" in doc.text and "**" not in doc.text and "http" not in doc.text
    assert "jane.doe@example.com" not in doc.text and "7946" not in doc.text


def test_document_without_headings_is_one_section():
    doc = clean_document("Just one paragraph. Two sentences.", "plain.txt")
    assert len(doc.sections) == 1
    assert doc.text[doc.sections[0].start : doc.sections[0].end].strip().startswith("Just")


def test_slugify_matches_github_style():
    assert (
        slugify("Russia's Red Lines: What Moscow Won't Do")
        == "russias-red-lines-what-moscow-wont-do"
    )
