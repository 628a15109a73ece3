"""Web pages: the main content by trafilatura (Apache-2.0), as Markdown with its headings.

trafilatura drops what is not the article: navigation, comment forms, share links, related
links, author boxes and footers. The page title (`<title>` or the first heading) leads.

A page nested deeper than libxml2's HTML parser goes (256 elements) is refused: the parser
stops there, so the text below would be lost without a word. The parser is C and iterative,
so even 100,000 nested elements cost milliseconds and no recursion.
"""

from __future__ import annotations

SUFFIXES = (".html", ".htm")
MAX_DEPTH = 256  # libxml2's limit without XML_PARSE_HUGE, which trafilatura does not set


def convert(data: bytes) -> str:
    """The page's main content as Markdown under a `# Title` line."""
    import trafilatura

    check_depth(data)
    text = trafilatura.extract(
        data,
        output_format="markdown",
        include_comments=False,
        include_images=False,
        include_links=False,
        include_tables=True,
        favor_precision=True,
        deduplicate=False,
    )
    if not text or not text.strip():
        raise ValueError("has no main text trafilatura could find")
    metadata = trafilatura.extract_metadata(data)
    title = (metadata.title if metadata else None) or ""
    if title and not text.lstrip().startswith("#"):
        text = f"# {title}\n\n{text}"
    return text


def check_depth(data: bytes) -> None:
    """`ValueError` when the page nests deeper than the HTML parser reads."""
    import lxml.html

    parser = lxml.html.HTMLParser()
    try:
        lxml.html.document_fromstring(data, parser=parser)
    except Exception:  # an empty or unparsable page: trafilatura says so in its own words
        return
    if any("Excessive depth" in e.message for e in parser.error_log):
        raise ValueError(
            f"nests its HTML more than {MAX_DEPTH} elements deep, past what the HTML parser "
            "reads (its text there would be lost)"
        )
