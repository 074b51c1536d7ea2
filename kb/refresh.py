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

import contextlib
import io
import logging
import secrets
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Literal

import pyoxigraph as ox

from kb import iris
from kb.errors import KBError
from kb.mapping import deletion_quads, to_quads
from kb.models import Article, Extraction, Frozen, Rejection
from kb.pipeline import Extractor, default_extractor, ensure_ontology
from kb.runs import (
    RefreshRun,
    close_interrupted,
    read_refresh_state,
    write_run,
)
from kb.store import Store, value_of

if TYPE_CHECKING:
    from ingest.eutils import EutilsClient
    from kb.archive import RecordArchive

log = logging.getLogger(__name__)

Change = Literal["new", "updated", "unchanged", "superseded"]


class RefreshRequest(Frozen):
    """What to refresh: the CLI's options, and the body of ``POST /admin/refresh``."""

    query: str | None = None
    since: date | None = None
    dry_run: bool = False
    sweep: bool | None = None


class ReextractRequest(Frozen):
    """What to re-extract: the CLI's options, and the body of ``POST /admin/reextract``."""

    pmids: tuple[str, ...] = ()
    force: bool = False


@dataclass
class Stopwatch:
    """Seconds a run spent in each stage: record (its run record, the ontology, the state),
    search, fetch, parse, compare (with the store), extract, map, archive, store."""

    seconds: dict[str, float] = field(default_factory=dict)

    @contextlib.contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Add the time the block takes to stage ``name``."""
        begin = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - begin


@dataclass(frozen=True)
class Stored:
    """What the store holds of one article."""

    version: int
    content_hash: str | None
    extractor: str | None
    deleted: bool
    retracted: bool


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


def extract_with(extractor: Extractor, article: Article) -> Extraction:
    """Read an article with an extractor, its name on what it read."""
    extraction = extractor.read(article)
    if extraction.extractor:
        return extraction
    return extraction.model_copy(update={"extractor": extractor.name})


def map_article(article: Article, extractor: Extractor) -> list[ox.Quad]:
    """Extract an article and map it, with what was read, to the quads of its graph."""
    return to_quads(article, extract_with(extractor, article))


STATE = ("pmidVersion", "contentHash", "extractor", "deleted", "retracted")
LOOKUPS = 1000  # articles looked up per query


def stored_pmids(store: Store, *, deleted: bool | None = None) -> list[str]:
    """The articles the store holds (only those marked deleted, or not, if asked), in order.

    Two scans of one predicate each, fast at any size, where a filter per article is not.
    """

    def graphs(pattern: str) -> set[str]:
        rows = store.select(
            f"PREFIX tc: <{iris.ONTOLOGY}>\nSELECT ?g WHERE {{ GRAPH ?g {{ {pattern} }} }}"
        )
        found = (iris.pmid_of_graph(r["g"]) for r in rows if isinstance(r["g"], ox.NamedNode))
        return {p for p in found if p}

    held = graphs("?a tc:pmidVersion ?v")
    if deleted is not None:
        marked = graphs("?a tc:deleted true")
        held = held & marked if deleted else held - marked
    return sorted(held, key=int)


def stored_states(store: Store, pmids: Sequence[str] | None = None) -> dict[str, Stored]:
    """Read what the store holds of some articles (every article when ``pmids`` is None).

    Each article is looked up by its graph and IRI: the cost follows the PMIDs asked for,
    not the size of the store (an OPTIONAL per property made Oxigraph scan every article).
    """
    wanted = list(dict.fromkeys(pmids)) if pmids is not None else stored_pmids(store)
    found: dict[str, dict[str, str]] = {}
    names = ", ".join(f"tc:{name}" for name in STATE)
    for start in range(0, len(wanted), LOOKUPS):
        pairs = " ".join(
            f"({iris.article_graph(p)} {iris.article_iri(p)})"
            for p in wanted[start : start + LOOKUPS]
        )
        rows = store.select(
            f"PREFIX tc: <{iris.ONTOLOGY}>\nSELECT ?g ?p ?o WHERE {{ VALUES (?g ?a) {{ {pairs} }} "
            f"GRAPH ?g {{ ?a ?p ?o }} FILTER(?p IN ({names})) }}"
        )
        for row in rows:
            graph, name = row["g"], (value_of(row["p"]) or "").rsplit("#", 1)[-1]
            pmid = iris.pmid_of_graph(graph) if isinstance(graph, ox.NamedNode) else None
            if pmid is not None:
                found.setdefault(pmid, {})[name] = value_of(row["o"]) or ""
    return {
        pmid: Stored(
            version=int(values["pmidVersion"]),
            content_hash=values.get("contentHash"),
            extractor=values.get("extractor"),
            deleted=values.get("deleted") in ("true", "1"),
            retracted=values.get("retracted") in ("true", "1"),
        )
        for pmid, values in found.items()
        if "pmidVersion" in values
    }


# --- one run ----------------------------------------------------------------------------------


@dataclass
class _Job:
    """A run under way: what it reads and writes, and what it has found so far."""

    store: Store
    extractor: Extractor
    archive: RecordArchive | None
    dry_run: bool
    watch: Stopwatch
    run: RefreshRun
    new: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    retracted: list[str] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    clock: Callable[[], datetime] = field(default_factory=lambda: now_utc)

    def count(self, name: str, n: int = 1) -> None:
        self.counts[name] = self.counts.get(name, 0) + n

    def reject(self, pmid: str | None, message: str) -> None:
        self.count("rejected")
        self.errors.append(message)
        if pmid is not None:
            self.pending.append(pmid)

    def result(self, status: str, watermark: date | None = None) -> RefreshRun:
        ended = None if status == "running" else self.clock()
        return self.run.model_copy(
            update={
                "status": status,
                "ended": ended,
                "watermark": watermark,
                "new": tuple(self.new),
                "updated": tuple(self.updated),
                "deleted": tuple(self.deleted),
                "retracted": tuple(self.retracted),
                "pending": tuple(dict.fromkeys(self.pending)),
                "errors": tuple(self.errors[:1000]),
                **self.counts,
            }
        )

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
                self.errors.append(f"{record.file}: {record.where}: {record.reason}")
        self.count("fetched", len(articles))
        for pmid in asked:
            if pmid in articles:
                continue
            if final:
                self.reject(pmid, f"PMID {pmid}: efetch returns a record that cannot be read")
            else:
                self.missing.append(pmid)
        with self.watch.stage("compare"):
            known = stored_states(self.store, list(articles))
        graphs: dict[ox.NamedNode, list[ox.Quad]] = {}
        for pmid, article in articles.items():
            before = known.get(pmid)
            change = classify(article, before)
            if change in ("unchanged", "superseded"):
                self.count(change)
                if change == "unchanged" and not self.dry_run:
                    self.keep(article)  # heal an archive that lacks a stored record
                continue
            if not self.dry_run:
                try:
                    with self.watch.stage("extract"):
                        extraction = extract_with(self.extractor, article)
                    with self.watch.stage("map"):
                        graphs[iris.article_graph(pmid)] = to_quads(article, extraction)
                except (ValueError, KBError) as exc:  # pydantic's ValidationError is a ValueError
                    self.reject(pmid, f"PMID {pmid}: cannot extract or map: {exc}")
                    continue
            (self.new if change == "new" else self.updated).append(pmid)
            if article.is_retracted and not (before and before.retracted):
                self.retracted.append(pmid)
        if graphs:
            if self.archive is not None:
                with self.watch.stage("archive"):  # first: the store never holds more
                    for graph in graphs:
                        self.archive.write(articles[iris.pmid_of_graph(graph) or ""])
            with self.watch.stage("store"):
                self.store.replace_graphs(graphs)

    def keep(self, article: Article) -> None:
        """Archive a stored record the archive lacks (ingested before it existed)."""
        if self.archive is not None and not self.archive.path(article.pmid).exists():
            self.archive.write(article)

    def mark_deleted(self, pmids: Sequence[str]) -> None:
        """Mark withdrawn articles deleted (those stored and not marked yet)."""
        known = stored_states(self.store, pmids)
        marked = [p for p in pmids if p in known and not known[p].deleted]
        if marked and not self.dry_run:
            with self.watch.stage("store"):
                self.store.add_quads([q for p in marked for q in deletion_quads(p)])
        self.deleted.extend(marked)


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
) -> RefreshRun:
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
            for run_id in close_interrupted(store):
                log.warning("run %s never finished; marked failed (interrupted)", run_id)
        state = read_refresh_state(store, query)
    start = window_start(state.watermark, since, overlap_days)
    due = sweep_due(state.last_sweep, today, sweep_days)
    swept = start is None or (sweep if sweep is not None else due)
    extractor = extractor or default_extractor()
    job = _Job(
        store,
        extractor,
        archive,
        dry_run,
        watch,
        RefreshRun(
            run_id=run_id_of("refresh", started),
            query=query,
            extractor=extractor.name,
            started=started,
            dry_run=dry_run,
            window_start=start,
            window_end=today,
            swept=swept,
        ),
        clock=clock,
    )
    if not dry_run:
        with watch.stage("record"):
            write_run(store, job.run)
    try:
        _fetch(job, client, _search(job, client, query, start, swept, state.pending), False)
        missing, job.missing = job.missing, []
        _fetch(job, client, missing, True)
    except BaseException as exc:
        if not dry_run:
            with contextlib.suppress(KBError):  # the first error is the one to report
                write_run(
                    store,
                    job.result("failed").model_copy(
                        update={"errors": (*job.errors, f"run failed: {exc}")[-1000:]}
                    ),
                )
        log.error(
            "refresh %s failed: %s; the watermark stays at %s, so the next run asks again",
            job.run.run_id,
            exc,
            state.watermark or "none (the next run fetches everything)",
        )
        raise
    watermark = today if reaches_watermark(state.watermark, start) else None
    result = job.result("completed", watermark)
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
    """List the PMIDs to fetch: the window's, the pending ones, and, when sweeping, the
    stored ones the query no longer finds."""
    from ingest.eutils import format_date

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
    job.count("found", len(dict.fromkeys(found)))
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
            job.mark_deleted([p for p in asked if p not in carried])
            asked = [p for p in asked if p in carried]
        job.apply(asked, records, final)


def reextract(
    store: Store,
    archive: RecordArchive,
    request: ReextractRequest | None = None,
    *,
    extractor: Extractor | None = None,
    clock: Callable[[], datetime] | None = None,
) -> RefreshRun:
    """Run the current extractor over stored articles, from the archive, without network.

    Every article read by another extractor (every one named, with ``force``) has its graph
    re-mapped whole from its archived record, so the old version's assertions go; a
    deletion mark stays. An article with no archived record is reported and left as it is.
    Call it holding the refresh lock (``run_reextract`` does).
    """
    request = request or ReextractRequest()
    extractor = extractor or default_extractor()
    clock = clock or now_utc
    started = clock()
    ensure_ontology(store)
    close_interrupted(store)
    job = _Job(
        store,
        extractor,
        None,
        False,
        Stopwatch(),
        RefreshRun(
            run_id=run_id_of("reextract", started),
            label="reextract",
            extractor=extractor.name,
            started=started,
        ),
        clock=clock,
    )
    write_run(store, job.run)
    try:
        known = stored_states(store, request.pmids or None)
        for pmid in request.pmids:
            if pmid not in known:
                job.reject(None, f"PMID {pmid}: not in the store")
        todo = sorted(
            (p for p, k in known.items() if request.force or k.extractor != extractor.name), key=int
        )
        job.count("unchanged", len(known) - len(todo))
        for offset in range(0, len(todo), store.batch_size):
            _reextract_batch(job, archive, todo[offset : offset + store.batch_size], known)
    except BaseException as exc:
        with contextlib.suppress(KBError):
            write_run(
                store,
                job.result("failed").model_copy(
                    update={"errors": (*job.errors, f"run failed: {exc}")[-1000:]}
                ),
            )
        raise
    result = job.result("completed")
    write_run(store, result)
    return result


def _reextract_batch(
    job: _Job, archive: RecordArchive, pmids: Sequence[str], known: dict[str, Stored]
) -> None:
    graphs: dict[ox.NamedNode, list[ox.Quad]] = {}
    for pmid in pmids:
        article = archive.read(pmid)
        if article is None:
            job.reject(
                pmid, f"PMID {pmid}: no archived record; kb refresh --sweep fetches it again"
            )
            continue
        if article.version < known[pmid].version:
            job.reject(
                pmid,
                f"PMID {pmid}: the archive holds version {article.version}, older than the store's",
            )
            continue
        try:
            quads = map_article(article, job.extractor)
        except (ValueError, KBError) as exc:
            job.reject(pmid, f"PMID {pmid}: cannot extract or map: {exc}")
            continue
        if known[pmid].deleted:
            quads.extend(deletion_quads(pmid))
        graphs[iris.article_graph(pmid)] = quads
        job.updated.append(pmid)
    job.count("fetched", len(graphs))
    job.store.replace_graphs(graphs)


def now_utc() -> datetime:
    """The time now, in UTC (the clock runs are stamped with)."""
    return datetime.now(UTC)


def run_id_of(label: str, started: datetime) -> str:
    """A run id that sorts by start time to the microsecond: two runs within a second of each
    other list in the order they ran (``refresh-20250301t031700123456z-3f2a1c``)."""
    return f"{label}-{started:%Y%m%dt%H%M%S%f}z-{secrets.token_hex(3)}"
