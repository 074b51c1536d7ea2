"""The store, the I/O boundary of the pipeline, and the factory that picks one.

The embedded Oxigraph store and a remote SPARQL 1.1 server speak one interface, ``Store``.

Writes are whole named graphs, replaced atomically: a reader sees an article as it was or as
it is now, never half of it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING

from kb.errors import LockedError
from kb.store.base import FORMATS, Bindings, Graph, Row, Store, Term, value_of
from kb.store.oxigraph import OxigraphStore

if TYPE_CHECKING:
    from kb.settings import Settings

__all__ = [
    "FORMATS",
    "Bindings",
    "Graph",
    "OxigraphStore",
    "Row",
    "Store",
    "Term",
    "open_store",
    "opened_store",
    "value_of",
]


def open_store(location: str | Path | None = None, settings: Settings | None = None) -> Store:
    """Open the store a location names: None or 'memory', a directory, or an http(s) URL.

    A URL opens a remote SPARQL 1.1 server, with the update, graph-store and credential
    settings given (KB_STORE_UPDATE_URL, KB_STORE_GRAPH_URL, KB_STORE_USER, ...), if any.
    """
    text = str(location) if location is not None else "memory"
    if text == "memory":
        return OxigraphStore()
    if text.startswith(("http://", "https://")):
        from kb.store.remote import RemoteStore

        if settings is None:
            return RemoteStore(text)
        return RemoteStore.from_settings(settings, query_url=text)
    return OxigraphStore(Path(text))


@contextmanager
def opened_store(settings: Settings, *, reading: bool = False, readers: int = 0) -> Iterator[Store]:
    """Open the store the settings name (KB_STORE, else KB_HOME/store); close it after.

    ``reading``: the caller only reads, so a store on disk that another process holds (a
    running ``kb serve``) is opened read-only, as it stands, instead of refused. ``readers``:
    queries run in that many worker processes, each stopped at KB_QUERY_TIMEOUT.
    """
    if not settings.store:
        settings.home.mkdir(parents=True, exist_ok=True)
    try:
        store = open_store(settings.store_location, settings)
    except LockedError:
        if not reading:
            raise
        store = OxigraphStore(Path(settings.store_location), read_only=True)
    try:
        if readers and isinstance(store, OxigraphStore):
            store.start_readers(readers, settings.query_timeout)
        yield store
    except BaseException:
        with suppress(Exception):  # the first error is the one to report, not the closing's
            store.close()
        raise
    store.close()
