"""Ingest records into a store: extract, map and write each article, mark deletions, log the run."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from kb.extraction import Extractor, default_extractor
from kb.graph.ontology import ensure_ontology
from kb.jobs.runs import (
    Run,
    Tally,
    close_interrupted,
    new_run_id,
    now_utc,
    recording,
    write_run,
)
from kb.jobs.write import flag_duplicate_cases, mark_deleted, stored_states, write_articles
from kb.models import Article, Deletion, Rejection
from kb.store import Store

if TYPE_CHECKING:
    from kb.jobs.archive import RecordArchive

log = logging.getLogger(__name__)

DELETIONS_PER_WRITE = 500  # deletion marks are one triple each: many fit one transaction


def ingest_records(
    store: Store,
    records: Iterable[Article | Deletion | Rejection],
    *,
    extract: Extractor | None = None,
    run_label: str = "ingest",
    files: Sequence[str | Path] = (),
    batch_size: int | None = None,
    force: bool = False,
    archive: RecordArchive | None = None,
) -> Run:
    """Write records to the store and record the run; the single entry point of ingestion.

    Each article is extracted (``extract``, the project's extractor by default), mapped and
    replaces its graph; articles go in batches of ``batch_size`` (the store's own by default),
    one transaction each, so a crash leaves every article as it was or as it is now. A record
    older than the stored version is skipped, as is one already stored as read (unless
    ``force``). A Deletion marks the stored article deleted. Broken records are counted and
    reported; the rest goes on. Each written record is kept in ``archive``, if given.
    A store failure ends the run (status failed) and is raised.
    """
    extractor = extract or default_extractor()
    ensure_ontology(store)
    for run_id in close_interrupted(store):
        log.warning("run %s never finished; marked failed (interrupted)", run_id)
    started = now_utc()
    tally = Tally(
        Run(
            run_id=new_run_id(run_label, started),
            label=run_label,
            files=tuple(str(f) for f in files),
            extractor=extractor.name,
            started=started,
        )
    )
    with recording(store, tally):
        _Batch(store, extractor, tally, force, archive).feed(
            records, batch_size or store.batch_size
        )
        flag_duplicate_cases(store)
    result = tally.result("completed")
    write_run(store, result)
    return result


class _Batch:
    """Articles and deletions read but not written yet, in the order they came."""

    def __init__(
        self,
        store: Store,
        extractor: Extractor,
        tally: Tally,
        force: bool,
        archive: RecordArchive | None,
    ) -> None:
        self.store, self.extractor, self.tally = store, extractor, tally
        self.force, self.archive = force, archive
        self.articles: dict[str, Article] = {}
        self.deletions: list[str] = []

    def feed(self, records: Iterable[Article | Deletion | Rejection], size: int) -> None:
        """Read every record, writing a batch whenever one is full, and the rest at the end."""
        for record in records:
            self.tally.count("records")
            if isinstance(record, Rejection):
                self.tally.reject(None, f"{record.file}: {record.where}: {record.reason}")
            elif isinstance(record, Deletion):
                self.write_articles()  # order matters: a deletion follows the records before it
                self.deletions.append(record.pmid)
                if len(self.deletions) >= DELETIONS_PER_WRITE:
                    self.write_deletions()
            else:
                self.write_deletions()
                earlier = self.articles.get(record.pmid)
                if earlier is not None:
                    self.tally.count("superseded")
                    if earlier.version > record.version:
                        continue
                self.articles[record.pmid] = record
                if len(self.articles) >= size:
                    self.write_articles()
        self.write_articles()
        self.write_deletions()

    def write_articles(self) -> None:
        """Write the articles held, less those the store has as read or newer."""
        if not self.articles:
            return
        stored = stored_states(self.store, list(self.articles))
        todo = []
        for pmid, article in self.articles.items():
            known = stored.get(pmid)
            if known is not None and known.version > article.version:
                self.tally.count("superseded")
            elif (
                not self.force and known is not None and known.same_as(article, self.extractor.name)
            ):
                self.tally.count("unchanged")
            else:
                todo.append(article)
        write_articles(self.store, todo, self.extractor, self.tally, archive=self.archive)
        self.articles.clear()

    def write_deletions(self) -> None:
        """Mark the articles of the deletions held deleted; the run lists every one."""
        if not self.deletions:
            return
        mark_deleted(self.store, self.deletions)
        self.tally.add("deleted", self.deletions)
        self.deletions.clear()
