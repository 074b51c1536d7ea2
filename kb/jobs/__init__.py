"""Jobs that write the store and the record of each: ingest, refresh, re-extraction.

``write`` is the one write path they share, ``runs`` the one run model and its record,
``ingest``, ``refresh`` and ``reextract`` the jobs, ``archive`` the records kept for
re-extraction, ``lock`` the refresh lock and the running server's file, ``handoff`` where a
job runs (in ``kb serve`` or here), ``stats`` what the store holds.
"""

from __future__ import annotations

from kb.jobs.ingest import ingest_records
from kb.jobs.reextract import ReextractRequest, reextract
from kb.jobs.refresh import RefreshRequest, refresh
from kb.jobs.runs import Run, list_runs, read_run

__all__ = [
    "ReextractRequest",
    "RefreshRequest",
    "Run",
    "ingest_records",
    "list_runs",
    "read_run",
    "reextract",
    "refresh",
]
