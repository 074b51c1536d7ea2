"""Rules that generalise the extractor beyond its dev set, one family per test, on new sentences."""

from __future__ import annotations

from kb.cues import get_cues
from kb.models import PublicationType
from kb.study import count_patients
from kb.text import fold, tokenize
from tests.extract_helpers import read, results, tuples

REVIEW = (PublicationType(name="Journal Article"), PublicationType(name="Systematic Review"))


def concepts(found: set[tuple[str, str, str]]) -> set[str]:
    return {c for _, c, _ in found}


# --- misdiagnosis --------------------------------------------------------------------------


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


def test_an_adverb_inside_a_cue_keeps_the_cue() -> None:
    found = results("The mass was mistaken radiologically for a chondrosarcoma.")
    assert ("misdiagnosis", "condition/chondrosarcoma", "present") in found
    cues = get_cues().scan(tokenize("Enhancement was not clearly seen."))
    assert cues.has("neg_post")
    assert not get_cues().scan(tokenize("It was not only seen.")).has("neg_post")


def test_metastatic_deposits_and_lesions_are_metastases_but_metastatic_calcification_is_not() -> (
    None
):
    assert ("misdiagnosis", "condition/metastasis", "present") in results(
        "A metastatic deposit was suspected on MRI."
    )
    assert ("associated", "condition/metastasis", "present") in results(
        "She had several metastatic lesions of the lumbar spine."
    )
    assert "condition/metastasis" not in concepts(
        results("Metastatic calcification was seen in both lungs.")
    )


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


# --- variants ------------------------------------------------------------------------------


def test_latin_plurals_fold_to_their_singular() -> None:
    assert fold("paraesthesiae") == fold("paresthesia")
    assert ("symptom", "symptom/sensory-disturbance", "present") in results(
        "He reported paraesthesiae in the fingers."
    )


def test_laterality_may_stand_inside_a_label() -> None:
    found = results("MRI showed a hypertrophied right ligamentum flavum at L3-L4.")
    assert ("associated", "condition/ligamentum-flavum-hypertrophy", "present") in found
    found = results("The thickened left ligamentum flavum was resected.")
    assert ("associated", "condition/ligamentum-flavum-hypertrophy", "present") in found


def test_herniation_words_near_a_disc_give_disc_herniation() -> None:
    for text in (
        "MRI showed extrusion of the calcified disc into the foramen.",
        "The nucleus pulposus had herniated posteriorly.",
    ):
        assert ("associated", "condition/disc-herniation", "present") in results(text), text
    assert "condition/disc-herniation" not in concepts(
        results("The calcified mass protruded into the spinal canal.")
    )
    found = results("The mass was initially interpreted as a protruding disc.")
    assert ("misdiagnosis", "condition/disc-herniation", "present") in found
    assert ("associated", "condition/disc-herniation", "present") not in found


def test_fluid_levels_are_the_sedimentation_sign_and_the_blood_test_is_not() -> None:
    assert ("finding", "finding/sedimentation-sign", "present") in results(
        "CT showed several fluid levels within the cystic spaces."
    )
    assert "finding/sedimentation-sign" not in concepts(
        results("The erythrocyte sedimentation rate was 40 mm/h.")
    )


def test_a_clause_confirming_a_calcification_on_ct_binds_it_to_ct() -> None:
    found = results("Radiographs showed a calcific opacity at L2, which was confirmed on CT.")
    assert ("finding", "finding/radiograph-calcification", "present") in found
    assert ("finding", "finding/ct-calcification", "present") in found
    found = results(
        "Plain films showed calcified nodules. These were confirmed by computed tomography."
    )
    assert ("finding", "finding/ct-calcification", "present") in found
    found = results("Radiographs showed a calcified mass that was also seen on CT.")
    assert ("finding", "finding/ct-calcification", "present") in found
    found = results("Plain films showed calcified nodules. CT confirmed the diagnosis.")
    assert ("finding", "finding/ct-calcification", "present") not in found


def test_peripheral_enhancement_is_the_most_specific_concept_named() -> None:
    for text in (
        "After gadolinium the lesion enhanced peripherally.",
        "The mass showed an enhancing rim after contrast.",
    ):
        found = results(text)
        assert ("finding", "finding/peripheral-enhancement", "present") in found, text
        assert ("finding", "finding/contrast-enhancement", "present") not in found, text


# --- laboratory values ---------------------------------------------------------------------


def test_every_analyte_of_a_long_list_takes_the_state() -> None:
    found = results(
        "Serum sodium, calcium, magnesium and phosphate concentrations were all normal."
    )
    assert ("associated", "condition/hypercalcemia", "absent") in found
    assert ("associated", "condition/hyperphosphatemia", "absent") in found


def test_reference_range_wording_is_normal() -> None:
    assert ("associated", "condition/hyperphosphatemia", "absent") in results(
        "Her phosphate was within the reference range."
    )


def test_normal_renal_function_is_chronic_kidney_disease_absent_but_a_high_creatinine_is_not() -> (
    None
):
    assert ("associated", "condition/chronic-kidney-disease", "absent") in results(
        "Creatinine and renal function were within normal limits."
    )
    assert "condition/chronic-kidney-disease" not in concepts(results("Creatinine was elevated."))


def test_an_analyte_takes_its_own_state_not_the_one_before_the_conjunction() -> None:
    found = results("Calcium was normal, and PTH was raised.")
    assert ("associated", "condition/hypercalcemia", "absent") in found
    assert ("associated", "condition/hyperparathyroidism", "present") in found
    assert ("associated", "condition/hyperparathyroidism", "absent") not in found
    found = results("Creatinine was raised; calcium and phosphate were normal.")
    assert ("associated", "condition/hypercalcemia", "absent") in found
    assert ("associated", "condition/hypercalcemia", "present") not in found


def test_no_evidence_of_a_condition_beside_normal_labs_is_the_condition_absent() -> None:
    found = results(
        "Calcium and phosphate were normal, and there was no evidence of hyperparathyroidism."
    )
    assert ("associated", "condition/hyperparathyroidism", "absent") in found
    assert "condition/malignant-neoplasm" not in concepts(
        results("There was no evidence of malignancy.")
    )


# --- negation ------------------------------------------------------------------------------


def test_a_procedure_not_performed_is_absent() -> None:
    assert ("treatment", "treatment/biopsy", "absent") in results("A biopsy was not performed.")
    found = results("Fusion was not required.")
    assert ("treatment", "treatment/spinal-fusion", "absent") in found
    assert ("treatment", "treatment/spinal-fusion", "present") not in found


def test_coordinated_sites_the_lesion_did_not_reach_are_absent() -> None:
    found = results("There was no extension into the neural foramen or the epidural space.")
    assert ("site", "site/intervertebral-foramen", "absent") in found
    assert ("site", "site/extradural", "absent") in found
    found = results("The mass lay in the canal with no continuity with the lamina.")
    assert ("site", "site/posterior-elements", "absent") not in found


# --- mentions of another person, another time or another organ -----------------------------


def test_what_a_relative_had_belongs_to_the_relative() -> None:
    found = results(
        "A 30-year-old woman, whose brother had undergone resection of a similar mass, "
        "presented with neck pain. Her mother had chronic renal failure."
    )
    assert "treatment/surgical-excision" not in concepts(found)
    assert "condition/chronic-kidney-disease" not in concepts(found)
    assert ("symptom", "symptom/neck-pain", "present") in found


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


def test_a_dermatome_or_nerve_root_is_no_lesion_level() -> None:
    extraction = read(
        ("RESULTS", "She had numbness in the S1 dermatome and weakness of the L5 root."),
        ("RESULTS", "The mass lay at L3."),
    )
    assert extraction.levels == ("L3",)
    assert ("site", "region/sacral", "present") not in tuples(extraction)


def test_prevertebral_is_not_paraspinal() -> None:
    assert "site/paraspinal" not in concepts(
        results("CT showed prevertebral soft-tissue swelling.")
    )


# --- study design --------------------------------------------------------------------------


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


# --- coordination, broad labels and the upper cervical spine --------------------------------


def test_a_shared_head_noun_gives_the_first_item_its_label() -> None:
    found = results("She had low back and leg pain, with cord and root compression.")
    assert ("symptom", "symptom/back-pain", "present") in found
    assert ("finding", "finding/cord-compression", "present") in found
    assert ("symptom", "symptom/neck-pain", "present") in results("He had neck and arm pain.")


def test_atlas_gives_c1_and_axis_only_beside_the_atlas() -> None:
    assert read(("RESULTS", "The mass eroded the posterior arch of the atlas.")).levels == ("C1",)
    assert read(("RESULTS", "Deposits surrounded the atlas and axis.")).levels == ("C1", "C2")
    assert read(("RESULTS", "The mass lay along the long axis of the cord.")).levels == ()


def test_c1_2_names_the_craniovertebral_junction() -> None:
    assert ("site", "region/craniovertebral-junction", "present") in results(
        "CT showed a calcified mass at C1-2."
    )


def test_neck_of_another_bone_and_a_fall_in_a_value_name_no_concept() -> None:
    found = results("She had a femoral neck fracture and a fall in serum phosphate.")
    assert "region/cervical" not in concepts(found)
    assert "condition/trauma" not in concepts(found)


def test_a_bone_the_lesion_erodes_is_its_site_unless_called_adjacent() -> None:
    found = results("CT showed a calcified mass eroding the pedicle of L2.")
    assert ("site", "site/posterior-elements", "present") in found
    assert ("finding", "finding/bone-erosion", "present") in found
    found = results("CT showed a calcified mass eroding the adjacent pedicle.")
    assert ("site", "site/posterior-elements", "present") not in found
    found = results("CT showed erosion of the pedicle.")
    assert ("site", "site/posterior-elements", "present") not in found


def test_a_patient_kept_under_observation_is_conservative_management() -> None:
    for text in ("Two patients were observed without treatment.", "He was monitored for a year."):
        found = results(text)
        assert ("treatment", "treatment/conservative-management", "present") in found, text
    for text in ("Calcification was observed in the ligament.", "She was observed to limp."):
        assert "treatment/conservative-management" not in concepts(results(text)), text


def test_a_signal_adjective_read_on_a_sequence_needs_no_signal_noun() -> None:
    found = results("MRI showed a mass, low on T1 and T2.")
    assert {
        ("finding", "finding/t1-hypointense", "present"),
        ("finding", "finding/t2-hypointense", "present"),
        ("finding", "finding/t1-t2-identical-signal", "present"),
    } <= found
    found = results("The lesion was dark on T1-weighted images.")
    assert ("finding", "finding/t1-hypointense", "present") in found


def test_a_normal_plain_film_or_ct_is_calcification_absent_on_it() -> None:
    assert ("finding", "finding/radiograph-calcification", "absent") in results(
        "Plain films were normal."
    )
    assert ("finding", "finding/ct-calcification", "absent") in results("The CT scan was normal.")


def test_residual_weakness_is_a_persistent_deficit() -> None:
    found = results("She was left with residual weakness of the hand.")
    assert ("outcome", "outcome/persistent-deficit", "present") in found


def test_a_diagnosis_that_had_been_suspected_is_a_misdiagnosis() -> None:
    found = results("An epidural haematoma had been suspected on admission.")
    assert ("misdiagnosis", "condition/hematoma", "present") in found
    assert ("associated", "condition/hematoma", "present") not in found
