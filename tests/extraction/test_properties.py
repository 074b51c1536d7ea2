"""Properties of extraction on arbitrary text: it never fails, and every span it gives is valid."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from kb.extraction.extract import extract_article
from kb.models import AbstractSection, Article
from kb.vocabulary import VERTEBRAE, get_concepts

# Words and marks that drive the rules, so that random text reaches them often.
WORDS = (
    "tumoral calcinosis", "TC", "(TC)", "CPPD", "C4/5", "C6 through T1", "T1- and T2-weighted",
    "hypointense", "low signal on both", "MRI", "CT", "calcified mass", "not", "no", "without",
    "did", "may", "suggest", "mimicking", "misinterpreted as", "neoplasm", "infection", "disc",
    "cyst", "normal serum calcium and phosphate levels were", "the cord", "compressed",
    "erosion of bone", "fourth and fifth lumbar vertebrae", "odontoid", "dens", "rim of high",
    "haemodialysis", "tumour-like", "but", "however", "which", "55-year-old woman",
    "26 patients of whom", "we report", "Fig.", "et al.", "e.g.", "1.5", ";", ":", ",", ".", "?",
    "-", "–", "(", ")", "iso- to",
)  # fmt: skip
text = st.one_of(
    st.text(max_size=300),
    st.lists(st.sampled_from(WORDS), max_size=60).map(" ".join),
)
section = st.builds(
    AbstractSection,
    label=st.one_of(st.none(), st.sampled_from(["BACKGROUND", "CASE", "Results", "X"])),
    category=st.one_of(st.none(), st.sampled_from(["BACKGROUND", "METHODS", "CONCLUSIONS"])),
    text=text,
)


@settings(max_examples=300, deadline=None)
@given(title=text, sections=st.lists(section, max_size=4))
@example(
    title="",
    sections=[
        AbstractSection(text="TUMORAL:CALCINOSIS:0-YEAR-OLD"),
        AbstractSection(text="TUMORAL:CALCINOSIS:0 PATIENTS"),
    ],
)
def test_extraction_never_fails_and_every_span_is_its_mention(
    title: str, sections: list[AbstractSection]
) -> None:
    extraction = extract_article(Article(pmid="1", title=title, abstract=tuple(sections)))
    concepts = get_concepts()
    for a in extraction.assertions:
        assert 0 <= a.start < a.end <= len(a.sentence)
        assert a.sentence[a.start : a.end] == a.mention
        assert a.mention.strip() == a.mention and a.mention
        assert a.concept in concepts
        assert a.sentence in title or any(a.sentence in s.text for s in sections)
    assert set(extraction.levels) <= set(VERTEBRAE)
    # Nothing is said twice of the same patients; one claim may be a case's and the group's
    # (the example above, found by the search).
    keys = [(a.role, a.concept, a.polarity, a.scope, a.patient) for a in extraction.assertions]
    assert len(keys) == len(set(keys))


@settings(max_examples=100, deadline=None)
@given(title=text, body=text)
def test_extraction_is_deterministic(title: str, body: str) -> None:
    article = Article(pmid="1", title=title, abstract=(AbstractSection(text=body),))
    assert extract_article(article) == extract_article(article)
