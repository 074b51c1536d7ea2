"""Spinal levels: every written form normalised to vertebrae, T1/T2 told apart from MRI."""

from __future__ import annotations

import pytest

from kb.extraction.levels import parse_levels, spine_order, vertebra_range
from kb.extraction.text import tokenize
from kb.vocabulary import region_of


def levels(text: str) -> list[str]:
    return sorted({v for m in parse_levels(tokenize(text)) for v in m.vertebrae})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a mass at C4-C5", ["C4", "C5"]),
        ("a mass at C4/5", ["C4", "C5"]),
        ("a mass at C4–5", ["C4", "C5"]),
        ("a mass at C4—C5", ["C4", "C5"]),
        ("from C6 through T2", ["C6", "C7", "T1", "T2"]),
        ("from T12 to L1", ["L1", "T12"]),
        ("at the fourth and fifth cervical vertebrae", ["C4", "C5"]),
        ("the body of the seventh thoracic vertebra", ["T7"]),
        ("behind the odontoid process", ["C2"]),
        ("around the dens", ["C2"]),
        ("the atlantoaxial joint", ["C1", "C2"]),
        ("the atlanto-axial joint", ["C1", "C2"]),
        ("at C4 and C5", ["C4", "C5"]),
        ("the C3–4 and C4–5 interlaminar spaces", ["C3", "C4", "C5"]),
        ("at L5-S1", ["L5", "S1"]),
        ("extending from C7 to T1", ["C7", "T1"]),
        ("at the T2 level", ["T2"]),
    ],
)
def test_level_forms_give_their_vertebrae(text: str, expected: list[str]) -> None:
    assert levels(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "low signal on both T1- and T2-weighted images",
        "hypointense on T1 and T2",
        "T2 hyperintense rim",
        "a T1-weighted sequence",
    ],
)
def test_mri_sequences_are_not_vertebrae(text: str) -> None:
    assert levels(text) == []


def test_ranges_cross_regions_in_spine_order() -> None:
    assert vertebra_range("T2", "C6") == ("C6", "C7", "T1", "T2")
    assert spine_order(["S1", "C2", "L5", "C2"]) == ("C2", "L5", "S1")


def test_each_vertebra_gives_its_region() -> None:
    assert [region_of(v) for v in ("C5", "T11", "L3", "S2")] == [
        "region/cervical",
        "region/thoracic",
        "region/lumbar",
        "region/sacral",
    ]
