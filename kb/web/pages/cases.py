"""The case browser, one case's record, and the cases like a patient's."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import Query, Request
from fastapi.responses import HTMLResponse

from kb.api.deps import RegistryDep, RunnerDep
from kb.cases import SORTS, case_table, get_case, index_filters, parse_case_id
from kb.cases.similar import Patient, ranked_rows
from kb.errors import ParameterError
from kb.query.named import RawValue
from kb.query.registry import Page
from kb.vocabulary import VERTEBRAE, get_concepts, get_modalities
from kb.web.facets import Facet, build_facets
from kb.web.pages.common import given, not_found, page_router, refusals_as_pages
from kb.web.pages.curation import signed_in
from kb.web.render import cases_of, query_string, render

router = page_router()

FILTERS = ("region", "level", "site", "present", "absent", "misdiagnosis", "associated",
           "treatment", "outcome", "study_design", "year_from", "year_to", "confirmed",
           "no_duplicates")  # fmt: skip
PAGE_SIZE = 50
# The table's columns: (row key, heading, sort key or None).
COLUMNS = (
    ("case", "Case", "case"),
    ("year", "Year", "year"),
    ("age", "Age", "age"),
    ("sex", "Sex", "sex"),
    ("levels", "Levels", "level"),
    ("sites", "Site", None),
    ("associated_conditions", "Associated", None),
    ("findings_present", "Seen on imaging", None),
    ("findings_absent", "Not seen", None),
    ("misdiagnoses", "Mistaken for", None),
    ("diagnosis_method", "Diagnosed by", None),
    ("treatments", "Treatment", None),
    ("outcomes", "Outcome", None),
    ("possible_duplicates", "Possibly the same patient as", None),
)


@router.get("/cases", response_class=HTMLResponse)
@refusals_as_pages
async def browse(
    request: Request,
    registry: RegistryDep,
    runner: RunnerDep,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    sort: str | None = None,
) -> HTMLResponse:
    """The case table with its facets; every link keeps the filters in the URL."""
    asked = [(k, v) for k, v in request.query_params.multi_items() if k in FILTERS and v]
    params = _params(asked)
    if sort is not None and sort not in SORTS:
        raise ParameterError("sort", f"one of {', '.join(SORTS)}")
    index = cases_of(request).fresh()
    page = Page(PAGE_SIZE, offset)

    def counted() -> list[Facet]:
        if index is None:
            return []
        counts = index.facets(index_filters(registry, params))
        return build_facets(counts, asked, get_concepts(), get_modalities())

    # The page's cases are fetched by a query worker while the facets are counted here.
    table, facets = await asyncio.gather(
        runner(case_table, registry, index, params, page, sort), runner(counted)
    )
    here = [*asked, *([("sort", sort)] if sort else [])]
    concepts = get_concepts()
    chosen = [(k, v, concepts[v].pref_label if v in concepts else v) for k, v in asked]
    context = {
        "table": table,
        "columns": COLUMNS,
        "facets": facets,
        "chosen": chosen,
        "asked": asked,
        "sort": sort,
        "offset": offset,
        "page_size": PAGE_SIZE,
        "counting": index is None,
        "data_twin": query_string([*here, ("offset", offset or ""), ("limit", PAGE_SIZE)]),
        "here": here,
    }
    drawn = render(request, "cases.html", context, queries=("cases", "case-features"))
    if index is None:
        drawn.headers["Cache-Control"] = "no-store"  # the counts come with the next visit
    return drawn


@router.get("/cases/like", response_class=HTMLResponse)
@refusals_as_pages
async def like(
    request: Request,
    registry: RegistryDep,
    runner: RunnerDep,
    present: Annotated[list[str], Query()] = [],  # noqa: B006 (FastAPI copies defaults)
    absent: Annotated[list[str], Query()] = [],  # noqa: B006
    level: Annotated[list[str], Query()] = [],  # noqa: B006
    region: str = "",
    age: Annotated[str, Query(max_length=3)] = "",
    sex: str = "",
) -> HTMLResponse:
    """A form for a patient (its URL is the patient) and the cases ranked like it."""
    concepts = get_concepts()
    modalities = get_modalities()
    unknown = [c for c in (*present, *absent) if c not in modalities]
    if unknown:
        raise ParameterError("present", f"{unknown[0][:40]!r} is no imaging finding")
    both = set(present) & set(absent)
    if both:
        raise ParameterError("absent", f"{concepts[min(both)].pref_label} is both seen and not")
    if any(v not in VERTEBRAE for v in level):
        raise ParameterError("level", "a vertebra: C1..C7, T1..T12, L1..L5, S1..S5")
    if (region and not region.startswith("region/")) or (region and region not in concepts):
        raise ParameterError("region", f"{region[:40]!r} is no region")
    if age and not age.isdigit():
        raise ParameterError("age", "a whole number of years")
    if sex not in ("", "female", "male"):
        raise ParameterError("sex", "female or male")
    rows: list[dict[str, Any]] | None = None
    if present or absent or level or region:
        patient = Patient(
            present=frozenset(present),
            absent=frozenset(absent),
            levels=frozenset(level),
            region=region or None,
            age=int(age) if age else None,
            sex=sex or None,
        )
        index = await runner(cases_of(request).get)
        rows = ranked_rows(index.like(patient, 50))
    findings = sorted(modalities, key=lambda c: (modalities[c], concepts[c].pref_label))
    asked = given({"present": present, "absent": absent, "level": level, "region": region,
                   "age": age, "sex": sex})  # fmt: skip
    pairs = [(k, v) for k, vs in asked.items() for v in (vs if isinstance(vs, list) else [vs])]
    context = {
        "rows": rows,
        "findings": [(c, concepts[c].pref_label, modalities[c]) for c in findings],
        "regions": [(c, concepts[c].pref_label) for c in concepts if c.startswith("region/")],
        "vertebrae": VERTEBRAE,
        "present": set(present),
        "absent": set(absent),
        "levels": set(level),
        "region": region,
        "age": age,
        "sex": sex,
        "data_twin": query_string(pairs),
    }
    return render(request, "like.html", context, queries=("case-features", "claims"))


@router.get("/cases/{case}", response_class=HTMLResponse)
@refusals_as_pages
async def one_case(
    request: Request, case: str, registry: RegistryDep, runner: RunnerDep
) -> HTMLResponse:
    """One case: each fact with the sentence it was read from."""
    try:
        parse_case_id(case)
    except ValueError as exc:
        raise ParameterError("case", str(exc)) from None
    record = await runner(get_case, registry, case)
    if record is None:
        return not_found(request, f"There is no case {case} in the knowledge base.")
    curator = signed_in(request)
    page = render(
        request,
        "case.html",
        {"record": record, "curator": curator},
        queries=("case", "article", "article-evidence"),
    )
    if curator is not None:  # a curator's page is theirs: never kept by anyone
        page.headers["Cache-Control"] = "no-store"
    return page


def _params(asked: list[tuple[str, str]]) -> dict[str, RawValue]:
    """The case table's parameters from the URL's (name, value) pairs.

    >>> _params([("present", "a"), ("region", "r"), ("present", "b")])
    {'region': 'r', 'present': ['a', 'b']}
    """
    params: dict[str, RawValue] = {k: v for k, v in asked if k not in ("present", "absent")}
    for name in ("present", "absent"):
        if values := [v for k, v in asked if k == name]:
            params[name] = values
    return params
