"""A query worker: ``python -m kb.store.reader PATH FD`` answers reads of a store on disk.

It opens the store read-only and answers, over the socket it is handed, the queries
``kb.store.pool.ReaderPool`` sends, until the socket closes or the pool kills it.
"""

from __future__ import annotations

import sys
from multiprocessing.connection import Connection

import pyoxigraph as ox

from kb.store.answers import write_result
from kb.store.base import QueryOptions


def serve_reads(path: str, conn: Connection) -> None:
    """Answer queries on the store at ``path``, opened read-only, until the pipe closes."""
    store: ox.Store | None = None
    while True:
        try:
            message = conn.recv()
        except (EOFError, KeyboardInterrupt):
            return
        try:
            if message[0] == "open":
                store = None  # the old instance closes before the new one opens
                store = ox.Store.read_only(path)
                conn.send(("opened", None))
                continue
            if store is None:
                store = ox.Store.read_only(path)
            conn.send(answer_query(store, message[1], message[2]))
        except SyntaxError as exc:
            conn.send(("syntax", str(exc)))
        except Exception as exc:  # the worker reports, and goes on serving
            conn.send(("error", f"query failed: {exc}"))


def answer_query(store: ox.Store, sparql: str, options: QueryOptions) -> tuple[str, object]:
    """Run a query; send its answer written as asked, or as a SPARQL server would send it."""
    result = store.query(sparql, **options.engine_arguments())
    if options.writing is not None:
        return "written", write_result(result, options.writing, options.limit, options.max_bytes)
    if isinstance(result, ox.QueryBoolean):
        return "boolean", bool(result)
    if isinstance(result, ox.QuerySolutions):
        return "solutions", result.serialize(format=ox.QueryResultsFormat.JSON)
    return "triples", ox.serialize(result, format=ox.RdfFormat.N_TRIPLES) or b""


if __name__ == "__main__":
    serve_reads(sys.argv[1], Connection(int(sys.argv[2])))
