"""Study design, number of patients, and each patient's age and sex, read from an article."""

from __future__ import annotations

import re
from collections.abc import Sequence

from kb.extraction import rules
from kb.extraction.cues import Cues
from kb.models import Article, Design, Patient, Sex, Study

_UNITS = "|".join(rules.NUMBER_WORDS)
_TENS = "(?:" + "|".join(rules.TENS) + ")(?:-(?:" + _UNITS + "))?"
# "Seventy-four" is not "four", nor "1,036" "036"
_NUMERAL = _TENS + r"|\d{1,3}(?:,\d{3})+|\d{1,5}|" + _UNITS
_NUMBER = r"(?<![\w,-])(" + _NUMERAL + ")"
_WHOLE = r"(?<![\w,-])(?:" + _NUMERAL + ")"  # a number not counted: the whole of a share
_PATIENTS = r"((?:[a-z-]+\s+){0,2}?)(?:" + "|".join(rules.PATIENT_NOUNS) + r")s\b"
_OF_WHOM = re.compile(_NUMBER + r"\s+(?:\([^)]*\)\s+)?of\s+(?:whom|them|these)\b", re.I)
# "23 of 142 enrolled patients", not "5 of the 21 patients" (a part of patients already told)
_OF_ALL = re.compile(
    _NUMBER + r"\s+(?:out\s+)?of\s+(?:the\s+)?" + _NUMBER + r"\s+" + _PATIENTS, re.I
)
_FOUND_IN = re.compile(
    r"\b(?:"
    + "|".join(rules.FOUND_VERBS)
    + r")\s+(?:[a-z-]+\s+){0,3}?in\s+(?:(?:the\s+)?(?:[a-z-]+\s+){0,2}?of\s+)?"
    + _NUMBER
    + r"\s+"
    + _PATIENTS,
    re.I,
)


def _patients_then_lesion(link: str) -> re.Pattern[str]:
    """A count of patients, ``link``, and within five words a word naming the lesion.

    A parenthesis may stand between ("eight patients (six women, median age 63) with ...").
    """
    lesion = "|".join(rules.LESION_WORDS)
    return re.compile(
        rf"{_NUMBER}\s+{_PATIENTS}\s+(?:\([^)]*\)\s+)?(?:{link})\s+(?:[a-z-]+\s+){{0,5}}?"
        rf"(?:{lesion})",
        re.I,
    )


# "We reviewed seven patients with histologically confirmed spinal tumoral calcinosis".
_WITH = _patients_then_lesion("with")
# "At baseline, 8 patients had spinal tumoral calcinosis": the patients with the lesion.
_HAD = _patients_then_lesion("had|showed|developed")
# "calcific deposits in 19 patients (20%)": the lesion, then the patients who have it.
_LESION_IN = re.compile(
    r"\b(?:" + "|".join(rules.LESION_WORDS) + r")[a-z]*\s+in\s+" + _NUMBER + r"\s+" + _PATIENTS,
    re.I,
)
# "Of 388 dialysis patients who underwent surgery, eleven (2.8%) had tumoral calcinosis"
_OF_FIRST = re.compile(
    r"\bof\s+(?:the\s+)?"
    + _WHOLE
    + r"\s+(?:[a-z-]+\s+){0,2}?(?:"
    + "|".join(rules.PATIENT_NOUNS)
    + r")s\b[^,;.]{0,80},\s+"
    + _NUMBER
    + r"\s+(?:\([^)]*\)\s+)?(?:had|showed|developed|were\s+found\s+to\s+have)\s+"
    + r"(?:[a-z-]+\s+){0,3}?(?:"
    + "|".join(rules.LESION_WORDS)
    + ")",
    re.I,
)
# "tumoral calcinosis was identified in nine": the lesion, found in a count in words (no noun).
_FOUND_IN_WORDS = re.compile(
    r"\b(?:"
    + "|".join(rules.LESION_WORDS)
    + r")[a-z]*\s+(?:was|were)\s+(?:"
    + "|".join(rules.FOUND_VERBS)
    + r")\s+in\s+("
    + _TENS
    + "|"
    + _UNITS
    + r")\b(?!\s+(?:of|out)\b)",
    re.I,
)
_COUNT = re.compile(_NUMBER + r"\s+" + _PATIENTS, re.I)
_SHARES = (_OF_WHOM, _OF_ALL, _FOUND_IN, _LESION_IN, _HAD, _WITH, _OF_FIRST, _FOUND_IN_WORDS)
_DENOMINATOR = frozenset(rules.DENOMINATOR_WORDS)
_NOT_COUNTED = frozenset((*rules.LITERATURE_WORDS, *rules.DENOMINATOR_WORDS))
_LESION = re.compile(r"\b(?:" + "|".join(rules.LESION_WORDS) + r")", re.I)
_MEN_WOMEN = re.compile(r"\b(?:women|men)\b", re.I)
_SEX = "|".join((*rules.FEMALE_WORDS, *rules.MALE_WORDS, "patient", "child", "adult"))
_AGED = re.compile(
    r"\b(\d{1,3})[- ](?:year|yr)s?[- ]old\b(?:(?:\s+[A-Za-z-]+){0,3}?\s+(" + _SEX + r")\b)?", re.I
)
_AGED_AFTER = re.compile(r"\b(" + _SEX + r")\s+aged\s+(\d{1,3})\b", re.I)
_SEXED = re.compile(
    r"\b(?:a|an)\s+(?:(?:older|elderly|young|middle-aged|pregnant|[A-Z][a-z]+)\s+)?("
    + "|".join((*rules.FEMALE_WORDS, *rules.MALE_WORDS))
    + r")\b",
    re.I,
)
# "F/79", "M/77": sex and age as a case sheet writes them.
_SHEET = re.compile(r"\b([FM])\s*/\s*(\d{1,3})\b")
# A telegraphic case opens with the person: "Elderly woman, L2-L3, ...", "Man aged 45 ...".
_BARE_PERSON = re.compile(
    r"^\W*(?:(?:"
    + "|".join(rules.PERSON_ADJECTIVES)
    + r")\s+)?(?:"
    + "|".join((*rules.FEMALE_WORDS, *rules.MALE_WORDS, "patient"))
    + r")\b",
    re.I,
)
_AGE_OF = re.compile(r"\b\d{1,3}\s+years?\s+of\s+age\b", re.I)
_ONE = re.compile(r"\b(?:a|an|the|our|this)\s+(?:\d{1,3}[- ]year[- ]old\s+)?patient\b", re.I)
_SHE = re.compile(r"\b(?:she|her)\b", re.I)
_HE = re.compile(r"\b(?:he|his|him)\b", re.I)


def _number(text: str) -> int:
    """Read a count written in digits or words ("26", "twelve", "Seventy-four")."""
    if text.replace(",", "").isdigit():
        return int(text.replace(",", ""))
    words = {**rules.NUMBER_WORDS, **rules.TENS}
    return sum(words[w] for w in text.lower().split("-"))


def _sex(word: str) -> Sex | None:
    word = word.lower()
    if word in rules.FEMALE_WORDS:
        return "female"
    if word in rules.MALE_WORDS:
        return "male"
    return None


def count_patients(texts: Sequence[str]) -> int | None:
    """Count the patients a text reports with the lesion, else the first "N patients", else one.

    The patients with the lesion are the first share of a cohort the text names ("26 of
    whom", "23 of 142 patients", "identified in 14 patients"); the cohort screened, controls
    and published cases do not count.

    >>> count_patients(["We reviewed 629 patients, 26 of whom (4%) had the lesion."])
    26
    >>> count_patients(["Our review found 30 published cases.", "We report two patients."])
    2
    """
    text = "\n".join(texts)
    shares = [(m.start(), m.group(1)) for p in _SHARES for m in p.finditer(text) if _share(text, m)]
    if shares:
        return _number(min(shares)[1])
    for m in _COUNT.finditer(text):
        between = m.group(2).lower().split()
        after = [w.strip(",;:.") for w in text[m.end() :].split()[:1]]  # "patients screened"
        if _NOT_COUNTED.isdisjoint(between) and _DENOMINATOR.isdisjoint(after):
            return _number(m.group(1))
    if any(p.search(text) for p in (_ONE, _AGED, _AGED_AFTER, _SEXED, _SHEET)):
        return 1
    return None


def _share(text: str, m: re.Match[str]) -> bool:
    """Tell whether a share of patients is those with the lesion, not a part of those told.

    Its sentence names the lesion ("calcinosis was identified in 14 patients", not "it
    recurred in two of them"), and it does not divide patients already counted with the
    lesion: "5 of 18 patients" after "18 patients with the lesion" (or after "found in 18 of
    140 patients"), or "three of them" in a sentence after "11 patients with tumoral calcinosis".
    """
    if not _names_lesion(text, m.start()):
        return False
    if m.re is _OF_WHOM:
        line = text.rfind("\n", 0, m.start())
        return not any(
            _names_lesion(text, c.start()) for c in _COUNT.finditer(text, 0, max(line, 0))
        )
    if m.re is not _OF_ALL:
        return True
    whole = _number(m.group(2))
    told = [c for c in _COUNT.finditer(text, 0, m.start()) if _names_lesion(text, c.start())]
    told += [
        c
        for p in (_OF_ALL, _FOUND_IN, _LESION_IN, _HAD, _WITH)
        for c in p.finditer(text, 0, m.start())
    ]
    return not any(_number(c.group(1)) == whole for c in told)


def _names_lesion(text: str, at: int) -> bool:
    """Tell whether the sentence (line) around offset ``at`` names the lesion."""
    start = text.rfind("\n", 0, at) + 1
    end = text.find("\n", at)
    return _LESION.search(text, start, end if end >= 0 else len(text)) is not None


def introduces_patient(text: str) -> bool:
    """Tell whether a sentence describes a person by age or sex, as a case opens.

    >>> introduces_patient("Elderly woman, L2-L3, 5 weeks of low back pain.")
    True
    >>> introduces_patient("Calcific deposits are rare in the spine.")
    False
    """
    patterns = (_AGED, _AGED_AFTER, _SEXED, _SHEET, _BARE_PERSON, _AGE_OF)
    return any(p.search(text) for p in patterns)


def people_in(text: str) -> list[tuple[int, int | None, Sex | None]]:
    """Each person a text describes by age or sex, as (offset, age, sex), in reading order.

    >>> people_in("A 45-year-old man and a woman aged 60, both with neck pain.")
    [(2, 45, 'male'), (24, 60, 'female')]
    """
    aged = [(m, int(m.group(1)), _sex(m.group(2) or "")) for m in _AGED.finditer(text)]
    aged += [(m, int(m.group(2)), _sex(m.group(1))) for m in _AGED_AFTER.finditer(text)]
    aged += [
        (m, int(m.group(2)), "female" if m.group(1) == "F" else "male")
        for m in _SHEET.finditer(text)
    ]
    spans = [m.span() for m, _, _ in aged]
    found: list[tuple[int, int | None, Sex | None]] = [(m.start(), a, s) for m, a, s in aged]
    found += [
        (m.start(), None, _sex(m.group(1)))
        for m in _SEXED.finditer(text)
        if not any(a < m.end() and m.start() < b for a, b in spans)  # "a woman aged 60"
    ]
    return sorted(found)


def pronoun_sex(text: str) -> Sex | None:
    """The sex a text's pronouns give its one patient ("she", "his"), if any."""
    return "female" if _SHE.search(text) else "male" if _HE.search(text) else None


def read_patients(texts: Sequence[str], n_patients: int | None) -> tuple[Patient, ...]:
    """Read each patient's age and sex; a single patient's mentions are merged into one."""
    found = [
        (k * 100_000 + at, age, sex)
        for k, text in enumerate(texts)
        for at, age, sex in people_in(text)
    ]
    if n_patients == 1:
        age = next((a for _, a, _ in found if a is not None), None)
        sex = next((s for _, _, s in found if s is not None), None)
        sex = sex or pronoun_sex(" ".join(texts))
        if age is None and sex is None:
            return ()
        return (Patient(age=age if age is not None and age <= 130 else None, sex=sex),)
    patients = [Patient(age=a, sex=s) for _, a, s in found if a is not None and a <= 130]
    return tuple(dict.fromkeys(patients))


def read_design(article: Article, scoped: Sequence[tuple[str, Cues]], n: int | None) -> Design:
    """Classify the study: retrospective or prospective cohort, case series or report, review."""
    types = {t.name for t in article.publication_types}
    patient = [cues for scope, cues in scoped if scope == "patient"]
    if any(c.has("retrospective") for c in patient):
        return "retrospective-study"
    if any(c.has("prospective") for c in patient) or types & set(rules.PROSPECTIVE_TYPES):
        return "prospective-study"
    if n is not None and 2 <= n <= 9:
        return "case-series"
    if n is not None and n >= 10:
        return "retrospective-study"
    if n == 1 or types & set(rules.CASE_REPORT_TYPES):
        return "case-report"
    if types & set(rules.REVIEW_TYPES) or any(c.has("review") for _, c in scoped):
        return "review"
    return "other"


def reports_own_patients(types: set[str], sentences: Sequence[tuple[str, str, Cues]]) -> bool:
    """Tell whether an article reports patients of its own: a case, a cohort, "our patients"."""
    if types & set(rules.CASE_REPORT_TYPES):
        return True
    own = ("own", "retrospective", "prospective")
    if any(c.has(family) for _, _, c in sentences for family in own):
        return True
    texts = [text for text, scope, _ in sentences if scope == "patient"]
    return any(p.search(text) for text in texts for p in (_ONE, _AGED, _AGED_AFTER, _SEXED))


def read_study(article: Article, sentences: Sequence[tuple[str, str, Cues]]) -> Study:
    """Read the study from (sentence, scope, cues) triples in reading order.

    A review that reports no patient of its own has no n_patients: the cases it pools are
    other articles' patients.
    """
    types = {t.name for t in article.publication_types}
    review = types & set(rules.REVIEW_TYPES) or any(c.has("review") for _, _, c in sentences)
    if review and not reports_own_patients(types, sentences):
        return Study(design="review", n_patients=None, patients=())
    texts = [text for text, scope, _ in sentences if scope == "patient"]
    n = count_patients(texts)
    design = read_design(article, [(scope, cues) for _, scope, cues in sentences], n)
    if n is None and design == "case-report":
        n = 1
    return Study(design=design, n_patients=n, patients=read_patients(texts, n))
