"""Concepts of the vocabulary: the list with evidence counts, and one with its neighbourhood."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, Request, Response

from kb.api.deps import PageDep, RegistryDep, RunnerDep
from kb.api.models import ConceptOut, Envelope, Meta, Row
from kb.api.routes.queries import FormatParam, answer_table, table_route
from kb.errors import ParameterError

router = APIRouter(tags=["concepts"])

Scheme = Literal["lesion", "anatomy", "condition", "finding", "procedure", "symptom", "outcome"]


@table_route(router, "/concepts", "Every concept with its scheme, broader concepts, evidence")
async def list_concepts(
    request: Request,
    registry: RegistryDep,
    runner: RunnerDep,
    page: PageDep,
    scheme: Annotated[Scheme | None, Query(description="Only this scheme.")] = None,
    include_retracted: Annotated[bool, Query(description="Count retracted articles too.")] = False,
    format: FormatParam = None,
) -> Envelope[list[Row]] | Response:
    """Answer through the ``concepts`` query."""
    params: dict[str, object] = {"include_retracted": include_retracted}
    if scheme:
        params["scheme"] = scheme
    return await answer_table(request, registry, runner, "concepts", params, page, format)


@router.get(
    "/concepts/{concept_id:path}",
    summary="One concept: labels, broader and narrower, mappings, evidence counts",
)
async def get_concept(
    concept_id: str,
    registry: RegistryDep,
    runner: RunnerDep,
    include_retracted: Annotated[bool, Query(description="Count retracted articles too.")] = False,
) -> Envelope[ConceptOut]:
    """Answer through ``concept`` and ``concept-evidence`` (the id holds a slash)."""
    try:
        facts = await runner(registry.run, "concept", {"concept": concept_id})
    except ParameterError as exc:  # not a concept id of the vocabulary: nothing is there
        raise HTTPException(404, f"no concept {concept_id!r}: {exc.reason}") from exc
    if not facts.rows:
        raise HTTPException(404, f"no concept {concept_id!r} in the ontology graph")
    params = {"concept": concept_id, "include_retracted": include_retracted}
    evidence = await runner(registry.run, "concept-evidence", params)
    label = next((r["value"] for r in facts.rows if r["relation"] == "prefLabel"), None)
    concept = ConceptOut(
        id=concept_id,
        pref_label=str(label) if label is not None else None,
        facts=list(facts.rows),
        evidence=list(evidence.rows),
    )
    return Envelope(data=concept, meta=Meta(generation=registry.store.generation))
