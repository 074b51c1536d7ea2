"""The SPARQL 1.1 Protocol, read-only: vet a query, run it within limits, write the answer.

No web framework here: the HTTP route and ``kb sparql`` share these functions.

A request is classified by its tokens before it runs: an update (INSERT, DELETE, LOAD,
CLEAR, ...) is refused as such, and so is a query holding a SERVICE pattern, which would
make the server fetch a URL of the caller's choosing. The engine parses the query where it
runs: on a store on disk, in a worker process that the time limit kills (``kb.store.pool``),
so neither parsing nor evaluating can hold the server. Answers stop at the row cap.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal, Protocol

import pyoxigraph as ox

from kb.errors import (
    NotAcceptableError,
    QueryError,
    ReadOnlyError,
    StoreError,
)
from kb.iris import problem_iri
from kb.store import OxigraphStore, Store
from kb.store.answers import Written, write_result
from kb.store.base import QueryOptions, Writing
from kb.store.pool import Busy
from kb.store.sparql import outer_limit, sparql_words

Form = Literal["SELECT", "ASK", "CONSTRUCT", "DESCRIBE"]
MAX_QUERY = 100_000  # characters a query may have


@dataclass(frozen=True)
class Format:
    """A way to write an answer: its short name, media type and other names clients use."""

    name: str
    media_type: str
    also: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        """Every name a ``format`` parameter or an Accept header may use for it."""
        return (self.name, self.media_type, *self.also)


JSON = Format(
    "json",
    "application/sparql-results+json",
    also=("application/json",),
)
XML = Format(
    "xml",
    "application/sparql-results+xml",
    also=("application/xml", "text/xml"),
)
CSV = Format("csv", "text/csv")
TSV = Format("tsv", "text/tab-separated-values")
TURTLE = Format(
    "ttl",
    "text/turtle",
    # Turtle is N3 too, so a client asking for N3 can read it.
    also=("turtle", "application/turtle", "application/x-turtle", "n3", "text/n3"),
)
NTRIPLES = Format("nt", "application/n-triples", also=("ntriples", "text/plain"))
JSONLD = Format(
    "jsonld",
    "application/ld+json",
    also=("json-ld", "json", "application/json"),
)
RDFXML = Format("rdf", "application/rdf+xml", also=("rdfxml", "xml"))

# What each form can be written as, the default first.
OFFERS: dict[str, tuple[Format, ...]] = {
    "SELECT": (JSON, XML, CSV, TSV),
    "ASK": (JSON, XML),
    "CONSTRUCT": (TURTLE, NTRIPLES, JSONLD, RDFXML),
    "DESCRIBE": (TURTLE, NTRIPLES, JSONLD, RDFXML),
}


@dataclass(frozen=True)
class Vetted:
    """A query that may run: its form, whether it names its own dataset, and its own LIMIT."""

    text: str
    form: Form
    has_dataset: bool
    limit: int | None = None


@dataclass(frozen=True)
class Dataset:
    """The protocol's dataset: ``default-graph-uri`` and ``named-graph-uri`` values."""

    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.default_graphs or self.named_graphs)


# --- vetting ---------------------------------------------------------------------------------

_UPDATES = frozenset(
    {"INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH"}
)
_FORMS: dict[str, Form] = {
    "SELECT": "SELECT",
    "ASK": "ASK",
    "CONSTRUCT": "CONSTRUCT",
    "DESCRIBE": "DESCRIBE",
}


def vet_query(text: str) -> Vetted:
    """Classify a request and refuse what a read-only endpoint must not run.

    One linear pass over the tokens (comments, strings and IRIs stepped over) finds the
    form, an update keyword, SERVICE and a dataset clause; the engine's own parser reads the
    query when it runs, in a worker the time limit can stop. Nothing here recurses or holds
    a lock, so a huge or deeply nested query costs only its length.

    >>> vet_query("ASK {}").form
    'ASK'
    """
    if len(text) > MAX_QUERY:
        raise QueryError(f"the query is longer than {MAX_QUERY:,} characters")
    form: Form | None = None
    has_dataset = False
    depth = 0
    for kind, token in sparql_words(text):
        if kind == "open":
            depth += 1
        elif kind == "close":
            depth -= 1
        elif kind == "word":
            word = token.upper()
            if word == "SERVICE":
                raise QueryError("SERVICE is refused: this endpoint does not query other endpoints")
            if form is None and word in _UPDATES:
                raise ReadOnlyError(
                    "this endpoint is read-only: SPARQL Update (INSERT, DELETE, LOAD, CLEAR, "
                    "CREATE, DROP, COPY, MOVE, ADD) is refused"
                )
            if form is None and word in _FORMS:
                form = _FORMS[word]
            elif form is not None and depth == 0 and word == "FROM":
                has_dataset = True
    if form is None:
        raise QueryError("not a SPARQL query: no SELECT, ASK, CONSTRUCT or DESCRIBE in it")
    return Vetted(text, form, has_dataset, outer_limit(text))


# --- negotiation -----------------------------------------------------------------------------


def parse_accept(header: str) -> list[tuple[str, float]]:
    """Read an Accept header into (media range, q) pairs, in the order given.

    >>> parse_accept("text/csv;q=0.5, application/json")
    [('text/csv', 0.5), ('application/json', 1.0)]
    """
    ranges = []
    for part in header.split(","):
        media, *params = (p.strip() for p in part.split(";"))
        if not media:
            continue
        q = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    q = 0.0
        ranges.append((media.lower(), q))
    return ranges


def _quality(fmt: Format, ranges: Sequence[tuple[str, float]]) -> float:
    """The q the client gives a format: its most specific matching range decides."""
    best: tuple[int, float] = (-1, 0.0)
    for media, q in ranges:
        kind, _, sub = media.partition("/")
        if media in fmt.names:
            best = max(best, (2, q))
        elif sub == "*" and (kind == "*" or fmt.media_type.startswith(kind + "/")):
            # A wildcard is matched by the type actually sent, not by an alias.
            best = max(best, (0 if kind == "*" else 1, q))
    return best[1]


def choose_format(
    offers: Sequence[Format],
    fmt: str | Sequence[str] | None = None,
    accept: str | None = None,
    what: str = "this",
) -> Format:
    """Pick one of ``offers`` (the default first): by the ``format`` parameter, else by Accept.

    ``fmt`` may be several values, each a comma-separated list of names (SPARQLWrapper sends
    ``format=json-ld&format=application/ld+json,application/x-json+ld``): the first known wins.

    >>> choose_format(OFFERS["SELECT"], accept="text/csv;q=0.5, application/*").name
    'json'
    >>> choose_format(OFFERS["CONSTRUCT"], fmt=["", "application/ld+json,x"]).media_type
    'application/ld+json'
    """
    given = [fmt] if isinstance(fmt, str) else list(fmt or ())
    wanted = [n.strip().lower() for value in given for n in value.split(",") if n.strip()]
    if wanted:
        for name in wanted:
            for offer in offers:
                if name in offer.names:
                    return offer
        names = ", ".join(f.name for f in offers)
        raise NotAcceptableError(
            f"format {', '.join(wanted)[:100]!r} cannot carry {what} answer; use one of {names}"
        )
    if not accept or not accept.strip():
        return offers[0]
    ranges = parse_accept(accept)
    q, _, offer = max((_quality(o, ranges), -i, o) for i, o in enumerate(offers))
    if q <= 0:
        raise NotAcceptableError(
            f"none of the accepted types ({accept[:200]}) can carry {what} answer; "
            f"offered: {', '.join(f.media_type for f in offers)}"
        )
    return offer


# --- running ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Asked:
    """One protocol request: the query, its dataset, the format asked for, and the caps.

    ``fmt`` is the ``format`` parameter's values, ``accept`` the Accept header; at most
    ``row_cap`` rows (or triples) weighing about ``byte_cap`` bytes are written. Relative IRIs
    resolve against ``base_iri`` (the endpoint's URL, for the HTTP route).
    """

    text: str
    row_cap: int
    byte_cap: int | None = None
    dataset: Dataset = Dataset()
    fmt: str | Sequence[str] | None = None
    accept: str | None = None
    base_iri: str | None = None


def evaluate(
    store: Store,
    vetted: Vetted,
    fmt: Format,
    asked: Asked,
    cancel: threading.Event | None = None,
) -> Written:
    """Run a vetted query and write its answer in ``fmt``, within the caps ``asked`` gives.

    The answer stops before the row that would pass a cap, and says it was cut
    (``kb.store.answers``). A store on disk with query workers has the worker write the
    answer, so the bytes it sends are the bytes the client gets.

    With no dataset given, the query sees the union of the named graphs (unless it names its
    own with FROM); a protocol dataset overrides the query's own, as the protocol says.
    """
    with _failures_as_query_errors():
        if not isinstance(store, OxigraphStore):
            if asked.dataset:
                raise QueryError("default-graph-uri and named-graph-uri need the embedded store")
            writing = Writing(fmt.media_type, mark=TRUNCATED)
            result = store.query(vetted.text)
            return write_result(result, writing, asked.row_cap, asked.byte_cap, cancel)
        written = store.run_query(vetted.text, _options(vetted, fmt, asked), cancel)
    assert isinstance(written, Written)
    return written


def _options(vetted: Vetted, fmt: Format, asked: Asked) -> QueryOptions:
    """How the embedded store runs a vetted query and writes its answer."""
    dataset = asked.dataset
    return QueryOptions(
        base_iri=asked.base_iri,
        default_graph=[_graph(g) for g in dataset.default_graphs] if dataset else None,
        named_graphs=[_graph(g) for g in dataset.named_graphs] if dataset else None,
        union=not vetted.has_dataset,
        limit=asked.row_cap,
        max_bytes=asked.byte_cap,
        writing=Writing(fmt.media_type, mark=TRUNCATED),
        bounded=vetted.limit is not None and vetted.limit <= asked.row_cap,
    )


@contextmanager
def _failures_as_query_errors() -> Iterator[None]:
    """A store's failure to run a query is the query's (a time limit is a QueryError already)."""
    try:
        yield
    except (StoreError, OSError, SyntaxError) as exc:
        raise QueryError(f"the query failed: {exc}") from exc


def _graph(iri: str) -> ox.NamedNode:
    try:
        return ox.NamedNode(iri)
    except ValueError as exc:
        raise QueryError(f"not an IRI: {iri[:80]!r}") from exc


#: Where an answer cut at the row cap says so, in the results formats that have a place for it
#: (``link`` in the head of SPARQL JSON and XML results: clients that do not know it ignore it).
TRUNCATED = problem_iri("truncated").value


def vet_and_choose(asked: Asked) -> tuple[Vetted, Format]:
    """Vet the query, and choose the format its answer is written in."""
    vetted = vet_query(asked.text)
    return vetted, choose_format(OFFERS[vetted.form], asked.fmt, asked.accept, f"a {vetted.form}")


def respond(
    store: Store, asked: Asked, cancel: threading.Event | None = None
) -> tuple[Written, Format]:
    """Vet, run and write one protocol request: the answer written out, and its format."""
    vetted, chosen = vet_and_choose(asked)
    return evaluate(store, vetted, chosen, asked, cancel), chosen


class InThread(Protocol):
    """Runs work in a thread and waits a bounded time; ``cancel`` is set if it gives up."""

    def __call__(
        self, work: Callable[[], tuple[Written, Format]], *, cancel: threading.Event
    ) -> Awaitable[tuple[Written, Format]]:
        """Run ``work`` in a thread; past the time limit, set ``cancel`` and refuse."""


#: Queries up to this long are vetted on the event loop (``respond_async``): a one-line query
#: takes 16 µs, less than a hop to a thread and back, and the longest well under a millisecond.
ON_THE_LOOP = 2_000  # characters


async def respond_async(store: Store, asked: Asked, in_thread: InThread) -> tuple[Written, Format]:
    """``respond``, awaited: without a thread when the query is short and a worker is ready.

    On a store with query workers, such a query is vetted here and its worker awaited on the
    event loop (``ReaderPool.query_now``), within the same time limit. Anything else is
    ``respond`` run by ``in_thread``, which bounds the wait.
    """
    if len(asked.text) <= ON_THE_LOOP and isinstance(store, OxigraphStore):
        vetted, chosen = vet_and_choose(asked)
        try:
            with _failures_as_query_errors():
                written = await store.run_query_now(vetted.text, _options(vetted, chosen, asked))
        except Busy:
            pass
        else:
            assert isinstance(written, Written)
            return written, chosen
    cancel = threading.Event()
    return await in_thread(lambda: respond(store, asked, cancel), cancel=cancel)


_CHARSET = re.compile(r"charset\s*=\s*\"?([A-Za-z0-9_.:-]+)", re.IGNORECASE)


def decode_body(body: bytes, content_type: str) -> str:
    """Read a request body as UTF-8, the only encoding the protocol allows."""
    match = _CHARSET.search(content_type)
    if match and match.group(1).lower().replace("_", "-") not in ("utf-8", "utf8"):
        raise QueryError(f"the body must be UTF-8, not {match.group(1)}")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise QueryError(f"the body is not valid UTF-8 (byte {exc.start})") from exc
