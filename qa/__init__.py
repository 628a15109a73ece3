"""Article QA: question answering over documents, offline."""

__version__ = "0.1.0"
