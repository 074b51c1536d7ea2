"""The domain: a PubMed article record, and what extraction reads from it.

Every model is frozen; fields are described once and serve validation, JSON and the
OpenAPI schema alike.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

# An ORCID iD: four groups of four digits, the last character a check digit or X.
ORCID_PATTERN = r"^[0-9]{4}-[0-9]{4}-[0-9]{4}-[0-9]{3}[0-9X]$"


class Frozen(BaseModel):
    """An immutable model that refuses unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")


# --- the article record -------------------------------------------------------------------


MAX_SECTION = 50_000  # characters of one abstract section; past it a record is refused
MAX_TITLE = 5_000  # characters of a title


class AbstractSection(Frozen):
    """One part of an abstract; inline markup (<i>, <sup>, MathML) survives as text."""

    label: str | None = Field(None, description="The Label attribute, as printed.")
    category: str | None = Field(None, description="The NlmCategory attribute (BACKGROUND, ...).")
    text: str = Field(
        max_length=MAX_SECTION,
        description=f"The section's text: at most {MAX_SECTION:,} characters (the longest "
        "real abstracts have a tenth of that).",
    )


class OtherAbstract(Frozen):
    """An abstract in another language or from another publisher (OtherAbstract)."""

    type: str | None = None
    language: str | None = None
    sections: tuple[AbstractSection, ...] = ()


class Author(Frozen):
    """A person or a collective that wrote the article."""

    last_name: str | None = None
    fore_name: str | None = None
    initials: str | None = None
    suffix: str | None = None
    collective_name: str | None = Field(None, description="Set for a group author.")
    affiliations: tuple[str, ...] = ()
    orcid: str | None = Field(None, description="Bare ORCID (0000-0000-0000-0000).")
    equal_contrib: bool = False

    @property
    def display_name(self) -> str:
        """The name as a citation prints it."""
        if self.collective_name:
            return self.collective_name
        return " ".join(p for p in (self.last_name, self.initials or self.fore_name) if p)


class Journal(Frozen):
    """Where the article was published."""

    title: str | None = None
    iso_abbreviation: str | None = None
    issn: str | None = None
    issn_type: str | None = Field(None, description="Print or Electronic.")
    volume: str | None = None
    issue: str | None = None
    pages: str | None = None


class PubDate(Frozen):
    """A publication date as PubMed gives it, parsed as far as it goes."""

    year: int | None = None
    month: int | None = Field(None, ge=1, le=12)
    day: int | None = Field(None, ge=1, le=31)
    season: str | None = Field(None, description="Season text (Spring, Jan-Mar) when given.")
    raw: str | None = Field(None, description="MedlineDate text, or the date as written.")


class ArticleId(Frozen):
    """An identifier of the article in another system (doi, pmc, pii, mid, ...)."""

    id_type: str
    value: str


class PublicationType(Frozen):
    """A publication type with its MeSH UI."""

    ui: str | None = None
    name: str


class MeshQualifier(Frozen):
    """A MeSH qualifier (subheading) attached to a descriptor."""

    ui: str | None = None
    name: str
    major_topic: bool = False


class MeshHeading(Frozen):
    """A MeSH descriptor with its qualifiers."""

    descriptor_ui: str | None = None
    descriptor_name: str
    major_topic: bool = False
    qualifiers: tuple[MeshQualifier, ...] = ()


class Keyword(Frozen):
    """An author or NLM keyword."""

    text: str
    major_topic: bool = False
    owner: str | None = None


class CommentCorrection(Frozen):
    """A link to another record: RetractionIn, ErratumIn, CommentOn, ..."""

    ref_type: str
    pmid: str | None = None
    ref_source: str | None = None


class HistoryDate(Frozen):
    """A dated step in PubMed's history of the record (received, accepted, pubmed, ...)."""

    status: str
    date: date


RETRACTION_TYPE = "Retracted Publication"


# What PubMed issues: no leading zero, and below 10**9 (about 4 x 10**7 in 2026), which the
# listing key of ontology/README.md relies on.
PMID_PATTERN = r"^[1-9][0-9]{0,8}$"


class Article(Frozen):
    """One PubMed article (or book chapter), as much of it as the knowledge base keeps."""

    pmid: str = Field(pattern=PMID_PATTERN)
    version: int = Field(1, ge=1)
    title: str = Field("", max_length=MAX_TITLE)
    vernacular_title: str | None = None
    abstract: tuple[AbstractSection, ...] = ()
    other_abstracts: tuple[OtherAbstract, ...] = ()
    authors: tuple[Author, ...] = ()
    journal: Journal | None = None
    pub_date: PubDate = PubDate()
    article_ids: tuple[ArticleId, ...] = ()
    publication_types: tuple[PublicationType, ...] = ()
    mesh_headings: tuple[MeshHeading, ...] = ()
    keywords: tuple[Keyword, ...] = ()
    languages: tuple[str, ...] = ()
    comments_corrections: tuple[CommentCorrection, ...] = ()
    history: tuple[HistoryDate, ...] = ()
    citation_status: str | None = Field(None, description="MEDLINE, Publisher, In-Process, ...")
    is_book: bool = Field(False, description="Read from a PubmedBookArticle.")

    def get_id(self, id_type: str) -> str | None:
        """Return the first identifier of a type (doi, pmc, ...), or None."""
        return next((i.value for i in self.article_ids if i.id_type == id_type), None)

    @property
    def doi(self) -> str | None:
        """The DOI, if PubMed knows it."""
        return self.get_id("doi")

    @property
    def pmc(self) -> str | None:
        """The PubMed Central id (PMC...), if any."""
        return self.get_id("pmc")

    @property
    def is_retracted(self) -> bool:
        """True when PubMed marks the article as retracted."""
        return any(c.ref_type == "RetractionIn" for c in self.comments_corrections) or any(
            t.name == RETRACTION_TYPE for t in self.publication_types
        )

    @property
    def abstract_text(self) -> str:
        """The abstract's sections joined as plain text."""
        return "\n".join(s.text for s in self.abstract)

    @property
    def content_hash(self) -> str:
        """A hash of the whole record: a changed record has a changed hash."""
        return content_hash(self.model_dump(mode="json"))


class Deletion(Frozen):
    """A DeleteCitation entry of an update file: this PMID is withdrawn from PubMed."""

    pmid: str = Field(pattern=r"^[0-9]+$")


class Rejection(Frozen):
    """A record that could not be read; the rest of its batch goes on."""

    file: str
    where: str = Field(description="Record position, PMID or line that locates the problem.")
    reason: str


Record = Article | Deletion | Rejection


# --- what extraction reads ----------------------------------------------------------------

Role = Literal[
    "lesion", "site", "associated", "finding", "misdiagnosis", "treatment", "symptom", "outcome"
]
Polarity = Literal["present", "absent"]
Certainty = Literal["asserted", "hedged"]
Scope = Literal["patient", "background"]
Design = Literal[
    "case-report", "case-series", "retrospective-study", "prospective-study", "review", "other"
]
Sex = Literal["female", "male"]
DiagnosisMethod = Literal["excision-histology", "biopsy-histology", "imaging"]
Laterality = Literal["left", "right", "bilateral"]


class Patient(Frozen):
    """One patient as the abstract describes them."""

    age: int | None = Field(None, ge=0, le=130)
    sex: Sex | None = None


class Study(Frozen):
    """The study design and the patients it reports."""

    design: Design = "other"
    n_patients: int | None = Field(None, ge=0)
    patients: tuple[Patient, ...] = ()


class Assertion(Frozen):
    """A statement that links the lesion to a concept, with where it was read."""

    role: Role
    concept: str = Field(description="A concept id of the vocabulary, e.g. finding/t1-hypointense.")
    polarity: Polarity = "present"
    certainty: Certainty = "asserted"
    scope: Scope = "patient"
    section: str = Field(description="NlmCategory or Label upper-cased, UNLABELLED or TITLE.")
    sentence: str
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    patient: int | None = Field(
        None,
        ge=1,
        description="The case (Extraction.cases) the assertion is about; null for what is "
        "said of a group of patients, or of no patient.",
    )

    @property
    def mention(self) -> str:
        """The words of the sentence that named the concept."""
        return self.sentence[self.start : self.end]

    @property
    def claim_key(self) -> str:
        """What is claimed, whoever claims it: groups the same claim across articles."""
        return content_hash([self.role, self.concept, self.polarity, self.scope])

    def evidence_key(self, pmid: str, extractor: str) -> str:
        """This reading of this claim, in this article, by this extractor version."""
        left_out = {"patient"} if self.patient is None else set()
        return content_hash([pmid, extractor, self.model_dump(mode="json", exclude=left_out)])


class Case(Frozen):
    """One patient the article describes individually: a row of a review's case table."""

    patient: int = Field(ge=1, description="Numbered as the abstract introduces them.")
    age: int | None = Field(None, ge=0, le=130)
    sex: Sex | None = None
    levels: tuple[str, ...] = Field((), description="The vertebrae of this patient's lesion.")
    laterality: Laterality | None = Field(None, description="The side of the lesion, if said.")
    misdiagnoses: tuple[str, ...] = Field(
        (), description="What the lesion was first taken for, in the order the text tells."
    )
    diagnosis: DiagnosisMethod | None = Field(
        None, description="How the diagnosis was made, when the abstract says."
    )


class Extraction(Frozen):
    """Everything extraction read from one article (the JSON shape of ``kb extract``)."""

    pmid: str
    study: Study = Study()
    levels: tuple[str, ...] = ()
    assertions: tuple[Assertion, ...] = ()
    cases: tuple[Case, ...] = Field(
        (), description="The patients described one by one; none for a cohort told as a group."
    )
    extractor: str = Field("", description="Extractor name and version, e.g. tc-rules/1.2.0.")


def content_hash(value: object) -> str:
    """Hash a JSON-able value deterministically (sorted keys, compact separators).

    >>> content_hash({"b": 1, "a": 2}) == content_hash({"a": 2, "b": 1})
    True
    """
    data = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()[:32]
