"""Ingest: corpus files -> clean `Document`s of titled sections -> sentence-aware `Chunk`s.

Owns reading the corpus (`corpus`), one converter per file format (`formats/`, found by
`convert`), cleaning text and Markdown (`clean`, with `blocks` for code, tables and lists and
`author_blocks` for author boxes and contact blocks), removing personal data (`pii`), sentence
boundaries (`sentences`), chunking (`chunking`) and the plain data the later stages read
(`documents`: `Document`, `Section`, `Chunk`).

May import: `qa.config` only. Nothing here knows about vectors, indexes, questions or the web.
"""
