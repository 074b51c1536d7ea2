"""Lesion levels read from sentences: which vertebrae, and which are not the lesion's.

Each test states one rule on sentences written for it.
"""

from __future__ import annotations

from tests.support.extract import concepts, read, results, tuples


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


def test_the_level_of_a_fracture_is_no_lesion_level() -> None:
    extraction = read(
        ("RESULTS", "She had a healed fracture of the L1 vertebra and a calcified mass at C6."),
        title="Tumoral calcinosis",
    )
    assert extraction.levels == ("C6",)
    assert "region/lumbar" not in concepts(tuples(extraction))
    extraction = read(("RESULTS", "An L1 fracture was noted."), title="Tumoral calcinosis at C6")
    assert extraction.levels == ("C6",)


def test_a_dermatome_or_nerve_root_is_no_lesion_level() -> None:
    extraction = read(
        ("RESULTS", "She had numbness in the S1 dermatome and weakness of the L5 root."),
        ("RESULTS", "The mass lay at L3."),
    )
    assert extraction.levels == ("L3",)
    assert ("site", "region/sacral", "present") not in tuples(extraction)


def test_atlas_gives_c1_and_axis_only_beside_the_atlas() -> None:
    assert read(("RESULTS", "The mass eroded the posterior arch of the atlas.")).levels == ("C1",)
    assert read(("RESULTS", "Deposits surrounded the atlas and axis.")).levels == ("C1", "C2")
    assert read(("RESULTS", "The mass lay along the long axis of the cord.")).levels == ()


def test_c1_2_names_the_craniovertebral_junction() -> None:
    assert ("site", "region/craniovertebral-junction", "present") in results(
        "CT showed a calcified mass at C1-2."
    )
