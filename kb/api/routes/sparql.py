"""The SPARQL 1.1 Protocol endpoint, read-only: GET and POST (form and direct)."""

from __future__ import annotations

import threading
from typing import Annotated
from urllib.parse import parse_qs

from fastapi import APIRouter, Query, Request, Response
from starlette.datastructures import QueryParams

from kb.api.deps import RunnerDep, SettingsDep, StoreDep
from kb.api.errors import problem_response
from kb.errors import QueryError, ReadOnlyError, TooLargeError
from kb.query.protocol import Dataset, decode_body, respond
from kb.settings import Settings

router = APIRouter(tags=["sparql"])

FORM = "application/x-www-form-urlencoded"
DIRECT = "application/sparql-query"
UPDATE = "application/sparql-update"
DESCRIPTION = """The SPARQL 1.1 Protocol, read-only. The default graph is the union of the named
graphs unless `default-graph-uri`/`named-graph-uri` (or the query's FROM) say otherwise. Answers
are chosen by `Accept` (q-values honoured) or `format`: SELECT as json, xml, csv, tsv; ASK as
json, xml; CONSTRUCT/DESCRIBE as ttl, nt, jsonld, rdf. Updates, LOAD and SERVICE are refused
(400). A query runs at most KB_QUERY_TIMEOUT seconds (then 503) and carries at most KB_ROW_CAP
rows; a cut answer says so in the `KB-Truncated` header and, in JSON and XML, in the answer's
head (a `link` to https://w3id.org/tckb/problem/truncated). Bodies are limited to
KB_MAX_BODY_BYTES (413 past it), forms to KB_MAX_FORM_FIELDS fields."""

POST_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            FORM: {
                "schema": {
                    "type": "object",
                    "properties": {
                        "query": {"type": "string"},
                        "default-graph-uri": {"type": "array", "items": {"type": "string"}},
                        "named-graph-uri": {"type": "array", "items": {"type": "string"}},
                    },
                    "required": ["query"],
                }
            },
            DIRECT: {"schema": {"type": "string"}},
        },
    }
}


@router.get("/sparql", summary="Run a SPARQL query (GET)", description=DESCRIPTION)
async def sparql_get(
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    runner: RunnerDep,
    query: Annotated[str | None, Query(description="The SPARQL query.")] = None,
    default_graph_uri: Annotated[
        list[str] | None, Query(alias="default-graph-uri", description="The default graph(s).")
    ] = None,
    named_graph_uri: Annotated[
        list[str] | None, Query(alias="named-graph-uri", description="The named graphs.")
    ] = None,
    format: Annotated[str | None, Query(description="json, xml, csv, tsv, ttl, ...")] = None,
) -> Response:
    """Answer a query given in the URL."""
    if "update" in request.query_params:
        raise ReadOnlyError("this endpoint is read-only, and an update is never sent by GET")
    return await _answer(request, store, settings, runner, request.query_params, None)


@router.post(
    "/sparql",
    summary="Run a SPARQL query (POST)",
    description=DESCRIPTION,
    openapi_extra=POST_BODY,
)
async def sparql_post(
    request: Request, store: StoreDep, settings: SettingsDep, runner: RunnerDep
) -> Response:
    """Answer a query POSTed as a form or directly as application/sparql-query."""
    content_type = request.headers.get("content-type", "")
    media = content_type.split(";")[0].strip().lower()
    if media == UPDATE:
        raise ReadOnlyError("this endpoint is read-only: SPARQL Update is refused")
    if media not in (FORM, DIRECT):  # refused before a byte of the body is read
        return problem_response(
            request,
            415,
            f"a query is POSTed as {FORM} or {DIRECT}, not {media or 'a body without a type'}",
        )
    if media == FORM:
        form = await read_form(request, settings)
        if "update" in form:
            raise ReadOnlyError("this endpoint is read-only: the update was not run")
        params = QueryParams([*request.query_params.multi_items(), *_items(form)])
        return await _answer(request, store, settings, runner, params, None)
    text = decode_body(await request.body(), content_type)
    return await _answer(request, store, settings, runner, request.query_params, text)


async def read_form(request: Request, settings: Settings) -> dict[str, list[str]]:
    """The fields of a form body, at most KB_MAX_FORM_FIELDS of them (else 413)."""
    text = decode_body(await request.body(), request.headers.get("content-type", ""))
    try:
        return parse_qs(text, keep_blank_values=True, max_num_fields=settings.max_form_fields)
    except ValueError as exc:
        raise TooLargeError(
            f"the form has more than {settings.max_form_fields} fields (KB_MAX_FORM_FIELDS)"
        ) from exc


def _items(form: dict[str, list[str]]) -> list[tuple[str, str]]:
    return [(key, value) for key, values in form.items() for value in values]


async def _answer(
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    runner: RunnerDep,
    params: QueryParams,
    direct: str | None,
) -> Response:
    queries = params.getlist("query")
    if direct is not None:
        if queries:
            raise QueryError("the query is in the body: do not give a query parameter as well")
        queries = [direct]
    if len(queries) != 1:
        raise QueryError("give exactly one query" if queries else "no query given")
    dataset = Dataset(
        tuple(params.getlist("default-graph-uri")), tuple(params.getlist("named-graph-uri"))
    )
    cancel = threading.Event()
    answer, fmt = await runner(
        lambda: respond(
            store,
            queries[0],
            dataset=dataset,
            fmt=params.getlist("format"),
            accept=request.headers.get("accept"),
            row_cap=settings.row_cap,
            byte_cap=settings.answer_bytes,
            base_iri=str(request.url.replace(query="", fragment="")),
            cancel=cancel,
        ),
        cancel=cancel,
    )
    headers = {"Vary": "Accept"}
    if answer.truncated:
        headers["KB-Truncated"] = f"row-cap={settings.row_cap}"
    media = fmt.media_type
    if media.startswith("text/"):
        media += "; charset=utf-8"
    return Response(answer.data, media_type=media, headers=headers)
