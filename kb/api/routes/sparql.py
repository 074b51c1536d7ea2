"""The SPARQL 1.1 Protocol endpoint, read-only: GET and POST (form and direct).

Unlike the other resources, ``/sparql`` is a bare ASGI app (``SparqlEndpoint``), which the
app hands its requests to before FastAPI's own middleware and routing (``kb.api``): every
request to it is a query to run, and the layers around a route cost the server more than the
rest of a short query's answer. Its errors are the same problem documents; its OpenAPI
description is written out here (``OPENAPI``).
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import parse_qs, parse_qsl

from starlette.datastructures import URL
from starlette.requests import Request
from starlette.responses import Response

from kb.api.deps import Runner
from kb.api.errors import Problem, problem_for, problem_response
from kb.api.middleware import Receive, Scope, Send
from kb.errors import KBError, QueryError, ReadOnlyError, TooLargeError
from kb.query.protocol import Asked, Dataset, decode_body, respond_async
from kb.settings import Settings
from kb.store import Store

log = logging.getLogger(__name__)
FORM = "application/x-www-form-urlencoded"
DIRECT = "application/sparql-query"
UPDATE = "application/sparql-update"
METHODS = "GET, HEAD, POST"
Params = list[tuple[str, str]]


class SparqlEndpoint:
    """Answer a request to ``/sparql`` as the SPARQL 1.1 Protocol says (an ASGI app)."""

    def __init__(self, store: Store, settings: Settings, runner: Runner) -> None:
        self.store = store
        self.settings = settings
        self.runner = runner

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer a protocol request: its answer, or a problem document."""
        try:
            response = await self._answer(scope, receive)
        except KBError as exc:
            response = problem_for(Request(scope), exc)
        except Exception:
            log.exception("%s %s", scope["method"], scope["path"])
            detail = "an unexpected error; the server log has the details"
            response = problem_response(Request(scope), 500, detail)
        await response(scope, receive, send)

    async def _answer(self, scope: Scope, receive: Receive) -> Response:
        query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        method = scope["method"]
        if method == "GET":
            if any(key == "update" for key, _ in query):
                raise ReadOnlyError("this endpoint is read-only; an update is never sent by GET")
            return await self._run(scope, query, None)
        if method != "POST":
            detail = f"{method} is not an operation of the SPARQL protocol"
            return problem_response(Request(scope), 405, detail, headers={"Allow": METHODS})
        content_type = _header(scope, b"content-type")
        media = content_type.split(";")[0].strip().lower()
        if media == UPDATE:
            raise ReadOnlyError("this endpoint is read-only: SPARQL Update is refused")
        if media not in (FORM, DIRECT):  # refused before a byte of the body is read
            kind = media or "a body without a type"
            detail = f"a query is POSTed as {FORM} or {DIRECT}, not {kind}"
            return problem_response(Request(scope), 415, detail)
        text = decode_body(await _body(receive), content_type)
        if media == DIRECT:
            return await self._run(scope, query, text)
        form = parse_form(text, self.settings.max_form_fields)
        if "update" in form:
            raise ReadOnlyError("this endpoint is read-only: the update was not run")
        return await self._run(scope, [*query, *_items(form)], None)

    async def _run(self, scope: Scope, params: Params, direct: str | None) -> Response:
        """Run the one query the request gives, and write its answer as the client asks."""
        queries = _all(params, "query")
        if direct is not None:
            if queries:
                raise QueryError("the query is in the body: do not give a query parameter as well")
            queries = [direct]
        if len(queries) != 1:
            raise QueryError("give exactly one query" if queries else "no query given")
        settings = self.settings
        asked = Asked(
            queries[0],
            row_cap=settings.row_cap,
            byte_cap=settings.answer_bytes,
            dataset=Dataset(
                tuple(_all(params, "default-graph-uri")), tuple(_all(params, "named-graph-uri"))
            ),
            fmt=_all(params, "format"),
            accept=_header(scope, b"accept") or None,
            base_iri=str(URL(scope={**scope, "query_string": b""})),  # the endpoint's own
        )
        answer, fmt = await respond_async(self.store, asked, self.runner)
        headers = {"Vary": "Accept"}
        if answer.truncated:
            headers["KB-Truncated"] = f"row-cap={settings.row_cap}"
        media = fmt.media_type
        if media.startswith("text/"):
            media += "; charset=utf-8"
        return Response(answer.data, media_type=media, headers=headers)


def _all(params: Params, key: str) -> list[str]:
    return [value for name, value in params if name == key]


def _items(form: dict[str, list[str]]) -> Params:
    return [(key, value) for key, values in form.items() for value in values]


def _header(scope: Scope, name: bytes) -> str:
    return next((v for k, v in scope["headers"] if k == name), b"").decode("latin-1")


async def _body(receive: Receive) -> bytes:
    """The whole request body (``BodyLimit`` bounds it while it is read)."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise QueryError("the client went away before its query had arrived")
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def parse_form(text: str, max_fields: int) -> dict[str, list[str]]:
    """The fields of a form body, at most ``max_fields`` of them (else 413)."""
    try:
        return parse_qs(text, keep_blank_values=True, max_num_fields=max_fields)
    except ValueError as exc:
        raise TooLargeError(
            f"the form has more than {max_fields} fields (KB_MAX_FORM_FIELDS)"
        ) from exc


async def read_form(request: Request, settings: Settings) -> dict[str, list[str]]:
    """The fields of a request's form body, at most KB_MAX_FORM_FIELDS of them (else 413)."""
    text = decode_body(await request.body(), request.headers.get("content-type", ""))
    return parse_form(text, settings.max_form_fields)


# --- the OpenAPI description -----------------------------------------------------------------

DESCRIPTION = """The SPARQL 1.1 Protocol, read-only. The default graph is the union of the named
graphs unless `default-graph-uri`/`named-graph-uri` (or the query's FROM) say otherwise. Answers
are chosen by `Accept` (q-values honoured) or `format`: SELECT as json, xml, csv, tsv; ASK as
json, xml; CONSTRUCT/DESCRIBE as ttl, nt, jsonld, rdf. Updates, LOAD and SERVICE are refused
(400). A query runs at most KB_QUERY_TIMEOUT seconds (then 503) and carries at most KB_ROW_CAP
rows; a cut answer says so in the `KB-Truncated` header and, in JSON and XML, in the answer's
head (a `link` to https://w3id.org/tckb/problem/truncated). Bodies are limited to
KB_MAX_BODY_BYTES (413 past it), forms to KB_MAX_FORM_FIELDS fields."""

_STRING = {"type": "string"}
_STRINGS = {"type": "array", "items": _STRING}
_FIELDS = {  # what a form or a query string may give: its schema, and what it is
    "query": (_STRING, "The SPARQL query."),
    "default-graph-uri": (_STRINGS, "The default graph(s)."),
    "named-graph-uri": (_STRINGS, "The named graphs."),
}
_FORMAT = {
    "name": "format",
    "in": "query",
    "description": "json, xml, csv, tsv, ttl, nt, jsonld, rdf (else Accept decides)",
    "schema": _STRING,
}
_ANSWERS = (
    "application/sparql-results+json",
    "application/sparql-results+xml",
    "text/csv",
    "text/tab-separated-values",
    "text/turtle",
    "application/n-triples",
    "application/ld+json",
    "application/rdf+xml",
)
_REFUSALS = {
    "400": "Not a query; an update or SERVICE; or a query the engine cannot parse",
    "406": "No accepted format can carry this kind of answer",
    "408": "The body stopped coming for KB_BODY_TIMEOUT seconds",
    "413": "The body is past KB_MAX_BODY_BYTES, or the form has too many fields",
    "415": "A body that is neither a form nor a SPARQL query",
    "503": "The query ran past KB_QUERY_TIMEOUT",
}


def _operation(summary: str, method: str, **extra: Any) -> dict[str, Any]:
    problem = {"application/problem+json": {"schema": Problem.model_json_schema()}}
    return {
        "tags": ["sparql"],
        "summary": summary,
        "description": DESCRIPTION,
        "operationId": f"sparql_{method}",
        "responses": {
            "200": {
                "description": "The answer, in the format asked for",
                "content": {media: {"schema": {}} for media in _ANSWERS},
            },
            **{code: {"description": why, "content": problem} for code, why in _REFUSALS.items()},
        },
        **extra,
    }


#: The path item ``create_app`` adds to the OpenAPI document for ``/sparql``.
OPENAPI: dict[str, Any] = {
    "get": _operation(
        "Run a SPARQL query (GET)",
        "get",
        parameters=[
            *(
                {"name": name, "in": "query", "description": about, "schema": schema}
                for name, (schema, about) in _FIELDS.items()
            ),
            _FORMAT,
        ],
    ),
    "post": _operation(
        "Run a SPARQL query (POST)",
        "post",
        parameters=[_FORMAT],
        requestBody={
            "required": True,
            "content": {
                FORM: {
                    "schema": {
                        "type": "object",
                        "properties": {name: schema for name, (schema, _) in _FIELDS.items()},
                        "required": ["query"],
                    }
                },
                DIRECT: {"schema": _STRING},
            },
        },
    ),
}
