"""Is the built index up to date with the corpus, settings, model and code?"""

from __future__ import annotations

from qa.config import Settings
from qa.index.embedding import resolve_model
from qa.index.fingerprint import fingerprint
from qa.index.search import StoreUnavailable
from qa.index.store import IndexUnavailable
from qa.index.stores import store_manifest
from qa.ingest.corpus import CorpusError


def index_status(settings: Settings) -> str:
    """ "fresh", "missing", "corrupt", "unreachable" (the search engine) or "stale" (the latter
    also when the corpus is unusable)."""
    try:
        manifest = store_manifest(settings)
    except IndexUnavailable as exc:
        return "missing" if "missing" in str(exc) else "corrupt"
    except StoreUnavailable:
        return "unreachable"
    try:
        expected = fingerprint(settings, resolve_model(settings.model))
    except CorpusError:
        return "stale"
    return "fresh" if manifest.get("fingerprint") == expected else "stale"


def stale_reason(settings: Settings) -> str:
    """Why the built index no longer matches the corpus, and how to fix it: the document that
    keeps a build from finishing (read as a build reads it), else what changed."""
    from qa.index.build_plan import plan_build

    try:
        plan_build(settings)
    except CorpusError as exc:
        return f"{exc}; fix or remove that file, or run `qa build --skip-bad` to build without it"
    return "the corpus, settings, model or code changed since it was built: run `qa build`"
