"""PubMed files of either kind (XML plain or gzipped, MEDLINE text), told apart by content."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import Field

from ingest.medline import iter_medline_records
from ingest.pubmed_xml import iter_records, open_pubmed
from ingest.streams import READ_ERRORS, Prefixed, Source, open_binary, read_head
from kb.errors import InputError, NotPubMedError
from kb.models import Article, Deletion, Frozen, Record, Rejection

Format = Literal["xml", "medline"]
SNIFF_BYTES = 4096
_MEDLINE_FIRST = re.compile(rb"^(?:PMID|PMC |[A-Z]{2,4} ?)- ", re.MULTILINE)


def sniff_format(head: bytes, name: str) -> Format:
    """Tell PubMed XML from MEDLINE text by the first bytes (already un-gzipped).

    >>> sniff_format(b"<?xml version='1.0'?>", "a"), sniff_format(b"PMID- 1", "b")
    ('xml', 'medline')
    """
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if text.startswith(b"<") or head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "xml"
    if _MEDLINE_FIRST.match(text):
        return "medline"
    if not text:
        raise NotPubMedError(f"{name}: empty file")
    raise NotPubMedError(f"{name}: neither PubMed XML nor MEDLINE text")


def _read_sniff(stream: Prefixed, label: str) -> bytes:
    try:
        return read_head(stream, SNIFF_BYTES)
    except READ_ERRORS as exc:
        raise InputError(f"{label}: cannot read: {exc}") from exc


def iter_file_records(path: Source, name: str | None = None) -> Iterator[Record]:
    """Stream the records of one file, whichever PubMed format it holds.

    Raises:
        InputError: the file cannot be read, is not PubMed, or is hostile XML.
    """
    with open_binary(path, name) as (stream, label):
        head = _read_sniff(stream, label)
        whole = Prefixed(head, stream)
        if sniff_format(head, label) == "xml":
            yield from iter_records(whole, label)
        else:
            yield from iter_medline_records(whole, label)


class BatchResult(Frozen):
    """What a batch of files held: counts of articles and deletions, and every rejection."""

    files: tuple[str, ...] = ()
    articles: int = Field(0, description="Article records read (every version counts).")
    deleted: int = Field(0, description="PMIDs that DeleteCitation withdrew.")
    rejected: tuple[Rejection, ...] = ()


@dataclass
class BatchTally:
    """A running count of the records a batch has yielded so far."""

    files: list[str] = field(default_factory=list)
    articles: int = 0
    deleted: int = 0
    rejected: list[Rejection] = field(default_factory=list)

    def add(self, record: Record) -> None:
        """Count one record."""
        if isinstance(record, Article):
            self.articles += 1
        elif isinstance(record, Deletion):
            self.deleted += 1
        else:
            self.rejected.append(record)

    def result(self) -> BatchResult:
        """Freeze the tally."""
        return BatchResult(
            files=tuple(self.files),
            articles=self.articles,
            deleted=self.deleted,
            rejected=tuple(self.rejected),
        )


def source_name(source: Source) -> str:
    """Name a source as messages and run records do: its path, or the stream's name."""
    if isinstance(source, str | Path):
        return str(source)
    return str(getattr(source, "name", None) or "<stream>")


def check_files(paths: Iterable[Source]) -> None:
    """Check, before anything is read, that every file opens and holds PubMed data.

    A stream (standard input) is checked as it is read: it cannot be read twice.

    Raises:
        InputError: a file is missing, unreadable, empty, not a regular file, or holds
            something else.
    """
    for path in paths:
        if not isinstance(path, str | Path):
            continue
        with open_binary(path) as (stream, label):
            head = _read_sniff(stream, label)
            if sniff_format(head, label) == "xml":
                open_pubmed(Prefixed(head, stream), label)


def iter_batch(paths: Iterable[Source], tally: BatchTally | None = None) -> Iterator[Record]:
    """Stream the records of several files in order, counting them in ``tally``.

    Every file is checked first, so unusable input stops the batch before any record.
    """
    paths = list(paths)
    check_files(paths)
    tally = tally if tally is not None else BatchTally()
    for path in paths:
        tally.files.append(source_name(path))
        for record in iter_file_records(path):
            tally.add(record)
            yield record


def read_batch(paths: Iterable[Path]) -> BatchResult:
    """Read every record of some files and return what they held (records are not kept)."""
    tally = BatchTally()
    for _ in iter_batch(paths, tally):
        pass
    return tally.result()
