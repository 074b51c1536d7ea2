"""The embedded store: Oxigraph on disk under KB_HOME, or in memory."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO

import pyoxigraph as ox

from kb.errors import LockedError, StoreError
from kb.store.base import (
    FORMATS,
    BaseStore,
    Bindings,
    Graph,
    drop_and_insert,
    replace_description_update,
    split_shared,
)


class OxigraphStore(BaseStore):
    """The embedded store: Oxigraph on disk under KB_HOME, or in memory.

    One process owns an on-disk store (RocksDB's lock); inside it, threads read consistent
    snapshots while a writer commits. Every write is one SPARQL update, which Oxigraph runs
    as one transaction.
    """

    def __init__(self, path: Path | None = None) -> None:
        try:
            self._store = ox.Store(str(path)) if path is not None else ox.Store()
        except OSError as exc:
            if "lock" in str(exc).lower():
                raise LockedError(
                    f"the store at {path} is open in another process; stop it (kb serve, "
                    f"kb ingest) or point KB_HOME/KB_STORE elsewhere ({exc})"
                ) from exc
            raise StoreError(f"cannot open the store at {path}: {exc}") from exc
        self.path = path
        self._lock = threading.Lock()  # one writer at a time: graph checks stay true

    @property
    def oxigraph(self) -> ox.Store:
        """The underlying pyoxigraph store, for bulk work and serialisation."""
        return self._store

    def replace_graphs(self, graphs: Mapping[Graph, Iterable[ox.Quad]]) -> None:
        """Replace each named graph whole; each graph changes in one transaction.

        Graphs the store lacks are added by one ``extend`` (a transaction, and 2 to 4 times
        faster than parsing an update); graphs it holds are replaced by one SPARQL update
        (DROP, then INSERT DATA). So a batch takes at most two transactions, each with the
        shared quads (claims) its graphs refer to, and every graph in it is as it was or as
        it is now.
        """
        if not graphs:
            return
        own, shared = split_shared(graphs)
        with self._lock:
            held = {g: q for g, q in own.items() if self._store.contains_named_graph(g)}
            if held:
                self.update(drop_and_insert(held, shared))
            fresh = [q for g, quads in own.items() if g not in held for q in quads]
            if fresh:
                self.add_quads([*fresh, *(q for quads in shared.values() for q in quads)])

    def drop_graphs(self, graphs: Iterable[Graph]) -> None:
        """Remove named graphs whole, in one transaction."""
        names = list(graphs)
        if names:
            self.update(" ;\n".join(f"DROP SILENT GRAPH {g}" for g in names))

    def add_quads(self, quads: Iterable[ox.Quad]) -> None:
        """Add quads in one transaction."""
        try:
            self._store.extend(quads)
            self._generation += 1
        except OSError as exc:
            raise StoreError(f"store write failed: {exc}") from exc

    def replace_description(
        self, graph: Graph, subject: ox.NamedNode, quads: Iterable[ox.Quad]
    ) -> None:
        """Replace every triple of ``subject`` in ``graph``, in one transaction."""
        self.update(replace_description_update(graph, subject, quads))

    def update(self, sparql: str) -> None:
        """Run a SPARQL 1.1 Update request in one transaction."""
        try:
            self._store.update(sparql)
            self._generation += 1
        except (OSError, SyntaxError, RuntimeError) as exc:
            raise StoreError(f"store update failed: {exc}") from exc

    def query(self, sparql: str, bindings: Bindings | None = None) -> object:
        """Run a read query; values are bound through the engine, never spliced."""
        subs = {ox.Variable(k): v for k, v in (bindings or {}).items()}
        try:
            return self._store.query(
                sparql, substitutions=subs or None, use_default_graph_as_union=True
            )
        except SyntaxError as exc:
            raise StoreError(f"invalid SPARQL: {exc}") from exc
        except (OSError, RuntimeError) as exc:
            raise StoreError(f"query failed: {exc}") from exc

    def graph_names(self) -> set[Graph]:
        """Every named graph in the store."""
        return {g for g in self._store.named_graphs() if isinstance(g, ox.NamedNode)}

    def quads(self, graph: Graph | None = None) -> Iterator[ox.Quad]:
        """Every quad of the named graphs, or every quad of one graph."""
        quads = self._store.quads_for_pattern(None, None, None, graph)
        return (q for q in quads if isinstance(q.graph_name, ox.NamedNode))

    def dump(self, output: IO[bytes], fmt: str, graph: Graph | None = None) -> None:
        """Write the store (or one graph) in an RDF format of ``FORMATS``."""
        if graph is None:
            self._store.dump(output, FORMATS[fmt])
        else:
            self._store.dump(output, FORMATS[fmt], from_graph=graph)

    def optimize(self) -> None:
        """Compact the on-disk store after a bulk load (queries on disk get much faster)."""
        self._store.optimize()

    def close(self) -> None:
        """Flush and release the store."""
        if not hasattr(self, "_store"):
            return
        if self.path is not None:
            self._store.flush()
        del self._store
