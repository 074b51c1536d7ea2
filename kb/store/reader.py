"""A query worker: ``python -m kb.store.reader PATH FD`` answers reads of a store on disk.

It opens the store read-only and answers, over the socket it is handed, the queries
``kb.store.pool.ReaderPool`` sends, until the socket closes or the pool kills it. It runs
behind the serving process for the processor (``NICENESS``).
"""

from __future__ import annotations

import os
import socket
import sys
import time

import pyoxigraph as ox

from kb.store import wire
from kb.store.answers import write_answer
from kb.store.base import QueryOptions


def serve_reads(path: str, sock: socket.socket) -> None:
    """Answer queries on the store at ``path``, opened read-only, until the socket closes."""
    store: ox.Store | None = None
    while True:
        try:
            message = wire.receive(sock)
        except (EOFError, OSError, KeyboardInterrupt):
            return
        assert isinstance(message, tuple)
        try:
            if message[0] == "open":
                store = None  # the old instance closes before the new one opens
                store = open_read_only(path)
                wire.send(sock, ("opened", None))
                continue
            if store is None:
                store = open_read_only(path)
            wire.send(sock, answer_query(store, message[1], message[2]))
        except SyntaxError as exc:
            wire.send(sock, ("syntax", str(exc)))
        except Exception as exc:  # the worker reports, and goes on serving
            wire.send(sock, ("error", f"query failed: {exc}"))


#: How much a worker yields the processor to the serving process (``nice``). The server's
#: share of an answer is short (read the request, pass the query, send the answer); with it
#: first in line, answers flow while queries compute, cheap requests are not held up by
#: running queries, and a short query's worker spends a fifth less processor time on it,
#: being interrupted less often.
NICENESS = 10

# How long to keep trying to open, in all: the primary's compaction after a write ends soon.
OPEN_PATIENCE = 5.0  # seconds


def open_read_only(path: str, patience: float = OPEN_PATIENCE) -> ox.Store:
    """Open the store read-only, again while its files are being compacted under it.

    A read-only open lists the table files the manifest names and opens them; a compaction
    the serving process runs after a write can delete one in between ("No such file"). The
    next try reads the new manifest. Any other failure, or one that lasts, is raised.
    """
    waited, pause = 0.0, 0.02
    while True:
        try:
            return ox.Store.read_only(path)
        except (OSError, RuntimeError) as exc:  # RocksDB's corruption is a RuntimeError
            if "No such file" not in str(exc) or waited >= patience:
                raise
        time.sleep(pause)
        waited, pause = waited + pause, min(pause * 2, 0.5)


def answer_query(store: ox.Store, sparql: str, options: QueryOptions) -> tuple[str, object]:
    """Run a query; send its answer written as asked, or as a SPARQL server would send it."""
    arguments = options.engine_arguments()
    if options.writing is not None:
        return "written", write_answer(lambda: store.query(sparql, **arguments), options)
    result = store.query(sparql, **arguments)
    if isinstance(result, ox.QueryBoolean):
        return "boolean", bool(result)
    if isinstance(result, ox.QuerySolutions):
        return "solutions", result.serialize(format=ox.QueryResultsFormat.JSON)
    return "triples", ox.serialize(result, format=ox.RdfFormat.N_TRIPLES) or b""


if __name__ == "__main__":
    os.nice(NICENESS)
    serve_reads(sys.argv[1], socket.socket(fileno=int(sys.argv[2])))
