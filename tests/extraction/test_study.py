"""The study: design, the patients counted, their ages and sexes.

Each test states one rule on sentences written for it.
"""

from __future__ import annotations

from kb.extraction.study import count_patients
from kb.models import PublicationType
from tests.support.extract import read

REVIEW = (PublicationType(name="Journal Article"), PublicationType(name="Systematic Review"))


def test_patients_age_and_sex_as_the_abstract_gives_them() -> None:
    def patients(text: str) -> list[tuple[int | None, str | None]]:
        return [(p.age, p.sex) for p in read(("METHODS", text)).study.patients]

    assert patients("A 45-year-old Japanese woman presented. She improved.") == [(45, "female")]
    assert patients("We report a man aged 61 years.") == [(61, "male")]
    assert patients("An elderly woman had neck pain.") == [(None, "female")]
    assert patients("A 33-year-old transplant recipient was seen. He recovered.") == [(33, "male")]
    assert patients("Two patients, a 45-year-old man and a 52-year-old woman, were seen.") == [
        (45, "male"),
        (52, "female"),
    ]


def test_a_cohort_counts_the_patients_found_with_the_lesion() -> None:
    cohort = ["Among 2,410 dialysis patients, calcinosis was found in 31 patients."]
    assert count_patients(cohort) == 31
    assert count_patients(["In a CT survey, 12 of 96 patients had paraspinal calcinosis."]) == 12


def test_a_share_that_divides_the_counted_patients_or_names_no_lesion_is_no_count() -> None:
    texts = ["We reviewed 40 patients with calcific masses.", "Pain recurred in 6 of them."]
    assert count_patients(texts) == 40
    texts = ["We reviewed 40 patients with calcified masses.", "It recurred in 6 of 40 patients."]
    assert count_patients(texts) == 40
    assert count_patients(["Of 1,200 patients screened, 3 patients had tumoral calcinosis."]) == 3


def test_a_review_of_published_cases_without_a_patient_of_its_own_is_a_review() -> None:
    extraction = read(
        ("METHODS", "We searched three databases for reports of spinal calcinosis."),
        ("RESULTS", "Forty-two published cases were analysed; thirty-one patients had dialysis."),
        title="Spinal calcinosis: a systematic review",
        types=REVIEW,
    )
    assert extraction.study.design == "review"
    assert extraction.study.n_patients is None
    assert extraction.study.patients == ()


def test_a_review_that_reports_its_own_patient_is_not_a_review() -> None:
    extraction = read(
        ("RESULTS", "A 40-year-old man presented with back pain."),
        title="Spinal calcinosis: case report and review of the literature",
        types=(PublicationType(name="Review"),),
    )
    assert extraction.study.design == "case-report"
    assert extraction.study.n_patients == 1


def test_hyphenated_number_words_are_read_whole() -> None:
    assert count_patients(["Fifty-three patients were reviewed."]) == 53
    assert count_patients(["Twenty patients had the lesion."]) == 20
