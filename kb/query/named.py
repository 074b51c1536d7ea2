r"""Named queries: `.rq` files with a YAML header, bound as RDF terms, run and cached.

A named query is a SPARQL file whose leading ``#+`` lines hold a YAML header (summary,
description, tags, params). Parameters are written ``$name`` in the query and ordinary
variables ``?name``, so the registry can check that a file declares exactly what it uses.

Parameters are bound by the engine (``Store.query`` bindings: pyoxigraph substitutions,
SEP-0007), never spliced into the text. A part of the query between ``#if name`` and ``#end``
lines is kept only when that parameter is given, so a filter nobody asked for costs nothing (a
join the planner sees, not a FILTER on an unbound value). The engine requires a bound variable
in the top-level projection, so every query projects its parameters; the registry drops those
columns from the answer. A parameter written ``VALUES $name { }`` in the file is bound in
place instead: the registry fills each such block with terms the engine's own term model
serialises, minted from validated values (concept ids checked against the vocabulary), so no
caller text ever reaches the query. Lists (``multiple: true``) are always bound so; a single
value is bound so where the query planner must see it (Oxigraph plans before it substitutes,
so a substituted concept cannot steer the join order; a VALUES block can).

>>> query = parse_named_query("demo", '#+ summary: Demo\nSELECT ?s WHERE { ?s ?p ?o }')
>>> query.summary, query.params
('Demo', {})
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Literal as TypingLiteral

import pyoxigraph as ox
import yaml
from pydantic import Field, model_validator
from pydantic import ValidationError as PydanticValidationError

from kb.errors import ParameterError, QueryError
from kb.iris import case_from_id, concept_id, concept_iri
from kb.models import Frozen
from kb.resources import queries_dir
from kb.store import Term

ParamType = TypingLiteral["string", "integer", "boolean", "concept", "pmid", "case"]
Value = str | int | float | bool | list[str] | None
RawValue = str | int | bool | Sequence[str]

XSD = "http://www.w3.org/2001/XMLSchema#"
INTEGER_TYPES = {XSD + t for t in ("integer", "int", "long", "short", "nonNegativeInteger")}
FLOAT_TYPES = {XSD + t for t in ("decimal", "double", "float")}
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
    needs_one_of: tuple[str, ...] = Field(
        (), description="Parameters of which a caller must give at least one value."
    )
    lists: tuple[str, ...] = Field(
        (),
        description="Columns that hold lists: the query joins the items with '|', and the "
        "answer gives them as arrays, in order (an item 'rank<tab>text' sorts by its rank).",
    )

    @model_validator(mode="after")
    def _names(self) -> Header:
        for name in self.params:
            if not _PARAM_NAME.match(name):
                raise ValueError(f"parameter name {name!r} must match {_PARAM_NAME.pattern}")
        for name in self.needs_one_of:
            if name not in self.params:
                raise ValueError(f"needs_one_of names {name!r}, which is no parameter")
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
        return frozenset(n for n in self.params if values_block(n).search(self.sparql))

    @property
    def summary(self) -> str:
        """The one-line summary."""
        return self.header.summary

    @property
    def version(self) -> str:
        """A short digest of the query's text: an answer says which text it came from."""
        return hashlib.sha256(self.sparql.encode()).hexdigest()[:10]

    @property
    def params(self) -> dict[str, Param]:
        """The declared parameters, by name."""
        return self.header.params


# --- reading ---------------------------------------------------------------------------------


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
        blocks = len(values_block(var).findall(query.sparql))
        if param.multiple and not blocks:
            raise QueryError(f"{where}: list parameter {var!r} needs a 'VALUES ${var} {{ }}'")
    for match in CONDITIONAL.finditer(query.sparql):
        if match.group(1) not in query.params:
            line = _line_of(query.sparql, match.start()) + offset_lines
            raise QueryError(f"{where}:{line}: '#if {match.group(1)}' names no parameter")
    if query.header.paged:
        if len(PAGE_CLAUSE.findall(query.sparql)) != 1:
            raise QueryError(f"{where}: a paged query needs exactly one 'LIMIT n OFFSET m'")
        if "total" not in plain:
            raise QueryError(f"{where}: a paged query projects ?total, the whole answer's size")


LIST_SEPARATOR = "|"


def split_list(value: Value) -> list[str]:
    r"""Turn a joined list cell into its items, in order, without blanks or ranks.

    >>> split_list("2\tmetastasis|1\tinfection||")
    ['infection', 'metastasis']
    >>> split_list("T9|C2") == ["C2", "T9"]
    True
    """
    if not isinstance(value, str) or not value:
        return []
    items = []
    for item in value.split(LIST_SEPARATOR):
        rank, tab, text = item.partition("\t")
        if not tab:
            rank, text = "", item
        if text:
            items.append((int(rank) if rank.isdigit() else 0, text))
    return [text for _, text in sorted(set(items))]


PAGE_CLAUSE = re.compile(r"\bLIMIT\s+[0-9]+\s+OFFSET\s+[0-9]+\b", re.IGNORECASE)


# "#if name" ... "#end" (each on a line of its own): a part of the query kept only when the
# parameter is given (a value, a list with items, or true), and left out whole otherwise.
CONDITIONAL = re.compile(
    r"^[ \t]*#if[ \t]+([a-z][a-z0-9_]*)[ \t]*\n(.*?)^[ \t]*#end[ \t]*\n", re.M | re.S
)


def values_block(name: str) -> re.Pattern[str]:
    """Match the empty ``VALUES $name { }`` block a parameter is bound in."""
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
    if param.type == "case":
        try:
            return ox.NamedNode(case_from_id(value).value)
        except ValueError as exc:
            raise ParameterError(name, str(exc)) from None
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
