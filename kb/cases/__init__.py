"""Cases: the published patients as first-class records, read from the store.

``record`` assembles one case with its evidence, ``phenopacket`` writes it as a GA4GH
Phenopacket, ``similar`` ranks the cases like a patient's, and ``duplicates`` flags the same
patient published twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import pyoxigraph as ox

from kb.cases.record import case_record
from kb.cases.similar import SELECTABLE, CaseFeatures, CaseIndex, concept_labels
from kb.errors import ParameterError
from kb.iris import case_from_id, concept_id
from kb.query.named import RawValue, Value
from kb.query.registry import Page, Registry, Table, bind_params, to_value
from kb.vocabulary import VERTEBRAE

__all__ = ["SORTS", "TABLE_COLUMNS", "case_table", "get_case", "index_filters", "parse_case_id"]


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
    """A page of the case table: the ``cases`` named query's, or the same from the case index.

    With an index built for the store as it is, the index picks the page's cases from its
    filters and writes their rows, in memory: the first ask after a write reads nothing from
    the store. Without one, or for what the index does not hold (retracted articles' cases),
    the query does it all. Both give the same rows (tests/cases). ``sort`` (one of
    ``SORTS``, a leading ``-`` for descending) orders the cases by the index; the query's own
    order is newest first.
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
    return Table(columns=TABLE_COLUMNS, rows=tuple(map(table_row, chosen)), total=total)


# The columns of the ``cases`` query, in its order.
TABLE_COLUMNS = (
    "case", "pmid", "year", "design", "age", "sex", "levels", "regions", "sites", "laterality",
    "associated_conditions", "findings_present", "findings_absent", "symptoms", "misdiagnoses",
    "diagnosis_method", "final_diagnosis", "treatments", "outcomes", "possible_duplicates", "url",
)  # fmt: skip


def table_row(c: CaseFeatures) -> dict[str, Value]:
    """A case's row of the case table, from the index, as the ``cases`` query writes it.

    Lists are sorted as the query's are (``split_list``): levels from the skull down, what the
    case was taken for by rank, the others by label; a concept without a label is left out.
    """
    labels = concept_labels()

    def named(concepts: Iterable[str]) -> list[str]:
        return sorted({labels[x] for x in concepts if x in labels})

    def claimed(role: str, polarity: str | None = None) -> list[str]:
        return named(x for r, x, p in c.claims if r == role and polarity in (None, p))

    return {
        "case": c.case,
        "pmid": c.pmid,
        "year": c.year or None,
        "design": c.design,
        "age": c.age,
        "sex": c.sex,
        "levels": sorted(c.levels, key=lambda v: (_LEVEL_RANK.get(v, 0), v)),
        "regions": named(c.regions),
        "sites": named(c.sites),
        "laterality": c.side,
        "associated_conditions": claimed("associated"),
        "findings_present": claimed("finding", "present"),
        "findings_absent": claimed("finding", "absent"),
        "symptoms": claimed("symptom"),
        "misdiagnoses": [x for _, x in sorted({(n, labels[x]) for n, x in c.steps if x in labels})],
        "diagnosis_method": c.method,
        "final_diagnosis": named(c.finals),
        "treatments": claimed("treatment"),
        "outcomes": claimed("outcome"),
        "possible_duplicates": sorted(c.duplicates),
        "url": f"/cases/{c.case}",
    }


# A level's rank in the query's list (C1 and a level it does not know rank alike, first).
_LEVEL_RANK = {v: i for i, v in enumerate(VERTEBRAE)}


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
