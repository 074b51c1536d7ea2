"""What the lesion was taken for: cues before and after, differentials, tentative diagnoses.

Each test states one rule on sentences written for it.
"""

from __future__ import annotations

from tests.support.extract import concepts, read, results, tuples


def test_misdiagnosis_cues_before_a_list_give_every_item() -> None:
    found = results(
        "The MRI changes were misinterpreted as neoplasms, infections, extruded disc material, "
        "or cysts."
    )
    assert {
        ("misdiagnosis", "condition/neoplasm", "present"),
        ("misdiagnosis", "condition/infection", "present"),
        ("misdiagnosis", "condition/disc-herniation", "present"),
        ("misdiagnosis", "condition/cyst", "present"),
    } <= found


def test_misdiagnosis_cues_after_the_concept() -> None:
    found = results("Lymphoma was considered the most likely diagnosis. Metastasis was suspected.")
    assert ("misdiagnosis", "condition/malignant-neoplasm", "present") in found
    assert ("misdiagnosis", "condition/metastasis", "present") in found


def test_a_differential_list_names_misdiagnoses_but_not_the_presentation() -> None:
    found = results(
        "The differential diagnosis of the epidural mass included an abscess and a schwannoma."
    )
    assert ("misdiagnosis", "condition/abscess", "present") in found
    assert ("misdiagnosis", "condition/nerve-sheath-tumor", "present") in found
    assert ("site", "site/extradural", "present") in found


def test_a_predisposing_factor_is_not_a_misdiagnosis() -> None:
    found = results("Systemic sclerosis was considered a predisposing factor.")
    assert ("associated", "condition/systemic-sclerosis", "present") in found
    assert ("misdiagnosis", "condition/systemic-sclerosis", "present") not in found


def test_treated_or_managed_as_a_condition_is_a_misdiagnosis_not_an_associated_condition() -> None:
    found = results("The swelling was managed as a spinal epidural abscess for two weeks.")
    assert ("misdiagnosis", "condition/abscess", "present") in found
    assert ("associated", "condition/abscess", "present") not in found
    found = results("He was treated as having a tuberculous spondylitis.")
    assert ("misdiagnosis", "condition/tuberculosis", "present") in found


def test_a_diagnosis_held_preoperatively_is_a_misdiagnosis() -> None:
    found = results("A thoracic meningioma was diagnosed preoperatively.")
    assert ("misdiagnosis", "condition/meningioma", "present") in found
    assert ("associated", "condition/meningioma", "present") not in found
    found = results("The deposit was preoperatively diagnosed as a synovial cyst.")
    assert ("misdiagnosis", "condition/synovial-cyst", "present") in found


def test_confusion_with_a_condition_names_a_differential() -> None:
    found = tuples(
        read(
            ("RESULTS", "A 60-year-old man had tumoral calcinosis at L2."),
            ("CONCLUSIONS", "Such deposits can lead to confusion with chordoma or metastasis."),
            title="Tumoral calcinosis",
        ),
        "background",
    )
    assert ("misdiagnosis", "condition/chordoma", "present") in found
    assert ("misdiagnosis", "condition/metastasis", "present") in found
    assert ("associated", "condition/chordoma", "present") not in found


def test_a_condition_presumed_after_it_is_only_a_misdiagnosis() -> None:
    found = results("A giant cell tumour was presumed.")
    assert ("misdiagnosis", "condition/giant-cell-tumor", "present") in found
    assert ("associated", "condition/giant-cell-tumor", "present") not in found


def test_a_chief_concern_named_after_the_condition_is_a_misdiagnosis() -> None:
    found = results("Osteoblastoma remained the main concern on imaging.")
    assert ("misdiagnosis", "condition/osteoblastoma", "present") in found


def test_a_cue_does_not_make_the_patients_background_a_misdiagnosis() -> None:
    found = tuples(
        read(
            ("RESULTS", "A 58-year-old woman had tumoral calcinosis at C5."),
            ("CONCLUSIONS", "The lesion should be suspected in renal transplant recipients."),
            title="Tumoral calcinosis",
        ),
        "background",
    )
    assert "condition/kidney-transplant" in concepts(found)
    assert ("misdiagnosis", "condition/kidney-transplant", "present") not in found


def test_a_second_diagnosis_suggested_in_a_following_clause_is_a_misdiagnosis() -> None:
    found = results(
        "The lesion was thought to represent a schwannoma, although an abscess was also "
        "suggested on the basis of the fever."
    )
    assert ("misdiagnosis", "condition/nerve-sheath-tumor", "present") in found
    assert ("misdiagnosis", "condition/abscess", "present") in found
    assert ("associated", "condition/abscess", "present") not in found


def test_a_tentative_diagnosis_named_after_the_concept_is_a_misdiagnosis() -> None:
    found = results("Chordoma was the leading preoperative diagnosis.")
    assert ("misdiagnosis", "condition/chordoma", "present") in found
    found = results("Gout was the final diagnosis.")
    assert ("associated", "condition/gout", "present") in found
    assert ("misdiagnosis", "condition/gout", "present") not in found


def test_a_tentative_diagnosis_named_before_the_concept_is_a_misdiagnosis() -> None:
    found = results("The tentative diagnosis was an osteoblastoma.")
    assert ("misdiagnosis", "condition/osteoblastoma", "present") in found


def test_bare_tuberculosis_counts_only_as_a_suspected_diagnosis_or_in_the_spine() -> None:
    assert ("misdiagnosis", "condition/tuberculosis", "present") in results(
        "Tuberculosis was considered because he came from an endemic region."
    )
    assert ("associated", "condition/tuberculosis", "present") in results(
        "He had tuberculous involvement of the thoracic vertebrae."
    )
    assert "condition/tuberculosis" not in concepts(
        results("She had a history of tuberculosis. He had pulmonary tuberculosis.")
    )


def test_a_diagnosis_that_had_been_suspected_is_a_misdiagnosis() -> None:
    found = results("An epidural haematoma had been suspected on admission.")
    assert ("misdiagnosis", "condition/hematoma", "present") in found
    assert ("associated", "condition/hematoma", "present") not in found
