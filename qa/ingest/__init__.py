"""Ingest: corpus files -> clean `Document`s of titled sections -> sentence-aware `Chunk`s.

Owns reading the corpus (`corpus`), cleaning text and Markdown (`clean`), removing personal
data (`pii`), sentence boundaries (`sentences`), chunking (`chunking`) and the plain data the
later stages read (`documents`: `Document`, `Section`, `Chunk`).

May import: `qa.config` only. Nothing here knows about vectors, indexes, questions or the web.
"""
