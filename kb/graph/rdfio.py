"""Export the store to RDF files and load dumps back (``kb export``, ``kb load``)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO

import pyoxigraph as ox

from kb import iris
from kb.errors import InputError
from kb.models import Frozen
from kb.store import FORMATS, Store
from kb.store.base import quads_by_graph

EXPORT_FORMATS = ("ttl", "trig", "nq", "jsonld")
QUAD_FORMATS = ("trig", "nq", "jsonld")
_EXTENSIONS = {".ttl": "ttl", ".trig": "trig", ".nq": "nq", ".nt": "nt", ".jsonld": "jsonld"}
_EXTENSIONS |= {".json": "jsonld", ".rdf": "rdf", ".owl": "rdf"}


class LoadSummary(Frozen):
    """What a load wrote."""

    graphs: int
    quads: int


def format_of(path: Path, given: str | None = None) -> str:
    """The short RDF format name of a file: ``given``, else guessed from its extension."""
    name = given or _EXTENSIONS.get(path.suffix.lower())
    if name is None or name not in FORMATS:
        raise InputError(f"{path}: cannot tell the RDF format; give --format (ttl, trig, nq, ...)")
    return name


def export(store: Store, output: IO[bytes], fmt: str, graph: ox.NamedNode | None = None) -> int:
    """Write the store's named graphs (or one graph) to ``output``; return the quads written.

    ``trig``, ``nq`` and ``jsonld`` keep the graphs; ``ttl`` writes their union as triples.
    JSON-LD is pyoxigraph's (JSON-LD 1.1, expanded): rdflib 7.6 writes datasets to JSON-LD
    only through APIs it deprecates itself, which our warnings-as-errors tests refuse.
    """
    if fmt not in EXPORT_FORMATS:
        raise InputError(f"unknown export format {fmt!r}: use one of {', '.join(EXPORT_FORMATS)}")
    counted = _Counter(store.quads(graph))
    if fmt == "ttl":
        triples = (ox.Triple(q.subject, q.predicate, q.object) for q in counted)
        ox.serialize(triples, output, FORMATS["ttl"], prefixes=iris.PREFIXES)
    else:
        ox.serialize(counted, output, FORMATS[fmt], prefixes=iris.PREFIXES)
    return counted.count


def iter_file_quads(
    path: Path, fmt: str | None = None, graph: ox.NamedNode | None = None
) -> Iterator[ox.Quad]:
    """Read an RDF file's quads; the triples of a triples-only format go to ``graph``."""
    name = format_of(path, fmt)
    if name not in QUAD_FORMATS and graph is None:
        raise InputError(f"{path}: {name} holds no named graphs; say which graph to load it into")
    try:
        for quad in ox.parse(path=path, format=FORMATS[name]):
            if graph is not None and name not in QUAD_FORMATS:
                quad = ox.Quad(quad.subject, quad.predicate, quad.object, graph)
            yield quad
    except SyntaxError as exc:
        raise InputError(f"{path}: not valid {name}: {exc}") from exc


def load(
    store: Store,
    path: Path,
    fmt: str | None = None,
    graph: ox.NamedNode | None = None,
) -> LoadSummary:
    """Load a dump: each named graph in it replaces the same graph in the store.

    The whole file is read (and checked) before anything is written; graphs are then written
    in batches of the store's size, each batch atomic. Triples outside any graph are refused.
    """
    quads = list(iter_file_quads(path, fmt, graph))
    if any(not isinstance(q.graph_name, ox.NamedNode) for q in quads):
        raise InputError(f"{path}: some triples are in no named graph; every quad needs one")
    graphs = quads_by_graph(quads)
    names = list(graphs)
    for start in range(0, len(names), store.batch_size):
        store.replace_graphs({g: graphs[g] for g in names[start : start + store.batch_size]})
    return LoadSummary(graphs=len(graphs), quads=len(quads))


class _Counter:
    """Counts the quads that pass through it."""

    def __init__(self, quads: Iterable[ox.Quad]) -> None:
        self._quads = iter(quads)
        self.count = 0

    def __iter__(self) -> Iterator[ox.Quad]:
        for quad in self._quads:
            self.count += 1
            yield quad
