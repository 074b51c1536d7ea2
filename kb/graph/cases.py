"""Map the patients an article describes to case records, its group of patients to a cohort.

A case (``tc:Case``) is one published patient: age, sex, the lesion's levels, regions, sites
and side, the claims its assertions make, its diagnostic trajectory (what it was taken for, in
order, how it was proven, and what it proved to be). A series' group statements are its
cohort's (``tc:Cohort``, with its size), never copied onto the cases. The article's appraisal
(``kb.extraction.appraisal``) is said here too: it rates the report of these cases.
"""

from __future__ import annotations

from collections.abc import Iterable

from pyoxigraph import NamedNode

from kb import iris
from kb.extraction.appraisal import appraise
from kb.graph.terms import RDF_TYPE, QuadSet, integer, tc
from kb.models import Article, Assertion, Case, Extraction
from kb.vocabulary import region_of

# The concepts that name a region of the spine, not a site of the lesion.
REGION = "region/"
# Cases per article stay below this, so a case key is its article's listing key and number.
CASE_SPAN = 1000


def case_key(listing_key: int, number: int) -> int:
    """The case's place in lists: its article's (newest first), then its number."""
    if not 0 < number < CASE_SPAN:
        raise ValueError(f"case number {number} does not fit a case key")
    return listing_key * CASE_SPAN + number


def case_lesions(x: Extraction, case: Case) -> list[str]:
    """What a case's lesion proved to be: its own lesion assertions, else the article's."""
    lesions = [a for a in x.assertions if a.role == "lesion" and a.scope == "patient"]
    own = [a.concept for a in lesions if a.patient == case.patient]
    return list(dict.fromkeys(own or [a.concept for a in lesions if a.patient is None]))


def map_cases(g: QuadSet, pmid: str, x: Extraction, key: int) -> None:
    """Say the article's cases and cohort in its graph."""
    article = iris.article_iri(pmid)
    for case in x.cases:
        node = iris.case_iri(pmid, case.patient)
        g.add(article, tc("reportsCase"), node)
        g.add(article, tc("hasPatient"), node)
        g.add(node, RDF_TYPE, tc("Case"))
        g.add(node, RDF_TYPE, tc("Patient"))
        g.add(node, tc("describedIn"), article)
        g.add(node, tc("caseNumber"), integer(case.patient))
        g.add(node, tc("caseKey"), integer(case_key(key, case.patient)))
        if case.age is not None:
            g.add(node, tc("age"), integer(case.age))
        g.text(node, tc("sex"), case.sex)
        _lesion(g, node, case, [a for a in x.assertions if a.patient == case.patient])
        for rank, concept in enumerate(case.misdiagnoses, start=1):
            step = NamedNode(f"{node.value}/step/{rank}")
            g.add(node, tc("trajectoryStep"), step)
            g.add(step, RDF_TYPE, tc("DiagnosticStep"))
            g.add(step, tc("rank"), integer(rank))
            g.add(step, tc("takenFor"), iris.concept_iri(concept))
        g.text(node, tc("diagnosisMethod"), case.diagnosis)
        for concept in case_lesions(x, case):
            g.add(node, tc("finalDiagnosis"), iris.concept_iri(concept))
    if x.study.n_patients is not None and x.study.n_patients > 1:
        cohort = iris.cohort_iri(pmid)
        g.add(article, tc("reportsCohort"), cohort)
        g.add(cohort, RDF_TYPE, tc("Cohort"))
        g.add(cohort, tc("size"), integer(x.study.n_patients))


def _lesion(g: QuadSet, node: NamedNode, case: Case, mine: Iterable[Assertion]) -> None:
    for level in case.levels:
        g.text(node, tc("level"), level)
    for region in sorted({r for r in map(region_of, case.levels) if r}):
        g.add(node, tc("region"), iris.concept_iri(region))
    for a in mine:
        g.add(node, tc("caseClaim"), iris.claim_iri(a.claim_key))
        if a.role == "site" and a.polarity == "present":
            # A region named in words ("the lumbar spine") is a region, as a level's is.
            where = "region" if a.concept.startswith(REGION) else "site"
            g.add(node, tc(where), iris.concept_iri(a.concept))
    g.text(node, tc("laterality"), case.laterality)


def about(pmid: str, x: Extraction, a: Assertion) -> NamedNode | None:
    """The case or cohort a patient-scope assertion is about, if the article has one."""
    if a.scope != "patient":
        return None
    if a.patient is not None:
        return iris.case_iri(pmid, a.patient)
    if x.study.n_patients is not None and x.study.n_patients > 1:
        return iris.cohort_iri(pmid)
    return None


def map_appraisal(g: QuadSet, article: Article, x: Extraction) -> None:
    """Say the article's appraisal: each checklist item, its answer and its sentence."""
    node = iris.article_iri(article.pmid)
    for item in appraise(article, x):
        answered = NamedNode(f"{node.value}/appraisal/{item.item}")
        g.add(node, tc("appraisal"), answered)
        g.add(answered, RDF_TYPE, tc("AppraisalItem"))
        g.text(answered, tc("criterion"), item.item)
        g.text(answered, tc("answer"), item.answer)
        g.text(answered, tc("sentence"), item.sentence)
