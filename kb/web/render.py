"""The templates, and what every page tells about the data it shows."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from kb import __version__
from kb.cases.similar import CaseIndexHolder
from kb.extraction.extract import EXTRACTOR
from kb.query.registry import Registry

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"

templates = Jinja2Templates(directory=TEMPLATES)
templates.env.trim_blocks = True
templates.env.lstrip_blocks = True

Pairs = Sequence[tuple[str, str]]


def query_string(pairs: Iterable[tuple[str, object]]) -> str:
    """A URL query string from (name, value) pairs, empty values left out.

    >>> query_string([("region", "region/cervical"), ("present", "finding/a"), ("age", "")])
    '?region=region%2Fcervical&present=finding%2Fa'
    """
    given = [(k, str(v)) for k, v in pairs if v not in (None, "")]
    return "?" + urlencode(given) if given else ""


def cell_text(value: object) -> str:
    """A table cell as text: lists joined, booleans as yes or no, nothing as empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(cell_text(v) for v in value)
    return str(value)


templates.env.filters["cell"] = cell_text
templates.env.globals["query_string"] = query_string


def registry_of(request: Request) -> Registry:
    """The app's registry of named queries (``create_app`` put it in the state)."""
    registry: Registry = request.app.state.registry
    return registry


def cases_of(request: Request) -> CaseIndexHolder:
    """The app's case index holder."""
    holder: CaseIndexHolder = request.app.state.cases
    return holder


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any],
    queries: Sequence[str] = (),
    status: int = 200,
) -> HTMLResponse:
    """A page from its template, with what every page says about the data it shows.

    ``queries`` names the named queries the page was answered from: the footer gives each
    one's version (a digest of its text) beside the store's write generation.
    """
    registry = registry_of(request)
    versions = [(name, registry.get(name).version) for name in queries]
    about = {
        "request": request,
        "generation": registry.store.generation,
        "kb_version": __version__,
        "extractor": EXTRACTOR,
        "answered_by": versions,
    }
    response = templates.TemplateResponse(
        request, template, {**about, **context}, status_code=status
    )
    response.headers["Content-Security-Policy"] = CSP
    return response


# No page may load anything from another origin; the browser enforces it too.
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; connect-src 'self'; frame-ancestors 'self'"
)
