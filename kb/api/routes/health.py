"""Health and about: the store answers, what it holds, what reads it and how well."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query

from kb import __version__
from kb.api.deps import RegistryDep, RunnerDep, SettingsDep, StoreDep
from kb.api.models import About, Envelope, Health
from kb.errors import StoreError
from kb.jobs.lock import prove, read_server_record, this_process

router = APIRouter(tags=["health"])


def _probe(store: StoreDep) -> None:
    try:
        store.query("ASK {}")
    except Exception as exc:
        raise StoreError(f"the store does not answer: {exc}") from exc


@router.get("/health", summary="Whether the store answers, its counts and last completed run")
async def health(store: StoreDep, registry: RegistryDep, runner: RunnerDep) -> Envelope[Health]:
    """Ask the store a trivial question, then the ``counts`` query (503 when it fails)."""
    await runner(_probe, store)
    counts = await runner(registry.run, "counts")
    row = counts.rows[0] if counts.rows else {}
    return Envelope(
        data=Health(status="ok", store="reachable", generation=store.generation, counts=row)
    )


@router.get("/about", summary="The version, the extractor, and its measured quality")
async def about() -> Envelope[About]:
    """What reads the articles, and its first-read scores on abstracts it was not tuned to."""
    from kb.extraction.extract import EXTRACTOR
    from kb.extraction.quality import measured_quality

    return Envelope(
        data=About(version=__version__, extractor=EXTRACTOR, extraction_quality=measured_quality())
    )


@router.get("/instance", summary="Prove that this is the server KB_HOME/serve.json names")
def instance(
    settings: SettingsDep,
    challenge: Annotated[
        str, Query(min_length=16, max_length=128, description="A fresh random string.")
    ],
) -> Envelope[dict[str, str]]:
    """Answer a client's challenge with the secret of ``serve.json`` (``kb.jobs.lock.prove``).

    A client sends its admin token only to a server that answers right: a program that took
    the port of a server that died cannot.
    """
    record = read_server_record(settings.home)
    if record is None or record.process != this_process():
        raise HTTPException(404, "this server is not the one KB_HOME/serve.json announces")
    return Envelope(data={"proof": prove(record.instance, challenge)})
