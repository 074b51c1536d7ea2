"""Meta-tests of the ontology: it parses, covers the vocabulary, and declares what code emits."""

from __future__ import annotations

import csv
import re
from collections import Counter, defaultdict
from datetime import UTC, datetime
from typing import Any

import pyoxigraph as ox
import pytest
import rdflib

from kb import iris
from kb.graph.article import to_quads
from kb.graph.ontology import ontology_quads
from kb.jobs.runs import Run, run_to_quads
from kb.models import Article
from kb.resources import ontology_dir
from tests.support.articles import full_article, full_extraction
from tests.support.paths import SHARED, need

ONTOLOGY = ontology_dir()
SKOS = iris.PREFIXES["skos"]
RDF_TYPE = iris.PREFIXES["rdf"] + "type"
OWL = iris.PREFIXES["owl"]
RDFS = iris.PREFIXES["rdfs"]
MATCHES = ("exactMatch", "closeMatch", "broadMatch", "relatedMatch", "narrowMatch")

# The terms of standard vocabularies the mapping emits, each checked by hand against its
# specification (DCTERMS, FaBiO, BIBO, FOAF, PROV-O, Web Annotation, RDF/RDFS). A new one
# makes the test below fail until it is reviewed and added here.
STANDARD_TERMS = {
    "rdf:type",
    "rdfs:label",
    "rdfs:seeAlso",
    "dcterms:identifier",
    "dcterms:title",
    "dcterms:alternative",
    "dcterms:abstract",
    "dcterms:issued",
    "dcterms:language",
    "dcterms:creator",
    "dcterms:subject",
    "fabio:JournalArticle",
    "fabio:BookChapter",
    "fabio:hasPubMedId",
    "fabio:hasPublicationYear",
    "fabio:hasPubMedCentralId",
    "bibo:doi",
    "bibo:issn",
    "bibo:volume",
    "bibo:issue",
    "bibo:pages",
    "foaf:Person",
    "foaf:Organization",
    "foaf:name",
    "foaf:familyName",
    "foaf:givenName",
    "prov:Activity",
    "prov:SoftwareAgent",
    "prov:wasAttributedTo",
    "prov:wasAssociatedWith",
    "prov:startedAtTime",
    "prov:endedAtTime",
    "oa:hasTarget",
    "oa:hasSource",
    "oa:hasSelector",
    "oa:SpecificResource",
    "oa:TextQuoteSelector",
    "oa:TextPositionSelector",
    "oa:exact",
    "oa:prefix",
    "oa:suffix",
    "oa:start",
    "oa:end",
    # Curators' verdicts: Web Annotations, with their time, note and body.
    "oa:Annotation",
    "oa:motivatedBy",
    "oa:hasBody",
    "dcterms:created",
    "rdfs:comment",
}


def _curie(iri: str) -> str:
    for prefix, namespace in iris.PREFIXES.items():
        if iri.startswith(namespace) and prefix not in ("tcd", "tcc"):
            return f"{prefix}:{iri[len(namespace) :]}"
    return iri


def _triples(name: str) -> list[ox.Quad]:
    return list(ox.parse(path=ONTOLOGY / name, format=ox.RdfFormat.TURTLE))


def _vocabulary() -> list[dict[str, str]]:
    path = SHARED / "spec" / "vocabulary.tsv"
    need(path.is_file(), f"{path} is absent")
    with path.open(encoding="utf-8") as stream:
        return list(csv.DictReader(stream, delimiter="\t"))


@pytest.fixture(scope="module")
def ontology() -> rdflib.Graph:
    """Every ontology file loaded into the graph the pipeline loads (without the shapes)."""
    _, quads = ontology_quads()
    triples = (ox.Triple(q.subject, q.predicate, q.object) for q in quads)
    data = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)
    return rdflib.Graph().parse(data=data, format="nt")


def _objects(graph: rdflib.Graph, subject: str, predicate: str) -> set[str]:
    return {str(o) for o in graph.objects(rdflib.URIRef(subject), rdflib.URIRef(predicate))}


@pytest.mark.parametrize("name", sorted(p.name for p in ONTOLOGY.glob("*.ttl")))
def test_every_ontology_file_parses_with_both_parsers(name: str) -> None:
    assert _triples(name)
    assert len(rdflib.Graph().parse(ONTOLOGY / name, format="turtle")) > 0


@pytest.mark.parametrize("name", ["tckb.ttl", "concepts.ttl", "mappings.ttl"])
def test_loaded_ontology_files_have_no_blank_nodes(name: str) -> None:
    blank = [t for t in _triples(name) if isinstance(t.subject, ox.BlankNode)]
    blank += [t for t in _triples(name) if isinstance(t.object, ox.BlankNode)]
    assert blank == []


def test_the_ontology_has_a_version_iri(ontology: rdflib.Graph) -> None:
    assert _objects(ontology, iris.ONTOLOGY_IRI, RDF_TYPE) == {OWL + "Ontology"}
    (version,) = _objects(ontology, iris.ONTOLOGY_IRI, OWL + "versionIRI")
    assert version.startswith(iris.ONTOLOGY_IRI + "/")


def test_every_vocabulary_concept_is_in_the_scheme_with_its_labels(
    ontology: rdflib.Graph,
) -> None:
    for row in _vocabulary():
        concept = iris.concept_iri(row["id"]).value
        assert SKOS + "Concept" in _objects(ontology, concept, RDF_TYPE), row["id"]
        assert iris.concept_scheme().value in _objects(ontology, concept, SKOS + "inScheme")
        assert _objects(ontology, concept, SKOS + "prefLabel") == {row["label"]}, row["id"]
        labels = {
            label.lower()
            for p in ("prefLabel", "altLabel", "hiddenLabel")
            for label in _objects(ontology, concept, SKOS + p)
        }
        for synonym in filter(None, row["synonyms (examples, not exhaustive)"].split("|")):
            bare = re.sub(r"\s*\(.*?\)", "", synonym).strip().lower()
            assert bare in labels, f"{row['id']}: synonym {synonym!r} has no label"


def _expected_matches() -> dict[str, dict[str, str]]:
    """The match relation of every identifier of vocabulary.tsv, by the README's rules."""
    parsed = []
    for row in _vocabulary():
        refs = row["refs (verified identifiers)"].strip()
        items = []
        for part in filter(None, (p.strip() for p in refs.split(";"))):
            match = re.fullmatch(r"([A-Z]+:[A-Za-z0-9]+)\s*(?:\((.*)\))?", part)
            assert match, f"{row['id']}: cannot read ref {part!r}"
            items.append((match.group(1), match.group(2)))
        parsed.append((row["id"], items))
    bare_owners = Counter(c for _, items in parsed for c, note in items if note is None)
    expected: dict[str, dict[str, str]] = {}
    for cid, items in parsed:
        per_source = Counter(c.split(":")[0] for c, note in items if note is None)
        relations = {}
        for curie, note in items:
            key = (note or "").split(":")[0].strip()
            relation = {"broader": "broadMatch", "related": "relatedMatch"}.get(key, "closeMatch")
            relation = "relatedMatch" if key == "modality" else relation
            if note is None:
                several = per_source[curie.split(":")[0]] > 1
                shared = bare_owners[curie] > 1 and cid.startswith("lesion/")
                relation = "closeMatch" if several or shared else "exactMatch"
            relations[iris.external_iri(curie).value] = relation
        expected[cid] = relations
    # README: gadolinium is the agent of contrast enhancement, not the finding.
    expected["finding/contrast-enhancement"][iris.external_iri("MESH:D005682").value] = (
        "relatedMatch"
    )
    return expected


def test_every_verified_identifier_is_matched_by_the_documented_relation(
    ontology: rdflib.Graph,
) -> None:
    for cid, relations in _expected_matches().items():
        concept = iris.concept_iri(cid).value
        found = {
            target: relation
            for relation in MATCHES
            for target in _objects(ontology, concept, SKOS + relation)
        }
        assert found == relations, cid


def test_no_external_identifier_is_invented(ontology: rdflib.Graph) -> None:
    given = {iri for relations in _expected_matches().values() for iri in relations}
    used = {
        str(o)
        for relation in MATCHES
        for o in ontology.objects(None, rdflib.URIRef(SKOS + relation))
    }
    assert used <= given


def test_exact_match_never_equates_two_concepts_or_two_entries_of_a_source(
    ontology: rdflib.Graph,
) -> None:
    owners = defaultdict(set)
    for concept, target in ontology.subject_objects(rdflib.URIRef(SKOS + "exactMatch")):
        owners[str(target)].add(str(concept))
    assert {t: c for t, c in owners.items() if len(c) > 1} == {}
    for concept in {c for cs in owners.values() for c in cs}:
        targets = _objects(ontology, concept, SKOS + "exactMatch")
        sources = Counter(iri.rsplit("/", 1)[0].split("_")[0] for iri in targets)
        assert max(sources.values()) == 1, concept


def test_every_finding_has_a_declared_modality(ontology: rdflib.Graph) -> None:
    modality_class = iris.term("ImagingModality").value
    for row in _vocabulary():
        if row["scheme"] != "finding":
            continue
        modalities = _objects(
            ontology, iris.concept_iri(row["id"]).value, iris.term("modality").value
        )
        assert modalities, f"{row['id']} has no tc:modality"
        for modality in modalities:
            assert modality_class in _objects(ontology, modality, RDF_TYPE)
            assert _objects(ontology, modality, SKOS + "prefLabel")


def test_the_notes_decide_the_modality_of_each_finding(ontology: rdflib.Graph) -> None:
    words = {
        "radiograph": "Radiography",
        "CT": "ComputedTomography",
        "MRI T1": "MRI_T1",
        "MRI T2": "MRI_T2",
        "MRI contrast": "MRI_Contrast",
        "nuclear medicine": "NuclearMedicine",
        "any modality": "AnyModality",
    }
    for row in _vocabulary():
        note = row["notes"]
        named = re.match(r"modality ([^;\"]+?)(?:;|$)", note)
        if row["scheme"] != "finding" or not named:
            continue
        found = _objects(ontology, iris.concept_iri(row["id"]).value, iris.term("modality").value)
        wanted = words.get(named.group(1).strip(), "MRI")
        assert found == {iris.term(wanted).value}, row["id"]


def _broader(ontology: rdflib.Graph) -> dict[str, set[str]]:
    links = defaultdict(set)
    for narrower, broader in ontology.subject_objects(rdflib.URIRef(SKOS + "broader")):
        links[str(narrower)].add(str(broader))
    return links


def _ancestors(links: dict[str, set[str]], start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        for parent in links.get(todo.pop(), ()):
            if parent not in seen:
                seen.add(parent)
                todo.append(parent)
    return seen


def test_the_hierarchy_groups_what_the_vocabulary_notes_group(ontology: rdflib.Graph) -> None:
    links = _broader(ontology)

    def under(cid: str) -> set[str]:
        return _ancestors(links, iris.concept_iri(cid).value)

    degenerative = iris.concept_iri("condition/degenerative-spine-disease").value
    for row in _vocabulary():
        if (
            "degenerative group" in row["notes"]
            and row["id"] != "condition/degenerative-spine-disease"
        ):
            assert degenerative in under(row["id"]), row["id"]
        if row["scheme"] == "anatomy":
            assert iris.term("Spine").value in under(row["id"]), row["id"]
    neoplasm = iris.concept_iri("condition/neoplasm").value
    for tumour in ("chordoma", "giant-cell-tumor", "osteochondroma", "chondrosarcoma"):
        assert neoplasm in under(f"condition/{tumour}")
    for tumour in ("osteoblastoma", "meningioma", "nerve-sheath-tumor", "metastasis"):
        assert neoplasm in under(f"condition/{tumour}")
    assert neoplasm in under("condition/malignant-neoplasm")
    infection = iris.concept_iri("condition/infection").value
    for kind in ("abscess", "tuberculosis", "spondylodiscitis"):
        assert infection in under(f"condition/{kind}")
    sclerosis = iris.concept_iri("condition/systemic-sclerosis").value
    assert sclerosis in under("condition/crest-syndrome")


def test_the_hierarchy_has_no_cycles_and_ends_in_declared_concepts(
    ontology: rdflib.Graph,
) -> None:
    links = _broader(ontology)
    for concept, parents in links.items():
        assert concept not in _ancestors(links, concept), concept
        for parent in parents:
            assert SKOS + "Concept" in _objects(ontology, parent, RDF_TYPE), parent


def test_grouping_concepts_stay_out_of_the_extractor_lexicon() -> None:
    from kb.vocabulary import read_concepts

    ids = set(read_concepts())
    assert ids == {row["id"] for row in _vocabulary()}


def _declared(ontology: rdflib.Graph) -> dict[str, set[str]]:
    kinds: dict[str, set[str]] = defaultdict(set)
    for subject, kind in ontology.subject_objects(rdflib.RDF.type):
        if str(subject).startswith(iris.ONTOLOGY):
            kinds[str(subject)].add(str(kind))
    return kinds


def test_every_ontology_property_is_documented(ontology: rdflib.Graph) -> None:
    for term, kinds in _declared(ontology).items():
        assert _objects(ontology, term, RDFS + "label") or _objects(
            ontology, term, SKOS + "prefLabel"
        ), term
        if kinds & {OWL + "ObjectProperty", OWL + "DatatypeProperty", OWL + "Class"}:
            assert _objects(ontology, term, RDFS + "comment"), f"{term} has no rdfs:comment"
        if OWL + "DatatypeProperty" in kinds:
            assert _objects(ontology, term, RDFS + "range"), f"{term} has no range"


def test_every_term_the_code_emits_is_declared_or_standard(ontology: rdflib.Graph) -> None:
    from ingest.files import iter_file_records
    from kb.extraction.extract import extract_article
    from kb.resources import sample_path

    records = [r for r in iter_file_records(sample_path()) if isinstance(r, Article)]
    quads = [q for r in records for q in to_quads(r, extract_article(r))]
    quads += to_quads(full_article(), full_extraction())
    quads += to_quads(full_article(is_book=True))
    started = datetime(2025, 1, 1, tzinfo=UTC)
    run = Run(run_id="r1", label="t", started=started, ended=started, extractor="x/1")
    quads += run_to_quads(run.model_copy(update={"errors": ("e",), "deleted": ("1",)}))
    quads += _curated(started)
    declared = _declared(ontology)
    used = {q.predicate.value for q in quads}
    used |= {q.object.value for q in quads if q.predicate.value == RDF_TYPE}
    unknown = sorted(
        _curie(term)
        for term in used
        if not (term.startswith(iris.ONTOLOGY) and term in declared)
        and _curie(term) not in STANDARD_TERMS
    )
    assert unknown == []


def _curated(when: datetime) -> list[Any]:
    """What curation emits: verdicts of each kind, the curated article, a judged flag."""
    from kb.cases.duplicates import Flag, flag_quads
    from kb.curation import Curator, PairVerdict, Statement, Verdict
    from kb.graph.curation import verdict_quads

    article, extraction = full_article(), full_extraction()
    first, second = extraction.assertions[:2]
    who = Curator(name="C", orcid="0000-0002-1825-0097")
    gone = first.model_copy(update={"sentence": "Not in the text.", "start": 0, "end": 3})
    scope = "background" if second.scope == "patient" else "patient"
    verdicts = [
        Verdict(pmid=article.pmid, action="reject", assertion=first, reason="other",
                curator=who, created=when),
        Verdict(pmid=article.pmid, action="correct", assertion=second,
                correction=Statement(scope=scope), curator=who, created=when),
        Verdict(pmid=article.pmid, action="add", assertion=gone, curator=who, created=when),
    ]  # fmt: skip
    pair = PairVerdict(cases=("1-1", "2-1"), same=False, curator=who, created=when)
    quads = to_quads(article, extraction, verdicts)
    assert any(q.predicate.value.endswith("#orphanVerdict") for q in quads)
    quads += [q for v in [*verdicts, pair] for q in verdict_quads(v)]
    return [*quads, *flag_quads([Flag("1-1", "2-1", ("a reason",))], [pair])]
