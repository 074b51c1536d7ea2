"""The named queries: the list of them, and one route for each with its parameters documented."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from kb.api.deps import PageDep, ParamsDep, RegistryDep, RunnerDep
from kb.api.models import Envelope, Meta, QueryInfo, QueryParam, Row
from kb.query.named import NamedQuery, Param
from kb.query.protocol import Format, choose_format
from kb.query.registry import Page, Registry, Table

router = APIRouter(tags=["queries"])

TABLE_OFFERS = (Format("json", "application/json"), Format("csv", "text/csv"))
FormatParam = Annotated[str | None, Query(description="json (the default) or csv.")]
CSV_RESPONSE: dict[int | str, dict[str, Any]] = {200: {"content": {"text/csv": {}}}}


def table_route(router: APIRouter, path: str, summary: str) -> Callable[[Any], Any]:
    """Declare a GET route that answers a page of a table, as JSON or CSV."""
    return router.get(
        path, summary=summary, response_model=Envelope[list[Row]], responses=CSV_RESPONSE
    )


def describe(query: NamedQuery) -> QueryInfo:
    """What a client needs to ask a named query."""
    return QueryInfo(
        name=query.name,
        summary=query.summary,
        description=query.header.description.strip(),
        tags=list(query.header.tags),
        params=[
            QueryParam(name=name, **p.model_dump(exclude={"enum"}), enum=_enum(p))
            for name, p in query.params.items()
        ],
        paged=query.header.paged,
        url=f"/queries/{query.name}",
    )


def _enum(param: Param) -> list[str] | None:
    return list(param.enum) if param.enum is not None else None


@router.get("/queries", summary="List the named queries and their parameters")
async def list_queries(registry: RegistryDep) -> Envelope[list[QueryInfo]]:
    """Every named query with its parameters."""
    infos = [describe(q) for q in registry.queries.values()]
    return Envelope(data=infos, meta=Meta(total=len(infos)))


async def answer_table(
    request: Request,
    registry: Registry,
    runner: RunnerDep,
    name: str,
    params: dict[str, Any],
    page: PageDep,
    fmt: str | None,
) -> Envelope[list[Row]] | Response:
    """Run a named query and hand out one page of it, as JSON or CSV."""
    choose_format(TABLE_OFFERS, fmt, request.headers.get("accept"), "a table")  # before the work
    table = await runner(registry.run, name, params, page)
    return table_answer(request, registry, name, params, page, fmt, table)


def table_answer(
    request: Request,
    registry: Registry,
    name: str,
    params: dict[str, Any],
    page: Page,
    fmt: str | None,
    table: Table,
) -> Envelope[list[Row]] | Response:
    """Hand out a page of a named query's answer, as JSON or CSV."""
    chosen = choose_format(TABLE_OFFERS, fmt, request.headers.get("accept"), "a table")
    if chosen.name == "csv":
        return Response(table.to_csv(), media_type="text/csv; charset=utf-8")
    meta = Meta(
        query=name,
        params=params,
        columns=list(table.columns),
        total=table.total,
        limit=page.limit,
        offset=page.offset,
        generation=registry.store.generation,
    )
    return Envelope(data=list(table.rows), meta=meta)


def _openapi_params(query: NamedQuery) -> list[dict[str, Any]]:
    """The query's parameters as OpenAPI query parameters."""
    specs = []
    for name, param in query.params.items():
        schema: dict[str, Any] = {
            "integer": {"type": "integer"},
            "boolean": {"type": "boolean"},
            "pmid": {"type": "string", "pattern": "^[0-9]{1,12}$"},
            "concept": {"type": "string", "pattern": "^[a-z]+/[a-z0-9-]+$"},
        }.get(param.type, {"type": "string"})
        if param.enum is not None:
            schema["enum"] = list(param.enum)
        if param.minimum is not None:
            schema["minimum"] = param.minimum
        if param.maximum is not None:
            schema["maximum"] = param.maximum
        if param.default is not None:
            schema["default"] = param.default
        if param.multiple:
            schema = {"type": "array", "items": schema}
        specs.append(
            {
                "name": name,
                "in": "query",
                "required": param.required,
                "description": param.description,
                "schema": schema,
                **({"style": "form", "explode": True} if param.multiple else {}),
            }
        )
    return specs


def _endpoint(name: str) -> Callable[..., Coroutine[Any, Any, Envelope[list[Row]] | Response]]:
    async def ask(
        request: Request,
        registry: RegistryDep,
        runner: RunnerDep,
        params: ParamsDep,
        page: PageDep,
        format: FormatParam = None,
    ) -> Envelope[list[Row]] | Response:
        return await answer_table(request, registry, runner, name, params, page, format)

    return ask


def query_router(registry: Registry) -> APIRouter:
    """A route for each named query (``/queries/{name}``), its parameters in the OpenAPI."""
    routes = APIRouter(tags=["queries"])
    for name, query in registry.queries.items():
        routes.add_api_route(
            f"/queries/{name}",
            _endpoint(name),
            methods=["GET"],
            summary=query.summary,
            description=query.header.description.strip(),
            response_model=Envelope[list[Row]],
            responses=CSV_RESPONSE,
            openapi_extra={"parameters": _openapi_params(query)},
            operation_id=f"query_{name.replace('-', '_')}",
        )
    return routes
