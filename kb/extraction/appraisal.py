"""Appraisal: the items of the JBI case-report checklist and CARE that an abstract can answer.

Each item is answered yes, no or unclear from what extraction read, with the sentence that
supports the answer. An abstract is a summary: an item it does not mention is "unclear", not
"no"; "no" is kept for what the abstract says was not done (a diagnosis on imaging alone has
no histological confirmation).

The items, with the checklist questions they stand for:

- ``demographics`` (JBI 1, CARE 5): age and sex of every patient described;
- ``presentation`` (JBI 3, CARE 7): the clinical condition on presentation (a symptom, or
  found incidentally);
- ``diagnostic-tests`` (JBI 4, CARE 9): imaging findings reported;
- ``histological-confirmation`` (JBI 4): tissue diagnosis, by excision or biopsy;
- ``intervention`` (JBI 5, CARE 10): the treatment given;
- ``post-intervention`` (JBI 6, CARE 11): the condition after treatment (an outcome);
- ``follow-up`` (CARE 11): how long the patient was followed;
- ``adverse-events`` (JBI 7, CARE 11): complications reported, or their absence;
- ``take-away`` (JBI 8, CARE 12): a lesson drawn (a conclusion section or sentence).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Literal

from pydantic import Field

from kb.extraction.extract import section_label
from kb.extraction.text import split_sentences
from kb.models import Article, Assertion, Extraction, Frozen

Answer = Literal["yes", "no", "unclear"]
ITEMS = (
    "demographics", "presentation", "diagnostic-tests", "histological-confirmation",
    "intervention", "post-intervention", "follow-up", "adverse-events", "take-away",
)  # fmt: skip
_FOLLOW_UP = re.compile(
    r"\b(?:follow(?:ed)?[- ]up|followed)\b[^.;]{0,40}?\b\d+(?:\.\d+)?\s*(?:years?|months?|weeks?)\b"
    r"|\b\d+(?:\.\d+)?[- ](?:years?|months?|weeks?)[- ]follow[- ]up\b"
    r"|\b(?:after|at)\s+\d+(?:\.\d+)?\s*(?:years?|months?)\b",
    re.I,
)
_ADVERSE = re.compile(
    r"\b(?:complications?|adverse|uneventful|uncomplicated|wound infection|"
    r"(?:csf|cerebrospinal fluid) leak|dural tear|durotomy)\b",
    re.I,
)
_TAKE_AWAY = re.compile(
    r"\b(?:should be (?:considered|included|suspected)|must be|consider(?:ed)?\b|"
    r"awareness|important to|recogni[sz]|differential diagnosis)",
    re.I,
)


class Item(Frozen):
    """One checklist item answered for an article, with the sentence that supports it."""

    item: str
    answer: Answer
    sentence: str | None = Field(None, description="The sentence the answer rests on.")


def appraise(article: Article, extraction: Extraction) -> tuple[Item, ...]:
    """Answer every item for one article (a case report or series; cohorts are appraised too)."""
    patient = [a for a in extraction.assertions if a.scope == "patient" and a.section != "TITLE"]
    sentences = list(_sentences(article))
    return (
        _demographics(extraction, sentences),
        _first("presentation", patient, ("symptom",)),
        _first("diagnostic-tests", patient, ("finding",)),
        _histology(extraction, patient, sentences),
        _first("intervention", [a for a in patient if a.polarity == "present"], ("treatment",)),
        _first("post-intervention", patient, ("outcome",)),
        _matching("follow-up", sentences, _FOLLOW_UP),
        _matching("adverse-events", sentences, _ADVERSE),
        _take_away(sentences),
    )


def _sentences(article: Article) -> Iterable[tuple[str, str]]:
    for s in article.abstract:
        for start, end in split_sentences(s.text):
            yield section_label(s.category, s.label), s.text[start:end]


def _first(item: str, assertions: Sequence[Assertion], roles: Sequence[str]) -> Item:
    found = next((a for a in assertions if a.role in roles), None)
    return Item(item=item, answer="yes" if found else "unclear", sentence=found and found.sentence)


def _matching(item: str, sentences: Sequence[tuple[str, str]], pattern: re.Pattern[str]) -> Item:
    found = next((text for _, text in sentences if pattern.search(text)), None)
    return Item(item=item, answer="yes" if found else "unclear", sentence=found)


def _demographics(x: Extraction, sentences: Sequence[tuple[str, str]]) -> Item:
    people = [(p.age, p.sex) for p in x.cases] or [(p.age, p.sex) for p in x.study.patients]
    told = [age for age, sex in people if age is not None and sex is not None]
    if not people or not told:
        return Item(item="demographics", answer="unclear")
    answer: Answer = "yes" if len(told) == len(people) else "unclear"
    age = re.compile(rf"\b{told[0]}\b")
    sentence = next((text for _, text in sentences if age.search(text)), None)
    return Item(item="demographics", answer=answer, sentence=sentence)


def _histology(
    x: Extraction, patient: Sequence[Assertion], sentences: Sequence[tuple[str, str]]
) -> Item:
    methods = {c.diagnosis for c in x.cases}
    if methods & {"excision-histology", "biopsy-histology"}:
        tissue = re.compile(r"\b(?:histolog|histopatholog|patholog|biops|specimen)", re.I)
        sentence = next((text for _, text in sentences if tissue.search(text)), None)
        return Item(item="histological-confirmation", answer="yes", sentence=sentence)
    if methods == {"imaging"}:
        return Item(item="histological-confirmation", answer="no")
    return Item(item="histological-confirmation", answer="unclear")


def _take_away(sentences: Sequence[tuple[str, str]]) -> Item:
    conclusions = [text for section, text in sentences if section.startswith("CONCLUSION")]
    lessons = [text for _, text in sentences[-2:] if _TAKE_AWAY.search(text)]
    found = (conclusions or lessons)[-1] if conclusions or lessons else None
    return Item(item="take-away", answer="yes" if found else "unclear", sentence=found)
