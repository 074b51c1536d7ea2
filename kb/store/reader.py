"""A query worker: ``python -m kb.store.reader PATH FD`` answers reads of a store on disk.

It opens the store read-only and answers, over the socket it is handed, the queries
``kb.store.pool.ReaderPool`` sends, until the socket closes or the pool kills it.
"""

from __future__ import annotations

import json
import sys
from multiprocessing.connection import Connection

import pyoxigraph as ox

from kb.store.base import QueryOptions, term_bytes, term_json


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
    """Run a query and write its answer as a SPARQL server would, at most ``limit`` rows."""
    result = store.query(sparql, **options.engine_arguments())
    limit = options.limit
    if isinstance(result, ox.QueryBoolean):
        return "boolean", bool(result)
    if isinstance(result, ox.QuerySolutions):
        names = [v.value for v in result.variables]
        rows, weight = [], 0
        for count, solution in enumerate(result):
            if limit is not None and count >= limit:
                break
            if options.max_bytes is not None and weight > options.max_bytes:
                break  # the caller sees it past its limit, and cuts there
            terms = {n: t for n in names if (t := solution[n]) is not None}
            weight += sum(term_bytes(t) for t in terms.values())
            rows.append({n: term_json(t) for n, t in terms.items()})
        body = {"head": {"vars": names}, "results": {"bindings": rows}}
        return "solutions", json.dumps(body).encode("utf-8")
    triples, weight = [], 0
    for count, triple in enumerate(result):
        if limit is not None and count >= limit:
            break
        if options.max_bytes is not None and weight > options.max_bytes:
            break
        weight += term_bytes(triple)
        triples.append(triple)
    return "triples", ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""


if __name__ == "__main__":
    serve_reads(sys.argv[1], Connection(int(sys.argv[2])))
