"""Check the store against the SHACL shapes and the per-article graph rules (``kb validate``)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pyoxigraph as ox
import rdflib
from pydantic import Field

from kb import iris
from kb.graph.article import is_paired, listing_key, summary_quads
from kb.graph.terms import TRUE, integer
from kb.models import Frozen
from kb.resources import data_file, ontology_dir
from kb.store import Store, Term, value_of

SH = rdflib.Namespace(iris.PREFIXES["sh"])
RDF_TYPE = iris.vocab("rdf:type")


class Violation(Frozen):
    """One thing wrong, said so that a person can find and fix it."""

    focus: str = Field(description="The node (or graph) that is wrong.")
    path: str | None = Field(None, description="The property that is wrong, if one is.")
    message: str
    value: str | None = Field(None, description="The offending value, if any.")
    severity: str = "Violation"

    def __str__(self) -> str:
        where = f" {self.path}" if self.path else ""
        value = f" (value: {self.value})" if self.value else ""
        return f"{self.severity}: <{self.focus}>{where}: {self.message}{value}"


class Report(Frozen):
    """What validation found."""

    conforms: bool
    graphs: int
    triples: int
    violations: tuple[Violation, ...] = ()


def read_shapes(path: Path | None = None) -> rdflib.Graph:
    """Read the SHACL shapes (``ontology/shapes.ttl``)."""
    return rdflib.Graph().parse(path or data_file(ontology_dir(), "shapes.ttl"), format="turtle")


def to_rdflib(quads: Iterable[ox.Quad]) -> rdflib.Graph:
    """Merge quads into one rdflib graph (their union), through N-Triples."""
    data = ox.serialize(
        (ox.Triple(q.subject, q.predicate, q.object) for q in quads), format=ox.RdfFormat.N_TRIPLES
    )
    return rdflib.Graph().parse(data=data, format="nt")


def validate_quads(quads: Iterable[ox.Quad], shapes: rdflib.Graph | None = None) -> Report:
    """Validate quads (merged as one graph) against the shapes and the article-graph rules.

    Give the ontology graph's quads with the data, or concepts will read as unknown.
    """
    from pyshacl import validate

    quads = list(quads)
    data = to_rdflib(quads)
    _, results, _ = validate(
        data, shacl_graph=shapes if shapes is not None else read_shapes(), inference="none"
    )
    violations = [*_violations(results), *check_article_graphs(quads)]
    graphs = {q.graph_name for q in quads}
    return Report(
        conforms=not violations,
        graphs=len(graphs),
        triples=len(data),
        violations=tuple(sorted(violations, key=lambda v: (v.focus, v.path or "", v.message))),
    )


def validate_store(store: Store, graph: ox.NamedNode | None = None, batch: int = 200) -> Report:
    """Validate the whole store, or one graph of it, with the ontology and claims it uses.

    The whole store goes ``batch`` article graphs at a time, each batch with the ontology
    and the claims graph, and then the other graphs (the runs): memory follows the batch and
    the largest article, not the store. ``triples`` counts the quads of every graph once.
    """
    context = [q for g in (iris.ONTOLOGY_GRAPH, iris.CLAIMS_GRAPH) for q in store.quads(g)]
    if graph is not None:
        return validate_quads([*store.quads(graph), *context])
    shapes = read_shapes()
    names = sorted(store.graph_names(), key=lambda g: g.value)
    articles = [g for g in names if iris.pmid_of_graph(g)]
    others = [g for g in names if g not in articles]
    violations: set[Violation] = set()
    triples = 0
    parts = [articles[i : i + batch] for i in range(0, len(articles), batch)] + [others]
    for part in parts:
        quads = [q for g in part for q in store.quads(g)]
        triples += len(quads)
        violations.update(validate_quads([*quads, *context], shapes).violations)
    return Report(
        conforms=not violations,
        graphs=len(names),
        triples=triples,
        violations=tuple(sorted(violations, key=lambda v: (v.focus, v.path or "", v.message))),
    )


def check_article_graphs(quads: Iterable[ox.Quad]) -> list[Violation]:
    """Check that each article graph holds its own article, and assertions of it alone.

    SHACL sees one merged graph; these rules need to know which graph a triple is in.
    """
    by_graph: dict[str, list[ox.Quad]] = {}
    for quad in quads:
        if isinstance(quad.graph_name, ox.NamedNode):
            by_graph.setdefault(quad.graph_name.value, []).append(quad)
    problems: list[Violation] = []
    for name, graph_quads in by_graph.items():
        pmid = iris.pmid_of_graph(ox.NamedNode(name))
        if pmid is not None:
            problems.extend(_check_article_graph(name, pmid, graph_quads))
    return problems


def _check_article_graph(name: str, pmid: str, quads: list[ox.Quad]) -> Iterable[Violation]:
    article, lesion = iris.article_iri(pmid), iris.lesion_iri(pmid)
    if ox.Quad(article, RDF_TYPE, iris.term("Article"), ox.NamedNode(name)) not in set(quads):
        yield Violation(focus=name, message=f"the graph of PMID {pmid} lacks its tc:Article node")
    expected = {iris.term("sourceArticle"): article, iris.term("about"): lesion}
    for quad in quads:
        own = expected.get(quad.predicate)
        if own is not None and quad.object != own:
            yield Violation(
                focus=quad.subject.value if isinstance(quad.subject, ox.NamedNode) else name,
                path=quad.predicate.value,
                message=f"an assertion in the graph of PMID {pmid} points to another article",
                value=str(quad.object),
            )
    yield from _check_summary(name, pmid, quads)


SUMMARY = frozenset(
    iris.term(t)
    for t in ("listingKey", "makesClaim", "claimedByKey", "pairedByKey", "rejectedClaimByKey")
)


def _check_summary(name: str, pmid: str, quads: list[ox.Quad]) -> Iterable[Violation]:
    """The article's summary is exactly what the mapping derives from the rest of its graph."""
    article, graph = iris.article_iri(pmid), ox.NamedNode(name)
    if not any(q.subject == article and q.predicate == RDF_TYPE for q in quads):
        return
    years = [int(value_of(q.object) or 0) for q in quads if q.predicate == iris.term("year")]
    key = listing_key(pmid, years[0] if years else None)
    said = _statements(quads)
    counted = [st for st in said.values() if not _rejected(st)]
    made = dict.fromkeys(c for st in counted if isinstance(c := st.get(_CLAIM), ox.NamedNode))
    struck = {
        c for st in said.values() if _rejected(st) and isinstance(c := st.get(_CLAIM), ox.NamedNode)
    }
    expected = {ox.Quad(article, iris.term("listingKey"), integer(key), graph)}
    paired = _paired(article, graph, quads, counted)
    summary = summary_quads(graph, article, key, made, paired, struck)
    expected.update(q for q in summary if q.graph_name == graph)
    present = {q for q in quads if q.predicate in SUMMARY}
    for quad, message in [
        *((q, "its summary lacks what its assertions imply") for q in expected - present),
        *((q, "its summary says what its assertions do not") for q in present - expected),
    ]:
        yield Violation(
            focus=value_of(quad.subject) or name,
            path=quad.predicate.value,
            message=f"the graph of PMID {pmid}: {message}",
            value=str(quad.object),
        )


_CLAIM = iris.term("claim")


def _statements(quads: list[ox.Quad]) -> dict[Term, dict[ox.NamedNode, Term]]:
    """What the graph says of each subject, a value per predicate."""
    said: dict[Term, dict[ox.NamedNode, Term]] = {}
    for quad in quads:
        said.setdefault(quad.subject, {})[quad.predicate] = quad.object
    return said


def _rejected(statement: dict[ox.NamedNode, Term]) -> bool:
    """Whether curators rejected this assertion (it is said, and counted nowhere)."""
    return value_of(statement.get(iris.term("curationStatus"))) == "rejected"


def _paired(
    article: ox.NamedNode,
    graph: ox.NamedNode,
    quads: list[ox.Quad],
    counted: list[dict[ox.NamedNode, Term]],
) -> list[ox.NamedNode]:
    """The claims the summary of an article pairs (none if it is retracted)."""
    if ox.Quad(article, iris.term("retracted"), TRUE, graph) in set(quads):
        return []
    role, scope = iris.term("role"), iris.term("scope")
    return [
        made
        for statement in counted
        if isinstance(made := statement.get(_CLAIM), ox.NamedNode)
        and is_paired(value_of(statement.get(role)), value_of(statement.get(scope)))
    ]


def _violations(results: rdflib.Graph) -> list[Violation]:
    found = []
    # Only the report's own results: nested sh:detail results repeat them in other words.
    for result in results.objects(None, SH.result):
        path, value = results.value(result, SH.resultPath), results.value(result, SH.value)
        severity = results.value(result, SH.resultSeverity)
        found.append(
            Violation(
                focus=str(results.value(result, SH.focusNode)),
                path=str(path) if isinstance(path, rdflib.URIRef) else None,
                message=str(results.value(result, SH.resultMessage) or "violates a shape"),
                value=str(value) if value is not None else None,
                severity=str(severity).rsplit("#", 1)[-1] if severity else "Violation",
            )
        )
    return found
