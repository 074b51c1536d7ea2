"""Helpers for the extraction tests: build an article from a few strings, read its tuples."""

from __future__ import annotations

from kb.extraction.extract import extract_article
from kb.models import AbstractSection, Article, Extraction, PublicationType

CASE_REPORT = (PublicationType(name="Case Reports"), PublicationType(name="Journal Article"))


def article(
    *sections: str | tuple[str | None, str],
    title: str = "",
    types: tuple[PublicationType, ...] = CASE_REPORT,
    pmid: str = "1",
) -> Article:
    """An article whose sections are plain text (unlabelled) or (NlmCategory, text) pairs."""
    parts = []
    for part in sections:
        category, text = (None, part) if isinstance(part, str) else part
        parts.append(AbstractSection(label=category, category=category, text=text))
    return Article(pmid=pmid, title=title, abstract=tuple(parts), publication_types=types)


def tuples(extraction: Extraction, scope: str = "patient") -> set[tuple[str, str, str]]:
    """The (role, concept, polarity) tuples of one scope, as the scorer compares them."""
    return {(a.role, a.concept, a.polarity) for a in extraction.assertions if a.scope == scope}


def read(*sections: str | tuple[str | None, str], title: str = "", **kw: object) -> Extraction:
    """Extract an article built from strings."""
    return extract_article(article(*sections, title=title, **kw))  # type: ignore[arg-type]


def results(text: str, title: str = "Tumoral calcinosis of the spine") -> set[tuple[str, str, str]]:
    """Patient tuples of a case whose RESULTS section is ``text``."""
    return tuples(read(("RESULTS", text), title=title))


def concepts(found: set[tuple[str, str, str]]) -> set[str]:
    """The concepts of a set of (role, concept, polarity) tuples."""
    return {c for _, c, _ in found}
