"""Curation: verdicts on assertions, written by named curators, read by anyone.

``POST /curations`` needs ``Authorization: Bearer <token>`` where the token is one of
``KB_CURATORS``: none is 401, an unknown one 403, and nothing is written. The verdict lands with
its article re-mapped, under the refresh lock, so a refresh never interleaves with it.
``GET /curations`` and ``GET /curation/orphans`` are open, like every read.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import Field

from kb.api.deps import RunnerDep, SettingsDep, StoreDep
from kb.api.models import Envelope
from kb.curation import CASE_PATTERN, Curator, PairVerdict, Verdict
from kb.jobs.curate import (
    CurationRequest,
    HistoryEntry,
    Imported,
    ImportRequest,
    Reader,
    history,
    import_verdicts,
    orphans,
    record,
    record_pair,
)
from kb.jobs.lock import hold_lock, lock_path
from kb.models import PMID_PATTERN, Frozen
from kb.settings import Settings
from kb.store import Store

_bearer = HTTPBearer(auto_error=False, description="A curator's token (KB_CURATORS)")


def curator_for(settings: Settings, token: str | None) -> Curator:
    """The curator a token names; 401 without a token, 403 for one no curator holds."""
    if not token:
        raise HTTPException(
            401,
            "curating needs Authorization: Bearer <a curator's token of KB_CURATORS>",
            headers={"WWW-Authenticate": 'Bearer realm="kb-curation"'},
        )
    found = settings.curator_of(token)
    if found is None:
        raise HTTPException(403, "no curator holds this token (KB_CURATORS)")
    return Curator(name=found.name, orcid=found.orcid)


async def require_curator(
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Curator:
    """Let the request through only with a curator's bearer token; say who they are."""
    return curator_for(settings, credentials.credentials if credentials else None)


CuratorDep = Annotated[Curator, Depends(require_curator)]


class Curations(Frozen):
    """One verdict, or several given together (all written, or none)."""

    verdicts: tuple[CurationRequest, ...] = Field(min_length=1, max_length=500)


def write_verdicts(
    store: Store, settings: Settings, requests: tuple[CurationRequest, ...], curator: Curator
) -> list[Verdict]:
    """Record verdicts under the refresh lock (what the route and the page forms run)."""
    with hold_lock(lock_path(settings.home)):
        return record(store, Reader.at(settings.records_dir), requests, curator)


router = APIRouter(tags=["curation"])


@router.post(
    "/curations",
    summary="Accept, reject, correct or add assertions",
    status_code=201,
    response_model=Envelope[list[Verdict]],
    responses={
        401: {"description": "No curator token."},
        403: {"description": "A token no curator holds."},
        404: {"description": "No such article, or no assertion with that key in it."},
        409: {"description": "A refresh or re-extraction is running; try again."},
    },
)
def post_curations(
    request: Request,
    body: CurationRequest | Curations,
    store: StoreDep,
    settings: SettingsDep,
    curator: CuratorDep,
) -> Envelope[list[Verdict]]:
    """Record verdicts as the token's curator; answer them as recorded."""
    requests = body.verdicts if isinstance(body, Curations) else (body,)
    made = write_verdicts(store, settings, requests, curator)
    request.app.state.registry.warm_in_background()
    return Envelope(data=made)


@router.get(
    "/curations",
    summary="The verdicts, with their history: current, superseded or orphaned",
    response_model=Envelope[list[HistoryEntry]],
)
async def get_curations(
    store: StoreDep,
    runner: RunnerDep,
    pmid: Annotated[
        str | None, Query(pattern=PMID_PATTERN, description="Only those on this article.")
    ] = None,
) -> Envelope[list[HistoryEntry]]:
    """Every verdict (on one article, if asked), oldest first."""
    return Envelope(data=await runner(history, store, pmid))


@router.get(
    "/curation/orphans",
    summary="Verdicts whose assertion has gone from the store",
    response_model=Envelope[list[HistoryEntry]],
)
async def get_orphans(store: StoreDep, runner: RunnerDep) -> Envelope[list[HistoryEntry]]:
    """The orphan queue: each target's last verdict, where the target no longer is."""
    return Envelope(data=await runner(orphans, store))


@router.post(
    "/curations/import",
    summary="Import verdicts exported by kb curate export (TriG or JSON-LD)",
    response_model=Envelope[Imported],
    responses={401: {"description": "No curator token."}, 403: {"description": "Wrong token."}},
)
def post_import(
    request: Request, body: ImportRequest, store: StoreDep, settings: SettingsDep, _: CuratorDep
) -> Envelope[Imported]:
    """Add the verdicts of the file that this store lacks; importing twice changes nothing."""
    with hold_lock(lock_path(settings.home)):
        reader = Reader.at(settings.records_dir)
        done = import_verdicts(store, reader, body.data.encode("utf-8"), body.format)
    request.app.state.registry.warm_in_background()
    return Envelope(data=done)


class PairRequest(Frozen):
    """Whether two cases flagged (or not) as one patient published twice are one patient."""

    cases: tuple[
        Annotated[str, Field(pattern=CASE_PATTERN)], Annotated[str, Field(pattern=CASE_PATTERN)]
    ] = Field(description="The two cases' ids, e.g. 77000002-1.")
    same: bool = Field(description="True: one patient published twice; false: two patients.")
    note: str | None = Field(None, max_length=2000)


def write_pair(
    store: Store, settings: Settings, body: PairRequest, curator: Curator
) -> PairVerdict:
    """Judge a pair of cases under the refresh lock (what the route and the page form run)."""
    with hold_lock(lock_path(settings.home)):
        return record_pair(store, body.cases, body.same, curator, body.note)


@router.post(
    "/curations/duplicates",
    summary="Say whether two cases are one patient published twice",
    status_code=201,
    response_model=Envelope[PairVerdict],
    responses={
        401: {"description": "No curator token."},
        403: {"description": "A token no curator holds."},
        404: {"description": "No such case."},
    },
)
def post_pair(
    request: Request, body: PairRequest, store: StoreDep, settings: SettingsDep, curator: CuratorDep
) -> Envelope[PairVerdict]:
    """Confirm a duplicate flag (same: true), refute it (false), or flag a pair by hand."""
    made = write_pair(store, settings, body, curator)
    request.app.state.registry.warm_in_background()
    return Envelope(data=made)
