"""Write a query's answer out whole, within a row cap and a byte cap, in the format asked for.

The same function writes in a query worker (``kb.store.reader``), in the serving process
for a store without workers, and for a remote store: the bytes a worker sends are the bytes
the client gets, with nothing parsed back and written again in between.

Rows (or triples) stop at ``limit``, and before the one that would take the answer past
``max_bytes`` (a row weighs its JSON; a triple, ``kb.store.base.term_bytes``). A cut answer
says so in ``Written`` and, where the format has a place for it, in itself: a ``link`` in the
head of SPARQL JSON and XML results, which clients that do not know it ignore. Cells of CSV
and TSV answers never start a formula (``spreadsheet_safe``).

A query whose own LIMIT keeps it within the row cap cannot be cut by rows: the engine writes
its solutions itself (JSON, XML), the same bytes as row by row at a fraction of the cost
(``write_answer``).
"""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import pyoxigraph as ox

from kb.errors import QueryError
from kb.iris import PREFIXES
from kb.store.base import QueryOptions, Term, Writing
from kb.store.sparql import spreadsheet_safe, term_bytes, term_json

F = TypeVar("F", ox.RdfFormat, ox.QueryResultsFormat)
SPREADSHEETS = frozenset({"text/csv", "text/tab-separated-values"})
WITH_PREFIXES = frozenset({"text/turtle", "application/rdf+xml"})


@dataclass(frozen=True)
class Written:
    """An answer written out: its bytes, whether it was cut, and the rows or triples in it.

    ``size`` is None where the engine wrote the answer (``write_answer``): counting its rows
    would mean reading it back.
    """

    data: bytes
    size: int | None = 0
    truncated: bool = False


def write_answer(
    run: Callable[[], object], options: QueryOptions, cancel: threading.Event | None = None
) -> Written:
    """Run a query and write its answer as ``options.writing`` says, within its caps.

    A bounded query's solutions (its own LIMIT keeps it within the row cap) are written by
    the engine, in JSON or XML, several times faster than row by row; an answer that would
    pass the byte cap is asked again and cut row by row (``write_result``).
    """
    assert options.writing is not None
    result = run()
    whole_format = _WHOLE.get(options.writing.media_type) if options.bounded else None
    if whole_format is not None and isinstance(result, ox.QuerySolutions):
        whole = _write_whole(result, whole_format, options.max_bytes)
        if whole is not None:
            return whole
        result = run()  # past the byte cap: asked again, to be cut row by row
    return write_result(result, options.writing, options.limit, options.max_bytes, cancel)


# The results formats the engine writes with nothing to add: no cell to make spreadsheet-safe.
_WHOLE = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
}


class _Full(Exception):
    """The answer passed the byte cap while the engine wrote it."""


class _Capped(io.BytesIO):
    """A buffer that refuses to hold more than ``cap`` bytes."""

    def __init__(self, cap: int | None) -> None:
        super().__init__()
        self.cap = cap

    def write(self, data: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
        if self.cap is not None and self.tell() + len(data) > self.cap:
            raise _Full
        return super().write(data)


def _write_whole(
    result: ox.QuerySolutions, results_format: ox.QueryResultsFormat, max_bytes: int | None
) -> Written | None:
    """The engine's own writing of the solutions, or None if it would pass ``max_bytes``."""
    out = _Capped(max_bytes)
    try:
        result.serialize(out, format=results_format)
    except _Full:
        return None
    return Written(out.getvalue(), None)


def write_result(
    result: object,
    writing: Writing,
    limit: int | None = None,
    max_bytes: int | None = None,
    cancel: threading.Event | None = None,
) -> Written:
    """Write an engine's answer (boolean, solutions or triples) as ``writing`` says.

    ``cancel``, when set, stops the rows where they are (the caller gave up waiting).
    """
    if isinstance(result, ox.QueryBoolean):
        document = _dumps({"head": {}, "boolean": bool(result)}).encode("utf-8")
        return Written(_results(document, writing, truncated=False))
    if isinstance(result, ox.QuerySolutions):
        names = [v.value for v in result.variables]
        keys = [_dumps(n) + ":" for n in names]
        spreadsheet = writing.media_type in SPREADSHEETS
        written: dict[Term, str] = {}  # a term's JSON, written once per answer
        rows: list[str] = []
        truncated, weight = False, 0
        for solution in result:
            if cancel is not None and cancel.is_set():
                break
            cells = []
            for key, term in zip(keys, solution, strict=True):
                if term is not None:
                    cell = written.get(term)
                    if cell is None:
                        cell = written[term] = _dumps(_cell(term, spreadsheet))
                    cells.append(key + cell)
            row = "{" + ",".join(cells) + "}"
            weight += len(row)
            if len(rows) == limit or (max_bytes is not None and weight > max_bytes):
                truncated = True
                break
            rows.append(row)
        head: dict[str, object] = {"vars": names}
        if truncated and writing.mark:
            head["link"] = [writing.mark]
        text = '{"head":' + _dumps(head) + ',"results":{"bindings":[' + ",".join(rows) + "]}}"
        return Written(_results(text.encode("utf-8"), writing, truncated), len(rows), truncated)
    triples: list[ox.Triple] = []
    truncated, weight = False, 0
    for triple in result:  # type: ignore[attr-defined]
        if cancel is not None and cancel.is_set():
            break
        if max_bytes is not None:
            weight += term_bytes(triple)
        if len(triples) == limit or (max_bytes is not None and weight > max_bytes):
            truncated = True
            break
        triples.append(triple)
    graph_format = _format(ox.RdfFormat, writing.media_type, "a graph")
    prefixes = dict(PREFIXES) if writing.media_type in WITH_PREFIXES else None
    data = ox.serialize(triples, format=graph_format, prefixes=prefixes)
    assert data is not None  # no output file given: the bytes come back
    return Written(data, len(triples), truncated)


def _cell(term: Term, spreadsheet: bool) -> dict[str, object]:
    cell = term_json(term)
    if spreadsheet and isinstance(cell.get("value"), str):
        cell["value"] = spreadsheet_safe(str(cell["value"]))
    return cell


def _format(kind: type[F], media_type: str, what: str) -> F:
    """The engine's format of this kind for a media type, or QueryError."""
    try:
        found = kind.from_media_type(media_type)
    except ValueError:
        found = None
    if found is None:
        raise QueryError(f"{what} answer cannot be written as {media_type}")
    return found


def _dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _results(data: bytes, writing: Writing, truncated: bool) -> bytes:
    """Write a SPARQL JSON results document in the format asked for."""
    if writing.media_type == "application/sparql-results+json":
        return data
    results_format = _format(ox.QueryResultsFormat, writing.media_type, "a results")
    written = ox.parse_query_results(data, ox.QueryResultsFormat.JSON).serialize(
        format=results_format
    )
    assert written is not None  # no output file given: the bytes come back
    if truncated and writing.mark and results_format == ox.QueryResultsFormat.XML:
        return written.replace(b"</head>", f'<link href="{writing.mark}"/></head>'.encode(), 1)
    return written
