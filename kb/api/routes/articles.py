"""Articles: one with its evidence, or a page of them (all, or those asserting a concept)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, Response

from kb.api.deps import PageDep, RegistryDep, RunnerDep
from kb.api.models import ArticleOut, Envelope, Row
from kb.api.routes.queries import FormatParam, answer_table, table_route
from kb.curation import row_key
from kb.errors import ParameterError
from kb.models import Polarity, Role

router = APIRouter(tags=["articles"])


@table_route(router, "/articles", "Articles, newest first; or those asserting a concept")
async def list_articles(
    request: Request,
    registry: RegistryDep,
    runner: RunnerDep,
    page: PageDep,
    concept: Annotated[
        str | None, Query(description="A concept id, e.g. finding/t1-hypointense.")
    ] = None,
    role: Annotated[Role | None, Query(description="Only assertions in this role.")] = None,
    polarity: Annotated[Polarity | None, Query(description="present or absent.")] = None,
    include_retracted: Annotated[bool, Query(description="Also retracted or withdrawn.")] = False,
    format: FormatParam = None,
) -> Envelope[list[Row]] | Response:
    """Answer through ``articles-by-concept`` when a concept is given, else ``articles``."""
    params: dict[str, object] = {"include_retracted": include_retracted}
    if concept is None:
        if role or polarity:
            raise ParameterError("concept", "role and polarity need a concept")
        name = "articles"
    else:
        name = "articles-by-concept"
        params.update(concept=concept, role=role, polarity=polarity)
    params = {k: v for k, v in params.items() if v is not None}
    return await answer_table(request, registry, runner, name, params, page, format)


@router.get("/articles/{pmid}", summary="One article with every assertion read from it")
async def get_article(pmid: str, registry: RegistryDep, runner: RunnerDep) -> Envelope[ArticleOut]:
    """The article's record and evidence, through ``article`` and ``article-evidence``.

    Each assertion says its curation status and ``key``, the target key of a verdict on it.
    """
    record = await runner(registry.run, "article", {"pmid": pmid})
    if not record.rows:
        raise HTTPException(404, f"no article with PMID {pmid} in the knowledge base")
    evidence = await runner(registry.run, "article-evidence", {"pmid": pmid})
    keyed = [{**row, "key": row_key(pmid, row)} for row in evidence.rows]  # what verdicts target
    article = ArticleOut(pmid=pmid, record=record.rows[0], evidence=keyed)
    return Envelope(data=article)
