"""The domain models and IRI minting."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from kb import iris
from kb.models import Article, Assertion, CommentCorrection, PublicationType


def test_article_is_frozen_and_refuses_unknown_fields() -> None:
    article = Article(pmid="1", title="x")
    with pytest.raises(ValidationError):
        article.title = "y"  # type: ignore[misc]
    with pytest.raises(ValidationError):
        Article(pmid="1", colour="red")  # type: ignore[call-arg]


def test_retraction_is_read_from_comments_or_publication_type() -> None:
    assert not Article(pmid="1").is_retracted
    assert Article(
        pmid="1", comments_corrections=(CommentCorrection(ref_type="RetractionIn"),)
    ).is_retracted
    assert Article(
        pmid="1", publication_types=(PublicationType(name="Retracted Publication"),)
    ).is_retracted


def _assertion(**kw: object) -> Assertion:
    base = dict(
        role="finding",
        concept="finding/t1-hypointense",
        section="RESULTS",
        sentence="Low on T1.",
        start=0,
        end=3,
    )
    base.update(kw)
    return Assertion(**base)  # type: ignore[arg-type]


def test_claim_key_ignores_where_the_claim_was_read_but_evidence_key_does_not() -> None:
    a, b = _assertion(), _assertion(sentence="T1 showed it low.", start=0, end=2)
    assert a.claim_key == b.claim_key
    assert a.evidence_key("1", "x/1") != b.evidence_key("1", "x/1")
    assert a.evidence_key("1", "x/1") != a.evidence_key("2", "x/1")
    assert _assertion(polarity="absent").claim_key != a.claim_key


@given(st.lists(st.from_regex(r"[0-9]{1,9}", fullmatch=True), min_size=2, max_size=2, unique=True))
def test_article_iris_are_injective(pmids: list[str]) -> None:
    a, b = (p.lstrip("0") or "0" for p in pmids)
    if a != b:
        assert iris.article_iri(a) != iris.article_iri(b)
        assert iris.article_graph(a) != iris.article_graph(b)


def test_minting_refuses_values_that_would_break_an_iri() -> None:
    for bad in ("12 3", "1>", "", "abc"):
        with pytest.raises(ValueError):
            iris.article_iri(bad)
    with pytest.raises(ValueError):
        iris.concept_iri("finding/<x>")


def test_concept_ids_round_trip_through_iris() -> None:
    assert iris.concept_id(iris.concept_iri("site/facet-joint")) == "site/facet-joint"
    assert iris.pmid_of_graph(iris.article_graph("42")) == "42"
    assert iris.pmid_of_graph(iris.RUNS_GRAPH) is None
