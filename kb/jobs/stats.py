"""What the store holds (``kb stats``): the ``counts`` and ``sizes`` named queries, and the runs."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from kb.jobs.runs import Run, last_run
from kb.models import Frozen
from kb.query.registry import Registry


class StoreStats(Frozen):
    """Counts of what the store holds, its last completed run and its latest run."""

    articles: int
    deleted: int
    retracted: int
    assertions: int
    claims: int
    concepts: int
    verdicts: int = Field(0, description="Curators' verdicts (kb curate history).")
    quads: int
    graphs: int
    last_completed: datetime | None = Field(
        None, description="When the last run that completed ended (``counts``'s last_run)."
    )
    last_run: Run | None = Field(None, description="The latest run, whatever its status.")


def get_stats(registry: Registry) -> StoreStats:
    """Answer ``counts`` and ``sizes`` and read the latest run, for ``kb stats``."""
    counts = registry.run("counts").rows[0]
    sizes = registry.run("sizes").rows[0]
    ended = counts.get("last_run")
    return StoreStats(
        **{k: v or 0 for k, v in {**counts, **sizes}.items() if k != "last_run"},
        last_completed=datetime.fromisoformat(str(ended)) if ended else None,
        last_run=last_run(registry.store),
    )
