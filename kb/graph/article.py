"""Map an article and what was read from it to quads, in the shape ontology/README.md gives."""

from __future__ import annotations

import calendar
import re
from collections.abc import Collection, Iterable, Iterator

from pyoxigraph import Literal, NamedNode, Quad

from kb import iris
from kb.curation import CURATION, Curated, Verdict, apply_verdicts
from kb.graph.cases import about, map_appraisal, map_cases
from kb.graph.terms import (
    RDF_TYPE,
    RDFS_SEE_ALSO,
    TRUE,
    QuadSet,
    integer,
    ns,
    tc,
    typed,
)
from kb.models import ORCID_PATTERN, Article, Assertion, Extraction
from kb.vocabulary import region_of

# Characters of the sentence kept on each side of a mention (oa:prefix, oa:suffix).
QUOTE_CONTEXT = 32

_ORCID = re.compile(ORCID_PATTERN)


# PMIDs stay below this (kb.models.PMID_PATTERN), so a listing key is year and PMID in one.
PMID_SPAN = 10**9


def listing_key(pmid: str, year: int | None) -> int:
    """Return the article's place in lists, newest first (``tc:listingKey``).

    The year (0 if unknown) times 10**9 plus the PMID: one integer the store sorts without
    reading anything else.
    """
    number = int(pmid)
    if not 0 < number < PMID_SPAN:
        raise ValueError(f"PMID {pmid} does not fit a listing key")
    return (year or 0) * PMID_SPAN + number


def issued(article: Article) -> Literal | None:
    """The publication date as precisely as PubMed gives it: xsd:date, gYearMonth or gYear."""
    d = article.pub_date
    if d.year is None:
        return None
    if d.month is None:
        return typed(f"{d.year:04d}", "gYear")
    if d.day is None or d.day > calendar.monthrange(d.year, d.month)[1]:
        return typed(f"{d.year:04d}-{d.month:02d}", "gYearMonth")
    return typed(f"{d.year:04d}-{d.month:02d}-{d.day:02d}", "date")


def to_quads(
    article: Article, extraction: Extraction | None = None, verdicts: Iterable[Verdict] = ()
) -> list[Quad]:
    """Map an article (and its extraction, if any) to the quads of its named graph.

    Curators' ``verdicts`` on the article act first (``kb.curation.apply_verdicts``): what it
    counts is the curated reading; a rejected assertion is said, marked, and counted only by
    queries asked to; a verdict whose target has gone is listed as the article's orphan.

    The descriptions of the claims its assertions make follow, in the claims graph: claims are
    shared across articles, and a triple repeated in many graphs would be repeated as often in
    the union default graph, where a join on it grows with the square of its copies.

    The same input always gives the same quads in the same order, and every IRI derives from
    the PMID or a content hash, so writing them again changes nothing.
    """
    if extraction is not None and extraction.pmid != article.pmid:
        raise ValueError(f"extraction of PMID {extraction.pmid} given for PMID {article.pmid}")
    g = QuadSet(iris.article_graph(article.pmid))
    claims = QuadSet(iris.CLAIMS_GRAPH)
    _article(g, article)
    key = listing_key(article.pmid, article.pub_date.year)
    curated = None
    if extraction is not None:
        curated = apply_verdicts(article, extraction, verdicts)
        extraction = curated.extraction
        added = {r.assertion for r in curated.readings if r.status == "added"}
        _extraction(g, claims, article.pmid, extraction, key, added)
        _curation(g, claims, article.pmid, extraction.extractor, curated)
        map_appraisal(g, article, extraction)
    counted = extraction.assertions if extraction else ()
    made = list(dict.fromkeys(iris.claim_iri(a.claim_key) for a in counted))
    paired = [] if article.is_retracted else [a for a in counted if is_paired(a.role, a.scope)]
    article_node = iris.article_iri(article.pmid)
    struck = [iris.claim_iri(r.assertion.claim_key) for r in curated.rejected] if curated else []
    pairs = [iris.claim_iri(a.claim_key) for a in paired]
    summary = summary_quads(g.graph, article_node, key, made, pairs, struck)
    return [*g.quads, *summary, *claims.quads]


def deletion_quads(pmid: str) -> list[Quad]:
    """The mark a DeleteCitation leaves on an article kept for audit."""
    return [Quad(iris.article_iri(pmid), tc("deleted"), TRUE, iris.article_graph(pmid))]


def _article(g: QuadSet, a: Article) -> None:
    s = iris.article_iri(a.pmid)
    g.add(s, RDF_TYPE, ns("fabio", "BookChapter" if a.is_book else "JournalArticle"))
    g.add(s, RDF_TYPE, tc("Article"))
    g.text(s, ns("dcterms", "identifier"), a.pmid)
    g.text(s, ns("fabio", "hasPubMedId"), a.pmid)
    g.add(s, tc("pmidVersion"), integer(a.version))
    g.text(s, ns("dcterms", "title"), a.title)
    g.text(s, ns("dcterms", "alternative"), a.vernacular_title)
    g.text(s, ns("dcterms", "abstract"), a.abstract_text)
    g.add(s, ns("dcterms", "issued"), issued(a))
    if a.pub_date.year is not None:
        g.add(s, ns("fabio", "hasPublicationYear"), typed(f"{a.pub_date.year:04d}", "gYear"))
        g.add(s, tc("year"), integer(a.pub_date.year))
    g.add(s, tc("listingKey"), integer(listing_key(a.pmid, a.pub_date.year)))
    for language in a.languages:
        g.text(s, ns("dcterms", "language"), language)
    g.text(s, ns("bibo", "doi"), a.doi)
    g.text(s, ns("fabio", "hasPubMedCentralId"), a.pmc)
    if a.journal is not None:
        j = a.journal
        g.text(s, tc("journalTitle"), j.title)
        g.text(s, ns("bibo", "issn"), j.issn)
        g.text(s, ns("bibo", "volume"), j.volume)
        g.text(s, ns("bibo", "issue"), j.issue)
        g.text(s, ns("bibo", "pages"), j.pages)
    _authors(g, a)
    for heading in a.mesh_headings:
        descriptor = _mesh(heading.descriptor_ui)
        g.add(s, ns("dcterms", "subject"), descriptor)
        if heading.major_topic or any(q.major_topic for q in heading.qualifiers):
            g.add(s, tc("majorTopic"), descriptor)
    for ptype in a.publication_types:
        g.add(s, tc("publicationType"), _mesh(ptype.ui))
    for keyword in a.keywords:
        g.text(s, tc("keyword"), keyword.text)
    g.text(s, tc("citationStatus"), a.citation_status)
    g.text(s, tc("contentHash"), a.content_hash)
    if a.is_retracted:
        g.add(s, tc("retracted"), TRUE)
    g.add(s, RDFS_SEE_ALSO, iris.pubmed_url(a.pmid))


def _mesh(ui: str | None) -> NamedNode | None:
    try:
        return iris.mesh_iri(ui) if ui else None
    except ValueError:
        return None  # a malformed UI says nothing we could link to


def _authors(g: QuadSet, a: Article) -> None:
    s = iris.article_iri(a.pmid)
    for number, author in enumerate(a.authors, start=1):
        node = iris.author_iri(a.pmid, number)
        g.add(s, ns("dcterms", "creator"), node)
        kind = "Organization" if author.collective_name else "Person"
        g.add(node, RDF_TYPE, ns("foaf", kind))
        g.text(node, ns("foaf", "name"), author.display_name)
        g.text(node, ns("foaf", "familyName"), author.last_name)
        g.text(node, ns("foaf", "givenName"), author.fore_name)
        g.add(node, tc("authorPosition"), integer(number))
        if author.orcid and _ORCID.match(author.orcid):
            g.add(node, tc("orcid"), iris.orcid_iri(author.orcid))
        for affiliation in author.affiliations:
            g.text(node, tc("affiliation"), affiliation)


def _extraction(
    g: QuadSet,
    claims: QuadSet,
    pmid: str,
    x: Extraction,
    key: int,
    added: Collection[Assertion] = (),
) -> None:
    if not x.extractor:
        raise ValueError(f"extraction of PMID {pmid} does not name its extractor")
    article, lesion = iris.article_iri(pmid), iris.lesion_iri(pmid)
    g.text(article, tc("extractor"), x.extractor)
    g.text(article, tc("studyDesign"), x.study.design)
    if x.study.n_patients is not None:
        g.add(article, tc("patientCount"), integer(x.study.n_patients))
    # The patients described one by one are cases, which are patients too.
    for number, patient in enumerate(() if x.cases else x.study.patients, start=1):
        node = iris.patient_iri(pmid, number)
        g.add(article, tc("hasPatient"), node)
        g.add(node, RDF_TYPE, tc("Patient"))
        if patient.age is not None:
            g.add(node, tc("age"), integer(patient.age))
        g.text(node, tc("sex"), patient.sex)
    g.add(article, tc("reportsLesion"), lesion)
    g.add(lesion, RDF_TYPE, tc("Lesion"))
    for level in x.levels:
        g.text(lesion, tc("level"), level)
    for region in sorted({r for r in map(region_of, x.levels) if r}):
        g.add(lesion, tc("region"), iris.concept_iri(region))
    map_cases(g, pmid, x, key)
    for assertion in x.assertions:  # the agent itself is described in the runs graph
        reader = CURATION if assertion in added else x.extractor
        _assertion(g, claims, pmid, reader, assertion)
        g.add(
            iris.assertion_iri(assertion.evidence_key(pmid, reader)),
            tc("aboutPatients"),
            about(pmid, x, assertion),
        )


def _curation(g: QuadSet, claims: QuadSet, pmid: str, extractor: str, c: Curated) -> None:
    """Say what curators made of the article's assertions, and the verdicts left orphaned.

    A curated assertion says its status, the key verdicts target it by, its verdict and its
    curator; a rejected one is said as read, with the same marks, and about no patient.
    """
    for r in c.rejected:
        _assertion(g, claims, pmid, extractor, r.assertion)
    for r in (*c.readings, *c.rejected):
        if r.verdict is None:
            continue
        reader = CURATION if r.status == "added" else extractor
        node = iris.assertion_iri(r.assertion.evidence_key(pmid, reader))
        g.text(node, tc("curationStatus"), r.status)
        g.text(node, tc("curationKey"), r.key)
        g.add(node, tc("verdict"), iris.verdict_iri(r.verdict.id))
        curator = r.verdict.curator
        g.add(node, ns("prov", "wasAttributedTo"), iris.curator_iri(curator.name, curator.orcid))
    for v in c.orphans:
        g.add(iris.article_iri(pmid), tc("orphanVerdict"), iris.verdict_iri(v.id))


def is_paired(role: str | None, scope: str | None) -> bool:
    """Tell whether the summary pairs claims of this role and scope.

    Only the findings in the patients are paired (what ``queries/signature.rq`` matches):
    pairs grow with the square of their number.
    """
    return role == "finding" and scope == "patient"


def summary_quads(
    graph: NamedNode,
    article: NamedNode,
    key: int,
    claims: Iterable[NamedNode],
    paired: Iterable[NamedNode] = (),
    struck: Iterable[NamedNode] = (),
) -> list[Quad]:
    """Map the article's summary of its evidence, in its graph.

    One link per claim it makes and its listing key on each claim, so a query goes from a
    concept to its articles, ranked, without visiting an assertion or an article; and its
    listing key on each pair of the ``paired`` claims (the findings in its patients, none for
    a retracted article), so a query ranks the articles sharing two findings or more without
    counting the many that share one. The claims of ``struck`` (those of assertions curators
    rejected) that it does not make otherwise get its key as ``tc:rejectedClaimByKey``, what a
    count asked to include rejected assertions reads.

    The pairs are described in the claims graph (``tc:pairs``), shared like the claims.
    ``backfill_summaries`` writes the same for older graphs.
    """
    g, shared = QuadSet(graph), QuadSet(iris.CLAIMS_GRAPH)
    listed = integer(key)
    made = list(dict.fromkeys(claims))
    for claim in made:
        g.add(article, tc("makesClaim"), claim)
        g.add(claim, tc("claimedByKey"), listed)
    for claim in sorted(set(struck) - set(made), key=lambda claim: claim.value):
        g.add(claim, tc("rejectedClaimByKey"), listed)
    findings = sorted(set(paired), key=lambda claim: claim.value)
    for i, first in enumerate(findings):
        for second in findings[i + 1 :]:
            pair = iris.claim_pair_iri(first, second)
            g.add(pair, tc("pairedByKey"), listed)
            shared.add(pair, RDF_TYPE, tc("ClaimPair"))
            shared.add(pair, tc("pairs"), first)
            shared.add(pair, tc("pairs"), second)
    return [*g.quads, *shared.quads]


def _assertion(g: QuadSet, claims: QuadSet, pmid: str, extractor: str, a: Assertion) -> None:
    if not 0 <= a.start <= a.end <= len(a.sentence):
        raise ValueError(
            f"PMID {pmid}: assertion {a.concept} has offsets {a.start}..{a.end} "
            f"outside its sentence of {len(a.sentence)} characters"
        )
    key = a.evidence_key(pmid, extractor)
    node, claim = iris.assertion_iri(key), iris.claim_iri(a.claim_key)
    concept = iris.concept_iri(a.concept)
    g.add(node, RDF_TYPE, tc("Assertion"))
    g.add(node, tc("about"), iris.lesion_iri(pmid))
    g.add(node, tc("sourceArticle"), iris.article_iri(pmid))
    for name, value in _statement(a):
        g.text(node, tc(name), value)
    g.add(node, tc("concept"), concept)
    g.text(node, tc("certainty"), a.certainty)
    g.text(node, tc("section"), a.section)
    g.text(node, tc("sentence"), a.sentence)
    g.add(node, tc("claim"), claim)
    g.text(node, tc("extractor"), extractor)
    g.add(node, ns("prov", "wasAttributedTo"), iris.agent_iri(extractor))
    target = iris.target_iri(key)
    selectors = iris.selector_iri(key, "quote"), iris.selector_iri(key, "position")
    g.add(node, ns("oa", "hasTarget"), target)
    evidence_target(g, target, selectors, pmid, a)
    claims.add(claim, RDF_TYPE, tc("Claim"))
    for name, value in _statement(a):
        claims.text(claim, tc(name), value)
    claims.add(claim, tc("concept"), concept)


def evidence_target(
    g: QuadSet, target: NamedNode, selectors: tuple[NamedNode, NamedNode], pmid: str, a: Assertion
) -> None:
    """Say where an assertion was read: the article, narrowed by a quote and a position.

    The position counts characters of the sentence; the quote keeps up to ``QUOTE_CONTEXT``
    characters of it on each side.
    """
    quote, position = selectors
    g.add(target, RDF_TYPE, ns("oa", "SpecificResource"))
    g.add(target, ns("oa", "hasSource"), iris.article_iri(pmid))
    g.add(target, ns("oa", "hasSelector"), quote)
    g.add(target, ns("oa", "hasSelector"), position)
    g.add(quote, RDF_TYPE, ns("oa", "TextQuoteSelector"))
    g.add(quote, ns("oa", "exact"), Literal(a.mention))
    before, after = a.sentence[max(0, a.start - QUOTE_CONTEXT) : a.start], a.sentence[a.end :]
    g.add(quote, ns("oa", "prefix"), Literal(before) if before else None)
    g.add(quote, ns("oa", "suffix"), Literal(after[:QUOTE_CONTEXT]) if after else None)
    g.add(position, RDF_TYPE, ns("oa", "TextPositionSelector"))
    g.add(position, ns("oa", "start"), integer(a.start))
    g.add(position, ns("oa", "end"), integer(a.end))


def _statement(a: Assertion) -> Iterator[tuple[str, str]]:
    yield from (("role", a.role), ("polarity", a.polarity), ("scope", a.scope))
