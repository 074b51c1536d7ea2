"""Re-extraction: run the current extractor over stored articles, from the record archive."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Annotated

from pydantic import Field

from kb.extraction import Extractor, default_extractor
from kb.graph.ontology import ensure_ontology
from kb.jobs.archive import RecordArchive
from kb.jobs.runs import (
    Run,
    Tally,
    close_interrupted,
    new_run_id,
    now_utc,
    recording,
    write_run,
)
from kb.jobs.write import Stored, flag_duplicate_cases, stored_states, write_articles
from kb.models import PMID_PATTERN, Article, Frozen
from kb.store import Store


class ReextractRequest(Frozen):
    """What to re-extract: the CLI's options, and the body of ``POST /admin/reextract``."""

    pmids: tuple[Annotated[str, Field(pattern=PMID_PATTERN)], ...] = ()
    force: bool = False


def reextract(
    store: Store,
    archive: RecordArchive,
    request: ReextractRequest | None = None,
    *,
    extractor: Extractor | None = None,
    clock: Callable[[], datetime] | None = None,
) -> Run:
    """Run the current extractor over stored articles, from the archive, without network.

    Every article read by another extractor (every one named, with ``force``) has its graph
    re-mapped whole from its archived record, so the old version's assertions go; a
    deletion mark stays. An article with no archived record is reported and left as it is.
    Call it holding the refresh lock (``run_reextract`` does).
    """
    request = request or ReextractRequest()
    extractor = extractor or default_extractor()
    clock = clock or now_utc
    started = clock()
    ensure_ontology(store)
    close_interrupted(store, holding_lock=True)
    run = Run(
        run_id=new_run_id("reextract", started),
        kind="reextract",
        label="reextract",
        extractor=extractor.name,
        started=started,
    )
    tally = Tally(run, clock)
    with recording(store, tally):
        known = stored_states(store, request.pmids or None)
        for pmid in request.pmids:
            if pmid not in known:
                tally.reject(None, f"PMID {pmid}: not in the store")
        todo = sorted(
            (p for p, k in known.items() if request.force or k.extractor != extractor.name), key=int
        )
        tally.count("unchanged", len(known) - len(todo))
        for offset in range(0, len(todo), store.batch_size):
            pmids = todo[offset : offset + store.batch_size]
            articles = _read_archived(archive, pmids, known, tally)
            deleted = {p for p in pmids if known[p].deleted}
            written = write_articles(store, articles, extractor, tally, deleted=deleted)
            tally.count("records", len(written))
            tally.add("updated", written)
        flag_duplicate_cases(store)
    result = tally.result("completed")
    write_run(store, result)
    return result


def _read_archived(
    archive: RecordArchive, pmids: Sequence[str], known: dict[str, Stored], tally: Tally
) -> list[Article]:
    """Read the archived records of PMIDs; reject those missing or older than the store's."""
    articles = []
    for pmid in pmids:
        article = archive.read(pmid)
        if article is None:
            tally.reject(
                pmid, f"PMID {pmid}: no archived record; kb refresh --sweep fetches it again"
            )
        elif article.version < known[pmid].version:
            tally.reject(
                pmid,
                f"PMID {pmid}: the archive holds version {article.version}, older than the store's",
            )
        else:
            articles.append(article)
    return articles
