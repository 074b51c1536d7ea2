"""PubMed XML (efetch answers, baseline and update files) streamed into Article records."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any, cast

from lxml import etree
from pydantic import ValidationError

from ingest.dates import parse_date_parts, to_date
from ingest.prologue import read_prologue
from ingest.streams import READ_ERRORS, Prefixed, Readable, Source, open_binary
from kb.errors import NotPubMedError, RecordError
from kb.models import Article, Deletion, PubDate, Record, Rejection

Element = Any  # lxml's _Element; lxml-stubs does not type its iterparse events usefully

RECORD_TAGS = ("PubmedArticle", "PubmedBookArticle", "DeleteCitation")
ROOT_TAGS = {"PubmedArticleSet", "PubmedBookArticleSet", "PubmedArticle", "PubmedBookArticle"}
MATHML = "{http://www.w3.org/1998/Math/MathML}math"


def open_pubmed(stream: Readable, name: str) -> Prefixed:
    """Check that a stream holds safe PubMed XML up to its root tag; return it whole again.

    Raises:
        NotPubMedError: not XML, or the root is not a PubMed article set.
        HostileXMLError: the DOCTYPE declares entities or names a non-HTTP external DTD.
    """
    reader, root = read_prologue(stream, name)
    if root not in ROOT_TAGS:
        raise NotPubMedError(f"{name}: root element <{root}> is not PubMed XML")
    return reader


# --- one record -------------------------------------------------------------------------------
# Fields are gathered as plain dicts and validated once per article: one pydantic call per
# record instead of dozens keeps the reader near the speed of the bare parse.

_ORCID = re.compile(r"(\d{4})-?(\d{4})-?(\d{4})-?(\d{3}[\dXx])")
_MATH_PATH = f".//{MATHML}"
_AUTHOR_FIELDS = {
    "LastName": "last_name",
    "ForeName": "fore_name",
    "Initials": "initials",
    "Suffix": "suffix",
    "CollectiveName": "collective_name",
}
Fields = dict[str, Any]


def normalise_orcid(text: str | None) -> str | None:
    """Return a bare ORCID (0000-0000-0000-000X) from any way of writing it, or None.

    >>> normalise_orcid("https://orcid.org/0000-0002-1825-009x")
    '0000-0002-1825-009X'
    """
    found = _ORCID.search(text or "")
    return "-".join(found.groups()).upper() if found else None


def _clean(text: str | None) -> str | None:
    if not text:
        return None
    return " ".join(text.split()) or None


def _math_text(element: Element) -> str:
    """Join text with MathML written tight: pretty-printed MathML indents every token."""
    parts = [element.text or ""]
    for child in element:
        if child.tag == MATHML:
            parts.append("".join(piece.strip() for piece in child.itertext()))
        else:
            parts.append(_math_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


def _text(element: Element | None) -> str | None:
    """The element's text with inline markup (<i>, <sup>, MathML) kept as plain text."""
    if element is None:
        return None
    if len(element):
        if element.find(_MATH_PATH) is not None:
            text = _math_text(element)
        else:
            text = "".join(element.itertext())
    else:
        text = element.text
        if not text:
            return None
    # Inlined rather than a call to _clean: this runs some sixty times per article.
    return " ".join(text.split()) or None


def _sections(parent: Element | None) -> list[Fields]:
    if parent is None:
        return []
    return [
        {
            "label": _clean(node.get("Label")),
            "category": _clean(node.get("NlmCategory")),
            "text": text,
        }
        for node in parent.iterfind("AbstractText")
        if (text := _text(node))
    ]


def _author(node: Element) -> Fields | None:
    author: Fields = {"equal_contrib": node.get("EqualContrib") == "Y"}
    affiliations = []
    for child in node.iterdescendants():
        tag = child.tag
        if tag in _AUTHOR_FIELDS:
            author[_AUTHOR_FIELDS[tag]] = _text(child)
        elif tag == "Affiliation":
            if affiliation := _text(child):
                affiliations.append(affiliation)
        elif tag == "Identifier" and (child.get("Source") or "").upper() == "ORCID":
            author.setdefault("orcid", normalise_orcid(child.text))
    if not (author.get("last_name") or author.get("collective_name") or author.get("fore_name")):
        return None
    author["affiliations"] = affiliations
    return author


def _authors(author_list: Element | None) -> list[Fields]:
    if author_list is None:
        return []
    return [
        author
        for node in author_list.iterfind("Author")
        # ValidYN="N" marks a misspelt name PubMed keeps for searching, not a person.
        if node.get("ValidYN") != "N" and (author := _author(node)) is not None
    ]


def _child_texts(element: Element) -> dict[str, str | None]:
    """Map child tags to their text: one pass, cheaper than a findtext per child."""
    return {child.tag: child.text for child in element}


def _pub_date(node: Element | None) -> PubDate:
    if node is None:
        return PubDate()
    parts = _child_texts(node)
    return parse_date_parts(
        parts.get("Year"),
        parts.get("Month"),
        parts.get("Day"),
        parts.get("Season"),
        parts.get("MedlineDate"),
    )


def _journal(journal: Element | None, pagination: Element | None) -> Fields | None:
    if journal is None:
        return None
    parts = {child.tag: child for child in journal}
    issue = _child_texts(parts["JournalIssue"]) if "JournalIssue" in parts else {}
    issn = parts.get("ISSN")
    return {
        "title": _text(parts.get("Title")),
        "iso_abbreviation": _text(parts.get("ISOAbbreviation")),
        "issn": _text(issn),
        "issn_type": issn.get("IssnType") if issn is not None else None,
        "volume": _clean(issue.get("Volume")),
        "issue": _clean(issue.get("Issue")),
        "pages": _clean(pagination.findtext("MedlinePgn")) if pagination is not None else None,
    }


def _article_ids(*lists: Element | None, locations: Element | None = None) -> list[Fields]:
    ids: dict[tuple[str, str], None] = {}
    for id_list in lists:
        if id_list is not None:
            for node in id_list.iterfind("ArticleId"):
                value, id_type = _text(node), node.get("IdType")
                if value and id_type:
                    ids[id_type, value] = None
    if locations is not None:
        known = {id_type for id_type, _ in ids}
        for node in locations.iterfind("ELocationID"):
            value, id_type = _text(node), node.get("EIdType")
            if value and id_type and id_type not in known and node.get("ValidYN") != "N":
                ids[id_type, value] = None
    return [{"id_type": id_type, "value": value} for id_type, value in ids]


def _publication_types(parent: Element | None, path: str) -> list[Fields]:
    if parent is None:
        return []
    return [
        {"ui": node.get("UI"), "name": name}
        for node in parent.iterfind(path)
        if (name := _text(node))
    ]


def _mesh(heading_list: Element | None) -> list[Fields]:
    if heading_list is None:
        return []
    headings = []
    for node in heading_list:
        heading: Fields = {"qualifiers": []}
        for child in node:
            name = _text(child)
            if not name:
                continue
            if child.tag == "DescriptorName":
                heading["descriptor_ui"] = child.get("UI")
                heading["descriptor_name"] = name
                heading["major_topic"] = child.get("MajorTopicYN") == "Y"
            elif child.tag == "QualifierName":
                heading["qualifiers"].append(
                    {
                        "ui": child.get("UI"),
                        "name": name,
                        "major_topic": child.get("MajorTopicYN") == "Y",
                    }
                )
        if "descriptor_name" in heading:
            headings.append(heading)
    return headings


def _keywords(parent: Element) -> list[Fields]:
    return [
        {
            "text": text,
            "major_topic": node.get("MajorTopicYN") == "Y",
            "owner": keyword_list.get("Owner"),
        }
        for keyword_list in parent.iterfind("KeywordList")
        for node in keyword_list.iterfind("Keyword")
        if (text := _text(node))
    ]


def _comments_corrections(links: Element | None) -> list[Fields]:
    if links is None:
        return []
    # Reference lists ("Cites") are left out: they are not part of the record we keep.
    return [
        {
            "ref_type": ref_type,
            "pmid": _clean(node.findtext("PMID")),
            "ref_source": _text(node.find("RefSource")),
        }
        for node in links
        if (ref_type := node.get("RefType")) and ref_type != "Cites"
    ]


def _history(history: Element | None) -> list[Fields]:
    if history is None:
        return []
    dates = []
    for node in history:
        parts = _child_texts(node)
        when = to_date(parts.get("Year"), parts.get("Month"), parts.get("Day"))
        if when is not None and (status := node.get("PubStatus")):
            dates.append({"status": status, "date": when})
    return dates


def _pmid(element: Element | None) -> tuple[str, int]:
    if element is None or not (element.text or "").strip():
        raise RecordError("record", "no PMID")
    pmid = element.text.strip()
    if not (pmid.isascii() and pmid.isdigit()):
        raise RecordError(f"PMID {pmid!r}", "the PMID is not a number")
    version = (element.get("Version") or "1").strip()
    return pmid, int(version) if version.isascii() and version.isdigit() and int(version) else 1


def _languages(parent: Element) -> list[str]:
    return list(dict.fromkeys(t for n in parent.iterfind("Language") if (t := _text(n))))


def _from_citation(element: Element) -> Fields:
    # Maps of children (tags used here occur once) cost one pass instead of a find each.
    record = {child.tag: child for child in element}
    citation = record.get("MedlineCitation")
    if citation is None:
        raise RecordError("record", "no MedlineCitation")
    cited = {child.tag: child for child in citation}
    pmid, version = _pmid(cited.get("PMID"))
    article = cited.get("Article")
    if article is None:
        raise RecordError(f"PMID {pmid}", "no Article element")
    parts = {child.tag: child for child in article}
    journal = parts.get("Journal")
    data = record.get("PubmedData")
    extra = {child.tag: child for child in data} if data is not None else {}
    return {
        "pmid": pmid,
        "version": version,
        "title": _text(parts.get("ArticleTitle")) or "",
        "vernacular_title": _text(parts.get("VernacularTitle")),
        "abstract": _sections(parts.get("Abstract")),
        "other_abstracts": [
            {
                "type": node.get("Type"),
                "language": node.get("Language"),
                "sections": _sections(node),
            }
            for node in citation.iterfind("OtherAbstract")
        ]
        if "OtherAbstract" in cited
        else [],
        "authors": _authors(parts.get("AuthorList")),
        "journal": _journal(journal, parts.get("Pagination")),
        "pub_date": _pub_date(
            journal.find("JournalIssue/PubDate") if journal is not None else None
        ),
        "article_ids": _article_ids(extra.get("ArticleIdList"), locations=article),
        "publication_types": _publication_types(
            parts.get("PublicationTypeList"), "PublicationType"
        ),
        "mesh_headings": _mesh(cited.get("MeshHeadingList")),
        "keywords": _keywords(citation) if "KeywordList" in cited else [],
        "languages": _languages(article),
        "comments_corrections": _comments_corrections(cited.get("CommentsCorrectionsList")),
        "history": _history(extra.get("History")),
        "citation_status": citation.get("Status"),
    }


def _from_book(element: Element) -> Fields:
    document = element.find("BookDocument")
    if document is None:
        raise RecordError("record", "no BookDocument")
    pmid, version = _pmid(document.find("PMID"))
    book = document.find("Book")
    title = _text(document.find("ArticleTitle")) or _text(document.find("Book/BookTitle"))
    authors = _authors(document.find("AuthorList")) or _authors(document.find("Book/AuthorList"))
    data = element.find("PubmedBookData")
    return {
        "pmid": pmid,
        "version": version,
        "title": title or "",
        "vernacular_title": _text(document.find("VernacularTitle")),
        "abstract": _sections(document.find("Abstract")),
        "authors": authors,
        "pub_date": _pub_date(book.find("PubDate") if book is not None else None),
        "article_ids": _article_ids(
            document.find("ArticleIdList"), data.find("ArticleIdList") if data is not None else None
        ),
        "publication_types": _publication_types(document, "PublicationType"),
        "keywords": _keywords(document),
        "languages": _languages(document),
        "history": _history(data.find("History") if data is not None else None),
        "is_book": True,
    }


def to_article(build: Callable[[], Fields]) -> Article:
    """Validate the fields ``build`` reads into an Article; a refused value is a RecordError."""
    try:
        return Article.model_validate(build())
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "value"
        raise RecordError("record", f"{where}: {first['msg']}") from None


def parse_article(element: Element) -> Article:
    """Read one ``PubmedArticle`` or ``PubmedBookArticle`` element into an Article.

    Raises:
        RecordError: the record lacks its PMID or holds values the model refuses.
    """
    reader = _from_book if element.tag == "PubmedBookArticle" else _from_citation
    return to_article(lambda: reader(element))


def parse_deletion(element: Element) -> list[Deletion]:
    """Read the PMIDs of a ``DeleteCitation`` element."""
    return [
        Deletion(pmid=pmid)
        for node in element.iterfind("PMID")
        if (pmid := (node.text or "").strip()).isascii() and pmid.isdigit()
    ]


# --- the stream -------------------------------------------------------------------------------


def _where(number: int, element: Element) -> str:
    return f"record {number}, line {element.sourceline}"


def _records(reader: Prefixed, name: str) -> Iterator[Record]:
    events = etree.iterparse(
        reader,
        events=("end",),
        tag=RECORD_TAGS,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    number = 0
    last = "none yet"
    try:
        for _, element in events:
            if element.tag == "DeleteCitation":
                yield from parse_deletion(element)
            else:
                number += 1
                try:
                    article = parse_article(element)
                except RecordError as exc:
                    where = _where(number, element)
                    if exc.where != "record":
                        where = f"{where}, {exc.where}"
                    yield Rejection(file=name, where=where, reason=exc.reason)
                else:
                    last = f"PMID {article.pmid}"
                    yield article
            element.clear(keep_tail=False)
            parent = element.getparent()
            if parent is not None:
                while element.getprevious() is not None:
                    del parent[0]
    except etree.XMLSyntaxError as exc:
        # The records before the break were yielded; the break itself is one rejection,
        # and nothing after it can be trusted.
        # With resolve_entities=False lxml may raise a bare "no element found" at line 0;
        # its error log still holds the real cause and place.
        logged = cast(Any, exc.error_log).last_error  # lxml-stubs lacks last_error
        line, message = (logged.line, logged.message) if logged else (exc.lineno, exc.msg)
        yield Rejection(
            file=name,
            where=f"line {line}, after record {number} ({last})",
            reason=f"XML ends or breaks here: {message}",
        )
    except READ_ERRORS as exc:
        yield Rejection(
            file=name,
            where=f"after record {number} ({last})",
            reason=f"the file breaks off: {exc}",
        )


def iter_records(source: Source, name: str | None = None) -> Iterator[Record]:
    """Stream the records of a PubMed XML file, plain or gzipped (sniffed by magic bytes).

    Yields an Article per ``PubmedArticle`` and ``PubmedBookArticle`` (every version of a
    versioned PMID, in file order), a Deletion per PMID of a ``DeleteCitation``, and a
    Rejection for a broken record. XML that breaks off or turns malformed ends the file
    with one Rejection, after every record before the break.

    Args:
        source: a path, or a binary file-like object (read once, from its current position).
        name: how messages name the source; defaults to the path.

    Raises:
        NotPubMedError: the input is not XML, or its root is not a PubMed article set.
        HostileXMLError: the DOCTYPE declares entities or names a non-HTTP external DTD.
        InputError: the file cannot be opened or decompressed.
    """
    with open_binary(source, name) as (stream, label):
        yield from _records(open_pubmed(stream, label), label)
