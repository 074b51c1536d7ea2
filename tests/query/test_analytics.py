"""The co-occurrence network: built from the named queries, weighted, analysed, written out."""

from __future__ import annotations

import io
import json
from pathlib import Path

import networkx as nx
import pytest
from click.testing import CliRunner

from kb.cli import cli
from kb.query.analytics import analyse, build_network, read_network, to_graphml, to_node_link
from kb.query.named import read_queries
from kb.query.registry import Registry, Table
from tests.support.graphs import fixture_store, sample_store, write_fixture_home


@pytest.fixture(scope="module")
def registry() -> Registry:
    return Registry(fixture_store(), read_queries())


def pairs(*rows: tuple[str, str, int]) -> Table:
    return Table(
        columns=("concept_a", "concept_b", "articles"),
        rows=tuple({"concept_a": a, "concept_b": b, "articles": n} for a, b, n in rows),
    )


NO_CONCEPTS = Table(columns=("concept",), rows=())


def test_edges_are_weighted_by_the_articles_that_assert_both(registry: Registry) -> None:
    graph = read_network(registry)
    assert graph["finding/t1-hypointense"]["finding/t2-hypointense"]["weight"] == 2
    assert graph["finding/contrast-enhancement"]["condition/meningioma"]["weight"] == 1
    # Only present assertions pair up by default: "no enhancement" is not "enhancement".
    assert not graph.has_edge("finding/contrast-enhancement", "condition/disc-herniation")
    absent = read_network(registry, {"polarity": "absent"})
    assert [tuple(sorted(e)) for e in absent.edges] == [
        ("finding/contrast-enhancement", "finding/radiograph-calcification")
    ]


def test_nodes_carry_labels_schemes_and_evidence_from_the_concepts_query(
    registry: Registry,
) -> None:
    node = read_network(registry).nodes["condition/meningioma"]
    assert (node["label"], node["scheme"], node["articles"]) == ("meningioma", "condition", 1)


def test_min_articles_and_retracted_articles_change_the_network(registry: Registry) -> None:
    strong = read_network(registry, {"min_articles": 2})
    assert [tuple(sorted(e)) for e in strong.edges] == [
        ("finding/t1-hypointense", "finding/t2-hypointense")
    ]
    everything = read_network(registry, {"include_retracted": True})
    assert everything.has_edge("finding/t1-hypointense", "condition/tuberculosis")
    assert not read_network(registry).has_node("condition/tuberculosis")


def test_centrality_finds_the_bridge_and_communities_split_the_cliques() -> None:
    # Two triangles joined through one concept: it lies on every path between them.
    graph = build_network(
        pairs(
            ("a/1", "a/2", 3),
            ("a/2", "a/3", 3),
            ("a/1", "a/3", 3),
            ("a/3", "m/bridge", 1),
            ("m/bridge", "b/1", 1),
            ("b/1", "b/2", 3),
            ("b/2", "b/3", 3),
            ("b/1", "b/3", 3),
        ),
        NO_CONCEPTS,
    )
    analyse(graph)
    top = max(graph.nodes, key=lambda n: graph.nodes[n]["betweenness"])
    assert top == "m/bridge"
    assert graph.nodes["a/1"]["community"] == graph.nodes["a/2"]["community"]
    assert graph.nodes["a/1"]["community"] != graph.nodes["b/1"]["community"]
    assert graph.graph["communities"] == 2
    assert graph.nodes["a/3"]["strength"] == 7
    assert graph.nodes["a/1"]["scheme"] == "a"  # from the id when the concept is unknown


def test_the_analysis_is_deterministic(registry: Registry) -> None:
    first = json.dumps(to_node_link(read_network(registry)), sort_keys=True)
    second = json.dumps(to_node_link(read_network(registry)), sort_keys=True)
    assert first == second


def test_an_empty_store_gives_an_empty_network() -> None:
    graph = analyse(build_network(pairs(), NO_CONCEPTS))
    assert graph.number_of_nodes() == 0
    assert graph.graph["communities"] == 0


def test_graphml_and_node_link_round_trip_the_network(registry: Registry) -> None:
    graph = read_network(registry)
    back = nx.read_graphml(io.BytesIO(to_graphml(graph)))
    assert set(back.nodes) == set(graph.nodes)
    assert {frozenset(e) for e in back.edges} == {frozenset(e) for e in graph.edges}
    assert (
        back.nodes["finding/t1-hypointense"]["community"]
        == (graph.nodes["finding/t1-hypointense"]["community"])
    )
    linked = nx.node_link_graph(to_node_link(graph), edges="links")
    assert nx.utils.graphs_equal(linked, graph)


def test_the_sample_corpus_gives_a_connected_enough_network() -> None:
    graph = read_network(Registry(sample_store(), read_queries()))
    assert graph.number_of_nodes() > 5
    assert graph.number_of_edges() > 5
    assert all("community" in data for _, data in graph.nodes(data=True))


def test_kb_graph_writes_the_network_as_json_or_graphml(tmp_path: Path) -> None:
    env = {"KB_HOME": str(write_fixture_home(tmp_path / "home")), "KB_STORE": ""}
    result = CliRunner().invoke(cli, ["graph", "--format", "json", "--min-articles", "2"], env=env)
    assert result.exit_code == 0, result.output
    linked = json.loads(result.output)
    assert [(e["source"], e["target"]) for e in linked["links"]] == [
        ("finding/t1-hypointense", "finding/t2-hypointense")
    ]
    out = tmp_path / "network.graphml"
    written = CliRunner().invoke(cli, ["graph", "-o", str(out)], env=env)
    assert written.exit_code == 0, written.output
    assert (
        nx.read_graphml(out).number_of_nodes()
        == read_network(Registry(fixture_store(), read_queries())).number_of_nodes()
    )
