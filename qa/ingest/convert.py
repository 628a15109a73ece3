"""Which converter reads which file: the modules of `qa.ingest.formats`, found by name, so a
new format is one new file there."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from qa.ingest import formats


@dataclass(frozen=True)
class Converter:
    """A format: its name, the suffixes it takes, and bytes -> Markdown."""

    name: str
    suffixes: tuple[str, ...]
    convert: Callable[[bytes], str]


@lru_cache(maxsize=1)
def converters() -> dict[str, Converter]:
    """{suffix: converter} for every module in `qa.ingest.formats`."""
    found: dict[str, Converter] = {}
    for info in pkgutil.iter_modules(formats.__path__):
        module = importlib.import_module(f"{formats.__name__}.{info.name}")
        conv = Converter(info.name, tuple(module.SUFFIXES), module.convert)
        found.update({suffix: conv for suffix in conv.suffixes})
    return found


def suffixes() -> tuple[str, ...]:
    """Every suffix some converter takes, sorted."""
    return tuple(sorted(converters()))


def format_sources() -> list[Path]:
    """The converter modules' files (they shape the index, so the fingerprint hashes them)."""
    root = Path(formats.__file__).parent
    return sorted(root.glob("*.py"))


def to_markdown(data: bytes, suffix: str) -> str:
    """The document as Markdown; `ValueError` with the reason when it cannot be read."""
    return converters()[suffix.lower()].convert(data)
