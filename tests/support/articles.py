"""Articles and extractions built by hand for the mapping, store and pipeline tests."""

from __future__ import annotations

from kb.models import (
    AbstractSection,
    Article,
    ArticleId,
    Assertion,
    Author,
    CommentCorrection,
    Extraction,
    Journal,
    Keyword,
    MeshHeading,
    MeshQualifier,
    Patient,
    PubDate,
    PublicationType,
    Study,
)

SENTENCE = "Characteristically, gadolinium did not enhance the lesions."


def full_article(pmid: str = "11474353", **changes: object) -> Article:
    """An article with every field the mapping reads set, retracted and with a full date."""
    article = Article(
        pmid=pmid,
        version=2,
        title='Tumoral calcinosis of the spine: "quoted" title with a } brace',
        vernacular_title="Calcinose tumorale du rachis",
        abstract=(
            AbstractSection(label="BACKGROUND", category="BACKGROUND", text="First part."),
            AbstractSection(label="RESULTS", category="RESULTS", text=SENTENCE),
        ),
        authors=(
            Author(
                last_name="Durant",
                fore_name="Diane M",
                initials="DM",
                affiliations=("Mayo Clinic", "Second affiliation"),
                orcid="0000-0002-1825-0097",
            ),
            Author(collective_name="Spine Study Group"),
            Author(last_name="Broken", orcid="not an orcid"),
        ),
        journal=Journal(title="Spine", issn="0362-2436", volume="26", issue="15", pages="1673-9"),
        pub_date=PubDate(year=2001, month=8, day=1),
        article_ids=(
            ArticleId(id_type="doi", value="10.1097/x"),
            ArticleId(id_type="pmc", value="PMC1"),
        ),
        publication_types=(
            PublicationType(ui="D016428", name="Journal Article"),
            PublicationType(ui="D016441", name="Retracted Publication"),
            PublicationType(name="No UI"),
        ),
        mesh_headings=(
            MeshHeading(descriptor_ui="D002114", descriptor_name="Calcinosis", major_topic=True),
            MeshHeading(
                descriptor_ui="D013131",
                descriptor_name="Spine",
                qualifiers=(MeshQualifier(ui="Q000381", name="pathology", major_topic=True),),
            ),
            MeshHeading(descriptor_ui="D006801", descriptor_name="Humans"),
        ),
        keywords=(Keyword(text="tumoral calcinosis"),),
        languages=("eng", "fre"),
        comments_corrections=(CommentCorrection(ref_type="RetractionIn", pmid="99"),),
        citation_status="MEDLINE",
    )
    return article.model_copy(update=changes) if changes else article


def assertion(concept: str = "finding/contrast-enhancement", **changes: object) -> Assertion:
    """An assertion read from SENTENCE (the mention is "did not enhance")."""
    fields: dict[str, object] = dict(
        role="finding",
        concept=concept,
        polarity="absent",
        section="RESULTS",
        sentence=SENTENCE,
        start=31,
        end=46,
    )
    fields.update(changes)
    return Assertion.model_validate(fields)


def full_extraction(pmid: str = "11474353", extractor: str = "tc-rules/9.9.9") -> Extraction:
    """An extraction with patients, levels in two regions and assertions of several roles."""
    return Extraction(
        pmid=pmid,
        extractor=extractor,
        study=Study(
            design="case-series",
            n_patients=2,
            patients=(Patient(age=55, sex="female"), Patient(sex="male")),
        ),
        levels=("C7", "T1"),
        assertions=(
            assertion(),
            assertion(
                "lesion/tumoral-calcinosis", role="lesion", polarity="present", start=0, end=5
            ),
            assertion(
                "condition/neoplasm", role="misdiagnosis", certainty="hedged", start=51, end=58
            ),
        ),
    )


# --- synthetic PubMed XML whose abstracts the extractor reads ----------------------------------

_PRESENTATIONS = [
    "A {age}-year-old woman on haemodialysis presented with neck pain.",
    "A {age}-year-old man with chronic renal failure presented with radiculopathy.",
    "A {age}-year-old woman with systemic sclerosis presented with back pain and weakness.",
]
_IMAGING = [
    "CT showed a calcified lobulated mass at {level} in the extradural space.",
    "Plain radiographs showed no calcification, but CT revealed a calcified mass at {level}.",
    "MRI showed a mass with low signal on T1- and T2-weighted images at {level}.",
]
_COURSE = [
    "The lesion did not enhance after gadolinium and was thought to represent a meningioma.",
    "It was initially diagnosed as a disc herniation.",
    "Surgical excision was performed and her symptoms resolved without recurrence.",
]
_LEVELS = ["C4-C5", "C1-C2", "T11-T12", "L4-L5", "C6 through T1"]


def synthetic_record(pmid: int, seed: int, version: int = 1) -> str:
    """A PubmedArticle of tumoral calcinosis of the spine, its wording chosen by ``seed``."""
    import random
    from xml.sax.saxutils import escape

    rng = random.Random(seed)
    level = rng.choice(_LEVELS)
    sentences = [
        rng.choice(_PRESENTATIONS).format(age=rng.randint(20, 80)),
        rng.choice(_IMAGING).format(level=level),
        rng.choice(_COURSE),
    ]
    title = f"Tumoral calcinosis of the spine at {level}: case {pmid}"
    return (
        f'<PubmedArticle><MedlineCitation Status="MEDLINE"><PMID Version="{version}">{pmid}</PMID>'
        f"<Article><Journal><JournalIssue><PubDate><Year>{2000 + seed % 25}</Year>"
        f"<Month>Jun</Month></PubDate></JournalIssue><Title>Spine</Title></Journal>"
        f"<ArticleTitle>{escape(title)}</ArticleTitle><Abstract>"
        f"<AbstractText>{escape(' '.join(sentences))}</AbstractText></Abstract>"
        f"<Language>eng</Language></Article></MedlineCitation></PubmedArticle>\n"
    )


def pubmed_xml(records: list[str], deleted: list[str] | None = None) -> bytes:
    """A PubmedArticleSet of the given records, with a DeleteCitation if PMIDs are given."""
    deletion = ""
    if deleted:
        deletion = (
            "<DeleteCitation>"
            + "".join(f'<PMID Version="1">{p}</PMID>' for p in deleted)
            + "</DeleteCitation>\n"
        )
    body = "".join(records) + deletion
    return f'<?xml version="1.0"?>\n<PubmedArticleSet>\n{body}</PubmedArticleSet>\n'.encode()
