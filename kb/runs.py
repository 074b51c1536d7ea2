"""The audit of refresh and re-extraction runs: their record in the runs graph, and reading it.

A refresh run is a ``tc:RefreshRun`` (a ``tc:IngestRun``, so ``kb stats`` and every reader of
ingest runs see it too) with the ingest counts plus what only a refresh knows: the query, the
date window, the PMIDs it found new, updated, deleted, retracted or left pending, whether it
swept for deletions, and, once completed, its watermark. The record is written whole, in one
transaction, at each change of status (running, then completed or failed), so the watermark
and the "completed" status commit together or not at all. See ontology/README.md.
"""

from __future__ import annotations

from datetime import date, datetime

import pyoxigraph as ox
from pydantic import Field

from kb import iris
from kb.mapping import TRUE, integer, run_to_quads
from kb.models import Frozen
from kb.pipeline import RUN_ORDER, IngestSummary, RunStatus
from kb.store import Row, Store, value_of

XSD_DATE = ox.NamedNode(iris.PREFIXES["xsd"] + "date")
INTERRUPTED = "interrupted: the process ended before the run did"
PROLOG = (
    f"PREFIX tc: <{iris.ONTOLOGY}>\nPREFIX prov: <{iris.PREFIXES['prov']}>\n"
    f"PREFIX rdfs: <{iris.PREFIXES['rdfs']}>\n"
)
# The PMID lists of a run and the property that holds each (the counts are tc:articles...).
LISTS = {
    "new": "newArticle",
    "updated": "updatedArticle",
    "retracted": "retractedArticle",
    "pending": "pendingArticle",
}


class RefreshRun(Frozen):
    """What one refresh (or re-extraction) did: its record in the runs graph, as a model."""

    run_id: str
    label: str = "refresh"
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
    fetched: int = Field(0, description="Records efetch returned.")
    unchanged: int = 0
    superseded: int = 0
    new: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    deleted: tuple[str, ...] = ()
    retracted: tuple[str, ...] = ()
    pending: tuple[str, ...] = Field((), description="PMIDs to fetch again next run.")
    rejected: int = 0
    errors: tuple[str, ...] = ()

    def as_ingest(self) -> IngestSummary:
        """The part of the record every ingest run has."""
        return IngestSummary(
            run_id=self.run_id,
            label=self.label,
            extractor=self.extractor,
            started=self.started,
            ended=self.ended,
            status=self.status,
            records=self.fetched,
            written=len(self.new) + len(self.updated),
            unchanged=self.unchanged,
            superseded=self.superseded,
            deleted=len(self.deleted),
            deletions=self.deleted,
            rejected=self.rejected,
            errors=self.errors,
        )


class RunInfo(Frozen):
    """One line of ``kb runs``: any run of the runs graph, with its counts."""

    run_id: str
    label: str
    status: str
    started: datetime
    ended: datetime | None = None
    query: str | None = None
    window_start: date | None = None
    watermark: date | None = None
    new: int | None = None
    updated: int | None = None
    deleted: int | None = None
    retracted: int | None = None
    pending: int | None = None
    written: int | None = None
    rejected: int | None = None
    errors: int = 0


class RefreshState(Frozen):
    """Where the next refresh of a query starts: what its completed runs left."""

    watermark: date | None = None
    pending: tuple[str, ...] = ()
    last_sweep: date | None = None


def date_literal(day: date) -> ox.Literal:
    """An xsd:date literal."""
    return ox.Literal(day.isoformat(), datatype=XSD_DATE)


def run_quads(run: RefreshRun) -> list[ox.Quad]:
    """Map a refresh run to the quads of its record in the runs graph."""
    quads = run_to_quads(run.as_ingest())
    s, g = iris.run_iri(run.run_id), iris.RUNS_GRAPH
    said: list[tuple[str, ox.NamedNode | ox.Literal]] = [
        ("type", iris.term("RefreshRun")),
        ("articlesNew", integer(len(run.new))),
        ("articlesUpdated", integer(len(run.updated))),
        ("articlesRetracted", integer(len(run.retracted))),
        ("articlesPending", integer(len(run.pending))),
        ("recordsFound", integer(run.found)),
    ]
    if run.query is not None:
        said.append(("query", ox.Literal(run.query)))
    for name, day in (
        ("windowStart", run.window_start),
        ("windowEnd", run.window_end),
        ("watermark", run.watermark),
    ):
        if day is not None:
            said.append((name, date_literal(day)))
    if run.swept:
        said.append(("swept", TRUE))
    for field, prop in LISTS.items():
        said.extend((prop, iris.article_iri(p)) for p in getattr(run, field))
    rdf_type = ox.NamedNode(iris.PREFIXES["rdf"] + "type")
    quads.extend(
        ox.Quad(s, rdf_type if name == "type" else iris.term(name), value, g)
        for name, value in said
    )
    return quads


def write_run(store: Store, run: RefreshRun) -> None:
    """Replace the record of a run in the runs graph, in one transaction."""
    store.replace_description(iris.RUNS_GRAPH, iris.run_iri(run.run_id), run_quads(run))


def close_interrupted(store: Store) -> list[str]:
    """Mark refresh runs left ``running`` as failed (interrupted); return their ids.

    Call it only while holding the refresh lock: then no refresh is running, and a record
    that says otherwise belongs to a process that died (killed, or the machine went down).
    """
    rows = store.select(
        PROLOG + f"SELECT ?run WHERE {{ GRAPH {iris.RUNS_GRAPH} "
        '{ ?run a tc:RefreshRun ; tc:status "running" } }'
    )
    runs = [r["run"] for r in rows if isinstance(r["run"], ox.NamedNode)]
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


def list_runs(store: Store, limit: int = 20) -> list[RunInfo]:
    """The latest runs of every kind (ingest, refresh, reextract), newest first."""
    counts = {
        "new": "articlesNew",
        "updated": "articlesUpdated",
        "deleted": "articlesDeleted",
        "retracted": "articlesRetracted",
        "pending": "articlesPending",
        "written": "articlesWritten",
        "rejected": "recordsRejected",
    }
    optional = {
        "label": "rdfs:label",
        "ended": "prov:endedAtTime",
        "query": "tc:query",
        "window_start": "tc:windowStart",
        "watermark": "tc:watermark",
        **{name: f"tc:{prop}" for name, prop in counts.items()},
    }
    names = " ".join(f"?{n}" for n in optional)
    rows = store.select(
        PROLOG + f"SELECT ?run ?status ?started {names} (COUNT(?error) AS ?errors) WHERE {{ "
        f"GRAPH {iris.RUNS_GRAPH} {{ ?run a tc:IngestRun ; tc:status ?status ; "
        "prov:startedAtTime ?started . "
        + " ".join(f"OPTIONAL {{ ?run {p} ?{n} }}" for n, p in optional.items())
        + f" OPTIONAL {{ ?run tc:errorMessage ?error }} }} }} GROUP BY ?run ?status ?started "
        f"{names} ORDER BY {RUN_ORDER} LIMIT {int(limit)}"
    )
    return [_run_info(row, counts) for row in rows]


def read_run(store: Store, run_id: str) -> RefreshRun | None:
    """Read back the whole record of one refresh or re-extraction run, PMIDs included."""
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
    if iris.term("RefreshRun") not in fields.get(iris.PREFIXES["rdf"] + "type", []):
        return None

    def one(local: str, prefix: str = "tc") -> str | None:
        values = fields.get(_iri(prefix, local), [])
        return values[0].value if values else None

    def many(local: str) -> tuple[str, ...]:
        found = (_pmid(v) for v in fields.get(_iri("tc", local), []))
        return tuple(sorted((p for p in found if p), key=int))

    ended = one("endedAtTime", "prov")
    return RefreshRun(
        run_id=run_id,
        label=one("label", "rdfs") or "refresh",
        query=one("query"),
        extractor=one("extractor"),
        started=datetime.fromisoformat(one("startedAtTime", "prov") or ""),
        ended=datetime.fromisoformat(ended) if ended else None,
        status=one("status") or "running",
        window_start=_date_text(one("windowStart")),
        window_end=_date_text(one("windowEnd")),
        watermark=_date_text(one("watermark")),
        swept=one("swept") == "true",
        found=int(one("recordsFound") or 0),
        fetched=int(one("recordsRead") or 0),
        unchanged=int(one("articlesUnchanged") or 0),
        superseded=int(one("articlesSuperseded") or 0),
        new=many("newArticle"),
        updated=many("updatedArticle"),
        deleted=many("deletedArticle"),
        retracted=many("retractedArticle"),
        pending=many("pendingArticle"),
        rejected=int(one("recordsRejected") or 0),
        errors=tuple(sorted(v.value for v in fields.get(_iri("tc", "errorMessage"), []))),
    )


# --- small readers ---------------------------------------------------------------------------


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


def _run_info(row: Row, counts: dict[str, str]) -> RunInfo:
    def text(name: str) -> str | None:
        return value_of(row.get(name))

    ended = _datetime(row.get("ended"))
    numbers = {n: int(v) for n in counts if (v := text(n)) is not None}
    run = row["run"]
    return RunInfo(
        run_id=_run_id(run) if isinstance(run, ox.NamedNode) else str(run),
        label=text("label") or "",
        status=text("status") or "",
        started=datetime.fromisoformat(text("started") or ""),
        ended=ended,
        query=text("query"),
        window_start=_date(row.get("window_start")),
        watermark=_date(row.get("watermark")),
        errors=int(text("errors") or 0),
        **numbers,
    )


# --- for people ------------------------------------------------------------------------------


def describe_run(run: RefreshRun, pmids_shown: int = 50) -> list[str]:
    """Say what a run did (or, for a dry run, would do), one line per fact, PMIDs listed."""
    lists = {
        "new": run.new,
        "updated": run.updated,
        "deleted": run.deleted,
        "retracted": run.retracted,
        "pending": run.pending,
    }
    counts = ", ".join(f"{len(v)} {k}" for k, v in lists.items())
    if run.dry_run:
        head = f"dry run, nothing written: would be {counts}"
    else:
        head = f"{run.label} {run.status} (run {run.run_id}): {counts}"
    lines = [head]
    if run.label == "refresh":
        window = f"from {run.window_start}" if run.window_start else "everything the query finds"
        sweep = "; swept for deletions" if run.swept else ""
        lines.append(
            f"searched {window} (edat, mdat): {run.found} PMIDs, {run.fetched} fetched"
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
    lines.extend(f"error: {message}" for message in run.errors)
    return lines


def runs_table(runs: list[RunInfo]) -> list[str]:
    """Lay out runs as a plain-text table, one line each."""
    head = ("run", "status", "started", "ended", "new", "upd", "del", "retr", "pend", "err")
    rows: list[tuple[str, ...]] = [head]
    for r in runs:
        rows.append(
            (
                r.run_id,
                r.status,
                f"{r.started:%Y-%m-%d %H:%M:%S}",
                f"{r.ended:%H:%M:%S}" if r.ended else "-",
                *(
                    "-" if n is None else str(n)
                    for n in (r.new, r.updated, r.deleted, r.retracted, r.pending)
                ),
                str(r.errors),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    return [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows
    ]
