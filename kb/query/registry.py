"""Run named queries: bind parameters as RDF terms, page, execute, and cache the answers."""

from __future__ import annotations

import csv
import io
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field

import pyoxigraph as ox
from pydantic import Field

from kb.errors import ParameterError, QueryError
from kb.models import Frozen
from kb.query.named import (
    CONDITIONAL,
    FLOAT_TYPES,
    INTEGER_TYPES,
    MAX_LIST,
    PAGE_CLAUSE,
    XSD,
    NamedQuery,
    RawValue,
    Value,
    split_list,
    to_term,
    values_block,
)
from kb.store import Store, Term
from kb.store.sparql import spreadsheet_safe


@dataclass(frozen=True)
class Page:
    """Which rows of an answer to hand out."""

    limit: int
    offset: int = 0


class Table(Frozen):
    """The answer of a named query: column names and rows of plain values."""

    columns: tuple[str, ...]
    rows: tuple[dict[str, Value], ...]
    total: int | None = Field(None, description="Rows in the whole answer, if these are a page.")

    def window(self, page: Page) -> Table:
        """One page of this (whole) answer."""
        rows = self.rows[page.offset : page.offset + page.limit]
        return Table(columns=self.columns, rows=rows, total=len(self.rows))

    def to_csv(self) -> str:
        """Write the table as CSV text with a header line; no cell can start a formula."""
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=self.columns, lineterminator="\n")
        writer.writeheader()
        for row in self.rows:
            writer.writerow({k: _cell(v) for k, v in row.items()})
        return out.getvalue()


def _cell(value: Value) -> Value:
    """A value as a CSV cell: lists joined with '; ', no text able to start a formula."""
    if isinstance(value, list):
        value = "; ".join(value)
    return "" if value is None else spreadsheet_safe(value) if isinstance(value, str) else value


# --- binding ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bound:
    """Parameters checked and made RDF terms: for the engine, and for VALUES blocks."""

    scalars: dict[str, Term] = field(default_factory=dict)
    blocks: dict[str, tuple[Term, ...]] = field(default_factory=dict)

    @property
    def key(self) -> tuple[tuple[str, str], ...]:
        """A hashable form, for caching answers."""
        items = [(k, str(v)) for k, v in self.scalars.items()]
        items += [(k, " ".join(map(str, v))) for k, v in self.blocks.items()]
        return tuple(sorted(items))


def bind_params(query: NamedQuery, raw: Mapping[str, RawValue] | None = None) -> Bound:
    """Check caller values against the query's params; apply defaults; refuse the rest."""
    raw = dict(raw or {})
    for name in raw:
        if name not in query.params:
            known = ", ".join(query.params) or "none"
            raise ParameterError(name, f"{query.name} takes no such parameter (it takes: {known})")
    scalars: dict[str, Term] = {}
    blocks: dict[str, tuple[Term, ...]] = {}
    in_place = query.in_place
    for name, param in query.params.items():
        value = raw.get(name)
        values = list(value) if isinstance(value, list | tuple) else [value]
        values = [v for v in values if v is not None and v != ""]
        if param.multiple:
            if len(values) > MAX_LIST:
                raise ParameterError(name, f"at most {MAX_LIST} values")
            blocks[name] = tuple(dict.fromkeys(to_term(name, param, v) for v in values))
            continue
        if len(values) > 1:
            raise ParameterError(name, "takes one value, got several")
        if values:
            term = to_term(name, param, values[0])
        elif param.required:
            raise ParameterError(name, "is required")
        elif param.default is not None:
            term = to_term(name, param, param.default)
        else:
            continue
        if name in in_place:
            blocks[name] = (term,)
        else:
            scalars[name] = term
    needed = query.header.needs_one_of
    if needed and not any(blocks.get(n) or n in scalars for n in needed):
        raise ParameterError(needed[0], f"give at least one of: {', '.join(needed)}")
    return Bound(scalars=scalars, blocks=blocks)


def prepare(query: NamedQuery, bound: Bound, page: Page | None = None) -> str:
    """The query text to run: the VALUES blocks of in-place parameters filled with terms.

    An ``#if name`` part stays only when the parameter is given (not empty, not false). An
    omitted single value leaves its variable unbound (``UNDEF``), so a pattern using it
    matches any value; an empty list leaves its block empty, matching nothing. A paged query
    gets the page's LIMIT and OFFSET, or none for the whole answer.
    """
    text = CONDITIONAL.sub(lambda m: m.group(2) if _given(bound, m.group(1)) else "", query.sparql)
    if query.header.paged:
        clause = f"LIMIT {int(page.limit)} OFFSET {int(page.offset)}" if page else ""
        text = PAGE_CLAUSE.sub(clause, text, count=1)
    for name in sorted(query.in_place):
        terms = bound.blocks.get(name, ())
        if terms:
            block = f"VALUES ${name} {{ {' '.join(str(t) for t in terms)} }}"
        elif not query.params[name].multiple:
            block = f"VALUES ${name} {{ UNDEF }}"
        else:
            continue
        text = "".join(_interleave(values_block(name).split(text), block))
    return text


def _given(bound: Bound, name: str) -> bool:
    """Whether a parameter has a value that asks for something: not absent, empty or false."""
    terms = bound.blocks.get(name) or ((bound.scalars[name],) if name in bound.scalars else ())
    return any(not (isinstance(t, ox.Literal) and t.value == "false") for t in terms)


def _interleave(parts: list[str], block: str) -> Iterator[str]:
    """The parts of a split text with ``block`` between each two (a literal replacement)."""
    for i, part in enumerate(parts):
        if i:
            yield block
        yield part


# --- running ---------------------------------------------------------------------------------


def to_value(term: Term | None) -> Value:
    """Turn an RDF term into a plain value: numbers and booleans typed, IRIs and text as str."""
    if term is None:
        return None
    if isinstance(term, ox.Literal):
        datatype = term.datatype.value
        try:
            if datatype in INTEGER_TYPES:
                return int(term.value)
            if datatype in FLOAT_TYPES:
                return float(term.value)
        except ValueError:
            return term.value
        if datatype == XSD + "boolean":
            return term.value in ("true", "1")
        return term.value
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    if isinstance(term, ox.NamedNode):
        return term.value
    return str(term)


def execute(store: Store, query: NamedQuery, bound: Bound, page: Page | None = None) -> Table:
    """Run a bound named query; the parameters' own columns are left out of the answer.

    A paged query answers the page asked for (the whole answer without one), with the
    whole answer's size (its ?total column) as the table's total.
    """
    result = store.query(prepare(query, bound, page), bound.scalars)
    if not isinstance(result, ox.QuerySolutions):
        raise QueryError(f"{query.source}: a named query must be a SELECT")
    names = [v.value for v in result.variables]
    columns = tuple(n for n in names if n not in query.params)
    lists = set(query.header.lists)
    rows = tuple(
        {c: split_list(to_value(s[c])) if c in lists else to_value(s[c]) for c in columns}
        for s in result
    )
    if not query.header.paged:
        return Table(columns=columns, rows=rows)
    totals = [row.pop("total") for row in rows]
    columns = tuple(c for c in columns if c != "total")
    if page is None:
        return Table(columns=columns, rows=rows, total=len(rows))
    if not rows and page.offset:
        # Past the end: the page says nothing of the size; its first row does.
        first = execute(store, query, bound, Page(1))
        return Table(columns=columns, rows=(), total=first.total)
    total = totals[0] if rows else 0
    return Table(columns=columns, rows=rows, total=total if isinstance(total, int) else None)


class Registry:
    """The named queries over one store, with answers cached until the store changes.

    Answers are keyed by the store's write generation: any write this process makes clears
    them, so whole-graph aggregates cost one evaluation per change of the data, not per call.
    Callers asking the same question while it is being answered wait for that one answer
    instead of asking the store again.
    """

    def __init__(
        self, store: Store, queries: Mapping[str, NamedQuery], *, cache_size: int = 512
    ) -> None:
        self.store = store
        self.queries = dict(queries)
        self._cache: OrderedDict[tuple[object, ...], Table] = OrderedDict()
        self._cache_size = cache_size
        self._generation = store.generation
        self._lock = threading.Lock()
        self._pending: dict[tuple[object, ...], Future[Table]] = {}

    def get(self, name: str) -> NamedQuery:
        """The named query, or QueryError naming the ones there are."""
        try:
            return self.queries[name]
        except KeyError:
            raise QueryError(f"no named query {name!r} (see /queries)") from None

    def run(
        self, name: str, params: Mapping[str, RawValue] | None = None, page: Page | None = None
    ) -> Table:
        """Answer a named query with caller values (strings, lists, or typed values).

        The answer is whole, or one page of it. A paged query has the store read only that
        page; any other is answered whole (once, cached) and cut.
        """
        query = self.get(name)
        bound = bind_params(query, params)
        if page is not None and not query.header.paged:
            return self._answer(query, bound, None).window(page)
        return self._answer(query, bound, page)

    def _answer(self, query: NamedQuery, bound: Bound, page: Page | None) -> Table:
        """The answer from the cache, from a caller already asking, or from the store."""
        key = (query.name, bound.key, page)
        with self._lock:
            if self.store.generation != self._generation:
                self._cache.clear()
                self._generation = self.store.generation
            generation = self._generation
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
            asked = (generation, *key)
            pending = self._pending.get(asked)
            if pending is not None:
                waiting = True
            else:
                pending = self._pending[asked] = Future()
                waiting = False
        if waiting:
            return pending.result()
        try:
            table = execute(self.store, query, bound, page)
        except BaseException as exc:
            with self._lock:
                del self._pending[asked]
            pending.set_exception(exc)
            raise
        with self._lock:
            del self._pending[asked]
            # A write that landed while the query ran makes its answer unsafe to keep.
            if self.store.generation == generation:
                self._cache[key] = table
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        pending.set_result(table)
        return table

    def holds(self, name: str, params: Mapping[str, RawValue] | None = None) -> bool:
        """Whether the whole answer to this question is cached for the store as it is now."""
        key = (name, bind_params(self.get(name), params).key, None)
        with self._lock:
            return self.store.generation == self._generation and key in self._cache

    def warm_in_background(self) -> threading.Thread:
        """Start answering the questions without parameters in a thread of their own."""
        thread = threading.Thread(target=self.warm, name="kb-warm", daemon=True)
        thread.start()
        return thread

    def warm(self) -> list[str]:
        """Answer every query that needs no parameter with its defaults, to fill the cache."""
        done = []
        for name, query in self.queries.items():
            if not any(p.required or p.multiple for p in query.params.values()):
                self.run(name)
                done.append(name)
        return done
