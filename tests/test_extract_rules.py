"""One family of extraction rules per test, on short sentences written for the test."""

from __future__ import annotations

from tests.extract_helpers import read, results, tuples

TC = ("lesion", "lesion/tumoral-calcinosis", "present")


# --- negation ------------------------------------------------------------------------------


def test_negation_cues_make_the_concept_absent() -> None:
    found = results(
        "Gadolinium did not enhance the mass. There was no recurrence. "
        "The cord was free of compression. Serum phosphate was normal."
    )
    assert ("finding", "finding/contrast-enhancement", "absent") in found
    assert ("outcome", "outcome/recurrence", "absent") in found
    assert ("associated", "condition/hyperphosphatemia", "absent") in found


def test_negation_after_the_concept_reaches_back_within_its_clause() -> None:
    found = results("Obvious enhancement was not seen after contrast, and the lesion recurred.")
    assert ("finding", "finding/contrast-enhancement", "absent") in found
    assert ("outcome", "outcome/recurrence", "present") in found


def test_negation_scope_ends_at_but_whereas_and_a_new_verb() -> None:
    found = results("No fusion was needed, but the mass was excised.")
    assert ("treatment", "treatment/spinal-fusion", "absent") in found
    assert ("treatment", "treatment/surgical-excision", "present") in found
    found = results("A man with no systemic disease reported numbness of the hands.")
    assert ("symptom", "symptom/sensory-disturbance", "present") in found
    found = results("No drug gave improvement, whereas excision gave clear improvement.")
    assert {
        ("outcome", "outcome/improvement", "absent"),
        ("outcome", "outcome/improvement", "present"),
    } <= found


def test_neither_nor_negates_both_concepts() -> None:
    found = results("There was neither cord compression nor bone erosion.")
    assert ("finding", "finding/cord-compression", "absent") in found
    assert ("finding", "finding/bone-erosion", "absent") in found


def test_pseudo_negation_triggers_negate_nothing() -> None:
    found = results("There was no change in the paraspinal mass, which showed enhancement.")
    assert ("site", "site/paraspinal", "present") in found
    assert ("finding", "finding/contrast-enhancement", "present") in found
    found = results("Not only neck pain but also weakness was reported.")
    assert ("symptom", "symptom/neck-pain", "present") in found


def test_a_test_that_excludes_a_diagnosis_is_not_annotated() -> None:
    found = results(
        "Histology showed no malignancy. Cultures were negative for infection. "
        "There was no evidence of metastasis."
    )
    roles = {(r, c) for r, c, _ in found}
    assert ("associated", "condition/malignant-neoplasm") not in roles
    assert ("associated", "condition/infection") not in roles
    assert ("associated", "condition/metastasis") not in roles


def test_a_stated_absent_condition_is_kept_absent() -> None:
    found = results("The patient did not have any metabolic disturbance.")
    assert ("associated", "condition/calcium-metabolism-disorder", "absent") in found


def test_contrast_sets_aside_what_follows_rather_than() -> None:
    found = results("The lesion proved to be calcinosis rather than disc material.")
    assert not any(c == "site/intervertebral-disc" for _, c, _ in found)


# --- hedging -------------------------------------------------------------------------------


def test_hedges_mark_the_clause_hedged_and_questions_too() -> None:
    extraction = read(
        ("RESULTS", "The findings were consistent with tumoral calcinosis."),
        ("RESULTS", "Degeneration may have contributed to the mass."),
        title="A calcified mass: pseudogout?",
    )
    certainty = {a.concept: a.certainty for a in extraction.assertions}
    assert certainty["lesion/tumoral-calcinosis"] == "hedged"
    assert certainty["condition/degenerative-spine-disease"] == "hedged"
    assert certainty["lesion/calcium-pyrophosphate-deposition"] == "hedged"


def test_an_asserted_mention_wins_over_a_hedged_one() -> None:
    extraction = read(
        (
            "RESULTS",
            "The mass was possibly tumoral calcinosis. Histology confirmed tumoral calcinosis.",
        )
    )
    tc = [a for a in extraction.assertions if a.concept == "lesion/tumoral-calcinosis"]
    assert [a.certainty for a in tc] == ["asserted"]


# --- background and patient scope ----------------------------------------------------------


def test_background_section_and_general_statements_are_background() -> None:
    extraction = read(
        ("BACKGROUND", "Tumoral calcinosis usually occurs in patients on haemodialysis."),
        ("METHODS", "A 50-year-old man presented with neck pain."),
        ("CONCLUSIONS", "Tumoral calcinosis should be considered in dialysis patients."),
        title="Tumoral calcinosis of the neck",
    )
    assert ("associated", "condition/hemodialysis", "present") in tuples(extraction, "background")
    assert ("associated", "condition/hemodialysis", "present") not in tuples(extraction)
    assert ("symptom", "symptom/neck-pain", "present") in tuples(extraction)


def test_one_concept_can_be_background_present_and_patient_absent() -> None:
    extraction = read(
        ("BACKGROUND", "Calcific masses are usually visible on plain radiographs."),
        ("RESULTS", "In our patients calcific masses were not apparent on plain films."),
        title="Tumoral calcinosis of the spine",
    )
    finding = "finding/radiograph-calcification"
    assert ("finding", finding, "present") in tuples(extraction, "background")
    assert ("finding", finding, "absent") in tuples(extraction)
    assert ("finding", finding, "present") not in tuples(extraction)


def test_unstructured_abstract_is_background_until_the_case_then_patient() -> None:
    extraction = read(
        "Tumoral calcinosis is often linked to chronic renal failure. "
        "We report a 60-year-old woman with neck pain. "
        "CT showed a calcified mass at C5. "
        "Spinal tumoral calcinosis can mimic a neoplasm and is rarely reported."
    )
    patient, background = tuples(extraction), tuples(extraction, "background")
    assert ("associated", "condition/chronic-kidney-disease", "present") in background
    assert ("associated", "condition/chronic-kidney-disease", "present") not in patient
    assert {
        ("symptom", "symptom/neck-pain", "present"),
        ("site", "region/cervical", "present"),
    } <= patient
    assert ("misdiagnosis", "condition/neoplasm", "present") in background
    assert ("misdiagnosis", "condition/neoplasm", "present") not in patient


def test_a_patient_told_in_the_past_opens_the_case_of_an_unstructured_abstract() -> None:
    extraction = read(
        "Calcinosis is common in scleroderma. An elderly woman developed neck pain. "
        "Spinal calcinosis is rare."
    )
    assert ("symptom", "symptom/neck-pain", "present") in tuples(extraction)
    assert ("associated", "condition/systemic-sclerosis", "present") not in tuples(extraction)


def test_a_conclusion_about_this_patient_stays_with_the_patient() -> None:
    extraction = read(
        ("METHODS", "A woman had a lumbar mass."),
        ("CONCLUSIONS", "In this patient, degeneration appears to have caused the mass."),
    )
    assert ("associated", "condition/degenerative-spine-disease", "present") in tuples(extraction)


# --- levels and regions --------------------------------------------------------------------


def test_levels_give_vertebrae_and_their_region() -> None:
    extraction = read(("RESULTS", "CT showed a calcified mass from C6 through T1."))
    assert extraction.levels == ("C6", "C7", "T1")
    assert {("site", "region/cervical", "present"), ("site", "region/thoracic", "present")} <= (
        tuples(extraction)
    )


def test_levels_of_treatment_or_other_disease_are_not_lesion_levels() -> None:
    extraction = read(
        ("RESULTS", "The mass lay at L4/5. She underwent fusion from L2 to S1."),
        ("RESULTS", "An old vertebral fracture at T12 was noted."),
    )
    assert extraction.levels == ("L4", "L5")


def test_levels_in_background_are_not_lesion_levels() -> None:
    extraction = read(
        ("BACKGROUND", "One earlier case at C1-C2 was published."),
        ("RESULTS", "The mass lay at L3."),
    )
    assert extraction.levels == ("L3",)


def test_the_bodies_of_numbered_vertebrae_give_the_vertebral_body() -> None:
    found = results(
        "MRI showed low T1 signal in the bodies of the sixth and seventh cervical vertebrae."
    )
    assert ("site", "site/vertebral-body", "present") in found
    assert ("finding", "finding/t1-hypointense", "present") in found


# --- imaging: modality and sequence --------------------------------------------------------


def test_signal_binds_to_both_sequences_and_gives_identical_signal() -> None:
    found = results("MRI showed low signal on both T1- and T2-weighted images.")
    assert {
        ("finding", "finding/t1-hypointense", "present"),
        ("finding", "finding/t2-hypointense", "present"),
        ("finding", "finding/t1-t2-identical-signal", "present"),
    } <= found


def test_signals_bind_to_their_own_sequence() -> None:
    found = results("The mass was iso- to hypointense on T1-weighted images and bright on T2.")
    assert {
        ("finding", "finding/t1-isointense", "present"),
        ("finding", "finding/t1-hypointense", "present"),
        ("finding", "finding/t2-hyperintense", "present"),
    } <= found
    assert ("finding", "finding/t1-t2-identical-signal", "present") not in found
    assert ("finding", "finding/t2-hypointense", "present") not in found


def test_a_rim_or_septa_of_another_signal_add_no_signal_concept() -> None:
    found = results("On T2-weighted images the mass was hypointense with a rim of high signal.")
    assert ("finding", "finding/t2-hypointense", "present") in found
    assert ("finding", "finding/t2-hyperintense", "present") not in found


def test_calcification_needs_ct_or_plain_films_named() -> None:
    assert ("finding", "finding/ct-calcification", "present") in results(
        "CT revealed a calcified lobulated mass."
    )
    found = results("Imaging showed a calcified mass.")
    assert not any(
        c in ("finding/ct-calcification", "finding/radiograph-calcification") for _, c, _ in found
    )


def test_a_plain_film_that_showed_nothing_is_radiograph_calcification_absent() -> None:
    found = results("Plain radiographs showed no apparent abnormality.")
    assert ("finding", "finding/radiograph-calcification", "absent") in found


def test_mass_lesion_needs_mri_to_show_the_mass() -> None:
    assert ("finding", "finding/mass-lesion", "present") in results(
        "MRI showed an extradural mass."
    )
    found = results("CT showed a calcified mass, and MRI showed no cord compression.")
    assert ("finding", "finding/mass-lesion", "present") not in found
    assert ("finding", "finding/cord-compression", "absent") in found
    found = results("On MRI the lesion had low signal on T2.")
    assert ("finding", "finding/mass-lesion", "present") not in found


def test_cord_compression_is_read_whatever_the_word_order() -> None:
    for text in (
        "The mass compressed the spinal cord.",
        "There was severe compression of the thoracic cord.",
        "The cord was compressed.",
    ):
        assert ("finding", "finding/cord-compression", "present") in results(text), text
    assert ("finding", "finding/cord-compression", "absent") in results(
        "The cord was not compressed."
    )


def test_erosion_counts_only_when_it_reaches_bone_and_what_it_erodes_is_no_site() -> None:
    found = results("CT showed erosion of the adjacent laminae and facets.")
    assert ("finding", "finding/bone-erosion", "present") in found
    assert ("site", "site/facet-joint", "present") not in found
    assert ("finding", "finding/bone-erosion", "present") not in results(
        "The calcinosis had eroded through the dura."
    )


# --- misdiagnosis --------------------------------------------------------------------------


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


def test_a_crystal_label_shared_by_lesion_and_condition_follows_the_role() -> None:
    found = results("Pseudogout was suspected. Histology confirmed CPPD.", title="")
    assert ("misdiagnosis", "condition/cppd-disease", "present") in found
    assert ("lesion", "lesion/calcium-pyrophosphate-deposition", "present") in found


# --- abbreviations and variants ------------------------------------------------------------


def test_an_abbreviation_the_text_defines_names_its_concept_later() -> None:
    extraction = read(
        ("BACKGROUND", "End-stage renal disease (ESRD) is common."),
        ("RESULTS", "A man with ESRD had a mass of tumoral calcinosis (TC). TC was excised."),
    )
    assert ("associated", "condition/chronic-kidney-disease", "present") in tuples(extraction)


def test_short_acronyms_count_only_when_defined_or_named_in_full() -> None:
    assert ("associated", "condition/peritoneal-dialysis", "present") not in results(
        "The PD score was high."
    )
    assert ("associated", "condition/peritoneal-dialysis", "present") in results(
        "She was on peritoneal dialysis (PD). PD was continued."
    )
    assert TC in results("A TC of the spine was found.", title="Tumoral calcinosis")
    assert TC not in results("A TC of the spine was found.", title="A spinal mass")


def test_an_abbreviation_defined_as_something_else_hides_the_label() -> None:
    found = results("Total cholesterol (TC) was raised.", title="A spinal mass")
    assert TC not in found


def test_variants_of_labels_are_recognised() -> None:
    found = results(
        "A tumour-like mass in a patient on haemodialysis showed perilesional oedema, "
        "T1 hypointensity and a fluid-calcium level; the masses were multilobulated.",
        title="Tumoural calcinosis",
    )
    assert TC in found
    assert ("associated", "condition/hemodialysis", "present") in found
    assert ("finding", "finding/perilesional-edema", "present") in found
    assert ("finding", "finding/sedimentation-sign", "present") in found
    assert ("finding", "finding/lobulated-mass", "present") in found
    assert ("associated", "condition/neoplasm", "present") not in found  # "tumour-like"


def test_coordinated_regions_each_count() -> None:
    found = results("Masses of the lumbar and cervical spine were excised.")
    assert {("site", "region/lumbar", "present"), ("site", "region/cervical", "present")} <= found


# --- lesions, laboratory values, implications ----------------------------------------------


def test_plain_calcinosis_is_dystrophic_only_without_tumoral_or_crystal_named() -> None:
    assert ("lesion", "lesion/dystrophic-calcification", "present") in results(
        "Cervical calcinosis compressed the cord.", title="Calcinosis in systemic sclerosis"
    )
    found = results("A calcified mass was excised; histology showed tumoral calcinosis.")
    assert ("lesion", "lesion/dystrophic-calcification", "present") not in found
    assert TC in found


def test_a_condition_named_calcified_is_the_lesion() -> None:
    found = results("The cyst was removed.", title="Completely calcified synovial cyst at L4-L5")
    assert ("lesion", "condition/synovial-cyst", "present") in found
    assert ("associated", "condition/cyst", "present") not in found  # "the cyst" refers back


def test_every_article_gets_a_patient_lesion_even_from_background() -> None:
    extraction = read(("BACKGROUND", "Tumoral calcinosis is rare in the spine."), title="A review")
    assert TC in tuples(extraction)


def test_normal_and_raised_laboratory_values_give_the_condition() -> None:
    found = results("Serum calcium and phosphate levels were normal. PTH was elevated.")
    assert ("associated", "condition/hypercalcemia", "absent") in found
    assert ("associated", "condition/hyperphosphatemia", "absent") in found
    assert ("associated", "condition/hyperparathyroidism", "present") in found
    found = results("She received phosphate binders and a low-phosphate diet.")
    assert ("associated", "condition/hyperphosphatemia", "absent") not in found
    assert ("treatment", "treatment/phosphate-binder", "present") in found


def test_crest_syndrome_also_gives_systemic_sclerosis() -> None:
    found = results("A woman with CREST syndrome had a cervical mass.")
    assert ("associated", "condition/crest-syndrome", "present") in found
    assert ("associated", "condition/systemic-sclerosis", "present") in found


def test_the_most_specific_concept_named_and_no_broader_one() -> None:
    found = results("MRI suggested infectious spondylodiscitis.")
    assert ("associated", "condition/spondylodiscitis", "present") in found
    assert ("associated", "condition/infection", "present") not in found


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
