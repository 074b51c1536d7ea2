"""Score extracted evidence against a hand annotation, by the rules of the shared scorer.

What is compared (``shared/spec/extraction.md``): per article, the set of patient-scope
(role, concept, polarity) tuples, micro-averaged and per role; the lesion's vertebrae as a set;
the study design and the patient count; and background leakage, the share of tuples the
annotation puts only in the background that the extraction gives the patient. Concepts outside
the vocabulary and spans that do not fit their sentence are counted too.

Both sides are plain dicts, one per article, in the shape of ``kb extract --format jsonl``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

ROLES = (
    "lesion",
    "site",
    "associated",
    "finding",
    "misdiagnosis",
    "treatment",
    "symptom",
    "outcome",
)
VERTEBRA = re.compile(r"^(?:C[1-7]|T(?:[1-9]|1[0-2])|L[1-5]|S[1-5])$")

Doc = Mapping[str, Any]
Tuple = tuple[str, str, str]


@dataclass
class Counts:
    """True positives, false positives and false negatives, and what they give."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    def figures(self) -> dict[str, float | int]:
        """Precision, recall and F1 (an empty side counts as perfect), with the counts."""
        precision = self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0
        recall = self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return {
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1": round(f1, 4),
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
        }


@dataclass
class Tally:
    """What the comparison of every article adds up to."""

    roles: dict[str, Counts] = field(default_factory=dict)
    levels: Counts = field(default_factory=Counts)
    designs_right: int = 0
    counts_right: int = 0
    counts_given: int = 0
    leaked: int = 0
    background_only: int = 0
    unknown: set[str] = field(default_factory=set)
    bad_spans: int = 0
    errors: list[tuple[str, str, Tuple]] = field(default_factory=list)


def patient_tuples(doc: Doc, scope: str = "patient") -> set[Tuple]:
    """The (role, concept, polarity) tuples an article asserts in one scope."""
    return {
        (a.get("role"), a.get("concept"), a.get("polarity", "present"))
        for a in doc.get("assertions", ())
        if a.get("scope", "patient") == scope
    }


def _span_fits(assertion: Mapping[str, Any]) -> bool:
    sentence, start, end = (assertion.get(k) for k in ("sentence", "start", "end"))
    return (
        isinstance(sentence, str)
        and isinstance(start, int)
        and isinstance(end, int)
        and 0 <= start < end <= len(sentence)
    )


def _compare(tally: Tally, pmid: str, gold: Doc, pred: Doc, vocabulary: Iterable[str]) -> None:
    known = set(vocabulary)
    for assertion in pred.get("assertions", ()):
        if assertion.get("concept") not in known:
            tally.unknown.add(str(assertion.get("concept")))
        tally.bad_spans += not _span_fits(assertion)
    wanted, given = patient_tuples(gold), patient_tuples(pred)
    for item in wanted | given:
        counts = tally.roles.setdefault(item[0] if item[0] in ROLES else "other", Counts())
        if item in wanted and item in given:
            counts.tp += 1
        elif item in given:
            counts.fp += 1
            tally.errors.append((pmid, "FP", item))
        else:
            counts.fn += 1
            tally.errors.append((pmid, "FN", item))
    background = patient_tuples(gold, "background") - wanted
    tally.background_only += len(background)
    tally.leaked += len(background & given)
    gold_levels = {v for v in gold.get("levels", ()) if VERTEBRA.match(v)}
    pred_levels = set(pred.get("levels") or ())
    tally.levels.tp += len(gold_levels & pred_levels)
    tally.levels.fp += len(pred_levels - gold_levels)
    tally.levels.fn += len(gold_levels - pred_levels)
    gold_study, pred_study = gold.get("study", {}), pred.get("study") or {}
    tally.designs_right += gold_study.get("design") == pred_study.get("design")
    if gold_study.get("n_patients") is not None:
        tally.counts_given += 1
        tally.counts_right += gold_study.get("n_patients") == pred_study.get("n_patients")


def score(
    gold: Mapping[str, Doc], pred: Mapping[str, Doc], vocabulary: Iterable[str]
) -> dict[str, Any]:
    """Compare predictions with the annotation, article by article (both keyed by PMID).

    The figures have the keys and rounding of ``shared/eval/score.py --json``, plus
    ``errors``: every false positive and false negative, as (PMID, "FP"/"FN", tuple).
    """
    tally = Tally()
    known = set(vocabulary)
    for pmid, doc in gold.items():
        _compare(tally, pmid, doc, pred.get(pmid, {}), known)
    micro = Counts(
        sum(c.tp for c in tally.roles.values()),
        sum(c.fp for c in tally.roles.values()),
        sum(c.fn for c in tally.roles.values()),
    )
    return {
        "documents": len(gold),
        "missing_documents": sum(pmid not in pred for pmid in gold),
        "micro": micro.figures(),
        "by_role": {role: tally.roles[role].figures() for role in sorted(tally.roles)},
        "levels_f1": tally.levels.figures()["f1"],
        "design_accuracy": round(tally.designs_right / len(gold), 4) if gold else None,
        "n_patients_accuracy": (
            round(tally.counts_right / tally.counts_given, 4) if tally.counts_given else None
        ),
        "background_leakage": (
            round(tally.leaked / tally.background_only, 4) if tally.background_only else 0.0
        ),
        "unknown_concepts": sorted(tally.unknown),
        "bad_spans": tally.bad_spans,
        "errors": sorted(tally.errors),
    }


def report(figures: Mapping[str, Any]) -> str:
    """The figures as a table for people: per role, then levels, study and leakage."""
    lines = [f"{'role':<13} {'P':>6} {'R':>6} {'F1':>6} {'tp':>4} {'fp':>4} {'fn':>4}"]
    for role, c in figures["by_role"].items():
        lines.append(
            f"{role:<13} {c['precision']:>6.3f} {c['recall']:>6.3f} {c['f1']:>6.3f} "
            f"{c['tp']:>4} {c['fp']:>4} {c['fn']:>4}"
        )
    micro = figures["micro"]
    lines += [
        f"levels F1 {figures['levels_f1']:.3f}  design accuracy {figures['design_accuracy']}  "
        f"n_patients accuracy {figures['n_patients_accuracy']}  "
        f"background leakage {figures['background_leakage']}",
        f"micro-F1 {micro['f1']:.3f} (P {micro['precision']:.3f}, R {micro['recall']:.3f}) "
        f"over {figures['documents']} articles ({figures['missing_documents']} not extracted)",
    ]
    if figures["unknown_concepts"]:
        lines.append(f"concepts outside the vocabulary: {', '.join(figures['unknown_concepts'])}")
    if figures["bad_spans"]:
        lines.append(f"assertions whose span does not fit their sentence: {figures['bad_spans']}")
    if "cases" in figures:
        c = figures["cases"]
        a = c["attribution"]
        lines += [
            f"case attribution F1 {a['f1']:.3f} (P {a['precision']:.3f}, R {a['recall']:.3f}) "
            f"over {c['articles']} articles; case count accuracy {c['case_count_accuracy']}",
            f"per case: age {c['age_accuracy']}  sex {c['sex_accuracy']}  levels F1 "
            f"{c['case_levels_f1']}  misdiagnosis order {c['misdiagnosis_order_accuracy']}  "
            f"diagnosis method {c['diagnosis_method_accuracy']}",
        ]
    return "\n".join(lines)


# --- cases ------------------------------------------------------------------------------------


def _attributed(doc: Doc) -> set[tuple[int, str, str, str]]:
    """The (patient, role, concept, polarity) tuples an article attributes to one patient."""
    return {
        (a["patient"], a.get("role"), a.get("concept"), a.get("polarity", "present"))
        for a in doc.get("assertions", [])
        if a.get("scope", "patient") == "patient" and a.get("patient") is not None
    }


def score_cases(gold: Mapping[str, Doc], pred: Mapping[str, Doc]) -> dict[str, Any]:
    """Compare the case attribution (the ``patient`` of assertions, and ``cases``).

    Only articles whose annotation has a ``cases`` list count. Figures: attribution P/R/F1
    over (PMID, patient, role, concept, polarity) tuples; the share of articles with the right
    number of cases; per case matched by number, age, sex, misdiagnosis order and diagnosis
    method accuracy (over the cases whose annotation gives them) and levels F1.
    """
    attribution, levels = Counts(), Counts()
    right: dict[str, list[bool]] = {k: [] for k in ("cases", "age", "sex", "order", "method")}
    for pmid, g in gold.items():
        if "cases" not in g:
            continue
        p = pred.get(pmid, {})
        gold_tuples, pred_tuples = _attributed(g), _attributed(p)
        attribution.tp += len(gold_tuples & pred_tuples)
        attribution.fp += len(pred_tuples - gold_tuples)
        attribution.fn += len(gold_tuples - pred_tuples)
        right["cases"].append(len(g["cases"]) == len(p.get("cases", [])))
        found = {c["patient"]: c for c in p.get("cases", [])}
        for case in g["cases"]:
            other = found.get(case["patient"], {})
            for key, name in (("age", "age"), ("sex", "sex"), ("diagnosis", "method")):
                if case.get(key) is not None:
                    right[name].append(case[key] == other.get(key))
            if case.get("misdiagnoses"):
                right["order"].append(list(case["misdiagnoses"]) == other.get("misdiagnoses"))
            g_levels, p_levels = set(case.get("levels", [])), set(other.get("levels", []))
            levels.tp += len(g_levels & p_levels)
            levels.fp += len(p_levels - g_levels)
            levels.fn += len(g_levels - p_levels)

    def share(values: list[bool]) -> float | None:
        return round(sum(values) / len(values), 4) if values else None

    return {
        "articles": len(right["cases"]),
        "attribution": attribution.figures(),
        "case_count_accuracy": share(right["cases"]),
        "age_accuracy": share(right["age"]),
        "sex_accuracy": share(right["sex"]),
        "case_levels_f1": levels.figures()["f1"],
        "misdiagnosis_order_accuracy": share(right["order"]),
        "diagnosis_method_accuracy": share(right["method"]),
    }
