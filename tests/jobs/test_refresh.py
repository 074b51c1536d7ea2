"""``kb refresh``, ``kb runs``, ``kb reextract``: against the fake E-utilities, never the network.

Every refresh here goes through the real client over real HTTP to ``tests/fake_eutils.py``,
into a real Oxigraph store (in memory, or on disk under a KB_HOME for the CLI and the
killed process), and the serve hand-off through a real uvicorn server on 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest

from ingest.eutils import EutilsClient
from kb import iris
from kb.errors import KBError, LockedError, RateLimitedError
from kb.extraction import Extractor
from kb.jobs.archive import RecordArchive
from kb.jobs.handoff import refresh_with
from kb.jobs.lock import (
    call_server,
    find_server,
    hold_lock,
    lock_path,
    pid_alive,
    read_server_record,
    write_server_record,
)
from kb.jobs.reextract import reextract
from kb.jobs.refresh import (
    RefreshRequest,
    classify,
    reaches_watermark,
    refresh,
    sweep_due,
    window_start,
)
from kb.jobs.runs import Run, list_runs, new_run_id, read_refresh_state, read_run, write_run
from kb.jobs.write import Stored
from kb.models import Article, Extraction, Study
from kb.query.named import read_queries
from kb.query.registry import Registry
from kb.resources import sample_path
from kb.settings import get_settings
from kb.store import OxigraphStore, Store
from tests.support.fake_eutils import FakeEutils, Fault
from tests.support.paths import ROOT
from tests.support.processes import clean_environment, start_kb
from tests.support.server import serve

QUERY = "tumoral calcinosis spine"
DAY = date(2025, 3, 1)
TOKEN = "s3cret-admin-token"


def clock_at(day: date, hour: int = 2) -> Callable[[], datetime]:
    """A clock stopped at ``hour`` o'clock UTC of ``day``."""
    return lambda: datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def client_of(fake: FakeEutils, **options: object) -> EutilsClient:
    """A client of the fake: no rate limit worth waiting for, short backoff, few retries."""
    settings: dict[str, object] = {"rate": 1000.0, "backoff": 0.001, "retries": 2}
    return EutilsClient(fake.url, **{**settings, **options})  # type: ignore[arg-type]


def article_graphs(store: Store) -> dict[str, frozenset[ox.Quad]]:
    """Every article graph of the store, by PMID."""
    graphs: dict[str, set[ox.Quad]] = {}
    for quad in store.quads():
        pmid = iris.pmid_of_graph(quad.graph_name)  # type: ignore[arg-type]
        if pmid is not None:
            graphs.setdefault(pmid, set()).add(quad)
    return {p: frozenset(q) for p, q in graphs.items()}


def content(store: Store) -> frozenset[ox.Quad]:
    """Every quad but the runs graph's (which records when, so differs between runs)."""
    return frozenset(q for q in store.quads() if q.graph_name != iris.RUNS_GRAPH)


def flag(store: Store, pmid: str, name: str) -> bool:
    """True when the article carries ``tc:<name> true`` (deleted, retracted)."""
    return bool(store.query(f"ASK {{ {iris.article_iri(pmid)} {iris.term(name)} true }}"))


def title(store: Store, pmid: str) -> str | None:
    rows = store.select(
        f"SELECT ?t WHERE {{ {iris.article_iri(pmid)} <http://purl.org/dc/terms/title> ?t }}"
    )
    return str(rows[0]["t"].value) if rows else None  # type: ignore[union-attr]


@pytest.fixture
def fake(fake_eutils: FakeEutils) -> FakeEutils:
    """The fake PubMed with the bundled sample corpus and 60 generated records."""
    fake_eutils.pubmed.load_xml(sample_path())
    fake_eutils.pubmed.add_many(60, first_day=date(2024, 6, 1))
    return fake_eutils


@pytest.fixture
def archive(tmp_path: Path) -> RecordArchive:
    return RecordArchive(tmp_path / "records")


def change_pubmed(fake: FakeEutils, on: date) -> None:
    """Make a day of PubMed.

    40000001 is new, 30000005 changed, 30000007 withdrawn and 30000009 retracted (by the new
    notice 40000002).
    """
    fake.pubmed.add(40000001, entered=on)
    fake.pubmed.change(30000005, on=on, title="A changed title of record 30000005.")
    fake.pubmed.delete(30000007)
    fake.pubmed.retract(30000009, on=on, notice_pmid=40000002)


def first_run(fake: FakeEutils, store: Store, archive: RecordArchive) -> Run:
    with client_of(fake) as client:
        return refresh(store, client, QUERY, archive=archive, clock=clock_at(DAY))


# --- pure decisions -------------------------------------------------------------------------


def stored(hash_: str, *, version: int = 1, deleted: bool = False) -> Stored:
    return Stored(version, hash_, "x/1", deleted=deleted, retracted=False)


def test_classify_says_new_updated_unchanged_superseded_and_revives_a_deleted_record() -> None:
    article = Article(pmid="1", version=2, title="T")
    assert classify(article, None) == "new"
    assert classify(article, stored(article.content_hash, version=2)) == "unchanged"
    assert classify(article, stored("other", version=2)) == "updated"
    assert classify(article, stored(article.content_hash, version=3)) == "superseded"
    assert classify(article, stored(article.content_hash, version=2, deleted=True)) == "updated"


def test_the_window_starts_at_since_or_the_watermark_less_the_overlap() -> None:
    assert window_start(None, None, 3) is None
    assert window_start(DAY, None, 3) == DAY - timedelta(days=3)
    assert window_start(DAY, date(2020, 1, 1), 3) == date(2020, 1, 1)


def test_the_watermark_moves_only_when_the_window_reached_back_to_it() -> None:
    assert reaches_watermark(None, None)
    assert not reaches_watermark(None, DAY)  # no watermark: only a full fetch sets one
    assert reaches_watermark(DAY, DAY - timedelta(days=3))
    assert reaches_watermark(DAY, DAY)
    assert not reaches_watermark(DAY, DAY + timedelta(days=1))  # --since past it: a gap


def test_a_sweep_is_due_after_the_interval_or_when_none_happened() -> None:
    assert sweep_due(None, DAY, 7)
    assert not sweep_due(DAY, DAY + timedelta(days=6), 7)
    assert sweep_due(DAY, DAY + timedelta(days=7), 7)
    assert sweep_due(DAY, DAY, 0)


# --- the first run, and the next -------------------------------------------------------------


def test_first_run_fetches_everything_the_query_finds_and_records_a_watermark(
    fake: FakeEutils, archive: RecordArchive
) -> None:
    store = OxigraphStore()
    run = first_run(fake, store, archive)
    expected = set(fake.pubmed.records)
    assert run.status == "completed"
    sample = sample_path().read_text(encoding="utf-8").count("<PubmedArticle>")
    assert set(run.new) == expected and len(run.new) == len(expected) == sample + 60
    assert set(article_graphs(store)) == expected
    assert run.window_start is None and run.swept and run.watermark == DAY
    assert read_refresh_state(store, QUERY).watermark == DAY
    assert len(archive) == len(expected)
    # the record in the store says the same as the returned run
    recorded = read_run(store, run.run_id)
    assert recorded is not None and recorded.status == "completed"
    assert set(recorded.new) == expected and recorded.watermark == DAY


def test_the_second_run_finds_exactly_the_new_changed_deleted_and_retracted_records(
    fake: FakeEutils, archive: RecordArchive
) -> None:
    store = OxigraphStore()
    first_run(fake, store, archive)
    pubmed, later = fake.pubmed, DAY + timedelta(days=1)
    change_pubmed(fake, later)
    pubmed.change(30000011, on=later)  # modified, but the record reads the same
    with client_of(fake) as client:
        run = refresh(store, client, QUERY, sweep=True, archive=archive, clock=clock_at(later, 3))
    assert (set(run.new), set(run.updated)) == ({"40000001", "40000002"}, {"30000005", "30000009"})
    assert run.deleted == ("30000007",) and run.retracted == ("30000009",)
    assert run.window_start == DAY - timedelta(days=3) and run.watermark == later
    # the store: changed graph replaced, deleted and retracted marked and kept for audit
    assert title(store, "30000005") == "A changed title of record 30000005."
    assert flag(store, "30000007", "deleted") and title(store, "30000007") is not None
    assert flag(store, "30000009", "retracted") and not flag(store, "30000009", "deleted")
    assert set(article_graphs(store)) == set(pubmed.records) | {"30000007"}
    # ... and left out of the named queries by default
    listed = {row["pmid"] for row in Registry(store, read_queries()).run("articles").rows}
    assert "30000007" not in listed and "30000009" not in listed
    assert {"30000005", "40000001", "40000002"} <= listed
    recorded = read_run(store, run.run_id)
    assert recorded is not None
    assert (recorded.deleted, recorded.retracted) == (("30000007",), ("30000009",))


def test_a_run_repeated_over_every_record_changes_nothing(
    fake: FakeEutils, archive: RecordArchive
) -> None:
    store = OxigraphStore()
    first_run(fake, store, archive)
    before = content(store)
    with client_of(fake) as client:
        run = refresh(
            store, client, QUERY, since=date(2000, 1, 1), archive=archive, clock=clock_at(DAY, 5)
        )
    assert content(store) == before
    assert (run.new, run.updated, run.deleted, run.retracted) == ((), (), (), ())
    assert run.unchanged == len(fake.pubmed.records)


def test_a_nightly_run_without_a_sweep_asks_only_for_the_window(
    fake: FakeEutils, archive: RecordArchive
) -> None:
    store = OxigraphStore()
    first_run(fake, store, archive)
    fake.pubmed.add(40000001, entered=DAY + timedelta(days=1))
    fake.requests.clear()
    with client_of(fake) as client:
        run = refresh(store, client, QUERY, archive=archive, clock=clock_at(DAY + timedelta(1)))
    assert not run.swept and run.new == ("40000001",)
    searches = [r.params for r in fake.requests_to("esearch")]
    assert sorted(p.get("datetype", "") for p in searches) == ["edat", "mdat"]
    assert all(p["mindate"] == "2025/02/26" for p in searches)
    fetched = [p for r in fake.requests_to("efetch") for p in r.params["id"].split(",")]
    assert fetched == ["40000001"]  # nothing in the window had been stored but the new one


def test_a_deletion_needs_two_whole_answers_so_a_short_batch_deletes_nothing(
    fake: FakeEutils, archive: RecordArchive
) -> None:
    store = OxigraphStore()
    first_run(fake, store, archive)
    later = DAY + timedelta(days=1)
    fake.pubmed.change(30000005, on=later, title="Changed.")
    fake.pubmed.change(30000006, on=later, title="Changed too.")
    # efetch leaves 30000006 out of its first answer (a short batch), then behaves
    short = fake.pubmed.render(["30000005"])
    fake.inject("efetch", Fault(body=short))
    with client_of(fake) as client:
        run = refresh(store, client, QUERY, archive=archive, clock=clock_at(later))
    assert set(run.updated) == {"30000005", "30000006"} and run.deleted == ()
    assert not flag(store, "30000006", "deleted") and title(store, "30000006") == "Changed too."


def test_an_unreadable_record_stays_pending_and_is_asked_for_until_it_reads(
    fake: FakeEutils, archive: RecordArchive
) -> None:
    store = OxigraphStore()
    first_run(fake, store, archive)
    later = DAY + timedelta(days=1)
    fake.pubmed.add(40000001, entered=later)
    body = fake.pubmed.render(["40000001"])
    broken = body[: body.index(b"<Article ")] + body[body.index(b"</Article>") + 10 :]
    fake.inject("efetch", Fault(body=broken), times=2)  # both askings of the run
    with client_of(fake) as client:
        failed = refresh(store, client, QUERY, archive=archive, clock=clock_at(later))
        assert failed.status == "completed" and failed.pending == ("40000001",)
        assert failed.new == () and failed.rejected == 1 and "40000001" not in article_graphs(store)
        # the next run's window no longer holds it; it is asked for by PMID all the same
        fixed = refresh(
            store,
            client,
            QUERY,
            since=later + timedelta(days=5),
            archive=archive,
            clock=clock_at(later + timedelta(days=6)),
        )
    assert fixed.new == ("40000001",) and fixed.pending == ()
    assert "40000001" in article_graphs(store)
    assert fixed.watermark is None  # --since past the watermark left a gap: it did not move
    assert read_refresh_state(store, QUERY).watermark == later


def test_a_dry_run_reports_the_changes_and_writes_nothing(
    fake: FakeEutils, archive: RecordArchive
) -> None:
    store = OxigraphStore()
    first_run(fake, store, archive)
    later = DAY + timedelta(days=1)
    change_pubmed(fake, later)
    everything = frozenset(store.quads())
    archived = {p: archive.path(p).stat().st_mtime_ns for p in ("30000005", "30000009")}
    with client_of(fake) as client:
        run = refresh(
            store, client, QUERY, dry_run=True, sweep=True, archive=archive, clock=clock_at(later)
        )
    assert run.dry_run and run.status == "completed"
    assert (set(run.new), set(run.updated)) == ({"40000001", "40000002"}, {"30000005", "30000009"})
    assert (run.deleted, run.retracted) == (("30000007",), ("30000009",))
    assert frozenset(store.quads()) == everything  # not even a run record
    assert {p: archive.path(p).stat().st_mtime_ns for p in archived} == archived
    assert not archive.path("40000001").exists()
    assert read_refresh_state(store, QUERY).watermark == DAY


# --- failures: the watermark stays, the next run gets everything ----------------------------


def test_a_429_storm_fails_the_run_keeps_the_watermark_and_the_next_run_gets_it_all(
    fake: FakeEutils, archive: RecordArchive
) -> None:
    store = OxigraphStore()
    first_run(fake, store, archive)
    entered = DAY + timedelta(days=2)
    for n in range(5):
        fake.pubmed.add(40000001 + n, entered=entered)
    fake.inject("efetch", Fault.rate_limited(retry_after=0), times=3)  # 1 try + 2 retries
    with client_of(fake, retries=2) as client:
        with pytest.raises(RateLimitedError):
            refresh(store, client, QUERY, archive=archive, clock=clock_at(DAY + timedelta(4)))
        assert read_refresh_state(store, QUERY).watermark == DAY
        failed = list_runs(store)[0]
        assert failed.status == "failed" and failed.watermark is None and len(failed.errors) == 1
        assert not set(article_graphs(store)) & {str(40000001 + n) for n in range(5)}
        run = refresh(store, client, QUERY, archive=archive, clock=clock_at(DAY + timedelta(5)))
    assert run.window_start == DAY - timedelta(days=3)  # from the watermark the storm left
    assert set(run.new) == {str(40000001 + n) for n in range(5)}
    assert set(article_graphs(store)) == set(fake.pubmed.records)
    assert read_refresh_state(store, QUERY).watermark == DAY + timedelta(days=5)


def crash(article: Article) -> Extraction:
    raise ZeroDivisionError(f"a bug met PMID {article.pmid}")


def test_an_unexpected_error_fails_the_run_with_its_message_and_moves_nothing(
    fake: FakeEutils, archive: RecordArchive
) -> None:
    store = OxigraphStore()
    with client_of(fake) as client, pytest.raises(ZeroDivisionError):
        refresh(store, client, QUERY, extractor=Extractor("crash/1", crash), clock=clock_at(DAY))
    [run] = list_runs(store)
    assert run.status == "failed" and run.watermark is None
    recorded = read_run(store, run.run_id)
    assert recorded is not None and any("a bug met PMID" in e for e in recorded.errors)
    assert read_refresh_state(store, QUERY).watermark is None


# --- the command line: exit statuses for schedulers -------------------------------------------


def environment(home: Path, fake: FakeEutils, **extra: str) -> dict[str, str]:
    """The environment of a ``kb`` process pointed at the fake, with nothing of ours inherited."""
    # an API key lifts the client's pace from 3 to 10 requests a second
    return clean_environment(home, KB_EUTILS_URL=fake.url, NCBI_API_KEY="test-key", **extra)


def test_cli_exits_1_on_a_failed_run_then_0_when_the_next_gets_everything(
    fake: FakeEutils, tmp_path: Path, kb_main: Callable[..., tuple[int, str, str]]
) -> None:
    env = environment(tmp_path / "kb", fake, KB_HTTP_RETRIES="1")
    status, out, _ = kb_main(env, "refresh")
    assert status == 0 and out.startswith("refresh completed")
    today = datetime.now(UTC).date()
    fake.pubmed.add(40000001, entered=today)
    fake.pubmed.add(40000002, entered=today)
    fake.inject("efetch", Fault.rate_limited(retry_after=0), times=2)
    status, out, err = kb_main(env, "refresh")
    assert status == 1 and out == ""
    assert "rate-limited (HTTP 429)" in err and "the watermark did not move" in err
    status, out, _ = kb_main(env, "runs", "--json")
    runs = json.loads(out)
    assert status == 0 and [r["status"] for r in runs] == ["failed", "completed"]
    assert runs[0]["watermark"] is None and runs[1]["watermark"] == today.isoformat()
    status, out, _ = kb_main(env, "refresh", "--json")
    run = json.loads(out)
    assert status == 0 and run["status"] == "completed"
    assert set(run["new"]) == {"40000001", "40000002"}
    status, out, _ = kb_main(env, "runs")
    table = out.splitlines()
    assert status == 0 and table[0].split()[:3] == ["run", "status", "started"]
    assert [line.split()[1] for line in table[1:]] == ["completed", "failed", "completed"]


def test_cli_dry_run_lists_the_pmids_and_leaves_the_store_alone(
    fake: FakeEutils, tmp_path: Path, kb_main: Callable[..., tuple[int, str, str]]
) -> None:
    env = environment(tmp_path / "kb", fake)
    assert kb_main(env, "refresh")[0] == 0
    fake.pubmed.add(40000001, entered=datetime.now(UTC).date())
    before = (tmp_path / "kb" / "store").stat().st_mtime_ns, kb_main(env, "runs", "--json")[1]
    status, out, _ = kb_main(env, "refresh", "--dry-run")
    assert status == 0
    assert out.splitlines()[0].startswith("dry run, nothing written: would be 1 new, 0 updated")
    assert "new: 40000001" in out.splitlines()
    assert kb_main(env, "runs", "--json")[1] == before[1]  # no run recorded


def test_a_second_refresh_exits_3_at_once_while_one_holds_the_lock(
    fake: FakeEutils, tmp_path: Path
) -> None:
    home = tmp_path / "kb"
    with hold_lock(lock_path(home)):
        process = start_kb(environment(home, fake), "refresh")
        _, err = process.communicate(timeout=60)
    assert process.returncode == 3
    assert "already running" in err and f"pid {os.getpid()}" in err
    assert fake.requests == [] and not (home / "store").exists()


def test_the_lock_goes_with_a_killed_holder(tmp_path: Path) -> None:
    path = lock_path(tmp_path)
    code = (
        "import time; from pathlib import Path; from kb.jobs.lock import hold_lock\n"
        f"with hold_lock(Path({str(path)!r})):\n    print('held', flush=True); time.sleep(60)"
    )
    command = [sys.executable, "-c", code]
    with subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True) as holder:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(LockedError, match=f"pid {holder.pid}"), hold_lock(path):
            pass
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=10)
    with hold_lock(path):  # the kernel let go of it with the process
        pass


# --- killed halfway, then resumed -------------------------------------------------------------


@pytest.mark.slow
def test_a_refresh_killed_halfway_resumes_to_the_same_store_without_gaps_or_repeats(
    fake_eutils: FakeEutils, tmp_path: Path
) -> None:
    fake_eutils.pubmed.add_many(1000, first_day=date(2024, 1, 1), per_day=5)
    home = tmp_path / "killed"
    # the third batch of 200 takes its time: the process is killed waiting for it
    fake_eutils.inject("efetch", Fault(), Fault(), Fault.slow(60))
    with start_kb(environment(home, fake_eutils), "refresh") as process:
        deadline = time.monotonic() + 120
        while len(fake_eutils.requests_to("efetch")) < 3:  # batches 1, 2 written; 3 asked
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the refresh never reached its third batch"
            time.sleep(0.01)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    settings = get_settings(home=home, eutils_url=fake_eutils.url, ncbi_api_key="test-key")
    with OxigraphStore(home / "store") as store:
        halfway = set(article_graphs(store))
        assert len(halfway) == 400  # two whole batches, nothing of the third
        [killed] = list_runs(store)
        assert killed.status == "running"
        resumed = refresh_with(store, settings, RefreshRequest())
        assert (
            resumed.status == "completed"
            and set(resumed.new) == set(fake_eutils.pubmed.records) - halfway
        )
        runs = {r.run_id: r for r in list_runs(store)}
        assert runs[killed.run_id].status == "failed"
        assert read_run(store, killed.run_id).errors[0].startswith("interrupted")  # type: ignore[union-attr]
        after_resume = content(store)
    with OxigraphStore() as straight:
        with client_of(fake_eutils) as client:
            refresh(straight, client, settings.topic_query)
        assert after_resume == content(straight)
        graphs = article_graphs(straight)
    assert set(graphs) == set(fake_eutils.pubmed.records)


# --- beside kb serve: the server does the work -------------------------------------------------


@pytest.fixture
def served(fake: FakeEutils, tmp_path: Path) -> Iterator[tuple[str, OxigraphStore, Path]]:
    """A real uvicorn server over an in-memory store, announced in KB_HOME/serve.json."""
    from kb.api import create_app

    home = tmp_path / "kb"
    settings = get_settings(
        home=home, eutils_url=fake.url, ncbi_api_key="test-key", admin_token=TOKEN
    )
    store = OxigraphStore()
    with serve(create_app(store, read_queries(), settings)) as url:
        write_server_record(home, url)
        yield url, store, home


def test_refresh_beside_kb_serve_runs_in_the_server_and_prints_its_result(
    fake: FakeEutils,
    served: tuple[str, OxigraphStore, Path],
    kb_main: Callable[..., tuple[int, str, str]],
) -> None:
    _, store, home = served
    env = environment(home, fake, KB_ADMIN_TOKEN=TOKEN)
    status, out, _ = kb_main(env, "refresh")
    assert status == 0 and out.startswith("refresh completed")
    assert set(article_graphs(store)) == set(fake.pubmed.records)  # the server's store
    assert not (home / "store").exists()  # this process never opened one
    status, out, _ = kb_main(env, "runs", "--json")
    assert status == 0 and [r["status"] for r in json.loads(out)] == ["completed"]
    fake.pubmed.delete(30000007)
    status, out, _ = kb_main(env, "refresh", "--sweep", "--json")
    assert status == 0 and json.loads(out)["deleted"] == ["30000007"]
    assert flag(store, "30000007", "deleted")
    status, out, _ = kb_main(env, "reextract", "--pmid", "30000005", "--force", "--json")
    assert status == 0 and json.loads(out)["updated"] == ["30000005"]
    assert not (home / "store").exists()  # nor for the re-extraction


def test_a_refresh_in_the_server_answers_the_whole_graph_questions_again_at_once(
    fake: FakeEutils, tmp_path: Path
) -> None:
    from kb.api import create_app

    settings = get_settings(
        home=tmp_path / "kb", eutils_url=fake.url, ncbi_api_key="test-key", admin_token=TOKEN
    )
    app = create_app(OxigraphStore(), read_queries(), settings)
    registry: Registry = app.state.registry
    registry.warm()
    assert registry.holds("timeline") and registry.run("timeline").rows == ()
    with serve(app) as url:
        answer = httpx.post(
            f"{url}/admin/refresh", json={}, headers={"Authorization": f"Bearer {TOKEN}"}
        )
        assert answer.status_code == 200
        deadline = time.monotonic() + 60
        while not registry.holds("timeline") and time.monotonic() < deadline:
            time.sleep(0.05)  # warmed in a thread of its own, after the answer
    assert registry.holds("timeline") and registry.holds("imaging-findings")
    years = registry.run("timeline").rows
    assert sum(int(row["articles"] or 0) for row in years) == len(fake.pubmed.records)  # type: ignore[call-overload]


def test_the_admin_endpoints_refuse_a_missing_or_wrong_token_as_problem_details(
    served: tuple[str, OxigraphStore, Path],
) -> None:
    url, store, _ = served
    missing = httpx.post(f"{url}/admin/refresh", json={})
    wrong = httpx.post(f"{url}/admin/refresh", json={}, headers={"Authorization": "Bearer no"})
    basic = httpx.get(f"{url}/admin/runs", headers={"Authorization": "Basic eDp5"})
    for answer, status in ((missing, 401), (wrong, 403), (basic, 401)):
        assert answer.status_code == status
        assert answer.headers["content-type"] == "application/problem+json"
        problem = answer.json()
        assert problem["status"] == status and problem["instance"].startswith("/admin/")
        assert "token" in problem["detail"].lower()
    assert missing.headers["www-authenticate"].startswith("Bearer")
    assert set(article_graphs(store)) == set()  # nothing ran


def test_the_cli_says_how_to_hand_off_when_its_token_is_missing_or_wrong(
    fake: FakeEutils,
    served: tuple[str, OxigraphStore, Path],
    kb_main: Callable[..., tuple[int, str, str]],
) -> None:
    _, store, home = served
    status, _, err = kb_main(environment(home, fake), "refresh")
    assert status == 2 and "KB_ADMIN_TOKEN" in err
    status, _, err = kb_main(environment(home, fake, KB_ADMIN_TOKEN="wrong"), "refresh")
    assert status == 2 and "HTTP 403" in err
    assert article_graphs(store) == {} and not (home / "store").exists()


def test_a_refresh_handed_to_a_server_that_is_refreshing_exits_3(
    fake: FakeEutils,
    served: tuple[str, OxigraphStore, Path],
    kb_main: Callable[..., tuple[int, str, str]],
) -> None:
    url, store, home = served
    with hold_lock(lock_path(home)):
        status, _, err = kb_main(environment(home, fake, KB_ADMIN_TOKEN=TOKEN), "refresh")
        answer = httpx.post(
            f"{url}/admin/refresh", json={}, headers={"Authorization": f"Bearer {TOKEN}"}
        )
    assert status == 3 and "HTTP 409" in err and "already running" in err
    assert answer.status_code == 409 and answer.json()["title"] == "Already running"
    assert article_graphs(store) == {} and fake.requests == []


def test_a_stale_serve_record_is_ignored_and_removed_and_the_refresh_runs_here(
    fake: FakeEutils, tmp_path: Path, kb_main: Callable[..., tuple[int, str, str]]
) -> None:
    home = tmp_path / "kb"
    with subprocess.Popen([sys.executable, "-c", "pass"]) as gone:
        gone.wait(timeout=30)
    assert not pid_alive(gone.pid)
    write_server_record(home, "http://127.0.0.1:9", pid=gone.pid)
    status, out, _ = kb_main(environment(home, fake), "refresh")
    assert status == 0 and out.startswith("refresh completed")
    assert read_server_record(home) is None and (home / "store").is_dir()
    with OxigraphStore(home / "store") as store:
        assert set(article_graphs(store)) == set(fake.pubmed.records)


def test_a_live_pid_whose_server_does_not_answer_is_not_a_server(tmp_path: Path) -> None:
    write_server_record(tmp_path, "http://127.0.0.1:9")  # this process, no server there
    assert find_server(tmp_path, timeout=1.0) is None
    assert read_server_record(tmp_path) is not None  # alive: not ours to remove


# --- readers during a refresh ------------------------------------------------------------------

RICH_ABSTRACT = (
    "MRI showed a T2 hypointense mass of the cervical spine compressing the spinal cord. "
    "The patient had chronic kidney disease on hemodialysis and neck pain."
)
PER_GRAPH = (
    f"PREFIX tc: <{iris.ONTOLOGY}>\n"
    "SELECT ?g (COUNT(*) AS ?n) (SAMPLE(?h) AS ?hash) WHERE { GRAPH ?g { ?s ?p ?o } "
    "OPTIONAL { GRAPH ?g { ?a tc:contentHash ?h } } "
    f'FILTER(STRSTARTS(STR(?g), "{iris.GRAPH}article/")) }} GROUP BY ?g'
)


def versions(store: Store) -> dict[str, tuple[int, str]]:
    """Each article graph's size and content hash: what a whole graph looks like."""
    return {
        iris.pmid_of_graph(row["g"]) or "": (int(row["n"].value), row["hash"].value)  # type: ignore[arg-type,union-attr]
        for row in store.select(PER_GRAPH)
    }


def evidence_count(store: Store, pmid: str) -> int:
    return len(
        store.select(
            f"SELECT ?x WHERE {{ ?x {iris.term('sourceArticle')} {iris.article_iri(pmid)} }}"
        )
    )


def test_api_readers_see_every_article_whole_or_not_at_all_while_a_refresh_writes(
    fake: FakeEutils, archive: RecordArchive
) -> None:
    from kb.api import create_app

    store = OxigraphStore()
    first_run(fake, store, archive)
    later = DAY + timedelta(days=1)
    changed = [str(30000001 + n) for n in range(30)]
    for pmid in changed:
        fake.pubmed.change(pmid, on=later, abstract=RICH_ABSTRACT)
    fake.pubmed.add_many(30, first_pmid=40000001, first_day=later)
    reference = OxigraphStore()
    reference.oxigraph.bulk_extend(store.quads())
    with client_of(fake) as client:
        refresh(reference, client, QUERY, clock=clock_at(later))
    before, after = versions(store), versions(reference)
    assert all(before[p] != after[p] for p in changed)
    counts = {p: {evidence_count(store, p), evidence_count(reference, p)} for p in changed}
    assert all(len(c) == 2 for c in counts.values())  # the change shows in the evidence too
    snapshots: list[dict[str, tuple[int, str]]] = []
    articles: list[tuple[str, int]] = []
    failures: list[str] = []
    done = threading.Event()

    def read_sparql(url: str) -> None:
        with httpx.Client(base_url=url, timeout=30) as http:
            while not done.is_set():
                answer = http.get("/sparql", params={"query": PER_GRAPH, "format": "json"})
                if answer.status_code != 200:
                    failures.append(f"/sparql: HTTP {answer.status_code}: {answer.text[:200]}")
                    continue
                rows = answer.json()["results"]["bindings"]
                snapshots.append(
                    {
                        iris.pmid_of_graph(ox.NamedNode(r["g"]["value"])) or "": (
                            int(r["n"]["value"]),
                            r["hash"]["value"],
                        )
                        for r in rows
                    }
                )

    def read_articles(url: str) -> None:
        with httpx.Client(base_url=url, timeout=30) as http:
            while not done.is_set():
                for pmid in changed[::5]:
                    answer = http.get(f"/articles/{pmid}")
                    if answer.status_code != 200:
                        failures.append(f"/articles/{pmid}: HTTP {answer.status_code}")
                        continue
                    articles.append((pmid, len(answer.json()["data"]["evidence"])))

    settings = get_settings(home=archive.root.parent)
    fake.inject("efetch", Fault.slow(0.05), times=100)  # a slow network: the refresh takes a while
    with serve(create_app(store, read_queries(), settings)) as url:
        readers = [threading.Thread(target=read_sparql, args=(url,)) for _ in range(2)]
        readers.append(threading.Thread(target=read_articles, args=(url,)))
        for thread in readers:
            thread.start()
        try:
            with client_of(fake, batch_size=5) as client:
                run = refresh(store, client, QUERY, archive=archive, clock=clock_at(later))
        finally:
            done.set()
            for thread in readers:
                thread.join(timeout=60)
    assert len(run.updated) == 30 and len(run.new) == 30
    assert versions(store) == after
    assert snapshots and articles and not failures, failures
    for snapshot in snapshots:
        assert set(before) <= set(snapshot), "a stored article vanished while it was replaced"
        for pmid, seen in snapshot.items():
            assert seen in {before.get(pmid), after[pmid]}, f"PMID {pmid} read half-written"
    for pmid, seen_count in articles:
        assert seen_count in counts[pmid], f"/articles/{pmid} read half-written"
    mixed = [
        s
        for s in snapshots
        if any(s.get(p) == after[p] for p in changed)
        and any(s.get(p) == before[p] for p in changed)
    ]
    assert mixed, "no read landed in the middle of the refresh"


# --- re-extraction from the archive --------------------------------------------------------------

OLD = "tc-rules/0.0.1"


def read_nothing(article: Article) -> Extraction:
    """An old extractor that read only the design."""
    return Extraction(pmid=article.pmid, study=Study(design="other"), extractor=OLD)


def test_reextract_replaces_the_old_extractors_reading_from_the_archive_without_network(
    fake: FakeEutils, archive: RecordArchive, tmp_path: Path
) -> None:
    old, current = OxigraphStore(), OxigraphStore()
    with client_of(fake) as client:
        refresh(old, client, QUERY, archive=archive, extractor=Extractor(OLD, read_nothing))
        refresh(current, client, QUERY, archive=RecordArchive(tmp_path / "other"))
        fake.pubmed.delete(30000007)
        for store in (old, current):
            refresh(store, client, QUERY, sweep=True, archive=archive)
    assert flag(old, "30000007", "deleted")
    assert content(old) != content(current)
    fake.requests.clear()
    run = reextract(old, archive, clock=clock_at(DAY))
    assert fake.requests == []
    assert set(run.updated) == set(article_graphs(current)) and run.status == "completed"
    assert content(old) == content(current)  # same graphs as if read by it from the start
    assert not old.query(f'ASK {{ ?x {iris.term("extractor")} "{OLD}" }}')
    assert flag(old, "30000007", "deleted")  # the deletion mark survives the re-reading
    again = reextract(old, archive)
    assert again.updated == () and again.unchanged == len(article_graphs(current))


def test_cli_reextract_reports_an_article_without_an_archived_record_and_exits_1(
    fake: FakeEutils, tmp_path: Path, kb_main: Callable[..., tuple[int, str, str]]
) -> None:
    env = environment(tmp_path / "kb", fake)
    assert kb_main(env, "refresh")[0] == 0
    with OxigraphStore(tmp_path / "kb" / "store") as store:
        kept = article_graphs(store)["30000005"]
    RecordArchive(tmp_path / "kb" / "records").path("30000005").unlink()
    status, out, _ = kb_main(env, "reextract", "--force")
    assert status == 1
    assert "pending: 30000005" in out.splitlines()
    assert any("PMID 30000005: no archived record" in line for line in out.splitlines())
    with OxigraphStore(tmp_path / "kb" / "store") as store:
        assert article_graphs(store)["30000005"] == kept
        updated = read_run(store, list_runs(store)[0].run_id).updated  # type: ignore[union-attr]
        assert len(updated) == len(article_graphs(store)) - 1
    # a refresh over the record again (unchanged, so not rewritten) archives it
    assert kb_main(env, "refresh", "--since", "2000-01-01")[0] == 0
    assert RecordArchive(tmp_path / "kb" / "records").read("30000005") is not None
    status, out, _ = kb_main(env, "reextract", "--pmid", "30000005", "--force")
    assert status == 0 and "updated: 30000005" in out.splitlines()


def test_kb_ingest_archives_every_article_it_stores_so_reextract_can_read_them(
    tmp_path: Path, kb_main: Callable[..., tuple[int, str, str]]
) -> None:
    env = {"KB_HOME": str(tmp_path / "kb")}
    assert kb_main(env, "ingest", "--sample")[0] == 0
    with OxigraphStore(tmp_path / "kb" / "store") as store:
        stored = set(article_graphs(store))
    archive = RecordArchive(tmp_path / "kb" / "records")
    assert stored and {p for p in stored if archive.read(p) is not None} == stored
    status, out, _ = kb_main(env, "reextract", "--force", "--json")
    assert status == 0 and set(json.loads(out)["updated"]) == stored


def test_the_archive_gives_back_every_record_as_read(tmp_path: Path) -> None:
    from ingest.files import iter_file_records

    archive = RecordArchive(tmp_path)
    articles = [r for r in iter_file_records(sample_path()) if isinstance(r, Article)]
    for article in articles:
        archive.write(article)
    assert len(archive) == len(articles) > 10
    for article in articles:
        back = archive.read(article.pmid)
        assert back == article and back.content_hash == article.content_hash
    assert archive.read("1") is None


def test_an_ingest_through_the_archive_keeps_every_article_it_writes(tmp_path: Path) -> None:
    from ingest.files import iter_file_records
    from kb.jobs.ingest import ingest_records

    archive = RecordArchive(tmp_path)
    store = OxigraphStore()
    summary = ingest_records(store, iter_file_records(sample_path()), archive=archive)
    assert len(archive) == summary.written == len(article_graphs(store))
    assert {a.pmid for a in map(archive.read, article_graphs(store)) if a} == set(
        article_graphs(store)
    )


@pytest.mark.slow
def test_kb_serve_announces_itself_and_kb_refresh_hands_it_the_work(
    fake: FakeEutils, tmp_path: Path
) -> None:
    home = tmp_path / "kb"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = environment(home, fake, KB_ADMIN_TOKEN=TOKEN)
    command = [sys.executable, "-m", "kb", "serve", "--port", str(port)]
    with subprocess.Popen(command, cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True) as server:
        try:
            deadline = time.monotonic() + 60
            while find_server(home) is None:
                assert server.poll() is None, server.stderr.read() if server.stderr else ""
                assert time.monotonic() < deadline, "kb serve never announced itself"
                time.sleep(0.1)
            record = read_server_record(home)
            assert record is not None and record.pid == server.pid
            assert record.url == f"http://127.0.0.1:{port}"
            with start_kb(env, "refresh") as job:
                out, err = job.communicate(timeout=120)
            assert job.returncode == 0, err
            assert out.startswith("refresh completed")
            health = httpx.get(f"{record.url}/health", timeout=10).json()["data"]
            assert health["counts"]["articles"] == len(fake.pubmed.records)
        finally:
            server.terminate()
            server.wait(timeout=30)
    assert read_server_record(home) is None  # gone with the server


# --- a serve.json that names what is not kb serve ------------------------------------------------


@contextlib.contextmanager
def impostor(body: bytes, status: int = 200) -> Iterator[tuple[str, list[dict[str, str]]]]:
    """A program on 127.0.0.1 that answers everything alike and records what it is sent."""
    seen: list[dict[str, str]] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def answer(self) -> None:
            seen.append({"method": self.command, "path": self.path, **dict(self.headers)})
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = answer

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(
    "body", [b'{"data": {"proof": "0000"}}', b'{"status": "ok"}', b"<html>hello</html>"]
)
def test_a_token_never_goes_to_a_program_that_took_the_servers_port(
    fake: FakeEutils,
    tmp_path: Path,
    kb_main: Callable[..., tuple[int, str, str]],
    body: bytes,
    caplog: pytest.LogCaptureFixture,
) -> None:
    home = tmp_path / "kb"
    with impostor(body) as (url, seen):
        write_server_record(home, url)  # a live process, as a reused pid would be
        env = environment(home, fake, KB_ADMIN_TOKEN=TOKEN)
        status, out, err = kb_main(env, "refresh")
    assert status == 0 and out.startswith("refresh completed"), err
    assert seen and all("Authorization" not in request for request in seen)
    assert [r["method"] for r in seen] == ["GET"] and seen[0]["path"].startswith("/instance")
    assert read_server_record(home) is None  # stale: said and removed
    assert "stale" in caplog.text and "Traceback" not in err


def test_the_serve_record_is_its_owners_alone(tmp_path: Path) -> None:
    path = write_server_record(tmp_path, "http://127.0.0.1:9")
    assert path.stat().st_mode & 0o777 == 0o600
    first = read_server_record(tmp_path)
    write_server_record(tmp_path, "http://127.0.0.1:9")
    second = read_server_record(tmp_path)
    assert first and second and first.instance != second.instance and len(first.instance) == 64


@pytest.mark.parametrize(
    ("status", "body"),
    [(200, b'{"status": "ok"}'), (200, b"not json"), (500, b"<html>boom</html>"), (409, b"[]")],
)
def test_any_answer_but_the_apis_is_one_clear_error(status: int, body: bytes) -> None:
    with impostor(body, status) as (url, _), pytest.raises(KBError) as raised:
        call_server(url, TOKEN, "POST", "/admin/refresh", {})
    assert "\n" not in str(raised.value) and url in str(raised.value)


def test_a_killed_reextract_is_shown_failed_by_kb_runs(
    tmp_path: Path, kb_main: Callable[..., tuple[int, str, str]]
) -> None:
    home = tmp_path / "kb"
    with subprocess.Popen([sys.executable, "-c", "pass"]) as ended:
        ended.wait(timeout=30)
    started = datetime(2026, 1, 1, tzinfo=UTC)
    killed = Run(
        run_id=new_run_id("reextract", started),
        kind="reextract",
        label="reextract",
        started=started,
        process=f"{socket.gethostname()}:{ended.pid}:1",
    )
    home.mkdir(parents=True)
    with OxigraphStore(home / "store") as store:
        write_run(store, killed)
    status, out, _ = kb_main({"KB_HOME": str(home)}, "runs", "--json")
    assert status == 0
    [listed] = json.loads(out)
    assert listed["status"] == "failed" and listed["errors"][0].startswith("interrupted")
