"""The HTTP API against a real uvicorn server on 127.0.0.1: resources, shapes, limits, refusals."""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import networkx as nx
import pytest
import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error

from kb.api import create_app
from kb.query.named import read_queries
from kb.settings import Settings, get_settings
from kb.store import OxigraphStore
from tests.support.graphs import FIXTURE, SEED, fixture_store, ingest_files, write_fixture_home
from tests.support.processes import until_healthy
from tests.support.queries import example_params
from tests.support.server import assert_envelope, assert_problem, serve

QUERIES = read_queries()


def settings(**overrides: object) -> Settings:
    return get_settings(store="memory", **overrides)


@pytest.fixture(scope="module")
def api() -> Iterator[httpx.Client]:
    with (
        serve(create_app(fixture_store(), QUERIES, settings(page_cap=50))) as url,
        httpx.Client(base_url=url, timeout=30) as client,
    ):
        yield client


# --- health, the query list, the docs -------------------------------------------------------


def test_health_says_the_store_answers_and_what_it_holds(api: httpx.Client) -> None:
    health = assert_envelope(api.get("/health"))
    assert (health["status"], health["store"]) == ("ok", "reachable")
    assert health["counts"]["articles"] == 6
    assert health["counts"]["last_run"] == "2026-01-01T10:00:05Z"


def test_about_says_what_reads_the_articles_and_how_well(api: httpx.Client) -> None:
    from kb import __version__
    from kb.extraction.extract import EXTRACTOR

    about = assert_envelope(api.get("/about"))
    assert (about["version"], about["extractor"]) == (__version__, EXTRACTOR)
    quality = about["extraction_quality"]
    assert quality["extractor"] == EXTRACTOR
    assert quality["articles"] >= 30 and quality["sets"]
    assert set(quality["roles"]) >= {"associated", "finding", "misdiagnosis", "lesion"}
    assert 0 < quality["micro"]["f1"] <= 1 and 0 <= quality["background_leakage"] <= 1


def test_the_query_list_gives_every_named_query_with_its_parameters(api: httpx.Client) -> None:
    listed = {q["name"]: q for q in assert_envelope(api.get("/queries"))}
    assert set(listed) == set(QUERIES)
    params = {p["name"]: p for p in listed["cooccurrence"]["params"]}
    assert params["min_articles"]["type"] == "integer"
    assert params["min_articles"]["default"] == 1
    assert params["role_a"]["enum"][0] == "lesion"
    assert listed["signature"]["url"] == "/queries/signature"
    assert {n for n, q in listed.items() if q["paged"]} == {
        "articles",
        "articles-by-concept",
        "cases",
    }


def test_the_openapi_document_describes_each_named_query_and_its_parameters(
    api: httpx.Client,
) -> None:
    spec = api.get("/openapi.json").json()
    operation = spec["paths"]["/queries/signature"]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert {"present", "absent", "min_shared", "include_retracted", "limit", "offset"} <= names


# --- named queries over HTTP ----------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_every_named_query_answers_over_http_with_its_defaults(
    api: httpx.Client, name: str
) -> None:
    needed = set(QUERIES[name].header.needs_one_of[:1])
    params = example_params(QUERIES[name])
    params = {p: v for p, v in params.items() if QUERIES[name].params[p].required or p in needed}
    response = api.get(f"/queries/{name}", params=params)
    rows = assert_envelope(response)
    meta = response.json()["meta"]
    assert meta["query"] == name
    assert meta["total"] >= len(rows)
    assert all(set(row) == set(meta["columns"]) for row in rows)


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/queries/imaging-findings", {}),  # answered whole and cut
        ("/queries/articles-by-concept", {"concept": "finding/t1-hypointense"}),  # paged
        ("/articles", {"concept": "finding/t1-hypointense", "include_retracted": "true"}),
        ("/articles", {"concept": "finding/t1-hypointense", "polarity": "present"}),
        ("/articles", {}),  # paged too
    ],
)
def test_a_named_query_pages_its_answer(
    api: httpx.Client, path: str, params: dict[str, str]
) -> None:
    whole = api.get(path, params=params).json()
    first = api.get(path, params={**params, "limit": 1}).json()
    second = api.get(path, params={**params, "limit": 1, "offset": 1}).json()
    assert len(whole["data"]) >= 2
    assert first["data"] + second["data"] == whole["data"][:2]
    assert first["meta"]["total"] == whole["meta"]["total"] == len(whole["data"])
    past = api.get(path, params={**params, "offset": 1000}).json()
    assert past["data"] == [] and past["meta"]["total"] == whole["meta"]["total"]


def test_a_page_larger_than_the_cap_is_refused(api: httpx.Client) -> None:
    assert_problem(api.get("/queries/articles", params={"limit": 51}), 400, parameter="limit")
    assert_problem(api.get("/queries/articles", params={"limit": 0}), 422, parameter="limit")


def test_a_named_query_answers_as_csv_by_format_or_by_accept(api: httpx.Client) -> None:
    by_format = api.get("/queries/timeline", params={"format": "csv"})
    by_accept = api.get("/queries/timeline", headers={"accept": "text/csv"})
    assert by_format.headers["content-type"] == "text/csv; charset=utf-8"
    assert by_format.text == by_accept.text
    assert by_format.text.splitlines() == [
        "year,articles,patients,case_reports",
        "2001,1,21,0",
        "2010,1,1,1",
        "2015,2,1,1",
    ]
    assert_problem(api.get("/queries/timeline", params={"format": "xlsx"}), 406)


def test_named_query_parameters_come_from_the_query_string_lists_included(
    api: httpx.Client,
) -> None:
    ranked = assert_envelope(
        api.get(
            "/queries/signature",
            params=[
                ("present", "finding/t1-hypointense"),
                ("present", "finding/t2-hypointense"),
                ("absent", "finding/contrast-enhancement"),
            ],
        )
    )
    assert [r["pmid"] for r in ranked] == ["90000003", "90000002", "11474353"]
    retracted = assert_envelope(api.get("/queries/timeline", params={"include_retracted": "true"}))
    assert {r["year"] for r in retracted} == {2001, 2010, 2012, 2015, 2018}


@pytest.mark.parametrize(
    ("path", "params", "parameter"),
    [
        ("/queries/cooccurrence", {"min_articles": "1; DROP ALL"}, "min_articles"),
        ("/queries/cooccurrence", {"role_a": 'finding" } UNION { ?s ?p ?o } #'}, "role_a"),
        ("/queries/articles-by-concept", {"concept": "> } SERVICE <http://x/> {"}, "concept"),
        ("/queries/article-evidence", {"pmid": "1 || true"}, "pmid"),
        ("/queries/article-evidence", {"pmid": ["1", "2"]}, "pmid"),
        ("/queries/timeline", {"since": "2001"}, "since"),
        ("/queries/signature", {"present": "finding/nope"}, "present"),
        ("/articles", {"role": "finding"}, "concept"),
    ],
)
def test_injection_attempts_and_bad_values_are_refused_naming_the_parameter(
    api: httpx.Client, path: str, params: dict[str, object], parameter: str
) -> None:
    assert_problem(api.get(path, params=params), 400, parameter=parameter)  # type: ignore[arg-type]


def test_an_unknown_query_or_path_is_a_problem_too(api: httpx.Client) -> None:
    assert_problem(api.get("/queries/no-such-query"), 404)
    assert_problem(api.post("/queries/timeline"), 405)


# --- articles and concepts ------------------------------------------------------------------


def test_an_article_comes_with_its_record_and_every_assertion(api: httpx.Client) -> None:
    article = assert_envelope(api.get("/articles/90000003"))
    assert article["record"]["title"] == "Lumbar tumoral calcinosis mimicking a synovial cyst."
    assert article["record"]["levels"] == "L4 L5"
    assert article["record"]["retracted"] is False
    assert len(article["evidence"]) == 7
    retracted = assert_envelope(api.get("/articles/90000004"))
    assert retracted["record"]["retracted"] is True  # shown, and marked


def test_an_answer_is_given_again_unworked_until_the_store_changes() -> None:
    store = fixture_store()
    app = create_app(store, QUERIES, settings())
    asked: list[str] = []
    run = app.state.registry.run

    def counted(name: str, *args: object, **kwargs: object) -> object:
        if name in ("article", "article-evidence"):  # not the warm-up's questions
            asked.append(name)
        return run(name, *args, **kwargs)

    app.state.registry.run = counted
    with serve(app) as url, httpx.Client(base_url=url, timeout=30) as client:
        first = client.get("/articles/90000003")
        assert asked == ["article", "article-evidence"]
        again = client.get("/articles/90000003")
        assert asked == ["article", "article-evidence"]  # handed out as it was sent
        assert again.content == first.content
        assert again.headers["content-type"] == first.headers["content-type"]
        assert client.get("/articles/90000003", params={"x": "1"}).status_code == 200
        assert len(asked) == 4  # another query string is another question
        as_csv = client.get("/queries/levels", headers={"accept": "text/csv"})
        as_json = client.get("/queries/levels")
        assert as_csv.headers["content-type"].startswith("text/csv")
        assert as_json.headers["content-type"].startswith("application/json")
        assert client.head("/articles/90000003").content == b""
        store.drop_graphs([g for g in store.graph_names() if g.value.endswith("/90000003")])
        assert client.get("/articles/90000003").status_code == 404  # asked of the store again
        assert asked[4:] == ["article"]
        assert client.get("/articles/99999999").status_code == 404
        assert client.get("/articles/99999999").status_code == 404
        assert asked[5:] == ["article", "article"]  # a refusal is never kept


def test_an_unknown_or_malformed_pmid_is_a_problem(api: httpx.Client) -> None:
    assert_problem(api.get("/articles/99999999"), 404)
    assert_problem(api.get("/articles/12ab"), 400, parameter="pmid")


def test_articles_are_listed_or_found_by_concept_role_and_polarity(api: httpx.Client) -> None:
    listed = assert_envelope(api.get("/articles"))
    assert [a["pmid"] for a in listed] == ["90000006", "90000003", "90000002", "11474353"]
    found = assert_envelope(
        api.get(
            "/articles",
            params={
                "concept": "finding/contrast-enhancement",
                "role": "finding",
                "polarity": "absent",
            },
        )
    )
    assert [a["pmid"] for a in found] == ["90000003", "11474353"]
    assert_problem(
        api.get("/articles", params={"concept": "nothing/here"}), 400, parameter="concept"
    )
    assert_problem(api.get("/articles", params={"polarity": "maybe"}), 422, parameter="polarity")


def test_a_concept_id_with_a_slash_gives_labels_hierarchy_mappings_and_evidence(
    api: httpx.Client,
) -> None:
    concept = assert_envelope(api.get("/concepts/condition/infection"))
    assert concept["pref_label"] == "infection"
    facts = {(f["relation"], f["value"]) for f in concept["facts"]}
    assert ("narrower", "condition/tuberculosis") in facts
    assert ("exactMatch", "http://id.nlm.nih.gov/mesh/D007239") in facts
    assert [(e["role"], e["articles"]) for e in concept["evidence"]] == [("misdiagnosis", 1)]
    assert_problem(api.get("/concepts/condition/no-such-thing"), 404)


def test_the_concept_list_has_evidence_counts_and_filters_by_scheme(api: httpx.Client) -> None:
    findings = assert_envelope(api.get("/concepts", params={"scheme": "finding", "limit": 50}))
    counts = {c["concept"]: c["articles"] for c in findings}
    assert counts["finding/contrast-enhancement"] == 3
    assert all(c.startswith("finding/") for c in counts)


# --- the network ----------------------------------------------------------------------------


def test_the_cooccurrence_network_comes_as_node_link_json_or_graphml(api: httpx.Client) -> None:
    network = assert_envelope(api.get("/graph/cooccurrence"))
    nodes = {n["id"]: n for n in network["nodes"]}
    edges = {frozenset((e["source"], e["target"])): e["weight"] for e in network["links"]}
    assert edges[frozenset(("finding/t1-hypointense", "finding/t2-hypointense"))] == 2
    assert {"degree", "betweenness", "closeness", "community"} <= set(
        nodes["finding/t1-hypointense"]
    )
    graphml = api.get("/graph/cooccurrence", params={"format": "graphml"})
    assert graphml.headers["content-type"] == "application/graphml+xml"
    parsed = nx.read_graphml(io.BytesIO(graphml.content))
    assert set(parsed.nodes) == set(nodes)
    assert parsed.number_of_edges() == len(edges)


# --- limits, CORS ---------------------------------------------------------------------------


def test_a_query_past_the_time_limit_is_abandoned_with_a_503() -> None:
    app = create_app(fixture_store(), QUERIES, settings(query_timeout=0.01))
    slow = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f }"
    with serve(app) as url:
        problem = assert_problem(httpx.get(f"{url}/sparql", params={"query": slow}), 503)
    assert "time limit of 0.01 s" in problem["detail"]
    assert problem["type"].endswith("/problem/query-timeout")


def test_cors_is_off_unless_origins_are_configured() -> None:
    origin = {"origin": "https://example.org"}
    with serve(create_app(OxigraphStore(), QUERIES, settings())) as url:
        assert (
            "access-control-allow-origin" not in httpx.get(f"{url}/health", headers=origin).headers
        )
        sparql = httpx.post(f"{url}/sparql", data={"query": "ASK {}"}, headers=origin)
        assert "access-control-allow-origin" not in sparql.headers
    allowed = settings(cors_origins=["https://example.org"])
    with serve(create_app(OxigraphStore(), QUERIES, allowed)) as url:
        headers = httpx.get(f"{url}/health", headers=origin).headers
        # the SPARQL endpoint, answered ahead of the routes, has CORS too, preflight and all
        sparql = httpx.post(f"{url}/sparql", data={"query": "ASK {}"}, headers=origin)
        preflight = httpx.options(
            f"{url}/sparql",
            headers={**origin, "access-control-request-method": "POST"},
        )
    assert headers["access-control-allow-origin"] == "https://example.org"
    assert sparql.json()["boolean"] is True
    assert sparql.headers["access-control-allow-origin"] == "https://example.org"
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "https://example.org"


# --- schemathesis: whatever the OpenAPI document allows, the server does not fail -----------


def test_no_request_the_openapi_document_allows_gets_a_server_error(api: httpx.Client) -> None:
    """Schemathesis generates requests for every operation (a few each, to stay quick)."""
    schema = schemathesis.openapi.from_url(str(api.base_url.join("/openapi.json")))
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 20
    for operation in operations:

        @given(case=operation.as_strategy())
        @hypothesis_settings(
            max_examples=8,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def no_server_error(case: schemathesis.Case) -> None:
            case.call_and_validate(checks=[not_a_server_error])

        no_server_error()


# --- the seed study, through the real pipeline and extractor --------------------------------


@pytest.fixture(scope="module")
def seed_api() -> Iterator[httpx.Client]:
    store = ingest_files(OxigraphStore(), SEED)
    with (
        serve(create_app(store, QUERIES, settings())) as url,
        httpx.Client(base_url=url, timeout=30) as client,
    ):
        yield client


def test_the_seed_study_reports_no_enhancement_and_no_calcification_on_plain_films(
    seed_api: httpx.Client,
) -> None:
    findings = assert_envelope(seed_api.get("/queries/imaging-findings"))
    seen = {(f["finding"], f["polarity"]) for f in findings}
    assert ("finding/contrast-enhancement", "absent") in seen
    assert ("finding/radiograph-calcification", "absent") in seen


def test_the_seed_study_lists_its_four_misdiagnoses(seed_api: httpx.Client) -> None:
    mistaken = {m["misdiagnosis"] for m in assert_envelope(seed_api.get("/queries/misdiagnoses"))}
    assert {
        "condition/neoplasm",
        "condition/infection",
        "condition/disc-herniation",
        "condition/cyst",
    } <= mistaken


# --- kb serve: the command that owns the store while it serves ------------------------------


def test_kb_serve_answers_on_its_port_while_the_cli_reads_beside_it(tmp_path: Path) -> None:
    home = write_fixture_home(tmp_path)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if k != "KB_ACCESS_LOG"}
    env.update(KB_HOME=str(home), KB_STORE="")
    command = [sys.executable, "-m", "kb", "serve", "--port", str(port)]
    output = {"stdout": subprocess.PIPE, "stderr": subprocess.STDOUT, "text": True}
    with subprocess.Popen(command, env=env, **output) as server:
        try:
            health = until_healthy(server, f"http://127.0.0.1:{port}")
            assert assert_envelope(health)["counts"]["articles"] == 6
            # Reading commands work beside the server (the store opens read-only) and say
            # what the server says; writing ones still find the store held.
            beside = subprocess.run(
                [sys.executable, "-m", "kb", "query", "timeline", "--format", "json"],
                env=env,
                capture_output=True,
            )
            assert beside.returncode == 0, beside.stderr
            served = assert_envelope(httpx.get(f"http://127.0.0.1:{port}/queries/timeline"))
            assert json.loads(beside.stdout)["rows"] == served
            runs = subprocess.run(
                [sys.executable, "-m", "kb", "runs"], env=env, capture_output=True
            )
            assert runs.returncode == 0, runs.stderr
            load = subprocess.run(
                [sys.executable, "-m", "kb", "load", str(FIXTURE)],
                env=env,
                capture_output=True,
            )
            assert load.returncode == 3, load.stderr  # the store is the server's to write
        finally:
            server.terminate()
            server.wait(timeout=20)
        assert server.stdout is not None
        assert "GET /health" not in server.stdout.read()  # no access log unless KB_ACCESS_LOG


def test_kb_serve_logs_each_request_when_asked(tmp_path: Path) -> None:
    home = write_fixture_home(tmp_path)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "KB_HOME": str(home), "KB_STORE": "", "KB_ACCESS_LOG": "true"}
    command = [sys.executable, "-m", "kb", "serve", "--port", str(port)]
    output = {"stdout": subprocess.PIPE, "stderr": subprocess.STDOUT, "text": True}
    with subprocess.Popen(command, env=env, **output) as server:
        try:
            until_healthy(server, f"http://127.0.0.1:{port}").raise_for_status()
            httpx.post(f"http://127.0.0.1:{port}/sparql", data={"query": "ASK {}"})
        finally:
            server.terminate()
            server.wait(timeout=20)
        assert server.stdout is not None
        log = server.stdout.read()
    assert '"GET /health HTTP/1.1" 200' in log and '"POST /sparql HTTP/1.1" 200' in log
