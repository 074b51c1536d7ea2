"""The SPARQL endpoint: an independent client for every format, the refusals, and the W3C tests."""

from __future__ import annotations

import csv
import io
import json
import threading
import warnings
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from xml.dom.minidom import Document

import httpx
import pyoxigraph as ox
import pytest
import rdflib
from click.testing import CliRunner
from rdflib.namespace import RDF
from SPARQLWrapper import (
    CSV,
    JSON,
    JSONLD,
    N3,
    POST,
    POSTDIRECTLY,
    RDFXML,
    TSV,
    TURTLE,
    XML,
    SPARQLWrapper,
)

from kb.api import create_app
from kb.cli import cli
from kb.errors import QueryError, ReadOnlyError
from kb.query.named import read_queries
from kb.query.protocol import OFFERS, choose_format, parse_accept, vet_query
from kb.settings import get_settings
from kb.store import OxigraphStore
from tests.support.graphs import fixture_store, write_fixture_home
from tests.support.paths import SHARED, need
from tests.support.server import assert_problem, serve

COUNT_ARTICLES = (
    "PREFIX tc: <https://w3id.org/tckb/ontology#> "
    "SELECT (COUNT(?a) AS ?n) WHERE { ?a a tc:Article }"
)
ARTICLE_TRIPLES = (
    "PREFIX dcterms: <http://purl.org/dc/terms/> "
    "CONSTRUCT { ?a dcterms:title ?t } WHERE { ?a dcterms:identifier ?id ; dcterms:title ?t }"
)


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    app = create_app(fixture_store(), read_queries(), get_settings(store="memory", row_cap=50))
    with serve(app) as url:
        yield f"{url}/sparql"


def wrapper(endpoint: str, query: str, fmt: str, method: str = "GET") -> Any:
    client = SPARQLWrapper(endpoint)
    client.setQuery(query)
    client.setReturnFormat(fmt)
    if method == "POST":
        client.setMethod(POST)
    elif method == "POSTDIRECTLY":
        client.setMethod(POST)
        client.setRequestMethod(POSTDIRECTLY)
    return client.query()


# --- the protocol core, without HTTP ------------------------------------------------------


def test_accept_headers_are_read_with_their_q_values() -> None:
    assert parse_accept("text/csv;q=0.5, application/json , */*;q=0") == [
        ("text/csv", 0.5),
        ("application/json", 1.0),
        ("*/*", 0.0),
    ]
    assert parse_accept("text/csv;q=bogus") == [("text/csv", 0.0)]


@pytest.mark.parametrize(
    ("form", "fmt", "accept", "chosen"),
    [
        ("SELECT", None, None, "json"),
        ("SELECT", None, "application/sparql-results+xml;q=0.2, text/tab-separated-values", "tsv"),
        ("SELECT", None, "text/*;q=0.3, application/sparql-results+xml;q=0.2", "csv"),
        ("SELECT", ["", "csv"], "application/json", "csv"),
        ("CONSTRUCT", None, "application/n-triples, text/turtle;q=0.5", "nt"),
        ("CONSTRUCT", "json", None, "jsonld"),
        ("DESCRIBE", None, "text/n3", "ttl"),
        ("ASK", None, "application/xml", "xml"),
    ],
)
def test_the_format_is_chosen_by_parameter_then_by_accept(
    form: str, fmt: Any, accept: str | None, chosen: str
) -> None:
    assert choose_format(OFFERS[form], fmt, accept).name == chosen


def test_vetting_tells_the_query_form_and_refuses_updates_and_service() -> None:
    assert vet_query("DESCRIBE <http://example.org/>").form == "DESCRIBE"
    assert vet_query("SELECT * FROM <http://example.org/g> { ?s ?p ?o }").has_dataset
    assert not vet_query("SELECT * { ?s ?p ?o }").has_dataset
    with pytest.raises(ReadOnlyError):
        vet_query("CLEAR ALL")
    with pytest.raises(QueryError, match="SERVICE"):
        vet_query("ASK { FILTER EXISTS { SERVICE <http://x/> { ?s ?p ?o } } }")
    with pytest.raises(QueryError, match="longer than"):
        vet_query("ASK {}" + " " * 100_001)


# --- SPARQLWrapper, every format ------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "POST", "POSTDIRECTLY"])
def test_sparqlwrapper_reads_select_as_json_over_each_method(endpoint: str, method: str) -> None:
    result = wrapper(endpoint, COUNT_ARTICLES, JSON, method).convert()
    assert result["results"]["bindings"][0]["n"]["value"] == "6"


def test_sparqlwrapper_reads_select_as_xml(endpoint: str) -> None:
    document = wrapper(endpoint, COUNT_ARTICLES, XML).convert()
    assert isinstance(document, Document)
    [literal] = document.getElementsByTagName("literal")
    assert literal.firstChild.data == "6"


@pytest.mark.parametrize(("fmt", "delimiter"), [(CSV, ","), (TSV, "\t")])
def test_sparqlwrapper_reads_select_as_csv_and_tsv(endpoint: str, fmt: str, delimiter: str) -> None:
    response = wrapper(endpoint, COUNT_ARTICLES, fmt)
    text = response.convert().decode("utf-8")
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    assert rows[0] == (["n"] if fmt == CSV else ["?n"])
    assert rows[1][0] in ("6", '"6"^^<http://www.w3.org/2001/XMLSchema#integer>', "6")


@pytest.mark.parametrize("fmt", [JSON, XML])
def test_sparqlwrapper_reads_ask_answers(endpoint: str, fmt: str) -> None:
    yes = wrapper(endpoint, "ASK { ?s ?p ?o }", fmt).convert()
    no = wrapper(endpoint, "ASK { <http://example.org/nothing> ?p ?o }", fmt).convert()
    if fmt == JSON:
        assert (yes["boolean"], no["boolean"]) == (True, False)
    else:
        values = [d.getElementsByTagName("boolean")[0].firstChild.data for d in (yes, no)]
        assert values == ["true", "false"]


@pytest.mark.parametrize(
    ("fmt", "syntax"), [(TURTLE, "turtle"), (N3, "turtle"), (RDFXML, "xml"), (JSONLD, "json-ld")]
)
def test_sparqlwrapper_reads_construct_graphs_in_every_rdf_format(
    endpoint: str, fmt: str, syntax: str
) -> None:
    # SPARQLWrapper negotiates; rdflib parses the bytes (SPARQLWrapper's own conversion of
    # RDF/XML and JSON-LD builds a deprecated rdflib ConjunctiveGraph).
    body = wrapper(endpoint, ARTICLE_TRIPLES, fmt).response.read()
    with warnings.catch_warnings():
        # rdflib's JSON-LD parser builds a ConjunctiveGraph inside, which rdflib deprecates.
        warnings.simplefilter("ignore", DeprecationWarning)
        graph = rdflib.Graph().parse(data=body, format=syntax)
    titles = {str(o) for o in graph.objects()}
    assert "Lumbar tumoral calcinosis mimicking a synovial cyst." in titles
    assert len(graph) == 6


def test_describe_answers_with_a_graph(endpoint: str) -> None:
    response = httpx.get(
        endpoint,
        params={"query": "DESCRIBE <https://w3id.org/tckb/id/article/90000003>"},
        headers={"accept": "application/n-triples"},
    )
    assert response.headers["content-type"] == "application/n-triples"
    graph = rdflib.Graph().parse(data=response.text, format="nt")
    assert len(graph) > 10


# --- negotiation, dataset, limits -----------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "fmt", "media"),
    [
        ("text/csv;q=0.5, application/sparql-results+xml", None, "application/sparql-results+xml"),
        ("text/csv, application/sparql-results+xml;q=0.9", None, "text/csv; charset=utf-8"),
        ("*/*", None, "application/sparql-results+json"),
        ("text/*", None, "text/csv; charset=utf-8"),
        ("application/json", None, "application/sparql-results+json"),
        ("text/csv", "tsv", "text/tab-separated-values; charset=utf-8"),
    ],
)
def test_the_answer_format_follows_accept_q_values_unless_format_is_given(
    endpoint: str, accept: str, fmt: str | None, media: str
) -> None:
    params = {"query": COUNT_ARTICLES} | ({"format": fmt} if fmt else {})
    response = httpx.get(endpoint, params=params, headers={"accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"] == media


def test_an_unacceptable_accept_header_is_a_406_problem(endpoint: str) -> None:
    response = httpx.get(endpoint, params={"query": "ASK {}"}, headers={"accept": "text/csv"})
    assert "application/sparql-results+json" in assert_problem(response, 406)["detail"]


def test_the_protocol_dataset_narrows_the_default_graph(endpoint: str) -> None:
    graph = "https://w3id.org/tckb/graph/article/90000003"
    response = httpx.get(endpoint, params={"query": COUNT_ARTICLES, "default-graph-uri": graph})
    assert response.json()["results"]["bindings"][0]["n"]["value"] == "1"
    named = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    response = httpx.get(endpoint, params={"query": named, "named-graph-uri": [graph]})
    assert [b["g"]["value"] for b in response.json()["results"]["bindings"]] == [graph]


def test_an_answer_past_the_row_cap_is_cut_and_says_so(endpoint: str) -> None:
    response = httpx.get(endpoint, params={"query": "SELECT * WHERE { ?s ?p ?o }"})
    assert len(response.json()["results"]["bindings"]) == 50
    assert response.headers["kb-truncated"] == "row-cap=50"
    small = httpx.get(endpoint, params={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 3"})
    assert "kb-truncated" not in small.headers


# --- refusals ------------------------------------------------------------------------------


@pytest.fixture
def trap() -> Iterator[tuple[str, list[str]]]:
    """A local HTTP server that records every request it gets (none should come)."""
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()

        do_POST = do_GET

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/", hits
    server.shutdown()
    server.server_close()


def test_updates_are_refused_by_every_route_and_change_nothing(
    endpoint: str, trap: tuple[str, list[str]]
) -> None:
    url, hits = trap
    before = httpx.get(endpoint, params={"query": COUNT_ARTICLES}).json()
    attempts = [
        httpx.post(endpoint, data={"update": "DROP ALL"}),
        httpx.post(endpoint, data={"query": "DROP ALL"}),
        httpx.post(endpoint, data={"query": f"LOAD <{url}data.ttl>"}),
        httpx.get(endpoint, params={"update": "CLEAR ALL"}),
        httpx.get(endpoint, params={"query": "DELETE WHERE { ?s ?p ?o }"}),
        httpx.post(
            endpoint,
            content=f"LOAD <{url}x>",
            headers={"content-type": "application/sparql-update"},
        ),
        httpx.post(
            endpoint,
            content="INSERT DATA { <http://x/s> <http://x/p> 1 }",
            headers={"content-type": "application/sparql-query"},
        ),
    ]
    for response in attempts:
        problem = assert_problem(response, 400)
        assert "read-only" in problem["detail"]
    assert httpx.get(endpoint, params={"query": COUNT_ARTICLES}).json() == before
    assert hits == []


@pytest.mark.parametrize(
    "template",
    [
        "SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
        "SELECT * WHERE {{ ?s ?p ?o OPTIONAL {{ SERVICE SILENT <{url}> {{ ?s ?q ?r }} }} }}",
        "ASK {{ {{ SELECT ?s WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }} }} }}",
        "CONSTRUCT {{ ?s ?p ?o }} WHERE {{ ?x ?y ?z MINUS {{ SERVICE <{url}> {{ ?s ?p ?o }} }} }}",
    ],
)
def test_service_is_refused_wherever_it_hides_and_no_request_leaves(
    endpoint: str, trap: tuple[str, list[str]], template: str
) -> None:
    url, hits = trap
    response = httpx.get(endpoint, params={"query": template.format(url=url)})
    assert "SERVICE" in assert_problem(response, 400)["detail"]
    assert hits == []


def test_a_syntax_error_says_where(endpoint: str) -> None:
    problem = assert_problem(httpx.get(endpoint, params={"query": "SELECT * WHERE {\n ?s ?p"}), 400)
    assert "line 2" in problem["detail"]


def test_posting_without_a_known_type_is_refused(endpoint: str) -> None:
    assert_problem(httpx.post(endpoint, content=b"ASK {}"), 415)
    bad_utf8 = httpx.post(
        endpoint, content=b"ASK {} \xff", headers={"content-type": "application/sparql-query"}
    )
    assert_problem(bad_utf8, 400)


# --- the W3C SPARQL 1.1 Protocol tests ------------------------------------------------------

W3C = SHARED / "data" / "w3c-sparql-protocol"
MF = rdflib.Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = rdflib.Namespace("http://www.w3.org/2011/http#")
CNT = rdflib.Namespace("http://www.w3.org/2011/content#")
UT = rdflib.Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
HTS = rdflib.Namespace("http://www.w3.org/2011/http-statusCodes#")
RESULT_TYPES = {
    "boolean": ("application/sparql-results+json", "application/sparql-results+xml"),
    "tabular": (
        "application/sparql-results+json",
        "application/sparql-results+xml",
        "text/csv",
        "text/tab-separated-values",
    ),
    "RDF": ("text/turtle", "application/n-triples", "application/rdf+xml", "application/ld+json"),
}


def read_manifest() -> tuple[rdflib.Graph, list[rdflib.term.Node]]:
    graph = rdflib.Graph().parse(W3C / "manifest.ttl", format="turtle", publicID=W3C.as_uri() + "/")
    [manifest] = graph.subjects(RDF.type, MF.Manifest)
    entries = list(rdflib.collection.Collection(graph, graph.value(manifest, MF.entries)))
    return graph, entries


def judged(graph: rdflib.Graph, test: rdflib.term.Node) -> bool:
    """A read-only endpoint is judged on query tests and on every bad-request test."""
    name = str(test).rsplit("#", 1)[-1]
    return name.startswith(("query_", "bad_"))


def manifest_cases() -> list[Any]:
    if not (W3C / "manifest.ttl").is_file():
        return [pytest.param(None, id="manifest-missing")]
    graph, entries = read_manifest()
    return [pytest.param(t, id=str(t).rsplit("#", 1)[-1]) for t in entries if judged(graph, t)]


@pytest.fixture(scope="module")
def w3c_endpoint() -> Iterator[str]:
    """An endpoint holding the W3C data files under the graph names the manifest gives."""
    need((W3C / "manifest.ttl").is_file(), f"{W3C} is absent")
    graph, _ = read_manifest()
    store = OxigraphStore()
    for data in set(graph.objects(None, UT.graphData)):
        name = str(graph.value(data, rdflib.RDFS.label))
        path = Path(str(graph.value(data, UT.graph)).removeprefix("file://"))
        store.oxigraph.load(
            path=str(path), format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(name)
        )
    with serve(create_app(store, read_queries(), get_settings(store="memory"))) as url:
        yield url


def send(base: str, graph: rdflib.Graph, request: rdflib.term.Node) -> httpx.Response:
    path = str(graph.value(request, HT.absolutePath)).replace("/sparql/", "/sparql", 1)
    headers = {}
    headers_list = graph.value(request, HT.headers)
    if headers_list is not None:
        for header in rdflib.collection.Collection(graph, headers_list):
            headers[str(graph.value(header, HT.fieldName))] = str(
                graph.value(header, HT.fieldValue)
            )
    content = None
    body = graph.value(request, HT.body)
    if body is not None:
        encoding = str(graph.value(body, CNT.characterEncoding) or "UTF-8")
        content = str(graph.value(body, CNT.chars)).encode(encoding)
    method = str(graph.value(request, HT.methodName))
    return httpx.request(method, base + path, headers=headers, content=content)


def check(graph: rdflib.Graph, response: httpx.Response, expected: rdflib.term.Node) -> None:
    statuses = {
        str(s).rsplit("StatusCode", 1)[-1] for s in graph.objects(expected, MF.expectedStatus)
    }
    assert f"{response.status_code // 100}xx" in statuses, (response.status_code, response.text)
    fmt = graph.value(expected, MF.expectedFormat)
    if fmt is not None:
        media = response.headers["content-type"].split(";")[0]
        assert media in RESULT_TYPES[str(fmt)], media
    boolean = graph.value(expected, MF.expectedBoolean)
    if boolean is not None:
        result = ox.parse_query_results(
            response.content,
            ox.QueryResultsFormat.from_media_type(response.headers["content-type"]),
        )
        assert bool(result) is boolean.toPython()


@pytest.mark.parametrize("test", manifest_cases())
def test_w3c_protocol(w3c_endpoint: str, test: rdflib.term.Node) -> None:
    graph, _ = read_manifest()
    action = graph.value(test, MF.action)
    for request in rdflib.collection.Collection(graph, graph.value(action, HT.requests)):
        check(graph, send(w3c_endpoint, graph, request), graph.value(request, HT.resp))


def test_the_w3c_tests_judged_are_every_query_and_bad_request_test() -> None:
    need((W3C / "manifest.ttl").is_file(), f"{W3C} is absent")
    graph, entries = read_manifest()
    names = [str(t).rsplit("#", 1)[-1] for t in entries if judged(graph, t)]
    assert len(names) == 27  # 13 query tests (6 of them with data loaded), 14 bad requests
    no_data = [t for t in entries if judged(graph, t) and (t, UT.graphData, None) not in graph]
    assert len(no_data) == 21


# --- kb sparql: the same checks from the command line ---------------------------------------


@pytest.fixture(scope="module")
def kb_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    home = write_fixture_home(tmp_path_factory.mktemp("kb-home"))
    return {"KB_HOME": str(home), "KB_STORE": "", "KB_ROW_CAP": "4"}


def test_kb_sparql_runs_a_query_from_the_command_line_or_a_file(
    kb_env: dict[str, str], tmp_path: Path
) -> None:
    result = CliRunner().invoke(cli, ["sparql", COUNT_ARTICLES, "--format", "csv"], env=kb_env)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == ["n", "6"]
    query = tmp_path / "titles.rq"
    query.write_text(ARTICLE_TRIPLES)
    graph = CliRunner().invoke(cli, ["sparql", f"@{query}", "--format", "nt"], env=kb_env)
    assert graph.exit_code == 0, graph.output
    assert len(rdflib.Graph().parse(data=graph.stdout, format="nt")) == 4  # cut at the cap


def test_kb_sparql_says_on_stderr_when_the_row_cap_cut_the_answer(kb_env: dict[str, str]) -> None:
    result = CliRunner().invoke(cli, ["sparql", "SELECT * { ?s ?p ?o }"], env=kb_env)
    assert result.exit_code == 0
    assert len(json.loads(result.stdout)["results"]["bindings"]) == 4
    assert "cut at 4 rows" in result.stderr


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("DROP ALL", "read-only"),
        ("LOAD <http://127.0.0.1:9/x.ttl>", "read-only"),
        ("SELECT * { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }", "SERVICE"),
        ("SELECT * {", "invalid SPARQL"),
    ],
)
def test_kb_sparql_refuses_what_the_endpoint_refuses(
    kb_env: dict[str, str], query: str, message: str
) -> None:
    result = CliRunner().invoke(cli, ["sparql", query], env=kb_env)
    assert result.exit_code == 2
    assert message in result.output
    count = CliRunner().invoke(cli, ["sparql", COUNT_ARTICLES, "--format", "csv"], env=kb_env)
    assert count.output.splitlines() == ["n", "6"]


def test_relative_iris_in_a_query_resolve_against_the_endpoint(endpoint: str) -> None:
    query = "SELECT ?x ?y WHERE { BIND(<#1> AS ?x) BIND(<thing> AS ?y) }"
    for answer in (
        httpx.get(endpoint, params={"query": query, "default-graph-uri": "http://ex/g"}),
        httpx.post(endpoint, data={"query": query}),
    ):
        assert answer.status_code == 200, answer.text
        row = answer.json()["results"]["bindings"][0]
        # the endpoint's URL, less its query string, is the base
        assert row["x"] == {"type": "uri", "value": endpoint + "#1"}
        assert row["y"] == {"type": "uri", "value": endpoint.removesuffix("sparql") + "thing"}
