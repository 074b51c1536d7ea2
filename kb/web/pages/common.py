"""What the page modules share: routers, the app's parts, and refusals shown as pages."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import wraps
from http import HTTPStatus
from typing import Any, ParamSpec

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse
from starlette.exceptions import HTTPException
from starlette.responses import Response

from kb.api.errors import http_problem, validation_problem
from kb.api.negotiation import wants_page
from kb.errors import ParameterError, QueryError
from kb.web.render import render
from kb.web.routing import PageRoute

P = ParamSpec("P")


def page_router() -> APIRouter:
    """A router whose routes answer only a browser's request for a page."""
    return APIRouter(route_class=PageRoute, include_in_schema=False)


def refusals_as_pages(
    handler: Callable[P, Awaitable[HTMLResponse]],
) -> Callable[P, Awaitable[HTMLResponse]]:
    """Show a refused parameter or query as a page saying what was wrong (400), not JSON."""

    @wraps(handler)
    async def page(*args: P.args, **kwargs: P.kwargs) -> HTMLResponse:
        try:
            return await handler(*args, **kwargs)
        except (ParameterError, QueryError) as exc:
            request = kwargs.get("request")
            assert isinstance(request, Request)
            return refused(request, str(exc))

    return page


def refused(request: Request, reason: str, status: int = 400) -> HTMLResponse:
    """A page saying what was refused and why."""
    return render(request, "refused.html", {"reason": reason, "status": status}, status=status)


def not_found(request: Request, what: str) -> HTMLResponse:
    """A 404 page."""
    return refused(request, what, 404)


def given(values: dict[str, Any]) -> dict[str, Any]:
    """The parameters with a value (empty strings and lists dropped)."""
    return {k: v for k, v in values.items() if v not in (None, "", [])}


def errors_as_pages(app: FastAPI) -> None:
    """Answer a browser's refused or missing page with a page; programs keep problem JSON."""

    async def http_error(request: Request, exc: Exception) -> Response:
        if not (isinstance(exc, HTTPException) and wants_page(request.scope)):
            return await http_problem(request, exc)
        status = exc.status_code
        reason = exc.detail if isinstance(exc.detail, str) else HTTPStatus(status).phrase
        if status == 404 and reason == HTTPStatus.NOT_FOUND.phrase:
            reason = f"There is no page at {request.url.path}."
        return refused(request, reason, status)

    async def invalid(request: Request, exc: Exception) -> Response:
        if not (isinstance(exc, RequestValidationError) and wants_page(request.scope)):
            return await validation_problem(request, exc)
        parts = [f"{e['loc'][-1]}: {e['msg']}" for e in exc.errors()]
        return refused(request, "; ".join(parts), 422)

    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(RequestValidationError, invalid)
