"""One case as a reviewer reads it: its facts, each with the sentences it came from.

Built from two named queries: ``case`` (the facts, a row each) and ``article-evidence`` (the
article's assertions, each naming the patients it is about). Pure: tables in, a record out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from kb.query.named import Value
from kb.vocabulary import VERTEBRAE

Row = Mapping[str, Value]

# Cell name of each (role, polarity) of the case's own assertions.
CELLS = {
    ("associated", "present"): "associated_conditions",
    ("finding", "present"): "findings_present",
    ("finding", "absent"): "findings_absent",
    ("symptom", "present"): "symptoms",
    ("treatment", "present"): "treatments",
    ("treatment", "absent"): "treatments_not_given",
    ("outcome", "present"): "outcomes",
    ("outcome", "absent"): "outcomes_not_seen",
    ("site", "present"): "sites",
    ("misdiagnosis", "present"): "misdiagnoses",
    ("lesion", "present"): "final_diagnosis",
}
EVIDENCE_FIELDS = (
    "sentence", "section", "start", "end", "certainty", "assertion", "status", "curator",
)  # fmt: skip


def evidence_of(row: Row) -> dict[str, Value]:
    """The evidence of one assertion: sentence, section, span, certainty, IRI, curation status."""
    return {k: row.get(k) for k in EVIDENCE_FIELDS}


def case_record(
    case_id: str, article: Row, facts: Iterable[Row], evidence: Iterable[Row]
) -> dict[str, Any]:
    """Assemble a case's record: scalar facts, and lists of items with their evidence.

    ``article`` is the row of the ``article`` query; ``facts`` the rows of ``case``;
    ``evidence`` the rows of ``article-evidence`` (all of the article's assertions: those
    about this case become its cells, those about the group its ``said_of_the_group``; those
    a curator rejected none).
    """
    rows = [r for r in evidence if r.get("status") != "rejected"]  # curators struck them out
    own = [r for r in rows if r.get("patients") == case_id and r.get("scope") == "patient"]
    record: dict[str, Any] = {
        "case": case_id,
        "pmid": article.get("pmid") or case_id.partition("-")[0],
        "title": article.get("title"),
        "year": article.get("year"),
        "design": article.get("design"),
        "age": None,
        "sex": None,
        "laterality": None,
        "diagnosis_method": None,
        "levels": [],
        "regions": [],
        **{cell: [] for cell in dict.fromkeys(CELLS.values())},
        "possible_duplicates": [],
    }
    facts = list(facts)
    for fact in facts:
        field, value = str(fact["field"]), fact.get("value")
        if field == "age" and value is not None:
            record["age"] = int(str(value))
        elif field in ("sex", "laterality", "diagnosis_method"):
            record[field] = value
        elif field == "levels":
            record["levels"].append({"level": value, "evidence": _mentioning(own, str(value))})
        elif field == "possible_duplicates":
            _duplicate(record["possible_duplicates"], str(value), str(fact.get("label")))
        elif field == "regions":
            record["regions"].append({"concept": fact.get("concept"), "label": fact.get("label")})
    # Items with evidence: the case's assertions by role and polarity, misdiagnoses ranked.
    ranks = {f.get("concept"): f.get("rank") for f in facts if f["field"] == "misdiagnoses"}
    finals = {f.get("concept"): f.get("label") for f in facts if f["field"] == "final_diagnosis"}
    items: dict[tuple[str, object], dict[str, Any]] = {}
    for row in own:
        cell = CELLS.get((str(row.get("role")), str(row.get("polarity"))))
        if cell is None:
            continue
        key = (cell, row.get("concept"))
        if key not in items:
            items[key] = {"concept": row.get("concept"), "label": row.get("label"), "evidence": []}
            if cell == "misdiagnoses":
                items[key]["rank"] = ranks.get(row.get("concept"))
            record[cell].append(items[key])
        items[key]["evidence"].append(evidence_of(row))
    record["misdiagnoses"].sort(key=lambda item: item.get("rank") or 0)
    # A final diagnosis read from the article's lesion, not the case's own sentences.
    told = {item["concept"] for item in record["final_diagnosis"]}
    for concept, label in finals.items():
        if concept not in told:
            lesion = [evidence_of(r) for r in rows if r.get("concept") == concept]
            record["final_diagnosis"].append(
                {"concept": concept, "label": label, "evidence": lesion}
            )
    record["levels"].sort(key=lambda item: VERTEBRAE.index(item["level"]))
    record["said_of_the_group"] = [
        {**evidence_of(r), "role": r.get("role"), "concept": r.get("concept"),
         "label": r.get("label"), "polarity": r.get("polarity")}
        for r in rows
        if r.get("patients") == "cohort"
    ]  # fmt: skip
    record["extractor"] = next((r.get("extractor") for r in rows if r.get("extractor")), None)
    record["age_evidence"] = _mentioning(own, f"{record['age']}") if record["age"] else []
    return record


def _mentioning(rows: Iterable[Row], text: str) -> list[dict[str, Value]]:
    """The evidence of the sentences that name a level or an age, once each."""
    word = re.compile(rf"(?<![A-Za-z0-9]){re.escape(text)}(?![0-9])")
    seen: dict[object, dict[str, Value]] = {}
    for row in rows:
        sentence = str(row.get("sentence") or "")
        if word.search(sentence) and sentence not in seen:
            found = word.search(sentence)
            assert found is not None
            seen[sentence] = {
                "sentence": sentence,
                "section": row.get("section"),
                "start": found.start(),
                "end": found.end(),
            }
    return list(seen.values())


def _duplicate(found: list[dict[str, Any]], case: str, reason: str) -> None:
    for item in found:
        if item["case"] == case:
            item["reasons"].append(reason)
            return
    found.append({"case": case, "reasons": [reason]})


def record_rows(record: Mapping[str, Any]) -> list[dict[str, Value]]:
    """The record as a long table (a fact and its evidence a row), for CSV."""
    rows: list[dict[str, Value]] = []
    for field in ("age", "sex", "laterality", "diagnosis_method"):
        if record.get(field) is not None:
            rows.append({"field": field, "value": record[field]})
    for item in record["levels"]:
        for ev in item["evidence"] or [{}]:
            rows.append({"field": "levels", "value": item["level"], **ev})
    for item in record["regions"]:
        rows.append({"field": "regions", "value": item["label"], "concept": item["concept"]})
    for cell in dict.fromkeys(CELLS.values()):
        for item in record[cell]:
            for ev in item["evidence"] or [{}]:
                rows.append(
                    {"field": cell, "value": item["label"], "concept": item["concept"], **ev}
                )
    for dup in record["possible_duplicates"]:
        rows.append({"field": "possible_duplicates", "value": dup["case"],
                     "reason": "; ".join(dup["reasons"])})  # fmt: skip
    return rows
