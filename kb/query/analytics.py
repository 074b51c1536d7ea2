"""The concept co-occurrence network, built from the named queries: centrality and communities.

Concepts are nodes; two concepts are joined when articles assert both about their own
patients, and the edge's weight is the number of those articles. Each node carries its
degree, its strength (summed weights), weighted betweenness and closeness (an edge's length
is one over its weight), and the community Louvain finds it in (seeded, so the same graph
always splits the same way).
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

import networkx as nx

from kb.query.named import RawValue, Value
from kb.query.registry import Registry, Table

SEED = 7  # Louvain is randomised; a fixed seed makes the communities reproducible


def _count(value: Value) -> int:
    return value if isinstance(value, int) else 0


def build_network(pairs: Table, concepts: Table) -> nx.Graph:
    """Make the network from ``concept-pairs`` rows, labelled from ``concepts`` rows."""
    info = {str(row["concept"]): row for row in concepts.rows}
    graph = nx.Graph()
    for row in pairs.rows:
        a, b, weight = str(row["concept_a"]), str(row["concept_b"]), _count(row["articles"])
        for node in (a, b):
            if node not in graph:
                about = info.get(node, {})
                graph.add_node(
                    node,
                    label=str(about.get("label") or node),
                    scheme=str(about.get("concept_scheme") or node.split("/", 1)[0]),
                    articles=_count(about.get("articles")),
                )
        graph.add_edge(a, b, weight=weight)
    return graph


def analyse(graph: nx.Graph) -> nx.Graph:
    """Add centrality and community attributes to every node; return the same graph."""
    if graph.number_of_nodes() == 0:
        graph.graph.update(communities=0, modularity=0.0)
        return graph
    # Betweenness reads weights as distances: more shared articles, closer concepts.
    for _, _, data in graph.edges(data=True):
        data["distance"] = 1.0 / data["weight"]
    betweenness = nx.betweenness_centrality(graph, weight="distance", normalized=True)
    closeness = nx.closeness_centrality(graph, distance="distance")
    communities = nx.community.louvain_communities(graph, weight="weight", seed=SEED)
    ordered = sorted(communities, key=lambda c: (-len(c), min(c)))
    for number, members in enumerate(ordered):
        for node in members:
            graph.nodes[node]["community"] = number
    for node, data in graph.nodes(data=True):
        data["degree"] = graph.degree(node)
        data["strength"] = graph.degree(node, weight="weight")
        data["betweenness"] = round(betweenness[node], 6)
        data["closeness"] = round(closeness[node], 6)
    for _, _, data in graph.edges(data=True):
        del data["distance"]
    graph.graph.update(
        communities=len(ordered),
        modularity=round(nx.community.modularity(graph, ordered, weight="weight"), 6),
    )
    return graph


def read_network(registry: Registry, params: Mapping[str, RawValue] | None = None) -> nx.Graph:
    """Build and analyse the network from the store, through the named queries.

    ``params`` go to ``concept-pairs`` (polarity, min_articles, include_retracted).
    """
    params = dict(params or {})
    pairs = registry.run("concept-pairs", params)
    include = (
        {"include_retracted": params["include_retracted"]} if "include_retracted" in params else {}
    )
    concepts = registry.run("concepts", include)
    return analyse(build_network(pairs, concepts))


def to_node_link(graph: nx.Graph) -> dict[str, Any]:
    """The network as node-link JSON (D3's shape: nodes and links)."""
    data: dict[str, Any] = nx.node_link_data(graph, edges="links")
    return data


def to_graphml(graph: nx.Graph) -> bytes:
    """The network as GraphML."""
    out = io.BytesIO()
    nx.write_graphml(graph, out, encoding="utf-8")
    return out.getvalue()
