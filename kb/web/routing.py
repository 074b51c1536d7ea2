"""Which requests get a page: browsers asking for HTML, never programs asking for data.

A page shares its path with the API's answer (``/cases``, ``/articles/{pmid}``): its route
matches only a GET whose Accept header prefers ``text/html`` and that asks for no ``format``,
so ``curl``, ``httpx`` and ``?format=csv`` links keep getting data.
"""

from __future__ import annotations

from urllib.parse import parse_qs

from fastapi.routing import APIRoute
from starlette.routing import Match
from starlette.types import Scope


def prefers_html(accept: str) -> bool:
    """Whether an Accept header ranks ``text/html`` above every other type it names.

    >>> prefers_html("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
    True
    >>> prefers_html("*/*"), prefers_html("application/json"), prefers_html("")
    (False, False, False)
    >>> prefers_html("application/json, text/html;q=0.5")
    False
    """
    html, other = 0.0, 0.0
    for part in accept.split(","):
        media, *options = (p.strip() for p in part.split(";"))
        q = 1.0
        for option in options:
            key, _, value = option.partition("=")
            if key.strip() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if media == "text/html":
            html = max(html, q)
        elif media and media not in ("application/xhtml+xml", "*/*", "text/*"):
            other = max(other, q)
    return html > 0 and html >= other


def wants_page(scope: Scope) -> bool:
    """Whether an HTTP request is a browser's for a page (see the module's docstring)."""
    if scope.get("method") not in ("GET", "HEAD"):
        return False
    accept = next((v for k, v in scope.get("headers", ()) if k == b"accept"), b"")
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    return "format" not in query and prefers_html(accept.decode("latin-1"))


class PageRoute(APIRoute):
    """A route that matches only when ``wants_page``: the API's route answers the rest."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        """Match as a route does, but only a browser's request for a page."""
        if scope["type"] == "http" and not wants_page(scope):
            return Match.NONE, {}
        return super().matches(scope)
