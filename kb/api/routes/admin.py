"""Admin: run a refresh or a re-extraction in the serving process, which owns the store.

``kb refresh`` and ``kb reextract`` come here when ``kb serve`` runs (see ``kb.jobs.lock``). Every
route needs ``Authorization: Bearer <KB_ADMIN_TOKEN>``: none is 401, a wrong one (or a server
with no token set) 403. A job runs in a worker thread, under the same lock as the CLI's, while
readers go on; the answer comes when it is done.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from kb.api.deps import RunnerDep, SettingsDep, StoreDep
from kb.api.models import Envelope
from kb.jobs.handoff import run_reextract, run_refresh
from kb.jobs.reextract import ReextractRequest
from kb.jobs.refresh import RefreshRequest
from kb.jobs.runs import Run, list_runs
from kb.query.registry import Registry

_bearer = HTTPBearer(auto_error=False, description="KB_ADMIN_TOKEN")


async def require_admin(
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """Let the request through only with the admin bearer token."""
    if credentials is None or not credentials.credentials:
        raise HTTPException(
            401,
            "the admin endpoints need Authorization: Bearer <KB_ADMIN_TOKEN>",
            headers={"WWW-Authenticate": 'Bearer realm="kb-admin"'},
        )
    expected = settings.admin_token.get_secret_value() if settings.admin_token else ""
    given = credentials.credentials.encode("utf-8")
    if not expected or not secrets.compare_digest(given, expected.encode("utf-8")):
        raise HTTPException(403, "the admin token is wrong (or KB_ADMIN_TOKEN is not set here)")


router = APIRouter(prefix="/admin", tags=["admin"], dependencies=[Depends(require_admin)])
JOB_RESPONSES: dict[int | str, dict[str, object]] = {
    409: {"description": "Another refresh or re-extraction is running."},
    502: {"description": "E-utilities failed past the retries; the run is recorded failed."},
}


def _job(request: Request, work: Callable[[], Run]) -> Envelope[Run]:
    """Run a job and answer its record; its errors answer as problem details.

    A job that wrote has emptied the answer cache: the questions without parameters are
    answered again at once, so that the first visitors after it do not wait for them.
    """
    registry: Registry = request.app.state.registry
    before = registry.store.generation
    try:  # LockedError answers 409, EutilsError 502 (the run is recorded failed)
        return Envelope(data=work())
    finally:
        if registry.store.generation != before:
            registry.warm_in_background()


@router.post(
    "/refresh",
    summary="Bring the store up to date with PubMed",
    response_model=Envelope[Run],
    responses=JOB_RESPONSES,
)
def refresh(
    request: Request, body: RefreshRequest, store: StoreDep, settings: SettingsDep
) -> Envelope[Run]:
    """Run ``kb refresh`` here and answer its run record when it ends."""
    return _job(request, lambda: run_refresh(store, settings, body))


@router.post(
    "/reextract",
    summary="Run the current extractor over the stored articles again",
    response_model=Envelope[Run],
    responses=JOB_RESPONSES,
)
def reextract(
    request: Request, body: ReextractRequest, store: StoreDep, settings: SettingsDep
) -> Envelope[Run]:
    """Run ``kb reextract`` here and answer its run record when it ends."""
    return _job(request, lambda: run_reextract(store, settings, body))


@router.get("/runs", summary="The latest runs, newest first", response_model=Envelope[list[Run]])
def admin_runs(
    store: StoreDep, limit: Annotated[int, Query(ge=1, le=1000, description="How many.")] = 20
) -> Envelope[list[Run]]:
    """List the runs of the runs graph, as ``GET /runs`` does."""
    return Envelope(data=list_runs(store, limit))


public = APIRouter(tags=["admin"])


@public.get("/runs", summary="The latest runs, newest first", response_model=Envelope[list[Run]])
async def runs(
    store: StoreDep,
    runner: RunnerDep,
    limit: Annotated[int, Query(ge=1, le=1000, description="How many.")] = 20,
) -> Envelope[list[Run]]:
    """List the runs of the runs graph (``kb runs``): no token, the graph is public anyway."""
    return Envelope(data=await runner(list_runs, store, limit))
