"""The ontology graph: the ontology, concept scheme and mappings, loaded when they change.

A new ontology may come with a new shape of the article graphs: ``ensure_ontology`` brings the
summaries derived from them up to date before it loads the new files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from kb import iris
from kb.graph.article import is_paired, listing_key, summary_quads
from kb.graph.terms import integer
from kb.models import content_hash
from kb.resources import data_file, ontology_dir
from kb.store import Store, value_of

ONTOLOGY_FILES = ("tckb.ttl", "concepts.ttl", "mappings.ttl")


def ontology_quads(folder: Path | None = None) -> tuple[str, list[ox.Quad]]:
    """Read the ontology, concept scheme and mappings; return their hash and their quads."""
    folder = folder or ontology_dir()
    paths = [data_file(folder, name) for name in ONTOLOGY_FILES]
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
    """Write every article graph the summary the mapping now writes with it.

    The summary is ``tc:listingKey``, ``tc:makesClaim``, ``tc:claimedByKey``,
    ``tc:pairedByKey`` and ``tc:rejectedClaimByKey``, for graphs written before some of it
    existed: what a graph has already is written again, changing nothing.

    Read first, then added in batches: Virtuoso cannot run the same as one INSERT ... WHERE
    over variable graphs. Returns the number of summary quads written.
    """
    rows = store.select(
        iris.sparql_prolog()
        + """SELECT ?g ?article ?pmid ?year ?retracted ?claim ?role ?scope ?status WHERE {
        GRAPH ?g {
          ?article a tc:Article ; dcterms:identifier ?pmid .
          OPTIONAL { ?article tc:year ?year }
          OPTIONAL { ?article tc:retracted ?retracted }
          OPTIONAL {
            ?assertion tc:sourceArticle ?article ; tc:claim ?claim .
            OPTIONAL { ?assertion tc:role ?role }
            OPTIONAL { ?assertion tc:scope ?scope }
            OPTIONAL { ?assertion tc:curationStatus ?status }
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
        if isinstance(claim, ox.NamedNode) and value_of(row.get("status")) == "rejected":
            made.struck[claim] = None  # a curator rejected it: counted nowhere
        elif isinstance(claim, ox.NamedNode):
            made.claims[claim] = None
            role, scope = value_of(row.get("role")), value_of(row.get("scope"))
            if is_paired(role, scope) and value_of(row.get("retracted")) not in ("true", "1"):
                made.paired[claim] = None
    quads: list[ox.Quad] = []
    for (graph, article, pmid, year), made in articles.items():
        key = listing_key(pmid, int(year) if year else None)
        quads.append(ox.Quad(article, iris.term("listingKey"), integer(key), graph))
        quads += summary_quads(graph, article, key, made.claims, made.paired, made.struck)
    for start in range(0, len(quads), batch):
        store.add_quads(quads[start : start + batch])
    return len(quads)


@dataclass
class _Made:
    """The claims an article makes, those its summary pairs, and those only rejected ones make.

    Each once, in order.
    """

    claims: dict[ox.NamedNode, None] = field(default_factory=dict)
    paired: dict[ox.NamedNode, None] = field(default_factory=dict)
    struck: dict[ox.NamedNode, None] = field(default_factory=dict)
