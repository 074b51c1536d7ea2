"""SHACL validation: a sound graph conforms; each kind of broken assertion is named."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from kb import iris
from kb.graph.article import to_quads
from kb.graph.ontology import ontology_quads
from kb.graph.validate import SUMMARY, Report, check_article_graphs, validate_quads
from tests.support.articles import assertion, full_article, full_extraction

PMID = "11474353"
TC = iris.ONTOLOGY
SUMMARY_PATHS = {p.value for p in SUMMARY}


@pytest.fixture(scope="module")
def ontology() -> list[ox.Quad]:
    return ontology_quads()[1]


@pytest.fixture
def article() -> list[ox.Quad]:
    return to_quads(full_article(PMID), full_extraction(PMID))


def first_assertion(quads: list[ox.Quad]) -> ox.NamedNode:
    key = assertion().evidence_key(PMID, "tc-rules/9.9.9")
    node = iris.assertion_iri(key)
    assert any(q.subject == node for q in quads)
    return node


def without(quads: list[ox.Quad], subject: ox.NamedNode, predicate: str) -> list[ox.Quad]:
    return [q for q in quads if not (q.subject == subject and q.predicate == iris.term(predicate))]


def found(report: Report) -> set[tuple[str, str | None]]:
    return {(v.focus, v.path) for v in report.violations}


def test_a_mapped_article_with_the_ontology_conforms(
    article: list[ox.Quad], ontology: list[ox.Quad]
) -> None:
    report = validate_quads([*article, *ontology])
    assert report.conforms, [str(v) for v in report.violations]
    assert report.graphs == 3  # the article's, the claims and the ontology


def test_an_assertion_without_source_article_is_named(
    article: list[ox.Quad], ontology: list[ox.Quad]
) -> None:
    node = first_assertion(article)
    report = validate_quads([*without(article, node, "sourceArticle"), *ontology])
    assert found(report) == {(node.value, TC + "sourceArticle")}
    (violation,) = report.violations
    assert str(violation) == (
        f"Violation: <{node.value}> {TC}sourceArticle: "
        "an assertion needs one source article (a tc:Article)"
    )


def test_an_assertion_without_polarity_is_named(
    article: list[ox.Quad], ontology: list[ox.Quad]
) -> None:
    node = first_assertion(article)
    report = validate_quads([*without(article, node, "polarity"), *ontology])
    assert found(report) == {(node.value, TC + "polarity")}


def test_an_unknown_concept_is_named(article: list[ox.Quad], ontology: list[ox.Quad]) -> None:
    node = first_assertion(article)
    unknown = iris.concept_iri("finding/glowing-in-the-dark")
    graph = iris.article_graph(PMID)
    broken = [
        *without(article, node, "concept"),
        ox.Quad(node, iris.term("concept"), unknown, graph),
    ]
    report = validate_quads([*broken, *ontology])
    assert found(report) == {(node.value, TC + "concept")}
    (violation,) = report.violations
    assert violation.value == unknown.value and "unknown concept" in violation.message


def test_without_the_ontology_every_concept_reads_as_unknown(article: list[ox.Quad]) -> None:
    report = validate_quads(article)
    assert not report.conforms
    assert {v.path for v in report.violations} == {TC + "concept", TC + "region"}


def test_a_position_that_ends_before_it_starts_is_named(
    article: list[ox.Quad], ontology: list[ox.Quad]
) -> None:
    key = assertion().evidence_key(PMID, "tc-rules/9.9.9")
    position = iris.selector_iri(key, "position")
    end = ox.NamedNode(iris.PREFIXES["oa"] + "end")
    graph = iris.article_graph(PMID)
    kept = [q for q in article if not (q.subject == position and q.predicate == end)]
    broken = [*kept, ox.Quad(position, end, ox.Literal("3", datatype=_integer()), graph)]
    report = validate_quads([*broken, *ontology])
    assert {v.message for v in report.violations} == {"the position selector ends before it starts"}


def test_an_article_graph_without_its_article_or_with_a_stranger_is_named(
    article: list[ox.Quad],
) -> None:
    article_node = iris.article_iri(PMID)
    summary = iris.term("makesClaim")
    headless = [q for q in article if q.subject != article_node or q.predicate == summary]
    assert [v.message for v in check_article_graphs(headless)] == [
        f"the graph of PMID {PMID} lacks its tc:Article node"
    ]
    stranger = to_quads(full_article("5"), full_extraction("5"))
    moved = [ox.Quad(q.subject, q.predicate, q.object, iris.article_graph(PMID)) for q in stranger]
    problems = [v for v in check_article_graphs([*article, *moved]) if v.path not in SUMMARY_PATHS]
    assert problems and all(v.value and "/article/5" in v.value for v in problems)
    assert {v.path for v in problems} == {TC + "sourceArticle", TC + "about"}


def test_a_summary_out_of_step_with_the_assertions_is_named(article: list[ox.Quad]) -> None:
    summary = iris.term("makesClaim")
    links = [q for q in article if q.predicate == summary]
    assert links and check_article_graphs(article) == []
    stale = ox.Quad(iris.article_iri(PMID), summary, iris.claim_iri("0" * 32), links[0].graph_name)
    problems = check_article_graphs([*[q for q in article if q != links[0]], stale])
    lacking = f"the graph of PMID {PMID}: its summary lacks what its assertions imply"
    unfounded = f"the graph of PMID {PMID}: its summary says what its assertions do not"
    assert sorted((v.message, v.value) for v in problems if v.path == summary.value) == [
        (lacking, str(links[0].object)),
        (unfounded, str(stale.object)),
    ]


def test_a_pair_the_summary_lacks_or_a_retracted_article_pairs_is_named(
    article: list[ox.Quad],
) -> None:
    paired_by = iris.term("pairedByKey")
    full = full_extraction(PMID)
    two = full.model_copy(
        update={"assertions": (*full.assertions, assertion("finding/mass-lesion"))}
    )
    live = to_quads(full_article(PMID, comments_corrections=(), publication_types=()), two)
    pairs = [q for q in live if q.predicate == paired_by]
    assert pairs and check_article_graphs(live) == []
    lacking = [q for q in live if q != pairs[0]]
    assert [(v.path, v.message) for v in check_article_graphs(lacking)] == [
        (paired_by.value, f"the graph of PMID {PMID}: its summary lacks what its assertions imply")
    ]
    stray = ox.Quad(pairs[0].subject, paired_by, pairs[0].object, article[0].graph_name)
    retracted = [*article, stray]  # full_article is retracted: it pairs nothing
    assert [(v.path, v.message) for v in check_article_graphs(retracted)] == [
        (paired_by.value, f"the graph of PMID {PMID}: its summary says what its assertions do not")
    ]


def test_a_listing_key_that_is_not_the_articles_year_and_pmid_is_named(
    article: list[ox.Quad],
) -> None:
    listing = iris.term("listingKey")
    (key,) = [q for q in article if q.predicate == listing]
    assert int(key.object.value) % 10**9 == int(PMID)  # type: ignore[union-attr]
    wrong = ox.Quad(key.subject, listing, ox.Literal("1", datatype=_integer()), key.graph_name)
    problems = check_article_graphs([*[q for q in article if q != key], wrong])
    assert [(v.path, v.value) for v in problems] == [
        (listing.value, str(key.object)),
        (listing.value, str(wrong.object)),
    ]


def _integer() -> ox.NamedNode:
    return ox.NamedNode(iris.PREFIXES["xsd"] + "integer")


def test_the_whole_store_is_validated_a_batch_of_articles_at_a_time(
    ontology: list[ox.Quad],
) -> None:
    from kb.graph.validate import validate_store
    from kb.store import OxigraphStore

    store = OxigraphStore()
    store.add_quads(ontology)
    broken = None
    for pmid in range(11474353, 11474360):
        quads = to_quads(full_article(str(pmid)), full_extraction(str(pmid)))
        if pmid == 11474358:  # in the third batch of two
            broken = next(q.subject for q in quads if q.predicate == iris.term("polarity"))
            quads = without(quads, broken, "polarity")  # type: ignore[arg-type]
        store.replace_graphs({iris.article_graph(str(pmid)): quads})
    whole = validate_store(store)
    batched = validate_store(store, batch=2)
    assert batched == whole and not whole.conforms
    assert {v.focus for v in whole.violations} == {broken.value}  # type: ignore[union-attr]
    assert whole.triples == len(list(store.quads()))
