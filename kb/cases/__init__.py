"""Cases: the published patients as first-class records, read from the store.

``record`` assembles one case with its evidence, ``phenopacket`` writes it as a GA4GH
Phenopacket, ``similar`` ranks the cases like a patient's, and ``duplicates`` flags the same
patient published twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pyoxigraph as ox

from kb.cases.record import case_record
from kb.cases.similar import SELECTABLE, CaseIndex
from kb.iris import case_from_id, concept_id
from kb.query.named import MAX_LIST, RawValue
from kb.query.registry import Page, Registry, Table, bind_params, to_value

__all__ = ["case_table", "get_case", "parse_case_id"]


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


def case_table(
    registry: Registry, index: CaseIndex | None, params: Mapping[str, RawValue], page: Page
) -> Table:
    """A page of the case table: the ``cases`` named query, its page chosen by the index.

    With an index built for the store as it is, the index picks the page's cases from its
    filters (in memory) and the query fetches only those; the total is the index's. Without
    one, or for what the index does not hold (retracted articles' cases), the query does it
    all. Both give the same rows (tests/cases).
    """
    query = registry.get("cases")
    bound = bind_params(query, params)
    if index is None or params.get("include_retracted") or params.get("cases"):
        return registry.run("cases", params, page)
    asked = {
        name: _plain(terms, query.params[name].multiple)
        for name, terms in bound.blocks.items()
        if name in SELECTABLE
    }
    asked = {name: value for name, value in asked.items() if value not in (None, [], False)}
    chosen = index.select(asked)
    ids = [c.case for c in chosen[page.offset : page.offset + page.limit]]
    if not ids:
        return registry.run("cases", params, page)
    tables = [
        registry.run("cases", {"cases": ids[at : at + MAX_LIST]}, Page(MAX_LIST))
        for at in range(0, len(ids), MAX_LIST)  # the ids come sorted: the chunks keep the order
    ]
    rows = tuple(row for table in tables for row in table.rows)
    return Table(columns=tables[0].columns, rows=rows, total=len(chosen))


def _plain(terms: tuple[Any, ...], many: bool) -> object:
    """Bound terms as the index compares them: concept ids, numbers, booleans; a list's list."""
    values = [concept_id(t.value) if isinstance(t, ox.NamedNode) else to_value(t) for t in terms]
    return values if many else values[0] if values else None
