"""Imaging findings: signal per sequence, calcification per modality, mass, enhancement, uptake.

Each test states one rule on sentences written for it.
"""

from __future__ import annotations

from tests.support.extract import concepts, results


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


def test_a_signal_word_before_rim_or_septa_adds_no_signal_concept() -> None:
    found = results("On T1-weighted images the mass was isointense with a hypointense outer rim.")
    assert ("finding", "finding/t1-isointense", "present") in found
    assert "finding/t1-hypointense" not in concepts(found)
    found = results("On T2-weighted images the mass had low signal with bright signal septa.")
    assert "finding/t2-hyperintense" not in concepts(found)


def test_uptake_on_a_nuclear_study_is_radiotracer_uptake() -> None:
    assert ("finding", "finding/radiotracer-uptake", "present") in results(
        "A whole-body bone scan showed marked accumulation at T7."
    )
    assert ("finding", "finding/radiotracer-uptake", "absent") in results(
        "FDG PET showed no uptake in the mass."
    )
    assert "finding/radiotracer-uptake" not in concepts(results("The mass showed no uptake."))


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
