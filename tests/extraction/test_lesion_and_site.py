"""What the lesion is and where it lies: calcinosis, crystals, sites it reaches or erodes.

Each test states one rule on sentences written for it.
"""

from __future__ import annotations

from tests.support.extract import concepts, read, results, tuples

TC = ("lesion", "lesion/tumoral-calcinosis", "present")


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


def test_a_structure_the_lesion_is_separate_from_is_not_its_site() -> None:
    found = results("The calcified mass lay distinct from the pedicle and the facet joint.")
    assert "site/posterior-elements" not in concepts(found)
    assert "site/facet-joint" not in concepts(found)
    arising = results("The mass arose from the facet joint.")
    assert ("site", "site/facet-joint", "present") in arising


def test_prevertebral_is_not_paraspinal() -> None:
    assert "site/paraspinal" not in concepts(
        results("CT showed prevertebral soft-tissue swelling.")
    )


def test_a_bone_the_lesion_erodes_is_its_site_unless_called_adjacent() -> None:
    found = results("CT showed a calcified mass eroding the pedicle of L2.")
    assert ("site", "site/posterior-elements", "present") in found
    assert ("finding", "finding/bone-erosion", "present") in found
    found = results("CT showed a calcified mass eroding the adjacent pedicle.")
    assert ("site", "site/posterior-elements", "present") not in found
    found = results("CT showed erosion of the pedicle.")
    assert ("site", "site/posterior-elements", "present") not in found
