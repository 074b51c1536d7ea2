"""Cases: which of an article's patients each sentence tells of, and each patient's record.

A case report has one case, and everything it says of its patient is that case's. A series
that describes its patients one by one ("Case 2: a 60-year-old man ...", "The second patient
...", or simply "A 71-year-old man ..." after the first) gets a case per patient, and a
sentence is attributed to the patient it is about. What a sentence says of several patients
at once ("In both patients ...", "Cases 1 and 3 ...") is the group's: it is attributed to no
case, and stays with the article's cohort.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from kb.extraction.levels import spine_order
from kb.extraction.mentions import Sentence
from kb.extraction.rules import cases as rules
from kb.extraction.rules.study import NUMBER_WORDS, ORDINALS
from kb.extraction.study import people_in, pronoun_sex
from kb.models import Assertion, Case, DiagnosisMethod, Laterality, Sex, Study

_WORD_NUMBERS = {**NUMBER_WORDS, **rules.ROMAN}
_LABEL = re.compile(
    r"\b(?:" + "|".join(rules.CASE_LABELS) + r")\s+(?:no\.?\s*|#\s*)?("
    r"\d{1,2}|" + "|".join(sorted(_WORD_NUMBERS, key=len, reverse=True)) + r")\b(?![-.]\d)",
    re.I,
)
_ORDINAL = "|".join(ORDINALS)
_ORDINAL_LABEL = re.compile(
    rf"\bthe\s+({_ORDINAL})\s*(?:(?:{'|'.join(rules.CASE_LABELS)})\b|one\b|[,;(]|"
    r"(?=was\b|had\b|presented\b|underwent\b|developed\b|complained\b))",
    re.I,
)
_OTHER = re.compile(
    rf"\bthe\s+(?:{'|'.join(rules.OTHER_WORDS)})(?:\s+(?:{'|'.join(rules.CASE_LABELS)}))?\b", re.I
)
_COUNT = "|".join(NUMBER_WORDS)
_GROUP = re.compile(
    r"\b(?:(?:both|all|each|either|neither|none)(?:\s+of)?(?:\s+(?:the|them|these|our))?"
    rf"(?:\s+(?:{_COUNT}))?\s+(?:patients?|cases?|lesions?|masses|individuals|them)\b"
    r"|in\s+(?:both|all|each)\b"
    rf"|\b(?:{'|'.join(rules.CASE_LABELS)})s\s+(?:\d|[ivx]+\b|no\b)"
    rf"|\b(?:the|these|our|{_COUNT}|\d+)\s+(?:patients|cases|individuals)\b)",
    re.I,
)
_WORDS = re.compile(r"[a-z]+")
# "left C5/C6 facet joint", "right-sided paraspinal": a side within a few words before a site.
_SIDE = re.compile(r"\b(left|right|bilateral)(?:[- ]sided)?\b(?:\W+\w+){0,2}\W*$", re.I)
_TISSUE = frozenset(rules.TISSUE_WORDS)
_BIOPSY = frozenset(rules.BIOPSY_WORDS)
_EXCISION = frozenset(rules.EXCISION_WORDS)
_YIELD = frozenset(rules.YIELD_WORDS)


def _numbers_named(text: str) -> set[int]:
    """The case numbers a sentence names: "Case 2", "patient III", "the second patient"."""
    named = {_number(m.group(1)) for m in _LABEL.finditer(text)}
    named |= {ORDINALS[m.group(1).lower()] for m in _ORDINAL_LABEL.finditer(text)}
    return named


def _number(word: str) -> int:
    return int(word) if word.isdigit() else _WORD_NUMBERS[word.lower()]


def is_single(study: Study, sentences: Sequence[Sentence] = ()) -> bool:
    """Tell whether the article reports one patient (a case report, or a review with one case).

    A text that names a second patient ("the second patient", "Case 2") reports more, whatever
    its count said.
    """
    one = study.n_patients == 1 or (study.n_patients is None and study.design == "case-report")
    named = {n for s in sentences if s.scope == "patient" for n in _numbers_named(s.text)}
    return one and max(named, default=1) == 1


def attribute(sentences: Sequence[Sentence], study: Study) -> list[int | None]:
    """Number each sentence with the patient it tells of: 1, 2, ..., or None for the group.

    Only sentences about the article's own patients (patient scope) are numbered. In a series,
    a sentence about one patient names it ("Case 2", "the second patient", "the other
    patient") or introduces a new person by age ("A 71-year-old man presented ..."); the
    sentences after it are about the same patient until another is named, or until one speaks
    of several at once.
    """
    if is_single(study, sentences):
        return [1 if s.scope == "patient" else None for s in sentences]
    numbers: list[int | None] = []
    current: int | None = None
    known: dict[int, tuple[int | None, Sex | None]] = {}
    for s in sentences:
        if s.scope != "patient" or s.kind == "title":
            numbers.append(None)
            continue
        named = _numbers_named(s.text)
        people = [(age, sex) for _, age, sex in people_in(s.text) if age is not None]
        if len(named) > 1 or len(people) > 1 or _GROUP.search(s.text):
            current = None
        elif named:
            current = named.pop()
        elif _OTHER.search(s.text) and current is not None and max(known, default=0) == 2:
            current = 3 - current
        elif people and (current is None or known.get(current, people[0]) != people[0]):
            current = max(known, default=0) + 1
        if current is not None and people and len(people) == 1:
            known.setdefault(current, people[0])
        elif current is not None:
            known.setdefault(current, (None, None))
        numbers.append(current)
    return numbers


def diagnosis_method(texts: Sequence[str]) -> DiagnosisMethod | None:
    """How the lesion was proven, read from the texts about the patient in reading order.

    A sentence that rests the diagnosis on imaging says "imaging". A sentence that names
    tissue (histology, pathology, specimen), or a biopsy's yield ("biopsy revealed ..."),
    says what the tissue came from: the procedure nearest the tissue word in that sentence,
    else the last procedure told before it ("excisional biopsy" is an excision).

    >>> diagnosis_method(["CT-guided biopsy was inconclusive.",
    ...                   "The mass was excised; histology showed tumoral calcinosis."])
    'excision-histology'
    >>> diagnosis_method(["She underwent laminectomy and en bloc resection.",
    ...                   "Histology showed calcium deposits."])
    'excision-histology'
    >>> diagnosis_method(["A needle biopsy yielded chalky material."])
    'biopsy-histology'
    """
    last: DiagnosisMethod | None = None
    for text in texts:
        lowered = text.lower()
        if any(phrase in lowered for phrase in rules.IMAGING_DIAGNOSIS):
            return "imaging"
        words = _WORDS.findall(lowered.replace("excisional biopsy", "excision"))
        procedures: list[tuple[int, DiagnosisMethod]] = [
            (i, "biopsy-histology" if w in _BIOPSY else "excision-histology")
            for i, w in enumerate(words)
            if w in _BIOPSY or w in _EXCISION
        ]
        tissue = [i for i, w in enumerate(words) if w in _TISSUE]
        tissue += [i for i, w in enumerate(words) if w in _YIELD and _BIOPSY & set(words[:i])]
        if tissue:
            nearest = min(
                ((min(abs(i - t) for t in tissue), method) for i, method in procedures),
                default=(0, last),
            )[1]
            if nearest is not None:
                return nearest
        if procedures:
            last = procedures[-1][1]
    return None


def read_cases(
    sentences: Sequence[Sentence],
    numbers: Sequence[int | None],
    study: Study,
    assertions: Sequence[Assertion],
) -> tuple[Case, ...]:
    """Build a record for each patient the article describes individually.

    A patient's age and sex come from the sentences about it (else from a sentence listing
    the patients in order, "a 45-year-old man and a 60-year-old woman"), its levels from the
    levels those sentences give, its misdiagnoses from its assertions in reading order, and
    how it was proven from its sentences and those about the whole group.
    """
    patient = [(s, n) for s, n in zip(sentences, numbers, strict=True) if s.scope == "patient"]
    listed = next((aged for s, n in patient if n is None and len(aged := _aged(s.text)) > 1), [])
    told = sorted({n for _, n in patient if n is not None})
    if not told and len(study.patients) > 1 and len(study.patients) == study.n_patients:
        return tuple(
            Case(patient=k, age=p.age, sex=p.sex) for k, p in enumerate(study.patients, start=1)
        )
    cases = []
    for k in told:
        texts = [s.text for s, n in patient if n == k]
        people = [(age, sex) for text in texts for _, age, sex in people_in(text)]
        if not people and k <= len(listed):
            people = [listed[k - 1]]
        age = next((a for a, _ in people if a is not None), None)
        sex = next((x for _, x in people if x is not None), None) or pronoun_sex(" ".join(texts))
        if is_single(study, sentences) and study.patients:
            age, sex = study.patients[0].age or age, study.patients[0].sex or sex
        levels = spine_order(
            v for s, n in patient if n == k for lv in s.levels for v in lv.vertebrae
        )
        mine = [a for a in assertions if a.patient == k]
        cases.append(
            Case(
                patient=k,
                age=age,
                sex=sex,
                levels=levels,
                laterality=laterality(mine),
                misdiagnoses=misdiagnoses(mine),
                diagnosis=diagnosis_method([s.text for s, n in patient if n in (k, None)]),
            )
        )
    return tuple(cases)


def misdiagnoses(assertions: Sequence[Assertion]) -> tuple[str, ...]:
    """What a patient's lesion was taken for, once each, in the order the text tells."""
    taken = (a.concept for a in assertions if a.role == "misdiagnosis" and a.polarity == "present")
    return tuple(dict.fromkeys(taken))


def _aged(text: str) -> list[tuple[int | None, Sex | None]]:
    return [(age, sex) for _, age, sex in people_in(text) if age is not None]


def laterality(assertions: Sequence[Assertion]) -> Laterality | None:
    """The side of the lesion: a side named just before a site, the same for every site.

    >>> told = "CT showed a mass at the left C5/C6 facet joint."
    >>> site = Assertion(role="site", concept="site/facet-joint", section="CASE",
    ...                  sentence=told, start=35, end=46)
    >>> laterality([site])
    'left'
    """
    sides = {
        m.group(1).lower()
        for a in assertions
        if a.role == "site" and a.polarity == "present"
        if (m := _SIDE.search(a.sentence[: a.start]))
    }
    return sides.pop() if len(sides) == 1 else None  # type: ignore[return-value]
