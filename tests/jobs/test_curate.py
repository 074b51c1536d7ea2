"""Curation on every store: verdicts move the counts and survive re-extraction and refresh.

An abstract that changed under a verdict leaves it an orphan, never re-attached.

Each test reads the bundled sample through a refresh from the fake E-utilities (real client,
real HTTP on 127.0.0.1) into Oxigraph in memory, on disk, and Virtuoso, with a record archive,
and judges what the extractor read there; what it expects is read from the same store through
the named queries, before and after.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from ingest.eutils import EutilsClient
from kb import iris
from kb.curation import Curator, Reading, Statement
from kb.graph.ontology import backfill_summaries
from kb.graph.validate import SUMMARY
from kb.jobs.archive import RecordArchive
from kb.jobs.curate import (
    CurationRequest,
    Reader,
    export_verdicts,
    history,
    import_verdicts,
    orphans,
    record,
)
from kb.jobs.reextract import ReextractRequest, reextract
from kb.jobs.refresh import refresh
from kb.jobs.runs import Run, describe_run
from kb.jobs.write import stored_pmids
from kb.models import Assertion
from kb.query.named import read_queries
from kb.query.registry import Page, Registry
from kb.resources import sample_path
from kb.store import OxigraphStore, Store
from tests.support.fake_eutils import FakeEutils

QUERY = "tumoral calcinosis spine"
DAY = date(2025, 3, 1)
ADA = Curator(name="Ada Curator", orcid="0000-0002-1825-0097")
BEN = Curator(name="Ben Reviewer")


def clock_at(day: date, minute: int = 0) -> Callable[[], datetime]:
    return lambda: datetime(day.year, day.month, day.day, 2, minute, tzinfo=UTC)


def client_of(fake: FakeEutils) -> EutilsClient:
    return EutilsClient(fake.url, rate=1000.0, backoff=0.001, retries=2)


@pytest.fixture
def fake(fake_eutils: FakeEutils) -> FakeEutils:
    fake_eutils.pubmed.load_xml(sample_path())
    return fake_eutils


def refreshed(fake: FakeEutils, store: Store, archive: RecordArchive, day: date = DAY) -> Run:
    with client_of(fake) as client:
        run = refresh(store, client, QUERY, archive=archive, clock=clock_at(day))
    assert run.status == "completed", run.errors
    return run


def readings(reader: Reader, pmid: str) -> list[Reading]:
    return list(reader.reading(reader.article(pmid), []).readings)


def unique(rows: Iterable[Reading], r: Reading) -> bool:
    """Whether no other assertion of the article makes the same claim."""
    return sum(x.assertion.claim_key == r.assertion.claim_key for x in rows) == 1


def pick(reader: Reader, pmids: list[str], wanted: Callable[[list[Reading], Reading], bool],
         skip: Iterable[str] = ()) -> tuple[str, Reading]:  # fmt: skip
    for pmid in pmids:
        if pmid in skip:
            continue
        rows = readings(reader, pmid)
        for r in rows:
            if wanted(rows, r):
                return pmid, r
    raise AssertionError("the sample has no such assertion")


@dataclass
class Sample:
    """A store holding the sample, its archive, and the assertions the tests judge."""

    store: Store
    reader: Reader
    registry: Registry
    mistaken: tuple[str, Reading]  # a misdiagnosis of a case, its article's only one so
    seen: tuple[str, Reading]  # a finding in the patients, its article's only one so
    changing: tuple[str, Reading]  # an assertion in the abstract, whose words will change


@pytest.fixture
def sample(fake: FakeEutils, any_store: Store, tmp_path: Path) -> Sample:
    archive = RecordArchive(tmp_path / "records")
    refreshed(fake, any_store, archive)
    reader = Reader(archive, Reader.at(tmp_path / "records").extractor)
    pmids = stored_pmids(any_store)
    mistaken = pick(
        reader,
        pmids,
        lambda rows, r: (
            r.assertion.role == "misdiagnosis"
            and r.assertion.polarity == "present"
            and r.assertion.patient is not None
            and unique(rows, r)
        ),
    )

    def seen_once(rows: list[Reading], r: Reading) -> bool:
        a = r.assertion
        flipped = a.model_copy(update={"polarity": "absent"}).claim_key
        return (
            a.role == "finding" and a.polarity == "present" and a.scope == "patient"
            and unique(rows, r) and all(x.assertion.claim_key != flipped for x in rows)
        )  # fmt: skip

    seen = pick(reader, pmids, seen_once, skip=[mistaken[0]])
    changing = pick(
        reader,
        pmids,
        lambda rows, r: r.assertion.section != "TITLE" and len(r.assertion.mention) > 4,
        skip=[mistaken[0], seen[0]],
    )
    return Sample(any_store, reader, Registry(any_store, read_queries()), mistaken, seen, changing)


def mistaken_pmids(registry: Registry, concept: str, **params: object) -> set[str]:
    rows = registry.run("misdiagnoses", params).rows
    return {p for r in rows if r["misdiagnosis"] == concept for p in str(r["pmids"]).split()}


def finding_pmids(registry: Registry, concept: str, polarity: str) -> set[str]:
    rows = registry.run("imaging-findings", {}).rows
    return {
        p
        for r in rows
        if r["finding"] == concept and r["polarity"] == polarity
        for p in str(r["pmids"]).split()
    }


def cases_mistaken_for(registry: Registry, concept: str) -> set[str]:
    rows = registry.run("cases", {"misdiagnosis": concept}, Page(500)).rows
    return {str(r["case"]) for r in rows}


def statuses(registry: Registry, pmid: str) -> dict[str, str]:
    """Each assertion's status by the key verdicts target it by."""
    from kb.curation import row_key

    rows = registry.run("article-evidence", {"pmid": pmid}).rows
    return {str(row_key(pmid, r)): str(r["status"]) for r in rows}


def judge(s: Sample, pmid: str, curator: Curator = ADA, minute: int = 1, **fields: object) -> None:
    record(s.store, s.reader, [CurationRequest(pmid=pmid, **fields)], curator,  # type: ignore[arg-type]
           clock=clock_at(DAY + timedelta(days=1), minute))  # fmt: skip


def test_reject_correct_and_add_move_the_counts_as_the_verdicts_say(sample: Sample) -> None:
    s, registry = sample, sample.registry
    (pmid, wrong), (other, finding) = s.mistaken, s.seen
    concept, case = wrong.assertion.concept, f"{pmid}-{wrong.assertion.patient}"
    assert pmid in mistaken_pmids(registry, concept)
    assert case in cases_mistaken_for(registry, concept)

    judge(s, pmid, action="reject", target=wrong.key, reason="not-about-lesion")
    assert pmid not in mistaken_pmids(registry, concept)
    assert pmid in mistaken_pmids(registry, concept, include_rejected=True)
    assert case not in cases_mistaken_for(registry, concept)
    assert statuses(registry, pmid)[wrong.key] == "rejected"

    seen = finding.assertion.concept
    assert other in finding_pmids(registry, seen, "present")
    assert other not in finding_pmids(registry, seen, "absent")
    judge(s, other, action="correct", target=finding.key,
          correction=Statement(polarity="absent"))  # fmt: skip
    assert other not in finding_pmids(registry, seen, "present")
    assert other in finding_pmids(registry, seen, "absent")
    assert statuses(registry, other)[finding.key] == "corrected"

    # What the extractor missed: the first case of the first article was also taken for TB.
    missed = Assertion(**{**wrong.assertion.model_dump(), "concept": "condition/tuberculosis"})
    tb_before = cases_mistaken_for(registry, "condition/tuberculosis")
    judge(s, pmid, action="add", assertion=missed)
    assert pmid in mistaken_pmids(registry, "condition/tuberculosis")
    assert cases_mistaken_for(registry, "condition/tuberculosis") == tb_before | {case}
    assert "added" in statuses(registry, pmid).values()

    # A summary written again from the assertions (a new ontology does so) keeps them out.
    whole = set(s.store.quads())
    for graph in (iris.article_graph(pmid), iris.article_graph(other)):
        s.store.replace_graphs(
            {graph: [q for q in s.store.quads(graph) if q.predicate not in SUMMARY]}
        )
    assert pmid not in mistaken_pmids(registry, "condition/tuberculosis")  # no summary now
    backfill_summaries(s.store)
    assert set(s.store.quads()) == whole


def test_a_later_verdict_supersedes_and_the_history_keeps_both(sample: Sample) -> None:
    s = sample
    pmid, wrong = s.mistaken
    judge(s, pmid, action="reject", target=wrong.key, reason="wrong-concept", minute=1)
    judge(s, pmid, BEN, action="accept", target=wrong.key, minute=2)
    assert statuses(s.registry, pmid)[wrong.key] == "accepted"
    assert pmid in mistaken_pmids(s.registry, wrong.assertion.concept)
    first, second = history(s.store, pmid)
    assert (first.state, first.verdict.curator, first.superseded_by) == (
        "superseded", ADA, second.id,
    )  # fmt: skip
    assert (second.state, second.verdict.curator, second.superseded_by) == ("current", BEN, None)
    assert first.verdict.assertion == wrong.assertion  # the snapshot of what was judged


def test_verdicts_are_reapplied_after_reextraction_and_refresh_and_a_changed_sentence_orphans(
    sample: Sample, fake: FakeEutils
) -> None:
    s, registry = sample, sample.registry
    (pmid, wrong), (other, finding), (changed, words) = s.mistaken, s.seen, s.changing
    judge(s, pmid, action="reject", target=wrong.key, reason="wrong-scope")
    judge(s, other, action="correct", target=finding.key, correction=Statement(polarity="absent"))
    judge(s, changed, action="accept", target=words.key)
    before = {p: statuses(registry, p) for p in (pmid, other, changed)}

    run = reextract(s.store, s.reader.archive, ReextractRequest(force=True))
    assert (run.status, run.orphaned) == ("completed", 0)
    assert {p: statuses(registry, p) for p in (pmid, other, changed)} == before
    assert orphans(s.store) == []

    # PubMed revises one abstract: the words the accepted assertion was read from are gone.
    fake.pubmed.change(changed, on=DAY + timedelta(days=2),
                       edits=((words.assertion.mention, "an unremarkable mass"),))  # fmt: skip
    run = refreshed(fake, s.store, s.reader.archive, DAY + timedelta(days=2))
    assert (run.updated, run.orphaned) == ((changed,), 1)  # the run says so too
    assert "kb curate orphans" in "\n".join(describe_run(run))
    lost = orphans(s.store)
    assert [(e.verdict.pmid, e.target) for e in lost] == [(changed, words.key)]
    assert words.key not in statuses(registry, changed)
    assert statuses(registry, pmid)[wrong.key] == "rejected"  # the others still hold
    assert statuses(registry, other)[finding.key] == "corrected"
    assert pmid not in mistaken_pmids(registry, wrong.assertion.concept)


def test_export_then_import_elsewhere_gives_the_same_reading_and_twice_changes_nothing(
    sample: Sample, fake: FakeEutils, tmp_path: Path
) -> None:
    s = sample
    pmid, wrong = s.mistaken
    judge(s, pmid, action="reject", target=wrong.key, reason="wrong-concept")
    judge(s, s.seen[0], action="correct", target=s.seen[1].key,
          correction=Statement(concept="finding/t2-hypointense"))  # fmt: skip
    for fmt in ("trig", "jsonld"):
        data = export_verdicts(s.store, fmt)
        elsewhere = OxigraphStore()
        archive = RecordArchive(tmp_path / f"records-{fmt}")
        refreshed(fake, elsewhere, archive)
        reader = Reader(archive, s.reader.extractor)
        done = import_verdicts(elsewhere, reader, data, fmt)
        assert (done.new, done.known) == (2, 0)
        theirs = Registry(elsewhere, read_queries())
        for p in (pmid, s.seen[0]):
            assert statuses(theirs, p) == statuses(s.registry, p)
        quads = set(elsewhere.quads())
        again = import_verdicts(elsewhere, reader, data, fmt)
        assert (again.new, again.known) == (0, 2)
        assert set(elsewhere.quads()) == quads


def test_a_verdict_on_what_the_article_does_not_hold_is_refused_and_nothing_written(
    sample: Sample,
) -> None:
    from kb.errors import InputError, NotFoundError

    s = sample
    pmid, wrong = s.mistaken
    quads = set(s.store.quads())
    with pytest.raises(NotFoundError, match="no assertion with key"):
        judge(s, pmid, action="accept", target="0" * 32)
    with pytest.raises(NotFoundError, match="not in the store"):
        judge(s, "1", action="accept", target=wrong.key)
    with pytest.raises(InputError, match="unknown concept"):
        judge(s, pmid, action="correct", target=wrong.key,
              correction=Statement(concept="condition/no-such-thing"))  # fmt: skip
    with pytest.raises(InputError, match="a misdiagnosis is a concept of condition or lesion"):
        judge(s, pmid, action="correct", target=wrong.key,
              correction=Statement(concept="finding/t2-hypointense"))  # fmt: skip
    assert set(s.store.quads()) == quads


def test_a_duplicate_flag_judged_two_patients_is_refuted_and_stays_so_after_reextraction(
    tmp_path: Path,
) -> None:
    from ingest.files import iter_batch
    from kb.cases import get_case
    from kb.errors import NotFoundError
    from kb.jobs.curate import record_pair
    from kb.jobs.ingest import ingest_records
    from tests.support.graphs import CASES

    store, archive = OxigraphStore(), RecordArchive(tmp_path / "records")
    ingest_records(store, iter_batch([CASES]), archive=archive)
    registry = Registry(store, read_queries())

    def flagged(case: str) -> list[str]:
        record = get_case(registry, case)
        assert record is not None
        return [d["case"] for d in record["possible_duplicates"]]

    def table(case: str) -> list[str]:
        rows = registry.run("cases", {}, Page(500)).rows
        return next(list(r["possible_duplicates"]) for r in rows if r["case"] == case)

    pair = ("77000002-1", "77000003-1")
    assert flagged(pair[0]) == [pair[1]] and table(pair[1]) == [pair[0]]
    record_pair(store, pair, False, ADA, "different hospitals", clock=clock_at(DAY, 1))
    assert flagged(pair[0]) == [] and table(pair[1]) == []
    reextract(store, archive, ReextractRequest(force=True))  # the rules flag it again...
    assert flagged(pair[0]) == []  # ...and the verdict holds
    record_pair(store, pair, True, BEN, clock=clock_at(DAY, 2))  # a later verdict wins
    assert flagged(pair[0]) == [pair[1]]
    # A pair the rules never flagged, flagged by hand.
    record_pair(store, ("77000002-1", "77000003-2"), True, ADA, clock=clock_at(DAY, 3))
    assert "77000003-2" in flagged("77000002-1")
    entries = history(store, "77000003")
    assert [(e.state, e.verdict.curator.name) for e in entries] == [
        ("superseded", "Ada Curator"), ("current", "Ben Reviewer"), ("current", "Ada Curator"),
    ]  # fmt: skip
    assert orphans(store) == []
    with pytest.raises(NotFoundError, match="no case 77000009-1"):
        record_pair(store, ("77000002-1", "77000009-1"), True, ADA)
    data = export_verdicts(store, "trig")
    assert import_verdicts(store, Reader.at(tmp_path / "records"), data, "trig").new == 0
