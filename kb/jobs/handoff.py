"""Where a refresh or a re-extraction runs: in the serving process, or here under the lock.

``kb refresh`` and ``kb reextract`` call ``submit_*``: when ``kb serve`` owns the store, the
job goes to its admin API (see ``kb.jobs.lock``); otherwise this process takes the refresh lock,
opens the store the settings name and runs it. The server's routes call ``run_*``, which take
the same lock around the same work.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import httpx

from kb.errors import KBError
from kb.jobs.lock import call_server, find_server, hold_lock, lock_path
from kb.jobs.reextract import ReextractRequest, reextract
from kb.jobs.refresh import RefreshRequest, refresh
from kb.jobs.runs import Run, close_interrupted, list_runs
from kb.jobs.write import Stopwatch
from kb.store import OxigraphStore, Store, opened_store

if TYPE_CHECKING:
    from datetime import datetime

    from ingest.eutils import EutilsClient
    from kb.extraction import Extractor
    from kb.settings import Settings

log = logging.getLogger(__name__)
T = TypeVar("T")


def refresh_with(
    store: Store,
    settings: Settings,
    request: RefreshRequest,
    *,
    client: EutilsClient | None = None,
    extractor: Extractor | None = None,
    clock: Callable[[], datetime] | None = None,
    stopwatch: Stopwatch | None = None,
) -> Run:
    """Refresh ``store`` as the settings and the request say (the caller holds the lock)."""
    from ingest.eutils import EutilsClient
    from kb.jobs.archive import RecordArchive

    with contextlib.ExitStack() as stack:
        if client is None:
            client = stack.enter_context(EutilsClient.from_settings(settings))
        return refresh(
            store,
            client,
            request.query or settings.topic_query,
            since=request.since,
            dry_run=request.dry_run,
            sweep=request.sweep,
            overlap_days=settings.refresh_overlap_days,
            sweep_days=settings.refresh_sweep_days,
            extractor=extractor,
            archive=RecordArchive(settings.records_dir),
            clock=clock,
            stopwatch=stopwatch,
        )


def run_refresh(store: Store, settings: Settings, request: RefreshRequest) -> Run:
    """Take the refresh lock, then refresh ``store`` (what the serving process runs)."""
    with hold_lock(lock_path(settings.home)):
        return refresh_with(store, settings, request)


def reextract_with(store: Store, settings: Settings, request: ReextractRequest) -> Run:
    """Re-extract from the archive under KB_HOME (the caller holds the lock)."""
    from kb.jobs.archive import RecordArchive

    return reextract(store, RecordArchive(settings.records_dir), request)


def run_reextract(store: Store, settings: Settings, request: ReextractRequest) -> Run:
    """Take the refresh lock, then re-extract (what the serving process runs)."""
    with hold_lock(lock_path(settings.home)):
        return reextract_with(store, settings, request)


def submit_refresh(settings: Settings, request: RefreshRequest) -> Run:
    """Refresh in the serving process if ``kb serve`` runs, else here (``kb refresh``)."""
    body = request.model_dump(mode="json")
    return _submit(settings, "refresh", body, lambda store: refresh_with(store, settings, request))


def submit_reextract(settings: Settings, request: ReextractRequest) -> Run:
    """Re-extract in the serving process if ``kb serve`` runs, else here (``kb reextract``)."""
    body = request.model_dump(mode="json")
    return _submit(
        settings, "reextract", body, lambda store: reextract_with(store, settings, request)
    )


def _submit(
    settings: Settings, job: str, body: dict[str, object], here: Callable[[Store], Run]
) -> Run:
    """Hand the job to ``kb serve`` when it owns the store; else lock, open the store, run."""
    return hand_off(settings, _token(settings), f"/admin/{job}", body, here, Run.model_validate)


def hand_off(
    settings: Settings,
    token: str | None,
    path: str,
    body: Mapping[str, object],
    here: Callable[[Store], T],
    parse: Callable[[Any], T],
) -> T:
    """Do work on the store where it is owned: in ``kb serve``, or here.

    When ``kb serve`` owns the store, ``body`` is POSTed to its ``path`` with ``token`` and the
    answer's ``data`` is read by ``parse``; otherwise this process takes the refresh lock,
    opens the store the settings name and returns ``here(store)``.
    """
    url = find_server(settings.home)
    if url is not None:
        log.info("kb serve runs at %s: handing it POST %s", url, path)
        return parse(call_server(url, token, "POST", path, dict(body)))
    with hold_lock(lock_path(settings.home)), opened_store(settings) as store:
        return here(store)


def read_runs(settings: Settings, limit: int = 20) -> list[Run]:
    """List the latest runs, from the store or from the server that alone holds it.

    The store is read where it lies (read-only while ``kb serve`` holds it); only a store
    the server keeps in its memory is listed through its public ``GET /runs``. No token is
    needed, and a store on disk is read without the server: a wedged one cannot hold it up.
    """
    local = settings.store or Path(settings.store_location).exists()
    url = None if local else find_server(settings.home, timeout=2.0)
    if url is not None:
        return fetch_runs(url, limit)
    with opened_store(settings, reading=True) as store:
        if not (isinstance(store, OxigraphStore) and store.read_only):
            close_interrupted(store)  # runs whose process died are failed, not running
        return list_runs(store, limit)


def fetch_runs(url: str, limit: int) -> list[Run]:
    """Ask the server at ``url`` for its latest runs; refuse an answer of any other shape."""
    try:
        answer = httpx.get(f"{url}/runs", params={"limit": limit}, timeout=10.0)
        answer.raise_for_status()
        return [Run.model_validate(row) for row in answer.json()["data"]]
    except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
        raise KBError(f"kb serve at {url} did not list its runs: {exc}") from exc


def _token(settings: Settings) -> str | None:
    return settings.admin_token.get_secret_value() if settings.admin_token else None
