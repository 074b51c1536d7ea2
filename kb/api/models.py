"""The API's success shape: every answer is an envelope of data and meta."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import BaseModel, Field, SerializerFunctionWrapHandler, model_serializer

from kb.extraction.quality import Quality
from kb.query.named import Value

T = TypeVar("T")
Row = dict[str, Value]


class Meta(BaseModel):
    """What the data is: where it came from and which page of it this is."""

    query: str | None = Field(None, description="The named query that answered.")
    params: dict[str, Any] | None = Field(None, description="The parameters as given.")
    columns: list[str] | None = Field(None, description="The columns of each row.")
    total: int | None = Field(None, description="Rows in the whole answer.")
    limit: int | None = Field(None, description="The page size.")
    offset: int | None = Field(None, description="Rows skipped before this page.")
    generation: int | None = Field(None, description="The store's write generation answered.")

    @model_serializer(mode="wrap")
    def _given(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """Leave out what this answer has no use for."""
        data: dict[str, Any] = handler(self)
        return {k: v for k, v in data.items() if v is not None}


class Envelope(BaseModel, Generic[T]):
    """Every successful answer: the data, and meta about it."""

    data: T
    meta: Meta = Field(default_factory=Meta)


class QueryParam(BaseModel):
    """A parameter a named query takes."""

    name: str
    type: str
    description: str = ""
    default: str | int | bool | None = None
    enum: list[str] | None = None
    required: bool = False
    multiple: bool = False
    minimum: int | None = None
    maximum: int | None = None


class QueryInfo(BaseModel):
    """A named query: what it answers and the parameters it takes."""

    name: str
    summary: str
    description: str = ""
    tags: list[str] = Field(default_factory=list)
    params: list[QueryParam] = Field(default_factory=list)
    paged: bool = Field(False, description="The store reads only the page asked for.")
    url: str = Field(description="Where to ask it.")


class ArticleOut(BaseModel):
    """One article with every assertion read from it."""

    pmid: str
    record: Row = Field(description="Bibliographic record, status, design, levels, regions.")
    evidence: list[Row] = Field(description="Every assertion, with its sentence.")


class ConceptOut(BaseModel):
    """One concept: labels, hierarchy, mappings, and how much evidence names it."""

    id: str
    pref_label: str | None = None
    facts: list[Row] = Field(description="relation, value, label: labels, broader, matches...")
    evidence: list[Row] = Field(description="Articles and assertions by role, polarity, scope.")


class About(BaseModel):
    """What this server runs: the package, its extractor, and how well that extractor reads."""

    version: str
    extractor: str
    extraction_quality: Quality = Field(
        description="First-read scores on blind sets: how far to trust a count."
    )


class Health(BaseModel):
    """Whether the server can answer, and what it holds."""

    status: str
    store: str
    generation: int
    counts: Row
