"""Which patient each assertion is about, and each case's record, read from the text."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from kb.cli import cli
from kb.extraction.cases import diagnosis_method, laterality
from kb.extraction.extract import extract_article
from kb.models import AbstractSection, Article, Assertion, PublicationType
from tests.support.graphs import SEED
from tests.support.paths import DATA, ROOT, need

SERIES = DATA / "cases" / "series.xml"


def _article(text: str, pmid: str = "1", types: tuple[str, ...] = ()) -> Article:
    return Article(
        pmid=pmid,
        title="Tumoral calcinosis of the spine",
        abstract=(AbstractSection(text=text),),
        publication_types=tuple(PublicationType(name=t) for t in types),
    )


def _read(path: Path) -> dict[str, Article]:
    from ingest.files import iter_file_records

    return {r.pmid: r for r in iter_file_records(path) if isinstance(r, Article)}


def test_a_case_report_has_one_case_with_its_age_sex_and_levels() -> None:
    x = extract_article(
        _article(
            "A 61-year-old man on hemodialysis presented with neck pain. CT showed a calcified "
            "mass at C1-C2. The lesion was excised and histology confirmed tumoral calcinosis.",
            types=("Case Reports",),
        )
    )
    (case,) = x.cases
    assert (case.patient, case.age, case.sex, case.levels) == (1, 61, "male", ("C1", "C2"))
    assert case.diagnosis == "excision-histology"
    patient = [a for a in x.assertions if a.scope == "patient"]
    assert patient and all(a.patient == 1 for a in patient)


def test_a_series_told_patient_by_patient_gives_each_its_own_assertions() -> None:
    x = extract_article(_read(SERIES)["77000001"])
    assert x.study.n_patients == 3
    ages = [(c.patient, c.age, c.sex, c.levels) for c in x.cases]
    assert ages == [
        (1, 54, "female", ("C4", "C5")),
        (2, 67, "male", ("L4", "L5")),
        (3, 39, "female", ("T11",)),
    ]
    about = {(a.patient, a.concept, a.polarity) for a in x.assertions if a.scope == "patient"}
    assert (2, "finding/contrast-enhancement", "absent") in about
    assert (2, "finding/t2-hypointense", "present") in about
    assert (1, "site/facet-joint", "present") in about
    # "In all three patients serum phosphate was raised": the group's, never a case's.
    assert (None, "condition/hyperphosphatemia", "present") in about
    assert not any(c == "condition/hyperphosphatemia" and p for p, c, _ in about)


def test_the_diagnostic_trajectory_keeps_the_order_the_text_gives() -> None:
    first, second, third = extract_article(_read(SERIES)["77000001"]).cases
    assert first.misdiagnoses == ("condition/metastasis", "condition/infection")
    assert (first.diagnosis, second.diagnosis, third.diagnosis) == (
        "excision-histology",
        "biopsy-histology",
        None,
    )
    assert second.misdiagnoses == ("condition/synovial-cyst",)
    assert first.laterality == "right"


def test_a_cohort_told_as_a_group_gets_no_invented_individuals() -> None:
    need(SEED.is_file(), f"{SEED} is absent")
    (article,) = _read(SEED).values()
    x = extract_article(article)
    assert x.study.n_patients == 21
    assert x.cases == ()
    assert all(a.patient is None for a in x.assertions)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The second patient, a 60-year-old woman, had leg pain.", [2]),
        ("In both patients the lesion was hypointense on T2.", [None]),
        ("Cases 1 and 3 were treated by excision.", [None]),
        ("MRI (cases 1, 4) showed low signal.", [None]),
        ("In case 3, the mass recurred.", [3]),
    ],
)
def test_a_sentence_names_its_patient_or_speaks_of_the_group(
    text: str, expected: list[int | None]
) -> None:
    from kb.extraction.cases import attribute
    from kb.extraction.extract import assign_scopes, iter_sentences
    from kb.models import Study

    intro = "We report four patients with tumoral calcinosis of the spine. "
    sentences = list(iter_sentences(_article(intro + "Case 1: a 45-year-old man. " + text)))
    assign_scopes(sentences)
    for s in sentences:
        s.scope = "patient"
    numbers = attribute(sentences, Study(design="case-series", n_patients=4))
    assert numbers[-len(expected) :] == expected


def test_how_the_diagnosis_was_made() -> None:
    assert diagnosis_method(["A CT-guided biopsy yielded chalky material."]) == "biopsy-histology"
    assert diagnosis_method(["It was excised.", "Histology showed calcium."]) == (
        "excision-histology"
    )
    assert diagnosis_method(["The diagnosis was made without biopsy."]) == "imaging"
    assert diagnosis_method(["CT showed a calcified mass."]) is None


def test_the_side_is_the_one_named_before_every_site() -> None:
    def site(sentence: str, mention: str) -> Assertion:
        start = sentence.index(mention)
        return Assertion(role="site", concept="site/facet-joint", section="CASE",
                         sentence=sentence, start=start, end=start + len(mention))  # fmt: skip

    left = site("A mass at the left C5-C6 facet joint.", "facet joint")
    right = site("A mass in the right facet joint.", "facet joint")
    assert laterality([left]) == "left"
    assert laterality([left, right]) is None  # two sides: not one lesion's side


def test_kb_eval_scores_the_attribution_of_the_blind_case_set(tmp_path: Path) -> None:
    """Set L was written blind (spec and the format only) and scored once before any change."""
    folder = ROOT / "tests" / "data" / "blind" / "set-l"
    done = CliRunner().invoke(
        cli, ["eval", str(folder / "gold.jsonl"), str(folder / "records.xml"), "--json"]
    )
    assert done.exit_code == 0, done.output
    cases = json.loads(done.output)["cases"]
    assert cases["articles"] == 16
    assert cases["attribution"]["f1"] >= 0.92
    assert cases["case_count_accuracy"] >= 0.93
    assert cases["age_accuracy"] >= 0.95 and cases["sex_accuracy"] >= 0.95
    assert cases["diagnosis_method_accuracy"] >= 0.9


def test_the_extract_output_carries_the_patient_and_the_cases(tmp_path: Path) -> None:
    done = CliRunner().invoke(cli, ["extract", str(SERIES), "--format", "jsonl"])
    assert done.exit_code == 0, done.output
    docs = {d["pmid"]: d for d in map(json.loads, done.output.splitlines())}
    series = docs["77000001"]
    assert [c["patient"] for c in series["cases"]] == [1, 2, 3]
    assert {a["patient"] for a in series["assertions"]} == {None, 1, 2, 3}
