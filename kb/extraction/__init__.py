"""Extraction: read an article's title and abstract into assertions, levels and a study.

The rule-based extractor ``tc-rules`` works in stages, one module each: ``text`` (sentences,
tokens, folding), ``lexicon`` (concept labels as token sequences), ``levels`` (vertebrae),
``cues`` and ``rules`` (negation, hedges, misdiagnosis and scope cues, as data), ``mentions``
(what each sentence names), ``study`` (design and patients) and ``extract`` (the assertions).
Everything here is pure: an ``Article`` in, an ``Extraction`` out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from kb.models import Article, Extraction

__all__ = ["Extractor", "default_extractor", "extract_with"]


@dataclass(frozen=True)
class Extractor:
    """An extractor: its name and version (``tc-rules/1.2.0``) and the function that reads."""

    name: str
    read: Callable[[Article], Extraction]


def default_extractor() -> Extractor:
    """Return the project's rule-based extractor (its lexicons load on first use)."""
    from kb.extraction.extract import EXTRACTOR, extract_article

    return Extractor(EXTRACTOR, extract_article)


def extract_with(extractor: Extractor, article: Article) -> Extraction:
    """Read an article with an extractor, its name on what it read."""
    extraction = extractor.read(article)
    if extraction.extractor:
        return extraction
    return extraction.model_copy(update={"extractor": extractor.name})
