"""Rule families found by the blind sets' first read, each tested on sentences of our own."""

from __future__ import annotations

import pytest

from kb.models import PublicationType
from tests.support.extract import concepts, read, tuples

TITLE = "Calcific deposit of the thoracic spine"


@pytest.mark.parametrize(
    "opening",
    [
        "Elderly man, T7-T8, two months of girdle pain and leg numbness.",
        "Woman aged 52 years came to clinic with back pain since 3 months.",
        "F/66, back pain for six weeks, no fever.",
        "Patient of 70 years of age, back pain and leg numbness.",
    ],
)
def test_a_telegraphic_case_opens_the_patient_scope(opening: str) -> None:
    found = read(opening, "MRI: mass low signal on T1 and T2; no enhancement.", title=TITLE)
    patient = tuples(found)
    assert ("symptom", "symptom/back-pain", "present") in patient or (
        "symptom",
        "symptom/sensory-disturbance",
        "present",
    ) in patient
    assert ("finding", "finding/contrast-enhancement", "absent") in patient
    assert ("finding", "finding/t1-hypointense", "present") in patient


def test_a_general_opening_stays_background_until_the_case() -> None:
    found = read(
        "Calcific deposits of the spine are rare and often taken for tumours.",
        "Elderly woman, L3, back pain.",
        title=TITLE,
    )
    assert ("misdiagnosis", "condition/neoplasm", "present") not in tuples(found)


def test_a_sheet_gives_sex_and_age() -> None:
    found = read("M/58, neck pain, CT calcified mass at C3.", title=TITLE)
    assert [(p.age, p.sex) for p in found.study.patients] == [(58, "male")]


@pytest.mark.parametrize(
    ("labs", "expected"),
    [
        ("Labs: Ca, P, PTH normal.", {"hypercalcemia", "hyperphosphatemia", "hyperparathyroidism"}),
        (
            "Serum calcium and phosphate were in normal limits.",
            {"hypercalcemia", "hyperphosphatemia"},
        ),
        ("Her calcium was in the normal limits.", {"hypercalcemia"}),
    ],
)
def test_normal_laboratory_values_in_terse_or_non_native_wording(
    labs: str, expected: set[str]
) -> None:
    found = tuples(read(("CASE", "A 60-year-old man had neck pain."), ("CASE", labs), title=TITLE))
    absent = {c.split("/")[1] for r, c, p in found if r == "associated" and p == "absent"}
    assert absent == expected


def test_a_lone_letter_is_no_analyte_without_a_state() -> None:
    found = tuples(
        read(("CASE", "A 60-year-old man, P value 0.03, CA 19-9 measured."), title=TITLE)
    )
    assert not {c for r, c, _ in found if r == "associated"}


@pytest.mark.parametrize("label", ["Differential:", "Ddx:", "Differential diagnosis:", "DD:"])
def test_a_labelled_differential_lists_misdiagnoses(label: str) -> None:
    found = tuples(
        read(
            ("CASE", "A 60-year-old man had neck pain."), ("CASE", f"{label} schwannoma, abscess.")
        )
    )
    assert ("misdiagnosis", "condition/nerve-sheath-tumor", "present") in found
    assert ("misdiagnosis", "condition/abscess", "present") in found
    assert not {c for r, c, _ in found if r == "associated"}


def test_considered_diagnoses_listed_after_the_verb_are_misdiagnoses() -> None:
    found = tuples(
        read(
            (
                "RESULTS",
                "In 12 patients the diagnoses considered were metastasis and spondylodiscitis.",
            ),
            title="Crowned dens: a series",
        )
    )
    assert {c for r, c, _ in found if r == "misdiagnosis"} >= {
        "condition/metastasis",
        "condition/spondylodiscitis",
    }


def test_a_review_without_patients_of_its_own_says_nothing_of_patients() -> None:
    review = (PublicationType(name="Review"), PublicationType(name="Journal Article"))
    found = read(
        "We reviewed 80 published cases.",
        "Hemodialysis was present in 40%, and CT showed a lobulated calcified mass in most.",
        title="Tumoral calcinosis of the spine: a review of published cases",
        types=review,
    )
    assert found.study.design == "review"
    assert concepts(tuples(found)) == {"lesion/tumoral-calcinosis"}
    assert ("associated", "condition/hemodialysis", "present") in tuples(found, "background")


def test_siblings_are_counted_as_patients() -> None:
    found = read(
        "We describe two siblings with familial tumoral calcinosis of the thoracic spine.",
        title="Familial tumoral calcinosis of the spine",
    )
    assert (found.study.design, found.study.n_patients) == ("case-series", 2)


# --- from the first read of sets D and E --------------------------------------------------------

CASE = ("CASE", "A 60-year-old man had neck pain.")


@pytest.mark.parametrize(
    "sentence",
    [
        "Gout and a synovial cyst were initially suspected.",
        "Gout and a synovial cyst were also considered.",
        "The first reader mistook it for gout and a synovial cyst.",
        "The working diagnosis in the emergency department was gout or a synovial cyst.",
        "Gout and a synovial cyst were the main differential diagnoses.",
        "He was referred with the diagnosis of gout and a synovial cyst.",
    ],
)
def test_misdiagnoses_in_more_wordings(sentence: str) -> None:
    found = tuples(read(CASE, ("CASE", sentence), title=TITLE))
    assert {c for r, c, _ in found if r == "misdiagnosis"} == {
        "condition/gout",
        "condition/synovial-cyst",
    }
    assert not {c for r, c, _ in found if r == "associated"}


def test_a_raised_suspicion_is_a_misdiagnosis_but_a_raised_value_is_a_condition() -> None:
    found = tuples(
        read(CASE, ("CASE", "A chronic abscess was also raised. Serum phosphate was raised."))
    )
    assert ("misdiagnosis", "condition/abscess", "present") in found
    assert ("associated", "condition/hyperphosphatemia", "present") in found


@pytest.mark.parametrize(
    "literature",
    [
        "Sixty cases from 41 articles were included; 58% of the patients were on dialysis.",
        "Such deposits were mainly described in dialysis patients.",
        "Similar lesions have been reported in dialysis patients.",
    ],
)
def test_what_other_articles_report_is_background(literature: str) -> None:
    found = read(CASE, ("CASE", literature), title=TITLE)
    assert ("associated", "condition/hemodialysis", "present") not in tuples(found)
    assert ("associated", "condition/hemodialysis", "present") in tuples(found, "background")
    assert found.study.n_patients == 1


def test_a_normal_value_after_being() -> None:
    found = tuples(read(CASE, ("CASE", "Phosphate was raised, serum calcium being normal.")))
    assert ("associated", "condition/hypercalcemia", "absent") in found


# --- from sets F and G --------------------------------------------------------------------------


def test_after_a_literature_search_the_results_are_the_literatures() -> None:
    found = read(
        ("CASE REPORT", "A 63-year-old woman on peritoneal dialysis had back pain at L4."),
        ("METHODS", "We searched PubMed for reports of spinal tumoral calcinosis."),
        ("RESULTS", "Fifty cases were identified; 60% of the patients were on hemodialysis."),
        ("RESULTS", "She recovered fully."),
        title="Tumoral calcinosis of the lumbar spine: case report and review",
    )
    assert ("associated", "condition/hemodialysis", "present") not in tuples(found)
    assert ("associated", "condition/peritoneal-dialysis", "present") in tuples(found)
    assert ("outcome", "outcome/improvement", "present") in tuples(found)  # "she" is ours again
    assert found.study.n_patients == 1


@pytest.mark.parametrize(
    ("results", "count"),
    [
        ("CT showed tumoral calcinosis in 9 of the 140 dialysis patients.", 9),
        ("At baseline, 8 patients had spinal tumoral calcinosis. Two patients had neck pain.", 8),
        ("Calcinosis was found on CT in 13 patients. Four of the 13 patients had pain.", 13),
        (
            "Calcinosis was found in nine of the 48 patients. Four of the nine patients had pain.",
            9,
        ),
        (
            "Tumoral calcinosis was confirmed in 11 patients. "
            "It involved the neck in five, three of them at C1-C2.",
            11,
        ),
    ],
)
def test_a_cohort_counts_those_with_the_lesion_not_a_part_of_them(results: str, count: int) -> None:
    found = read(
        ("METHODS", "We retrospectively reviewed CT scans of 140 patients on hemodialysis."),
        ("RESULTS", results),
        title="Spinal tumoral calcinosis in dialysis: a cohort",
        types=(PublicationType(name="Journal Article"),),
    )
    assert found.study.n_patients == count


def test_levels_of_degenerative_disease_are_not_the_lesions() -> None:
    found = read(
        ("CASE", "A 60-year-old man had a calcified mass at L2-L3 on CT."),
        ("CASE", "Degenerative disc disease at L5-S1 was unchanged."),
        title=TITLE,
    )
    assert found.levels == ("L2", "L3")


def test_a_relative_told_with_an_article_is_another_person() -> None:
    found = tuples(
        read(
            CASE, ("CASE", "An older sister had suffered recurrence after excision of a hip mass.")
        )
    )
    assert not {c for r, c, _ in found if r == "outcome"}


def test_a_report_that_suggested_a_diagnosis_names_a_misdiagnosis() -> None:
    found = tuples(read(CASE, ("CASE", "The radiology report suggested an epidural metastasis.")))
    assert ("misdiagnosis", "condition/metastasis", "present") in found


@pytest.mark.parametrize(
    "sentence",
    [
        "Their father, a heterozygous carrier, had normal phosphate levels.",
        "We also scanned 40 controls with normal phosphate levels.",
    ],
)
def test_relatives_and_controls_are_other_people(sentence: str) -> None:
    found = read(CASE, ("CASE", sentence))
    assert not {c for r, c, _ in tuples(found) if r == "associated"}


# --- from sets H and I --------------------------------------------------------------------------


def test_the_course_told_in_the_past_in_a_conclusion_is_the_patients() -> None:
    found = read(
        ("CASE", "A 60-year-old man on dialysis had neck pain from a calcified mass at C3."),
        ("CONCLUSIONS", "The pain resolved after surgery, and there was no recurrence at 2 years."),
        ("CONCLUSIONS", "Tumoral calcinosis should be considered in dialysis patients."),
        title=TITLE,
    )
    assert ("outcome", "outcome/improvement", "present") in tuples(found)
    assert ("outcome", "outcome/recurrence", "absent") in tuples(found)
    assert ("associated", "condition/hemodialysis", "present") in tuples(found)


def test_other_patients_of_the_unit_are_neither_counted_nor_the_patients() -> None:
    found = read(
        "A 50-year-old woman on peritoneal dialysis had a calcified mass at L2 on CT.",
        "In our unit, two other patients have had shoulder calcinosis that resolved after "
        "kidney transplantation.",
        title=TITLE,
    )
    assert found.study.n_patients == 1
    assert ("associated", "condition/kidney-transplant", "present") not in tuples(found)


@pytest.mark.parametrize(
    ("results", "count"),
    [
        ("We reviewed seven patients with histologically confirmed spinal tumoral calcinosis. "
         "Serum phosphate was elevated in three of the five patients with renal disease.", 7),
        ("Crystals were identified in the ligamentum flavum of 41 patients. "
         "Calcification was visible on CT in only 9 of the 41 patients.", 41),
    ],
)  # fmt: skip
def test_the_patients_with_the_lesion_are_counted_first(results: str, count: int) -> None:
    found = read(
        ("RESULTS", results),
        title="Spinal calcium pyrophosphate deposition: a cohort",
        types=(PublicationType(name="Journal Article"),),
    )
    assert found.study.n_patients == count


def test_levels_of_spondylosis_are_not_the_lesions() -> None:
    found = read(
        ("CASE", "A 67-year-old woman had a calcified mass at the C4-C5 facet joint on CT."),
        ("CASE", "Cervical spondylosis was present at C6-C7."),
        title=TITLE,
    )
    assert found.levels == ("C4", "C5")


@pytest.mark.parametrize(
    ("results", "count"),
    [
        ("We report eight patients (six women and two men, median age 63 years) with "
         "histologically proven tumoral calcinosis. Rim enhancement was seen in five patients.", 8),
        ("We reviewed 14 patients with histologically or clinically confirmed spinal tumoral "
         "calcinosis. Enhancement was present in seven of the nine patients given contrast.", 14),
        ("CT showed calcific deposits in 19 patients (20%), 15 of whom had limited disease.", 19),
        ("Of 212 patients who had spinal CT, seven (3%) had calcific deposits at the facets.", 7),
        ("Among 150 dialysis patients screened, calcinosis was detected in six.", 6),
        ("Of 90 patients with tumoral calcinosis, 12 had a recurrence; four had pain.", 90),
    ],
)  # fmt: skip
def test_the_count_with_the_lesion_is_read_through_asides_and_long_qualifiers(
    results: str, count: int
) -> None:
    found = read(
        ("RESULTS", results),
        title="Tumoral calcinosis of the spine: a series",
        types=(PublicationType(name="Journal Article"),),
    )
    assert found.study.n_patients == count


def test_what_the_search_found_is_the_literatures_even_after_the_own_case() -> None:
    found = read(
        ("METHODS", "MEDLINE and Embase were searched for reports of spinal tumoral calcinosis. "
                    "We also describe a 16-year-old girl with juvenile dermatomyositis."),
        ("RESULTS", "Seventy-one patients were identified; 52% were receiving hemodialysis."),
        title="Spinal tumoral calcinosis: a systematic review and a new case",
    )  # fmt: skip
    assert ("associated", "condition/hemodialysis", "present") not in tuples(found)
    assert ("associated", "condition/dermatomyositis", "present") in tuples(found)
    assert found.study.n_patients == 1


@pytest.mark.parametrize(
    ("labs", "absent", "present"),
    [
        (
            "Calcium, phosphorus and parathormone were found to be normal.",
            {"hypercalcemia", "hyperphosphatemia", "hyperparathyroidism"},
            set(),
        ),
        (
            "Calcium and PTH were subsequently shown normal.",
            {"hypercalcemia", "hyperparathyroidism"},
            set(),
        ),
        (
            "Phosphate was raised, calcium and PTH levels were normal.",
            {"hypercalcemia", "hyperparathyroidism"},
            {"hyperphosphatemia"},
        ),
    ],
)
def test_a_state_after_a_copula_is_said_of_the_analyte_before_it(
    labs: str, absent: set[str], present: set[str]
) -> None:
    found = read("A 61-year-old man had neck pain.", labs, title=TITLE)
    said = {(c.split("/")[1], p) for role, c, p in tuples(found) if role == "associated"}
    assert said == {(c, "absent") for c in absent} | {(c, "present") for c in present}


@pytest.mark.parametrize(
    "sentence",
    [
        "The haemodialysis schedule was intensified to five sessions a week.",
        "Intensified peritoneal dialysis and a phosphate binder followed.",
        "Her dialysis prescription was escalated.",
    ],
)
def test_dialysis_made_more_intense_is_a_treatment(sentence: str) -> None:
    found = read("A 45-year-old woman on dialysis had back pain.", sentence, title=TITLE)
    assert ("treatment", "treatment/dialysis-intensification", "present") in tuples(found)


def test_back_pain_that_intensified_is_no_dialysis_treatment() -> None:
    found = read("A 45-year-old woman on dialysis said her back pain intensified.", title=TITLE)
    assert "treatment/dialysis-intensification" not in concepts(tuples(found))


def test_familial_tumoral_calcinosis_names_the_lesion_too() -> None:
    found = read(
        "A 12-year-old girl with normophosphatemic familial tumoral calcinosis had a calcified "
        "mass beside the L3 lamina.",
        title="Lumbar involvement in a familial calcinosis",
    )
    patient = tuples(found)
    assert ("lesion", "lesion/tumoral-calcinosis", "present") in patient
    assert ("associated", "condition/familial-tumoral-calcinosis", "present") in patient
    assert ("lesion", "lesion/dystrophic-calcification", "present") not in patient


_LOW_BOTH = {"t1-hypointense", "t2-hypointense", "t1-t2-identical-signal"}


@pytest.mark.parametrize(
    ("mri", "expected"),
    [
        ("MRI showed low T1 and T2 signal.", _LOW_BOTH),
        ("MRI: a mass of low T1 and T2 signal with rim enhancement.", _LOW_BOTH),
        ("MRI: high T2 signal and low T1 signal.", {"t2-hyperintense", "t1-hypointense"}),
    ],
)  # fmt: skip
def test_a_signal_read_on_sequences_named_inside_it(mri: str, expected: set[str]) -> None:
    found = read("A 39-year-old man had neck pain.", mri, title=TITLE)
    findings = {c.split("/")[1] for r, c, _ in tuples(found) if r == "finding"}
    assert {f for f in findings if "intense" in f or "identical" in f} == expected


@pytest.mark.parametrize(
    ("films", "polarity"),
    [
        ("Plain films did not show the mass; CT did.", "absent"),
        ("The lesion was not visible on lumbar radiographs.", "absent"),
        ("Old radiographs had already shown it.", "present"),
        ("An X-ray showed a radiodense mass beside the L2 lamina.", "present"),
    ],
)
def test_plain_films_that_showed_the_lesion_or_not(films: str, polarity: str) -> None:
    found = read("A 70-year-old woman had back pain.", films, title=TITLE)
    assert ("finding", "finding/radiograph-calcification", polarity) in tuples(found)


def test_plain_films_that_showed_something_else_show_no_calcification() -> None:
    found = read("A 70-year-old woman had back pain.", "Radiographs showed scoliosis.", title=TITLE)
    assert "finding/radiograph-calcification" not in concepts(tuples(found))


@pytest.mark.parametrize(
    "sentence",
    [
        "She was treated for several months as a case of disc herniation.",
        "The calcified mass was first read as a meningioma.",
        "MRI showed a dorsal mass radiologically consistent with a meningioma.",
    ],
)
def test_what_a_lesion_was_taken_for_in_more_words(sentence: str) -> None:
    found = read("A 58-year-old woman had back pain.", sentence, title=TITLE)
    misdiagnoses = {c for r, c, _ in tuples(found) if r == "misdiagnosis"}
    assert misdiagnoses & {"condition/disc-herniation", "condition/meningioma"}
    assert not {c for r, c, _ in tuples(found) if r == "associated"} & misdiagnoses


def test_a_diagnosis_never_considered_is_no_condition_of_the_patient() -> None:
    found = read(
        "A 58-year-old woman had back pain.", "Infection was never considered.", title=TITLE
    )
    assert ("associated", "condition/infection", "present") not in tuples(found)
    assert ("misdiagnosis", "condition/infection", "present") not in tuples(found)


@pytest.mark.parametrize(
    "other",
    [
        "She had numbness below a sensory level at T10.",
        "He reported hypoaesthesia below T11.",
        "MRI showed paravertebral oedema extending from T9 to T12.",
    ],
)
def test_a_sensory_level_or_oedema_gives_no_lesion_level(other: str) -> None:
    found = read(
        "A 55-year-old woman presented with paraparesis.",
        other,
        "CT showed a calcified mass at T7-T8.",
        title="Thoracic tumoral calcinosis",
    )
    assert found.levels == ("T7", "T8")


def test_not_yet_on_dialysis_denies_the_dialysis_and_nothing_after_it() -> None:
    found = tuples(
        read(
            "A 60-year-old woman with renal failure not yet requiring dialysis presented with "
            "back pain.",
            "A man aged 70, not yet on haemodialysis, had neck pain.",
            title=TITLE,
        )
    )
    assert ("associated", "condition/hemodialysis", "absent") in found
    assert ("associated", "condition/hemodialysis", "present") not in found
    assert ("symptom", "symptom/back-pain", "present") in found


def test_a_diagnosis_thought_the_most_likely_is_what_the_lesion_was_taken_for() -> None:
    found = read(
        "A 47-year-old man had back pain.",
        "A schwannoma was thought to be the most likely diagnosis.",
        title=TITLE,
    )
    assert ("misdiagnosis", "condition/nerve-sheath-tumor", "present") in tuples(found)


def test_tumoral_calcinosis_is_what_a_crystal_deposit_was_taken_for() -> None:
    found = tuples(
        read(
            "A 74-year-old woman had neck pain; CT showed a calcified mass behind C4.",
            title="Hydroxyapatite deposition of the cervical spine mimicking tumoral calcinosis",
        )
    )
    assert ("misdiagnosis", "lesion/tumoral-calcinosis", "present") in found
    assert ("lesion", "lesion/hydroxyapatite-deposition", "present") in found
    assert ("lesion", "lesion/tumoral-calcinosis", "present") not in found


def test_a_lesion_named_only_as_presumed_is_the_lesion() -> None:
    found = tuples(
        read(
            "A 49-year-old woman on dialysis had a calcified mass beside T12.",
            title="Regression of presumed tumoral calcinosis with medical treatment",
        )
    )
    assert ("lesion", "lesion/tumoral-calcinosis", "present") in found
    assert ("misdiagnosis", "lesion/tumoral-calcinosis", "present") not in found


@pytest.mark.parametrize(
    "others",
    [
        "Her late mother had been on haemodialysis for many years.",
        "Such masses are typically seen in patients on dialysis, whereas she had normal renal "
        "function.",
        "We read with interest the recent report of lumbar tumoral calcinosis in a man on "
        "haemodialysis, and we describe a similar deposit in a woman with scleroderma.",
    ],
)
def test_dialysis_of_other_people_in_a_sentence_about_the_patient(others: str) -> None:
    found = read("A 52-year-old woman had back pain.", others, title=TITLE)
    assert ("associated", "condition/hemodialysis", "present") not in tuples(found)


def test_a_disc_herniation_level_is_the_lesions_only_when_the_lesion_was_taken_for_one() -> None:
    beside = read(
        "A 50-year-old woman had neck pain and a C6 radiculopathy from a C5-C6 disc herniation.",
        "CT showed a calcified mass at C1-C2.",
        title="Tumoral calcinosis of the cervical spine",
    )
    taken = read(
        "A 50-year-old woman had back pain; an L4-L5 disc herniation was suspected.",
        title="Tumoral calcinosis of the lumbar spine",
    )
    assert (beside.levels, taken.levels) == (("C1", "C2"), ("L4", "L5"))
