"""Cases: the published patients as first-class records, read from the store.

``record`` assembles one case with its evidence, ``phenopacket`` writes it as a GA4GH
Phenopacket, ``similar`` ranks the cases like a patient's, and ``duplicates`` flags the same
patient published twice.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pyoxigraph as ox

from kb.cases.record import case_record
from kb.cases.similar import SELECTABLE, CaseFeatures, CaseIndex
from kb.errors import ParameterError
from kb.iris import case_from_id, concept_id
from kb.query.named import MAX_LIST, RawValue
from kb.query.registry import Page, Registry, Table, bind_params, to_value
from kb.vocabulary import VERTEBRAE

__all__ = ["SORTS", "case_table", "get_case", "index_filters", "parse_case_id"]


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


SORTS = ("year", "-year", "age", "-age", "sex", "-sex", "level", "-level", "case", "-case")


def case_table(
    registry: Registry,
    index: CaseIndex | None,
    params: Mapping[str, RawValue],
    page: Page,
    sort: str | None = None,
) -> Table:
    """A page of the case table: the ``cases`` named query, its page chosen by the index.

    With an index built for the store as it is, the index picks the page's cases from its
    filters (in memory) and the query fetches only those; the total is the index's. Without
    one, or for what the index does not hold (retracted articles' cases), the query does it
    all. Both give the same rows (tests/cases). ``sort`` (one of ``SORTS``, a leading ``-``
    for descending) orders the cases by the index; the query's own order is newest first.
    """
    if sort is not None and sort not in SORTS:
        raise ParameterError("sort", f"one of {', '.join(SORTS)}")
    if index is None or params.get("include_retracted") or params.get("cases"):
        return registry.run("cases", params, page)
    order = _SORT_KEYS[sort.lstrip("-")] if sort else None
    total, chosen = index.pick(
        index_filters(registry, params),
        page.offset,
        page.limit,
        order,
        bool(sort and sort[0] == "-"),
    )
    ids = [c.case for c in chosen]
    if not ids:
        return registry.run("cases", params, page)
    tables = [
        registry.run("cases", {"cases": ids[at : at + MAX_LIST]}, Page(MAX_LIST))
        for at in range(0, len(ids), MAX_LIST)
    ]
    by_id = {row["case"]: row for table in tables for row in table.rows}
    rows = tuple(by_id[i] for i in ids if i in by_id)
    return Table(columns=tables[0].columns, rows=rows, total=total)


def index_filters(registry: Registry, params: Mapping[str, RawValue]) -> dict[str, object]:
    """The case table's filters as the index compares them (checked as the query checks them)."""
    query = registry.get("cases")
    bound = bind_params(query, params)
    asked = {
        name: _plain(terms, query.params[name].multiple)
        for name, terms in bound.blocks.items()
        if name in SELECTABLE
    }
    return {name: value for name, value in asked.items() if value not in (None, [], False)}


def _level_order(c: CaseFeatures) -> int:
    return min((VERTEBRAE.index(v) for v in c.levels if v in VERTEBRAE), default=len(VERTEBRAE))


# Cases without the value sort after those with it (ascending).
_SORT_KEYS: dict[str, Callable[[CaseFeatures], Any]] = {
    "year": lambda c: c.key,
    "age": lambda c: (c.age is None, c.age or 0),
    "sex": lambda c: (c.sex is None, c.sex or ""),
    "level": _level_order,
    "case": lambda c: (int(c.pmid), int(c.case.rpartition("-")[2])),
}


def _plain(terms: tuple[Any, ...], many: bool) -> object:
    """Bound terms as the index compares them: concept ids, numbers, booleans; a list's list."""
    values = [concept_id(t.value) if isinstance(t, ox.NamedNode) else to_value(t) for t in terms]
    return values if many else values[0] if values else None
