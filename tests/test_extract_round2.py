"""Second generalisation round: one rule per test, each on sentences written for it."""

from __future__ import annotations

from kb.study import count_patients
from tests.extract_helpers import read, results, tuples


def concepts(found: set[tuple[str, str, str]]) -> set[str]:
    return {c for _, c, _ in found}


# --- misdiagnosis --------------------------------------------------------------------------


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


def test_a_defined_short_form_stands_for_its_long_form_inside_a_longer_label() -> None:
    found = results(
        "The ligamentum flavum (LF) was thickened at T10. Ossification of the LF was favoured "
        "before surgery."
    )
    assert ("misdiagnosis", "condition/ossified-ligament", "present") in found
    undefined = results("Ossification of the LF was favoured before surgery.")
    assert "condition/ossified-ligament" not in concepts(undefined)


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


def test_a_hedge_ends_at_a_comma_and() -> None:
    extraction = read(
        ("RESULTS", "CT showed bone erosion at L4, and a chordoma was presumed."),
        title="Tumoral calcinosis",
    )
    certainty = {a.concept: a.certainty for a in extraction.assertions}
    assert certainty["finding/bone-erosion"] == "asserted"
    assert certainty["condition/chordoma"] == "hedged"


# --- negation ------------------------------------------------------------------------------


def test_none_had_and_denied_state_a_symptom_absent() -> None:
    assert ("symptom", "symptom/radiculopathy", "absent") in results(
        "None had radiculopathy at presentation."
    )
    assert ("symptom", "symptom/neck-pain", "absent") in results("She denies neck pain.")
    assert ("symptom", "symptom/sensory-disturbance", "absent") in results(
        "The patient denied numbness or tingling."
    )


def test_prevent_states_the_outcome_absent() -> None:
    found = results("Excision prevented any recurrence over four years.")
    assert ("outcome", "outcome/recurrence", "absent") in found
    assert ("outcome", "outcome/recurrence", "present") not in found


# --- imaging -------------------------------------------------------------------------------


def test_a_signal_word_before_rim_or_septa_adds_no_signal_concept() -> None:
    found = results("On T1-weighted images the mass was isointense with a hypointense outer rim.")
    assert ("finding", "finding/t1-isointense", "present") in found
    assert "finding/t1-hypointense" not in concepts(found)
    found = results("On T2-weighted images the mass had low signal with bright signal septa.")
    assert "finding/t2-hyperintense" not in concepts(found)


def test_an_adverb_inside_a_label_keeps_the_specific_concept() -> None:
    found = results("With contrast the deposit enhanced mainly peripherally.")
    assert ("finding", "finding/peripheral-enhancement", "present") in found
    assert "finding/contrast-enhancement" not in concepts(found)


def test_uptake_on_a_nuclear_study_is_radiotracer_uptake() -> None:
    assert ("finding", "finding/radiotracer-uptake", "present") in results(
        "A whole-body bone scan showed marked accumulation at T7."
    )
    assert ("finding", "finding/radiotracer-uptake", "absent") in results(
        "FDG PET showed no uptake in the mass."
    )
    assert "finding/radiotracer-uptake" not in concepts(results("The mass showed no uptake."))


# --- anatomy and levels --------------------------------------------------------------------


def test_a_structure_the_lesion_is_separate_from_is_not_its_site() -> None:
    found = results("The calcified mass lay distinct from the pedicle and the facet joint.")
    assert "site/posterior-elements" not in concepts(found)
    assert "site/facet-joint" not in concepts(found)
    arising = results("The mass arose from the facet joint.")
    assert ("site", "site/facet-joint", "present") in arising


def test_the_level_of_a_fracture_is_no_lesion_level() -> None:
    extraction = read(
        ("RESULTS", "She had a healed fracture of the L1 vertebra and a calcified mass at C6."),
        title="Tumoral calcinosis",
    )
    assert extraction.levels == ("C6",)
    assert "region/lumbar" not in concepts(tuples(extraction))
    extraction = read(("RESULTS", "An L1 fracture was noted."), title="Tumoral calcinosis at C6")
    assert extraction.levels == ("C6",)


# --- outcomes, history and treatment ------------------------------------------------------


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


def test_a_shared_label_named_in_a_peripheral_joint_is_the_patients_condition() -> None:
    found = results(
        "Calcium pyrophosphate deposition was found in the ligamentum flavum; she also had "
        "pseudogout of the right wrist."
    )
    assert ("associated", "condition/cppd-disease", "present") in found
    assert ("lesion", "lesion/calcium-pyrophosphate-deposition", "present") in found


# --- patients ------------------------------------------------------------------------------


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
