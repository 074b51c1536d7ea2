"""The E-utilities client against real NCBI documents and the fake server on 127.0.0.1."""

from __future__ import annotations

import io
import itertools
import json
import threading
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner, Result
from hypothesis import assume, given
from hypothesis import strategies as st

from ingest.cache import ResponseCache, request_key
from ingest.eutils import EutilsClient
from ingest.eutils_docs import parse_body, parse_esearch
from ingest.pacing import RateLimiter, backoff_delay, parse_retry_after
from ingest.pubmed_xml import iter_records
from ingest.windows import SEARCH_CAP, SearchResult, parse_date_bound, split_window
from kb.cli import cli
from kb.errors import EutilsError, IncompleteResponseError, RateLimitedError
from kb.models import Article, Deletion
from kb.resources import sample_path
from kb.settings import get_settings
from tests.support.fake_eutils import FakeClock, FakeEutils, Fault, iter_request_gaps

ENTREZ = Path("data/pubmed-real/biopython-entrez")
SAMPLE = sample_path()
Factory = Callable[..., FakeEutils]


def make_client(fake: FakeEutils | str, clock: FakeClock, **options: Any) -> EutilsClient:
    """A client of the fake (or a URL) whose waits only move the fake clock (no real sleep)."""
    options.setdefault("email", "kb@example.org")
    url = fake if isinstance(fake, str) else fake.url
    return EutilsClient(url, clock=clock, sleep=clock.sleep, jitter=lambda: 0.0, **options)


def pmids_of(records: object) -> list[str]:
    return [r.pmid for r in records if isinstance(r, Article)]  # type: ignore[attr-defined]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


# --- real NCBI documents, parsed offline ---------------------------------------------------


def test_esearch_with_history_yields_count_ids_and_handles(shared: Path) -> None:
    page = parse_esearch((shared / ENTREZ / "esearch2.xml").read_bytes())
    assert page.count == 42249
    assert len(page.ids) == 100 and page.ids[0] == "41297076"
    assert page.webenv == "MCID_6927d6e7fee3e90f880ec190" and page.query_key == "1"
    assert page.translation is not None and "[Date - Entry]" in page.translation


def test_phrase_not_found_is_a_note_not_a_failure(shared: Path) -> None:
    page = parse_esearch((shared / ENTREZ / "esearch8.xml").read_bytes())
    assert (page.count, page.ids) == (0, ())
    assert page.errors == ("PhraseNotFound: abcXYZ",)
    assert page.warnings == ("OutputMessage: No items found.",)


@pytest.mark.parametrize(
    ("name", "said"),
    [
        ("epost2.xml", "Invalid db name specified: nothing"),
        ("epost3.xml", "Empty ID list; Nothing to store"),
        ("esummary8.xml", "Neither query_key nor id specified"),
    ],
)
def test_real_error_documents_are_errors_that_quote_ncbi(
    shared: Path, name: str, said: str
) -> None:
    with pytest.raises(EutilsError, match="error document") as caught:
        parse_body((shared / ENTREZ / name).read_bytes())
    assert said in str(caught.value)


def test_real_html_answer_is_a_final_error_naming_the_page(shared: Path) -> None:
    with pytest.raises(EutilsError, match="HTML page instead of XML: 'PmFetch response'") as got:
        parse_body((shared / ENTREZ / "pubmed3.html").read_bytes())
    assert not isinstance(got.value, IncompleteResponseError)


def test_real_truncated_document_is_reported_as_incomplete(shared: Path) -> None:
    with pytest.raises(IncompleteResponseError, match="incomplete or malformed XML"):
        parse_body((shared / ENTREZ / "einfo4.xml").read_bytes())


@pytest.mark.parametrize(
    ("body", "content_type", "said"),
    [
        (b'{"error":"API rate limit exceeded","count":"4"}', "application/json", "rate limit"),
        (b'{"esearchresult": {}}', "application/json", "JSON where XML was asked for"),
        (b"   \n", "text/xml", "empty body"),
        (b"<eFetchResult><ERROR>Unable to obtain query #1</ERROR></eFetchResult>", "", "#1"),
    ],
)
def test_json_empty_and_fetch_errors_are_refused(body: bytes, content_type: str, said: str) -> None:
    with pytest.raises(EutilsError, match=said):
        parse_body(body, content_type)


def test_an_entity_declaration_is_never_expanded_or_fetched() -> None:
    body = (
        b'<!DOCTYPE x [<!ENTITY e SYSTEM "http://198.51.100.1/secret">]>'
        b"<PubmedArticleSet><Note>&e;</Note></PubmedArticleSet>"
    )
    root = parse_body(body)
    assert root.tag == "PubmedArticleSet" and "secret" not in (root.findtext("Note") or "")


# --- pure helpers --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "end", "expected"),
    [
        ("2020", False, date(2020, 1, 1)),
        ("2020", True, date(2020, 12, 31)),
        ("2020/02", True, date(2020, 2, 29)),
        ("2021-02", True, date(2021, 2, 28)),
        ("2020/12", True, date(2020, 12, 31)),
        ("2020/07/15", True, date(2020, 7, 15)),
    ],
)
def test_date_bounds_cover_the_whole_period_they_name(text: str, end: bool, expected: date) -> None:
    assert parse_date_bound(text, end=end) == expected


@pytest.mark.parametrize("text", ["yesterday", "2020/13", "2020/02/30", "2020/1/2/3"])
def test_unreadable_dates_are_refused_by_name(text: str) -> None:
    with pytest.raises(EutilsError, match=repr(text)):
        parse_date_bound(text, end=False)


@given(st.dates(), st.dates())
def test_split_halves_are_disjoint_contiguous_smaller_and_cover(one: date, two: date) -> None:
    start, end = min(one, two), max(one, two)
    assume(start < end)
    (a, b), (c, d) = split_window(start, end)
    assert a == start and d == end and c == b + timedelta(days=1)
    assert a <= b < c <= d
    assert (b - a) < (end - start) and (d - c) < (end - start)


def test_backoff_doubles_up_to_the_cap_and_jitter_stays_within_half_a_step() -> None:
    steps = [backoff_delay(n, base=0.5, cap=4.0, jitter=0.999) for n in range(6)]
    assert steps == pytest.approx([0.5, 1, 2, 4, 4, 4], rel=1e-3)
    assert backoff_delay(2, base=0.5, cap=4.0, jitter=0.0) == pytest.approx(1.0)


def test_retry_after_reads_seconds_and_http_dates() -> None:
    now = datetime(2025, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("7", now) == 7.0
    assert parse_retry_after("Wed, 01 Jan 2025 12:00:30 GMT", now) == 30.0
    assert parse_retry_after("soon", now) is None and parse_retry_after(None) is None


def test_cache_key_ignores_who_asks_but_not_what_is_asked() -> None:
    base = {"db": "pubmed", "term": "calcinosis"}
    key = request_key("POST", "esearch", base)
    assert key == request_key("POST", "esearch", {**base, "api_key": "k", "email": "a@b"})
    assert key != request_key("POST", "esearch", {**base, "term": "calcinosis spine"})
    assert key != request_key("POST", "efetch", base)


def test_cache_round_trips_bytes_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path)
    key = request_key("POST", "efetch", {"id": "1"})
    assert cache.get(key) is None
    cache.put(key, b"<PubmedArticleSet/>")
    cache.put(key, b"<PubmedArticleSet>v2</PubmedArticleSet>")
    assert cache.get(key) == b"<PubmedArticleSet>v2</PubmedArticleSet>"
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == [f"{key}.xml.gz"]


@pytest.mark.parametrize(("rate", "gap"), [(3, 1 / 3), (10, 0.1)])
def test_rate_limiter_spaces_request_starts(rate: float, gap: float) -> None:
    clock = FakeClock()
    limiter = RateLimiter(rate, clock, clock.sleep)
    starts = []
    for _ in range(5):
        limiter.wait()
        starts.append(clock.now)
    assert [b - a for a, b in itertools.pairwise(starts)] == pytest.approx([gap] * 4)


# --- search and fetch against the fake server ----------------------------------------------


def test_history_search_then_paged_efetch_returns_every_record_once(
    fake_eutils: FakeEutils, clock: FakeClock
) -> None:
    fake_eutils.pubmed.add_many(23)
    with make_client(fake_eutils, clock, batch_size=5) as client:
        search = client.search_pubmed("tumoral calcinosis spine")
        records = list(client.fetch_articles(search))
    assert search.count == 23 and len(search.parts) == 1
    assert Counter(pmids_of(records)) == Counter(str(30_000_001 + n) for n in range(23))
    (asked,) = fake_eutils.requests_to("esearch")
    assert asked.params["usehistory"] == "y" and "mindate" not in asked.params
    fetches = fake_eutils.requests_to("efetch")
    assert [r.params["retstart"] for r in fetches] == ["0", "5", "10", "15", "20"]
    assert {r.params["WebEnv"] for r in fetches} == {search.parts[0].webenv}
    assert all(r.params["retmax"] == "5" and r.params["retmode"] == "xml" for r in fetches)


def test_search_past_the_cap_is_split_by_date_into_disjoint_parts(
    fake_eutils_factory: Factory, clock: FakeClock
) -> None:
    fake = fake_eutils_factory(cap=5)
    fake.pubmed.add_many(40, per_day=2)
    with make_client(fake, clock, search_cap=5, batch_size=2) as client:
        search = client.search_pubmed("q", mindate="2020/01/01", maxdate="2020/12/31")
        records = list(client.fetch_articles(search))
    assert all(0 < part.count <= 5 for part in search.parts)
    every = [pmid for part in search.parts for pmid in part.ids]
    assert len(every) == len(set(every)) == search.count == 40
    assert Counter(pmids_of(records)) == Counter(str(30_000_001 + n) for n in range(40))
    windows = [(p.mindate, p.maxdate) for p in search.parts]
    for (_, end), (start, _) in itertools.pairwise(windows):
        assert parse_date_bound(start or "", end=False) == parse_date_bound(
            end or "", end=True
        ) + timedelta(days=1)
    assert all(int(r.params["retstart"]) < 5 for r in fake.requests)


def test_split_without_dates_uses_fixed_bounds_and_finds_everything(
    fake_eutils_factory: Factory, clock: FakeClock
) -> None:
    fake = fake_eutils_factory(cap=4)
    fake.pubmed.add_many(9, per_day=1, first_day=date(1999, 12, 30))
    with make_client(fake, clock, search_cap=4) as client:
        search = client.search_pubmed("q")
    assert sorted(search.ids) == [str(30_000_001 + n) for n in range(9)]
    split = fake.requests_to("esearch")[1:]
    assert min(r.params["mindate"] for r in split) == "1800/01/01"
    assert max(r.params["maxdate"] for r in split) == "2999/12/31"


def test_more_records_on_one_day_than_the_cap_fails_loudly(
    fake_eutils_factory: Factory, clock: FakeClock
) -> None:
    fake = fake_eutils_factory(cap=3)
    fake.pubmed.add_many(4, per_day=4)
    with make_client(fake, clock, search_cap=3) as client, pytest.raises(EutilsError) as caught:
        client.search_pubmed("q", mindate="2020/01/01", maxdate="2020/01/08")
    assert "4 records on 2020/01/01 (edat) alone" in str(caught.value)


def test_the_real_9999_cap_splits_a_search_of_10050_records(
    fake_eutils: FakeEutils, clock: FakeClock
) -> None:
    assert fake_eutils.cap == SEARCH_CAP == 9_999
    fake_eutils.pubmed.add_many(10_050, per_day=50)
    with make_client(fake_eutils, clock) as client:
        assert client.search_cap == 9_999
        search = client.search_pubmed("q", mindate="2020", maxdate="2021")
    assert search.count == 10_050 and len(search.parts) >= 2
    assert all(part.count <= 9_999 for part in search.parts)
    assert fake_eutils.requests_to("esearch")[0].params["retmax"] == "9999"


def test_fake_refuses_to_page_past_its_cap_like_pubmed(fake_eutils_factory: Factory) -> None:
    fake = fake_eutils_factory(cap=3)
    fake.pubmed.add_many(5)
    with httpx.Client() as http:
        url = fake.url
        search = {"db": "pubmed", "term": "q", "usehistory": "y", "retstart": "3"}
        with pytest.raises(EutilsError, match="retstart cannot be larger than 2"):
            parse_body(http.post(url + "esearch.fcgi", data=search).content)
        page = parse_esearch(
            http.post(url + "esearch.fcgi", data={**search, "retstart": "0"}).content
        )
        fetch = {"db": "pubmed", "WebEnv": page.webenv, "query_key": page.query_key}
        with pytest.raises(EutilsError, match="retstart cannot be larger than 2"):
            parse_body(http.post(url + "efetch.fcgi", data={**fetch, "retstart": "3"}).content)
    assert page.count == 5 and len(page.ids) == 3


def test_search_by_modification_date_finds_changed_records(
    fake_eutils: FakeEutils, clock: FakeClock
) -> None:
    fake_eutils.pubmed.add_many(6)
    fake_eutils.pubmed.change(30_000_002, on=date(2024, 5, 2), title="A corrected title.")
    with make_client(fake_eutils, clock) as client:
        search = client.search_pubmed("q", "2024/05/01", "2024/05/31", datetype="mdat")
        (article,) = client.fetch_articles(search)
    assert search.ids == ("30000002",)
    assert fake_eutils.requests_to("esearch")[0].params["datetype"] == "mdat"
    assert isinstance(article, Article) and article.title == "A corrected title."


def test_unknown_datetype_is_refused_before_any_request(
    fake_eutils: FakeEutils, clock: FakeClock
) -> None:
    with make_client(fake_eutils, clock) as client, pytest.raises(EutilsError, match="'xdat'"):
        client.search_pubmed("q", datetype="xdat")
    assert fake_eutils.requests == []


def test_explicit_pmids_are_posted_in_batches_and_absent_ones_come_back_deleted(
    fake_eutils: FakeEutils, clock: FakeClock
) -> None:
    fake_eutils.pubmed.add_many(6)
    fake_eutils.pubmed.delete(30_000_004)
    asked = [str(30_000_001 + n) for n in range(6)]
    with make_client(fake_eutils, clock, batch_size=4) as client:
        records = list(client.fetch_pmids([*asked, asked[0]]))
    fetches = fake_eutils.requests_to("efetch")
    assert [r.method for r in fetches] == ["POST", "POST"]
    assert [len(r.params["id"].split(",")) for r in fetches] == [4, 2]
    assert sorted(pmids_of(records)) == sorted(set(asked) - {"30000004"})
    assert [r.pmid for r in records if isinstance(r, Deletion)] == ["30000004"]


def test_a_retracted_record_and_its_notice_read_as_pubmed_shows_them(
    fake_eutils: FakeEutils, clock: FakeClock
) -> None:
    fake_eutils.pubmed.add_many(2)
    fake_eutils.pubmed.retract(30_000_001, on=date(2023, 3, 1), notice_pmid=39_000_000)
    with make_client(fake_eutils, clock) as client:
        records = {r.pmid: r for r in client.fetch_pmids(["30000001", "30000002", "39000000"])}
    retracted, untouched, notice = records["30000001"], records["30000002"], records["39000000"]
    assert isinstance(retracted, Article) and retracted.is_retracted
    assert isinstance(untouched, Article) and not untouched.is_retracted
    assert isinstance(notice, Article)
    assert [(c.ref_type, c.pmid) for c in notice.comments_corrections] == [
        ("RetractionOf", "30000001")
    ]


def test_the_bundled_sample_served_by_the_fake_reads_as_the_file_does(
    fake_eutils: FakeEutils, clock: FakeClock
) -> None:
    pmids = fake_eutils.pubmed.load_xml(SAMPLE)
    direct = {r.pmid: r for r in iter_records(SAMPLE) if isinstance(r, Article)}
    with make_client(fake_eutils, clock, batch_size=7) as client:
        served = {r.pmid: r for r in client.fetch_articles(client.search_pubmed("q"))}
    assert set(served) == set(direct) == set(pmids) and len(pmids) > 10
    for pmid, article in direct.items():
        got = served[pmid]
        assert isinstance(got, Article)
        assert (got.title, got.abstract, got.authors) == (
            article.title,
            article.abstract,
            article.authors,
        )


# --- faults: recovered ---------------------------------------------------------------------


def test_429_waits_exactly_what_retry_after_asks(fake_eutils: FakeEutils, clock: FakeClock) -> None:
    fake_eutils.pubmed.add_many(3)
    fake_eutils.inject("esearch", Fault.rate_limited(retry_after=7))
    with make_client(fake_eutils, clock, retries=2) as client:
        search = client.search_pubmed("q")
    assert search.count == 3
    assert 7.0 in clock.sleeps
    first, second = fake_eutils.requests_to("esearch")
    assert second.params == first.params


@pytest.mark.parametrize(
    "fault",
    [
        Fault.server_error(500),
        Fault.server_error(503),
        Fault.dropped(after=100),
        Fault.rate_limited(retry_after=None),
        Fault(body=b'<?xml version="1.0" ?>\n<PubmedArticleSet><PubmedArticle><Medline'),
        Fault(body=b""),
    ],
    ids=["500", "503", "dropped-mid-body", "429-without-retry-after", "cut-xml-200", "empty-200"],
)
def test_a_transient_fault_on_efetch_is_retried_and_nothing_is_lost(
    fake_eutils: FakeEutils, clock: FakeClock, fault: Fault
) -> None:
    fake_eutils.pubmed.add_many(8)
    with make_client(fake_eutils, clock, batch_size=4, backoff=0.5) as client:
        search = client.search_pubmed("q")
        fake_eutils.inject("efetch", fault)
        records = list(client.fetch_articles(search))
    assert sorted(pmids_of(records)) == [str(30_000_001 + n) for n in range(8)]
    assert [r.params["retstart"] for r in fake_eutils.requests_to("efetch")] == ["0", "0", "4"]
    assert clock.sleeps.count(0.25) == 1  # one backoff step: half of 0.5 with zero jitter


def test_a_response_slower_than_the_timeout_is_retried(fake_eutils: FakeEutils) -> None:
    fake_eutils.pubmed.add_many(2)
    fake_eutils.inject("efetch", Fault.slow(2.0))
    with EutilsClient(fake_eutils.url, timeout=0.3, backoff=0.01) as client:
        records = list(client.fetch_pmids(["30000001", "30000002"]))
    assert sorted(pmids_of(records)) == ["30000001", "30000002"]
    assert len(fake_eutils.requests_to("efetch")) == 2


def test_a_batch_short_of_records_is_retried_not_accepted(
    fake_eutils: FakeEutils, clock: FakeClock
) -> None:
    fake_eutils.pubmed.add_many(4)
    with make_client(fake_eutils, clock) as client:
        search = client.search_pubmed("q")
        fake_eutils.inject("efetch", Fault(body=fake_eutils.pubmed.render(search.ids[:3])))
        records = list(client.fetch_articles(search))
    assert len(pmids_of(records)) == 4 and len(fake_eutils.requests_to("efetch")) == 2


# --- faults: failing loudly ----------------------------------------------------------------


def test_persistent_429_raises_rate_limited_after_every_retry(
    fake_eutils: FakeEutils, clock: FakeClock
) -> None:
    fake_eutils.inject("esearch", Fault.rate_limited(retry_after=1), times=4)
    with (
        make_client(fake_eutils, clock, retries=3) as client,
        pytest.raises(RateLimitedError) as caught,
    ):
        client.search_pubmed("q")
    assert "esearch" in str(caught.value) and "after 4 tries" in str(caught.value)
    assert len(fake_eutils.requests_to("esearch")) == 4 and clock.sleeps.count(1.0) == 3


def test_a_retry_after_beyond_the_longest_wait_fails_at_once(
    fake_eutils: FakeEutils, clock: FakeClock
) -> None:
    fake_eutils.inject("esearch", Fault.rate_limited(retry_after=3600))
    with (
        make_client(fake_eutils, clock, max_wait=60) as client,
        pytest.raises(RateLimitedError, match="3600s"),
    ):
        client.search_pubmed("q")
    assert len(fake_eutils.requests) == 1


def test_persistent_5xx_raises_eutils_error_naming_the_url_and_step(
    fake_eutils: FakeEutils, clock: FakeClock
) -> None:
    fake_eutils.pubmed.add_many(2)
    with make_client(fake_eutils, clock, retries=2) as client:
        search = client.search_pubmed("q")
        fake_eutils.inject("efetch", Fault.server_error(502), times=3)
        with pytest.raises(EutilsError) as caught:
            list(client.iter_fetch_batches(search))
    message = str(caught.value)
    assert not isinstance(caught.value, RateLimitedError)
    assert message.startswith(f"efetch {fake_eutils.url}efetch.fcgi")
    assert "retstart=0" in message and "HTTP 502 after 3 tries" in message


def test_a_server_that_is_down_fails_after_the_retries_naming_the_cause(
    fake_eutils: FakeEutils, clock: FakeClock
) -> None:
    url = fake_eutils.url
    fake_eutils.stop()
    refused = r"connection failed \(ConnectError.*after 3 tries"
    with make_client(url, clock, retries=2) as client, pytest.raises(EutilsError, match=refused):
        client.search_pubmed("q")
    assert clock.sleeps == [0.5, 1.0]  # two backoff steps, zero jitter


@pytest.mark.parametrize(
    "fault",
    [Fault.error_document("Unable to obtain query #1"), Fault.html_page()],
    ids=["error-document-200", "html-200"],
)
def test_an_error_answer_with_status_200_fails_at_once_and_is_not_cached(
    fake_eutils: FakeEutils, clock: FakeClock, tmp_path: Path, fault: Fault
) -> None:
    fake_eutils.pubmed.add_many(2)
    cache = ResponseCache(tmp_path)
    with make_client(fake_eutils, clock, cache=cache) as client:
        search = client.search_pubmed("q")
        fake_eutils.inject("efetch", fault)
        with pytest.raises(EutilsError, match=r"error document|HTML page"):
            list(client.fetch_articles(search))
    assert len(fake_eutils.requests_to("efetch")) == 1
    assert len(cache) == 1  # the esearch answer only


def test_an_expired_history_handle_is_an_error(fake_eutils: FakeEutils, clock: FakeClock) -> None:
    fake_eutils.pubmed.add_many(2)
    with make_client(fake_eutils, clock) as client:
        search = client.search_pubmed("q")
        part = search.parts[0]
        stale = SearchResult(
            search.query, "edat", (type(part)(None, None, 2, part.ids, "MCID_gone", "1"),)
        )
        with pytest.raises(EutilsError, match="Unable to obtain query #1"):
            list(client.iter_fetch_batches(stale))


# --- the cache, replayed offline -----------------------------------------------------------


def test_a_whole_split_ingest_replays_offline_with_the_server_stopped(
    fake_eutils_factory: Factory, clock: FakeClock, tmp_path: Path
) -> None:
    fake = fake_eutils_factory(cap=4)
    fake.pubmed.add_many(11, per_day=2)
    cache = ResponseCache(tmp_path / "cache")
    with make_client(fake, clock, cache=cache, search_cap=4, batch_size=3) as client:
        online = client.search_pubmed("q")
        online_records = list(client.fetch_articles(online))
    fake.stop()
    nowhere = "http://127.0.0.1:9/entrez/eutils/"
    with EutilsClient(nowhere, cache=cache, offline=True, search_cap=4, batch_size=3) as client:
        replayed = client.search_pubmed("q")
        replayed_records = list(client.fetch_articles(replayed))
        assert replayed.ids == online.ids and replayed_records == online_records
        with pytest.raises(EutilsError, match=f"offline, and nothing cached for esearch {nowhere}"):
            client.search_pubmed("another query")
    assert len(online_records) == 11 and len(online.parts) > 1


def test_offline_mode_needs_a_cache() -> None:
    with pytest.raises(EutilsError, match="needs a response cache"):
        EutilsClient(offline=True)


# --- etiquette and rate --------------------------------------------------------------------


def test_every_request_carries_tool_email_and_api_key(
    fake_eutils: FakeEutils, clock: FakeClock
) -> None:
    fake_eutils.pubmed.add_many(3)
    with make_client(fake_eutils, clock, api_key="k3y", tool="kb-test", batch_size=2) as client:
        list(client.fetch_articles(client.search_pubmed("q")))
        list(client.fetch_pmids(["30000001"]))
    assert len(fake_eutils.requests) == 4
    for request in fake_eutils.requests:
        assert (request.params["tool"], request.params["email"], request.params["api_key"]) == (
            "kb-test",
            "kb@example.org",
            "k3y",
        )


def test_without_email_or_key_only_the_tool_is_sent(
    fake_eutils: FakeEutils, clock: FakeClock
) -> None:
    with make_client(fake_eutils, clock, email=None) as client:
        client.search_pubmed("q")
    (request,) = fake_eutils.requests
    assert request.params["tool"] == "tc-spine-kb"
    assert "email" not in request.params and "api_key" not in request.params


@pytest.mark.parametrize(("key", "interval"), [(None, 1 / 3), ("k3y", 0.1)])
def test_settings_give_three_requests_a_second_or_ten_with_a_key(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, key: str | None, interval: float
) -> None:
    monkeypatch.setenv("KB_HOME", str(tmp_path))
    monkeypatch.setenv("KB_EUTILS_URL", "http://127.0.0.1:9/eutils/")
    overrides = {"ncbi_api_key": key} if key else {}
    with EutilsClient.from_settings(get_settings(**overrides)) as client:
        assert client.limiter.interval == pytest.approx(interval)
        assert client.base_url == "http://127.0.0.1:9/eutils/"
        assert client.api_key == key and client.cache is not None
        assert client.cache.root == tmp_path / "cache"


def test_requests_reach_the_server_no_faster_than_ten_a_second(fake_eutils: FakeEutils) -> None:
    fake_eutils.pubmed.add_many(5)
    with EutilsClient(fake_eutils.url, api_key="k3y", batch_size=1) as client:
        list(client.fetch_articles(client.search_pubmed("q")))
    assert len(fake_eutils.requests) == 6
    # One arrival can come late and make the gap after it short, so the test reads the
    # span of the last five arrivals (after the first request's connect): four slots of
    # 0.1 s, less 10% for the noise of its two ends. A limiter at 20 a second fails it.
    assert sum(list(iter_request_gaps(fake_eutils.requests))[1:]) >= 0.36


def test_client_made_batches_parse_with_iter_records(
    fake_eutils: FakeEutils, clock: FakeClock
) -> None:
    fake_eutils.pubmed.add_many(5)
    with make_client(fake_eutils, clock, batch_size=2) as client:
        batches = list(client.iter_fetch_batches(client.search_pubmed("q")))
    assert [len(pmids_of(iter_records(io.BytesIO(b)))) for b in batches] == [2, 2, 1]


def test_rate_limiter_gives_threads_distinct_slots() -> None:
    waits: list[float] = []
    limiter = RateLimiter(10, clock=lambda: 0.0, sleep=waits.append)
    threads = [threading.Thread(target=limiter.wait) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Time stands still, so the slots handed out are 0.1 s apart, one per thread.
    assert sorted(waits) == pytest.approx([0.1 * n for n in range(1, 8)])


# --- kb ingest --pubmed --------------------------------------------------------------------


def run_ingest(monkeypatch: pytest.MonkeyPatch, home: Path, url: str, *args: str) -> Result:
    monkeypatch.setenv("KB_HOME", str(home))
    monkeypatch.setenv("KB_EUTILS_URL", url)
    monkeypatch.setenv("KB_TOPIC_QUERY", "tumoral calcinosis AND spine")
    return CliRunner().invoke(cli, ["ingest", *args])


def test_kb_ingest_pubmed_reads_the_topic_then_replays_it_offline(
    fake_eutils: FakeEutils, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    pmids = fake_eutils.pubmed.load_xml(SAMPLE)
    url = fake_eutils.url
    online = run_ingest(monkeypatch, tmp_path, url, "--pubmed", "--json")
    assert online.exit_code == 0, online.output
    assert json.loads(online.output)["articles"] == len(pmids)
    (search,) = fake_eutils.requests_to("esearch")
    assert search.params["term"] == "tumoral calcinosis AND spine"
    fake_eutils.stop()
    offline = run_ingest(monkeypatch, tmp_path, url, "--pubmed", "--offline", "--json")
    assert offline.exit_code == 0, offline.output
    read = ("files", "articles", "deleted", "rejected")
    replayed, fetched = json.loads(offline.output), json.loads(online.output)
    assert [replayed[k] for k in read] == [fetched[k] for k in read]


def test_kb_ingest_pubmed_passes_the_query_and_date_window(
    fake_eutils: FakeEutils, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fake_eutils.pubmed.add_many(10)
    args = ["--pubmed", "calcinosis[tiab]", "--mindate", "2020/01/03", "--maxdate", "2020/01/05"]
    result = run_ingest(monkeypatch, tmp_path, fake_eutils.url, *args)
    assert result.exit_code == 0, result.output
    assert "3 articles, 0 deleted, 0 rejected" in result.output
    (search,) = fake_eutils.requests_to("esearch")
    assert (search.params["term"], search.params["mindate"], search.params["maxdate"]) == (
        "calcinosis[tiab]",
        "2020/01/03",
        "2020/01/05",
    )


def test_kb_ingest_offline_without_a_cache_entry_fails_naming_the_request(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    result = run_ingest(monkeypatch, tmp_path, "http://127.0.0.1:9/", "--pubmed", "x", "--offline")
    assert isinstance(result.exception, EutilsError)
    assert "offline, and nothing cached for esearch" in str(result.exception)


def test_kb_ingest_date_options_without_pubmed_are_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    result = run_ingest(monkeypatch, tmp_path, "http://127.0.0.1:9/", "--sample", "--offline")
    assert result.exit_code == 2 and "go with --pubmed" in result.output
