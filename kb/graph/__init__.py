"""The graph: an article and what was read from it as quads, the ontology graph, RDF files, SHACL.

``article`` maps an article to the quads of its named graph (and its claims to the claims
graph), ``terms`` the small terms every mapping writes, ``ontology`` loads the ontology graph
when its files change, ``rdfio`` reads and writes RDF files, ``validate`` checks graphs
against the shapes.
"""

from __future__ import annotations

from kb.graph.article import deletion_quads, to_quads
from kb.graph.ontology import ensure_ontology

__all__ = ["deletion_quads", "ensure_ontology", "to_quads"]
