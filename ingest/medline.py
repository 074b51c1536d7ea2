"""MEDLINE text (PubMed's "PubMed format", .nbib and .txt exports) read into Article records."""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from Bio import Medline

from ingest.dates import parse_date_text, to_date
from ingest.pubmed_xml import normalise_orcid, to_article
from ingest.streams import READ_ERRORS, Source, open_binary
from kb.errors import RecordError
from kb.models import (
    AbstractSection,
    Article,
    ArticleId,
    Author,
    CommentCorrection,
    HistoryDate,
    Journal,
    Keyword,
    MeshHeading,
    MeshQualifier,
    OtherAbstract,
    PublicationType,
    Record,
    Rejection,
)

# MEDLINE tags of CommentsCorrections, by the RefType the XML gives them.
REF_TYPES = {
    "CIN": "CommentIn",
    "CON": "CommentOn",
    "EIN": "ErratumIn",
    "EFR": "ErratumFor",
    "RIN": "RetractionIn",
    "ROF": "RetractionOf",
    "CRI": "CorrectedandRepublishedIn",
    "CRF": "CorrectedandRepublishedFrom",
    "ECI": "ExpressionOfConcernIn",
    "ECF": "ExpressionOfConcernFor",
    "RPI": "RepublishedIn",
    "RPF": "RepublishedFrom",
    "UIN": "UpdateIn",
    "UOF": "UpdateOf",
    "SPIN": "SummaryForPatientsIn",
    "ORI": "OriginalReportIn",
}
_TAG_LINE = re.compile(r"^([A-Z][A-Z0-9 ]{0,3})-(?: |$)")
_ID_WITH_TYPE = re.compile(r"^(?P<value>.+?)\s*\[(?P<type>[A-Za-z]+)\]$")
_ISSN = re.compile(r"(\d{4}-\d{3}[\dXx])\s*\((\w+)\)")
_HISTORY = re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})(?:\s+[\d:]+)?\s*\[(?P<status>[^\]]+)\]")
# A structured abstract in MEDLINE text: "BACKGROUND: ... METHODS: ..." (labels in capitals).
_UNDECODED = re.compile("[\udc80-\udcff]")
_LABEL = re.compile(r"(?:^|(?<=[.!?]) )([A-Z][A-Z0-9 ,&/()-]{2,}[A-Z)]): ")


def is_medline_start(line: str) -> bool:
    """Tell whether a line looks like a MEDLINE field line (``PMID- 123``).

    >>> [is_medline_start(s) for s in ("PMID- 12345", "PMC - PMC6055010", "<?xml")]
    [True, True, False]
    """
    return _TAG_LINE.match(line) is not None


def _fields(lines: Sequence[str]) -> list[tuple[str, str]]:
    """Fold continuation lines: return the record's (tag, value) pairs in order."""
    pairs: list[tuple[str, str]] = []
    for line in lines:
        if line.startswith("      ") and pairs:
            tag, value = pairs[-1]
            pairs[-1] = (tag, f"{value} {line.strip()}".strip())
        elif line.strip():
            pairs.append((line[:4].strip(), line[6:].strip()))
    return pairs


def _author(full: str | None, short: str | None) -> Author:
    """Build an author from ``FAU`` ("Last, Fore") and ``AU`` ("Last FM")."""
    last, _, fore = (full or "").partition(", ")
    initials = None
    if short:
        if last and short.startswith(last):
            initials = short[len(last) :].strip() or None
        elif not full:
            last, _, initials = short.rpartition(" ") if " " in short else (short, "", "")
    return Author(last_name=last or None, fore_name=fore or None, initials=initials or None)


def _authors(pairs: Iterable[tuple[str, str]]) -> tuple[Author, ...]:
    """Rebuild authors in order: FAU/AU start one, AD and AUID belong to the last one."""
    people: list[dict[str, Any]] = []
    # Older records give one AD before the authors: the first author's affiliation.
    early: list[str] = []
    for tag, value in pairs:
        if tag == "FAU" or (tag == "AU" and not (people and people[-1].get("open"))):
            people.append({"full" if tag == "FAU" else "short": value, "open": tag == "FAU"})
        elif tag == "AU":
            people[-1].update(short=value, open=False)
        elif tag == "CN":
            people.append({"collective": value})
        elif tag == "AD":
            (people[-1].setdefault("affiliations", []) if people else early).append(value)
        elif tag == "AUID" and people and "ORCID" in value.upper():
            people[-1]["orcid"] = normalise_orcid(value) or people[-1].get("orcid")
    if people and early:
        people[0]["affiliations"] = [*early, *people[0].get("affiliations", [])]
    authors = []
    for person in people:
        if "collective" in person:
            base = Author(collective_name=person["collective"])
        else:
            base = _author(person.get("full"), person.get("short"))
        authors.append(
            base.model_copy(
                update={
                    "affiliations": tuple(person.get("affiliations", ())),
                    "orcid": person.get("orcid"),
                }
            )
        )
    return tuple(authors)


def _abstract(text: str | None) -> tuple[AbstractSection, ...]:
    text = " ".join((text or "").split())
    if not text:
        return ()
    starts = list(_LABEL.finditer(text))
    if not starts or starts[0].start() != 0:
        return (AbstractSection(text=text),)
    sections = []
    for found, following in zip(starts, [*starts[1:], None], strict=True):
        body = text[found.end() : following.start() if following else len(text)].strip()
        if body:
            sections.append(AbstractSection(label=found.group(1), text=body))
    return tuple(sections)


def _other_abstracts(pairs: Iterable[tuple[str, str]]) -> tuple[OtherAbstract, ...]:
    """Read ``OAB`` ("Publisher: text") with the ``OABL`` language that follows it."""
    found: list[OtherAbstract] = []
    for tag, value in pairs:
        if tag == "OAB":
            kind, colon, text = value.partition(": ")
            if not colon or " " in kind:
                kind, text = "", value
            found.append(OtherAbstract(type=kind or None, sections=_abstract(text)))
        elif tag == "OABL" and found:
            found[-1] = found[-1].model_copy(update={"language": value or None})
    return tuple(found)


def _ids(record: dict[str, Any], pmid: str) -> tuple[ArticleId, ...]:
    ids = [ArticleId(id_type="pubmed", value=pmid)]
    for value in _as_list(record.get("AID")):
        found = _ID_WITH_TYPE.match(value)
        if found:
            ids.append(ArticleId(id_type=found.group("type"), value=found.group("value")))
    for tag, id_type in (("PMC", "pmc"), ("MID", "mid")):
        ids.extend(ArticleId(id_type=id_type, value=v) for v in _as_list(record.get(tag)) if v)
    known = {i.id_type for i in ids}
    for value in _as_list(record.get("LID")):
        found = _ID_WITH_TYPE.match(value)
        if found and found.group("type") not in known:
            ids.append(ArticleId(id_type=found.group("type"), value=found.group("value")))
    return tuple(dict.fromkeys(ids))


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    values = [value] if isinstance(value, str) else list(value)
    return [" ".join(v.split()) for v in values if v and v.strip()]


def _first(record: dict[str, Any], tag: str) -> str | None:
    values = _as_list(record.get(tag))
    return values[0] if values else None


def _mesh(values: Iterable[str]) -> tuple[MeshHeading, ...]:
    headings = []
    for value in values:
        descriptor, *qualifiers = value.split("/")
        name = descriptor.lstrip("*").strip()
        if name:
            headings.append(
                MeshHeading(
                    descriptor_name=name,
                    major_topic=descriptor.startswith("*"),
                    qualifiers=tuple(
                        MeshQualifier(name=q.lstrip("*").strip(), major_topic=q.startswith("*"))
                        for q in qualifiers
                        if q.lstrip("*").strip()
                    ),
                )
            )
    return tuple(headings)


def _journal(record: dict[str, Any]) -> Journal:
    issn = _ISSN.search(_first(record, "IS") or "")
    return Journal(
        title=_first(record, "JT"),
        # MEDLINE text carries only the MEDLINE abbreviation (TA), the nearest to ISO's.
        iso_abbreviation=_first(record, "TA"),
        issn=issn.group(1) if issn else None,
        issn_type=issn.group(2) if issn else None,
        volume=_first(record, "VI"),
        issue=_first(record, "IP"),
        pages=_first(record, "PG"),
    )


def _history(values: Iterable[str]) -> tuple[HistoryDate, ...]:
    dates = []
    for value in values:
        found = _HISTORY.match(value)
        when = found and to_date(found.group(1), found.group(2), found.group(3))
        if found and when:
            dates.append(HistoryDate(status=found.group("status"), date=when))
    return tuple(dates)


def _comments(record: dict[str, Any]) -> tuple[CommentCorrection, ...]:
    links = []
    for tag, ref_type in REF_TYPES.items():
        for value in _as_list(record.get(tag)):
            source, _, pmid = value.partition("PMID:")
            links.append(
                CommentCorrection(
                    ref_type=ref_type,
                    pmid=pmid.strip() if pmid.strip().isdigit() else None,
                    ref_source=source.strip() or None,
                )
            )
    return tuple(links)


def parse_medline_record(lines: Sequence[str]) -> Article:
    """Read the lines of one MEDLINE record into an Article.

    Raises:
        RecordError: the record has no usable PMID or holds values the model refuses.
    """
    record: dict[str, Any] = next(iter(Medline.parse(list(lines))), {})  # type: ignore[no-untyped-call]
    pmid = _first(record, "PMID")
    if not pmid:
        raise RecordError("record", "no PMID")
    if not (pmid.isascii() and pmid.isdigit()):
        raise RecordError(f"PMID {pmid!r}", "the PMID is not a number")
    pairs = _fields(lines)
    owner = _first(record, "OTO")
    return to_article(
        lambda: dict(
            pmid=pmid,
            title=_first(record, "TI") or "",
            vernacular_title=_first(record, "TT"),
            abstract=_abstract(_first(record, "AB")),
            other_abstracts=_other_abstracts(pairs),
            authors=_authors(pairs),
            journal=_journal(record),
            pub_date=parse_date_text(_first(record, "DP")),
            article_ids=_ids(record, pmid),
            publication_types=tuple(PublicationType(name=t) for t in _as_list(record.get("PT"))),
            mesh_headings=_mesh(_as_list(record.get("MH"))),
            keywords=tuple(
                Keyword(text=k.lstrip("*").strip(), major_topic=k.startswith("*"), owner=owner)
                for k in _as_list(record.get("OT"))
                if k.lstrip("*").strip()
            ),
            languages=tuple(dict.fromkeys(_as_list(record.get("LA")))),
            comments_corrections=_comments(record),
            history=_history(_as_list(record.get("PHST"))),
            citation_status=_first(record, "STAT"),
        )
    )


def _chunks(lines: Iterable[str]) -> Iterator[tuple[int, list[str]]]:
    """Split lines into records at empty lines; yield (first line number, lines)."""
    chunk: list[str] = []
    start = 0
    for number, line in enumerate(lines, start=1):
        line = line.rstrip("\r\n")
        if line:  # as Bio.Medline does, a line of spaces continues the record
            if not chunk:
                start = number
            chunk.append(line)
        elif chunk:
            yield start, chunk
            chunk = []
    if chunk:
        yield start, chunk


def parse_medline(lines: Iterable[str], name: str = "<text>") -> Iterator[Record]:
    """Read MEDLINE text, line by line, into Articles; a broken record becomes a Rejection."""
    for start, chunk in _chunks(lines):
        if not is_medline_start(chunk[0]):
            yield Rejection(file=name, where=f"line {start}", reason="not a MEDLINE field line")
            continue
        try:
            bad = next((n for n, line in enumerate(chunk) if _UNDECODED.search(line)), None)
            if bad is not None:
                raise RecordError("record", f"line {start + bad}: bytes that are not UTF-8 text")
            yield parse_medline_record(chunk)
        except RecordError as exc:
            where = f"line {start}" + ("" if exc.where == "record" else f", {exc.where}")
            yield Rejection(file=name, where=where, reason=exc.reason)


def iter_medline_records(source: Source, name: str | None = None) -> Iterator[Record]:
    """Stream the records of a MEDLINE text file (UTF-8, LF or CRLF, plain or gzipped).

    A record with bytes that are not UTF-8 is rejected; the others go on.

    Raises:
        InputError: the file cannot be opened.
    """
    with open_binary(source, name) as (stream, label):
        # surrogateescape keeps undecodable bytes visible, so only their record is rejected
        lines = io.TextIOWrapper(
            io.BufferedReader(stream), encoding="utf-8-sig", errors="surrogateescape"
        )
        try:
            yield from parse_medline(lines, label)
        except READ_ERRORS as exc:
            yield Rejection(
                file=label, where="after the last record read", reason=f"the file breaks off: {exc}"
            )
