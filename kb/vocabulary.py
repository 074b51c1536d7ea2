"""The concept scheme, read from the project's ontology files (the one source of labels)."""

from __future__ import annotations

from collections import defaultdict
from functools import lru_cache
from pathlib import Path

import pyoxigraph as ox
from pydantic import Field

from kb.iris import CONCEPT, ONTOLOGY, concept_id
from kb.models import Frozen
from kb.resources import data_file, ontology_dir

SKOS = "http://www.w3.org/2004/02/skos/core#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"

#: The vertebrae a lesion level names, from the skull down.
VERTEBRAE: tuple[str, ...] = (
    *(f"C{i}" for i in range(1, 8)),
    *(f"T{i}" for i in range(1, 13)),
    *(f"L{i}" for i in range(1, 6)),
    *(f"S{i}" for i in range(1, 6)),
)
_REGIONS = {
    "C": "region/cervical",
    "T": "region/thoracic",
    "L": "region/lumbar",
    "S": "region/sacral",
}
_REGION_OF = {v: _REGIONS[v[0]] for v in VERTEBRAE}


def region_of(vertebra: str) -> str | None:
    """The region concept a vertebra label lies in, or None for a label that is no vertebra.

    >>> region_of("C5")
    'region/cervical'
    """
    return _REGION_OF.get(vertebra)


class Concept(Frozen):
    """A SKOS concept with the labels the extractor matches and its place in the hierarchy."""

    id: str
    scheme: str = Field(description="The collection it belongs to: lesion, anatomy, finding, ...")
    pref_label: str
    alt_labels: tuple[str, ...] = ()
    hidden_labels: tuple[str, ...] = ()
    broader: tuple[str, ...] = ()
    note: str | None = None

    @property
    def labels(self) -> tuple[str, ...]:
        """Every label the text may use for the concept."""
        return (self.pref_label, *self.alt_labels, *self.hidden_labels)


def parse_concepts(turtle: bytes) -> dict[str, Concept]:
    """Read every skos:Concept of the scheme from Turtle text, by id."""
    values: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    members: dict[str, str] = {}
    for triple in ox.parse(turtle, ox.RdfFormat.TURTLE):
        s, p, o = triple.subject, triple.predicate.value, triple.object
        if not isinstance(s, ox.NamedNode):
            continue
        if p == SKOS + "member" and isinstance(o, ox.NamedNode):
            member = concept_id(o)
            if member:
                members[member] = s.value.rsplit("/", 1)[-1]
            continue
        cid = concept_id(s)
        if cid is None or cid.startswith("scheme"):
            continue
        if p == RDF_TYPE:
            values[cid]["type"].append(o.value)
        elif p.startswith(SKOS):
            values[cid][p[len(SKOS) :]].append(o.value)
    concepts = {}
    for cid, v in values.items():
        if SKOS + "Concept" not in v["type"]:
            continue
        concepts[cid] = Concept(
            id=cid,
            scheme=members.get(cid, cid.split("/", 1)[0]),
            pref_label=v["prefLabel"][0],
            alt_labels=tuple(sorted(v["altLabel"])),
            hidden_labels=tuple(sorted(v["hiddenLabel"])),
            broader=tuple(sorted(b[len(CONCEPT) :] for b in v["broader"] if b.startswith(CONCEPT))),
            note=v["scopeNote"][0] if v["scopeNote"] else None,
        )
    return concepts


def read_concepts(folder: Path | None = None) -> dict[str, Concept]:
    """Read the concept scheme from every Turtle file of the ontology folder."""
    folder = folder or ontology_dir()
    data_file(folder, "concepts.ttl")  # the scheme itself: without it every lexicon is empty
    data = b"\n".join(p.read_bytes() for p in sorted(folder.glob("*.ttl")))
    return parse_concepts(data)


@lru_cache(maxsize=1)
def get_concepts() -> dict[str, Concept]:
    """The project's concept scheme, read once per process."""
    return read_concepts()


MATCHES = ("exactMatch", "closeMatch", "narrowMatch", "broadMatch", "relatedMatch")
_CURIE_PREFIXES = (
    ("http://purl.obolibrary.org/obo/", None),  # DOID_182 -> DOID:182
    ("http://id.nlm.nih.gov/mesh/", "MESH"),
    ("http://radlex.org/RID/", "RADLEX"),
    ("https://omim.org/entry/", "OMIM"),
    ("http://www.orpha.net/ORDO/", None),  # Orphanet_306661 -> Orphanet:306661
)


class Match(Frozen):
    """A link from a concept to an external identifier, by a SKOS mapping relation."""

    relation: str = Field(description="exactMatch, closeMatch, narrowMatch, broadMatch, ...")
    iri: str
    curie: str


def to_curie(iri: str) -> str | None:
    """The compact form of an external identifier's IRI (``DOID:182``, ``MESH:D002114``).

    >>> to_curie("http://purl.obolibrary.org/obo/DOID_182")
    'DOID:182'
    """
    for base, prefix in _CURIE_PREFIXES:
        if iri.startswith(base):
            local = iri[len(base) :]
            return f"{prefix}:{local}" if prefix else local.replace("_", ":", 1)
    return None


def parse_matches(turtle: bytes) -> dict[str, tuple[Match, ...]]:
    """Read the SKOS mapping relations of the vocabulary's concepts, by concept id."""
    found: dict[str, list[Match]] = defaultdict(list)
    for triple in ox.parse(turtle, ox.RdfFormat.TURTLE, base_iri=CONCEPT):
        relation = triple.predicate.value.removeprefix(SKOS)
        cid = concept_id(triple.subject.value) if isinstance(triple.subject, ox.NamedNode) else None
        if cid and relation in MATCHES and isinstance(triple.object, ox.NamedNode):
            curie = to_curie(triple.object.value)
            if curie:
                found[cid].append(Match(relation=relation, iri=triple.object.value, curie=curie))
    return {cid: tuple(matches) for cid, matches in found.items()}


@lru_cache(maxsize=1)
def get_matches() -> dict[str, tuple[Match, ...]]:
    """The concepts' external identifiers (ontology/mappings.ttl), read once per process."""
    return parse_matches(data_file(ontology_dir(), "mappings.ttl").read_bytes())


def parse_modalities(turtle: bytes) -> dict[str, str]:
    """Each finding's imaging modality (``tc:modality``), as its label; sequences under MRI.

    A sequence of MRI is labelled ``magnetic resonance imaging: T1-weighted MRI``, so that
    sorting the labels keeps the sequences under their modality.
    """
    labels: dict[str, str] = {}
    broader: dict[str, str] = {}
    of_finding: dict[str, str] = {}
    for triple in ox.parse(turtle, ox.RdfFormat.TURTLE, base_iri=CONCEPT):
        s, p, o = triple.subject, triple.predicate.value, triple.object
        if not isinstance(s, ox.NamedNode):
            continue
        if p == ONTOLOGY + "modality" and isinstance(o, ox.NamedNode):
            cid = concept_id(s.value)
            if cid:
                of_finding[cid] = o.value
        elif p == SKOS + "prefLabel" and isinstance(o, ox.Literal):
            labels[s.value] = o.value
        elif p == SKOS + "broader" and isinstance(o, ox.NamedNode):
            broader[s.value] = o.value

    def label(modality: str) -> str:
        own = labels.get(modality, modality.rpartition("#")[2])
        parent = broader.get(modality)
        return f"{label(parent)}: {own}" if parent and parent.startswith(ONTOLOGY) else own

    return {cid: label(modality) for cid, modality in of_finding.items()}


@lru_cache(maxsize=1)
def get_modalities() -> dict[str, str]:
    """Each finding concept's modality label (ontology/tckb.ttl and mappings.ttl), once."""
    folder = ontology_dir()
    files = (data_file(folder, "tckb.ttl"), data_file(folder, "mappings.ttl"))
    return parse_modalities(b"\n".join(f.read_bytes() for f in files))
