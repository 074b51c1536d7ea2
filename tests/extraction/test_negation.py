"""Polarity and certainty: negation cues and their scope, pseudo-negation, exclusions, hedges.

Each test states one rule on sentences written for it.
"""

from __future__ import annotations

from tests.support.extract import read, results


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


def test_a_hedge_ends_at_a_comma_and() -> None:
    extraction = read(
        ("RESULTS", "CT showed bone erosion at L4, and a chordoma was presumed."),
        title="Tumoral calcinosis",
    )
    certainty = {a.concept: a.certainty for a in extraction.assertions}
    assert certainty["finding/bone-erosion"] == "asserted"
    assert certainty["condition/chordoma"] == "hedged"


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
