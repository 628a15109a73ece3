"""Ingest: corpus files -> clean documents of titled sections -> sentence-aware chunks."""
