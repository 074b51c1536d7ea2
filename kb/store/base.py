"""What every store speaks: the ``Store`` interface, its row types, and SPARQL Update text.

SPARQL query text and results (tokens, VALUES bindings, terms as JSON) are in
``kb.store.sparql``.

Both stores speak it. Writes are whole named graphs, replaced atomically:
a reader sees an article as it was or as it is now, never half of it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, Self

import pyoxigraph as ox

from kb.errors import StoreError

if TYPE_CHECKING:
    pass

Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple
Graph = ox.NamedNode
Bindings = Mapping[str, Term]
Row = dict[str, Term]

# The RDF formats the knowledge base reads and writes, by short name.
FORMATS: dict[str, ox.RdfFormat] = {
    "ttl": ox.RdfFormat.TURTLE,
    "trig": ox.RdfFormat.TRIG,
    "nq": ox.RdfFormat.N_QUADS,
    "nt": ox.RdfFormat.N_TRIPLES,
    "rdf": ox.RdfFormat.RDF_XML,
    "jsonld": ox.RdfFormat.JSON_LD,
}


@dataclass(frozen=True)
class Writing:
    """How to write an answer out whole (``kb.store.answers``): media type and cut mark."""

    media_type: str
    mark: str | None = None


@dataclass(frozen=True)
class QueryOptions:
    """How to run one query: bound values, its dataset, its base IRI, and how to write it.

    With ``writing``, the answer comes back written out whole (``kb.store.answers.Written``),
    at most ``limit`` rows weighing at most ``max_bytes``; without, as the engine's result.
    A ``bounded`` query cannot pass ``limit`` rows, so the engine may write its answer.
    """

    bindings: dict[str, ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple] = field(
        default_factory=dict
    )
    base_iri: str | None = None
    default_graph: list[ox.NamedNode] | None = None
    named_graphs: list[ox.NamedNode] | None = None
    union: bool = True
    limit: int | None = None
    max_bytes: int | None = None
    writing: Writing | None = None
    timeout: float | None = None  # seconds, where the store's workers keep a limit; else theirs
    bounded: bool = False  # the query's own LIMIT keeps it within ``limit`` rows

    def engine_arguments(self) -> dict[str, Any]:
        """The keyword arguments of ``pyoxigraph.Store.query`` these options stand for."""
        arguments: dict[str, Any] = {"base_iri": self.base_iri}
        if self.bindings:
            arguments["substitutions"] = {ox.Variable(k): v for k, v in self.bindings.items()}
        if self.default_graph is not None or self.named_graphs is not None:
            arguments["default_graph"] = self.default_graph
            arguments["named_graphs"] = self.named_graphs
        else:
            arguments["use_default_graph_as_union"] = self.union
        return arguments


class Store(Protocol):
    """What every store offers. Graph writes are atomic per call."""

    #: Articles the pipeline writes per transaction: what the store handles fastest.
    batch_size: int

    def replace_graphs(self, graphs: Mapping[Graph, Iterable[ox.Quad]]) -> None:
        """Replace each named graph whole with the given quads, in one transaction.

        A quad given for a graph but lying in another graph, one not being replaced (the
        claims graph, which articles share), is added to that graph in the same transaction;
        such shared graphs are never dropped here.
        """

    def drop_graphs(self, graphs: Iterable[Graph]) -> None:
        """Remove named graphs whole, in one transaction."""

    def add_quads(self, quads: Iterable[ox.Quad]) -> None:
        """Add quads (each in a named graph) in one transaction."""

    def replace_description(
        self, graph: Graph, subject: ox.NamedNode, quads: Iterable[ox.Quad]
    ) -> None:
        """Replace every triple of ``subject`` in ``graph`` with ``quads``, in one transaction."""

    def update(self, sparql: str) -> None:
        """Run a SPARQL 1.1 Update request (one transaction)."""

    def query(self, sparql: str, bindings: Bindings | None = None) -> object:
        """Run a read query: QuerySolutions, QueryBoolean or QueryTriples (pyoxigraph's types).

        The default graph is the union of every named graph (as on Virtuoso), so queries need
        no GRAPH clause unless they ask which graph a triple is in.
        """

    @property
    def generation(self) -> int:
        """A number that grows with every write this process makes (a cache key)."""

    def select(self, sparql: str, bindings: Bindings | None = None) -> list[Row]:
        """Run a SELECT and return its rows as dicts of bound variables."""

    def graph_names(self) -> set[Graph]:
        """Every named graph in the store."""

    def quads(self, graph: Graph | None = None) -> Iterator[ox.Quad]:
        """Every quad, or every quad of one graph."""

    def close(self) -> None:
        """Release the store (the on-disk lock, the HTTP connections)."""


def insert_data(graphs: Mapping[Graph, Iterable[ox.Quad]], chunk: int | None = None) -> list[str]:
    """Write SPARQL ``INSERT DATA`` operations for quads grouped by graph.

    Terms are written in N-Triples syntax by pyoxigraph, which escapes every literal, so no
    text of a record can break out of its literal. ``chunk`` caps the triples per operation
    (some servers refuse long ones); None puts every graph in one operation.
    """
    blocks: list[str] = []
    for graph, quads in graphs.items():
        lines = [f"{q.subject} {q.predicate} {q.object} ." for q in quads]
        size = chunk or max(len(lines), 1)
        blocks.extend(
            f"GRAPH {graph} {{\n" + "\n".join(lines[i : i + size]) + "\n}"
            for i in range(0, len(lines), size)
        )
    if chunk is None:
        return [f"INSERT DATA {{\n{chr(10).join(blocks)}\n}}"] if blocks else []
    return [f"INSERT DATA {{ {block} }}" for block in blocks]


def split_shared(
    graphs: Mapping[Graph, Iterable[ox.Quad]],
) -> tuple[dict[Graph, list[ox.Quad]], dict[Graph, list[ox.Quad]]]:
    """Split quads given by graph into each graph's own and those of shared graphs."""
    own: dict[Graph, list[ox.Quad]] = {g: [] for g in graphs}
    shared: dict[Graph, dict[ox.Quad, None]] = {}
    for graph, quads in graphs.items():
        for quad in quads:
            name = quad.graph_name
            if name == graph:
                own[graph].append(quad)
            elif isinstance(name, ox.NamedNode) and name not in own:
                shared.setdefault(name, {})[quad] = None
            else:
                raise StoreError(f"a quad given for graph {graph} cannot be written: {quad}")
    return own, {g: list(q) for g, q in shared.items()}


def replace_graphs_update(
    graphs: Mapping[Graph, Iterable[ox.Quad]], chunk: int | None = None
) -> str:
    """Write one SPARQL Update request that drops each graph, then inserts its new quads.

    Quads of shared graphs (see ``split_shared``) are inserted too; those are not dropped.
    """
    return drop_and_insert(*split_shared(graphs), chunk=chunk)


def drop_and_insert(
    own: Mapping[Graph, list[ox.Quad]],
    shared: Mapping[Graph, list[ox.Quad]],
    chunk: int | None = None,
) -> str:
    """Write one SPARQL Update request: drop the ``own`` graphs, insert all the quads."""
    ops = [f"DROP SILENT GRAPH {g}" for g in own]
    return " ;\n".join([*ops, *insert_data({**own, **shared}, chunk)])


def replace_description_update(
    graph: Graph, subject: ox.NamedNode, quads: Iterable[ox.Quad], chunk: int | None = None
) -> str:
    """Write one SPARQL Update request that replaces a subject's triples in a graph."""
    ops = [f"DELETE WHERE {{ GRAPH {graph} {{ {subject} ?p ?o }} }}"]
    return " ;\n".join([*ops, *insert_data({graph: list(quads)}, chunk)])


class BaseStore:
    """What both stores share: the write counter, ``select``, and use in a ``with`` block."""

    _generation = 0
    batch_size = 100

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def generation(self) -> int:
        """A number that grows with every write this process makes (a cache key)."""
        return self._generation

    def query(self, sparql: str, bindings: Bindings | None = None) -> object:
        """Run a read query (each store implements it)."""
        raise NotImplementedError

    def select(self, sparql: str, bindings: Bindings | None = None) -> list[Row]:
        """Run a SELECT and return its rows as dicts of bound variables."""
        return solutions_to_rows(self.query(sparql, bindings))

    def close(self) -> None:
        """Release the store (each store implements it)."""
        raise NotImplementedError


def solutions_to_rows(result: object) -> list[Row]:
    """Turn SELECT solutions into a list of dicts of the bound variables."""
    if not isinstance(result, ox.QuerySolutions):
        raise StoreError("select() needs a SELECT query")
    names = [v.value for v in result.variables]
    return [{n: s[n] for n in names if s[n] is not None} for s in result]


def value_of(term: Term | None) -> str | None:
    """The lexical value of a term (an IRI, a literal's text), or None."""
    if term is None or isinstance(term, ox.Triple):
        return None
    return term.value


def quads_by_graph(quads: Iterable[ox.Quad]) -> dict[ox.NamedNode, list[ox.Quad]]:
    """Group quads by their named graph."""
    graphs: dict[ox.NamedNode, list[ox.Quad]] = {}
    for quad in quads:
        name = quad.graph_name
        if not isinstance(name, ox.NamedNode):
            raise ValueError(f"quad outside a named graph: {quad}")
        graphs.setdefault(name, []).append(quad)
    return graphs
