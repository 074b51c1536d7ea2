"""The one write path of articles: what the store holds of them, and writing them whole.

Ingest, refresh and re-extraction decide differently what to write; all of them look up what
is stored with ``stored_states``, write with ``write_articles`` (extract, map, archive, replace
the graphs in one transaction) and mark withdrawn records with ``mark_deleted``.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pyoxigraph as ox

from kb import iris
from kb.cases.duplicates import refresh_duplicates
from kb.cases.similar import build_index
from kb.curation import AnyVerdict, PairVerdict, Verdict
from kb.errors import KBError
from kb.extraction import Extractor, extract_with
from kb.graph.article import deletion_quads, to_quads
from kb.graph.curation import verdicts_from_quads
from kb.models import Article
from kb.query.named import read_queries
from kb.query.registry import Registry
from kb.store import Store, value_of

if TYPE_CHECKING:
    from kb.jobs.archive import RecordArchive
    from kb.jobs.runs import Tally

LOOKUPS = 1000  # articles looked up per query


@dataclass
class Stopwatch:
    """Seconds a run spent in each stage.

    The stages are record (its run record, the ontology, the state), search, fetch, parse,
    compare (with the store), extract, map, archive and store.
    """

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

    def same_as(self, article: Article, extractor: str) -> bool:
        """Tell whether the stored graph was made from this very record by this extractor."""
        return (self.version, self.content_hash, self.extractor) == (
            article.version,
            article.content_hash,
            extractor,
        )


def stored_pmids(store: Store, *, deleted: bool | None = None) -> list[str]:
    """List the articles the store holds (only those marked deleted, or not, if asked), in order.

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

    Article nodes are looked up on the union default graph (each lives in its own graph
    only), an OPTIONAL per property: at 10,000 articles this is 1.2 to 2 times faster than
    by (graph, article) pairs with a FILTER (``bench/state.py`` measures both).
    """
    wanted = list(dict.fromkeys(pmids)) if pmids is not None else stored_pmids(store)
    states: dict[str, Stored] = {}
    for start in range(0, len(wanted), LOOKUPS):
        nodes = {iris.article_iri(p): p for p in wanted[start : start + LOOKUPS]}
        rows = store.select(
            iris.sparql_prolog()
            + f"""SELECT ?a ?version ?hash ?extractor ?deleted ?retracted WHERE {{
              VALUES ?a {{ {" ".join(str(a) for a in nodes)} }}
              ?a tc:pmidVersion ?version .
              OPTIONAL {{ ?a tc:contentHash ?hash }}
              OPTIONAL {{ ?a tc:extractor ?extractor }}
              OPTIONAL {{ ?a tc:deleted ?deleted }}
              OPTIONAL {{ ?a tc:retracted ?retracted }}
            }}"""
        )
        for row in rows:
            node = row["a"]
            pmid = nodes.get(node) if isinstance(node, ox.NamedNode) else None
            if pmid is not None:
                states[pmid] = Stored(
                    version=int(value_of(row["version"]) or 0),
                    content_hash=value_of(row.get("hash")),
                    extractor=value_of(row.get("extractor")),
                    deleted=value_of(row.get("deleted")) in ("true", "1"),
                    retracted=value_of(row.get("retracted")) in ("true", "1"),
                )
    return states


def read_all_verdicts(store: Store, pmids: Sequence[str] | None = None) -> list[AnyVerdict]:
    """The verdicts in the store, on assertions and duplicate flags (on some articles only).

    The verdicts on given articles are looked up by article, so their cost grows with them,
    not with the curation graph (``bench/curation.py``).
    """
    quads = store.quads(iris.CURATION_GRAPH) if pmids is None else _verdict_quads(store, pmids)
    verdicts, _ = verdicts_from_quads(quads)
    return verdicts


def read_verdicts(store: Store, pmids: Sequence[str] | None = None) -> list[Verdict]:
    """Read the verdicts on assertions in the store (on some articles only, if given)."""
    return [v for v in read_all_verdicts(store, pmids) if isinstance(v, Verdict)]


def _verdict_quads(store: Store, pmids: Sequence[str]) -> list[ox.Quad]:
    """The curation graph's quads describing the verdicts on some articles."""
    if not pmids:
        return []
    nodes = " ".join(str(iris.article_iri(p)) for p in dict.fromkeys(pmids))
    parts = "oa:hasTarget|tc:judged|oa:hasBody|dcterms:creator"
    rows = store.select(
        iris.sparql_prolog()
        + f"""SELECT ?s ?p ?o WHERE {{ GRAPH {iris.CURATION_GRAPH} {{
          VALUES ?a {{ {nodes} }}
          {{ ?s tc:onArticle ?a ; ?p ?o }}
          UNION {{ ?v tc:onArticle ?a ; {parts} ?s . ?s ?p ?o }}
          UNION {{ ?v tc:onArticle ?a ; oa:hasTarget/oa:hasSelector ?s . ?s ?p ?o }}
        }} }}"""
    )
    graph = iris.CURATION_GRAPH
    return [
        ox.Quad(r["s"], r["p"], r["o"], graph)  # type: ignore[arg-type]
        for r in rows
        if r.get("s") is not None and r.get("p") is not None and r.get("o") is not None
    ]


def write_articles(
    store: Store,
    articles: Sequence[Article],
    extractor: Extractor,
    tally: Tally,
    *,
    archive: RecordArchive | None = None,
    deleted: Collection[str] = (),
    watch: Stopwatch | None = None,
    verdicts: Sequence[Verdict] | None = None,
    extra: Sequence[ox.Quad] = (),
) -> list[str]:
    """Extract, map and write articles, each graph replaced whole, all in one transaction.

    An article that cannot be extracted or mapped is rejected on the tally; the others are
    written. Each record is archived first, so the store never holds one the archive lacks.
    PMIDs in ``deleted`` keep their deletion mark. Curators' verdicts on the articles (read
    from the store unless given) act on what is read. Quads in ``extra`` (new verdicts, in
    the curation graph) are added in the same transaction. Returns the PMIDs written.
    """
    watch = watch or Stopwatch()
    graphs: dict[ox.NamedNode, list[ox.Quad]] = {}
    written: list[Article] = []
    if verdicts is None:
        with watch.stage("compare"):
            verdicts = read_verdicts(store, [a.pmid for a in articles])
    verdicts_of: dict[str, list[Verdict]] = {}
    for v in verdicts:
        verdicts_of.setdefault(v.pmid, []).append(v)
    for article in articles:
        try:
            with watch.stage("extract"):
                extraction = extract_with(extractor, article)
            with watch.stage("map"):
                quads = to_quads(article, extraction, verdicts_of.get(article.pmid, ()))
        except (ValueError, KBError) as exc:  # pydantic's ValidationError is a ValueError
            tally.reject(article.pmid, f"PMID {article.pmid}: cannot extract or map: {exc}")
            continue
        if article.pmid in deleted:
            quads.extend(deletion_quads(article.pmid))
        graphs[iris.article_graph(article.pmid)] = quads
        written.append(article)
    if graphs and extra:  # shared-graph quads ride with the first article's graph
        graphs[next(iter(graphs))].extend(extra)
    orphaned = iris.term("orphanVerdict")
    tally.count("orphaned", sum(q.predicate == orphaned for qs in graphs.values() for q in qs))
    if archive is not None:
        with watch.stage("archive"):
            for article in written:
                archive.write(article)
    if graphs:
        with watch.stage("store"):  # each article's claims go to the claims graph with it
            store.replace_graphs(graphs)
    tally.count("written", len(graphs))
    return [article.pmid for article in written]


def mark_deleted(
    store: Store, pmids: Sequence[str], *, dry_run: bool = False, watch: Stopwatch | None = None
) -> list[str]:
    """Mark withdrawn articles deleted, those stored and not marked yet; return them."""
    known = stored_states(store, pmids)
    marked = [p for p in dict.fromkeys(pmids) if p in known and not known[p].deleted]
    if marked and not dry_run:
        with (watch or Stopwatch()).stage("store"):
            store.add_quads([q for p in marked for q in deletion_quads(p)])
    return marked


def flag_duplicate_cases(store: Store) -> int:
    """Flag the cases published twice anew, after a run's writes; return how many flags.

    Every run that writes articles ends here, so the flags always describe the store's
    cases as they are (the duplicates graph is rewritten whole), as curators judged them.
    """
    registry = Registry(store, read_queries())
    judged = [v for v in read_all_verdicts(store) if isinstance(v, PairVerdict)]
    return len(refresh_duplicates(registry, build_index(registry).cases, judged))
