"""Named queries: every .rq file is valid and honest, values are bound safely, answers are right."""

from __future__ import annotations

import random
import re
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from rdflib import Variable
from rdflib.plugins.sparql.parser import parseQuery
from rdflib.plugins.sparql.parserutils import CompValue

from kb import iris
from kb.cli import cli
from kb.errors import ParameterError, QueryError
from kb.graph.article import deletion_quads, listing_key, to_quads
from kb.graph.ontology import ensure_ontology
from kb.models import Article, CommentCorrection, Extraction, PubDate
from kb.query.named import iter_variables, parse_named_query, read_queries
from kb.query.registry import Page, Registry, Table, bind_params, execute, prepare, to_value
from kb.store import OxigraphStore
from kb.store.base import quads_by_graph
from tests.support.articles import assertion
from tests.support.graphs import fixture_store, sample_store, write_fixture_home
from tests.support.queries import EXAMPLES, example_params

QUERIES = read_queries()


@pytest.fixture(scope="module")
def registry() -> Registry:
    return Registry(fixture_store(), QUERIES)


@pytest.fixture(scope="module")
def sample() -> Registry:
    return Registry(sample_store(), QUERIES)


def rows(registry: Registry, name: str, **params: object) -> list[dict[str, object]]:
    return list(registry.run(name, params).rows)  # type: ignore[arg-type]


def by(table: list[dict[str, object]], *keys: str) -> dict[tuple[object, ...], dict[str, object]]:
    return {tuple(row[k] for k in keys): row for row in table}


def pmids(row: dict[str, object], column: str = "pmids") -> set[str]:
    return set(str(row[column] or "").split())


# --- the registry: every .rq file -----------------------------------------------------------


def sub_selects(node: object) -> Iterator[CompValue]:
    if isinstance(node, CompValue):
        if node.name == "SubSelect":
            yield node
        for value in node.values():
            yield from sub_selects(value)
    elif isinstance(node, list | tuple) or type(node).__name__ == "ParseResults":
        for value in node:  # type: ignore[attr-defined]
            yield from sub_selects(value)


def variables_in(node: object) -> set[str]:
    if isinstance(node, Variable):
        return {str(node)}
    if isinstance(node, CompValue):
        return set().union(*(variables_in(v) for v in node.values()))
    if isinstance(node, list | tuple) or type(node).__name__ == "ParseResults":
        return set().union(*(variables_in(v) for v in node))  # type: ignore[attr-defined]
    return set()


def test_the_registry_holds_every_question_the_brief_asks() -> None:
    asked = {
        "imaging-findings",
        "misdiagnoses",
        "associated-pathology",
        "levels",
        "articles-by-concept",
        "article-evidence",
        "cooccurrence",
        "conflicts",
        "timeline",
        "signature",
    }
    assert asked <= set(QUERIES)


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_every_named_query_parses_with_an_independent_parser_and_scopes_its_params(
    name: str,
) -> None:
    query = QUERIES[name]
    assert query.summary.strip()
    tree = parseQuery(query.sparql)  # rdflib: the file stays standard SPARQL
    for sub in sub_selects(tree):
        projected = {str(p["var"] if "var" in p else p["evar"]) for p in sub["projection"] or []}
        inside = variables_in(sub["where"])
        scalars = set(query.params) - query.in_place
        for param in scalars & inside:
            # A sub-select that does not project a parameter hides it from the binding.
            assert param in projected, f"{name}: ${param} is used in a sub-select that hides it"


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_every_named_query_declares_exactly_the_parameters_it_uses(name: str) -> None:
    query = QUERIES[name]
    used = {var for sigil, var, _ in iter_variables(query.sparql) if sigil == "$"}
    assert used == set(query.params)


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_every_named_query_declares_its_prefixes_as_kb_iris_does(name: str) -> None:
    for line in QUERIES[name].sparql.splitlines():
        if line.startswith("PREFIX "):
            _, prefix, iri = line.split()
            assert iris.PREFIXES[prefix.rstrip(":")] == iri.strip("<>"), line


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_every_named_query_runs_on_the_sample_store_with_defaults_and_with_every_param_bound(
    name: str, sample: Registry
) -> None:
    query = QUERIES[name]
    for params in (example_params(query), example_params(query, every=True)):
        table = sample.run(name, params)  # type: ignore[arg-type]
        assert set(table.columns).isdisjoint(query.params)
        assert all(set(row) == set(table.columns) for row in table.rows)


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_every_named_query_answers_the_same_when_bound_by_a_values_block(
    name: str, registry: Registry
) -> None:
    """A remote store binds by a VALUES block at the top of WHERE, not by substitution."""
    from kb.store.sparql import bind_values

    query = QUERIES[name]
    store = registry.store
    assert isinstance(store, OxigraphStore)
    variants = [example_params(query), example_params(query, every=True)]
    variants += [{**variants[1], k: False} for k, p in query.params.items() if p.type == "boolean"]
    for params in variants:
        bound = bind_params(query, params)  # type: ignore[arg-type]
        expected = execute(store, query, bound)
        text = bind_values(prepare(query, bound), bound.scalars)
        result = store.oxigraph.query(text, use_default_graph_as_union=True)
        assert isinstance(result, ox.QuerySolutions)
        got = [{c: to_value(s[c]) for c in expected.columns} for s in result]
        assert sorted(map(repr, got)) == sorted(map(repr, expected.rows)), params


def test_the_sample_store_gives_most_questions_an_answer(sample: Registry) -> None:
    answered = [n for n in QUERIES if sample.run(n, example_params(QUERIES[n])).rows]  # type: ignore[arg-type]
    assert {"counts", "articles", "timeline", "imaging-findings", "concepts"} <= set(answered)


# --- headers fail loudly, naming the file and line ------------------------------------------

GOOD = """#+ summary: Articles of a year
#+ params:
#+   year:
#+     type: integer
#+     default: 2001
PREFIX tc: <https://w3id.org/tckb/ontology#>
SELECT ?article $year WHERE { ?article tc:year $year }
"""


def test_a_well_formed_query_reads_with_its_params() -> None:
    query = parse_named_query("by-year", GOOD, source="by-year.rq")
    assert query.params["year"].type == "integer"
    assert query.params["year"].default == 2001


@pytest.mark.parametrize(
    ("text", "where"),
    [
        (GOOD.replace("#+ summary: Articles of a year\n", ""), "by-year.rq:1:"),
        (GOOD.replace("summary: Articles of a year", "summary: [unclosed"), "by-year.rq:"),
        (GOOD.replace("type: integer", "type: number"), "by-year.rq:4:"),
        (GOOD.replace("default: 2001", "default: soon"), "by-year.rq:"),
        (GOOD.replace("#+   year:", "#+   Year:"), "by-year.rq:"),
        (GOOD.replace("$year }", "$year ; tc:x $month }"), "by-year.rq:7:"),
        (GOOD.replace("tc:year $year", "tc:year ?year"), "by-year.rq:"),
        (GOOD.replace("SELECT ?article $year WHERE { ?article tc:year $year }", "ASK {}"), "never"),
    ],
    ids=[
        "no-header",
        "bad-yaml",
        "unknown-type",
        "bad-default",
        "bad-name",
        "undeclared",
        "written-with-question-mark",
        "declared-unused",
    ],
)
def test_a_malformed_query_is_refused_naming_the_file_and_line(text: str, where: str) -> None:
    with pytest.raises(QueryError) as caught:
        parse_named_query("by-year", text, source="by-year.rq")
    assert where in str(caught.value)


def test_a_bad_header_in_the_queries_folder_stops_the_load(tmp_path: Path) -> None:
    (tmp_path / "fine.rq").write_text(GOOD)
    (tmp_path / "broken.rq").write_text(GOOD.replace("type: integer", "type: [integer"))
    with pytest.raises(QueryError, match=r"broken\.rq:4"):
        read_queries(tmp_path)


def test_a_parameter_inside_a_string_or_comment_is_not_a_parameter() -> None:
    text = '#+ summary: s\nSELECT ?s WHERE { ?s ?p "costs $5" } # $ignored\n'
    assert parse_named_query("strings", text).params == {}


# --- binding: values are checked and become terms, never text -------------------------------


@pytest.mark.parametrize(
    ("name", "params", "bad"),
    [
        ("cooccurrence", {"min_articles": "three"}, "min_articles"),
        ("cooccurrence", {"min_articles": "0"}, "min_articles"),
        ("cooccurrence", {"role_a": "finding' } DROP ALL #"}, "role_a"),
        ("articles-by-concept", {"concept": "finding/no-such-thing"}, "concept"),
        ("articles-by-concept", {"concept": "<http://evil/> . ?s ?p ?o"}, "concept"),
        ("articles-by-concept", {}, "concept"),
        ("articles-by-concept", {"concept": "finding/t1-hypointense", "colour": "x"}, "colour"),
        ("article-evidence", {"pmid": '1" } UNION { ?s ?p ?o } #'}, "pmid"),
        ("article-evidence", {"pmid": ["1", "2"]}, "pmid"),
        ("timeline", {"include_retracted": "perhaps"}, "include_retracted"),
        ("signature", {"present": ["finding/t1-hypointense", "SERVICE <http://x/>"]}, "present"),
    ],
)
def test_a_bad_parameter_value_is_refused_naming_the_parameter(
    registry: Registry, name: str, params: dict[str, object], bad: str
) -> None:
    with pytest.raises(ParameterError) as caught:
        registry.run(name, params)  # type: ignore[arg-type]
    assert caught.value.name == bad


def test_values_become_typed_terms_and_defaults_apply() -> None:
    bound = bind_params(QUERIES["cooccurrence"], {"min_articles": "2", "polarity": "absent"})
    assert bound.scalars["min_articles"] == ox.Literal(2)
    assert bound.scalars["role_a"] == ox.Literal("finding")
    assert bound.blocks["polarity"] == (ox.Literal("absent"),)  # bound in place
    assert bound.blocks["include_retracted"] == (ox.Literal(False),)


def test_an_omitted_single_value_bound_in_place_matches_any_value(registry: Registry) -> None:
    query = QUERIES["articles-by-concept"]
    concept = {"concept": "finding/contrast-enhancement"}
    text = prepare(query, bind_params(query, concept))
    assert "VALUES $role { UNDEF }" in text and "VALUES $polarity { UNDEF }" in text
    every = registry.run("articles-by-concept", concept).rows
    by_polarity = [
        registry.run("articles-by-concept", {**concept, "polarity": p}).rows
        for p in ("present", "absent")
    ]
    assert all(by_polarity)  # the seed-like store has the finding both ways
    pmids = {r["pmid"] for rows in by_polarity for r in rows}
    assert {r["pmid"] for r in every} == pmids


def test_list_values_fill_only_their_values_block_with_concept_iris() -> None:
    query = QUERIES["signature"]
    bound = bind_params(query, {"present": ["finding/t1-hypointense"], "absent": []})
    text = prepare(query, bound)
    assert "VALUES $present { <https://w3id.org/tckb/concept/finding/t1-hypointense> }" in text
    assert "VALUES $absent { }" in text
    assert (
        'VALUES $include_retracted { "false"^^<http://www.w3.org/2001/XMLSchema#boolean> }' in text
    )
    assert 'VALUES $min_shared { "1"^^<http://www.w3.org/2001/XMLSchema#integer> }' in text
    unfilled = text
    for name in ("present", "include_retracted", "min_shared"):
        unfilled = unfilled.replace(str(bound.blocks[name][0]), "")
    assert unfilled.replace("{  }", "{ }") == query.sparql


# --- answers on the hand-written graph ------------------------------------------------------


def test_imaging_findings_count_articles_and_patients_present_and_absent(
    registry: Registry,
) -> None:
    table = by(rows(registry, "imaging-findings"), "finding", "polarity")
    absent = table[("finding/contrast-enhancement", "absent")]
    assert pmids(absent) == {"11474353", "90000003"}
    assert (absent["articles"], absent["patients"]) == (2, 22)
    assert absent["modality"] == "contrast-enhanced MRI"
    # 90000005 reports enhancement but was withdrawn: left out unless asked.
    assert pmids(table[("finding/contrast-enhancement", "present")]) == {"90000002"}
    assert ("finding/radiograph-calcification", "present") not in table  # background only
    assert pmids(table[("finding/radiograph-calcification", "absent")]) == {"11474353"}


def test_imaging_findings_can_include_withdrawn_articles_and_background_statements(
    registry: Registry,
) -> None:
    table = by(rows(registry, "imaging-findings", include_retracted=True), "finding", "polarity")
    assert pmids(table[("finding/contrast-enhancement", "present")]) == {"90000002", "90000005"}
    background = by(rows(registry, "imaging-findings", scope="background"), "finding", "polarity")
    assert set(background) == {("finding/radiograph-calcification", "present")}


def test_misdiagnoses_are_counted_by_region(registry: Registry) -> None:
    table = by(rows(registry, "misdiagnoses"), "misdiagnosis", "region")
    assert {m for m, _ in table} == {
        "condition/neoplasm",
        "condition/infection",
        "condition/disc-herniation",
        "condition/cyst",
        "condition/meningioma",
        "condition/synovial-cyst",
    }
    assert pmids(table[("condition/meningioma", "cervical spine")]) == {"90000002"}
    assert table[("condition/disc-herniation", "lumbar spine")]["articles"] == 1
    assert table[("condition/neoplasm", "unknown")]["patients"] == 21
    with_retracted = by(rows(registry, "misdiagnoses", include_retracted=True), "misdiagnosis")
    assert ("condition/tuberculosis",) in with_retracted


def test_associated_pathology_is_grouped_through_the_ontology(registry: Registry) -> None:
    groups = {(r["group"], r["condition"]) for r in rows(registry, "associated-pathology")}
    assert groups == {
        ("degenerative", "condition/degenerative-spine-disease"),
        ("degenerative", "condition/spondylosis"),
        ("metabolic and renal", "condition/hemodialysis"),
        ("connective tissue", "condition/systemic-sclerosis"),
    }
    ruled_out = rows(registry, "associated-pathology", polarity="absent")
    assert [(r["group"], r["condition"]) for r in ruled_out] == [
        ("metabolic and renal", "condition/hyperphosphatemia")
    ]


def test_levels_are_in_spinal_order_with_regions_after(registry: Registry) -> None:
    table = rows(registry, "levels", include_retracted=True)
    levels = [r["value"] for r in table if r["kind"] == "level"]
    assert levels == ["C1", "C2", "T10", "L4", "L5", "S1"]
    regions = {r["value"] for r in rows(registry, "levels") if r["kind"] == "region"}
    assert regions == {"region/cervical", "region/lumbar"}


def test_articles_by_concept_follow_narrower_concepts_and_optional_filters(
    registry: Registry,
) -> None:
    neoplasm = by(rows(registry, "articles-by-concept", concept="condition/neoplasm"), "pmid")
    assert set(neoplasm) == {("11474353",), ("90000002",)}
    assert neoplasm[("90000002",)]["concepts"] == "condition/meningioma"
    herniation = "condition/disc-herniation"
    assert rows(registry, "articles-by-concept", concept=herniation, role="associated") == []
    assert len(rows(registry, "articles-by-concept", concept=herniation, role="misdiagnosis")) == 2
    enhancement = "finding/contrast-enhancement"
    absent = rows(registry, "articles-by-concept", concept=enhancement, polarity="absent")
    assert [r["pmid"] for r in absent] == ["90000003", "11474353"]  # newest first
    either = rows(registry, "articles-by-concept", concept=enhancement)
    assert {r["pmid"] for r in either} == {"90000002", "90000003", "11474353"}


PAGED = """#+ summary: Articles, paged
#+ paged: true
PREFIX tc: <https://w3id.org/tckb/ontology#>
SELECT ?key ?total WHERE {
  { SELECT (COUNT(*) AS ?total) WHERE { ?a tc:listingKey ?k } }
  { SELECT ?key WHERE { ?a tc:listingKey ?key } ORDER BY DESC(?key) LIMIT 10 OFFSET 0 }
}
"""


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (PAGED.replace(" LIMIT 10 OFFSET 0", ""), "exactly one 'LIMIT n OFFSET m'"),
        (
            PAGED.replace(" ?total WHERE", " WHERE").replace(
                "COUNT(*) AS ?total", "COUNT(*) AS ?n"
            ),
            "projects ?total",
        ),
    ],
    ids=["no-page-clause", "no-total"],
)
def test_a_paged_query_without_its_page_clause_or_total_is_refused(text: str, reason: str) -> None:
    assert parse_named_query("paged", PAGED).header.paged
    with pytest.raises(QueryError, match=re.escape(reason)):
        parse_named_query("paged", text, source="paged.rq")


@pytest.mark.parametrize("name", sorted(n for n, q in QUERIES.items() if q.header.paged))
def test_every_page_of_a_paged_query_is_a_slice_of_its_whole_answer(
    sample: Registry, name: str
) -> None:
    params = {"concept": "lesion/tumoral-calcinosis"} if "concept" in QUERIES[name].params else {}
    whole = sample.run(name, params)
    assert whole.total == len(whole.rows) > 7  # enough to need several pages
    for page in (Page(3), Page(3, 3), Page(5, len(whole.rows) - 2), Page(3, len(whole.rows) + 4)):
        table = sample.run(name, params, page)
        assert table.total == len(whole.rows)
        assert table.rows == whole.rows[page.offset : page.offset + page.limit]


def test_an_unpaged_query_asked_for_a_page_is_cut_from_its_cached_whole(
    registry: Registry,
) -> None:
    whole = registry.run("timeline")
    assert not QUERIES["timeline"].header.paged and whole.total is None
    page = registry.run("timeline", page=Page(2, 1))
    assert page.rows == whole.rows[1:3] and page.total == len(whole.rows)


def test_articles_by_concept_pages_leave_out_retracted_articles_unless_asked(
    registry: Registry,
) -> None:
    concept = {"concept": "finding/t1-hypointense"}
    kept = registry.run("articles-by-concept", concept, Page(100))
    every = registry.run("articles-by-concept", {**concept, "include_retracted": True}, Page(100))
    assert kept.total == len(kept.rows) < every.total == len(every.rows)
    assert {r["pmid"] for r in kept.rows} < {r["pmid"] for r in every.rows}


class _HeldStore(OxigraphStore):
    """A real store whose queries wait for a go, and which counts them."""

    def __init__(self) -> None:
        super().__init__()
        self.asked = 0
        self.go = threading.Event()

    def query(self, sparql: str, bindings: object = None) -> object:
        self.asked += 1
        self.go.wait(timeout=30)
        return super().query(sparql, bindings)  # type: ignore[arg-type]


def test_callers_asking_the_same_question_at_once_share_one_answer() -> None:
    store = _HeldStore()
    store.oxigraph.extend(fixture_store().quads())
    registry = Registry(store, QUERIES)
    with ThreadPoolExecutor(4) as pool:
        answers = [pool.submit(registry.run, "timeline") for _ in range(4)]
        time.sleep(1.0)  # all four are asking by now; the first is held by the store
        store.go.set()
        tables = [a.result(timeout=30) for a in answers]
    assert store.asked == 1 and all(t == tables[0] for t in tables) and tables[0].rows
    registry.run("timeline", {"include_retracted": True})
    assert store.asked == 2  # another question is asked of the store


def test_a_failed_answer_reaches_every_caller_waiting_for_it_and_is_not_kept() -> None:
    store = _HeldStore()
    registry = Registry(store, QUERIES)
    store.close()  # every query now fails
    with ThreadPoolExecutor(3) as pool:
        answers = [pool.submit(registry.run, "timeline") for _ in range(3)]
        time.sleep(1.0)  # all three are asking by now
        store.go.set()
        errors = [a.exception(timeout=30) for a in answers]
    assert all(e is not None for e in errors) and store.asked == 1
    assert not registry.holds("timeline")


def test_article_evidence_lists_every_assertion_with_its_sentence(registry: Registry) -> None:
    evidence = rows(registry, "article-evidence", pmid="90000003")
    assert len(evidence) == 7
    row = by(evidence, "concept")[("finding/contrast-enhancement",)]
    assert (row["polarity"], row["scope"], row["section"]) == ("absent", "patient", "CASE REPORT")
    assert row["sentence"] == "The mass was hypointense on T1 and T2 and did not enhance."
    assert rows(registry, "article-evidence", pmid="12345") == []


def test_cooccurrence_pairs_findings_with_misdiagnoses(registry: Registry) -> None:
    table = by(rows(registry, "cooccurrence"), "concept_a", "polarity_a", "concept_b")
    pair = table[("finding/contrast-enhancement", "absent", "condition/disc-herniation")]
    assert pmids(pair) == {"11474353", "90000003"}
    assert ("finding/contrast-enhancement", "present", "condition/chordoma") not in table
    frequent = rows(registry, "cooccurrence", min_articles=2)
    assert [(r["concept_a"], r["concept_b"]) for r in frequent] == [
        ("finding/contrast-enhancement", "condition/disc-herniation")
    ]
    seen = rows(registry, "cooccurrence", polarity="present")
    assert {r["polarity_a"] for r in seen} == {"present"}


def test_conflicts_cite_both_sides(registry: Registry) -> None:
    [conflict] = rows(registry, "conflicts")
    assert conflict["concept"] == "finding/contrast-enhancement"
    assert pmids(conflict, "present_pmids") == {"90000002"}
    assert pmids(conflict, "absent_pmids") == {"11474353", "90000003"}
    assert rows(registry, "conflicts", role="misdiagnosis") == []
    [with_withdrawn] = rows(registry, "conflicts", include_retracted=True)
    assert pmids(with_withdrawn, "present_pmids") == {"90000002", "90000005"}


def test_timeline_counts_articles_per_year(registry: Registry) -> None:
    table = {r["year"]: r["articles"] for r in rows(registry, "timeline")}
    assert table == {2001: 1, 2010: 1, 2015: 2}
    everything = {r["year"]: r["articles"] for r in rows(registry, "timeline", include_retracted=1)}
    assert everything == {2001: 1, 2010: 1, 2012: 1, 2015: 2, 2018: 1}


def test_signature_ranks_cases_like_my_patient_and_says_what_they_were_taken_for(
    registry: Registry,
) -> None:
    ranked = rows(registry, "signature", **{k: EXAMPLES[k] for k in ("present", "absent")})
    assert [(r["pmid"], r["shared"], r["contradicted"]) for r in ranked] == [
        ("90000003", 3, 0),
        ("90000002", 2, 1),
        ("11474353", 1, 0),
    ]
    assert set(str(ranked[0]["mistaken_for"]).split("; ")) == {
        "synovial cyst",
        "intervertebral disc herniation",
    }
    assert set(str(ranked[1]["matched"]).split(" ")) == {
        "finding/t1-hypointense:present",
        "finding/t2-hypointense:present",
    }
    with pytest.raises(ParameterError, match="at least one of: present, absent"):
        rows(registry, "signature")  # no findings given: nothing to match, and it says so
    strict = rows(registry, "signature", present=EXAMPLES["present"], min_shared=2)
    assert [r["pmid"] for r in strict] == ["90000003", "90000002"]  # ties: newest first


def test_concept_queries_give_labels_hierarchy_and_evidence(registry: Registry) -> None:
    facts = {
        (r["relation"], r["value"])
        for r in rows(registry, "concept", concept="condition/infection")
    }
    assert {("prefLabel", "infection"), ("narrower", "condition/tuberculosis")} <= facts
    counts = rows(
        registry, "concept-evidence", concept="condition/infection", include_retracted=True
    )
    assert [(r["role"], r["articles"]) for r in counts] == [("misdiagnosis", 2)]
    listed = by(rows(registry, "concepts", scheme="finding"), "concept")
    assert listed[("finding/contrast-enhancement",)]["articles"] == 3
    assert all(key[0].startswith("finding/") for key in listed)


def test_counts_tell_what_the_store_holds(registry: Registry) -> None:
    [counts] = rows(registry, "counts")
    assert (counts["articles"], counts["retracted"], counts["deleted"]) == (6, 1, 1)
    assert counts["last_run"] == "2026-01-01T10:00:05Z"


def test_signature_lists_the_hundred_best_ranked_newest_first_among_equals() -> None:
    store = OxigraphStore()
    ensure_ontology(store)
    for number in range(130):
        pmid = str(80000000 + number)
        found = [assertion("finding/t1-hypointense", polarity="present")]
        if number % 10 == 0:  # every tenth also shares the second finding, and ranks first
            found.append(assertion("finding/t2-hypointense", polarity="present"))
        article = Article(pmid=pmid, title=f"Case {pmid}", pub_date=PubDate(year=1950 + number))
        extraction = Extraction(pmid=pmid, extractor="test/1", assertions=tuple(found))
        store.replace_graphs({iris.article_graph(pmid): to_quads(article, extraction)})
    ranked = Registry(store, QUERIES).run(
        "signature", {"present": ["finding/t1-hypointense", "finding/t2-hypointense"]}
    )
    assert len(ranked.rows) == 100
    assert [r["shared"] for r in ranked.rows[:14]] == [2] * 13 + [1]
    assert [r["year"] for r in ranked.rows[:13]] == [1950 + n for n in range(120, -1, -10)]
    assert [r["year"] for r in ranked.rows[13:16]] == [2079, 2078, 2077]
    assert ranked.rows[0]["matched"] in {
        "finding/t1-hypointense:present finding/t2-hypointense:present",
        "finding/t2-hypointense:present finding/t1-hypointense:present",
    }


FINDINGS = [f"finding/{n}" for n in ("t1-hypointense", "t2-hypointense", "mass-lesion")]
FINDINGS += ["finding/contrast-enhancement", "finding/bone-erosion"]
Reported = dict[str, tuple[int, frozenset[tuple[str, str]], bool]]


def _many_cases(count: int = 500) -> tuple[OxigraphStore, Reported]:
    """Build a store of articles each reporting one to five of FINDINGS in their patients.

    One in 17 is retracted. Returns the store and what each reported: listing key, findings,
    retracted or not.
    """
    rng = random.Random(5)
    store = OxigraphStore()
    ensure_ontology(store)
    reported: Reported = {}
    for number in range(count):
        pmid = str(70000000 + number)
        seen = {(c, rng.choice(["present", "present", "absent"])) for c in FINDINGS}
        items = frozenset(rng.sample(sorted(seen), rng.randint(1, 5)))
        withdrawn = CommentCorrection(ref_type="RetractionIn", pmid="1")
        year = rng.randint(1980, 2020)
        article = Article(
            pmid=pmid,
            pub_date=PubDate(year=year),
            comments_corrections=(withdrawn,) if number % 17 == 0 else (),
        )
        background = assertion(rng.choice(FINDINGS), polarity="present", scope="background")
        found = (*(assertion(c, polarity=p) for c, p in sorted(items)), background)
        extraction = Extraction(pmid=pmid, extractor="test/1", assertions=found)
        store.replace_graphs({iris.article_graph(pmid): to_quads(article, extraction)})
        reported[pmid] = (listing_key(pmid, year), items, number % 17 == 0)
    return store, reported


def _ranked(
    reported: Reported, present: list[str], absent: list[str], least: int, retracted: bool
) -> list[tuple[str, int, int]]:
    """The signature answer counted in Python: most shared first, then the newest."""
    want = {(c, "present") for c in present} | {(c, "absent") for c in absent}
    against = {(c, "absent") for c in present} | {(c, "present") for c in absent}
    rows = [
        (len(items & want), len(items & against), key, pmid)
        for pmid, (key, items, gone) in reported.items()
        if (retracted or not gone) and len(items & want) >= least
    ]
    rows.sort(key=lambda row: (-row[0], -row[2]))
    return [(pmid, shared, contradicted) for shared, contradicted, _, pmid in rows[:100]]


PATIENTS = [
    (FINDINGS[:2], FINDINGS[3:4], 1, False),
    (FINDINGS[:3], [], 1, False),
    (FINDINGS[1:4], FINDINGS[4:], 1, False),
    (FINDINGS[:2], FINDINGS[3:4], 2, False),
    (FINDINGS[:3], FINDINGS[3:], 3, False),
    (FINDINGS[:2], FINDINGS[3:4], 1, True),
    (FINDINGS[:3], [], 2, True),
]


def test_signature_ranks_many_cases_as_counting_their_findings_would() -> None:
    store, reported = _many_cases()
    for patient in PATIENTS[:2]:  # the best-ranked case of each is deleted
        best = _ranked(reported, *patient)[0][0]
        store.add_quads(deletion_quads(best))
        reported[best] = (*reported[best][:2], True)
    registry = Registry(store, QUERIES)

    def answer(present: list[str], absent: list[str], least: int, retracted: bool) -> object:
        asked = {"present": present, "absent": absent, "min_shared": least}
        table = registry.run("signature", {**asked, "include_retracted": retracted})
        return [(r["pmid"], r["shared"], r["contradicted"]) for r in table.rows]

    for patient in PATIENTS:
        assert answer(*patient) == _ranked(reported, *patient), patient
    # Where at least 100 live articles share two findings, the ranking is read from the pairs
    # of the summaries: without the listing keys on the claims (what the other way reads), it
    # is the same. Retracted articles asked for are ranked the other way, and go with the keys.
    sharing_two = [p for p in PATIENTS[:3] if len(_ranked(reported, p[0], p[1], 2, False)) == 100]
    assert len(sharing_two) == 3
    store.update(
        f"DELETE WHERE {{ GRAPH ?g {{ ?claim <{iris.term('claimedByKey').value}> ?key }} }}"
    )
    for patient in [*sharing_two, *PATIENTS[3:5]]:
        assert answer(*patient) == _ranked(reported, *patient), patient
    assert answer(*PATIENTS[5]) == []


# --- the cache follows the store ------------------------------------------------------------


def test_answers_are_cached_until_the_store_is_written() -> None:
    store = fixture_store()
    registry = Registry(store, QUERIES)
    first = registry.run("timeline")
    assert registry.run("timeline") is first
    article = Article(pmid="90000099", title="Added later", pub_date=PubDate(year=1999))
    store.replace_graphs(quads_by_graph(to_quads(article)))
    after = registry.run("timeline")
    assert after is not first
    assert after.rows[0] == {"year": 1999, "articles": 1, "patients": 0, "case_reports": 0}


def test_a_store_without_the_sample_still_answers_with_empty_tables() -> None:
    registry = Registry(OxigraphStore(), QUERIES)
    assert registry.run("misdiagnoses").rows == ()
    assert registry.run("counts").rows[0]["articles"] == 0


# --- kb query: the same registry from the command line --------------------------------------


@pytest.fixture(scope="module")
def kb_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    home = write_fixture_home(tmp_path_factory.mktemp("kb-home"))
    return {"KB_HOME": str(home), "KB_STORE": ""}


def test_kb_query_prints_a_named_query_as_csv(kb_env: dict[str, str]) -> None:
    result = CliRunner().invoke(cli, ["query", "timeline", "--format", "csv"], env=kb_env)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "year,articles,patients,case_reports",
        "2001,1,21,0",
        "2010,1,1,1",
        "2015,2,1,1",
    ]


def test_kb_query_takes_repeated_params_as_a_list_and_prints_json(kb_env: dict[str, str]) -> None:
    args = ["query", "signature", "-p", "present=finding/t1-hypointense"]
    args += ["-p", "present=finding/t2-hypointense", "-p", "min_shared=2", "--format", "json"]
    result = CliRunner().invoke(cli, args, env=kb_env)
    assert result.exit_code == 0, result.output
    table = Table.model_validate_json(result.output)
    assert [r["pmid"] for r in table.rows] == ["90000003", "90000002"]


def test_kb_query_prints_a_table_and_lists_the_queries(kb_env: dict[str, str]) -> None:
    result = CliRunner().invoke(cli, ["query", "levels"], env=kb_env)
    assert result.exit_code == 0, result.output
    assert "cervical spine" in result.output and "L5" in result.output
    listing = CliRunner().invoke(cli, ["query"], env=kb_env)
    assert {line.split(":")[0] for line in listing.output.splitlines()} == set(QUERIES)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["query", "cooccurrence", "-p", "min_articles=x"], "min_articles"),
        (["query", "timeline", "-p", "nonsense"], "KEY=VALUE"),
        (["query", "no-such-query"], "no-such-query"),
    ],
)
def test_kb_query_refuses_bad_input_as_a_usage_error(
    kb_env: dict[str, str], args: list[str], message: str
) -> None:
    result = CliRunner().invoke(cli, args, env=kb_env)
    assert result.exit_code == 2
    assert message in result.output
