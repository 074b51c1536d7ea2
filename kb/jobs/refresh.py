"""The periodic refresh: bring the store up to date with PubMed without losing a record.

A refresh searches entry-date and modification-date windows from the watermark of the query's
last completed run (everything, the first time), fetches the PMIDs found by id a batch at a
time, writes each new or changed article's graph whole (one transaction a batch) and records
the run, whose watermark commits with its "completed" status: a failed or killed run leaves
it where it was, and re-doing a window is safe. Withdrawn records are found by sweeps, which
ask efetch for the stored PMIDs the query no longer lists. deploy/README.md gives the whole
design and its failure cases; ontology/README.md the shape of the run record.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Literal

from kb.extraction import Extractor, default_extractor
from kb.graph.ontology import ensure_ontology
from kb.jobs.runs import (
    Run,
    Tally,
    close_interrupted,
    new_run_id,
    now_utc,
    read_refresh_state,
    recording,
    write_run,
)
from kb.jobs.write import (
    Stopwatch,
    Stored,
    flag_duplicate_cases,
    mark_deleted,
    stored_pmids,
    stored_states,
    write_articles,
)
from kb.models import Article, Frozen, Rejection
from kb.store import Store

if TYPE_CHECKING:
    from ingest.eutils import EutilsClient
    from kb.jobs.archive import RecordArchive

log = logging.getLogger(__name__)

Change = Literal["new", "updated", "unchanged", "superseded"]


class RefreshRequest(Frozen):
    """What to refresh: the CLI's options, and the body of ``POST /admin/refresh``."""

    query: str | None = None
    since: date | None = None
    dry_run: bool = False
    sweep: bool | None = None


def classify(article: Article, known: Stored | None) -> Change:
    """Say what a fetched record is to the store: new, updated, unchanged or superseded.

    A record marked deleted in the store is updated (PubMed serves it again); a change of
    extractor alone is left to ``kb reextract``.
    """
    if known is None:
        return "new"
    if known.version > article.version:
        return "superseded"
    if known.content_hash == article.content_hash and not known.deleted:
        return "unchanged"
    return "updated"


def window_start(watermark: date | None, since: date | None, overlap_days: int) -> date | None:
    """The first day to search from; None when everything the query finds is wanted."""
    if since is not None:
        return since
    return watermark - timedelta(days=overlap_days) if watermark else None


def reaches_watermark(watermark: date | None, start: date | None) -> bool:
    """True when a window starting at ``start`` covers all since ``watermark`` (it may move)."""
    if watermark is None:
        return start is None
    return start is None or start <= watermark


def sweep_due(last_sweep: date | None, today: date, every_days: int) -> bool:
    """True when the last sweep is ``every_days`` old or more, or never happened."""
    return last_sweep is None or (today - last_sweep).days >= every_days


# --- one run ----------------------------------------------------------------------------------


@dataclass
class _Job:
    """A refresh under way: what it reads and writes, and what it has found so far."""

    store: Store
    extractor: Extractor
    archive: RecordArchive | None
    dry_run: bool
    watch: Stopwatch
    tally: Tally
    missing: list[str] = field(default_factory=list)

    def apply(self, asked: Sequence[str], records: Sequence[object], final: bool) -> None:
        """Compare one batch of fetched records with the store and write what changed.

        PMIDs asked for but not returned as articles go to ``missing`` (to be asked again),
        or, on the ``final`` asking, are rejected and kept pending.
        """
        articles: dict[str, Article] = {}
        for record in records:
            if isinstance(record, Article) and record.pmid in asked:
                earlier = articles.get(record.pmid)
                if earlier is None or earlier.version <= record.version:
                    articles[record.pmid] = record
            elif isinstance(record, Rejection) and final:
                self.tally.errors.append(f"{record.file}: {record.where}: {record.reason}")
        self.tally.count("records", len(articles))
        for pmid in asked:
            if pmid in articles:
                continue
            if final:
                self.tally.reject(pmid, f"PMID {pmid}: efetch returns a record that cannot be read")
            else:
                self.missing.append(pmid)
        with self.watch.stage("compare"):
            known = stored_states(self.store, list(articles))
        changes = {pmid: classify(article, known.get(pmid)) for pmid, article in articles.items()}
        for pmid, change in changes.items():
            if change in ("unchanged", "superseded"):
                self.tally.count(change)
                if change == "unchanged" and not self.dry_run:
                    self.keep(articles[pmid])  # heal an archive that lacks a stored record
        todo = [articles[p] for p, change in changes.items() if change in ("new", "updated")]
        written = [a.pmid for a in todo] if self.dry_run else []
        size = self.store.batch_size  # a transaction each (a remote store takes one article)
        for start in range(0, 0 if self.dry_run else len(todo), size):
            written += write_articles(
                self.store,
                todo[start : start + size],
                self.extractor,
                self.tally,
                archive=self.archive,
                watch=self.watch,
            )
        for pmid in written:
            self.tally.add(changes[pmid], [pmid])
            before = known.get(pmid)
            if articles[pmid].is_retracted and not (before and before.retracted):
                self.tally.add("retracted", [pmid])

    def keep(self, article: Article) -> None:
        """Archive a stored record the archive lacks (ingested before it existed)."""
        if self.archive is not None and not self.archive.path(article.pmid).exists():
            self.archive.write(article)


def refresh(
    store: Store,
    client: EutilsClient,
    query: str,
    *,
    since: date | None = None,
    dry_run: bool = False,
    sweep: bool | None = None,
    overlap_days: int = 3,
    sweep_days: int = 7,
    extractor: Extractor | None = None,
    archive: RecordArchive | None = None,
    clock: Callable[[], datetime] | None = None,
    stopwatch: Stopwatch | None = None,
) -> Run:
    """Bring the store up to date with what PubMed finds for ``query``; return the run.

    Call it holding the refresh lock (``run_refresh`` does). ``sweep`` True checks every
    stored PMID for deletion, False never, None when due. ``dry_run`` fetches and compares
    but writes nothing: no article, no run record, no archive, the watermark unchanged.
    Errors end the run (recorded failed, watermark unchanged) and are raised.
    """
    clock = clock or now_utc
    started = clock()
    today = started.date()
    watch = stopwatch or Stopwatch()
    with watch.stage("record"):
        if not dry_run:
            ensure_ontology(store)
            for run_id in close_interrupted(store, holding_lock=True):
                log.warning("run %s never finished; marked failed (interrupted)", run_id)
        state = read_refresh_state(store, query)
    start = window_start(state.watermark, since, overlap_days)
    due = sweep_due(state.last_sweep, today, sweep_days)
    swept = start is None or (sweep if sweep is not None else due)
    extractor = extractor or default_extractor()
    run = Run(
        run_id=new_run_id("refresh", started),
        kind="refresh",
        label="refresh",
        query=query,
        extractor=extractor.name,
        started=started,
        dry_run=dry_run,
        window_start=start,
        window_end=today,
        swept=swept,
    )
    job = _Job(store, extractor, archive, dry_run, watch, Tally(run, clock))
    try:
        with recording(store, job.tally, write=not dry_run):
            _fetch(job, client, _search(job, client, query, start, swept, state.pending), False)
            missing, job.missing = job.missing, []
            _fetch(job, client, missing, True)
            if not dry_run:
                flag_duplicate_cases(store)
    except BaseException as exc:
        log.error(
            "refresh %s failed: %s; the watermark stays at %s, so the next run asks again",
            run.run_id,
            exc,
            state.watermark or "none (the next run fetches everything)",
        )
        raise
    watermark = today if reaches_watermark(state.watermark, start) else None
    result = job.tally.result("completed", watermark)
    if not dry_run:
        with watch.stage("record"):
            write_run(store, result)
    return result


def _search(
    job: _Job,
    client: EutilsClient,
    query: str,
    start: date | None,
    swept: bool,
    pending: Sequence[str],
) -> list[str]:
    """List the PMIDs to fetch.

    They are the window's, the pending ones, and, when sweeping, the stored ones the query
    no longer finds.
    """
    from ingest.windows import format_date

    with job.watch.stage("search"):
        everything = client.search_pubmed(query).ids if swept else ()
        if start is None:
            found = list(everything)
        else:
            first = format_date(start)
            found = [
                *client.search_pubmed(query, first, None, "edat").ids,
                *client.search_pubmed(query, first, None, "mdat").ids,
            ]
        listed = set(everything)
        lost = (
            [p for p in stored_pmids(job.store, deleted=False) if p not in listed] if swept else []
        )
    ids = list(dict.fromkeys([*found, *pending, *lost]))
    job.tally.count("found", len(dict.fromkeys(found)))
    log.info(
        "refresh: %d PMIDs to fetch (%d pending, %d to check)", len(ids), len(pending), len(lost)
    )
    return ids


def _fetch(job: _Job, client: EutilsClient, pmids: list[str], final: bool) -> None:
    """Fetch PMIDs by id, a batch at a time, and apply each batch as it comes.

    On the ``final`` asking (the PMIDs an earlier batch left out), a PMID that the whole,
    well-formed answer does not carry is withdrawn from PubMed.
    """
    from ingest.eutils_docs import parse_body, returned_pmids
    from ingest.pubmed_xml import iter_records

    size = client.batch_size
    for number, start in enumerate(range(0, len(pmids), size)):
        asked = pmids[start : start + size]
        name = f"efetch {'again' if final else 'batch'} {number}"
        with job.watch.stage("fetch"):
            body = b"".join(client.iter_fetch_pmid_batches(asked))
        with job.watch.stage("parse"):
            records = list(iter_records(io.BytesIO(body), name=name))
        if final:
            carried = set(returned_pmids(parse_body(body)))
            withdrawn = [p for p in asked if p not in carried]
            job.tally.add(
                "deleted", mark_deleted(job.store, withdrawn, dry_run=job.dry_run, watch=job.watch)
            )
            asked = [p for p in asked if p in carried]
        job.apply(asked, records, final)
