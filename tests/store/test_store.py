"""The stores: Oxigraph in memory and on disk, and Virtuoso over the SPARQL protocols."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest

from kb import iris
from kb.errors import ParameterError, StoreError
from kb.store import OxigraphStore, Store, open_store
from kb.store.remote import RemoteStore
from kb.store.sparql import bind_values, query_form, where_position

XSD = iris.PREFIXES["xsd"]
P = iris.term("p")

# Literals a record can hold that break naive serialisation; every store must keep them as is.
AWKWARD = [
    ox.Literal("plain"),
    ox.Literal('multi\nline\ttab "quoted" back\\slash { } ; # DROP ALL'),
    ox.Literal("' } } ; DROP ALL GRAPHS ; INSERT DATA { <a> <b> <c> } #"),
    ox.Literal("émoji 😀 ü ∑", language="de"),
    ox.Literal("a\r\nb"),
    ox.Literal(""),
    ox.Literal("2001", datatype=ox.NamedNode(XSD + "gYear")),
    ox.Literal("2001-08", datatype=ox.NamedNode(XSD + "gYearMonth")),
    ox.Literal("2001-08-01", datatype=ox.NamedNode(XSD + "date")),
    ox.Literal("2024-01-01T10:00:00Z", datatype=ox.NamedNode(XSD + "dateTime")),
    ox.Literal("true", datatype=ox.NamedNode(XSD + "boolean")),
    ox.Literal("42", datatype=ox.NamedNode(XSD + "integer")),
]


def graph(name: str) -> ox.NamedNode:
    return ox.NamedNode(iris.GRAPH + "test/" + name)


def node(name: str) -> ox.NamedNode:
    return ox.NamedNode(iris.DATA + "test/" + name)


def quads(name: str, values: list[str]) -> list[ox.Quad]:
    return [ox.Quad(node(name), P, ox.Literal(v), graph(name)) for v in values]


def awkward_quads() -> list[ox.Quad]:
    return [ox.Quad(node("s"), iris.term(f"p{i}"), v, graph("lit")) for i, v in enumerate(AWKWARD)]


def values(store: Store, name: str) -> set[str]:
    return {q.object.value for q in store.quads(graph(name))}  # type: ignore[union-attr]


def test_replacing_a_graph_replaces_it_whole_and_leaves_the_others(any_store: Store) -> None:
    any_store.replace_graphs(
        {graph("a"): quads("a", ["1", "2", "3"]), graph("b"): quads("b", ["x"])}
    )
    any_store.replace_graphs({graph("a"): quads("a", ["4"])})
    assert values(any_store, "a") == {"4"}
    assert values(any_store, "b") == {"x"}
    assert {graph("a"), graph("b")} <= any_store.graph_names()


def test_dropping_graphs_removes_them_whole(any_store: Store) -> None:
    any_store.replace_graphs({graph("a"): quads("a", ["1"]), graph("b"): quads("b", ["2"])})
    any_store.drop_graphs([graph("a"), graph("never-was")])
    assert graph("a") not in any_store.graph_names()
    assert values(any_store, "b") == {"2"}


def test_a_description_is_replaced_without_touching_other_subjects(any_store: Store) -> None:
    g = graph("runs")
    other = ox.Quad(node("other"), P, ox.Literal("kept"), g)
    any_store.add_quads([other, ox.Quad(node("run"), P, ox.Literal("running"), g)])
    any_store.replace_description(g, node("run"), [ox.Quad(node("run"), P, ox.Literal("done"), g)])
    assert values(any_store, "runs") == {"kept", "done"}


def test_awkward_literals_are_stored_and_read_back_unchanged(any_store: Store) -> None:
    written = [
        ox.Quad(node("s"), iris.term(f"p{i}"), v, graph("lit")) for i, v in enumerate(AWKWARD)
    ]
    any_store.replace_graphs({graph("lit"): written})
    assert set(any_store.quads(graph("lit"))) == set(written)
    assert any_store.graph_names() >= {graph("lit")}


@pytest.mark.parametrize("value", AWKWARD[:6], ids=lambda v: repr(v.value)[:20])
def test_bound_literals_select_exactly_their_triple(any_store: Store, value: ox.Literal) -> None:
    written = [
        ox.Quad(node("s"), iris.term(f"p{i}"), v, graph("lit")) for i, v in enumerate(AWKWARD)
    ]
    any_store.replace_graphs({graph("lit"): written})
    rows = any_store.select(
        f"SELECT * WHERE {{ GRAPH {graph('lit')} {{ ?s ?p ?o }} }}", {"o": value}
    )
    assert [r["p"] for r in rows] == [iris.term(f"p{AWKWARD.index(value)}")]


def test_a_bound_iri_cannot_widen_the_query(any_store: Store) -> None:
    any_store.replace_graphs({graph("a"): quads("a", ["1"]), graph("b"): quads("b", ["2"])})
    rows = any_store.select("SELECT ?s ?v WHERE { ?s ?p ?v } ", {"s": node("a")})
    assert [r["v"].value for r in rows] == ["1"]  # type: ignore[union-attr]


def test_the_default_graph_is_the_union_of_the_named_graphs(any_store: Store) -> None:
    any_store.replace_graphs({graph("a"): quads("a", ["1"]), graph("b"): quads("b", ["2"])})
    rows = any_store.select(f"SELECT ?v WHERE {{ ?s {P} ?v }}")
    assert {r["v"].value for r in rows} >= {"1", "2"}  # type: ignore[union-attr]


def test_ask_and_construct_answer_with_pyoxigraph_types(any_store: Store) -> None:
    any_store.replace_graphs({graph("a"): quads("a", ["1"])})
    assert bool(any_store.query(f"ASK {{ ?s {P} '1' }}")) is True
    assert bool(any_store.query(f"ASK {{ ?s {P} 'nope' }}")) is False
    result = any_store.query(f"CONSTRUCT {{ ?s {P} ?o }} WHERE {{ ?s {P} ?o }}")
    assert isinstance(result, ox.QueryTriples)
    assert ox.Triple(node("a"), P, ox.Literal("1")) in set(result)


def test_a_failing_update_changes_nothing(any_store: Store) -> None:
    any_store.replace_graphs({graph("a"): quads("a", ["old"])})
    if isinstance(any_store, RemoteStore):
        # Virtuoso fails at run time on a literal it cannot convert
        breaker = (
            f'INSERT DATA {{ GRAPH {graph("z")} {{ {node("z")} {P} "abc"^^<{XSD}integer> }} }}'
        )
    else:
        breaker = f"DROP GRAPH {graph('never-was')}"  # Oxigraph fails at run time on this
    insert = f"INSERT DATA {{ GRAPH {graph('a')} {{ {node('a')} {P} 'new' }} }}"
    update = f"DROP SILENT GRAPH {graph('a')} ; {insert} ; {breaker}"
    with pytest.raises(StoreError):
        any_store.update(update)
    assert values(any_store, "a") == {"old"}


def test_readers_never_see_half_a_replacement(any_store: Store) -> None:
    names = [f"r{i}" for i in range(4)]
    size = 60

    def version(v: str) -> dict[ox.NamedNode, list[ox.Quad]]:
        return {graph(n): quads(n, [f"{v}-{k}" for k in range(size)]) for n in names}

    any_store.replace_graphs(version("v0"))
    seen: list[set[str]] = []
    stop = threading.Event()

    def read() -> None:
        query = f"SELECT ?v WHERE {{ ?s {P} ?v FILTER(STRSTARTS(STR(?s), '{iris.DATA}test/r')) }}"
        while not stop.is_set():
            rows = any_store.select(query)
            assert all("v" in r for r in rows), "a reader got rows with their values missing"
            seen.append({r["v"].value.split("-")[0] for r in rows})  # type: ignore[union-attr]
            assert len(rows) == size * len(names)

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for i in range(1, 15):
            any_store.replace_graphs(version(f"v{i}"))
    finally:
        stop.set()
        reader.join()
    assert seen and all(len(versions) == 1 for versions in seen)


def test_every_write_moves_the_generation(any_store: Store) -> None:
    before = any_store.generation
    any_store.replace_graphs({graph("a"): quads("a", ["1"])})
    any_store.add_quads(quads("b", ["2"]))
    assert any_store.generation >= before + 2


def test_a_second_process_is_told_the_store_is_locked(tmp_path: Path) -> None:
    path = tmp_path / "store"
    code = f"from kb.store import OxigraphStore\nOxigraphStore({str(path)!r})"
    with OxigraphStore(path):
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode != 0
    assert "LockedError" in done.stderr and "open in another process" in done.stderr
    assert str(path) in done.stderr
    again = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert again.returncode == 0, again.stderr  # the lock goes with close()


def test_open_store_picks_the_store_from_the_location(tmp_path: Path) -> None:
    assert isinstance(open_store(None), OxigraphStore)
    disk = open_store(tmp_path / "s")
    assert isinstance(disk, OxigraphStore) and disk.path == tmp_path / "s"
    disk.close()
    remote = open_store("http://127.0.0.1:9/sparql")
    assert isinstance(remote, RemoteStore) and remote.query_url == "http://127.0.0.1:9/sparql"
    remote.close()


def test_an_unreachable_server_is_a_store_error_naming_it() -> None:
    store = RemoteStore("http://127.0.0.1:9/sparql", timeout=2)
    with store, pytest.raises(StoreError, match=r"127\.0\.0\.1:9/sparql"):
        store.select("SELECT * WHERE { ?s ?p ?o }")


def test_a_refused_query_is_a_store_error_with_the_servers_words() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(400, text="Virtuoso 37000 Error SP030: syntax error\nmore")

    client = httpx.Client(transport=httpx.MockTransport(answer))
    store = RemoteStore("http://sparql.test/sparql", client=client)
    with store, pytest.raises(StoreError, match="answered 400: Virtuoso 37000 Error SP030"):
        store.select("SELECT * WHERE { ?s ?p ?o }")


# --- binding on a remote store: where the VALUES block goes ---------------------------------


@pytest.mark.parametrize(
    ("query", "marker"),
    [
        ("SELECT ?x WHERE { ?x ?p ?o }", "{ ?x ?p"),
        ("SELECT * { ?x ?p ?o }", "{ ?x ?p"),
        ('SELECT (CONCAT("{", ?x) AS ?y) WHERE { ?x ?p ?o }', "{ ?x ?p"),
        ("PREFIX ex: <http://ex/a#> SELECT ?x WHERE { ?x ex:p ?o }", "{ ?x ex:p"),
        ("# a { comment\nSELECT ?x WHERE { ?x ?p ?o }", "{ ?x ?p"),
        ("CONSTRUCT { ?x ?p ?o } WHERE { ?x ?p ?o . }", "{ ?x ?p ?o . }"),
        ("CONSTRUCT { ?x ?p ?o } { ?x ?p ?o . }", "{ ?x ?p ?o . }"),
        ("CONSTRUCT WHERE { ?x ?p ?o }", "{ ?x ?p"),
        ("ASK { ?x ?p ?o }", "{ ?x ?p"),
        ("SELECT ?x WHERE { { SELECT ?x WHERE { ?x ?p ?o } } }", "{ { SELECT"),
        ("SELECT ?where WHERE { ?where ?p '''a { b''' }", "{ ?where"),
    ],
)
def test_the_values_block_goes_first_in_the_outer_where_clause(query: str, marker: str) -> None:
    assert query[where_position(query) - 1 :].startswith(marker)


def test_bound_values_are_written_as_escaped_terms() -> None:
    text = bind_values(
        "SELECT ?t WHERE { ?a ?p ?t }",
        {"a": ox.NamedNode("http://ex/1"), "t": ox.Literal('x" } ; DROP ALL #')},
    )
    assert text == (
        'SELECT ?t WHERE { VALUES (?a ?t) { (<http://ex/1> "x\\" } ; DROP ALL #") } ?a ?p ?t }'
    )
    ox.Store().query(text)  # still one valid query


def test_bindings_that_cannot_be_sent_are_refused_by_name() -> None:
    with pytest.raises(ParameterError, match="'a b'"):
        bind_values("SELECT * WHERE { ?s ?p ?o }", {"a b": ox.Literal("x")})
    with pytest.raises(ParameterError, match="'s'"):
        bind_values("SELECT * WHERE { ?s ?p ?o }", {"s": ox.BlankNode()})
    with pytest.raises(StoreError, match="WHERE clause"):
        bind_values("DESCRIBE <http://ex/1>", {"s": ox.Literal("x")})


@pytest.mark.parametrize(
    ("query", "form"),
    [
        ("PREFIX select: <http://ex/> ASK { ?s ?p ?o }", "ASK"),
        ("# CONSTRUCT\nselect * {}", "SELECT"),
        ("DESCRIBE <http://ex/1>", "DESCRIBE"),
    ],
)
def test_the_query_form_is_read_past_prefixes_and_comments(query: str, form: str) -> None:
    assert query_form(query) == form


def test_quads_of_a_shared_graph_are_added_with_the_graphs_never_dropped(
    any_store: Store,
) -> None:
    shared = graph("shared")
    first = ox.Quad(node("c1"), P, ox.Literal("claim 1"), shared)
    second = ox.Quad(node("c2"), P, ox.Literal("claim 2"), shared)
    any_store.replace_graphs({graph("a"): [*quads("a", ["1"]), first]})
    any_store.replace_graphs({graph("a"): [*quads("a", ["2"]), second]})
    assert values(any_store, "a") == {"2"}
    assert set(any_store.quads(shared)) == {first, second}


def test_a_quad_in_the_default_graph_or_in_another_replaced_graph_is_refused(
    any_store: Store,
) -> None:
    stray = ox.Quad(node("a"), P, ox.Literal("x"))
    with pytest.raises(StoreError, match="cannot be written"):
        any_store.replace_graphs({graph("a"): [stray]})
    with pytest.raises(StoreError, match="cannot be written"):
        any_store.replace_graphs({graph("a"): quads("b", ["1"]), graph("b"): []})
    assert not {graph("a"), graph("b")} & any_store.graph_names()
