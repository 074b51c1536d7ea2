"""The embedded store: Oxigraph on disk under KB_HOME, or in memory."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import pyoxigraph as ox

from kb.errors import LockedError, QueryError, ReadOnlyError, StoreError
from kb.store.answers import write_answer
from kb.store.base import (
    FORMATS,
    BaseStore,
    Bindings,
    Graph,
    QueryOptions,
    drop_and_insert,
    replace_description_update,
    split_shared,
)
from kb.store.pool import Busy, ReaderPool
from kb.store.sparql import syntax_message

#: Quads written (about) between two flushes of the memtables. RocksDB keeps a write-ahead
#: log file until every column family has flushed what it holds; Oxigraph's rarely written
#: families seldom fill, so without flushes a long ingest keeps every log (GBs) and the
#: final flush has it all to do. A flush every million quads keeps a few.
FLUSH_EVERY = 1_000_000


class OxigraphStore(BaseStore):
    """The embedded store: Oxigraph on disk under KB_HOME, or in memory.

    One process owns an on-disk store (RocksDB's lock); inside it, threads read consistent
    snapshots while a writer commits. Every write is one SPARQL update, which Oxigraph runs
    as one transaction.
    """

    def __init__(self, path: Path | None = None, *, read_only: bool = False) -> None:
        self.read_only = read_only
        self._readers: ReaderPool | None = None
        self._unflushed = 0
        try:
            if read_only:
                if path is None:
                    raise StoreError("only a store on disk can be opened read-only")
                self._store = ox.Store.read_only(str(path))
            else:
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

    def _wrote(self, quads: int) -> None:
        """Count what was written; flush the memtables once a million quads are in them."""
        self._unflushed += quads
        if self.path is not None and self._unflushed >= FLUSH_EVERY:
            self._store.flush()
            self._unflushed = 0

    def start_readers(self, size: int, timeout: float) -> None:
        """Answer every later query in worker processes, each stopped past ``timeout`` seconds.

        Only a store on disk can be read from other processes; in memory, queries stay here.
        """
        if self.path is not None and self._readers is None:
            self._readers = ReaderPool(self.path, size, timeout)

    def stop_readers(self) -> None:
        """Kill the worker processes; later queries run here again."""
        if self._readers is not None:
            self._readers.close()
            self._readers = None

    @contextmanager
    def _writing(self) -> Iterator[None]:
        if self.read_only:
            raise ReadOnlyError(f"the store at {self.path} is open read-only here")
        if self._readers is None:
            yield
        else:
            with self._readers.writing():
                yield

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
                written = sum(map(len, held.values())) + sum(map(len, shared.values()))
                self.update(drop_and_insert(held, shared), quads=written)
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
        quads = list(quads)
        try:
            with self._writing():
                self._store.extend(quads)
            self._generation += 1
            self._wrote(len(quads))
        except OSError as exc:
            raise StoreError(f"store write failed: {exc}") from exc

    def replace_description(
        self, graph: Graph, subject: ox.NamedNode, quads: Iterable[ox.Quad]
    ) -> None:
        """Replace every triple of ``subject`` in ``graph``, in one transaction."""
        quads = list(quads)
        self.update(replace_description_update(graph, subject, quads), quads=len(quads))

    def update(self, sparql: str, *, quads: int | None = None) -> None:
        """Run a SPARQL 1.1 Update request in one transaction.

        ``quads`` is how many it writes, when the caller knows; otherwise it is taken from the
        text's length (a quad of an update is about 80 characters), for the flush schedule.
        """
        try:
            with self._writing():
                self._store.update(sparql)
            self._generation += 1
            self._wrote(quads if quads is not None else len(sparql) // 80)
        except (OSError, SyntaxError, RuntimeError) as exc:
            raise StoreError(f"store update failed: {exc}") from exc

    def query(self, sparql: str, bindings: Bindings | None = None) -> object:
        """Run a read query; values are bound through the engine, never spliced."""
        return self.run_query(sparql, QueryOptions(bindings=dict(bindings or {})))

    def run_query(
        self,
        sparql: str,
        options: QueryOptions | None = None,
        cancel: threading.Event | None = None,
    ) -> object:
        """Run a read query with the engine's options (dataset, base IRI, how to write it).

        With readers started, the query runs in a worker process within the time limit;
        otherwise here, where nothing can stop it but ``cancel`` between rows of an answer
        being written.
        """
        options = options or QueryOptions()
        if self._readers is not None:
            return self._readers.query(sparql, self.generation, options)
        try:
            arguments = options.engine_arguments()
            if options.writing is None:
                return self._store.query(sparql, **arguments)
            return write_answer(lambda: self._store.query(sparql, **arguments), options, cancel)
        except SyntaxError as exc:
            raise QueryError(syntax_message(str(exc))) from exc
        except (OSError, RuntimeError) as exc:
            raise StoreError(f"query failed: {exc}") from exc

    async def run_query_now(self, sparql: str, options: QueryOptions) -> object:
        """``run_query`` awaited on the event loop, if a query worker is ready now; else ``Busy``.

        Nothing runs here: without workers, or with none idle, the caller runs ``run_query``
        in a thread.
        """
        if self._readers is None:
            raise Busy
        return await self._readers.query_now(sparql, self.generation, options)

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
        """Stop the readers and release the store."""
        self.stop_readers()
        if not hasattr(self, "_store"):
            return
        # No flush here: every commit is in the write-ahead log already, which the next open
        # replays; a flush of all the memtables at close could wait on RocksDB for good (seen
        # after a 1,200-article ingest: every thread idle on a futex in WaitForFlushMemTables).
        del self._store
