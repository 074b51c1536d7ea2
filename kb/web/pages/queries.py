"""Every named query as a form (from its header), its answer as a table, and a chart of counts."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request
from fastapi.responses import HTMLResponse

from kb.api.deps import RegistryDep, RunnerDep
from kb.query.named import NamedQuery, RawValue
from kb.query.registry import Page
from kb.vocabulary import get_concepts
from kb.web.charts import chart_for
from kb.web.pages.common import not_found, page_router, refusals_as_pages
from kb.web.render import query_string, render

router = page_router()
PAGE_SIZE = 100


@router.get("/queries", response_class=HTMLResponse)
async def catalogue(request: Request, registry: RegistryDep) -> HTMLResponse:
    """The named queries, each with its summary and tags."""
    queries = sorted(registry.queries.values(), key=lambda q: q.name)
    return render(request, "queries.html", {"queries": queries})


@router.get("/queries/{name}", response_class=HTMLResponse)
@refusals_as_pages
async def ask(
    request: Request,
    name: str,
    registry: RegistryDep,
    runner: RunnerDep,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> HTMLResponse:
    """The query's form; its answer when every required parameter is given."""
    query = registry.queries.get(name)
    if query is None:
        return not_found(request, f"There is no named query {name!r}.")
    params = form_values(query, request.query_params.multi_items())
    missing = [p for p, spec in query.params.items() if spec.required and p not in params]
    table = None
    if not missing:
        table = await runner(registry.run, name, params, Page(PAGE_SIZE, offset))
    pairs = [(k, v) for k, vs in params.items() for v in (vs if isinstance(vs, list) else [vs])]
    context = {
        "query": query,
        "params": params,
        "missing": missing,
        "table": table,
        "chart": chart_for(table.columns, table.rows, query.summary) if table else None,
        "concepts": sorted(get_concepts().values(), key=lambda c: c.id),
        "offset": offset,
        "page_size": PAGE_SIZE,
        "here": pairs,
        "data_twin": query_string([*pairs, ("offset", offset or ""), ("limit", PAGE_SIZE)]),
    }
    return render(request, "query.html", context, queries=(name,))


def form_values(query: NamedQuery, items: list[tuple[str, str]]) -> dict[str, RawValue]:
    """The query's parameters as the form sent them: blanks and unknown names dropped."""
    values: dict[str, RawValue] = {}
    for key, value in items:
        spec = query.params.get(key)
        if spec is None or value == "":
            continue
        if spec.multiple:
            listed = values.setdefault(key, [])
            assert isinstance(listed, list)
            listed.append(value)
        else:
            values[key] = value
    return values
