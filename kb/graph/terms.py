"""The small terms every mapping writes: common IRIs, typed literals, and a set of quads."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache

from pyoxigraph import Literal, NamedNode, Quad

from kb import iris

RDF_TYPE = iris.vocab("rdf:type")
RDFS_LABEL = iris.vocab("rdfs:label")
RDFS_SEE_ALSO = iris.vocab("rdfs:seeAlso")
TRUE = Literal("true", datatype=iris.vocab("xsd:boolean"))


@lru_cache(maxsize=256)
def ns(prefix: str, local: str) -> NamedNode:
    """Return the IRI of a term of a known vocabulary (``ns("prov", "Activity")``)."""
    return iris.vocab(f"{prefix}:{local}")


@lru_cache(maxsize=256)
def tc(local: str) -> NamedNode:
    """Return the IRI of a term of the project's ontology."""
    return iris.term(local)


def typed(value: object, datatype: str) -> Literal:
    """Make a literal of an XSD datatype (``typed(3, "integer")``)."""
    return Literal(str(value), datatype=ns("xsd", datatype))


def integer(value: int) -> Literal:
    """An xsd:integer literal."""
    return typed(int(value), "integer")


def date_time(value: datetime) -> Literal:
    """Make an xsd:dateTime literal in UTC, to the second.

    Every store (Virtuoso too) gives this lexical form back unchanged. Runs within one
    second are ordered by their ids.
    """
    utc = value.astimezone(UTC) if value.tzinfo else value
    return typed(utc.strftime("%Y-%m-%dT%H:%M:%SZ"), "dateTime")


class QuadSet:
    """Quads of one named graph, in the order they were said, without repeats."""

    def __init__(self, graph: NamedNode) -> None:
        self.graph = graph
        self.quads: dict[Quad, None] = {}

    def add(self, s: NamedNode, p: NamedNode, o: NamedNode | Literal | None) -> None:
        """Say a triple in the graph, unless its object is None."""
        if o is not None:
            self.quads[Quad(s, p, o, self.graph)] = None

    def text(self, s: NamedNode, p: NamedNode, value: str | None) -> None:
        """Say a plain literal in the graph, unless the text is None or blank."""
        if value is not None and value.strip():
            self.add(s, p, Literal(value))
