"""Patient or background: sections, general statements, the case of an unstructured abstract.

Each test states one rule on sentences written for it.
"""

from __future__ import annotations

from tests.support.extract import concepts, read, results, tuples


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


def test_what_a_relative_had_belongs_to_the_relative() -> None:
    found = results(
        "A 30-year-old woman, whose brother had undergone resection of a similar mass, "
        "presented with neck pain. Her mother had chronic renal failure."
    )
    assert "treatment/surgical-excision" not in concepts(found)
    assert "condition/chronic-kidney-disease" not in concepts(found)
    assert ("symptom", "symptom/neck-pain", "present") in found
