"""A case as a GA4GH Phenopacket (schema v2), built with the ``phenopackets`` package's classes.

What goes where:

- subject: the case id, sex, and age at the report as an ISO 8601 duration (P62Y);
- phenotypic features: the imaging findings and symptoms, ``excluded`` for those reported
  absent, each with its sentence as evidence;
- diseases: the final diagnosis, with the lesion's region as primary site, and each
  associated condition; the diagnoses the lesion was taken for before histology are
  diseases marked ``excluded`` (tested for and ruled out), in the order the text gave;
- medical actions: each treatment (a drug as a treatment, anything else as a procedure),
  with the outcome as response;
- meta data: the extractor and version as creator, evidence ECO:0000203 (automatic
  assertion, the code Monarch gives machine curation), or ECO:0000218 (manual assertion)
  for what a curator accepted, corrected or added (said, with the curator, after the
  sentence), the PMID as external reference.

The schema cannot say that a disease was the *pre-operative* diagnosis, nor in what order
the diagnoses were held: an excluded disease only says it was ruled out. So the mistaken
diagnoses are listed in the order the text gave them, and the whole trajectory is also
written, in words, in the description of the PMID reference in the meta data.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from google.protobuf.json_format import MessageToJson
from google.protobuf.timestamp_pb2 import Timestamp
from phenopackets import (
    Age,
    Disease,
    Evidence,
    ExternalReference,
    Individual,
    MedicalAction,
    MetaData,
    OntologyClass,
    Phenopacket,
    PhenotypicFeature,
    Procedure,
    Resource,
    Sex,
    TimeElement,
    Treatment,
)

from kb.iris import CONCEPT
from kb.vocabulary import get_concepts, get_matches

SCHEMA_VERSION = "2.0"
AUTOMATIC = OntologyClass(id="ECO:0000203", label="automatic assertion")
# A feature a curator accepted, corrected or added is a manual assertion.
MANUAL = OntologyClass(id="ECO:0000218", label="manual assertion")
CURATED = frozenset({"accepted", "corrected", "added"})
# Which external sources name each kind of concept, best first; broader matches never do.
PREFERRED = {
    "finding": ("HP", "RADLEX", "MESH"),
    "symptom": ("HP", "MESH"),
    "condition": ("MONDO", "DOID", "MESH", "OMIM"),
    "lesion": ("MONDO", "DOID", "MESH"),
    "anatomy": ("UBERON", "MESH"),
    "procedure": ("NCIT", "MESH"),
    "outcome": ("NCIT", "MESH"),
}
RESOURCES = {
    "HP": ("hp", "Human Phenotype Ontology", "http://purl.obolibrary.org/obo/hp.owl",
           "http://purl.obolibrary.org/obo/HP_"),
    "RADLEX": ("radlex", "RadLex", "https://radlex.org", "http://radlex.org/RID/"),
    "MESH": ("mesh", "Medical Subject Headings", "https://id.nlm.nih.gov/mesh/",
             "http://id.nlm.nih.gov/mesh/"),
    "DOID": ("doid", "Human Disease Ontology", "http://purl.obolibrary.org/obo/doid.owl",
             "http://purl.obolibrary.org/obo/DOID_"),
    "MONDO": ("mondo", "Mondo Disease Ontology", "http://purl.obolibrary.org/obo/mondo.owl",
              "http://purl.obolibrary.org/obo/MONDO_"),
    "OMIM": ("omim", "Online Mendelian Inheritance in Man", "https://omim.org",
             "https://omim.org/entry/"),
    "ECO": ("eco", "Evidence and Conclusion Ontology", "http://purl.obolibrary.org/obo/eco.owl",
            "http://purl.obolibrary.org/obo/ECO_"),
    "TCKB": ("tckb", "Tumoral calcinosis of the spine knowledge base concepts",
             "https://w3id.org/tckb/concept/", CONCEPT),
}  # fmt: skip
DRUGS = frozenset({"treatment/phosphate-binder"})


def term(concept: str, label: str | None = None) -> OntologyClass:
    """The ontology class for a concept: an external term it matches exactly or closely.

    The term is chosen by the preference of the concept's kind; without one, the project's
    own (``TCKB:finding/t1-hypointense``).
    """
    known = get_concepts().get(concept)
    label = label or (known.pref_label if known else concept)
    scheme = known.scheme if known else ""
    close = [
        m for m in get_matches().get(concept, ()) if m.relation in ("exactMatch", "closeMatch")
    ]
    for prefix in PREFERRED.get(scheme, ()):
        for match in close:
            if match.curie.startswith(prefix + ":"):
                return OntologyClass(id=match.curie, label=label)
    return OntologyClass(id=f"TCKB:{concept}", label=label)


def _evidence(pmid: str, items: Iterable[Mapping[str, Any]]) -> list[Evidence]:
    """Each item's sentence as evidence: a manual assertion once a curator confirmed it."""
    evidence = []
    for item in items:
        status, sentence = item.get("status") or "machine", str(item.get("sentence") or "")
        curated = status in CURATED
        if curated:
            sentence = f"{sentence} [{status} by {item.get('curator') or 'a curator'}]"
        reference = ExternalReference(
            id=f"PMID:{pmid}",
            reference=f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/",
            description=sentence,
        )
        code = MANUAL if curated else AUTOMATIC
        evidence.append(Evidence(evidence_code=code, reference=reference))
    return evidence


def to_phenopacket(record: Mapping[str, Any], extractor: str, created: datetime) -> Phenopacket:
    """Build the phenopacket of one case record (``kb.cases.record.case_record``)."""
    pmid, case = str(record["pmid"]), str(record["case"])
    subject = Individual(id=case, sex=_SEX.get(record.get("sex") or "", Sex.UNKNOWN_SEX))
    if record.get("age") is not None:
        subject.time_at_last_encounter.CopyFrom(
            TimeElement(age=Age(iso8601duration=f"P{int(record['age'])}Y"))
        )
    features = [
        PhenotypicFeature(
            type=term(item["concept"], item.get("label")),
            excluded=cell == "findings_absent",
            evidence=_evidence(pmid, item["evidence"][:1]),
        )
        for cell in ("findings_present", "findings_absent", "symptoms")
        for item in record.get(cell, [])
    ]
    site = [term(r["concept"], r.get("label")) for r in record.get("regions", [])]
    diseases = [
        Disease(term=term(item["concept"], item.get("label")), primary_site=site[0])
        if site
        else Disease(term=term(item["concept"], item.get("label")))
        for item in record.get("final_diagnosis", [])
    ]
    diseases += [
        Disease(term=term(item["concept"], item.get("label")))
        for item in record.get("associated_conditions", [])
    ]
    diseases += [
        Disease(term=term(item["concept"], item.get("label")), excluded=True)
        for item in record.get("misdiagnoses", [])
    ]
    outcomes = [term(o["concept"], o.get("label")) for o in record.get("outcomes", [])]
    actions = [_action(item, outcomes[0] if outcomes else None) for item in record["treatments"]]
    stamp = Timestamp()
    stamp.FromDatetime(created)
    prefixes = sorted(
        {c.id.split(":", 1)[0] for c in _classes(features, diseases, actions)} | {"ECO"}
    )
    meta = MetaData(
        created=stamp,
        created_by=f"{extractor} (automated agent)",
        submitted_by="tc-spine-kb",
        phenopacket_schema_version=SCHEMA_VERSION,
        resources=[_resource(p) for p in prefixes if p in RESOURCES],
        external_references=[
            ExternalReference(
                id=f"PMID:{pmid}",
                reference=f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/",
                description=_trajectory(record),
            )
        ],
    )
    return Phenopacket(
        id=f"tckb-case-{case}",
        subject=subject,
        phenotypic_features=features,
        diseases=diseases,
        medical_actions=actions,
        meta_data=meta,
    )


_SEX = {"female": Sex.FEMALE, "male": Sex.MALE}


def _action(item: Mapping[str, Any], response: OntologyClass | None) -> MedicalAction:
    code = term(item["concept"], item.get("label"))
    action = (
        MedicalAction(treatment=Treatment(agent=code))
        if item["concept"] in DRUGS
        else MedicalAction(procedure=Procedure(code=code))
    )
    if response is not None:
        action.response_to_treatment.CopyFrom(response)
    return action


def _classes(
    features: Iterable[PhenotypicFeature],
    diseases: Iterable[Disease],
    actions: Iterable[MedicalAction],
) -> Iterable[OntologyClass]:
    yield from (f.type for f in features)
    for d in diseases:
        yield d.term
        if d.HasField("primary_site"):
            yield d.primary_site
    for a in actions:
        yield a.treatment.agent if a.HasField("treatment") else a.procedure.code
        if a.HasField("response_to_treatment"):
            yield a.response_to_treatment


def _resource(prefix: str) -> Resource:
    key, name, url, iri_prefix = RESOURCES[prefix]
    return Resource(
        id=key, name=name, url=url, version="unversioned", namespace_prefix=prefix,
        iri_prefix=iri_prefix,
    )  # fmt: skip


def _trajectory(record: Mapping[str, Any]) -> str:
    """The diagnostic trajectory in words: what the schema has no field for."""
    steps = [str(m.get("label")) for m in record.get("misdiagnoses", [])]
    final = ", ".join(str(d.get("label")) for d in record.get("final_diagnosis", []))
    how = record.get("diagnosis_method")
    parts = [f"Taken before histology for: {', then '.join(steps)}." if steps else ""]
    if final:
        parts.append(f"Final diagnosis: {final}" + (f" ({how})." if how else "."))
    return " ".join(p for p in parts if p) or "Case reported in this article."


def to_json(packet: Phenopacket) -> str:
    """The phenopacket as the JSON the GA4GH tools read (camelCase fields)."""
    return str(MessageToJson(packet, indent=2))
