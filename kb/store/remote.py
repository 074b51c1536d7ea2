"""A store on any SPARQL 1.1 server, over the Query, Update and Graph Store protocols.

Tested against Virtuoso Open Source. Its quirks are handled here: queries are POSTed
URL-encoded (a raw ``application/sparql-query`` body can hang it), ASK may come back as a
one-row SELECT of ``__ASK_RETVAL``, and one INSERT DATA operation must stay short, so writes
are split into several operations of one request (still one transaction).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING

import httpx
import pyoxigraph as ox

from kb import iris
from kb.errors import StoreError
from kb.store.base import (
    BaseStore,
    Bindings,
    Graph,
    insert_data,
    replace_description_update,
    replace_graphs_update,
)
from kb.store.sparql import bind_values, boolean_result, query_form, triples_result

if TYPE_CHECKING:
    from kb.settings import Settings

RESULTS_XML = "application/sparql-results+xml"
N_TRIPLES = "application/n-triples"

# Triples per INSERT DATA operation: Virtuoso 7 refuses a few thousand in one.
CHUNK = 500


class RemoteStore(BaseStore):
    """A store on a SPARQL 1.1 server: reads by the Query protocol, writes by the Update one.

    Virtuoso compiles a long update in time that grows faster than its length, so the
    pipeline writes one article per request here (``batch_size``); each is still atomic.
    Only graphs under the knowledge base's namespace (``https://w3id.org/tckb/``) are listed
    or dumped: the server may hold other data, and Virtuoso keeps system graphs of its own.
    """

    def __init__(
        self,
        query_url: str,
        *,
        update_url: str | None = None,
        graph_url: str | None = None,
        auth: httpx.Auth | None = None,
        client: httpx.Client | None = None,
        timeout: float = 120.0,
        chunk: int = CHUNK,
    ) -> None:
        self.query_url = query_url
        self.update_url = update_url or query_url
        self.graph_url = graph_url
        self.chunk = chunk
        self.batch_size = 1
        self._client = client or httpx.Client(timeout=timeout, auth=auth)

    @classmethod
    def from_settings(cls, settings: Settings, query_url: str | None = None) -> RemoteStore:
        """Build the store from KB_STORE, KB_STORE_UPDATE_URL, KB_STORE_GRAPH_URL and creds."""
        url = query_url or settings.store
        if not url:
            raise StoreError("KB_STORE names no SPARQL endpoint")
        auth: httpx.Auth | None = None
        if settings.store_user and settings.store_password:
            user, password = settings.store_user, settings.store_password.get_secret_value()
            digest = settings.store_auth == "digest"
            auth = httpx.DigestAuth(user, password) if digest else httpx.BasicAuth(user, password)
        return cls(
            url,
            update_url=settings.store_update_url,
            graph_url=settings.store_graph_url,
            auth=auth,
            timeout=settings.store_timeout,
        )

    # --- writes ------------------------------------------------------------------------------

    def update(self, sparql: str) -> None:
        """Run a SPARQL 1.1 Update request: one request, one transaction on the server."""
        self._post(self.update_url, {"update": sparql}, RESULTS_XML)
        self._generation += 1

    def replace_graphs(self, graphs: Mapping[Graph, Iterable[ox.Quad]]) -> None:
        """Replace each named graph whole (adding shared quads), in one update request."""
        if graphs:
            self.update(replace_graphs_update(graphs, self.chunk))

    def drop_graphs(self, graphs: Iterable[Graph]) -> None:
        """Remove named graphs whole, in one update request."""
        names = list(graphs)
        if names:
            self.update(" ;\n".join(f"DROP SILENT GRAPH {g}" for g in names))

    def add_quads(self, quads: Iterable[ox.Quad]) -> None:
        """Add quads in one update request."""
        from kb.store.base import quads_by_graph

        ops = insert_data(quads_by_graph(quads), self.chunk)
        if ops:
            self.update(" ;\n".join(ops))

    def replace_description(
        self, graph: Graph, subject: ox.NamedNode, quads: Iterable[ox.Quad]
    ) -> None:
        """Replace every triple of ``subject`` in ``graph``, in one update request."""
        self.update(replace_description_update(graph, subject, quads, self.chunk))

    # --- reads -------------------------------------------------------------------------------

    def query(self, sparql: str, bindings: Bindings | None = None) -> object:
        """Run a read query; bindings go in as a VALUES block of RDF terms."""
        text = bind_values(sparql, bindings or {})
        form = query_form(text)
        if form in ("CONSTRUCT", "DESCRIBE"):
            body = self._post(self.query_url, {"query": text}, N_TRIPLES)
            return triples_result(body)
        result = ox.parse_query_results(
            self._post(self.query_url, {"query": text}, RESULTS_XML), ox.QueryResultsFormat.XML
        )
        if form == "ASK" and isinstance(result, ox.QuerySolutions):
            rows = list(result)
            value = bool(rows) and rows[0][0] is not None and rows[0][0].value not in ("0", "false")
            return boolean_result(value)
        return result

    def graph_names(self) -> set[Graph]:
        """Every named graph of the knowledge base on the server."""
        rows = self.select(
            "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } "
            f'FILTER(STRSTARTS(STR(?g), "{iris.BASE}")) }}'
        )
        return {r["g"] for r in rows if isinstance(r["g"], ox.NamedNode)}

    def quads(self, graph: Graph | None = None) -> Iterator[ox.Quad]:
        """Every quad of one graph, or of every graph of the knowledge base, graph by graph."""
        names = [graph] if graph is not None else sorted(self.graph_names(), key=str)
        for name in names:
            for triple in self._graph_triples(name):
                yield ox.Quad(triple.subject, triple.predicate, triple.object, name)

    def _graph_triples(self, graph: Graph) -> Iterator[ox.Triple]:
        if self.graph_url:
            response = self._client.get(
                self.graph_url, params={"graph-uri": graph.value}, headers={"Accept": N_TRIPLES}
            )
            if response.status_code == 404:
                return iter(())
            body = _checked(response, self.graph_url)
        else:
            query = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH {graph} {{ ?s ?p ?o }} }}"
            body = self._post(self.query_url, {"query": query}, N_TRIPLES)
        return ox.parse(body, ox.RdfFormat.N_TRIPLES)

    def close(self) -> None:
        """Close the HTTP connections."""
        self._client.close()

    def _post(self, url: str, form: dict[str, str], accept: str) -> bytes:
        try:
            response = self._client.post(url, data=form, headers={"Accept": accept})
        except httpx.HTTPError as exc:
            raise StoreError(f"SPARQL server at {url} failed: {exc!r}") from exc
        return _checked(response, url)


def _checked(response: httpx.Response, url: str) -> bytes:
    if response.status_code >= 400:
        first = response.text.strip().splitlines()[:1]
        detail = first[0][:300] if first else response.reason_phrase
        raise StoreError(f"SPARQL server at {url} answered {response.status_code}: {detail}")
    return response.content
