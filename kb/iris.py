"""Every IRI and prefix of the knowledge base is minted here, and nowhere else.

>>> article_iri("11474353").value
'https://w3id.org/tckb/id/article/11474353'
>>> concept_iri("finding/t1-hypointense").value
'https://w3id.org/tckb/concept/finding/t1-hypointense'
>>> concept_id(concept_iri("finding/t1-hypointense"))
'finding/t1-hypointense'
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping

from pyoxigraph import NamedNode

BASE = "https://w3id.org/tckb/"
ONTOLOGY = BASE + "ontology#"
ONTOLOGY_IRI = BASE + "ontology"
CONCEPT = BASE + "concept/"
DATA = BASE + "id/"
GRAPH = BASE + "graph/"

PREFIXES: dict[str, str] = {
    "tc": ONTOLOGY,
    "tcc": CONCEPT,
    "tcd": DATA,
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "fabio": "http://purl.org/spar/fabio/",
    "bibo": "http://purl.org/ontology/bibo/",
    "prov": "http://www.w3.org/ns/prov#",
    "oa": "http://www.w3.org/ns/oa#",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "sh": "http://www.w3.org/ns/shacl#",
    "mesh": "http://id.nlm.nih.gov/mesh/",
    "obo": "http://purl.obolibrary.org/obo/",
    "radlex": "http://radlex.org/RID/",
    "omim": "https://omim.org/entry/",
    "orpha": "http://www.orpha.net/ORDO/Orphanet_",
}

# Namespaces of the external identifiers in vocabulary.tsv (MESH:D002114, DOID:182, ...).
EXTERNAL: dict[str, str] = {
    "MESH": "http://id.nlm.nih.gov/mesh/",
    "DOID": "http://purl.obolibrary.org/obo/DOID_",
    "MONDO": "http://purl.obolibrary.org/obo/MONDO_",
    "OMIM": "https://omim.org/entry/",
    "ORPHA": "http://www.orpha.net/ORDO/Orphanet_",
    "RADLEX": "http://radlex.org/RID/",
}

ONTOLOGY_GRAPH = NamedNode(GRAPH + "ontology")
RUNS_GRAPH = NamedNode(GRAPH + "runs")
# Claims are shared by articles, so they are described once, here, not in each article graph.
CLAIMS_GRAPH = NamedNode(GRAPH + "claims")
# Curators' verdicts: written by curation alone, never by ingest, refresh or re-extraction.
CURATION_GRAPH = NamedNode(GRAPH + "curation")

_PMID = re.compile(r"^[0-9]+$")
_KEY = re.compile(r"^[0-9a-z][0-9a-z._-]*$")
_CASE = re.compile(r"^" + re.escape(DATA) + r"article/([0-9]+)/case/([0-9]+)$")
_CONCEPT = re.compile(r"^[a-z]+/[a-z0-9-]+$")


def _check(value: str, pattern: re.Pattern[str], what: str) -> str:
    if not pattern.match(value):
        raise ValueError(f"not a valid {what}: {value!r}")
    return value


def term(local: str) -> NamedNode:
    """A term of the project's ontology (``tc:Lesion``, ``tc:polarity``)."""
    return NamedNode(ONTOLOGY + local)


def vocab(curie: str) -> NamedNode:
    """A term of a vocabulary of ``PREFIXES`` by CURIE (``dcterms:title``, ``rdf:type``)."""
    return _expand(curie, PREFIXES, "not a CURIE of a known prefix")


def _expand(curie: str, namespaces: Mapping[str, str], refusal: str) -> NamedNode:
    """``prefix:local`` as the IRI of ``namespaces[prefix]``, or ValueError naming ``refusal``."""
    prefix, _, local = curie.partition(":")
    if prefix not in namespaces or not local:
        raise ValueError(f"{refusal}: {curie!r}")
    return NamedNode(namespaces[prefix] + local)


def article_iri(pmid: str) -> NamedNode:
    """The article itself."""
    return NamedNode(f"{DATA}article/{_check(pmid, _PMID, 'PMID')}")


def article_graph(pmid: str) -> NamedNode:
    """The named graph that holds one article and everything read from it."""
    return NamedNode(f"{GRAPH}article/{_check(pmid, _PMID, 'PMID')}")


def pmid_of_graph(graph: NamedNode) -> str | None:
    """The PMID of an article graph, or None for any other graph."""
    prefix = GRAPH + "article/"
    return graph.value[len(prefix) :] if graph.value.startswith(prefix) else None


def pmid_of_article(article: NamedNode | str) -> str | None:
    """The PMID of an article's IRI, or None for any other IRI."""
    value, prefix = (article if isinstance(article, str) else article.value), DATA + "article/"
    pmid = value[len(prefix) :] if value.startswith(prefix) else ""
    return pmid if _PMID.match(pmid) else None


def lesion_iri(pmid: str) -> NamedNode:
    """The lesion (or lesions) that an article reports."""
    return NamedNode(f"{article_iri(pmid).value}/lesion")


def patient_iri(pmid: str, number: int) -> NamedNode:
    """The n-th patient (1-based) that an article reports."""
    return NamedNode(f"{article_iri(pmid).value}/patient/{int(number)}")


def case_iri(pmid: str, number: int) -> NamedNode:
    """The n-th patient (1-based) an article describes individually: a case record."""
    return NamedNode(f"{article_iri(pmid).value}/case/{int(number)}")


def case_id(iri: NamedNode | str) -> str | None:
    """The short id of a case (``11474353-2``) from its IRI, or None for any other IRI."""
    value = iri if isinstance(iri, str) else iri.value
    m = _CASE.match(value)
    return f"{m.group(1)}-{m.group(2)}" if m else None


def case_from_id(case: str) -> NamedNode:
    """The IRI of a case from its short id (``11474353-2``)."""
    pmid, _, number = case.partition("-")
    if not number.isdigit() or not 0 < int(number) < 1000:
        raise ValueError(f"not a case id: {case!r} (PMID-number, e.g. 11474353-2)")
    return case_iri(pmid, int(number))


def duplicate_flag_iri(first: str, second: str) -> NamedNode:
    """The flag that two cases (by id, in order) may be one patient published twice."""
    case_from_id(second)  # checked like the first
    return NamedNode(f"{case_from_id(first).value}/duplicate/{second}")


def cohort_iri(pmid: str) -> NamedNode:
    """The patients of an article taken as a group: what it says of them together."""
    return NamedNode(f"{article_iri(pmid).value}/cohort")


def author_iri(pmid: str, number: int) -> NamedNode:
    """The n-th author (1-based) of an article, as listed."""
    return NamedNode(f"{article_iri(pmid).value}/author/{int(number)}")


def section_iri(pmid: str, number: int) -> NamedNode:
    """The n-th abstract section (1-based) of an article."""
    return NamedNode(f"{article_iri(pmid).value}/section/{int(number)}")


def assertion_iri(evidence_key: str) -> NamedNode:
    """One assertion as read by one extractor (its evidence key)."""
    return NamedNode(f"{DATA}assertion/{_check(evidence_key, _KEY, 'key')}")


def selector_iri(evidence_key: str, kind: str) -> NamedNode:
    """A Web Annotation selector (``quote`` or ``position``) of an assertion."""
    return NamedNode(f"{assertion_iri(evidence_key).value}/{_check(kind, _KEY, 'selector')}")


def target_iri(evidence_key: str) -> NamedNode:
    """The Web Annotation target of an assertion: the article, narrowed by its selectors."""
    return NamedNode(f"{assertion_iri(evidence_key).value}/target")


def claim_iri(claim_key: str) -> NamedNode:
    """A claim shared by every article that makes it."""
    return NamedNode(f"{DATA}claim/{_check(claim_key, _KEY, 'key')}")


def claim_pair_iri(first: NamedNode, second: NamedNode) -> NamedNode:
    """Two claims one article makes together, in either order (``tc:ClaimPair``)."""
    keys = sorted(claim.value.removeprefix(f"{DATA}claim/") for claim in (first, second))
    checked = (_check(key, _KEY, "claim key") for key in keys)
    return NamedNode(f"{DATA}claim-pair/{'/'.join(checked)}")


def verdict_iri(verdict_id: str) -> NamedNode:
    """A curator's verdict (a Web Annotation) by its content hash."""
    return NamedNode(f"{DATA}verdict/{_check(verdict_id, _KEY, 'verdict id')}")


def curator_iri(name: str, orcid: str | None = None) -> NamedNode:
    """A curator: their ORCID when they have one, else a node named by a hash of the name."""
    if orcid:
        return orcid_iri(orcid)
    digest = hashlib.sha256(name.strip().encode("utf-8")).hexdigest()[:16]
    return NamedNode(f"{DATA}curator/{digest}")


def run_iri(run_id: str) -> NamedNode:
    """An ingest, extraction or refresh run (a prov:Activity)."""
    return NamedNode(f"{DATA}run/{_check(run_id, _KEY, 'run id')}")


def agent_iri(name: str) -> NamedNode:
    """A software agent (the extractor, the ingester) by name and version."""
    return NamedNode(f"{DATA}agent/{_check(name.replace('/', '-'), _KEY, 'agent')}")


def concept_iri(concept: str) -> NamedNode:
    """A SKOS concept of the vocabulary by its id (``finding/t1-hypointense``)."""
    return NamedNode(CONCEPT + _check(concept, _CONCEPT, "concept id"))


def concept_id(iri: NamedNode | str) -> str | None:
    """The vocabulary id of a concept IRI, or None for any other IRI."""
    value = iri if isinstance(iri, str) else iri.value
    return value[len(CONCEPT) :] if value.startswith(CONCEPT) else None


def concept_scheme(scheme: str | None = None) -> NamedNode:
    """The whole concept scheme, or one of its sub-schemes (lesion, anatomy, finding, ...)."""
    return NamedNode(CONCEPT + "scheme" + (f"/{_check(scheme, _KEY, 'scheme')}" if scheme else ""))


def mesh_iri(ui: str) -> NamedNode:
    """A MeSH descriptor, qualifier or publication type by UI (D002114, Q000000981)."""
    return NamedNode(EXTERNAL["MESH"] + _check(ui, re.compile(r"^[A-Z][0-9]+$"), "MeSH UI"))


def external_iri(curie: str) -> NamedNode:
    """A resolvable IRI for a CURIE of vocabulary.tsv (``MESH:D002114``, ``DOID:182``)."""
    return _expand(curie, EXTERNAL, "unknown identifier prefix")


def pubmed_url(pmid: str) -> NamedNode:
    """The article's page on PubMed."""
    return NamedNode(f"https://pubmed.ncbi.nlm.nih.gov/{_check(pmid, _PMID, 'PMID')}/")


def doi_iri(doi: str) -> NamedNode:
    """The resolvable IRI of a DOI."""
    return NamedNode("https://doi.org/" + doi.strip())


def orcid_iri(orcid: str) -> NamedNode:
    """The resolvable IRI of an ORCID."""
    return NamedNode("https://orcid.org/" + orcid.strip())


def problem_iri(kind: str) -> NamedNode:
    """The type of an API error (RFC 9457 problem details), e.g. ``invalid-parameter``."""
    return NamedNode(f"{BASE}problem/{_check(kind, _KEY, 'problem type')}")


def sparql_prolog() -> str:
    """PREFIX lines for every prefix above, for queries written by hand."""
    return "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in PREFIXES.items())
