"""One JSON shape for every error (RFC 9457 problem details), set once by exception handlers."""

from __future__ import annotations

import logging
from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from kb.errors import KBError, ParameterError
from kb.iris import problem_iri

log = logging.getLogger(__name__)
PROBLEM_JSON = "application/problem+json"


class Problem(BaseModel):
    """What went wrong, for people and programs (RFC 9457)."""

    type: str = Field("about:blank", description="What kind of problem: a URI.")
    title: str = Field(description="A short summary of the kind of problem.")
    status: int = Field(description="The HTTP status code.")
    detail: str | None = Field(None, description="What went wrong this time, and where.")
    instance: str | None = Field(None, description="The request path that met the problem.")
    parameter: str | None = Field(None, description="The refused parameter, if one was.")


def problem_response(
    request: Request,
    status: int,
    detail: str | None,
    *,
    title: str | None = None,
    kind: str | None = None,
    parameter: str | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """Write one problem-details response."""
    problem = Problem(
        type=problem_iri(kind).value if kind else "about:blank",
        title=title or HTTPStatus(status).phrase,
        status=status,
        detail=detail,
        instance=request.url.path,
        parameter=parameter,
    )
    return JSONResponse(
        problem.model_dump(exclude_none=True),
        status_code=status,
        media_type=PROBLEM_JSON,
        headers=headers,
    )


async def _kb_error(request: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, KBError):
        raise exc  # not a KBError: the catch-all below answers
    return problem_for(request, exc)


def problem_for(request: Request, exc: KBError) -> JSONResponse:
    """The problem document of an error the knowledge base reports on purpose."""
    if exc.http_status >= 500:
        log.error("%s %s: %s", request.method, request.url.path, exc)
    parameter = exc.name if isinstance(exc, ParameterError) else None
    return problem_response(
        request, exc.http_status, str(exc), title=exc.title, kind=exc.kind, parameter=parameter
    )


async def http_problem(request: Request, exc: Exception) -> JSONResponse:
    """An HTTP error (a 404, a 405, a refused body) as a problem document."""
    assert isinstance(exc, HTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else None
    headers = dict(exc.headers) if exc.headers else None
    return problem_response(request, exc.status_code, detail, headers=headers)


async def validation_problem(request: Request, exc: Exception) -> JSONResponse:
    """A request its route's parameters refused, as a problem document naming the parameter."""
    assert isinstance(exc, RequestValidationError)
    parts = [
        f"{'.'.join(str(p) for p in e['loc'][1:]) or e['loc'][0]}: {e['msg']}" for e in exc.errors()
    ]
    first: tuple[object, ...] = tuple(exc.errors()[0]["loc"]) if exc.errors() else ()
    return problem_response(
        request,
        422,
        "; ".join(parts),
        title="Invalid request",
        kind="invalid-request",
        parameter=str(first[-1]) if len(first) > 1 else None,
    )


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    # Starlette re-raises after answering, so the server logs the traceback once.
    return problem_response(request, 500, "an unexpected error; the server log has the details")


def install_problem_handlers(app: FastAPI) -> None:
    """Make every error the app answers a problem-details document."""
    app.add_exception_handler(KBError, _kb_error)
    app.add_exception_handler(HTTPException, http_problem)
    app.add_exception_handler(RequestValidationError, validation_problem)
    app.add_exception_handler(Exception, _unexpected)
