"""Concept names: abbreviations, variants, plurals, word order, the most specific concept.

Each test states one rule on sentences written for it.
"""

from __future__ import annotations

from kb.extraction.cues import get_cues
from kb.extraction.text import fold, tokenize
from tests.support.extract import concepts, read, results, tuples

TC = ("lesion", "lesion/tumoral-calcinosis", "present")


def test_a_crystal_label_shared_by_lesion_and_condition_follows_the_role() -> None:
    found = results("Pseudogout was suspected. Histology confirmed CPPD.", title="")
    assert ("misdiagnosis", "condition/cppd-disease", "present") in found
    assert ("lesion", "lesion/calcium-pyrophosphate-deposition", "present") in found


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


def test_crest_syndrome_also_gives_systemic_sclerosis() -> None:
    found = results("A woman with CREST syndrome had a cervical mass.")
    assert ("associated", "condition/crest-syndrome", "present") in found
    assert ("associated", "condition/systemic-sclerosis", "present") in found


def test_the_most_specific_concept_named_and_no_broader_one() -> None:
    found = results("MRI suggested infectious spondylodiscitis.")
    assert ("associated", "condition/spondylodiscitis", "present") in found
    assert ("associated", "condition/infection", "present") not in found


def test_a_defined_short_form_stands_for_its_long_form_inside_a_longer_label() -> None:
    found = results(
        "The ligamentum flavum (LF) was thickened at T10. Ossification of the LF was favoured "
        "before surgery."
    )
    assert ("misdiagnosis", "condition/ossified-ligament", "present") in found
    undefined = results("Ossification of the LF was favoured before surgery.")
    assert "condition/ossified-ligament" not in concepts(undefined)


def test_an_adverb_inside_a_label_keeps_the_specific_concept() -> None:
    found = results("With contrast the deposit enhanced mainly peripherally.")
    assert ("finding", "finding/peripheral-enhancement", "present") in found
    assert "finding/contrast-enhancement" not in concepts(found)


def test_a_shared_label_named_in_a_peripheral_joint_is_the_patients_condition() -> None:
    found = results(
        "Calcium pyrophosphate deposition was found in the ligamentum flavum; she also had "
        "pseudogout of the right wrist."
    )
    assert ("associated", "condition/cppd-disease", "present") in found
    assert ("lesion", "lesion/calcium-pyrophosphate-deposition", "present") in found


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


def test_a_shared_head_noun_gives_the_first_item_its_label() -> None:
    found = results("She had low back and leg pain, with cord and root compression.")
    assert ("symptom", "symptom/back-pain", "present") in found
    assert ("finding", "finding/cord-compression", "present") in found
    assert ("symptom", "symptom/neck-pain", "present") in results("He had neck and arm pain.")


def test_neck_of_another_bone_and_a_fall_in_a_value_name_no_concept() -> None:
    found = results("She had a femoral neck fracture and a fall in serum phosphate.")
    assert "region/cervical" not in concepts(found)
    assert "condition/trauma" not in concepts(found)
