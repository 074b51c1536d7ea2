"""Map an article and what was read from it to quads, in the shape ontology/README.md gives."""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING

from pyoxigraph import Literal, NamedNode, Quad

from kb import iris
from kb.models import Article, Assertion, Extraction

if TYPE_CHECKING:
    from kb.pipeline import IngestSummary

RDF_TYPE = iris.vocab("rdf:type")
RDFS_LABEL = iris.vocab("rdfs:label")
RDFS_SEE_ALSO = iris.vocab("rdfs:seeAlso")
TRUE = Literal("true", datatype=iris.vocab("xsd:boolean"))

# Characters of the sentence kept on each side of a mention (oa:prefix, oa:suffix).
QUOTE_CONTEXT = 32

_ORCID = re.compile(r"^[0-9]{4}-[0-9]{4}-[0-9]{4}-[0-9]{3}[0-9X]$")
_LEVEL_REGION = {"C": "region/cervical", "T": "region/thoracic", "L": "region/lumbar"}
_LEVEL_REGION["S"] = "region/sacral"


@lru_cache(maxsize=256)
def _ns(prefix: str, local: str) -> NamedNode:
    return iris.vocab(f"{prefix}:{local}")


@lru_cache(maxsize=256)
def _tc(local: str) -> NamedNode:
    return iris.term(local)


def _typed(value: object, datatype: str) -> Literal:
    return Literal(str(value), datatype=_ns("xsd", datatype))


def integer(value: int) -> Literal:
    """An xsd:integer literal."""
    return _typed(int(value), "integer")


# PMIDs stay below this (kb.models.PMID_PATTERN), so a listing key is year and PMID in one.
PMID_SPAN = 10**9


def listing_key(pmid: str, year: int | None) -> int:
    """The article's place in lists, newest first: the year (0 if unknown) times 10**9 plus
    the PMID. One integer the store sorts without reading anything else (``tc:listingKey``)."""
    number = int(pmid)
    if not 0 < number < PMID_SPAN:
        raise ValueError(f"PMID {pmid} does not fit a listing key")
    return (year or 0) * PMID_SPAN + number


def date_time(value: datetime) -> Literal:
    """An xsd:dateTime literal in UTC, to the second: every store (Virtuoso too) gives this
    lexical form back unchanged. Runs within one second are ordered by their ids."""
    utc = value.astimezone(UTC) if value.tzinfo else value
    return _typed(utc.strftime("%Y-%m-%dT%H:%M:%SZ"), "dateTime")


def issued(article: Article) -> Literal | None:
    """The publication date as precisely as PubMed gives it: xsd:date, gYearMonth or gYear."""
    d = article.pub_date
    if d.year is None:
        return None
    if d.month is None:
        return _typed(f"{d.year:04d}", "gYear")
    if d.day is None or d.day > calendar.monthrange(d.year, d.month)[1]:
        return _typed(f"{d.year:04d}-{d.month:02d}", "gYearMonth")
    return _typed(f"{d.year:04d}-{d.month:02d}-{d.day:02d}", "date")


def region_of_level(level: str) -> str | None:
    """The region concept a vertebra label lies in (``C5`` -> ``region/cervical``)."""
    return _LEVEL_REGION.get(level[:1]) if re.fullmatch(r"[CTLS][0-9]{1,2}", level) else None


class _Graph:
    """Quads of one named graph, in the order they were said, without repeats."""

    def __init__(self, graph: NamedNode) -> None:
        self.graph = graph
        self.quads: dict[Quad, None] = {}

    def add(self, s: NamedNode, p: NamedNode, o: NamedNode | Literal | None) -> None:
        if o is not None:
            self.quads[Quad(s, p, o, self.graph)] = None

    def text(self, s: NamedNode, p: NamedNode, value: str | None) -> None:
        if value is not None and value.strip():
            self.add(s, p, Literal(value))


def to_quads(article: Article, extraction: Extraction | None = None) -> list[Quad]:
    """Map an article (and its extraction, if any) to the quads of its named graph.

    The descriptions of the claims its assertions make follow, in the claims graph: claims are
    shared across articles, and a triple repeated in many graphs would be repeated as often in
    the union default graph, where a join on it grows with the square of its copies.

    The same input always gives the same quads in the same order, and every IRI derives from
    the PMID or a content hash, so writing them again changes nothing.
    """
    if extraction is not None and extraction.pmid != article.pmid:
        raise ValueError(f"extraction of PMID {extraction.pmid} given for PMID {article.pmid}")
    g = _Graph(iris.article_graph(article.pmid))
    claims = _Graph(iris.CLAIMS_GRAPH)
    _article(g, article)
    if extraction is not None:
        _extraction(g, claims, article.pmid, extraction)
    made = [q.object for q in g.quads if q.predicate == _tc("claim")]
    assertions = extraction.assertions if extraction and not article.is_retracted else ()
    paired = [iris.claim_iri(a.claim_key) for a in assertions if is_paired(a.role, a.scope)]
    key = listing_key(article.pmid, article.pub_date.year)
    article_node = iris.article_iri(article.pmid)
    summary = summary_quads(g.graph, article_node, key, made, paired)  # type: ignore[arg-type]
    return [*g.quads, *summary, *claims.quads]


def deletion_quads(pmid: str) -> list[Quad]:
    """The mark a DeleteCitation leaves on an article kept for audit."""
    return [Quad(iris.article_iri(pmid), _tc("deleted"), TRUE, iris.article_graph(pmid))]


def _article(g: _Graph, a: Article) -> None:
    s = iris.article_iri(a.pmid)
    g.add(s, RDF_TYPE, _ns("fabio", "BookChapter" if a.is_book else "JournalArticle"))
    g.add(s, RDF_TYPE, _tc("Article"))
    g.text(s, _ns("dcterms", "identifier"), a.pmid)
    g.text(s, _ns("fabio", "hasPubMedId"), a.pmid)
    g.add(s, _tc("pmidVersion"), integer(a.version))
    g.text(s, _ns("dcterms", "title"), a.title)
    g.text(s, _ns("dcterms", "alternative"), a.vernacular_title)
    g.text(s, _ns("dcterms", "abstract"), a.abstract_text)
    g.add(s, _ns("dcterms", "issued"), issued(a))
    if a.pub_date.year is not None:
        g.add(s, _ns("fabio", "hasPublicationYear"), _typed(f"{a.pub_date.year:04d}", "gYear"))
        g.add(s, _tc("year"), integer(a.pub_date.year))
    g.add(s, _tc("listingKey"), integer(listing_key(a.pmid, a.pub_date.year)))
    for language in a.languages:
        g.text(s, _ns("dcterms", "language"), language)
    g.text(s, _ns("bibo", "doi"), a.doi)
    g.text(s, _ns("fabio", "hasPubMedCentralId"), a.pmc)
    if a.journal is not None:
        j = a.journal
        g.text(s, _tc("journalTitle"), j.title)
        g.text(s, _ns("bibo", "issn"), j.issn)
        g.text(s, _ns("bibo", "volume"), j.volume)
        g.text(s, _ns("bibo", "issue"), j.issue)
        g.text(s, _ns("bibo", "pages"), j.pages)
    _authors(g, a)
    for heading in a.mesh_headings:
        descriptor = _mesh(heading.descriptor_ui)
        g.add(s, _ns("dcterms", "subject"), descriptor)
        if heading.major_topic or any(q.major_topic for q in heading.qualifiers):
            g.add(s, _tc("majorTopic"), descriptor)
    for ptype in a.publication_types:
        g.add(s, _tc("publicationType"), _mesh(ptype.ui))
    for keyword in a.keywords:
        g.text(s, _tc("keyword"), keyword.text)
    g.text(s, _tc("citationStatus"), a.citation_status)
    g.text(s, _tc("contentHash"), a.content_hash)
    if a.is_retracted:
        g.add(s, _tc("retracted"), TRUE)
    g.add(s, RDFS_SEE_ALSO, iris.pubmed_url(a.pmid))


def _mesh(ui: str | None) -> NamedNode | None:
    try:
        return iris.mesh_iri(ui) if ui else None
    except ValueError:
        return None  # a malformed UI says nothing we could link to


def _authors(g: _Graph, a: Article) -> None:
    s = iris.article_iri(a.pmid)
    for number, author in enumerate(a.authors, start=1):
        node = iris.author_iri(a.pmid, number)
        g.add(s, _ns("dcterms", "creator"), node)
        kind = "Organization" if author.collective_name else "Person"
        g.add(node, RDF_TYPE, _ns("foaf", kind))
        g.text(node, _ns("foaf", "name"), author.display_name)
        g.text(node, _ns("foaf", "familyName"), author.last_name)
        g.text(node, _ns("foaf", "givenName"), author.fore_name)
        g.add(node, _tc("authorPosition"), integer(number))
        if author.orcid and _ORCID.match(author.orcid):
            g.add(node, _tc("orcid"), iris.orcid_iri(author.orcid))
        for affiliation in author.affiliations:
            g.text(node, _tc("affiliation"), affiliation)


def _extraction(g: _Graph, claims: _Graph, pmid: str, x: Extraction) -> None:
    if not x.extractor:
        raise ValueError(f"extraction of PMID {pmid} does not name its extractor")
    article, lesion = iris.article_iri(pmid), iris.lesion_iri(pmid)
    g.text(article, _tc("extractor"), x.extractor)
    g.text(article, _tc("studyDesign"), x.study.design)
    if x.study.n_patients is not None:
        g.add(article, _tc("patientCount"), integer(x.study.n_patients))
    for number, patient in enumerate(x.study.patients, start=1):
        node = iris.patient_iri(pmid, number)
        g.add(article, _tc("hasPatient"), node)
        g.add(node, RDF_TYPE, _tc("Patient"))
        if patient.age is not None:
            g.add(node, _tc("age"), integer(patient.age))
        g.text(node, _tc("sex"), patient.sex)
    g.add(article, _tc("reportsLesion"), lesion)
    g.add(lesion, RDF_TYPE, _tc("Lesion"))
    for level in x.levels:
        g.text(lesion, _tc("level"), level)
    for region in sorted({r for r in map(region_of_level, x.levels) if r}):
        g.add(lesion, _tc("region"), iris.concept_iri(region))
    for assertion in x.assertions:  # the agent itself is described in the runs graph
        _assertion(g, claims, pmid, x.extractor, assertion)


def is_paired(role: str | None, scope: str | None) -> bool:
    """Whether the summary pairs claims of this role and scope: the findings in the patients
    (what ``queries/signature.rq`` matches; pairs grow with the square of their number)."""
    return role == "finding" and scope == "patient"


def summary_quads(
    graph: NamedNode,
    article: NamedNode,
    key: int,
    claims: Iterable[NamedNode],
    paired: Iterable[NamedNode] = (),
) -> list[Quad]:
    """The article's summary of its evidence, in its graph: one link per claim it makes and its
    listing key on each claim, so a query goes from a concept to its articles, ranked, without
    visiting an assertion or an article; and its listing key on each pair of the ``paired``
    claims (the findings in its patients, none for a retracted article), so a query ranks the
    articles sharing two findings or more without counting the many that share one.

    The pairs are described in the claims graph (``tc:pairs``), shared like the claims.
    ``backfill_summaries`` writes the same for older graphs."""
    g, shared = _Graph(graph), _Graph(iris.CLAIMS_GRAPH)
    listed = integer(key)
    for claim in claims:
        g.add(article, _tc("makesClaim"), claim)
        g.add(claim, _tc("claimedByKey"), listed)
    findings = sorted(set(paired), key=lambda claim: claim.value)
    for i, first in enumerate(findings):
        for second in findings[i + 1 :]:
            pair = iris.claim_pair_iri(first, second)
            g.add(pair, _tc("pairedByKey"), listed)
            shared.add(pair, RDF_TYPE, _tc("ClaimPair"))
            shared.add(pair, _tc("pairs"), first)
            shared.add(pair, _tc("pairs"), second)
    return [*g.quads, *shared.quads]


def _assertion(g: _Graph, claims: _Graph, pmid: str, extractor: str, a: Assertion) -> None:
    if not 0 <= a.start <= a.end <= len(a.sentence):
        raise ValueError(
            f"PMID {pmid}: assertion {a.concept} has offsets {a.start}..{a.end} "
            f"outside its sentence of {len(a.sentence)} characters"
        )
    key = a.evidence_key(pmid, extractor)
    node, claim = iris.assertion_iri(key), iris.claim_iri(a.claim_key)
    concept = iris.concept_iri(a.concept)
    g.add(node, RDF_TYPE, _tc("Assertion"))
    g.add(node, _tc("about"), iris.lesion_iri(pmid))
    g.add(node, _tc("sourceArticle"), iris.article_iri(pmid))
    for name, value in _statement(a):
        g.text(node, _tc(name), value)
    g.add(node, _tc("concept"), concept)
    g.text(node, _tc("certainty"), a.certainty)
    g.text(node, _tc("section"), a.section)
    g.text(node, _tc("sentence"), a.sentence)
    g.add(node, _tc("claim"), claim)
    g.text(node, _tc("extractor"), extractor)
    g.add(node, _ns("prov", "wasAttributedTo"), iris.agent_iri(extractor))
    target = iris.target_iri(key)
    quote, position = iris.selector_iri(key, "quote"), iris.selector_iri(key, "position")
    g.add(node, _ns("oa", "hasTarget"), target)
    g.add(target, RDF_TYPE, _ns("oa", "SpecificResource"))
    g.add(target, _ns("oa", "hasSource"), iris.article_iri(pmid))
    g.add(target, _ns("oa", "hasSelector"), quote)
    g.add(target, _ns("oa", "hasSelector"), position)
    g.add(quote, RDF_TYPE, _ns("oa", "TextQuoteSelector"))
    g.add(quote, _ns("oa", "exact"), Literal(a.mention))
    before, after = a.sentence[max(0, a.start - QUOTE_CONTEXT) : a.start], a.sentence[a.end :]
    g.add(quote, _ns("oa", "prefix"), Literal(before) if before else None)
    g.add(quote, _ns("oa", "suffix"), Literal(after[:QUOTE_CONTEXT]) if after else None)
    g.add(position, RDF_TYPE, _ns("oa", "TextPositionSelector"))
    g.add(position, _ns("oa", "start"), integer(a.start))
    g.add(position, _ns("oa", "end"), integer(a.end))
    claims.add(claim, RDF_TYPE, _tc("Claim"))
    for name, value in _statement(a):
        claims.text(claim, _tc(name), value)
    claims.add(claim, _tc("concept"), concept)


def _statement(a: Assertion) -> Iterator[tuple[str, str]]:
    yield from (("role", a.role), ("polarity", a.polarity), ("scope", a.scope))


def run_to_quads(run: IngestSummary) -> list[Quad]:
    """Map the record of an ingest run to quads of the runs graph (a prov:Activity)."""
    g = _Graph(iris.RUNS_GRAPH)
    s = iris.run_iri(run.run_id)
    g.add(s, RDF_TYPE, _ns("prov", "Activity"))
    g.add(s, RDF_TYPE, _tc("IngestRun"))
    g.text(s, RDFS_LABEL, run.label)
    g.add(s, _ns("prov", "startedAtTime"), date_time(run.started))
    g.add(s, _ns("prov", "endedAtTime"), date_time(run.ended) if run.ended else None)
    g.text(s, _tc("status"), run.status)
    for name in run.files:
        g.text(s, _tc("sourceFile"), name)
    if run.extractor:
        agent = iris.agent_iri(run.extractor)
        g.add(s, _ns("prov", "wasAssociatedWith"), agent)
        g.add(agent, RDF_TYPE, _ns("prov", "SoftwareAgent"))
        g.text(agent, RDFS_LABEL, run.extractor)
    counts = {
        "recordsRead": run.records,
        "articlesWritten": run.written,
        "articlesUnchanged": run.unchanged,
        "articlesSuperseded": run.superseded,
        "articlesDeleted": run.deleted,
        "recordsRejected": run.rejected,
    }
    for name, value in counts.items():
        g.add(s, _tc(name), integer(value))
    for pmid in run.deletions:
        g.add(s, _tc("deletedArticle"), iris.article_iri(pmid))
    for message in run.errors:
        g.text(s, _tc("errorMessage"), message)
    return list(g.quads)


def quads_by_graph(quads: Iterable[Quad]) -> dict[NamedNode, list[Quad]]:
    """Group quads by their named graph."""
    graphs: dict[NamedNode, list[Quad]] = {}
    for quad in quads:
        name = quad.graph_name
        if not isinstance(name, NamedNode):
            raise ValueError(f"quad outside a named graph: {quad}")
        graphs.setdefault(name, []).append(quad)
    return graphs
