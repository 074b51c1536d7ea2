"""Conditions read from laboratory values: normal, raised, long lists of analytes.

Each test states one rule on sentences written for it.
"""

from __future__ import annotations

from tests.support.extract import concepts, results


def test_normal_and_raised_laboratory_values_give_the_condition() -> None:
    found = results("Serum calcium and phosphate levels were normal. PTH was elevated.")
    assert ("associated", "condition/hypercalcemia", "absent") in found
    assert ("associated", "condition/hyperphosphatemia", "absent") in found
    assert ("associated", "condition/hyperparathyroidism", "present") in found
    found = results("She received phosphate binders and a low-phosphate diet.")
    assert ("associated", "condition/hyperphosphatemia", "absent") not in found
    assert ("treatment", "treatment/phosphate-binder", "present") in found


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
