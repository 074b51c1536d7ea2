"""An article with its evidence in its text, and a concept with its mappings and evidence."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from kb.api.deps import RegistryDep, RunnerDep
from kb.curation import REASONS, row_key
from kb.errors import ParameterError
from kb.query.registry import Page
from kb.vocabulary import get_concepts, get_matches, get_modalities
from kb.web.highlight import marks, paragraphs
from kb.web.pages.common import not_found, page_router, refusals_as_pages
from kb.web.pages.curation import signed_in
from kb.web.render import render

router = page_router()

# The case browser's filter for a concept of each scheme (the concept page links to it).
CASE_FILTER = {
    "finding": "present",
    "condition": "associated",
    "treatment": "treatment",
    "outcome": "outcome",
    "site": "site",
    "region": "region",
    "lesion": "misdiagnosis",
}


@router.get("/articles/{pmid}", response_class=HTMLResponse)
@refusals_as_pages
async def article(
    request: Request, pmid: str, registry: RegistryDep, runner: RunnerDep
) -> HTMLResponse:
    """The record, its cases, and its abstract with every assertion marked where it was read."""
    found = await runner(registry.run, "article", {"pmid": pmid})
    if not found.rows:
        return not_found(request, f"There is no article with PMID {pmid} in the knowledge base.")
    record = dict(found.rows[0])
    rows = (await runner(registry.run, "article-evidence", {"pmid": pmid})).rows
    evidence = [{**r, "key": row_key(pmid, r)} for r in rows]
    counted = [r for r in evidence if r.get("status") != "rejected"]
    ids = case_ids(evidence)
    cases = (await runner(registry.run, "cases", {"cases": ids}, Page(500))).rows if ids else ()
    abstract = str(record.get("abstract") or "")
    placed, apart = marks(abstract, counted)
    curator = signed_in(request)
    context = {
        "curator": curator,
        "counted": len(counted),
        "statuses": Counter(str(r.get("status")) for r in evidence),
        "reasons": REASONS,
        "concept_ids": sorted(get_concepts()) if curator else (),
        "pmid": pmid,
        "record": record,
        "authors": [a.strip() for a in str(record.get("authors") or "").split(";") if a.strip()],
        "cases": cases,
        "paragraphs": paragraphs(abstract, placed),
        "apart": apart,
        "evidence": sorted(evidence, key=_reading_order(abstract)),
    }
    names = ("article", "article-evidence", *(("cases",) if ids else ()))
    page = render(request, "article.html", context, queries=names)
    if curator is not None:  # a curator's page is theirs: never kept by anyone
        page.headers["Cache-Control"] = "no-store"
    return page


@router.get("/concepts/{concept_id:path}", response_class=HTMLResponse)
@refusals_as_pages
async def concept(
    request: Request, concept_id: str, registry: RegistryDep, runner: RunnerDep
) -> HTMLResponse:
    """Labels, definition, mappings, broader and narrower, counts, articles and cases."""
    concepts = get_concepts()
    if concept_id not in concepts:
        return not_found(request, f"There is no concept {concept_id!r} in the vocabulary.")
    try:
        facts = (await runner(registry.run, "concept", {"concept": concept_id})).rows
    except ParameterError:
        return not_found(request, f"There is no concept {concept_id!r} in the vocabulary.")
    counts = (await runner(registry.run, "concept-evidence", {"concept": concept_id})).rows
    params = {"concept": concept_id}
    articles = await runner(registry.run, "articles-by-concept", params, Page(25))
    by_relation: dict[str, list[Any]] = {}
    for fact in facts:
        by_relation.setdefault(str(fact["relation"]), []).append(fact)
    known = concepts[concept_id]
    narrower = sorted((c for c in concepts.values() if concept_id in c.broader),
                      key=lambda c: c.pref_label)  # fmt: skip
    scheme = concept_id.partition("/")[0]
    context = {
        "concept": known,
        "facts": by_relation,
        "matches": get_matches().get(concept_id, ()),
        "broader": [concepts[b] for b in known.broader if b in concepts],
        "narrower": narrower,
        "modality": get_modalities().get(concept_id),
        "counts": counts,
        "totals": _totals(counts),
        "articles": articles,
        "case_filter": CASE_FILTER.get(scheme),
    }
    names = ("concept", "concept-evidence", "articles-by-concept")
    return render(request, "concept.html", context, queries=names)


def _totals(rows: Any) -> dict[tuple[str, str], int]:
    """Assertions by (role, polarity), every scope summed."""
    totals: Counter[tuple[str, str]] = Counter()
    for r in rows:
        totals[(str(r["role"]), str(r["polarity"]))] += int(r["assertions"] or 0)
    return dict(totals)


def _reading_order(abstract: str) -> Any:
    """Sort evidence rows as the text reads: by where the sentence is, then the mention."""

    def key(row: Any) -> tuple[int, int]:
        at = abstract.find(str(row.get("sentence") or ""))
        return (at if at >= 0 else len(abstract), int(row.get("start") or 0))

    return key


def case_ids(evidence: Sequence[Mapping[str, Any]]) -> list[str]:
    """The case ids an article's assertions are attributed to, in the article's order.

    >>> case_ids([{"patients": "9-2"}, {"patients": "all"}, {"patients": "9-1"}, {}])
    ['9-1', '9-2']
    """
    ids = {str(r["patients"]) for r in evidence if str(r.get("patients") or "")[:1].isdigit()}
    return sorted(ids, key=lambda c: int(c.rpartition("-")[2]))
