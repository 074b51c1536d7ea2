"""Health: the store answers, what it holds, when a run last completed."""

from __future__ import annotations

from fastapi import APIRouter

from kb.api.deps import RegistryDep, RunnerDep, StoreDep
from kb.api.models import Envelope, Health
from kb.errors import StoreError

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
