"""Web pages: the main content by trafilatura (Apache-2.0), as Markdown with its headings.

trafilatura drops what is not the article: navigation, comment forms, share links, related
links, author boxes and footers. The page title (`<title>` or the first heading) leads.
"""

from __future__ import annotations

SUFFIXES = (".html", ".htm")


def convert(data: bytes) -> str:
    """The page's main content as Markdown under a `# Title` line."""
    import trafilatura

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
