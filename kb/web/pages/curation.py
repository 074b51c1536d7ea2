"""Curating in the browser: signing in with a token, verdict forms, and the orphan queue.

A curator signs in by giving their token (one of KB_CURATORS); it is kept in an HttpOnly,
SameSite=Strict cookie, which is the whole session: there is no user database. The forms post
to plain routes that write through ``kb.api.routes.curation.write_verdicts`` (the API's own
path) and answer with a redirect back to the page, so the pages need no script. A form posted
from another origin is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from kb.api.deps import RunnerDep, SettingsDep, StoreDep
from kb.api.middleware import SESSION_COOKIE
from kb.api.routes.curation import PairRequest, write_pair, write_verdicts
from kb.api.routes.sparql import read_form
from kb.curation import REASONS, Curator, Statement, locate, refusal
from kb.errors import KBError
from kb.jobs.curate import CurationRequest, Reader, orphans
from kb.models import Assertion
from kb.settings import Settings
from kb.web.pages.common import page_router, refused
from kb.web.render import render

router = page_router()
forms = APIRouter(include_in_schema=False)
SESSION_DAYS = 30


def signed_in(request: Request) -> Curator | None:
    """The curator whose token the request's session cookie holds, if any."""
    token = request.cookies.get(SESSION_COOKIE)
    settings: Settings = request.app.state.settings
    found = settings.curator_of(token) if token else None
    return Curator(name=found.name, orcid=found.orcid) if found else None


def _back(target: str, fallback: str = "/") -> str:
    """A path on this site to go back to: never another site's address."""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return fallback
    return target


def _same_origin(request: Request) -> bool:
    """Whether a form comes from this site's own pages (Origin, when the browser sends it)."""
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None
    own = f"{request.url.scheme}://{request.headers.get('host', request.url.netloc)}"
    return origin == own


@router.get("/curation/sign-in", response_class=HTMLResponse)
async def sign_in_page(
    request: Request, next: Annotated[str, Query(max_length=2000)] = "/"
) -> HTMLResponse:
    """The form a curator gives their token in."""
    context = {"next": _back(next), "curator": signed_in(request)}
    return render(request, "sign-in.html", context)


@forms.post("/curation/session")
async def start_session(request: Request, settings: SettingsDep) -> Response:
    """Sign in: keep the token in the session cookie if a curator holds it."""
    if not _same_origin(request):
        return refused(request, "This form was sent from another site.", 403)
    form = await read_form(request, settings)
    token, target = (form.get(k, [""])[0] for k in ("token", "next"))
    if settings.curator_of(token.strip()) is None:
        return refused(request, "No curator holds this token (KB_CURATORS).", 403)
    answer = RedirectResponse(_back(target), status_code=303)
    answer.set_cookie(
        SESSION_COOKIE,
        token.strip(),
        max_age=SESSION_DAYS * 86400,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return answer


@forms.post("/curation/sign-out")
async def end_session(request: Request, settings: SettingsDep) -> Response:
    """Sign out: forget the session cookie."""
    form = await read_form(request, settings)
    answer = RedirectResponse(_back(form.get("next", ["/"])[0]), status_code=303)
    answer.delete_cookie(SESSION_COOKIE, httponly=True, samesite="strict")
    return answer


@forms.post("/articles/{pmid}/verdicts")
async def verdict_form(
    request: Request, pmid: str, store: StoreDep, settings: SettingsDep
) -> Response:
    """Record the verdict a form on the article's page gives; go back to the page."""

    def work(form: dict[str, str], curator: Curator) -> object:
        return write_verdicts(store, settings, (_request(settings, pmid, form),), curator)

    return await _judged(request, settings, work, f"/articles/{pmid}#assertions")


@forms.post("/cases/{case}/duplicates")
async def pair_form(
    request: Request, case: str, store: StoreDep, settings: SettingsDep
) -> Response:
    """Record whether the case and another are one patient; go back to the case's page."""

    def work(form: dict[str, str], curator: Curator) -> object:
        body = PairRequest(cases=(case, form.get("other", "")), same=form.get("same") == "true")
        return write_pair(store, settings, body, curator)

    return await _judged(request, settings, work, f"/cases/{case}")


async def _judged(
    request: Request,
    settings: Settings,
    work: Callable[[dict[str, str], Curator], object],
    back: str,
) -> Response:
    """Run a form's verdict as the signed-in curator, then go ``back``; or say what was wrong."""
    curator = signed_in(request)
    if curator is None:
        return refused(request, "Sign in as a curator to give verdicts.", 401)
    if not _same_origin(request):
        return refused(request, "This form was sent from another site.", 403)
    form = {k: v[0].strip() for k, v in (await read_form(request, settings)).items() if v}
    try:
        await run_in_threadpool(work, form, curator)
    except (KBError, ValueError) as exc:  # pydantic's ValidationError is a ValueError
        status = exc.http_status if isinstance(exc, KBError) else 422
        return refused(
            request, refusal(exc) if isinstance(exc, ValidationError) else str(exc), status
        )
    request.app.state.registry.warm_in_background()
    return RedirectResponse(back, status_code=303)


def _request(settings: Settings, pmid: str, form: dict[str, str]) -> CurationRequest:
    """The verdict a page's form asks for (an added assertion is found in the text)."""
    action, note = form.get("action", ""), form.get("note") or None
    names = ("role", "concept", "polarity", "certainty", "scope")
    statement = {k: v for k in names if (v := form.get(k))}
    if action == "add":
        article = Reader.at(settings.records_dir).article(pmid)
        section, sentence, start, end = locate(
            article, form.get("mention", ""), form.get("near", "")
        )
        patient = int(form["patient"]) if form.get("patient", "").isdigit() else None
        assertion = Assertion.model_validate(
            {**statement, "section": section, "sentence": sentence, "start": start, "end": end,
             "patient": patient}
        )  # fmt: skip
        return CurationRequest(pmid=pmid, action="add", assertion=assertion, note=note)
    fields: dict[str, object] = {"pmid": pmid, "action": action, "target": form.get("key")}
    if action == "reject":
        fields["reason"] = form.get("reason") or None
    if action == "correct":
        fields["correction"] = Statement.model_validate(statement)
    return CurationRequest.model_validate({**fields, "note": note})


@router.get("/curation/orphans", response_class=HTMLResponse)
async def orphans_page(request: Request, store: StoreDep, runner: RunnerDep) -> HTMLResponse:
    """The verdicts whose assertion has gone, to be judged again by hand."""
    found = await runner(orphans, store)
    return render(request, "orphans.html", {"orphans": found, "reasons": REASONS})
