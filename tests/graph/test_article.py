"""The mapping from an article and its extraction to the quads of its named graph."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import combinations

import pyoxigraph as ox
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from kb import iris
from kb.graph.article import deletion_quads, issued, listing_key, to_quads
from kb.jobs.runs import Run, run_to_quads
from kb.models import AbstractSection, Article, Author, Extraction, PubDate
from kb.vocabulary import region_of
from tests.support.articles import SENTENCE, assertion, full_article, full_extraction

XSD = iris.PREFIXES["xsd"]
RDF_TYPE = ox.NamedNode(iris.PREFIXES["rdf"] + "type")


def _ns(prefix: str, local: str) -> ox.NamedNode:
    return ox.NamedNode(iris.PREFIXES[prefix] + local)


def _objects(quads: list[ox.Quad], subject: ox.NamedNode, predicate: ox.NamedNode) -> set[str]:
    return {str(q.object) for q in quads if q.subject == subject and q.predicate == predicate}


def test_quads_lie_in_the_article_graph_but_claims_in_the_claims_graph() -> None:
    quads = to_quads(full_article(), full_extraction())
    assert {q.graph_name for q in quads} == {iris.article_graph("11474353"), iris.CLAIMS_GRAPH}
    claims = {q.subject.value for q in quads if q.graph_name == iris.CLAIMS_GRAPH}
    assert claims == {iris.claim_iri(a.claim_key).value for a in full_extraction().assertions}
    for quad in quads:
        assert not isinstance(quad.subject, ox.BlankNode)
        assert not isinstance(quad.object, ox.BlankNode)


def test_the_article_node_carries_its_record() -> None:
    quads = to_quads(full_article())
    a = iris.article_iri("11474353")
    assert _objects(quads, a, RDF_TYPE) == {
        f"<{_ns('fabio', 'JournalArticle').value}>",
        f"<{iris.term('Article').value}>",
    }
    assert _objects(quads, a, iris.term("pmidVersion")) == {f'"2"^^<{XSD}integer>'}
    assert _objects(quads, a, _ns("dcterms", "issued")) == {f'"2001-08-01"^^<{XSD}date>'}
    assert _objects(quads, a, _ns("fabio", "hasPublicationYear")) == {f'"2001"^^<{XSD}gYear>'}
    assert _objects(quads, a, iris.term("year")) == {f'"2001"^^<{XSD}integer>'}
    assert _objects(quads, a, _ns("dcterms", "abstract")) == {f'"First part.\\n{SENTENCE}"'}
    assert _objects(quads, a, _ns("dcterms", "language")) == {'"eng"', '"fre"'}
    assert _objects(quads, a, _ns("bibo", "doi")) == {'"10.1097/x"'}
    assert _objects(quads, a, iris.term("retracted")) == {f'"true"^^<{XSD}boolean>'}
    assert _objects(quads, a, iris.term("contentHash")) == {f'"{full_article().content_hash}"'}
    assert _objects(quads, a, _ns("rdfs", "seeAlso")) == {
        "<https://pubmed.ncbi.nlm.nih.gov/11474353/>"
    }


def test_mesh_headings_and_types_link_to_nlm_iris_with_major_topics_marked() -> None:
    quads = to_quads(full_article())
    a = iris.article_iri("11474353")
    mesh = "http://id.nlm.nih.gov/mesh/"
    assert _objects(quads, a, _ns("dcterms", "subject")) == {
        f"<{mesh}D002114>",
        f"<{mesh}D013131>",
        f"<{mesh}D006801>",
    }
    # a heading is major when the descriptor is, or any of its qualifiers
    assert _objects(quads, a, iris.term("majorTopic")) == {f"<{mesh}D002114>", f"<{mesh}D013131>"}
    # a publication type without a UI has nothing to link to
    assert _objects(quads, a, iris.term("publicationType")) == {
        f"<{mesh}D016428>",
        f"<{mesh}D016441>",
    }


def test_authors_keep_their_order_kind_and_only_valid_orcids() -> None:
    quads = to_quads(full_article())
    first, group, third = (iris.author_iri("11474353", n) for n in (1, 2, 3))
    assert _objects(quads, first, _ns("foaf", "name")) == {'"Durant DM"'}
    assert _objects(quads, first, iris.term("orcid")) == {"<https://orcid.org/0000-0002-1825-0097>"}
    assert _objects(quads, first, iris.term("affiliation")) == {
        '"Mayo Clinic"',
        '"Second affiliation"',
    }
    assert _objects(quads, group, RDF_TYPE) == {f"<{_ns('foaf', 'Organization').value}>"}
    assert _objects(quads, third, iris.term("authorPosition")) == {f'"3"^^<{XSD}integer>'}
    assert _objects(quads, third, iris.term("orcid")) == set()


@pytest.mark.parametrize(
    ("date", "expected"),
    [
        (PubDate(year=2001, month=8, day=1), f'"2001-08-01"^^<{XSD}date>'),
        (PubDate(year=2001, month=2, day=30), f'"2001-02"^^<{XSD}gYearMonth>'),
        (PubDate(year=2001, month=8), f'"2001-08"^^<{XSD}gYearMonth>'),
        (PubDate(year=2001, season="Spring"), f'"2001"^^<{XSD}gYear>'),
        (PubDate(raw="Undated"), None),
    ],
)
def test_dates_are_typed_as_precisely_as_pubmed_gives_them(
    date: PubDate, expected: str | None
) -> None:
    literal = issued(Article(pmid="1", pub_date=date))
    assert (str(literal) if literal else None) == expected


def test_a_book_chapter_is_typed_as_such_and_a_plain_article_is_not_retracted() -> None:
    chapter = to_quads(Article(pmid="5", title="A chapter", is_book=True))
    a = iris.article_iri("5")
    assert f"<{_ns('fabio', 'BookChapter').value}>" in _objects(chapter, a, RDF_TYPE)
    assert _objects(chapter, a, iris.term("retracted")) == set()
    assert _objects(chapter, a, iris.term("reportsLesion")) == set()  # no extraction, no lesion


def test_an_assertion_carries_its_evidence_target_and_claim() -> None:
    quads = to_quads(full_article(), full_extraction())
    a = assertion()
    key = a.evidence_key("11474353", "tc-rules/9.9.9")
    node = iris.assertion_iri(key)
    assert _objects(quads, node, iris.term("polarity")) == {'"absent"'}
    assert _objects(quads, node, iris.term("concept")) == {
        f"<{iris.concept_iri('finding/contrast-enhancement').value}>"
    }
    assert _objects(quads, node, iris.term("about")) == {f"<{iris.lesion_iri('11474353').value}>"}
    assert _objects(quads, node, iris.term("sentence")) == {f'"{SENTENCE}"'}
    assert _objects(quads, node, iris.term("extractor")) == {'"tc-rules/9.9.9"'}
    quote, position = iris.selector_iri(key, "quote"), iris.selector_iri(key, "position")
    assert _objects(quads, quote, _ns("oa", "exact")) == {'"did not enhance"'}
    assert _objects(quads, quote, _ns("oa", "prefix")) == {'"Characteristically, gadolinium "'}
    assert _objects(quads, quote, _ns("oa", "suffix")) == {'" the lesions."'}
    assert _objects(quads, position, _ns("oa", "start")) == {f'"31"^^<{XSD}integer>'}
    assert _objects(quads, iris.target_iri(key), _ns("oa", "hasSelector")) == {
        f"<{quote.value}>",
        f"<{position.value}>",
    }
    claim = iris.claim_iri(a.claim_key)
    assert _objects(quads, node, iris.term("claim")) == {f"<{claim.value}>"}
    assert _objects(quads, claim, iris.term("role")) == {'"finding"'}


def test_the_same_claim_in_two_articles_shares_its_iri_but_not_its_evidence() -> None:
    one = to_quads(full_article("1"), full_extraction("1"))
    two = to_quads(full_article("2"), full_extraction("2"))

    def nodes(quads: list[ox.Quad], kind: str) -> set[str]:
        return {q.subject.value for q in quads if q.object == iris.term(kind)}  # type: ignore[union-attr]

    assert nodes(one, "Claim") == nodes(two, "Claim")
    assert not nodes(one, "Assertion") & nodes(two, "Assertion")


def test_the_study_patients_and_levels_map_to_the_lesion_and_its_regions() -> None:
    quads = to_quads(full_article(), full_extraction())
    a, lesion = iris.article_iri("11474353"), iris.lesion_iri("11474353")
    assert _objects(quads, a, iris.term("studyDesign")) == {'"case-series"'}
    assert _objects(quads, a, iris.term("patientCount")) == {f'"2"^^<{XSD}integer>'}
    second = iris.patient_iri("11474353", 2)
    assert _objects(quads, second, iris.term("sex")) == {'"male"'}
    assert _objects(quads, second, iris.term("age")) == set()
    assert _objects(quads, lesion, iris.term("level")) == {'"C7"', '"T1"'}
    assert _objects(quads, lesion, iris.term("region")) == {
        f"<{iris.concept_iri('region/cervical').value}>",
        f"<{iris.concept_iri('region/thoracic').value}>",
    }


@pytest.mark.parametrize(
    ("level", "region"),
    [
        ("C1", "region/cervical"),
        ("T12", "region/thoracic"),
        ("L5", "region/lumbar"),
        ("S1", "region/sacral"),
        ("X1", None),
        ("C", None),
        ("Coccyx", None),
    ],
)
def test_a_level_lies_in_its_region(level: str, region: str | None) -> None:
    assert region_of(level) == region


def test_bad_extractions_are_refused_with_a_reason() -> None:
    article = full_article()
    with pytest.raises(ValueError, match="PMID 2 given for PMID 11474353"):
        to_quads(article, full_extraction("2"))
    with pytest.raises(ValueError, match="does not name its extractor"):
        to_quads(article, full_extraction(extractor=""))
    broken = full_extraction().model_copy(update={"assertions": (assertion(start=50, end=90),)})
    with pytest.raises(ValueError, match=r"offsets 50\.\.90 outside its sentence"):
        to_quads(article, broken)


def test_a_deletion_marks_only_the_article_node_in_its_graph() -> None:
    (mark,) = deletion_quads("42")
    assert mark.subject == iris.article_iri("42")
    assert mark.graph_name == iris.article_graph("42")
    assert str(mark.object) == f'"true"^^<{XSD}boolean>'


def test_a_run_maps_to_an_activity_in_the_runs_graph() -> None:
    started = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    run = Run(
        run_id="ingest-1",
        label="ingest",
        files=("a.xml",),
        extractor="tc-rules/1.0.0",
        started=started,
        status="completed",
        written=3,
        deleted=("7",),
        errors=("a.xml: record 2: no PMID",),
    )
    quads = run_to_quads(run)
    node = iris.run_iri("ingest-1")
    assert {q.graph_name for q in quads} == {iris.RUNS_GRAPH}
    assert _objects(quads, node, _ns("prov", "startedAtTime")) == {
        f'"2025-01-02T03:04:05Z"^^<{XSD}dateTime>'
    }
    assert _objects(quads, node, _ns("prov", "endedAtTime")) == set()
    assert _objects(quads, node, iris.term("articlesWritten")) == {f'"3"^^<{XSD}integer>'}
    assert _objects(quads, node, iris.term("deletedArticle")) == {
        f"<{iris.article_iri('7').value}>"
    }
    assert _objects(quads, node, iris.term("errorMessage")) == {'"a.xml: record 2: no PMID"'}


# --- properties over arbitrary articles -------------------------------------------------------

_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=60)


@st.composite
def _articles(draw: st.DrawFn) -> tuple[Article, Extraction]:
    pmid = str(draw(st.integers(1, 10**9 - 1)))
    sentence = draw(_text)
    start = draw(st.integers(0, len(sentence)))
    end = draw(st.integers(start, len(sentence)))
    article = Article(
        pmid=pmid,
        version=draw(st.integers(1, 5)),
        title=draw(_text),
        abstract=tuple(AbstractSection(text=t) for t in draw(st.lists(_text, max_size=3))),
        authors=tuple(Author(last_name=n) for n in draw(st.lists(_text, max_size=3))),
        pub_date=PubDate(
            year=draw(st.none() | st.integers(1800, 2100)),
            month=draw(st.none() | st.integers(1, 12)),
            day=draw(st.none() | st.integers(1, 31)),
        ),
    )
    extraction = Extraction(
        pmid=pmid,
        extractor="tc-rules/1.0.0",
        levels=tuple(draw(st.lists(st.sampled_from(["C1", "C2", "T4", "L5", "S1"]), max_size=3))),
        assertions=tuple(
            assertion(concept, sentence=sentence, start=start, end=end, polarity=polarity)
            for concept, polarity in draw(
                st.lists(
                    st.tuples(
                        st.sampled_from(["finding/t1-hypointense", "condition/neoplasm"]),
                        st.sampled_from(["present", "absent"]),
                    ),
                    max_size=4,
                )
            )
        ),
    )
    return article, extraction


@settings(max_examples=60, deadline=None)
@given(_articles())
def test_mapping_is_deterministic_and_survives_a_round_trip_through_n_quads(
    pair: tuple[Article, Extraction],
) -> None:
    article, extraction = pair
    quads = to_quads(article, extraction)
    assert quads == to_quads(article.model_copy(), extraction.model_copy())
    assert len(quads) == len(set(quads))
    text = ox.serialize(quads, format=ox.RdfFormat.N_QUADS)
    assert set(ox.parse(text, ox.RdfFormat.N_QUADS)) == set(quads)


@settings(max_examples=30, deadline=None)
@given(_articles())
def test_writing_an_article_twice_leaves_the_same_graph(pair: tuple[Article, Extraction]) -> None:
    from kb.store import OxigraphStore

    article, extraction = pair
    store = OxigraphStore()
    graph = iris.article_graph(article.pmid)

    store.replace_graphs({graph: to_quads(article, extraction)})
    first = set(store.quads())
    store.replace_graphs({graph: to_quads(article, extraction)})
    assert set(store.quads()) == first == set(to_quads(article, extraction))


def test_listing_keys_order_articles_by_year_then_pmid() -> None:
    keys = [
        listing_key("39000000", 2019),
        listing_key("11474353", 2001),
        listing_key("11474354", 2001),
        listing_key("5", None),
    ]
    assert sorted(keys, reverse=True) == [keys[0], keys[2], keys[1], keys[3]]
    assert keys[1] == 2001_011474353 and keys[3] == 5
    with pytest.raises(ValueError, match="does not fit"):
        listing_key("1000000000", 2020)


@pytest.mark.parametrize("pmid", ["0", "012", "1000000000", "12a"])
def test_a_pmid_pubmed_would_not_issue_is_refused_by_the_record(pmid: str) -> None:
    with pytest.raises(ValidationError, match="pmid"):
        Article(pmid=pmid)


def test_each_claim_of_an_article_carries_its_listing_key() -> None:
    quads = to_quads(full_article("11474353"), full_extraction("11474353"))
    (key,) = [q.object for q in quads if q.predicate == iris.term("listingKey")]
    claims = {q.object for q in quads if q.predicate == iris.term("claim")}
    keyed = {q.subject: q.object for q in quads if q.predicate == iris.term("claimedByKey")}
    assert claims and set(keyed) == claims and set(keyed.values()) == {key}


def test_the_findings_in_the_patients_are_paired_with_the_listing_key() -> None:
    findings = ("finding/t1-hypointense", "finding/t2-hypointense", "finding/mass-lesion")
    extraction = Extraction(
        pmid="11474353",
        extractor="test/1",
        assertions=(
            *(assertion(c, polarity="present") for c in findings),
            assertion("finding/bone-erosion", scope="background"),  # not in the patients
            assertion("condition/neoplasm", role="misdiagnosis", polarity="present"),
        ),
    )
    live = to_quads(Article(pmid="11474353", pub_date=PubDate(year=2001)), extraction)
    (key,) = [q.object for q in live if q.predicate == iris.term("listingKey")]
    keyed = {q.subject: q.object for q in live if q.predicate == iris.term("pairedByKey")}
    concept_of = {
        q.subject: iris.concept_id(q.object)  # type: ignore[arg-type]
        for q in live
        if q.graph_name == iris.CLAIMS_GRAPH and q.predicate == iris.term("concept")
    }
    members: dict[object, set[str]] = {}
    for q in live:
        if q.predicate == iris.term("pairs"):
            members.setdefault(q.subject, set()).add(concept_of[q.object])
    assert sorted(map(sorted, members.values())) == sorted(map(sorted, combinations(findings, 2)))
    assert set(keyed) == set(members) and set(keyed.values()) == {key}
    assert {q.graph_name for q in live if q.predicate == iris.term("pairs")} == {iris.CLAIMS_GRAPH}
    retracted = to_quads(full_article(), extraction)  # full_article is retracted
    assert not [q for q in retracted if q.predicate == iris.term("pairedByKey")]
