"""Map curators' verdicts to W3C Web Annotations in the curation graph, and read them back.

A verdict is an ``oa:Annotation`` motivated by ``oa:assessing`` (accept, reject) or
``oa:editing`` (correct, add). Its target is the assertion's evidence, the article narrowed by
a quote and a position selector, with the whole sentence; its body (for a correction or an
addition) the statement it makes; ``tc:judged`` is a snapshot of the assertion as it read when
judged. ``verdicts_from_quads`` reads exactly what ``verdict_quads`` writes, so a verdict
exported and imported anywhere keeps its id.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime

from pydantic import ValidationError
from pyoxigraph import Literal, NamedNode, Quad

from kb import iris
from kb.curation import AnyVerdict, PairVerdict, Verdict, refusal
from kb.graph.article import evidence_target
from kb.graph.terms import RDF_TYPE, QuadSet, date_time, integer, ns, tc

MOTIVES = {"accept": "assessing", "reject": "assessing", "correct": "editing", "add": "editing"}
STATEMENT = ("role", "polarity", "certainty", "scope")


def verdict_quads(v: AnyVerdict) -> list[Quad]:
    """The quads of one verdict, in the curation graph; the same verdict, the same quads."""
    if isinstance(v, PairVerdict):
        return _pair_quads(v)
    g = QuadSet(iris.CURATION_GRAPH)
    node, a = iris.verdict_iri(v.id), v.assertion
    _annotation(g, node, v, MOTIVES[v.action], v.action)
    g.text(node, tc("rejectionReason"), v.reason)
    g.add(node, tc("onArticle"), iris.article_iri(v.pmid))
    target, quote, position = (NamedNode(f"{node.value}/{part}") for part in _PARTS)
    g.add(node, ns("oa", "hasTarget"), target)
    g.text(target, tc("sentence"), a.sentence)
    g.text(target, tc("section"), a.section)
    evidence_target(g, target, (quote, position), v.pmid, a)
    judged = NamedNode(f"{node.value}/judged")
    g.add(node, tc("judged"), judged)
    g.add(judged, RDF_TYPE, tc("AssertionSnapshot"))
    _statement(g, judged, a.model_dump(exclude_none=True))
    g.add(judged, tc("patient"), integer(a.patient) if a.patient is not None else None)
    g.text(judged, tc("extractor"), v.extractor)
    if v.action in ("correct", "add"):
        body = NamedNode(f"{node.value}/body")
        g.add(node, ns("oa", "hasBody"), body)
        g.add(body, RDF_TYPE, tc("Statement"))
        said = v.correction.changes() if v.correction else a.model_dump(exclude_none=True)
        _statement(g, body, said)
    return list(g.quads)


_PARTS = ("target", "quote", "position")
PAIR_ACTIONS = {True: "same-patient", False: "two-patients"}


def _annotation(g: QuadSet, node: NamedNode, v: AnyVerdict, motive: str, action: str) -> None:
    """What every verdict says: the annotation, its action, note, target key, curator, time."""
    g.add(node, RDF_TYPE, ns("oa", "Annotation"))
    g.add(node, ns("oa", "motivatedBy"), ns("oa", motive))
    g.text(node, tc("action"), action)
    g.text(node, ns("rdfs", "comment"), v.note)
    g.text(node, tc("targetKey"), v.target)
    curator = iris.curator_iri(v.curator.name, v.curator.orcid)
    g.add(node, ns("dcterms", "creator"), curator)
    g.add(curator, RDF_TYPE, ns("foaf", "Person"))
    g.text(curator, ns("foaf", "name"), v.curator.name)
    g.add(curator, tc("orcid"), iris.orcid_iri(v.curator.orcid) if v.curator.orcid else None)
    g.add(node, ns("dcterms", "created"), date_time(v.created))
    g.text(node, tc("createdAt"), v.created.isoformat())  # to the microsecond, as a string


def _pair_quads(v: PairVerdict) -> list[Quad]:
    """A duplicate flag judged: its target is the flag of the two cases."""
    g = QuadSet(iris.CURATION_GRAPH)
    node = iris.verdict_iri(v.id)
    _annotation(g, node, v, "assessing", PAIR_ACTIONS[v.same])
    g.add(node, ns("oa", "hasTarget"), iris.duplicate_flag_iri(*v.cases))
    for case in v.cases:
        g.add(node, tc("judgedCase"), iris.case_from_id(case))
    for pmid in dict.fromkeys(v.pmids):
        g.add(node, tc("onArticle"), iris.article_iri(pmid))
    return list(g.quads)


def _statement(g: QuadSet, node: NamedNode, fields: Mapping[str, object]) -> None:
    for name in STATEMENT:
        value = fields.get(name)
        g.text(node, tc(name), value if isinstance(value, str) else None)
    concept = fields.get("concept")
    g.add(node, tc("concept"), iris.concept_iri(concept) if isinstance(concept, str) else None)


def verdicts_from_quads(quads: Iterable[Quad]) -> tuple[list[AnyVerdict], list[str]]:
    """Read the verdicts the quads describe, and a reason for each one that cannot be read.

    Only the triples ``verdict_quads`` writes are read; the graph they come in is ignored, so
    a file exported from another installation reads the same.
    """
    about: dict[str, dict[str, list[NamedNode | Literal]]] = defaultdict(lambda: defaultdict(list))
    for q in quads:
        if isinstance(q.subject, NamedNode) and isinstance(q.object, NamedNode | Literal):
            about[q.subject.value][q.predicate.value].append(q.object)
    annotations = [s for s, p in about.items() if tc("targetKey").value in p]
    verdicts: list[AnyVerdict] = []
    problems: list[str] = []
    for subject in sorted(annotations):
        try:
            v = _verdict(about, subject)
        except (ValueError, KeyError, IndexError) as exc:
            problems.append(f"{subject}: {_why(exc)}")
            continue
        if iris.verdict_iri(v.id).value != subject:
            problems.append(f"{subject}: its fields do not hash to its IRI (edited by hand?)")
            continue
        verdicts.append(v)
    return verdicts, problems


def _why(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return refusal(exc)
    return f"missing {exc}" if isinstance(exc, KeyError | IndexError) else str(exc)


Fields = dict[str, list[NamedNode | Literal]]


def _one(fields: Fields, curie: str) -> str | None:
    values = fields.get(_iri(curie), [])
    return values[0].value if values else None


def _common(about: dict[str, Fields], node: Fields) -> dict[str, object]:
    """What every verdict says, as the fields of its model."""
    curator = about[_one(node, "dcterms:creator") or ""]
    orcid = _one(curator, "tc:orcid")
    return {
        "note": _one(node, "rdfs:comment"),
        "curator": {
            "name": _one(curator, "foaf:name"),
            "orcid": orcid.removeprefix("https://orcid.org/") if orcid else None,
        },
        "created": datetime.fromisoformat(_one(node, "tc:createdAt") or ""),
    }


def _verdict(about: dict[str, Fields], subject: str) -> AnyVerdict:
    node, one = about[subject], _one
    action = one(node, "tc:action")
    if action in PAIR_ACTIONS.values():
        cases = sorted(
            c for v in node.get(_iri("tc:judgedCase"), []) if (c := iris.case_id(v.value))
        )
        return PairVerdict.model_validate(
            {**_common(about, node), "cases": cases, "same": action == PAIR_ACTIONS[True]}
        )
    target = about[one(node, "oa:hasTarget") or ""]
    selectors = {s.value: about[s.value] for s in target[_iri("oa:hasSelector")]}
    position = next(f for f in selectors.values() if _iri("oa:start") in f)
    judged = about[one(node, "tc:judged") or ""]
    assertion = {
        **_read_statement(judged),
        "patient": one(judged, "tc:patient"),
        "sentence": one(target, "tc:sentence"),
        "section": one(target, "tc:section"),
        "start": one(position, "oa:start"),
        "end": one(position, "oa:end"),
    }
    body = about[one(node, "oa:hasBody") or ""] if action == "correct" else None
    return Verdict.model_validate(
        {
            "pmid": iris.pmid_of_article(one(target, "oa:hasSource") or ""),
            "action": action,
            "assertion": {k: v for k, v in assertion.items() if v is not None},
            "correction": _read_statement(body) if body is not None else None,
            "reason": one(node, "tc:rejectionReason"),
            **_common(about, node),
            "extractor": one(judged, "tc:extractor"),
        }
    )


def _read_statement(fields: Fields) -> dict[str, str]:
    """What ``_statement`` wrote: the fields given, the concept by its id."""
    said = {name: _one(fields, f"tc:{name}") for name in STATEMENT}
    said["concept"] = iris.concept_id(_one(fields, "tc:concept") or "")
    return {k: v for k, v in said.items() if v is not None}


def _iri(curie: str) -> str:
    return iris.vocab(curie).value
