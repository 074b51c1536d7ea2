"""Cases: the published patients as first-class records, read from the store.

``record`` assembles one case with its evidence, ``phenopacket`` writes it as a GA4GH
Phenopacket, ``similar`` ranks the cases like a patient's, and ``duplicates`` flags the same
patient published twice.
"""

from __future__ import annotations

from typing import Any

from kb.cases.record import case_record
from kb.iris import case_from_id
from kb.query.registry import Registry

__all__ = ["get_case", "parse_case_id"]


def parse_case_id(case: str) -> tuple[str, int]:
    """Split a case id (``11474353-2``) into PMID and number; ValueError if it is none."""
    case_from_id(case)  # checks the form
    pmid, _, number = case.partition("-")
    return pmid, int(number)


def get_case(registry: Registry, case: str) -> dict[str, Any] | None:
    """The record of one case with the evidence of every cell, or None if there is none."""
    pmid, number = parse_case_id(case)
    facts = registry.run("case", {"pmid": pmid, "number": number})
    if not facts.rows:
        return None
    article = registry.run("article", {"pmid": pmid}).rows
    evidence = registry.run("article-evidence", {"pmid": pmid}).rows
    return case_record(
        case, {"pmid": pmid, **(article[0] if article else {})}, facts.rows, evidence
    )
