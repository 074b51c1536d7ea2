"""Curation in the store: record verdicts, read their history and orphans, export and import.

Verdicts live in the curation graph, which only this module writes. Recording a verdict writes
it and re-maps its article from the record archive in one transaction, so the article's graph
says the verdict the moment it is stored; ingest, refresh and re-extraction re-map articles
with every verdict on them (``kb.jobs.write``), so a verdict outlives any of them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import pyoxigraph as ox
from pydantic import Field, ValidationError

from kb import iris
from kb.cases.duplicates import DUPLICATES_GRAPH, flag_quads, flags_from_quads
from kb.curation import (
    Action,
    AnyVerdict,
    Curated,
    Curator,
    PairVerdict,
    Reason,
    Statement,
    Verdict,
    apply_verdicts,
    histories,
    refusal,
)
from kb.errors import InputError, KBError, NotAuthorizedError, NotFoundError
from kb.extraction import Extractor, default_extractor, extract_with
from kb.graph.curation import verdict_quads, verdicts_from_quads
from kb.jobs.archive import RecordArchive
from kb.jobs.handoff import hand_off
from kb.jobs.runs import Run, Tally, new_run_id, now_utc
from kb.jobs.write import (
    Stored,
    read_all_verdicts,
    read_verdicts,
    stored_states,
    write_articles,
)
from kb.models import PMID_PATTERN, Article, Assertion, Frozen
from kb.settings import Settings
from kb.store import Store, value_of

FORMATS: dict[str, ox.RdfFormat] = {"trig": ox.RdfFormat.TRIG, "jsonld": ox.RdfFormat.JSON_LD}


class CurationRequest(Frozen):
    """A verdict as a curator asks for it: the body of ``POST /curations``, and the CLI's.

    Accept, reject and correct name their target by its key (``curation_key``, given by
    ``GET /articles/{pmid}`` and ``kb curate list``); add gives the assertion, its sentence
    and span.
    """

    pmid: str = Field(pattern=PMID_PATTERN)
    action: Action
    target: str | None = Field(None, pattern=r"^[0-9a-f]{32}$", description="The target key.")
    assertion: Assertion | None = Field(None, description="For add: what the extractor missed.")
    correction: Statement | None = Field(None, description="For correct: what it says instead.")
    reason: Reason | None = Field(None, description="Why (required to reject).")
    note: str | None = Field(None, max_length=2000)


@dataclass(frozen=True)
class Reader:
    """How an article is read again: its record archive and the extractor."""

    archive: RecordArchive
    extractor: Extractor

    @classmethod
    def at(cls, records: Path, extractor: Extractor | None = None) -> Reader:
        """The reader of the archive at ``records`` with the default extractor."""
        return cls(RecordArchive(records), extractor or default_extractor())

    def article(self, pmid: str) -> Article:
        """The archived record of an article, or NotFoundError."""
        article = self.archive.read(pmid)
        if article is None:
            raise NotFoundError(f"PMID {pmid} is not in the record archive")
        return article

    def reading(self, article: Article, verdicts: Iterable[Verdict]) -> Curated:
        """What the extractor reads of the article, with the verdicts applied."""
        return apply_verdicts(article, extract_with(self.extractor, article), verdicts)


def resolve(
    request: CurationRequest, reading: Curated, curator: Curator, created: datetime
) -> Verdict:
    """Make the verdict a request asks for, judged against the article's reading now.

    The target must be an assertion the article holds now (counted or rejected); the verdict
    keeps a snapshot of it. Raises InputError for a request that cannot be a verdict.
    """
    fields: dict[str, object] = {
        "pmid": request.pmid,
        "action": request.action,
        "correction": request.correction,
        "reason": request.reason,
        "note": request.note,
        "curator": curator,
        "created": created,
        "extractor": reading.extraction.extractor or None,
    }
    if request.action == "add":
        if request.assertion is None or request.target is not None:
            raise InputError("add gives the assertion (with its sentence and span), no target")
        fields.update(assertion=request.assertion, extractor=None)
    else:
        if request.target is None or request.assertion is not None:
            raise InputError(f"{request.action} names its target by key, and gives no assertion")
        found = reading.find(request.target)
        if found is None:
            raise NotFoundError(
                f"PMID {request.pmid} has no assertion with key {request.target} "
                f"(GET /articles/{request.pmid} and kb curate list {request.pmid} give the keys)"
            )
        fields["assertion"] = found.judged
        if found.status == "added":
            fields["extractor"] = None
    try:
        return Verdict.model_validate(fields)
    except ValidationError as exc:
        raise InputError(f"not a verdict: {refusal(exc)}") from None


def record(
    store: Store,
    reader: Reader,
    requests: Sequence[CurationRequest],
    curator: Curator,
    *,
    clock: Callable[[], datetime] = now_utc,
) -> list[Verdict]:
    """Record verdicts and re-map their articles with them, in one transaction.

    Every request is checked first: one that cannot be a verdict, or names an article the
    store or the archive lacks, refuses them all, and nothing is written.
    """
    pmids = list(dict.fromkeys(r.pmid for r in requests))
    states = stored_states(store, pmids)
    missing = [p for p in pmids if p not in states]
    if missing:
        raise NotFoundError(f"not in the store: PMID {', '.join(missing)}")
    articles = {p: reader.article(p) for p in pmids}
    held = read_verdicts(store, pmids)
    made: list[Verdict] = []
    for request in requests:
        now = clock().astimezone(UTC)
        reading = reader.reading(articles[request.pmid], [*held, *made])
        made.append(resolve(request, reading, curator, now))
    _write(store, reader, [articles[p] for p in pmids], [*held, *made], made, states)
    return made


def _write(
    store: Store,
    reader: Reader,
    articles: Sequence[Article],
    verdicts: Sequence[Verdict],
    new: Sequence[Verdict],
    states: Mapping[str, Stored],
) -> None:
    """Write new verdicts with their articles re-mapped: one transaction."""
    started = now_utc()  # the verdicts are the record of this write: the run is not kept
    tally = Tally(
        Run(run_id=new_run_id("curate", started), kind="reextract", label="curate", started=started)
    )
    deleted = {a.pmid for a in articles if (known := states.get(a.pmid)) and known.deleted}
    extra = [q for v in new for q in verdict_quads(v)]
    written = write_articles(
        store, articles, reader.extractor, tally, deleted=deleted, verdicts=verdicts, extra=extra
    )
    if len(written) != len(articles):
        raise KBError("; ".join(tally.errors) or "the articles could not be written again")


VerdictState = Literal["current", "superseded", "orphan"]


class HistoryEntry(Frozen):
    """A verdict in its target's history: current, superseded (by which), or orphaned."""

    id: str
    iri: str
    target: str
    state: VerdictState
    superseded_by: str | None = None
    verdict: Verdict | PairVerdict


def history(store: Store, pmid: str | None = None) -> list[HistoryEntry]:
    """Every verdict (on one article, if given), oldest first, with its place in its history.

    A target's last verdict is current while its target is in the store, an orphan when not
    (its article is gone or no longer reads it, a case judged a duplicate is gone); each
    earlier one is superseded by the next.
    """
    verdicts = read_all_verdicts(store, None if pmid is None else [pmid])
    applied = _applied(store, {p for v in verdicts for p in _pmids(v)})
    entries = []
    for told in histories(verdicts).values():
        for v, later in zip(told, [*told[1:], None], strict=True):
            state: VerdictState = "superseded" if later else "current"
            if later is None and iris.verdict_iri(v.id).value not in applied:
                state = "orphan"
            entries.append(
                HistoryEntry(
                    id=v.id,
                    iri=iris.verdict_iri(v.id).value,
                    target=v.target,
                    state=state,
                    superseded_by=later.id if later else None,
                    verdict=v,
                )
            )
    return sorted(entries, key=lambda e: e.verdict.order)


def orphans(store: Store) -> list[HistoryEntry]:
    """The verdicts whose target has gone: the orphan queue, oldest first."""
    return [e for e in history(store) if e.state == "orphan"]


def _pmids(v: AnyVerdict) -> tuple[str, ...]:
    return v.pmids if isinstance(v, PairVerdict) else (v.pmid,)


def _applied(store: Store, pmids: Iterable[str]) -> set[str]:
    """The verdicts the articles' graphs, and the duplicate flags, say they apply."""
    graphs = [*(iris.article_graph(p) for p in sorted(pmids)), DUPLICATES_GRAPH]
    nodes = " ".join(str(g) for g in graphs)
    rows = store.select(
        f"SELECT DISTINCT ?v WHERE {{ VALUES ?g {{ {nodes} }} "
        f"GRAPH ?g {{ ?x <{iris.ONTOLOGY}verdict> ?v }} }}"
    )
    return {value_of(r["v"]) or "" for r in rows}


def export_verdicts(store: Store, fmt: str) -> bytes:
    """Every verdict, as TriG or JSON-LD (``FORMATS``), in a stable order."""
    quads = sorted(store.quads(iris.CURATION_GRAPH), key=str)
    return ox.serialize(quads, format=FORMATS[fmt], prefixes=dict(iris.PREFIXES)) or b""


def import_verdicts(store: Store, reader: Reader, data: bytes, fmt: str) -> Imported:
    """Add the verdicts of a TriG or JSON-LD file and re-map their articles.

    Importing what the store holds changes nothing. A file with one unreadable verdict is
    refused whole, saying which and why.
    """
    try:
        quads = list(ox.parse(data, format=FORMATS[fmt]))
    except (SyntaxError, ValueError) as exc:
        raise InputError(f"not {fmt}: {exc}") from exc
    verdicts, problems = verdicts_from_quads(quads)
    if problems:
        raise InputError("cannot import: " + "; ".join(problems[:5]))
    held = {v.id for v in read_all_verdicts(store)}
    fresh = [v for v in verdicts if v.id not in held]
    pairs = [v for v in fresh if isinstance(v, PairVerdict)]
    if pairs:
        judge_pairs(store, pairs)
    new = [v for v in fresh if isinstance(v, Verdict)]
    stored = stored_states(store, sorted({v.pmid for v in new}, key=int))
    articles = [a for p in sorted(stored, key=int) if (a := reader.archive.read(p)) is not None]
    here = {a.pmid for a in articles}
    if here:  # the verdicts on stored articles land with their articles re-mapped
        everyone = [*read_verdicts(store, sorted(here)), *new]
        mapped = [v for v in new if v.pmid in here]
        _write(store, reader, articles, everyone, mapped, stored)
    elsewhere = [q for v in new if v.pmid not in here for q in verdict_quads(v)]
    if elsewhere:  # kept for the day their article is ingested; orphans until then
        store.add_quads(elsewhere)
    return Imported(new=len(fresh), known=len(verdicts) - len(fresh))


def record_pair(
    store: Store,
    cases: tuple[str, str],
    same: bool,
    curator: Curator,
    note: str | None = None,
    *,
    clock: Callable[[], datetime] = now_utc,
) -> PairVerdict:
    """Judge whether two cases are one patient; the duplicate flags say so at once."""
    try:
        verdict = PairVerdict(
            cases=tuple(sorted(cases)),
            same=same,
            note=note,
            curator=curator,
            created=clock().astimezone(UTC),
        )
    except ValidationError as exc:
        raise InputError(f"not a verdict: {refusal(exc)}") from None
    for case in verdict.cases:
        if not store.query(f"ASK {{ {iris.case_from_id(case)} a <{iris.ONTOLOGY}Case> }}"):
            raise NotFoundError(f"no case {case} in the store")
    judge_pairs(store, [verdict])
    return verdict


def judge_pairs(store: Store, new: Sequence[PairVerdict]) -> None:
    """Write verdicts on duplicate flags with the flags re-judged, in one transaction."""
    held = [v for v in read_all_verdicts(store) if isinstance(v, PairVerdict)]
    flags = flags_from_quads(store.quads(DUPLICATES_GRAPH))
    quads = flag_quads(flags, [*held, *new])
    store.replace_graphs({DUPLICATES_GRAPH: [*quads, *(q for v in new for q in verdict_quads(v))]})


class ImportRequest(Frozen):
    """A file of verdicts to import: the body of ``POST /curations/import``."""

    format: Literal["trig", "jsonld"] = "trig"
    data: str = Field(description="The file's text.")


class Imported(Frozen):
    """What an import did: verdicts new to this store, and those it held already."""

    new: int
    known: int


def _token_of(settings: Settings) -> str:
    """The token ``kb curate`` writes with (KB_CURATOR_TOKEN)."""
    token = settings.curator_token.get_secret_value() if settings.curator_token else ""
    if not token:
        raise NotAuthorizedError("kb curate writes as a curator: set KB_CURATOR_TOKEN")
    return token


def curator_here(settings: Settings) -> Curator:
    """The curator KB_CURATOR_TOKEN names in this installation's KB_CURATORS."""
    found = settings.curator_of(_token_of(settings))
    if found is None:
        raise NotAuthorizedError("no curator of KB_CURATORS holds KB_CURATOR_TOKEN")
    return Curator(name=found.name, orcid=found.orcid)


def submit_verdicts(settings: Settings, requests: Sequence[CurationRequest]) -> list[Verdict]:
    """Record verdicts in the serving process if ``kb serve`` runs, else here, under the lock."""
    body = {"verdicts": [r.model_dump(mode="json", exclude_none=True) for r in requests]}
    reader = Reader.at(settings.records_dir)
    return hand_off(
        settings,
        _token_of(settings),
        "/curations",
        body,
        lambda store: record(store, reader, requests, curator_here(settings)),
        lambda answer: [Verdict.model_validate(v) for v in answer],
    )


def submit_pair(
    settings: Settings, cases: tuple[str, str], same: bool, note: str | None = None
) -> PairVerdict:
    """Judge two cases in the serving process if ``kb serve`` runs, else here, under the lock."""
    return hand_off(
        settings,
        _token_of(settings),
        "/curations/duplicates",
        {"cases": list(cases), "same": same, "note": note},
        lambda store: record_pair(store, cases, same, curator_here(settings), note),
        PairVerdict.model_validate,
    )


def submit_import(settings: Settings, request: ImportRequest) -> Imported:
    """Import verdicts in the serving process if ``kb serve`` runs, else here, under the lock."""

    def here(store: Store) -> Imported:
        curator_here(settings)  # only a curator imports
        reader = Reader.at(settings.records_dir)
        return import_verdicts(store, reader, request.data.encode("utf-8"), request.format)

    body = request.model_dump()
    return hand_off(
        settings, _token_of(settings), "/curations/import", body, here, Imported.model_validate
    )
