"""The ontology's classes and properties, for the SPARQL editor's completion.

Read once from the ontology's Turtle files: each class or property with its IRI and labels.
Pure but for the one read; the editor asks ``/sparql/terms`` instead of LOV.
"""

from __future__ import annotations

from functools import lru_cache

import pyoxigraph as ox

from kb.iris import PREFIXES
from kb.resources import ontology_dir

RDF, RDFS, OWL, SKOS = (PREFIXES[p] for p in ("rdf", "rdfs", "owl", "skos"))
KINDS = {
    OWL + "Class": "class",
    RDFS + "Class": "class",
    OWL + "ObjectProperty": "property",
    OWL + "DatatypeProperty": "property",
    OWL + "AnnotationProperty": "property",
    RDF + "Property": "property",
}
LIMIT = 50


def parse_terms(turtle: bytes) -> dict[str, dict[str, str]]:
    """Each class and property of the Turtle text: kind -> IRI -> the text matched against."""
    found: dict[str, dict[str, str]] = {"class": {}, "property": {}}
    labels: dict[str, list[str]] = {}
    for triple in ox.parse(turtle, ox.RdfFormat.TURTLE):
        s, p, o = triple.subject, triple.predicate.value, triple.object
        if not isinstance(s, ox.NamedNode):
            continue
        if p == RDF + "type" and isinstance(o, ox.NamedNode) and o.value in KINDS:
            found[KINDS[o.value]][s.value] = ""
        elif p in (RDFS + "label", SKOS + "prefLabel") and isinstance(o, ox.Literal):
            labels.setdefault(s.value, []).append(o.value)
    for kind in found.values():
        for iri in kind:
            local = iri.rsplit("#", 1)[-1].rsplit("/", 1)[-1]
            kind[iri] = " ".join([local, *labels.get(iri, [])]).casefold()
    return found


@lru_cache(maxsize=1)
def ontology_terms() -> dict[str, dict[str, str]]:
    """The classes and properties of every Turtle file of the ontology folder."""
    data = b"\n".join(p.read_bytes() for p in sorted(ontology_dir().glob("*.ttl")))
    return parse_terms(data)


def matching_terms(text: str, kind: str) -> list[str]:
    """The IRIs of the classes (or properties) whose name or label holds the text.

    The text is a word, a prefixed name or the start of a full IRI, as the editor sends it
    (``tc:Ca`` arrives expanded); an IRI keeps the completions in its namespace.

    >>> "https://w3id.org/tckb/ontology#Case" in matching_terms("case", "class")
    True
    >>> matching_terms("https://w3id.org/tckb/ontology#Cas", "class")[:1]
    ['https://w3id.org/tckb/ontology#Case']
    >>> matching_terms("http://purl.org/dc/terms/Cas", "class")
    []
    """
    text = text.strip("<>")
    cut = max(text.rfind("#"), text.rfind("/"), text.rfind(":"))
    namespace = text[: cut + 1] if "/" in text else ""
    wanted = text[cut + 1 :].casefold()
    terms = ontology_terms().get(kind, {})
    found = (iri for iri, words in terms.items() if iri.startswith(namespace) and wanted in words)
    return sorted(found)[:LIMIT]
