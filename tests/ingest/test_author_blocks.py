"""Personal data in any layout (issue 13, item 2): the seed article as Markdown with an "About
the author" block at the end (name with a handle in brackets, e-mail, phone, street address,
birth date, employer) keeps the article and loses the whole block, whatever its layout; the
generic filter alone catches handles and dates of birth. The personal values are read from
the seed's scraped card, so none is copied into the repository."""

from __future__ import annotations

import pytest
from helpers_formats import card_fields, to_markdown_article

from qa.ingest.clean import clean_document
from qa.ingest.pii import find_pii, redact

PERSONAL = ("Name", "Username", "Email", "Birthdate", "Address", "Phone", "Company")


@pytest.fixture(scope="module")
def card(article_text) -> dict[str, str]:
    fields = card_fields(article_text)
    assert set(PERSONAL) <= set(fields)
    return fields


def layouts(c: dict[str, str]) -> dict[str, str]:
    """The same "About the author" block in the layouts maintainers write."""
    bio = f"{c['Name']} ({c['Username']}) is a podiatrist at {c['Company']}."
    contact = f"E-mail: {c['Email']}. Phone: {c['Phone']}."
    lines = [bio, contact, f"Address: {c['Address']}", f"Born {c['Birthdate']}."]
    return {
        "heading": "## About the author\n\n" + "\n\n".join(lines),
        "bold label": "**About the author**\n\n" + "\n\n".join(lines),
        "inline label": "About the author: " + " ".join(lines),
        "byline": f"Written by {c['Name']}\n\n" + "\n\n".join(lines),
        "contact heading": "### Contact\n\n" + "\n".join(lines),
        "no label": f"{bio} Write to {c['Email']} or call {c['Phone']}.",
    }


@pytest.mark.parametrize(
    "layout", ["heading", "bold label", "inline label", "byline", "contact heading", "no label"]
)
def test_about_the_author_block_is_dropped_whole_and_the_article_kept(layout, document, card):
    markdown = to_markdown_article(document) + "\n" + layouts(card)[layout] + "\n"
    doc = clean_document(markdown, "russia-iran.md")
    for key in PERSONAL:
        assert card[key] not in doc.text, (layout, key)
    assert [s.title for s in doc.sections] == [s.title for s in document.sections]
    assert doc.text == document.text  # nothing of the article is lost


def test_the_markdown_rendering_keeps_the_article(document):
    doc = clean_document(to_markdown_article(document), "russia-iran.md")
    assert doc.text == document.text


def test_generic_filter_catches_handles_and_dates_of_birth(card):
    text = f"{card['Name']} ({card['Username']}) was born on {card['Birthdate']} in Ohio."
    kinds = {kind for kind, _ in find_pii(text)}
    assert {"bracketed_handle", "birth_date"} <= kinds
    cleaned = redact(text)
    assert card["Username"] not in cleaned and card["Birthdate"] not in cleaned
    for line in (
        f"Username: {card['Username']}",
        "Date of birth: 17 June 1995",
        "born March 3, 1990",
        "DOB 03/04/1990",
    ):
        assert find_pii(line), line


@pytest.mark.parametrize(
    "text",
    [
        "The treaty was signed on 17 January 2025 in Moscow.",
        "Iran (see e.g. the U.S. report) bought drones.",
        "The author argues that Russia will not intervene.",
        "A new state was born in 1991 when the Soviet Union fell.",
        "Details are on the site (example.com) and in the file (report.pdf).",
    ],
)
def test_ordinary_prose_with_dates_brackets_and_authors_is_untouched(text):
    assert find_pii(text) == []
    doc = clean_document(f"# Title\n\n{text}\n\nMore text follows here.\n", "a.md")
    assert text in doc.text
