"""The home page (what is in the knowledge base, and the ways in) and the search."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from kb.api.deps import RegistryDep, RunnerDep
from kb.extraction.quality import measured_quality
from kb.query.registry import Page
from kb.vocabulary import Concept, get_concepts
from kb.web.pages.common import refusals_as_pages
from kb.web.render import cases_of, render

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
async def home(request: Request, registry: RegistryDep, runner: RunnerDep) -> HTMLResponse:
    """What the knowledge base holds, how well it was read, and the entry points."""
    counts = await runner(registry.run, "counts", {})
    index = cases_of(request).fresh()
    context = {
        "counts": counts.rows[0] if counts.rows else {},
        "cases": len(index.cases) if index is not None else None,
        "quality": measured_quality(),
    }
    return render(request, "home.html", context, queries=("counts",))


@router.get("/search", response_class=HTMLResponse)
@refusals_as_pages
async def search(
    request: Request,
    registry: RegistryDep,
    runner: RunnerDep,
    q: Annotated[str, Query(max_length=200)] = "",
) -> HTMLResponse:
    """Concepts by label or synonym, an article by PMID, articles by title words or author."""
    text = q.strip()
    concepts = match_concepts(text, get_concepts()) if text else []
    articles: list[dict[str, object]] = []
    if re.fullmatch(r"\d{1,12}", text):
        found = await runner(registry.run, "article", {"pmid": text})
        articles = [{"pmid": text, "title": r.get("title"), "year": r.get("year"),
                     "matched": "PMID"} for r in found.rows]  # fmt: skip
    elif len(text) >= 2:
        found = await runner(registry.run, "search", {"text": text}, Page(100))
        articles = [dict(r) for r in found.rows]
    context = {"q": text, "concepts": concepts, "articles": articles}
    return render(request, "search.html", context, queries=("search",) if articles else ())


def match_concepts(text: str, concepts: dict[str, Concept]) -> list[tuple[Concept, str]]:
    """The concepts one of whose labels holds the text, with the label that matched.

    A label that is the text comes first, then labels that start with it, then the rest.
    """
    wanted = text.casefold()

    def rank(label: str) -> tuple[int, int]:
        folded = label.casefold()
        return (0 if folded == wanted else 1 if folded.startswith(wanted) else 2), len(label)

    found: list[tuple[int, str, Concept, str]] = []
    for concept in concepts.values():
        hits = [label for label in (*concept.labels, concept.id) if wanted in label.casefold()]
        if hits:
            best = min(hits, key=rank)
            found.append((rank(best)[0], concept.pref_label, concept, best))
    return [(c, label) for _, _, c, label in sorted(found, key=lambda f: f[:2])]
