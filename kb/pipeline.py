"""Ingest records into a store: extract, map and write each article, mark deletions, log the run."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import pyoxigraph as ox

from kb import iris
from kb.errors import KBError, StoreError
from kb.mapping import (
    deletion_quads,
    integer,
    is_paired,
    listing_key,
    run_to_quads,
    summary_quads,
    to_quads,
)
from kb.models import Article, Deletion, Extraction, Frozen, Rejection, content_hash
from kb.store import Row, Store, value_of

ONTOLOGY_FILES = ("tckb.ttl", "concepts.ttl", "mappings.ttl")
DELETIONS_PER_WRITE = 500  # deletion marks are one triple each: many fit one transaction
MAX_MESSAGES = 1000  # error messages kept in a run's record; the count keeps the rest

RunStatus = Literal["running", "completed", "failed"]


@dataclass(frozen=True)
class Extractor:
    """An extractor: its name and version (``tc-rules/1.2.0``) and the function that reads."""

    name: str
    read: Callable[[Article], Extraction]


def default_extractor() -> Extractor:
    """The project's rule-based extractor (imported only when a run needs it)."""
    from kb.extract import EXTRACTOR, extract_article

    return Extractor(EXTRACTOR, extract_article)


class IngestSummary(Frozen):
    """What one ingest run did: the record of the run in the runs graph, as a model."""

    run_id: str
    label: str
    files: tuple[str, ...] = ()
    extractor: str | None = None
    started: datetime
    ended: datetime | None = None
    status: RunStatus = "running"
    records: int = 0
    written: int = 0
    unchanged: int = 0
    superseded: int = 0
    deleted: int = 0
    deletions: tuple[str, ...] = ()
    rejected: int = 0
    errors: tuple[str, ...] = ()


@dataclass
class _Run:
    """The counts of a run under way."""

    summary: IngestSummary
    records: int = 0
    written: int = 0
    unchanged: int = 0
    superseded: int = 0
    deleted: int = 0
    deletions: list[str] = field(default_factory=list)
    rejected: int = 0
    errors: list[str] = field(default_factory=list)

    def reject(self, message: str) -> None:
        self.rejected += 1
        self.errors.append(message)

    def result(self, status: RunStatus, ended: datetime | None) -> IngestSummary:
        errors = self.errors[:MAX_MESSAGES]
        if len(self.errors) > MAX_MESSAGES:
            errors.append(f"... and {len(self.errors) - MAX_MESSAGES} more")
        return self.summary.model_copy(
            update={
                "status": status,
                "ended": ended,
                "records": self.records,
                "written": self.written,
                "unchanged": self.unchanged,
                "superseded": self.superseded,
                "deleted": self.deleted,
                "deletions": tuple(self.deletions),
                "rejected": self.rejected,
                "errors": tuple(errors),
            }
        )


@dataclass(frozen=True)
class _Stored:
    version: int
    content_hash: str | None
    extractor: str | None
    deleted: bool

    def same_as(self, article: Article, extractor: str) -> bool:
        """True when the stored graph was made from this very record by this extractor."""
        return (self.version, self.content_hash, self.extractor) == (
            article.version,
            article.content_hash,
            extractor,
        )


def new_run_id(label: str, now: datetime) -> str:
    """A unique run id whose time sorts to the microsecond: ``RUN_ORDER`` orders runs started
    within the same second by it (``ingest-20250101t100000123456z-3f2a1c``)."""
    slug = re.sub(r"[^0-9a-z]+", "-", label.lower()).strip("-") or "run"
    return f"{slug}-{now:%Y%m%dt%H%M%S%f}z-{secrets.token_hex(3)}"


#: Newest run first: by start time (stored to the second), then by the time in the run id.
RUN_ORDER = (
    'DESC(?started) DESC(REPLACE(STR(?run), "^.*/[a-z0-9-]*-([0-9]{8}t[0-9]+z)-[0-9a-f]+$", "$1"))'
)


def ingest_records(
    store: Store,
    records: Iterable[Article | Deletion | Rejection],
    *,
    extract: Extractor | None = None,
    run_label: str = "ingest",
    files: Sequence[str | Path] = (),
    batch_size: int | None = None,
    force: bool = False,
) -> IngestSummary:
    """Write records to the store and record the run; the single entry point of ingestion.

    Each article is extracted (``extract``, the project's extractor by default), mapped and
    replaces its graph; articles go in batches of ``batch_size`` (the store's own by default),
    one transaction each, so a crash leaves every article as it was or as it is now. A record
    older than the stored version is skipped, as is one already stored as read (unless
    ``force``). A Deletion marks the stored article deleted. Broken records are counted and
    reported; the rest goes on.
    A store failure ends the run (status failed) and is raised.
    """
    extractor = extract or default_extractor()
    ensure_ontology(store)
    started = _now()
    summary = IngestSummary(
        run_id=new_run_id(run_label, started),
        label=run_label,
        files=tuple(str(f) for f in files),
        extractor=extractor.name,
        started=started,
    )
    run = _Run(summary)
    _record_run(store, summary)
    try:
        _ingest(store, records, extractor, run, batch_size or store.batch_size, force)
    except BaseException:
        _record_run(store, run.result("failed", _now()), quiet=True)
        raise
    result = run.result("completed", _now())
    _record_run(store, result)
    return result


def _ingest(
    store: Store,
    records: Iterable[Article | Deletion | Rejection],
    extractor: Extractor,
    run: _Run,
    batch_size: int,
    force: bool,
) -> None:
    articles: dict[str, Article] = {}
    deletions: list[str] = []
    for record in records:
        run.records += 1
        if isinstance(record, Rejection):
            run.reject(f"{record.file}: {record.where}: {record.reason}")
        elif isinstance(record, Deletion):
            if articles:  # order matters: a deletion follows the records before it
                _write_articles(store, articles, extractor, run, force)
            deletions.append(record.pmid)
            if len(deletions) >= DELETIONS_PER_WRITE:
                _mark_deleted(store, deletions, run)
        else:
            if deletions:
                _mark_deleted(store, deletions, run)
            earlier = articles.get(record.pmid)
            if earlier is not None:
                run.superseded += 1
                if earlier.version > record.version:
                    continue
            articles[record.pmid] = record
            if len(articles) >= batch_size:
                _write_articles(store, articles, extractor, run, force)
    _write_articles(store, articles, extractor, run, force)
    _mark_deleted(store, deletions, run)


def _write_articles(
    store: Store, articles: dict[str, Article], extractor: Extractor, run: _Run, force: bool
) -> None:
    if not articles:
        return
    stored = _stored_states(store, list(articles))
    graphs: dict[ox.NamedNode, list[ox.Quad]] = {}
    for pmid, article in articles.items():
        known = stored.get(pmid)
        if known is not None and known.version > article.version:
            run.superseded += 1
            continue
        if not force and known is not None and known.same_as(article, extractor.name):
            run.unchanged += 1
            continue
        try:
            extraction = extractor.read(article)
            if not extraction.extractor:
                extraction = extraction.model_copy(update={"extractor": extractor.name})
            graphs[iris.article_graph(pmid)] = to_quads(article, extraction)
        except (ValueError, KBError) as exc:  # pydantic's ValidationError is a ValueError
            run.reject(f"PMID {pmid}: cannot extract or map: {exc}")
    store.replace_graphs(graphs)  # each article's claims go to the claims graph with it
    run.written += len(graphs)
    articles.clear()


def _mark_deleted(store: Store, pmids: list[str], run: _Run) -> None:
    if not pmids:
        return
    stored = _stored_states(store, pmids)
    marks = [
        q
        for p in dict.fromkeys(pmids)
        if p in stored and not stored[p].deleted
        for q in deletion_quads(p)
    ]
    store.add_quads(marks)
    run.deleted += len(marks)
    run.deletions.extend(pmids)
    pmids.clear()


def _stored_states(store: Store, pmids: Sequence[str]) -> dict[str, _Stored]:
    """Read the version, hash, extractor and deletion mark of stored articles.

    The lookup starts from the article nodes (each lives in its own graph only, so the union
    default graph finds it): Oxigraph scans every graph for ``VALUES ?g ... GRAPH ?g``, which
    made each batch cost time in proportion to the store (0.8 ms against 108 ms at 10,000).
    """
    if not pmids:
        return {}
    articles = {iris.article_iri(p): p for p in pmids}
    values = " ".join(str(a) for a in articles)
    rows = store.select(
        iris.sparql_prolog()
        + f"""SELECT ?a ?version ?hash ?extractor ?deleted WHERE {{
          VALUES ?a {{ {values} }}
          ?a tc:pmidVersion ?version .
          OPTIONAL {{ ?a tc:contentHash ?hash }}
          OPTIONAL {{ ?a tc:extractor ?extractor }}
          OPTIONAL {{ ?a tc:deleted ?deleted }}
        }}"""
    )
    states = {}
    for row in rows:
        article = row["a"]
        pmid = articles.get(article) if isinstance(article, ox.NamedNode) else None
        if pmid is not None:
            states[pmid] = _Stored(
                version=int(value_of(row["version"]) or 0),
                content_hash=value_of(row.get("hash")),
                extractor=value_of(row.get("extractor")),
                deleted=value_of(row.get("deleted")) in ("true", "1"),
            )
    return states


def _record_run(store: Store, summary: IngestSummary, quiet: bool = False) -> None:
    run = iris.run_iri(summary.run_id)
    try:
        store.replace_description(iris.RUNS_GRAPH, run, run_to_quads(summary))
    except StoreError:
        if not quiet:  # while failing already, the first error is the one to report
            raise


def _now() -> datetime:
    """The time now, in UTC, to the microsecond: runs started within a second still sort."""
    return datetime.now(UTC)


# --- the ontology graph --------------------------------------------------------------------


def ontology_quads(folder: Path | None = None) -> tuple[str, list[ox.Quad]]:
    """Read the ontology, concept scheme and mappings; return their hash and their quads."""
    from kb.vocabulary import ontology_dir

    folder = folder or ontology_dir()
    paths = [folder / name for name in ONTOLOGY_FILES]
    digest = content_hash([p.read_text(encoding="utf-8") for p in paths])
    quads = [
        ox.Quad(t.subject, t.predicate, t.object, iris.ONTOLOGY_GRAPH)
        for p in paths
        for t in ox.parse(path=p, format=ox.RdfFormat.TURTLE)
    ]
    quads.append(
        ox.Quad(
            iris.ONTOLOGY_GRAPH, iris.term("contentHash"), ox.Literal(digest), iris.ONTOLOGY_GRAPH
        )
    )
    return digest, quads


def ensure_ontology(store: Store, folder: Path | None = None) -> bool:
    """Load the ontology graph if it is missing or its files changed; True when it was loaded.

    A new ontology may come with a new shape of the article graphs: the summaries derived
    from them are brought up to date first (see ``backfill_summaries``).
    """
    digest, quads = ontology_quads(folder)
    rows = store.select(
        f"SELECT ?h WHERE {{ GRAPH {iris.ONTOLOGY_GRAPH} "
        f"{{ {iris.ONTOLOGY_GRAPH} {iris.term('contentHash')} ?h }} }}"
    )
    if any(value_of(r["h"]) == digest for r in rows):
        return False
    backfill_summaries(store)
    store.replace_graphs({iris.ONTOLOGY_GRAPH: quads})
    return True


def backfill_summaries(store: Store, batch: int = 50_000) -> int:
    """Write every article graph the summary the mapping now writes with it (``tc:listingKey``,
    ``tc:makesClaim``, ``tc:claimedByKey``, ``tc:pairedByKey``), for graphs written before
    some of it existed: what a graph has already is written again, changing nothing.

    Read first, then added in batches: Virtuoso cannot run the same as one INSERT ... WHERE
    over variable graphs. Returns the number of summary quads written.
    """
    rows = store.select(
        iris.sparql_prolog()
        + """SELECT ?g ?article ?pmid ?year ?retracted ?claim ?role ?scope WHERE { GRAPH ?g {
          ?article a tc:Article ; dcterms:identifier ?pmid .
          OPTIONAL { ?article tc:year ?year }
          OPTIONAL { ?article tc:retracted ?retracted }
          OPTIONAL {
            ?assertion tc:sourceArticle ?article ; tc:claim ?claim .
            OPTIONAL { ?assertion tc:role ?role }
            OPTIONAL { ?assertion tc:scope ?scope }
          }
        } }"""
    )
    articles: dict[tuple[ox.NamedNode, ox.NamedNode, str, str | None], _Made] = {}
    for row in rows:
        graph, article, claim = row["g"], row["article"], row.get("claim")
        if not isinstance(graph, ox.NamedNode) or not isinstance(article, ox.NamedNode):
            continue  # only named graphs and articles are summarised
        year, pmid = value_of(row.get("year")), value_of(row["pmid"]) or ""
        made = articles.setdefault((graph, article, pmid, year), _Made())
        if isinstance(claim, ox.NamedNode):
            made.claims[claim] = None
            role, scope = value_of(row.get("role")), value_of(row.get("scope"))
            if is_paired(role, scope) and value_of(row.get("retracted")) not in ("true", "1"):
                made.paired[claim] = None
    quads: list[ox.Quad] = []
    for (graph, article, pmid, year), made in articles.items():
        key = listing_key(pmid, int(year) if year else None)
        quads.append(ox.Quad(article, iris.term("listingKey"), integer(key), graph))
        quads += summary_quads(graph, article, key, made.claims, made.paired)
    for start in range(0, len(quads), batch):
        store.add_quads(quads[start : start + batch])
    return len(quads)


@dataclass
class _Made:
    """The claims an article makes, and those its summary pairs (each once, in order)."""

    claims: dict[ox.NamedNode, None] = field(default_factory=dict)
    paired: dict[ox.NamedNode, None] = field(default_factory=dict)


# --- what the store holds ------------------------------------------------------------------


class StoreStats(Frozen):
    """Counts of what the store holds, and its last run (``kb stats``)."""

    articles: int
    deleted: int
    retracted: int
    assertions: int
    claims: int
    quads: int
    graphs: int
    last_run: IngestSummary | None = None


def get_stats(store: Store) -> StoreStats:
    """Count articles, assertions, quads and graphs of the knowledge base; find the last run."""
    prolog = iris.sparql_prolog()
    counts = store.select(
        prolog
        + """SELECT
          (COUNT(DISTINCT ?article) AS ?articles) (COUNT(DISTINCT ?gone) AS ?deleted)
          (COUNT(DISTINCT ?withdrawn) AS ?retracted)
        WHERE {
          ?article a tc:Article .
          OPTIONAL { ?article tc:deleted true . BIND(?article AS ?gone) }
          OPTIONAL { ?article tc:retracted true . BIND(?article AS ?withdrawn) }
        }"""
    )[0]
    statements = store.select(
        prolog + "SELECT (COUNT(DISTINCT ?a) AS ?assertions) (COUNT(DISTINCT ?c) AS ?claims) "
        "WHERE { ?a a tc:Assertion ; tc:claim ?c }"
    )[0]
    sizes = store.select(
        "SELECT (COUNT(*) AS ?quads) (COUNT(DISTINCT ?g) AS ?graphs) "
        f'WHERE {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(STRSTARTS(STR(?g), "{iris.BASE}")) }}'
    )[0]
    return StoreStats(
        **_ints({**counts, **statements, **sizes}, StoreStats), last_run=last_run(store)
    )


def last_run(store: Store) -> IngestSummary | None:
    """The most recently started run recorded in the runs graph, or None."""
    rows = store.select(
        iris.sparql_prolog()
        + f"""SELECT ?run ?label ?started ?ended ?status ?records ?written ?unchanged ?superseded
               ?deleted ?rejected ?extractor WHERE {{
          GRAPH {iris.RUNS_GRAPH} {{
            ?run a tc:IngestRun ; prov:startedAtTime ?started ; tc:status ?status .
            OPTIONAL {{ ?run rdfs:label ?label }}
            OPTIONAL {{ ?run prov:endedAtTime ?ended }}
            OPTIONAL {{ ?run tc:recordsRead ?records ; tc:articlesWritten ?written ;
                         tc:articlesUnchanged ?unchanged ; tc:articlesSuperseded ?superseded ;
                         tc:articlesDeleted ?deleted ; tc:recordsRejected ?rejected }}
            OPTIONAL {{ ?run prov:wasAssociatedWith/rdfs:label ?extractor }}
          }}
        }} ORDER BY {RUN_ORDER} LIMIT 1"""
    )
    if not rows:
        return None
    row = rows[0]
    ended = value_of(row.get("ended"))
    return IngestSummary(
        run_id=(value_of(row["run"]) or "").rsplit("/", 1)[-1],
        label=value_of(row.get("label")) or "",
        extractor=value_of(row.get("extractor")),
        started=datetime.fromisoformat(value_of(row["started"]) or ""),
        ended=datetime.fromisoformat(ended) if ended else None,
        status=value_of(row["status"]),
        **_ints(row, IngestSummary),
    )


def _ints(row: Row, model: type[Frozen]) -> dict[str, int]:
    """The integer fields of ``model`` read from the row's variables of the same names."""
    names = [n for n, f in model.model_fields.items() if f.annotation in (int, "int")]
    return {n: int(value_of(row.get(n)) or 0) for n in names}
