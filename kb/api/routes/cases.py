"""Cases: the case table, one case with its evidence or phenopacket, cases like a patient's."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request, Response
from pyoxigraph import NamedNode

from kb.api.deps import PageDep, RegistryDep, RunnerDep
from kb.api.models import Envelope, Meta, Row
from kb.api.routes.queries import FormatParam, table_answer, table_route
from kb.cases import SORTS, case_table, get_case, parse_case_id
from kb.cases.phenopacket import to_json, to_phenopacket
from kb.cases.record import record_rows
from kb.cases.similar import CaseIndexHolder, Patient, ranked_rows
from kb.errors import ParameterError
from kb.iris import concept_id
from kb.models import Design, Sex
from kb.query.named import Param, to_term
from kb.query.protocol import Format, choose_format
from kb.query.registry import Page, Table
from kb.vocabulary import VERTEBRAE

router = APIRouter(tags=["cases"])

Concept = Annotated[str | None, Query(description="A concept id, e.g. region/cervical.")]
Concepts = Annotated[list[str], Query(description="Concept ids (repeat the parameter).")]
CASE_OFFERS = (
    Format("json", "application/json"),
    Format("csv", "text/csv"),
    Format("phenopacket", "application/vnd.ga4gh.phenopacket+json"),
)


@table_route(router, "/cases", "The case table: one row per published patient, filtered")
async def list_cases(
    request: Request,
    registry: RegistryDep,
    runner: RunnerDep,
    page: PageDep,
    region: Concept = None,
    level: Annotated[str | None, Query(description="A vertebra, e.g. C2.")] = None,
    site: Concept = None,
    present: Concepts = [],  # noqa: B006 (FastAPI copies defaults)
    absent: Concepts = [],  # noqa: B006
    misdiagnosis: Concept = None,
    associated: Concept = None,
    treatment: Concept = None,
    outcome: Concept = None,
    study_design: Annotated[Design | None, Query(description="The article's study design.")] = None,
    year_from: Annotated[int | None, Query(description="Published this year or later.")] = None,
    year_to: Annotated[int | None, Query(description="Published this year or earlier.")] = None,
    confirmed: Annotated[
        bool, Query(description="Only cases proven by histology (excision or biopsy).")
    ] = False,
    no_duplicates: Annotated[
        bool, Query(description="Leave out cases flagged as a patient already published.")
    ] = False,
    include_retracted: Annotated[bool, Query(description="Also retracted or withdrawn.")] = False,
    sort: Annotated[
        str | None,
        Query(description=f"Order by one of {', '.join(SORTS)} (newest first if not given)."),
    ] = None,
    format: FormatParam = None,
) -> Envelope[list[Row]] | Response:
    """Answer through the ``cases`` named query; each row links to its evidence (``url``)."""
    params: dict[str, Any] = {
        "region": region,
        "level": level,
        "site": site,
        "present": present,
        "absent": absent,
        "misdiagnosis": misdiagnosis,
        "associated": associated,
        "treatment": treatment,
        "outcome": outcome,
        "study_design": study_design,
        "year_from": year_from,
        "year_to": year_to,
        "confirmed": confirmed,
        "no_duplicates": no_duplicates,
        "include_retracted": include_retracted,
    }
    params = {k: v for k, v in params.items() if v is not None and v != []}
    holder: CaseIndexHolder = request.app.state.cases
    table = await runner(case_table, registry, holder.fresh(), params, page, sort)
    return table_answer(request, registry, "cases", params, page, format, table)


@table_route(router, "/cases/like", "Cases like a patient's, ranked by the findings they share")
async def cases_like(
    request: Request,
    registry: RegistryDep,
    runner: RunnerDep,
    present: Concepts = [],  # noqa: B006
    absent: Concepts = [],  # noqa: B006
    level: Annotated[list[str], Query(description="Vertebrae (repeat), e.g. C1.")] = [],  # noqa: B006
    region: Concept = None,
    age: Annotated[int | None, Query(ge=0, le=130, description="Age in years.")] = None,
    sex: Annotated[Sex | None, Query(description="female or male.")] = None,
    min_shared: Annotated[int, Query(ge=1, description="Findings a case must share.")] = 1,
    limit: Annotated[int, Query(ge=1, le=500, description="How many cases.")] = 20,
    format: FormatParam = None,
) -> Envelope[list[Row]] | Response:
    """Rank the cases by findings shared (same polarity) less those contradicted.

    Level or region, sex and age break ties; each row says what the case was mistaken for
    and links to its evidence. Ranked in Python from the case index (``kb.cases.similar``).
    """
    if not (present or absent or level or region):
        raise ParameterError("present", "give findings (present, absent), a level or a region")
    unknown = [v for v in level if v not in VERTEBRAE]
    if unknown:
        raise ParameterError("level", f"{unknown[0][:20]!r} is no vertebra (C1..C7, T1..T12, ...)")
    patient = Patient(
        present=frozenset(_concepts("present", present)),
        absent=frozenset(_concepts("absent", absent)),
        levels=frozenset(level),
        region=_concepts("region", [region])[0] if region else None,
        age=age,
        sex=sex,
    )
    holder: CaseIndexHolder = request.app.state.cases
    index = await runner(holder.get)
    rows = ranked_rows(index.like(patient, limit, min_shared))
    table = Table(columns=tuple(rows[0]) if rows else ("case",), rows=tuple(rows), total=len(rows))
    asked = {"present": present, "absent": absent, "level": level, "region": region, "age": age,
             "sex": sex, "min_shared": min_shared}  # fmt: skip
    asked = {k: v for k, v in asked.items() if v not in (None, [])}
    return table_answer(request, registry, "cases-like", asked, Page(limit), format, table)


@router.get(
    "/cases/{case}",
    summary="One case with the evidence of every cell; or its GA4GH phenopacket",
    response_model=Envelope[dict[str, Any]],
    responses={200: {"content": {"text/csv": {}, CASE_OFFERS[2].media_type: {}}}},
)
async def one_case(
    case: str,
    request: Request,
    registry: RegistryDep,
    runner: RunnerDep,
    format: Annotated[
        str | None, Query(description="json (the default), csv or phenopacket.")
    ] = None,
) -> Envelope[dict[str, Any]] | Response:
    """The case's record: each fact with the sentence and span it was read from."""
    try:
        parse_case_id(case)
    except ValueError as exc:
        raise ParameterError("case", str(exc)) from None
    chosen = choose_format(CASE_OFFERS, format, request.headers.get("accept"), "a case")
    record = await runner(get_case, registry, case)
    if record is None:
        raise HTTPException(404, f"no case {case} in the knowledge base")
    if chosen.name == "csv":
        rows = record_rows(record)
        columns = ("field", "value", "concept", "sentence", "section", "start", "end", "reason")
        table = Table(columns=columns, rows=tuple({c: r.get(c) for c in columns} for r in rows))
        return Response(table.to_csv(), media_type="text/csv; charset=utf-8")
    if chosen.name == "phenopacket":
        extractor = str(record.get("extractor") or "tc-spine-kb")
        packet = to_phenopacket(record, extractor, datetime.now(UTC))
        return Response(to_json(packet), media_type=chosen.media_type)
    return Envelope(data=record, meta=Meta(generation=registry.store.generation))


_CONCEPT = Param(type="concept")


def _concepts(name: str, values: list[str]) -> list[str]:
    """Check concept ids against the vocabulary, as the named queries do."""
    terms = [to_term(name, _CONCEPT, v) for v in values]
    return [str(concept_id(t.value)) for t in terms if isinstance(t, NamedNode)]
