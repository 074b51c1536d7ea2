"""The HTTP API: ``create_app(store, queries, settings)`` builds it; nothing happens on import.

Every route reads through the named queries (or, for ``/sparql``, runs the caller's query
read-only); every answer is an envelope (data, meta) and every error a problem-details
document. The serving process owns the embedded store.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from kb import __version__
from kb.api.negotiation import wants_page
from kb.graph.ontology import ensure_ontology
from kb.query.named import NamedQuery
from kb.query.registry import Registry
from kb.settings import Settings
from kb.store import OxigraphStore, Store

log = logging.getLogger(__name__)


SPARQL = "/sparql"


class KnowledgeBaseAPI(FastAPI):
    """FastAPI, with ``/sparql`` answered before the framework's own middleware and routing.

    Every request to the SPARQL endpoint is a query to run: the layers a route sits behind
    cost the server more than the rest of a short query's answer. So ``sparql`` (the
    endpoint with the limits a request body has, HEAD and CORS) takes it first, unless a
    browser asks for the editor, a page (``pages``).
    """

    sparql: ASGIApp | None = None
    pages: bool = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Hand a SPARQL protocol request to the endpoint, and anything else to FastAPI."""
        if (
            self.sparql is not None
            and scope["type"] == "http"
            and scope["path"] == SPARQL
            and not (self.pages and wants_page(scope))
        ):
            await self.sparql(scope, receive, send)
        else:
            await super().__call__(scope, receive, send)

    def openapi(self) -> dict[str, Any]:
        """FastAPI's OpenAPI document, with the SPARQL endpoint, which is no route, added."""
        if self.openapi_schema is None:
            from kb.api.routes.sparql import OPENAPI

            super().openapi()["paths"][SPARQL] = OPENAPI
        return super().openapi()


def create_app(
    store: Store,
    queries: Mapping[str, NamedQuery],
    settings: Settings,
    pages: APIRouter | None = None,
) -> FastAPI:
    """Build the API over a store and a set of named queries.

    Its start-up, when it begins to serve, brings the ontology of an embedded store up to
    date and starts filling the answer cache. ``pages`` (``kb.web``) are matched before the
    API's routes: a page route takes only a browser's request for a page. The OpenAPI
    document is at ``/openapi.json``; its browsable form at ``/docs`` is one of the pages, its
    assets served from the package (FastAPI's own would load them from a CDN).
    """
    from fastapi.middleware.cors import CORSMiddleware

    from kb.api.deps import Runner
    from kb.api.errors import install_problem_handlers
    from kb.api.middleware import AnswerCache, BodyLimit, HeadAsGet, SlashRedirect
    from kb.api.routes import admin, articles, cases, concepts, curation, graph, health
    from kb.api.routes import queries as queries_routes
    from kb.api.routes.sparql import SparqlEndpoint
    from kb.cases.similar import CaseIndexHolder

    pooled = isinstance(store, OxigraphStore) and store.path is not None and not store.read_only
    # With worker processes the pool stops a late query itself, and the threads only wait on
    # them: more threads let cheap requests through while late ones are being stopped.
    runner = (
        Runner(settings.query_workers * 4, settings.query_timeout + 2)
        if pooled
        else Runner(settings.query_workers, settings.query_timeout)
    )

    registry = Registry(store, queries)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if pooled:
            assert isinstance(store, OxigraphStore)
            store.start_readers(settings.query_workers, settings.query_timeout)
        if isinstance(store, OxigraphStore) and not store.read_only and ensure_ontology(store):
            # A store written by an older version gets the summaries the queries start from.
            log.warning("brought the store's ontology and article summaries up to date")
        # Answer the whole-graph questions once, so the first visitors find them cached.
        registry.warm_in_background()
        app.state.cases.warm_in_background()
        yield
        runner.close()
        if pooled:
            assert isinstance(store, OxigraphStore)
            store.stop_readers()

    app = KnowledgeBaseAPI(
        title="Tumoral calcinosis of the spine: knowledge base",
        version=__version__,
        description=(
            "Evidence read from PubMed abstracts about tumoral calcinosis of the spine: named "
            "queries, articles, concepts, the co-occurrence network, and a read-only SPARQL "
            "endpoint. Successful answers are {data, meta}; errors are RFC 9457 problem details."
        ),
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        redirect_slashes=False,  # SlashRedirect answers them, with a relative Location
    )
    app.state.store = store
    app.state.settings = settings
    app.state.registry = registry
    app.state.runner = runner
    app.state.cases = CaseIndexHolder(registry)
    install_problem_handlers(app)
    limits: dict[str, Any] = {"max_bytes": settings.max_body_bytes, "pause": settings.body_timeout}
    cors: dict[str, Any] = dict(allow_origins=settings.cors_origins, allow_methods=["GET", "POST"])
    # The SPARQL endpoint's own chain: the limits a body has, HEAD, and CORS if it is on. A
    # limit added to the middleware below, for the routes, belongs in this chain too.
    endpoint: ASGIApp = HeadAsGet(BodyLimit(SparqlEndpoint(store, settings, runner), **limits))
    app.sparql = CORSMiddleware(endpoint, **cors) if settings.cors_origins else endpoint
    app.pages = pages is not None
    app.add_middleware(BodyLimit, **limits)
    # Answers that depend only on the data, kept until the next write.
    app.add_middleware(
        AnswerCache,
        generation=lambda: store.generation,
        prefixes=("/articles", "/cases", "/concepts", "/queries", "/graph"),
    )
    app.add_middleware(HeadAsGet)
    app.add_middleware(SlashRedirect)
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, **cors)
    if pages is not None:
        app.include_router(pages)  # matched first: a page route takes only a browser's request
    app.include_router(health.router)
    app.include_router(queries_routes.router)
    app.include_router(queries_routes.query_router(app.state.registry))
    app.include_router(articles.router)
    app.include_router(cases.router)
    app.include_router(concepts.router)
    app.include_router(graph.router)
    app.include_router(curation.router)
    app.include_router(admin.router)
    app.include_router(admin.public)
    return app
