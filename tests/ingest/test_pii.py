"""The generic personal-data filter guards every document, not only the shipped one."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qa.ingest.pii import find_pii, redact

CASES = [
    "write to someone.else+tag@mail.example.org today",
    "call 414-666-5875 now",
    "call (212) 555-0199 now",
    "call +44 20 7946 0958 now",
    "lives at 7604 Collier Greens South Betty, NM 79520-8064",
    "at 221 Baker Street, London",
]


@pytest.mark.parametrize("text", CASES)
def test_personal_data_is_found_and_redacted(text):
    assert find_pii(text)
    cleaned = redact(text)
    assert not find_pii(cleaned)
    assert "[redacted]" in cleaned


@pytest.mark.parametrize(
    "text",
    [
        "In 2015 Russia intervened in Syria.",
        "The S-400 and Su-35 were discussed between 2019 and 2023.",
        "Sanctions in 1979, 1996 and 2006 shaped the economy.",
        "The U.S. and Iran signed the JCPOA in 2015.",
    ],
)
def test_ordinary_article_text_is_untouched(text):
    assert find_pii(text) == []
    assert redact(text) == text


@given(st.text(max_size=300))
def test_redaction_is_idempotent_and_leaves_nothing(text):
    once = redact(text)
    assert not find_pii(once)
    assert redact(once) == once
