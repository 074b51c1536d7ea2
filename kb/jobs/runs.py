"""The audit of every run (ingest, refresh, re-extraction): one model, its record, reading it.

Every run is a ``tc:IngestRun`` in the runs graph with what it read and wrote; a refresh is
also a ``tc:RefreshRun`` with the query, the date window, the PMIDs it found new, updated,
deleted, retracted or left pending, whether it swept for deletions, and, once completed, its
watermark. The record is written whole, in one transaction, at each change of status
(running, then completed or failed), so the watermark and the "completed" status commit
together or not at all. See ontology/README.md.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Literal

import pyoxigraph as ox
from pydantic import Field

from kb import iris
from kb.errors import StoreError
from kb.graph.terms import RDF_TYPE, RDFS_LABEL, TRUE, QuadSet, date_time, integer, ns, tc
from kb.jobs.lock import process_gone, this_process
from kb.models import Frozen
from kb.store import Store, value_of

RunStatus = Literal["running", "completed", "failed"]
RunKind = Literal["ingest", "refresh", "reextract"]

MAX_MESSAGES = 1000  # error messages kept in a run's record; the count keeps the rest
XSD_DATE = ox.NamedNode(iris.PREFIXES["xsd"] + "date")
INTERRUPTED = "interrupted: the process ended before the run did"
PROLOG = (
    f"PREFIX tc: <{iris.ONTOLOGY}>\nPREFIX prov: <{iris.PREFIXES['prov']}>\n"
    f"PREFIX rdfs: <{iris.PREFIXES['rdfs']}>\n"
)
#: Newest run first: by start time (stored to the second), then by the time in the run id.
RUN_ORDER = (
    'DESC(?started) DESC(REPLACE(STR(?run), "^.*/[a-z0-9-]*-([0-9]{8}t[0-9]+z)-[0-9a-f]+$", "$1"))'
)
_ID_TIME = re.compile(r"-([0-9]{8}t[0-9]+z)-[0-9a-f]+$")
# The PMID lists of a run and the property that holds each.
LISTS = {
    "new": "newArticle",
    "updated": "updatedArticle",
    "deleted": "deletedArticle",
    "retracted": "retractedArticle",
    "pending": "pendingArticle",
}
# The counts of a run and the property that holds each.
COUNTS = {
    "records": "recordsRead",
    "written": "articlesWritten",
    "unchanged": "articlesUnchanged",
    "superseded": "articlesSuperseded",
    "rejected": "recordsRejected",
    "found": "recordsFound",
    "orphaned": "verdictsOrphaned",
}


class Run(Frozen):
    """What one run did (ingest, refresh or re-extraction): its record in the runs graph."""

    run_id: str
    kind: RunKind = "ingest"
    label: str = Field(description="Its name: the kind, or the label an ingest was given.")
    files: tuple[str, ...] = Field((), description="The files an ingest read.")
    query: str | None = Field(None, description="The PubMed query refreshed.")
    extractor: str | None = None
    started: datetime
    ended: datetime | None = None
    status: RunStatus = "running"
    dry_run: bool = Field(False, description="Nothing was written; never recorded.")
    window_start: date | None = Field(
        None, description="First entry/modification day searched; None: all the query finds."
    )
    window_end: date | None = Field(None, description="The day the searches ran (open-ended).")
    watermark: date | None = Field(
        None, description="Set on completion when the window reached the previous watermark."
    )
    swept: bool = Field(False, description="Every stored PMID was checked for deletion.")
    found: int = Field(0, description="PMIDs the window's searches found.")
    records: int = Field(0, description="Records read: from files, or fetched from PubMed.")
    written: int = Field(0, description="Article graphs written.")
    unchanged: int = 0
    superseded: int = 0
    new: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    deleted: tuple[str, ...] = Field((), description="PMIDs withdrawn from PubMed.")
    retracted: tuple[str, ...] = ()
    pending: tuple[str, ...] = Field((), description="PMIDs to fetch again next run.")
    rejected: int = 0
    orphaned: int = Field(
        0,
        description="Curators' verdicts on the articles written whose target is gone "
        "(kb curate orphans lists them).",
    )
    errors: tuple[str, ...] = ()
    process: str | None = Field(
        default_factory=lambda: this_process(),
        description="host:pid:start of the process that ran it (kb.jobs.runs.this_process).",
    )


def new_run_id(label: str, started: datetime) -> str:
    """Make a unique run id whose time sorts to the microsecond.

    ``RUN_ORDER`` orders runs started within the same second by it:

    >>> new_run_id("Ingest", datetime(2025, 1, 1, 10, tzinfo=UTC))[:30]
    'ingest-20250101t100000000000z-'
    """
    slug = re.sub(r"[^0-9a-z]+", "-", label.lower()).strip("-") or "run"
    return f"{slug}-{started:%Y%m%dt%H%M%S%f}z-{secrets.token_hex(3)}"


def now_utc() -> datetime:
    """Return the time now, in UTC, to the microsecond (the clock runs are stamped with)."""
    return datetime.now(UTC)


def cap_messages(messages: Sequence[str], limit: int = MAX_MESSAGES) -> tuple[str, ...]:
    """Keep the first ``limit`` messages and say how many more there were.

    >>> cap_messages(["a", "b", "c"], limit=2)
    ('a', 'b', '... and 1 more')
    """
    if len(messages) <= limit:
        return tuple(messages)
    return (*messages[:limit], f"... and {len(messages) - limit} more")


@dataclass
class Tally:
    """A run under way: its PMIDs, counts and errors so far, and its record when it ends."""

    run: Run
    clock: Callable[[], datetime] = field(default=now_utc)
    lists: dict[str, list[str]] = field(default_factory=lambda: {name: [] for name in LISTS})
    counts: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def count(self, name: str, n: int = 1) -> None:
        """Add ``n`` to the count ``name`` (one of ``COUNTS``)."""
        self.counts[name] = self.counts.get(name, 0) + n

    def add(self, name: str, pmids: Iterable[str]) -> None:
        """Add PMIDs to the list ``name`` (one of ``LISTS``)."""
        self.lists[name].extend(pmids)

    def reject(self, pmid: str | None, message: str) -> None:
        """Count a rejected record, keep its message, and ask for its PMID again next run."""
        self.count("rejected")
        self.errors.append(message)
        if pmid is not None:
            self.lists["pending"].append(pmid)

    def result(self, status: RunStatus, watermark: date | None = None) -> Run:
        """The run's record as it stands, with ``status``."""
        ended = None if status == "running" else self.clock()
        lists = {name: tuple(dict.fromkeys(pmids)) for name, pmids in self.lists.items()}
        return self.run.model_copy(
            update={
                "status": status,
                "ended": ended,
                "watermark": watermark,
                **lists,
                **self.counts,
                "errors": cap_messages(self.errors),
            }
        )

    def failed(self, exc: BaseException) -> Run:
        """The record of a run that ``exc`` ended, the failure first among its errors."""
        run = self.result("failed")
        return run.model_copy(update={"errors": cap_messages([f"run failed: {exc}", *self.errors])})


# --- the record ---------------------------------------------------------------------------------


def date_literal(day: date) -> ox.Literal:
    """Make an xsd:date literal."""
    return ox.Literal(day.isoformat(), datatype=XSD_DATE)


def run_to_quads(run: Run) -> list[ox.Quad]:
    """Map a run to the quads of its record in the runs graph (a prov:Activity)."""
    g = QuadSet(iris.RUNS_GRAPH)
    s = iris.run_iri(run.run_id)
    g.add(s, RDF_TYPE, ns("prov", "Activity"))
    g.add(s, RDF_TYPE, tc("IngestRun"))
    g.text(s, RDFS_LABEL, run.label)
    g.add(s, ns("prov", "startedAtTime"), date_time(run.started))
    g.add(s, ns("prov", "endedAtTime"), date_time(run.ended) if run.ended else None)
    g.text(s, tc("status"), run.status)
    for name in run.files:
        g.text(s, tc("sourceFile"), name)
    if run.extractor:
        agent = iris.agent_iri(run.extractor)
        g.add(s, ns("prov", "wasAssociatedWith"), agent)
        g.add(agent, RDF_TYPE, ns("prov", "SoftwareAgent"))
        g.text(agent, RDFS_LABEL, run.extractor)
    for name, prop in COUNTS.items():
        if name != "found" or run.kind == "refresh":
            g.add(s, tc(prop), integer(getattr(run, name)))
    g.add(s, tc("articlesDeleted"), integer(len(run.deleted)))
    if run.kind != "ingest":
        g.add(s, RDF_TYPE, tc("RefreshRun"))
        for name in ("new", "updated", "retracted", "pending"):
            g.add(s, tc(f"articles{name.title()}"), integer(len(getattr(run, name))))
    if run.query is not None:
        g.text(s, tc("query"), run.query)
    for name in ("window_start", "window_end", "watermark"):
        day = getattr(run, name)
        if day is not None:
            g.add(s, tc(_camel(name)), date_literal(day))
    if run.swept:
        g.add(s, tc("swept"), TRUE)
    g.text(s, tc("process"), run.process)
    for name, prop in LISTS.items():
        for pmid in getattr(run, name):
            g.add(s, tc(prop), iris.article_iri(pmid))
    for message in run.errors:
        g.text(s, tc("errorMessage"), message)
    return list(g.quads)


def write_run(store: Store, run: Run, *, quiet: bool = False) -> None:
    """Replace the record of a run in the runs graph, in one transaction.

    ``quiet`` swallows a store error: while a run fails already, the first error is the one
    to report, not a second one from writing its record.
    """
    try:
        store.replace_description(iris.RUNS_GRAPH, iris.run_iri(run.run_id), run_to_quads(run))
    except StoreError:
        if not quiet:
            raise


@contextmanager
def recording(store: Store, tally: Tally, *, write: bool = True) -> Iterator[None]:
    """Record the run as running for the block, and as failed if the block raises.

    The caller records its completion (with what only it knows, a watermark). ``write``
    False records nothing (a dry run).
    """
    if write:
        write_run(store, tally.run)
    try:
        yield
    except BaseException as exc:
        if write:
            write_run(store, tally.failed(exc), quiet=True)
        raise


def close_interrupted(store: Store, *, holding_lock: bool = False) -> list[str]:
    """Mark runs left ``running`` whose process has ended as failed; return their ids.

    A run records its process (``tc:process``); one whose process is gone was killed, or the
    machine went down. A refresh recorded before runs named their process is taken for dead
    when ``holding_lock`` (the refresh lock: then no refresh is running).
    """
    rows = store.select(
        PROLOG + f"SELECT ?run ?process ?refresh WHERE {{ GRAPH {iris.RUNS_GRAPH} {{ "
        '?run a tc:IngestRun ; tc:status "running" . OPTIONAL { ?run tc:process ?process } '
        "OPTIONAL { ?run a ?refresh FILTER(?refresh = tc:RefreshRun) } } }"
    )
    runs = []
    for row in rows:
        run, process = row["run"], value_of(row.get("process"))
        if not isinstance(run, ox.NamedNode):
            continue
        if process_gone(process) if process else (holding_lock and "refresh" in row):
            runs.append(run)
    if runs:
        values = " ".join(str(r) for r in runs)
        store.update(
            PROLOG + f"DELETE {{ GRAPH {iris.RUNS_GRAPH} {{ ?run tc:status ?status }} }}\n"
            f'INSERT {{ GRAPH {iris.RUNS_GRAPH} {{ ?run tc:status "failed" ; '
            f"tc:errorMessage {ox.Literal(INTERRUPTED)} }} }}\n"
            f"WHERE {{ VALUES ?run {{ {values} }} GRAPH {iris.RUNS_GRAPH} "
            "{ ?run tc:status ?status } }"
        )
    return [_run_id(r) for r in runs]


# --- reading it back ----------------------------------------------------------------------------


class RefreshState(Frozen):
    """Where the next refresh of a query starts: what its completed runs left."""

    watermark: date | None = None
    pending: tuple[str, ...] = ()
    last_sweep: date | None = None


def read_refresh_state(store: Store, query: str) -> RefreshState:
    """Read the watermark, the pending PMIDs and the last sweep of a query's completed runs.

    The watermark is the latest any completed run of the query recorded; the pending PMIDs
    are those of the latest completed run (each run carries the whole list forward).
    """
    completed = (
        f"?run a tc:RefreshRun ; tc:query {ox.Literal(query)} ; "
        'tc:status "completed" ; prov:startedAtTime ?started .'
    )

    def latest(variable: str, pattern: str) -> ox.Literal | None:
        rows = store.select(
            PROLOG + f"SELECT (MAX({variable}) AS ?latest) "
            f"WHERE {{ GRAPH {iris.RUNS_GRAPH} {{ {completed} {pattern} }} }}"
        )
        found = rows[0].get("latest") if rows else None
        return found if isinstance(found, ox.Literal) else None

    pending = store.select(
        PROLOG + f"SELECT ?pmid WHERE {{ GRAPH {iris.RUNS_GRAPH} {{ "
        f"{{ SELECT ?run WHERE {{ {completed} }} ORDER BY {RUN_ORDER} "
        "LIMIT 1 } ?run tc:pendingArticle ?pmid } }"
    )
    swept = _datetime(latest("?started", "?run tc:swept true ."))
    return RefreshState(
        watermark=_date(latest("?w", "?run tc:watermark ?w .")),
        pending=tuple(sorted(p for r in pending if (p := _pmid(r["pmid"])))),
        last_sweep=swept.date() if swept else None,
    )


def list_runs(store: Store, limit: int = 20) -> list[Run]:
    """Read the latest runs of every kind (ingest, refresh, reextract), newest first."""
    rows = store.select(
        PROLOG + f"SELECT ?run ?p ?o WHERE {{ GRAPH {iris.RUNS_GRAPH} {{ "
        "{ SELECT ?run ?started WHERE { ?run a tc:IngestRun ; prov:startedAtTime ?started } "
        f"ORDER BY {RUN_ORDER} LIMIT {int(limit)} }} "
        "{ ?run ?p ?o } UNION { ?run prov:wasAssociatedWith/rdfs:label ?o "
        "BIND(tc:extractor AS ?p) } } }"
    )
    said: dict[str, dict[str, list[ox.NamedNode | ox.Literal]]] = {}
    for row in rows:
        run, predicate, value = row["run"], value_of(row["p"]), row["o"]
        if (
            isinstance(run, ox.NamedNode)
            and predicate
            and isinstance(value, ox.NamedNode | ox.Literal)
        ):
            said.setdefault(_run_id(run), {}).setdefault(predicate, []).append(value)
    runs = [_from_record(run_id, fields) for run_id, fields in said.items()]
    return sorted(runs, key=_newest_first, reverse=True)


def _newest_first(run: Run) -> tuple[datetime, str]:
    """Sort as ``RUN_ORDER`` does: the start to the second, then the time in the run id."""
    found = _ID_TIME.search(run.run_id)
    return run.started.replace(microsecond=0), found.group(1) if found else ""


def read_run(store: Store, run_id: str) -> Run | None:
    """Read back the whole record of one run, PMIDs included; None when there is none."""
    s = iris.run_iri(run_id)
    fields: dict[str, list[ox.NamedNode | ox.Literal]] = {}
    rows = store.select(
        PROLOG + f"SELECT ?p ?o WHERE {{ GRAPH {iris.RUNS_GRAPH} {{ {{ {s} ?p ?o }} UNION "
        f"{{ {s} prov:wasAssociatedWith/rdfs:label ?o BIND(tc:extractor AS ?p) }} }} }}"
    )
    for row in rows:
        predicate, value = value_of(row["p"]), row["o"]
        if predicate and isinstance(value, ox.NamedNode | ox.Literal):
            fields.setdefault(predicate, []).append(value)
    if iris.term("IngestRun") not in fields.get(iris.PREFIXES["rdf"] + "type", []):
        return None
    return _from_record(run_id, fields)


def last_run(store: Store) -> Run | None:
    """Read the most recently started run, or None."""
    runs = list_runs(store, 1)
    return runs[0] if runs else None


def _from_record(run_id: str, fields: Mapping[str, list[ox.NamedNode | ox.Literal]]) -> Run:
    def one(local: str, prefix: str = "tc") -> str | None:
        values = fields.get(_iri(prefix, local), [])
        return values[0].value if values else None

    def many(local: str) -> tuple[str, ...]:
        found = (_pmid(v) for v in fields.get(_iri("tc", local), []))
        return tuple(sorted((p for p in found if p), key=int))

    ended = one("endedAtTime", "prov")
    refresh = iris.term("RefreshRun") in fields.get(iris.PREFIXES["rdf"] + "type", [])
    kind = ("refresh" if one("query") is not None else "reextract") if refresh else "ingest"
    return Run(
        run_id=run_id,
        kind=kind,
        label=one("label", "rdfs") or "",
        files=tuple(sorted(v.value for v in fields.get(_iri("tc", "sourceFile"), []))),
        query=one("query"),
        extractor=one("extractor"),
        started=datetime.fromisoformat(one("startedAtTime", "prov") or ""),
        ended=datetime.fromisoformat(ended) if ended else None,
        status=one("status") or "running",
        window_start=_date_text(one("windowStart")),
        window_end=_date_text(one("windowEnd")),
        watermark=_date_text(one("watermark")),
        swept=one("swept") == "true",
        **{name: int(one(prop) or 0) for name, prop in COUNTS.items()},
        **{name: many(prop) for name, prop in LISTS.items()},
        errors=tuple(sorted(v.value for v in fields.get(_iri("tc", "errorMessage"), []))),
        process=one("process"),
    )


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _iri(prefix: str, local: str) -> str:
    return (iris.ONTOLOGY if prefix == "tc" else iris.PREFIXES[prefix]) + local


def _run_id(node: ox.NamedNode) -> str:
    return node.value.rsplit("/", 1)[-1]


def _pmid(term: object) -> str | None:
    if not isinstance(term, ox.NamedNode) or not term.value.startswith(iris.DATA + "article/"):
        return None
    return term.value.rsplit("/", 1)[-1]


def _date_text(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def _date(term: object) -> date | None:
    return _date_text(term.value) if isinstance(term, ox.Literal) else None


def _datetime(term: object) -> datetime | None:
    return datetime.fromisoformat(term.value) if isinstance(term, ox.Literal) else None


# --- for people ---------------------------------------------------------------------------------


def describe_run(run: Run, pmids_shown: int = 50) -> list[str]:
    """Say what a run did (or, for a dry run, would do), one line per fact, PMIDs listed."""
    lists = {name: getattr(run, name) for name in LISTS}
    counts = ", ".join(f"{len(v)} {k}" for k, v in lists.items())
    if run.dry_run:
        head = f"dry run, nothing written: would be {counts}"
    else:
        head = f"{run.label} {run.status} (run {run.run_id}): {counts}"
    lines = [head]
    if run.kind == "refresh":
        window = f"from {run.window_start}" if run.window_start else "everything the query finds"
        sweep = "; swept for deletions" if run.swept else ""
        lines.append(
            f"searched {window} (edat, mdat): {run.found} PMIDs, {run.records} fetched"
            f", {run.unchanged} unchanged{sweep}"
        )
        if not run.dry_run and run.status == "completed":
            lines.append(
                f"watermark {run.watermark}"
                if run.watermark
                else "watermark not moved (the window did not reach back to it)"
            )
    for name, pmids in lists.items():
        if pmids:
            more = f" ... (+{len(pmids) - pmids_shown})" if len(pmids) > pmids_shown else ""
            lines.append(f"{name}: {' '.join(pmids[:pmids_shown])}{more}")
    if run.orphaned:
        lines.append(
            f"{run.orphaned} curators' verdict(s) on these articles lost their target: "
            "kb curate orphans"
        )
    lines.extend(f"error: {message}" for message in run.errors)
    return lines


def runs_table(runs: list[Run]) -> list[str]:
    """Lay out runs as a plain-text table, one line each."""
    head = ("run", "status", "started", "ended", "read", "written", "new", "upd", "del", "retr")
    rows: list[tuple[str, ...]] = [(*head, "pend", "err")]
    for r in runs:
        rows.append(
            (
                r.run_id,
                r.status,
                f"{r.started:%Y-%m-%d %H:%M:%S}",
                f"{r.ended:%H:%M:%S}" if r.ended else "-",
                str(r.records),
                str(r.written),
                *(str(len(pmids)) for pmids in (r.new, r.updated, r.deleted, r.retracted)),
                str(len(r.pending)),
                str(len(r.errors)),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows
    ]
