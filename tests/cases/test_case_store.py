"""Cases in the store: the case table, one case, duplicates, appraisal and phenopackets.

The store holds the bundled sample, the seed (Durant 2001: a cohort of 21) and the series
written for these tests (tests/data/cases/series.xml), ingested through the real pipeline.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from google.protobuf.json_format import Parse
from phenopackets import Phenopacket

from kb import iris
from kb.cases import case_table, get_case
from kb.cases.phenopacket import to_json, to_phenopacket
from kb.cases.similar import Patient, build_index
from kb.errors import QueryTimeoutError
from kb.graph.terms import tc
from kb.query.named import read_queries
from kb.query.registry import Page, Registry
from kb.store import OxigraphStore, Store
from tests.support.graphs import SEED, SEED_PMID, case_quads, cases_store
from tests.support.paths import need

QUERIES = read_queries()


@pytest.fixture(scope="module")
def store() -> OxigraphStore:
    """The sample, the seed and the series, in memory."""
    need(SEED.is_file(), f"{SEED} is absent")
    return cases_store()


@pytest.fixture(scope="module")
def registry(store: OxigraphStore) -> Registry:
    return Registry(store, QUERIES)


@pytest.fixture(scope="module")
def remote(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """The same quads on a Virtuoso server of this module's own."""
    from tests.support.virtuoso import AVAILABLE, start_virtuoso

    need(AVAILABLE, "virtuoso-t and isql-vt (Debian's virtuoso-opensource) are not installed")
    server = start_virtuoso(tmp_path_factory.mktemp("virtuoso-cases"))
    try:
        server.bulk_load(case_quads())
        with server.store() as remote:
            yield remote
    finally:
        server.stop()


def _cases(registry: Registry, **params: object) -> list[dict[str, object]]:
    return [dict(r) for r in registry.run("cases", params, Page(500)).rows]  # type: ignore[arg-type]


def test_each_case_report_is_one_case_and_the_cohort_none(registry: Registry) -> None:
    rows = {r["case"]: r for r in _cases(registry)}
    assert rows["77000002-1"]["age"] == 61 and rows["77000002-1"]["sex"] == "male"
    assert rows["77000002-1"]["levels"] == ["C1", "C2"]
    assert {c for c in rows if c.startswith("77000001-")} == {f"77000001-{n}" for n in (1, 2, 3)}
    assert not any(c.startswith(SEED_PMID) for c in rows)
    store = registry.store
    cohort = iris.cohort_iri(SEED_PMID)
    sizes = [
        q.object.value for q in store.quads() if q.subject == cohort and q.predicate == tc("size")
    ]  # type: ignore[attr-defined]
    assert sizes == ["21"]


def test_the_case_table_gives_lists_as_arrays_and_filters(registry: Registry) -> None:
    (row,) = [r for r in _cases(registry) if r["case"] == "77000001-1"]
    assert row["misdiagnoses"] == ["metastasis", "infection"]  # in the order the text gives
    assert row["levels"] == ["C4", "C5"]
    assert row["diagnosis_method"] == "excision-histology"
    assert row["url"] == "/cases/77000001-1"
    absent = _cases(registry, absent=["finding/contrast-enhancement"], region="region/lumbar")
    assert "77000001-2" in {r["case"] for r in absent}
    assert all("enhancement after gadolinium" in r["findings_absent"] for r in absent)
    mistaken = _cases(registry, misdiagnosis="condition/synovial-cyst")
    assert all("synovial cyst" in r["misdiagnoses"] for r in mistaken) and mistaken
    recent = _cases(registry, year_from=2019, year_to=2019)
    assert recent and all(r["year"] == 2019 for r in recent)
    confirmed = _cases(registry, confirmed=True)
    assert confirmed and all(
        r["diagnosis_method"] in ("excision-histology", "biopsy-histology") for r in confirmed
    )
    paged = registry.run("cases", {}, Page(5, 5))
    assert len(paged.rows) == 5 and paged.total == len(_cases(registry))


def test_a_region_named_in_words_is_a_region_of_the_case_not_a_site(registry: Registry) -> None:
    rows = _cases(registry)
    assert all(not set(r["regions"]) & set(r["sites"]) for r in rows)  # type: ignore[arg-type]
    named = [r for r in rows if r["regions"] and not r["levels"]]
    assert named  # regions told without a level (94000012: "cervical" patients)
    cervical = {r["case"] for r in _cases(registry, region="region/cervical")}
    assert {r["case"] for r in named if "cervical spine" in r["regions"]} <= cervical  # type: ignore[operator]


def test_the_same_patient_published_twice_is_flagged_on_both_cases(registry: Registry) -> None:
    rows = {r["case"]: r for r in _cases(registry)}
    assert rows["77000002-1"]["possible_duplicates"] == ["77000003-1"]
    assert rows["77000003-1"]["possible_duplicates"] == ["77000002-1"]
    # Same group, same level, but a woman: another patient.
    assert rows["77000003-2"]["possible_duplicates"] == []
    kept = {r["case"] for r in _cases(registry, no_duplicates=True)}
    assert "77000002-1" in kept and "77000003-1" not in kept  # the first report stays
    record = get_case(registry, "77000003-1")
    assert record is not None
    (flag,) = record["possible_duplicates"]
    reasons = " | ".join(flag["reasons"])
    assert flag["case"] == "77000002-1"
    for reason in ("same sex (male)", "ages 61 and 63", "shared author (lindqvist k)"):
        assert reason in reasons


def test_one_case_gives_every_cell_with_its_sentence(registry: Registry) -> None:
    record = get_case(registry, "77000001-2")
    assert record is not None
    assert (record["age"], record["sex"], record["diagnosis_method"]) == (
        67,
        "male",
        "biopsy-histology",
    )
    (absent,) = [
        f for f in record["findings_absent"] if f["concept"] == "finding/contrast-enhancement"
    ]
    (evidence,) = absent["evidence"]
    span = str(evidence["sentence"])[int(evidence["start"]) : int(evidence["end"])]  # type: ignore[arg-type]
    assert "enhancement" in span and "Case 2" in str(evidence["sentence"])
    group = {g["concept"] for g in record["said_of_the_group"]}
    assert "condition/hyperphosphatemia" in group
    assert not record["associated_conditions"]  # the group's phosphate is not this case's
    assert get_case(registry, "77000001-9") is None


def test_appraisal_items_come_with_their_sentences(registry: Registry) -> None:
    items = {r["item"]: r for r in registry.run("appraisal", {"article": "77000001"}).rows}
    assert items["histological-confirmation"]["answer"] == "yes"
    assert "histology" in str(items["histological-confirmation"]["sentence"]).lower()
    assert items["demographics"]["answer"] == "yes"
    assert items["take-away"]["answer"] == "yes"
    assert "should be considered" in str(items["take-away"]["sentence"])
    assert items["follow-up"]["answer"] == "unclear" and items["follow-up"]["sentence"] is None
    confirmed = registry.run(
        "appraisal", {"criterion": "histological-confirmation", "verdict": "yes"}
    ).rows
    assert "77000001" in {r["pmid"] for r in confirmed}


def test_every_case_is_a_valid_phenopacket(registry: Registry) -> None:
    created = datetime(2026, 12, 7, tzinfo=UTC)
    cases = build_index(registry).cases
    assert len(cases) > 50
    for features in cases:
        record = get_case(registry, features.case)
        assert record is not None
        packet = Parse(to_json(to_phenopacket(record, "tc-rules/test", created)), Phenopacket())
        assert packet.id == f"tckb-case-{features.case}"
    packet = to_phenopacket(get_case(registry, "77000001-2") or {}, "tc-rules/test", created)
    assert packet.subject.time_at_last_encounter.age.iso8601duration == "P67Y"
    excluded = {f.type.label for f in packet.phenotypic_features if f.excluded}
    assert excluded == {"enhancement after gadolinium"}
    assert [d.term.label for d in packet.diseases if d.excluded] == ["synovial cyst"]
    assert packet.meta_data.created_by == "tc-rules/test (automated agent)"
    assert packet.phenotypic_features[0].evidence[0].evidence_code.id == "ECO:0000203"
    assert "synovial cyst" in packet.meta_data.external_references[0].description


def test_cases_like_a_patient_rank_shared_findings_first(registry: Registry) -> None:
    index = build_index(registry)
    patient = Patient(
        present=frozenset({"finding/t2-hypointense", "finding/mass-lesion"}),
        absent=frozenset({"finding/contrast-enhancement"}),
        levels=frozenset({"L4"}),
        sex="male",
    )
    ranked = index.like(patient, limit=10)
    assert ranked[0].case.case == "77000001-2"  # all three findings, the level and the sex
    assert ranked[0].score == 3.75
    scores = [r.score for r in ranked]
    assert scores == sorted(scores, reverse=True)
    assert all(r.shared for r in ranked)


ASKED = [
    {},
    {"region": "region/cervical"},
    {"absent": ["finding/contrast-enhancement"]},
    {"misdiagnosis": "condition/metastasis", "year_from": 2015},
    {"no_duplicates": True, "confirmed": True},
]


@pytest.mark.parametrize("params", ASKED, ids=[str(i) for i in range(len(ASKED))])
def test_the_case_table_answers_alike_on_virtuoso(
    registry: Registry, remote: Store, params: dict[str, object]
) -> None:
    expected = _cases(registry, **params)
    assert expected
    assert _cases(Registry(remote, QUERIES), **params) == expected


SELECTED = [
    *ASKED,
    {"level": "C2"},
    {"site": "site/facet-joint"},
    {"present": ["finding/t2-hypointense"], "absent": ["finding/contrast-enhancement"]},
    {"associated": "condition/hemodialysis", "treatment": "treatment/surgical-excision"},
    {"year_to": 2016},
    {"no_duplicates": True},
    {"study_design": "case-series"},
    {"outcome": "outcome/improvement"},
]


@pytest.mark.parametrize("params", SELECTED, ids=[str(i) for i in range(len(SELECTED))])
def test_the_index_picks_the_same_page_as_the_query(
    registry: Registry, params: dict[str, object]
) -> None:
    index = build_index(registry)
    for page in (Page(500), Page(3, 2)):
        by_index = case_table(registry, index, params, page)  # type: ignore[arg-type]
        by_query = registry.run("cases", params, page)  # type: ignore[arg-type]
        assert by_index.columns == by_query.columns
        assert by_index.rows == by_query.rows
        assert by_index.total == by_query.total


def test_a_page_of_the_case_table_is_written_from_the_index_alone() -> None:
    """The first ask after a write pays no query: the index holds every cell of the rows."""
    store = cases_store()
    registry = Registry(store, QUERIES)
    index = build_index(registry)
    params = {"region": "region/lumbar", "present": ["finding/t2-hypointense"]}
    expected = registry.run("cases", params, Page(4, 1))  # type: ignore[arg-type]
    store.close()
    table = case_table(Registry(store, QUERIES), index, params, Page(4, 1))  # type: ignore[arg-type]
    assert (table.columns, table.rows, table.total) == (
        expected.columns,
        expected.rows,
        expected.total,
    )
    assert len(table.rows) == 4


def _counts(registry: Registry, **params: object) -> dict[tuple[str, str], int]:
    table = registry.run("case-counts", params)  # type: ignore[arg-type]
    return {(str(r["feature"]), str(r["value"])): int(str(r["cases"])) for r in table.rows}


def test_counts_of_patients_with_and_without_the_same_patient_twice(registry: Registry) -> None:
    counts = _counts(registry)
    once = _counts(registry, no_duplicates=True)
    # 77000002-1 and 77000003-1 are one man: counted twice, then once.
    assert counts[("sex", "male")] == once[("sex", "male")] + 1
    assert counts[("sex", "female")] == once[("sex", "female")]
    everyone = registry.run("cases", {}, Page(500)).rows
    assert counts[("sex", "male")] == sum(r["sex"] == "male" for r in everyone)
    assert counts[("misdiagnosis", "condition/synovial-cyst")] == len(
        _cases(registry, misdiagnosis="condition/synovial-cyst")
    )
    assert counts[("finding absent", "finding/contrast-enhancement")] == len(
        _cases(registry, absent=["finding/contrast-enhancement"])
    )


def test_the_case_counts_answer_alike_on_virtuoso(registry: Registry, remote: Store) -> None:
    assert _counts(Registry(remote, QUERIES), no_duplicates=True) == _counts(
        registry, no_duplicates=True
    )


def test_a_short_ranking_is_the_head_of_a_long_one(registry: Registry) -> None:
    """Only cases that can still rank are scored whole: the head must not depend on it."""
    index = build_index(registry)
    for patient in (
        Patient(present=frozenset({"finding/t1-hypointense", "finding/ct-calcification"})),
        Patient(present=frozenset({"finding/mass-lesion"}), sex="female", age=60),
        Patient(absent=frozenset({"finding/contrast-enhancement"}), levels=frozenset({"C2"})),
    ):
        head = [(r.case.case, r.score) for r in index.like(patient, limit=3)]
        whole = [(r.case.case, r.score) for r in index.like(patient, limit=500)]
        assert head == whole[:3]


def test_the_case_index_is_read_whole_past_a_visitors_time_limit(tmp_path: Path) -> None:
    # kb serve reads through workers with KB_QUERY_TIMEOUT; the index read may take minutes.
    memory = cases_store()
    expected = build_index(Registry(memory, read_queries()))
    disk = OxigraphStore(tmp_path / "store")
    disk.add_quads(memory.quads())
    disk.start_readers(1, timeout=0.001)
    try:
        index = build_index(Registry(disk, read_queries()))
        with pytest.raises(QueryTimeoutError):  # while a visitor's query is held to the limit
            disk.select("SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f }")
    finally:
        disk.close()
    assert [c.case for c in index.cases] == [c.case for c in expected.cases] != []


def _narrowed(params: dict[str, object], name: str, value: object) -> dict[str, object] | None:
    """The parameters with one more filter value, or None where the filter is already set."""
    if name == "year":
        if "year_from" in params or "year_to" in params:
            return None
        return {**params, "year_from": value, "year_to": value}
    if name in ("present", "absent"):
        return {**params, name: [*params.get(name, []), value]}  # type: ignore[list-item]
    return None if name in params else {**params, name: value}


@pytest.mark.parametrize("params", SELECTED, ids=[str(i) for i in range(len(SELECTED))])
def test_each_facet_counts_the_cases_its_click_would_keep(
    registry: Registry, params: dict[str, object]
) -> None:
    from kb.cases import index_filters

    index = build_index(registry)
    counts = index.facets(index_filters(registry, params))  # type: ignore[arg-type]
    checked = 0
    for name, value in sorted(set(index.keeps) | set(counts), key=str):
        narrowed = _narrowed(params, name, value)
        if narrowed is None:
            continue
        kept = index.select(index_filters(registry, narrowed))  # type: ignore[arg-type]
        assert counts[(name, value)] == len(kept), (name, value)
        if kept and checked < 4:  # and, for a few, as the named query counts them
            total = registry.run("cases", narrowed, Page(1)).total  # type: ignore[arg-type]
            assert total == len(kept)
            checked += 1
    assert checked > 0
