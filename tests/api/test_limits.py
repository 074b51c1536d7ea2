"""Requests the server must bound or refuse honestly: bodies, forms, offsets, odd queries.

Each bad input is a 4xx problem with a title that says what it is, never a 5xx.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from kb.api import create_app
from kb.query.named import read_queries
from kb.query.protocol import TRUNCATED
from kb.settings import get_settings
from kb.store import OxigraphStore
from tests.support.graphs import fixture_store, write_fixture_home
from tests.support.server import assert_problem, serve

TOKEN = "s3cret-admin-token"


@pytest.fixture(scope="module")
def api() -> Iterator[httpx.Client]:
    settings = get_settings(
        store="memory", max_body_bytes=4096, max_form_fields=5, row_cap=3, admin_token=TOKEN
    )
    with (
        serve(create_app(fixture_store(), read_queries(), settings)) as url,
        httpx.Client(base_url=url, timeout=30) as client,
    ):
        yield client


# --- bodies ---------------------------------------------------------------------------------


def test_a_body_past_the_limit_is_refused_by_its_length(api: httpx.Client) -> None:
    form = {"query": "ASK {} #" + "x" * 5000}
    problem = assert_problem(api.post("/sparql", data=form), 413)
    assert problem["title"] == "Request too large" and "KB_MAX_BODY_BYTES" in problem["detail"]


def test_a_body_without_a_length_is_cut_at_the_limit(api: httpx.Client) -> None:
    def chunks() -> Iterator[bytes]:
        yield b"query=ASK%20%7B%7D%20%23"
        for _ in range(100):
            yield b"x" * 1000

    headers = {"content-type": "application/x-www-form-urlencoded"}
    response = api.post("/sparql", content=chunks(), headers=headers)
    assert_problem(response, 413)


def test_a_form_with_too_many_fields_is_refused(api: httpx.Client) -> None:
    body = "query=ASK%20%7B%7D&" + "&".join(f"f{n}=1" for n in range(10))
    headers = {"content-type": "application/x-www-form-urlencoded"}
    problem = assert_problem(api.post("/sparql", content=body, headers=headers), 413)
    assert "KB_MAX_FORM_FIELDS" in problem["detail"]


def test_a_body_of_the_wrong_type_is_refused_before_it_is_read(api: httpx.Client) -> None:
    response = api.post("/sparql", content=b"x" * 3000, headers={"content-type": "text/plain"})
    assert_problem(response, 415)


# --- offsets, identifiers, parameters -------------------------------------------------------


@pytest.mark.parametrize("offset", ["18446744073709551616", "9" * 4001])
def test_an_offset_past_any_row_is_an_invalid_request(api: httpx.Client, offset: str) -> None:
    for path in ("/articles", "/queries/articles"):
        problem = assert_problem(api.get(path, params={"offset": offset}), 422)
        assert problem["title"] == "Invalid request"


def test_a_path_is_no_pmid_to_reextract(api: httpx.Client) -> None:
    response = api.post(
        "/admin/reextract",
        json={"pmids": ["../../etc/passwd"]},
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert_problem(response, 422)


def test_an_unknown_concept_is_not_found(api: httpx.Client) -> None:
    assert_problem(api.get("/concepts/finding/no-such-finding"), 404)


def test_signature_needs_a_finding(api: httpx.Client) -> None:
    problem = assert_problem(api.get("/queries/signature"), 400, parameter="present")
    assert "at least one of: present, absent" in problem["detail"]


# --- queries that are not queries, and queries that are large ---------------------------------


@pytest.mark.parametrize(
    "text", ["", "   ", "# only a comment", "PREFIX ex: <http://example.org/>", "BASE <http://x/>"]
)
def test_a_request_with_no_query_in_it_is_an_invalid_query(api: httpx.Client, text: str) -> None:
    response = api.get("/sparql", params={"query": text})
    problem = assert_problem(response, 400)
    assert problem["title"] in ("Invalid query", "Invalid request")
    assert problem["title"] != "Updates are refused"


def test_service_is_refused_but_the_word_in_a_string_is_not(api: httpx.Client) -> None:
    refused = api.get("/sparql", params={"query": "SELECT * { SERVICE <http://x/> { ?s ?p ?o } }"})
    assert "SERVICE" in assert_problem(refused, 400)["detail"]
    text = 'ASK { FILTER("SERVICE" != "LOAD") } # INSERT'
    answered = api.get("/sparql", params={"query": text}, headers={"accept": "application/json"})
    assert answered.status_code == 200 and answered.json()["boolean"] is True


def test_deeply_nested_and_long_queries_are_legitimate(api: httpx.Client) -> None:
    nested = "ASK " + "{ " * 200 + "?s ?p ?o " + "} " * 200
    accept = {"accept": "application/json"}
    assert api.get("/sparql", params={"query": nested}, headers=accept).json()["boolean"]
    patterns = " ".join(f"OPTIONAL {{ ?s <http://ex/p{n}> ?o{n} }}" for n in range(150))
    wide = f"SELECT ?s WHERE {{ ?s ?p ?o {patterns} }} LIMIT 1"
    assert api.get("/sparql", params={"query": wide}, headers=accept).status_code == 200


# --- truncation, HEAD, redirects -------------------------------------------------------------


def test_a_cut_answer_says_so_in_its_head(api: httpx.Client) -> None:
    query = {"query": "SELECT * WHERE { ?s ?p ?o }"}
    as_json = api.get(
        "/sparql", params=query, headers={"accept": "application/sparql-results+json"}
    )
    assert as_json.headers["KB-Truncated"] and len(as_json.json()["results"]["bindings"]) == 3
    assert as_json.json()["head"]["link"] == [TRUNCATED]
    as_xml = api.get("/sparql", params=query, headers={"accept": "application/sparql-results+xml"})
    assert f'<link href="{TRUNCATED}"/></head>' in as_xml.text
    whole = api.get("/sparql", params={"query": "ASK {}"}, headers={"accept": "application/json"})
    assert "link" not in whole.json()["head"]


@pytest.mark.parametrize("path", ["/health", "/sparql?query=ASK%20%7B%7D", "/queries/counts"])
def test_head_answers_wherever_get_does(api: httpx.Client, path: str) -> None:
    got, head = api.get(path), api.head(path)
    assert head.status_code == got.status_code == 200
    assert head.content == b"" and head.headers["content-type"] == got.headers["content-type"]


def test_a_trailing_slash_redirects_relatively_whatever_the_host(api: httpx.Client) -> None:
    response = api.get("/queries/counts/?x=1", headers={"host": "evil.example"})
    assert response.status_code == 308
    assert response.headers["location"] == "/queries/counts?x=1"
    followed = api.get("/queries/counts/", follow_redirects=True)
    assert followed.status_code == 200 and json.loads(followed.text)["data"]


# --- answers opened in a spreadsheet, and answers too heavy to send --------------------------


def test_csv_cells_that_would_be_formulas_are_neutralised() -> None:
    import pyoxigraph as ox

    from kb.query.protocol import Asked, respond
    from kb.store import OxigraphStore

    store = OxigraphStore()
    g, p = ox.NamedNode("http://ex/g"), ox.NamedNode("http://ex/p")
    values = ["=1+1", "+cmd", "@SUM(A1)", "-2.5", "calcinosis"]
    store.add_quads(
        [ox.Quad(ox.NamedNode(f"http://ex/{i}"), p, ox.Literal(v), g) for i, v in enumerate(values)]
    )
    query = "SELECT ?o WHERE { ?s <http://ex/p> ?o } ORDER BY ?s"
    for fmt in ("csv", "tsv"):
        written, _ = respond(store, Asked(query, row_cap=100, fmt=fmt))
        cells = written.data.decode().splitlines()[1:]
        assert [c.strip('"') for c in cells] == [
            "'=1+1",
            "'+cmd",
            "'@SUM(A1)",
            "-2.5",
            "calcinosis",
        ]
    as_json, _ = respond(store, Asked(query, row_cap=100, fmt="json"))
    assert '"=1+1"' in as_json.data.decode()  # JSON carries the data as it is


def test_a_named_query_as_csv_neutralises_formulas_too() -> None:
    from kb.query.registry import Table

    table = Table(columns=("title",), rows=({"title": "=HYPERLINK(x)"}, {"title": "-3"}))
    assert table.to_csv().splitlines() == ["title", "'=HYPERLINK(x)", "-3"]


def test_an_answer_past_the_byte_limit_is_cut_and_marked() -> None:
    import pyoxigraph as ox

    from kb.query.protocol import TRUNCATED, Asked, respond
    from kb.store import OxigraphStore

    store = OxigraphStore()
    g, p = ox.NamedNode("http://ex/g"), ox.NamedNode("http://ex/p")
    store.add_quads(
        [ox.Quad(ox.NamedNode(f"http://ex/{i}"), p, ox.Literal("x" * 1000), g) for i in range(50)]
    )
    query = "SELECT ?o WHERE { ?s <http://ex/p> ?o }"
    answer, _ = respond(store, Asked(query, row_cap=1000, byte_cap=10_000, fmt="json"))
    assert answer.truncated and 0 < answer.size <= 10
    document = json.loads(answer.data)
    assert document["head"]["link"] == [TRUNCATED]
    assert len(document["results"]["bindings"]) == answer.size
    answer, _ = respond(store, Asked(query, row_cap=1000, byte_cap=10_000_000, fmt="json"))
    assert not answer.truncated and answer.size == 50
    assert "link" not in json.loads(answer.data)["head"]


# --- slow and idle clients ---------------------------------------------------------------------


def test_clients_that_never_finish_their_headers_are_dropped_and_others_answered() -> None:
    import socket
    import time

    from kb.api.connections import uvicorn_options

    settings = get_settings(store="memory")
    app = create_app(fixture_store(), read_queries(), settings)
    with serve(app, **uvicorn_options(header_timeout=1.0, keep_alive=1.0)) as url:
        port = int(url.rsplit(":", 1)[1])
        slow = []
        for _ in range(100):
            sock = socket.create_connection(("127.0.0.1", port))
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # and never the rest
            slow.append(sock)
        try:
            assert httpx.get(f"{url}/health", timeout=10).status_code == 200
            time.sleep(1.5)
            for sock in slow:
                sock.settimeout(5)
                assert sock.recv(1024) == b""  # the server closed it
            assert httpx.get(f"{url}/health", timeout=10).status_code == 200
        finally:
            for sock in slow:
                sock.close()


def test_a_body_that_stops_coming_is_given_up() -> None:
    import socket

    settings = get_settings(store="memory", body_timeout=0.5)
    with serve(create_app(fixture_store(), read_queries(), settings)) as url:
        port = int(url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port)) as sock:
            sock.sendall(
                b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Type: application/sparql-query\r\nContent-Length: 100\r\n\r\nASK"
            )
            sock.settimeout(10)
            answer = sock.recv(4096)
    assert answer.startswith(b"HTTP/1.1 408")


# --- kept answers stay within their budget ------------------------------------------------------


def test_kept_answers_stay_within_their_byte_budget() -> None:
    import asyncio

    from kb.api.middleware import AnswerCache

    worked: list[str] = []

    async def answer(scope: dict, receive: object, send: object) -> None:  # type: ignore[type-arg]
        worked.append(scope["path"])
        size = int(scope["path"].rsplit("/", 1)[1])
        await send({"type": "http.response.start", "status": 200, "headers": []})  # type: ignore[operator]
        await send({"type": "http.response.body", "body": b"x" * size})  # type: ignore[operator]

    cache = AnswerCache(answer, lambda: 1, ("/q",), max_bytes=800, budget=1000)

    def ask(path: str) -> bytes:
        sent: list[dict] = []  # type: ignore[type-arg]

        async def send(message: dict) -> None:  # type: ignore[type-arg]
            sent.append(message)

        scope = {"type": "http", "method": "GET", "path": path, "headers": []}
        asyncio.run(cache(scope, None, send))  # type: ignore[arg-type]
        return b"".join(m.get("body", b"") for m in sent)

    assert ask("/q/600") == b"x" * 600
    assert ask("/q/600") == b"x" * 600 and worked == ["/q/600"]  # kept
    ask("/q/500")  # 1,100 bytes would pass the budget: the older answer goes
    ask("/q/500")
    assert worked == ["/q/600", "/q/500"]
    ask("/q/600")
    assert worked == ["/q/600", "/q/500", "/q/600"]  # asked again: it had been dropped
    ask("/q/900")
    ask("/q/900")
    assert worked[-2:] == ["/q/900", "/q/900"]  # larger than one answer may be: never kept


def test_only_a_query_whose_own_limit_keeps_it_under_the_row_cap_is_bounded() -> None:
    from kb.query.protocol import vet_query

    assert vet_query("SELECT * { ?s ?p ?o } LIMIT 10").limit == 10
    assert vet_query("SELECT * { { SELECT * { ?s ?p ?o } LIMIT 10 } }").limit is None
    assert vet_query("SELECT * { ?s ?p ?o } # LIMIT 10").limit is None
    assert vet_query('SELECT * { ?s ?p "x" } OFFSET 5 LIMIT 7 VALUES ?s { <x:y> }').limit == 7


# --- the endpoint and the server's threads -------------------------------------------------


def test_a_short_query_is_answered_while_every_thread_of_the_server_is_busy(
    tmp_path: Path,
) -> None:
    # On a store with query workers, a short query is awaited on the event loop: named
    # queries and long SPARQL queries wait for the server's threads, /sparql's short ones do not.
    home = write_fixture_home(tmp_path / "home")
    settings = get_settings(home=home, store=None, query_workers=2, query_timeout=1)
    store = OxigraphStore(home / "store")
    app = create_app(store, read_queries(), settings)
    release = threading.Event()
    try:
        with serve(app) as url, httpx.Client(base_url=url, timeout=30) as client:
            for thread in threading.enumerate():
                if thread.name in ("kb-warm", "kb-case-index"):
                    thread.join()  # the start-up's reads are over
            store.run_query("ASK {}")  # in a thread: the worker asked next has the store open
            for _ in range(64):  # more than the server has threads
                app.state.runner.executor.submit(release.wait)
            short = client.post("/sparql", data={"query": "ASK { ?s ?p ?o }"})
            assert short.status_code == 200 and short.json()["boolean"] is True
            long = client.post("/sparql", data={"query": "ASK { ?s ?p ?o } #" + "x" * 2_000})
            assert_problem(long, 503)  # waited for a thread, up to the time limit
            assert client.get("/queries/misdiagnoses").status_code == 503
            release.set()
            assert client.post("/sparql", data={"query": "ASK {} #" + "x" * 2_000}).is_success
    finally:
        release.set()
        store.close()


def test_the_openapi_document_describes_the_sparql_endpoint(api: httpx.Client) -> None:
    path = api.get("/openapi.json").json()["paths"]["/sparql"]
    assert set(path) == {"get", "post"}
    assert {p["name"] for p in path["get"]["parameters"]} == {
        "query",
        "default-graph-uri",
        "named-graph-uri",
        "format",
    }
    body = path["post"]["requestBody"]["content"]
    assert set(body) == {"application/x-www-form-urlencoded", "application/sparql-query"}
    assert "application/sparql-results+json" in path["get"]["responses"]["200"]["content"]
    assert "503" in path["post"]["responses"]


def test_a_method_the_protocol_lacks_is_refused_with_the_ones_it_has(api: httpx.Client) -> None:
    for method in ("PUT", "DELETE", "PATCH"):
        response = api.request(method, "/sparql", content=b"ASK {}")
        assert_problem(response, 405)
        assert response.headers["allow"] == "GET, HEAD, POST"
    head = api.head("/sparql", params={"query": "ASK {}"})
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-type"] == "application/sparql-results+json"


def test_an_unexpected_failure_in_the_endpoint_is_a_500_problem(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The endpoint is answered ahead of the framework's error handling: it writes its own.
    import kb.api.routes.sparql as endpoint

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(endpoint, "respond_async", broken)
    app = create_app(fixture_store(), read_queries(), get_settings(store="memory"))
    with serve(app) as url, httpx.Client(base_url=url, timeout=30) as client:
        problem = assert_problem(client.post("/sparql", data={"query": "ASK {}"}), 500)
        assert "server log" in problem["detail"] and "a bug" not in problem["detail"]
        assert client.get("/health").status_code == 200
