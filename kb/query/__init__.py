"""Questions to the store: named queries, the SPARQL protocol, and the co-occurrence network.

``named`` reads the ``.rq`` files and their headers, ``registry`` binds, runs and caches
them, ``protocol`` vets a caller's SPARQL and writes its answer in the format asked for,
``analytics`` builds the concept network from a named query.
"""

from __future__ import annotations

from kb.query.named import NamedQuery, read_queries
from kb.query.registry import Page, Registry, Table

__all__ = ["NamedQuery", "Page", "Registry", "Table", "read_queries"]
