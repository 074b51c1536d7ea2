"""The pages for people: the knowledge base in a browser, from the same origin as the API.

``create_site`` is the API (``kb.api.create_app``) with its pages in front: a browser asking
for ``/cases`` gets the case browser, a program the JSON (``kb.api.negotiation``). Pages are
rendered on the server from the same named queries as the API and the CLI (``kb.web.pages``),
with Jinja2 templates and as little JavaScript as they need; third-party front-end files come
from the npm registry at pinned versions (``scripts/vendor_frontend.py``) and are served from
the package, so that no page loads anything from another origin.
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import FastAPI

from kb.query.named import NamedQuery
from kb.settings import Settings
from kb.store import Store


def create_site(store: Store, queries: Mapping[str, NamedQuery], settings: Settings) -> FastAPI:
    """The API over a store, with the pages and their static files."""
    from fastapi.staticfiles import StaticFiles

    from kb.api import create_app
    from kb.web.pages import router
    from kb.web.pages.common import errors_as_pages
    from kb.web.render import STATIC

    app = create_app(store, queries, settings, pages=router)
    errors_as_pages(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app
