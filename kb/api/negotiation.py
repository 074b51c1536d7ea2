"""Which requests want a page: browsers asking for HTML, never programs asking for data.

A page shares its path with the API's answer (``/cases``, ``/articles/{pmid}``, ``/sparql``):
only a GET whose Accept header prefers ``text/html`` and that asks for no ``format`` gets it,
so ``curl``, ``httpx``, SPARQL clients and ``?format=csv`` links keep getting data. The pages
(``kb.web.routing``) and the SPARQL endpoint ask the same question here.
"""

from __future__ import annotations

from urllib.parse import parse_qs

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
