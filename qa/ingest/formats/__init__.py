"""One module per document format. Each defines `SUFFIXES` (lower-case, with the dot) and
`convert(data: bytes) -> str`, which turns the file's bytes into Markdown for
`clean.clean_document` (a `# Title` line, `#` headings, blank-line paragraphs), or raises
`ValueError` with the reason in a few words. `qa.ingest.convert` finds the modules here, so a
new format is one new file.
"""
