"""Every page, in one router for ``create_app``; each module is one kind of page."""

from __future__ import annotations

from fastapi import APIRouter

from kb.web.pages import articles, cases, curation, home, queries, sparql

router = APIRouter(include_in_schema=False)
for module in (home, cases, articles, curation, queries, sparql):
    router.include_router(module.router)
router.include_router(sparql.plain)
router.include_router(curation.forms)
