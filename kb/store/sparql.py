"""SPARQL as text and as results: tokens, forms, VALUES bindings, terms as answers carry them.

For what runs beside the engine rather than in it: classifying a request before it runs, binding
values into the text a remote server gets, building pyoxigraph results from a server's answer,
and writing terms as SPARQL JSON, with what a term weighs and what a spreadsheet may show.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pyoxigraph as ox

from kb.errors import ParameterError, StoreError
from kb.store.base import Bindings, Term

_TOKEN = re.compile(
    r"""(?P<comment>\#[^\n]*)
    | (?P<string>\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"|'''(?:[^'\\]|\\.|'(?!''))*'''
                |"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
    | (?P<iri><[^<>"{}|^`\\\s]*>)
    | (?P<var>[?$][A-Za-z0-9_\u00b7-\U000effff]+)
    | (?P<word>[A-Za-z_][A-Za-z0-9_.:-]*)
    | (?P<open>\{) | (?P<close>\})""",
    re.VERBOSE,
)
_VARIABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")


_AT = re.compile(r"^error at (\d+):(\d+): ?(.*)$", re.DOTALL)


def syntax_message(error: str) -> str:
    """Say where the engine found a SPARQL syntax error, in one short line.

    >>> syntax_message("error at 2:7: expected one of ...")
    'invalid SPARQL query at line 2, column 7: expected one of ...'
    """
    found = _AT.match(error.strip())
    if found is None:
        return f"invalid SPARQL query: {error.strip()[:200]}"
    line, column, rest = found.groups()
    rest = " ".join(rest.split())
    rest = rest if len(rest) <= 160 else rest[:157] + "..."
    return f"invalid SPARQL query at line {line}, column {column}: {rest}"


def sparql_words(sparql: str) -> Iterator[tuple[str, str]]:
    """Yield the (kind, text) tokens of SPARQL text that can carry meaning.

    They are words, variables, IRIs and braces; comments and strings are stepped over, so
    nothing in them counts.

    >>> [t for _, t in sparql_words('ASK { ?s <p> "SERVICE" } # LOAD')]
    ['ASK', '{', '?s', '<p>', '}']
    """
    for match in _TOKEN.finditer(sparql):
        kind = match.lastgroup or ""
        if kind not in ("comment", "string"):
            yield kind, match.group()


_NUMBER_AFTER = re.compile(r"\s*([0-9]+)")


def outer_limit(sparql: str) -> int | None:
    """The LIMIT of the query itself (not of a subquery), or None if it has none.

    >>> outer_limit("SELECT * { { SELECT ?s { ?s ?p ?o } LIMIT 5 } } LIMIT 100")
    100
    >>> outer_limit('SELECT * { ?s ?p "LIMIT 3" }') is None
    True
    """
    depth, limit = 0, None
    for match in _TOKEN.finditer(sparql):
        kind = match.lastgroup
        if kind == "open":
            depth += 1
        elif kind == "close":
            depth -= 1
        elif kind == "word" and depth == 0 and match.group().upper() == "LIMIT":
            number = _NUMBER_AFTER.match(sparql, match.end())
            limit = int(number.group(1)) if number else limit
    return limit


def query_form(sparql: str) -> str:
    """Return the form of a query: SELECT, ASK, CONSTRUCT or DESCRIBE."""
    for match in _TOKEN.finditer(sparql):
        if match.lastgroup == "word" and match.group().upper() in _FORMS:
            return match.group().upper()
    raise StoreError("not a SPARQL query: no SELECT, ASK, CONSTRUCT or DESCRIBE")


def where_position(sparql: str) -> int:
    """Return the offset just inside the opening brace of the query's WHERE clause.

    Comments, strings and IRIs are skipped, so braces inside them do not count; the template
    of a CONSTRUCT is stepped over.
    """
    form, seen_where, depth, template = None, False, 0, False
    for match in _TOKEN.finditer(sparql):
        kind, text = match.lastgroup, match.group()
        if kind == "word":
            upper = text.upper()
            form = form or (upper if upper in _FORMS else None)
            seen_where = seen_where or upper == "WHERE"
        elif kind == "open":
            if depth == 0 and (form != "CONSTRUCT" or seen_where or template):
                return match.end()
            depth += 1
        elif kind == "close":
            depth -= 1
            template = template or (form == "CONSTRUCT" and depth == 0)
    raise StoreError("cannot find the WHERE clause of the query")


def bind_values(sparql: str, bindings: Bindings) -> str:
    """Bind variables by a VALUES block placed first in the WHERE clause.

    Values are written as RDF terms in N-Triples syntax (pyoxigraph escapes literals and
    checks IRIs), never as raw text, so a value cannot change the query around it.

    >>> bind_values("SELECT ?t WHERE { ?a <http://ex/title> ?t }", {"a": ox.NamedNode("http://ex/1")})
    'SELECT ?t WHERE { VALUES (?a) { (<http://ex/1>) } ?a <http://ex/title> ?t }'
    """
    if not bindings:
        return sparql
    names, terms = [], []
    for name, value in bindings.items():
        if not _VARIABLE.match(name):
            raise ParameterError(name, "not a SPARQL variable name")
        if not isinstance(value, ox.NamedNode | ox.Literal):
            raise ParameterError(name, "only IRIs and literals can be bound in a VALUES block")
        names.append(f"?{name}")
        terms.append(str(value))
    at = where_position(sparql)
    block = f" VALUES ({' '.join(names)}) {{ ({' '.join(terms)}) }}"
    return sparql[:at] + block + sparql[at:]


def boolean_result(value: bool) -> ox.QueryBoolean:
    """Make a pyoxigraph boolean result (an ASK answer)."""
    doc = f'<sparql xmlns="http://www.w3.org/2005/sparql-results#"><head/><boolean>{str(value).lower()}</boolean></sparql>'
    result = ox.parse_query_results(doc, ox.QueryResultsFormat.XML)
    assert isinstance(result, ox.QueryBoolean)
    return result


def triples_result(body: bytes) -> ox.QueryTriples:
    """Make a pyoxigraph triples result (a CONSTRUCT answer) from N-Triples text."""
    # pyoxigraph cannot build QueryTriples from parsed triples; a scratch store can.
    scratch = ox.Store()
    scratch.extend(
        ox.Quad(t.subject, t.predicate, t.object) for t in ox.parse(body, ox.RdfFormat.N_TRIPLES)
    )
    result = scratch.query("CONSTRUCT WHERE { ?s ?p ?o }")
    assert isinstance(result, ox.QueryTriples)
    return result


def term_json(term: Term) -> dict[str, object]:
    """Write one RDF term as SPARQL 1.1 Query Results JSON."""
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out: dict[str, object] = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value not in (
            "http://www.w3.org/2001/XMLSchema#string",
            "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString",
        ):
            out["datatype"] = term.datatype.value
        return out
    return {
        "type": "triple",
        "value": {
            "subject": term_json(term.subject),
            "predicate": term_json(term.predicate),
            "object": term_json(term.object),
        },
    }


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$")


def spreadsheet_safe(text: str) -> str:
    """Keep a CSV or TSV cell from being read as a formula by a spreadsheet (OWASP's rule).

    A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return, and is
    not a number, gets a leading apostrophe.

    >>> spreadsheet_safe("=1+1"), spreadsheet_safe("-2.5"), spreadsheet_safe("calcinosis")
    ("'=1+1", '-2.5', 'calcinosis')
    """
    if text.startswith(_FORMULA_START) and not _NUMBER.match(text):
        return "'" + text
    return text


def term_bytes(term: object) -> int:
    """Roughly what a term weighs in an answer: its text, and a little for its markup."""
    if isinstance(term, ox.Triple):
        return term_bytes(term.subject) + term_bytes(term.predicate) + term_bytes(term.object)
    return len(getattr(term, "value", "")) + 16
