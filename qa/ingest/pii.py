"""A generic guard against personal data: e-mails, phone numbers, street addresses, social handles
(`@name`, a labelled username, or a dotted handle in brackets after a name), dates of birth.

It runs on every document at build time and on every answer at query time, so no single
document's cleaning rules are the last line of defence.
"""

from __future__ import annotations

import re

REDACTED = "[redacted]"

_STREET_TYPES = (
    "Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|"
    "Greens?|Terrace|Parkway|Pkwy|Square|Sq|Circle|Cir|Highway|Hwy|Trail|Crescent|Close|"
    "Heights|Gardens|Plaza|Ridge|Loop|Alley|Crossing|Estates?|Manor|Mews|Junction|Harbor|"
    "Harbour|Meadows?|Springs?|Station|Village|Valley|Views?|Walks?|Wells?|Isle|Landing"
)
_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
    r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
_DATE = (
    r"(?:\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[/.]\d{1,2}[/.]\d{2,4}"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH},?\s+\d{{4}}|{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}})"
)
PATTERNS: dict[str, re.Pattern[str]] = {
    # starts only where a run of its characters starts: linear even in a megabyte-long "word"
    "email": re.compile(r"(?<![\w.%+-])[\w.%+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}"),
    "phone": re.compile(
        r"(?:\+\d{1,3}[\s.-]?)?(?:\(\d{3}\)\s*|\b\d{3}[\s.-])\d{3}[\s.-]\d{4}\b"
        r"|\+\d{1,3}(?:[\s.-]?\d{2,4}){3,5}\b"
        r"|\b0\d{2,4}[\s.-]\d{3,4}[\s.-]\d{3,4}\b"  # national format with a trunk 0
    ),
    "street_address": re.compile(
        rf"\b\d{{1,6}}\s+(?:[A-Z][A-Za-z'-]+\s+){{1,3}}(?:{_STREET_TYPES})\b\.?"
        r"(?:[\s,]+(?:[A-Z][A-Za-z'-]+\s+){0,3}[A-Z]{2}\s+\d{5}(?:-\d{4})?)?"
    ),
    "postal_code": re.compile(r"\b[A-Z]{2}\s+\d{5}-\d{4}\b"),
    "social_url": re.compile(
        r"https?://(?:www\.)?(?:instagram|twitter|x|facebook|linkedin|tiktok|threads)\.com/\S*",
        re.IGNORECASE,
    ),
    "handle": re.compile(r"(?<![\w@])@[A-Za-z_][\w.]{2,30}\b"),
    "labelled_handle": re.compile(
        r"\b(?:user ?name|handle|twitter|instagram|tiktok|telegram|github)\s*:\s*@?[\w.]{3,30}",
        re.IGNORECASE,
    ),
    "bracketed_handle": re.compile(  # "Ann Lee (ann.lee_99)": a handle after a name
        r"(?<=[a-z] )\((?!@?[\w.]*\.(?:com|org|net|html?|pdf|txt|md|py|js|docx)\))"
        r"@?[a-z][a-z0-9]*[._][a-z0-9._]*[a-z0-9]\)"
    ),
    "birth_date": re.compile(
        rf"\b(?:born(?:\s+on)?|birth\s?date|date\s+of\s+birth|d\.?o\.?b\.?|b\.)\s*[:(]?\s*{_DATE}",
        re.IGNORECASE,
    ),
}


def find_pii(text: str) -> list[tuple[str, str]]:
    """Every (kind, matched text) of personal data found in `text`."""
    return [(kind, m.group()) for kind, rx in PATTERNS.items() for m in rx.finditer(text)]


def redact(text: str) -> str:
    """`text` with every match of the PII patterns replaced by `[redacted]`."""
    for rx in PATTERNS.values():
        text = rx.sub(REDACTED, text)
    return text
