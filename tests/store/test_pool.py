"""Queries in worker processes: a late one is stopped for good, the others go on."""

from __future__ import annotations

import asyncio
import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest

from kb.errors import QueryError, QueryTimeoutError, ReadOnlyError
from kb.store import OxigraphStore
from kb.store.answers import Written
from kb.store.base import QueryOptions, Writing
from kb.store.pool import Busy, ReaderPool

CARTESIAN = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


def quads(count: int, start: int = 0) -> list[ox.Quad]:
    graph = ox.NamedNode("https://w3id.org/tckb/graph/test")
    return [
        ox.Quad(ox.NamedNode(f"http://ex/{n}"), ox.NamedNode("http://ex/p"), ox.Literal(n), graph)
        for n in range(start, start + count)
    ]


@pytest.fixture
def pooled(tmp_path: Path) -> Iterator[OxigraphStore]:
    store = OxigraphStore(tmp_path / "store")
    store.add_quads(quads(2000))
    store.start_readers(2, timeout=1.0)
    yield store
    store.close()


def count(store: OxigraphStore) -> int:
    rows = store.select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    return int(rows[0]["n"].value)  # type: ignore[union-attr]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A killed child not yet reaped is a zombie: it holds no core and no memory.
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().split(")")[-1].split()[0] != "Z"


def dead_within(pid: int, seconds: float) -> bool:
    """Whether the process is gone within ``seconds`` (killed at once, reaped in the background)."""
    deadline = time.monotonic() + seconds
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.02)
    return not alive(pid)


def test_a_late_query_is_refused_and_its_worker_killed(pooled: OxigraphStore) -> None:
    assert pooled._readers is not None
    before = {w.process.pid for w in pooled._readers._workers}
    with pytest.raises(QueryTimeoutError, match="stopped"):
        pooled.select(CARTESIAN)
    gone = before - {w.process.pid for w in pooled._readers._workers}
    assert len(gone) == 1 and dead_within(gone.pop(), 0.5)
    assert count(pooled) == 2000  # a fresh worker answers


def test_cheap_queries_are_answered_while_a_late_one_runs(pooled: OxigraphStore) -> None:
    refused: list[Exception] = []

    def late() -> None:
        try:
            pooled.select(CARTESIAN)
        except QueryTimeoutError as exc:
            refused.append(exc)

    thread = threading.Thread(target=late)
    thread.start()
    answers = [bool(pooled.query("ASK { ?s ?p ?o }")) for _ in range(20)]
    still_running = thread.is_alive()
    thread.join()
    assert answers == [True] * 20 and still_running and len(refused) == 1


def test_workers_see_what_the_store_wrote_since(pooled: OxigraphStore) -> None:
    assert count(pooled) == 2000
    pooled.add_quads(quads(5, start=2000))
    assert count(pooled) == 2005


def test_answers_in_a_worker_are_the_engines_own(pooled: OxigraphStore, tmp_path: Path) -> None:
    here = OxigraphStore()
    here.add_quads(quads(2000))
    query = "SELECT ?s ?o WHERE { ?s ?p ?o FILTER(?o < 5) } ORDER BY ?o"
    assert pooled.select(query) == here.select(query)
    assert bool(pooled.query("ASK { <http://ex/1> ?p ?o }")) is True
    construct = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o FILTER(?o < 3) }"
    assert set(pooled.query(construct)) == set(here.query(construct))  # type: ignore[call-overload]
    bound = pooled.select("SELECT ?s ?o WHERE { ?s ?p ?o }", {"s": ox.NamedNode("http://ex/7")})
    assert [r["o"] for r in bound] == [ox.Literal(7)]


JSON_RESULTS = Writing("application/sparql-results+json", mark="http://ex/cut")


def test_a_worker_writes_at_most_the_rows_asked_for(pooled: OxigraphStore) -> None:
    options = QueryOptions(limit=10, writing=JSON_RESULTS)
    written = pooled.run_query("SELECT * WHERE { ?s ?p ?o }", options)
    assert isinstance(written, Written) and written.truncated and written.size == 10
    document = json.loads(written.data)
    assert len(document["results"]["bindings"]) == 10
    assert document["head"]["link"] == ["http://ex/cut"]


def test_a_syntax_error_in_a_worker_says_where(pooled: OxigraphStore) -> None:
    with pytest.raises(QueryError, match="line 2, column"):
        pooled.select("SELECT * WHERE {\n ?s ?p")


def test_a_store_held_by_another_process_opens_read_only(tmp_path: Path) -> None:
    writer = OxigraphStore(tmp_path / "store")
    writer.add_quads(quads(10))
    reader = OxigraphStore(tmp_path / "store", read_only=True)
    try:
        assert count(reader) == 10
        with pytest.raises(ReadOnlyError):
            reader.add_quads(quads(1, start=10))
    finally:
        reader.close()
        writer.close()


def test_a_worker_writes_no_more_than_the_bytes_asked_for(pooled: OxigraphStore) -> None:
    options = QueryOptions(max_bytes=500, writing=JSON_RESULTS)
    written = pooled.run_query("SELECT * WHERE { ?s ?p ?o }", options)
    assert isinstance(written, Written) and written.truncated
    rows = json.loads(written.data)["results"]["bindings"]
    assert 0 < len(rows) == written.size < 20  # rows weigh tens of bytes: cut before 500


def test_an_error_while_closing_never_hides_the_error_that_ended_the_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kb.errors import StoreError
    from kb.settings import get_settings
    from kb.store import opened_store

    def full_disk(self: OxigraphStore) -> None:
        raise StoreError("No space left on device")

    monkeypatch.setattr(OxigraphStore, "close", full_disk)
    settings = get_settings(home=tmp_path, store=None)
    with pytest.raises(ValueError, match="the first error"), opened_store(settings):
        raise ValueError("the first error")
    # with nothing else wrong, the closing's own error is the one said
    with pytest.raises(StoreError, match="No space left"), opened_store(settings):
        pass


def test_a_query_may_carry_a_time_limit_of_its_own(tmp_path: Path) -> None:
    # Reading the whole store (the case index) may take minutes where a visitor's query may not.
    store = OxigraphStore(tmp_path / "store")
    store.add_quads(quads(2000))
    store.start_readers(1, timeout=0.02)
    pairs = (
        "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f }"  # 4,000,000: a third of a second
    )
    try:
        answer = store.run_query(pairs, QueryOptions(timeout=60))
        assert [int(s["n"].value) for s in answer] == [4_000_000]  # type: ignore[attr-defined]
        with pytest.raises(QueryTimeoutError, match=r"limit of 0\.02 s"):
            store.run_query(pairs)
    finally:
        store.close()


def test_a_worker_opens_the_store_again_while_its_files_move(tmp_path: Path) -> None:
    # A compaction after a write can delete a table file between the manifest's read and the
    # file's open ("No such file"): the worker tries again. Here the whole store appears late.
    from kb.store.reader import open_read_only

    path, built = tmp_path / "store", tmp_path / "built"
    with OxigraphStore(built) as writer:
        writer.add_quads(quads(10))

    # The store's directory appears whole, by a rename: a half-made store would be another test.
    later = threading.Timer(0.3, built.rename, args=(path,))
    later.start()
    try:
        store = open_read_only(str(path))
    finally:
        later.join()
    assert len(list(store.quads_for_pattern(None, None, None, None))) == 10
    with pytest.raises(OSError, match="No such file"):
        open_read_only(str(tmp_path / "never"), patience=0.5)


JSON_OR_XML = [JSON_RESULTS, Writing("application/sparql-results+xml", mark="http://ex/cut")]


@pytest.mark.parametrize("writing", JSON_OR_XML, ids=["json", "xml"])
def test_a_bounded_answer_written_by_the_engine_is_the_one_written_row_by_row(
    pooled: OxigraphStore, writing: Writing
) -> None:
    query = "SELECT ?s ?o (STR(?o) AS ?text) WHERE { ?s ?p ?o } ORDER BY ?s LIMIT 50"
    by_engine = pooled.run_query(query, QueryOptions(limit=50, writing=writing, bounded=True))
    by_rows = pooled.run_query(query, QueryOptions(limit=50, writing=writing))
    assert isinstance(by_engine, Written) and isinstance(by_rows, Written)
    assert by_engine.data == by_rows.data and by_rows.size == 50
    assert not by_engine.truncated and not by_rows.truncated


def test_a_bounded_answer_past_the_byte_cap_is_asked_again_and_cut() -> None:
    from kb.store.answers import write_answer

    store = ox.Store()
    store.extend(quads(200))
    asked = []

    def run() -> object:
        asked.append(1)
        return store.query("SELECT * WHERE { GRAPH ?g { ?s ?p ?o } } LIMIT 200")

    options = QueryOptions(limit=1000, max_bytes=500, writing=JSON_RESULTS, bounded=True)
    written = write_answer(run, options)
    assert len(asked) == 2 and written.truncated
    document = json.loads(written.data)
    assert 0 < len(document["results"]["bindings"]) == written.size < 20
    assert document["head"]["link"] == ["http://ex/cut"]
    asked.clear()
    whole = write_answer(run, QueryOptions(limit=1000, writing=JSON_RESULTS, bounded=True))
    assert len(asked) == 1 and not whole.truncated
    assert len(json.loads(whole.data)["results"]["bindings"]) == 200


def pids(store: OxigraphStore) -> set[int]:
    assert store._readers is not None
    return {w.process.pid for w in store._readers._workers}


def test_a_query_the_engine_refuses_keeps_its_worker(pooled: OxigraphStore) -> None:
    # Only a worker that is late, dead or interrupted is replaced: starting a process for each
    # malformed query would let a stream of them cost the server a process each.
    before = pids(pooled)
    for _ in range(3):
        with pytest.raises(QueryError):
            pooled.select("SELECT * WHERE {")
    assert pids(pooled) == before and count(pooled) == 2000


def ready(store: OxigraphStore) -> None:
    """Ask one query in a thread: the worker asked next (the last to answer) has the store open."""
    count(store)


def test_a_query_awaited_on_the_event_loop_is_answered_by_a_worker(
    pooled: OxigraphStore,
) -> None:
    ready(pooled)
    options = QueryOptions(writing=JSON_RESULTS, limit=100)

    async def ask() -> object:
        return await pooled.run_query_now("SELECT * WHERE { ?s ?p ?o } LIMIT 3", options)

    written = asyncio.run(ask())
    assert isinstance(written, Written)
    assert len(json.loads(written.data)["results"]["bindings"]) == 3
    with pytest.raises(QueryError, match="line 1, column"):
        asyncio.run(pooled.run_query_now("SELECT * WHERE {", options))


def test_a_late_query_on_the_event_loop_is_stopped_within_a_second(
    pooled: OxigraphStore,
) -> None:
    ready(pooled)
    before = pids(pooled)

    async def late(limit: float | None) -> float:
        start = time.monotonic()
        with pytest.raises(QueryTimeoutError, match="stopped"):
            await pooled.run_query_now(CARTESIAN, QueryOptions(timeout=limit))
        return time.monotonic() - start

    # The query's own limit, then the pool's (1 s): each ends the wait, and not before.
    assert 0.3 <= asyncio.run(late(0.3)) < 0.9
    ready(pooled)
    before = pids(pooled)
    waited = asyncio.run(late(None))
    assert 1.0 <= waited < 1.6
    gone = before - pids(pooled)
    assert len(gone) == 1 and dead_within(gone.pop(), 0.5)
    assert count(pooled) == 2000


def test_the_event_loop_is_told_busy_when_no_worker_is_ready(tmp_path: Path) -> None:
    # Busy, before anything is sent: the caller then waits for a worker in a thread.
    with pytest.raises(Busy):  # no workers: in memory, queries run in the caller's thread
        asyncio.run(OxigraphStore().run_query_now("ASK {}", QueryOptions()))
    store = OxigraphStore(tmp_path / "store")
    store.add_quads(quads(10))
    store.close()
    pool = ReaderPool(tmp_path / "store", 1, timeout=5.0, most=1)

    def now(generation: int) -> object:
        return asyncio.run(pool.query_now("ASK { ?s ?p ?o }", generation, QueryOptions()))

    try:
        with pytest.raises(Busy):  # a new worker opens the store in a thread
            now(1)
        assert bool(pool.query("ASK { ?s ?p ?o }", 1, QueryOptions()))
        assert bool(now(1))
        worker = pool._idle.get()  # the one worker, busy
        with pytest.raises(Busy):
            now(1)
        pool._idle.put(worker)
        with pytest.raises(Busy):  # a write since: the worker reopens the store in a thread
            now(2)
        assert bool(pool.query("ASK { ?s ?p ?o }", 2, QueryOptions())) and bool(now(2))
    finally:
        pool.close()


def test_workers_yield_the_processor_to_the_serving_process(pooled: OxigraphStore) -> None:
    from kb.store.reader import NICENESS

    def niceness(pid: int) -> int:
        with open(f"/proc/{pid}/stat") as stat:
            return int(stat.read().rsplit(")", 1)[1].split()[16])

    expected = min(niceness(os.getpid()) + NICENESS, 19)
    deadline = time.monotonic() + 10  # each sets its own on starting
    while {niceness(pid) for pid in pids(pooled)} != {expected}:
        assert time.monotonic() < deadline, "a worker kept the server's priority"
        time.sleep(0.05)
