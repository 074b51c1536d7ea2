"""Symptoms, treatment and outcome: named, not inferred; past operations are history.

Each test states one rule on sentences written for it.
"""

from __future__ import annotations

from tests.support.extract import concepts, read, results, tuples


def test_outcomes_are_what_the_text_names() -> None:
    found = results("She had no residual deficit and her pain was relieved.")
    assert ("outcome", "outcome/persistent-deficit", "absent") in found
    assert ("outcome", "outcome/improvement", "present") in found
    assert ("outcome", "outcome/improvement", "absent") not in found


def test_symptoms_are_not_inferred_from_limb_pain_or_nerve_compression() -> None:
    found = results("She had pain in the left arm and nerve compression.")
    assert not any(role == "symptom" for role, _, _ in found)
    assert ("symptom", "symptom/radiculopathy", "present") in results("He had radicular arm pain.")


def test_a_past_spinal_operation_is_previous_surgery_not_treatment() -> None:
    found = results("A 60-year-old man had a prior L2-L3 fusion. The mass at L4 was excised.")
    assert ("associated", "condition/prior-spinal-surgery", "present") in found
    assert ("treatment", "treatment/spinal-fusion", "present") not in found
    assert ("treatment", "treatment/spinal-fusion", "present") in results(
        "A 60-year-old man underwent fusion."
    )


def test_a_deficit_that_persisted_or_remained_is_a_persistent_deficit() -> None:
    found = results("At one year the weakness of his left leg persisted.")
    assert ("outcome", "outcome/persistent-deficit", "present") in found
    found = results("Her numbness remained after surgery.")
    assert ("outcome", "outcome/persistent-deficit", "present") in found
    found = results("She remained free of weakness after surgery.")
    assert "outcome/persistent-deficit" not in concepts(found)


def test_recurrent_before_another_condition_is_no_outcome() -> None:
    found = results("The lesion mimicked a recurrent synovial cyst.")
    assert "outcome/recurrence" not in concepts(found)
    assert ("outcome", "outcome/recurrence", "present") in results("A recurrent mass developed.")


def test_an_operation_told_in_the_past_perfect_or_its_bed_is_previous_surgery() -> None:
    found = results("She had undergone a C5-C6 laminoplasty for stenosis in 2010.")
    assert ("associated", "condition/prior-spinal-surgery", "present") in found
    assert "treatment/laminectomy" not in concepts(found)
    found = results("The calcified mass filled the decompression bed.")
    assert ("associated", "condition/prior-spinal-surgery", "present") in found
    assert "treatment/decompression" not in concepts(found)


def test_raised_dialysis_and_a_switch_of_modality_are_dialysis_intensification() -> None:
    assert ("treatment", "treatment/dialysis-intensification", "present") in results(
        "Her dialysis was intensified to six sessions a week."
    )
    found = results("He was converted from peritoneal dialysis to haemodialysis.")
    assert ("treatment", "treatment/dialysis-intensification", "present") in found
    assert ("associated", "condition/hemodialysis", "present") in found


def test_an_operation_a_time_span_follows_is_previous_surgery() -> None:
    extraction = read(
        (
            "RESULTS",
            "Paraparesis developed 8 years after an L1 posterior laminectomy; the mass lay at T11.",
        )
    )
    found = tuples(extraction)
    assert ("associated", "condition/prior-spinal-surgery", "present") in found
    assert ("treatment", "treatment/laminectomy", "present") not in found
    assert extraction.levels == ("T11",)
    assert ("treatment", "treatment/decompression", "present") in results(
        "Her pain resolved 3 months after the decompression."
    )


def test_a_biopsy_of_another_organ_is_not_annotated() -> None:
    assert "treatment/biopsy" not in concepts(results("A bone marrow biopsy was normal."))
    assert "treatment/biopsy" not in concepts(results("A biopsy of the skin was unremarkable."))
    assert ("treatment", "treatment/biopsy", "present") in results(
        "A CT-guided biopsy of the mass was performed."
    )


def test_a_patient_kept_under_observation_is_conservative_management() -> None:
    for text in ("Two patients were observed without treatment.", "He was monitored for a year."):
        found = results(text)
        assert ("treatment", "treatment/conservative-management", "present") in found, text
    for text in ("Calcification was observed in the ligament.", "She was observed to limp."):
        assert "treatment/conservative-management" not in concepts(results(text)), text


def test_residual_weakness_is_a_persistent_deficit() -> None:
    found = results("She was left with residual weakness of the hand.")
    assert ("outcome", "outcome/persistent-deficit", "present") in found
