"""Named queries: `.rq` files with a YAML header, bound as RDF terms, run and cached.

A named query is a SPARQL file whose leading ``#+`` lines hold a YAML header (summary,
description, tags, params). Parameters are written ``$name`` in the query and ordinary
variables ``?name``, so the registry can check that a file declares exactly what it uses.

Parameters are bound by the engine (``Store.query`` bindings: pyoxigraph substitutions,
SEP-0007), never spliced into the text. The engine requires a bound variable in the
top-level projection, so every query projects its parameters; the registry drops those
columns from the answer. A parameter written ``VALUES $name { }`` in the file is bound in
place instead: the registry fills each such block with terms the engine's own term model
serialises, minted from validated values (concept ids checked against the vocabulary), so no
caller text ever reaches the query. Lists (``multiple: true``) are always bound so; a single
value is bound so where the query planner must see it (Oxigraph plans before it
substitutes, so a substituted concept cannot steer the join order; a VALUES block can).

>>> query = parse_named_query("demo", '#+ summary: Demo\\nSELECT ?s WHERE { ?s ?p ?o }')
>>> query.summary, query.params
('Demo', {})
"""

from __future__ import annotations

import csv
import io
import re
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal as TypingLiteral

import pyoxigraph as ox
import yaml
from pydantic import Field, model_validator
from pydantic import ValidationError as PydanticValidationError

from kb.errors import ParameterError, QueryError
from kb.iris import concept_id, concept_iri
from kb.models import Frozen
from kb.store import Store, Term

ParamType = TypingLiteral["string", "integer", "boolean", "concept", "pmid"]
Value = str | int | float | bool | None
RawValue = str | int | bool | Sequence[str]

XSD = "http://www.w3.org/2001/XMLSchema#"
_INTEGER_TYPES = {XSD + t for t in ("integer", "int", "long", "short", "nonNegativeInteger")}
_FLOAT_TYPES = {XSD + t for t in ("decimal", "double", "float")}
_TRUE, _FALSE = {"true", "1", "yes", "on"}, {"false", "0", "no", "off"}
_PMID = re.compile(r"^[0-9]{1,12}$")
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_PARAM_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
MAX_TEXT = 500
MAX_LIST = 50

# Comments, strings and IRIs are skipped whole, so a '$' inside them is never read as a
# parameter; what is left of the match is a variable (?x or $x).
_TOKENS = re.compile(
    r'(?P<skip>#[^\n]*|"""(?:.|\n)*?"""|\'\'\'(?:.|\n)*?\'\'\''
    r'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|<[^<>"{}|^`\\\s]*>)'
    r"|(?P<sigil>[?$])(?P<var>[A-Za-z_][A-Za-z0-9_]*)"
)


class Param(Frozen):
    """One parameter of a named query, as its header declares it."""

    type: ParamType = "string"
    description: str = ""
    default: str | int | bool | None = None
    enum: tuple[str, ...] | None = Field(None, description="The values allowed, if listed.")
    required: bool = False
    multiple: bool = Field(False, description="A list, bound as a VALUES block.")
    minimum: int | None = None
    maximum: int | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Param:
        if self.required and self.default is not None:
            raise ValueError("a required parameter cannot have a default")
        if self.multiple and (self.default is not None or self.required):
            raise ValueError("a list parameter takes neither a default nor required")
        if self.enum is not None and self.type != "string":
            raise ValueError("enum is for string parameters")
        if (self.minimum is not None or self.maximum is not None) and self.type != "integer":
            raise ValueError("minimum and maximum are for integer parameters")
        if self.default is not None:
            try:
                to_term("default", self, self.default)
            except ParameterError as exc:
                raise ValueError(exc.reason) from exc
        return self


class Header(Frozen):
    """The YAML header of a named query (its ``#+`` lines)."""

    summary: str = Field(min_length=1)
    description: str = ""
    tags: tuple[str, ...] = ()
    params: dict[str, Param] = Field(default_factory=dict)
    paged: bool = Field(
        False,
        description="The query pages itself: its one 'LIMIT n OFFSET m' is set to the page "
        "asked for (and left out for the whole answer), and it projects ?total.",
    )

    @model_validator(mode="after")
    def _names(self) -> Header:
        for name in self.params:
            if not _PARAM_NAME.match(name):
                raise ValueError(f"parameter name {name!r} must match {_PARAM_NAME.pattern}")
        return self


class NamedQuery(Frozen):
    """A named query: its header, its SPARQL text and where it was read from."""

    name: str
    header: Header
    sparql: str
    source: str = Field(description="The file (or label) it was read from, for messages.")

    @property
    def in_place(self) -> frozenset[str]:
        """The parameters bound by filling their ``VALUES $name { }`` block."""
        return frozenset(n for n in self.params if _values_block(n).search(self.sparql))

    @property
    def summary(self) -> str:
        """The one-line summary."""
        return self.header.summary

    @property
    def params(self) -> dict[str, Param]:
        """The declared parameters, by name."""
        return self.header.params


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
        """Write the table as CSV text with a header line."""
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=self.columns, lineterminator="\n")
        writer.writeheader()
        for row in self.rows:
            writer.writerow({k: "" if v is None else v for k, v in row.items()})
        return out.getvalue()


# --- reading ---------------------------------------------------------------------------------


def queries_dir() -> Path:
    """The folder of the project's named queries (``queries/`` at the top of the checkout)."""
    return Path(__file__).resolve().parent.parent / "queries"


def iter_variables(sparql: str) -> Iterable[tuple[str, str, int]]:
    """Yield (sigil, name, offset) for every variable outside comments, strings and IRIs."""
    for match in _TOKENS.finditer(sparql):
        if match.group("var"):
            yield match.group("sigil"), match.group("var"), match.start()


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _locate(lines: Sequence[str], path: Sequence[object]) -> int:
    """The 0-based header line that holds a YAML key path, as near as it can be found."""
    found = 0
    for key in path:
        if not isinstance(key, str):
            continue
        pattern = re.compile(rf"^\s*(- )?{re.escape(key)}\s*:")
        for i in range(found, len(lines)):
            if pattern.match(lines[i]):
                found = i
                break
    return found


def parse_named_query(name: str, text: str, source: str | None = None) -> NamedQuery:
    """Read a named query from its text; a malformed one fails naming the file and line."""
    where = source or name
    if not _NAME.match(name):
        raise QueryError(f"{where}: a query name must match {_NAME.pattern}, not {name!r}")
    lines = text.splitlines()
    header_lines = []
    for line in lines:
        if not line.startswith("#+"):
            break
        header_lines.append(line[3:] if line.startswith("#+ ") else line[2:])
    if not header_lines:
        raise QueryError(f"{where}:1: no '#+' header (a summary at least)")
    try:
        data = yaml.safe_load("\n".join(header_lines))
    except yaml.YAMLError as exc:
        # The context mark is where an unclosed construct began: the line to fix.
        mark = getattr(exc, "context_mark", None) or getattr(exc, "problem_mark", None)
        at = mark.line + 1 if mark is not None else 1
        reason = getattr(exc, "problem", None) or str(exc)
        raise QueryError(f"{where}:{at}: the header is not valid YAML: {reason}") from exc
    if not isinstance(data, dict):
        raise QueryError(f"{where}:1: the header must be a YAML mapping (summary: ...)")
    try:
        header = Header.model_validate(data)
    except PydanticValidationError as exc:
        error = exc.errors()[0]
        at = _locate(header_lines, error["loc"]) + 1
        field = ".".join(str(p) for p in error["loc"]) or "header"
        raise QueryError(f"{where}:{at}: {field}: {error['msg']}") from exc
    sparql = "\n".join(lines[len(header_lines) :]).strip() + "\n"
    query = NamedQuery(name=name, header=header, sparql=sparql, source=where)
    _check_parameters(query, offset_lines=len(header_lines))
    return query


def _check_parameters(query: NamedQuery, offset_lines: int) -> None:
    """Fail unless the query uses exactly the declared parameters, each in the right form."""
    used: dict[str, int] = {}
    plain: dict[str, int] = {}
    for sigil, var, offset in iter_variables(query.sparql):
        line = _line_of(query.sparql, offset) + offset_lines
        (used if sigil == "$" else plain).setdefault(var, line)
    where = query.source
    for var, line in used.items():
        if var not in query.params:
            raise QueryError(f"{where}:{line}: ${var} is used but not declared in params")
    for var, param in query.params.items():
        if var not in used:
            raise QueryError(f"{where}: parameter {var!r} is declared but ${var} is never used")
        if var in plain:
            raise QueryError(f"{where}:{plain[var]}: parameter {var!r} written ?{var}: use ${var}")
        blocks = len(_values_block(var).findall(query.sparql))
        if param.multiple and not blocks:
            raise QueryError(f"{where}: list parameter {var!r} needs a 'VALUES ${var} {{ }}'")
    if query.header.paged:
        if len(_PAGE_CLAUSE.findall(query.sparql)) != 1:
            raise QueryError(f"{where}: a paged query needs exactly one 'LIMIT n OFFSET m'")
        if "total" not in plain:
            raise QueryError(f"{where}: a paged query projects ?total, the whole answer's size")


_PAGE_CLAUSE = re.compile(r"\bLIMIT\s+[0-9]+\s+OFFSET\s+[0-9]+\b", re.IGNORECASE)


def _values_block(name: str) -> re.Pattern[str]:
    return re.compile(rf"VALUES\s+\${name}\s*\{{\s*\}}", re.IGNORECASE)


def read_named_query(path: Path) -> NamedQuery:
    """Read one ``.rq`` file; its stem is the query's name."""
    return parse_named_query(path.stem, path.read_text(encoding="utf-8"), source=str(path))


def read_queries(folder: Path | None = None) -> dict[str, NamedQuery]:
    """Read every ``.rq`` file of a folder (the project's ``queries/`` by default), by name."""
    folder = folder or queries_dir()
    paths = sorted(folder.glob("*.rq"))
    if not paths:
        raise QueryError(f"{folder}: no named queries (*.rq) found")
    return {p.stem: read_named_query(p) for p in paths}


# --- binding ---------------------------------------------------------------------------------


def to_term(name: str, param: Param, value: object) -> Term:
    """Check one value against its parameter's declaration and make it an RDF term."""
    if param.type == "boolean":
        if isinstance(value, bool):
            return ox.Literal(value)
        text = str(value).strip().lower()
        if text in _TRUE | _FALSE:
            return ox.Literal(text in _TRUE)
        raise ParameterError(name, f"expected true or false, got {value!r}")
    if param.type == "integer":
        if isinstance(value, bool) or not re.fullmatch(r"-?[0-9]{1,18}", str(value).strip()):
            raise ParameterError(name, f"expected an integer, got {value!r}")
        number = int(str(value).strip())
        if param.minimum is not None and number < param.minimum:
            raise ParameterError(name, f"must be at least {param.minimum}, got {number}")
        if param.maximum is not None and number > param.maximum:
            raise ParameterError(name, f"must be at most {param.maximum}, got {number}")
        return ox.Literal(number)
    if not isinstance(value, str):
        raise ParameterError(name, f"expected text, got {value!r}")
    if param.type == "pmid":
        if not _PMID.match(value):
            raise ParameterError(name, f"expected a PubMed id (digits), got {value[:40]!r}")
        return ox.Literal(value)
    if param.type == "concept":
        return ox.NamedNode(concept_iri(_known_concept(name, value)).value)
    if len(value) > MAX_TEXT:
        raise ParameterError(name, f"longer than {MAX_TEXT} characters")
    if param.enum is not None and value not in param.enum:
        raise ParameterError(name, f"{value[:40]!r} is not one of {', '.join(param.enum)}")
    return ox.Literal(value)


def _known_concept(name: str, value: str) -> str:
    from kb.vocabulary import get_concepts

    cid = concept_id(value) or value
    if cid not in get_concepts():
        raise ParameterError(name, f"{value[:80]!r} is not a concept id of the vocabulary")
    return cid


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
    return Bound(scalars=scalars, blocks=blocks)


def prepare(query: NamedQuery, bound: Bound, page: Page | None = None) -> str:
    """The query text to run: the VALUES blocks of in-place parameters filled with terms.

    An omitted single value leaves its variable unbound (``UNDEF``), so a pattern using it
    matches any value; an empty list leaves its block empty, matching nothing. A paged query
    gets the page's LIMIT and OFFSET, or none for the whole answer.
    """
    text = query.sparql
    if query.header.paged:
        clause = f"LIMIT {int(page.limit)} OFFSET {int(page.offset)}" if page else ""
        text = _PAGE_CLAUSE.sub(clause, text, count=1)
    for name in sorted(query.in_place):
        terms = bound.blocks.get(name, ())
        if terms:
            block = f"VALUES ${name} {{ {' '.join(str(t) for t in terms)} }}"
        elif not query.params[name].multiple:
            block = f"VALUES ${name} {{ UNDEF }}"
        else:
            continue
        text = "".join(_interleave(_values_block(name).split(text), block))
    return text


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
            if datatype in _INTEGER_TYPES:
                return int(term.value)
            if datatype in _FLOAT_TYPES:
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
    rows = tuple({c: to_value(s[c]) for c in columns} for s in result)
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
        """Answer a named query with caller values (strings, lists, or typed values): the
        whole answer, or one page of it. A paged query has the store read only that page;
        any other is answered whole (once, cached) and cut."""
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
